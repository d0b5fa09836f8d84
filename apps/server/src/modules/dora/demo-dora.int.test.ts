import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';
import { seedDemo } from '../../demo/demo.ts';

/** The demo's DORA data: deployments with commits, lead times stored at write time, a mapping. */
describeEachEngine('demo DORA data', (get) => {
  it('seeds deployments whose changes have lead times, and a repository mapping, once', async () => {
    const t = get();
    await seedDemo(t.container);
    const services = (await t.call('GET', '/api/v1/services?limit=100')).json.items as Array<{
      id: string;
      name: string;
    }>;
    const gateway = services.find((s) => s.name === 'api-gateway')!;
    const checkout = services.find((s) => s.name === 'checkout-api')!;
    const report = (await t.call('GET', `/api/v1/dora?service_id=${checkout.id}`)).json;
    expect(report.deployment_frequency.deployments).toBeGreaterThan(10);
    expect(report.lead_time.changes).toBeGreaterThan(10);
    expect(report.lead_time.median_seconds).toBeGreaterThan(0);
    // Every change the write path stored matches its commit and deployment.
    const db = t.container.db;
    const mismatched = await db
      .selectFrom('dora_changes as x')
      .innerJoin('commits as c', (j) =>
        j.onRef('c.service_id', '=', 'x.service_id').onRef('c.sha', '=', 'x.sha'),
      )
      .innerJoin('deployments as d', 'd.id', 'x.deployment_id')
      .select('x.sha')
      .where((eb) =>
        eb.or([
          eb('x.committed_at', '<>', eb.ref('c.committed_at')),
          eb('x.deployed_at', '<>', eb.ref('d.finished_at')),
        ]),
      )
      .execute();
    expect(mismatched).toEqual([]);
    const repos = (await t.call('GET', `/api/v1/repositories?service_id=${gateway.id}`)).json.items;
    expect(repos).toMatchObject([
      {
        repository_key: 'github.com/acme/platform',
        service_id: gateway.id,
        deploy_workflows: ['release.yml'],
      },
    ]);
    await seedDemo(t.container);
    expect((await t.call('GET', '/api/v1/repositories')).json.items).toHaveLength(1);
  }, 120_000);
});
