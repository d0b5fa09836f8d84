import { expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';

async function setup(t: TestApp, name: string) {
  const team = await t.call('POST', '/api/v1/teams', { body: { name: `${name}-team`, time_zone: 'UTC' } });
  const service = await t.call('POST', '/api/v1/services', { body: { name, team_id: team.json.id } });
  expect(service.status).toBe(201);
  const deployment = await t.call('POST', '/api/v1/deployments', {
    body: {
      service_id: service.json.id,
      status: 'success',
      environment: 'production',
      commit_sha: 'f'.repeat(40),
      finished_at: '2026-06-01T08:00:00Z',
    },
  });
  expect(deployment.status).toBe(201);
  return { serviceId: service.json.id as string, deploymentId: deployment.json.id as string };
}

/** A suspected deployment must name a real deployment, by PATCH or by import; nothing is written otherwise. */
describeEachEngine('Incident suspected deployment is checked', (get) => {
  it('PATCH refuses an unknown deployment id at its field and changes nothing; a real one is linked', async () => {
    const t = get();
    const { serviceId, deploymentId } = await setup(t, 'checkout');
    const incident = (
      await t.call('POST', '/api/v1/incidents', {
        body: { service_id: serviceId, title: 'Checkout errors', severity: 'SEV2' },
      })
    ).json;
    const timelineBefore = (await t.call('GET', `/api/v1/incidents/${incident.id}/timeline`)).json.items;
    const auditBefore = (await t.call('GET', '/api/v1/audit-log?limit=200')).json.items.length;

    const bad = await t.call('PATCH', `/api/v1/incidents/${incident.id}`, {
      body: { title: 'Renamed', caused_by_deployment_id: 'dep_nope' },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json).toMatchObject({
      code: 'HTTP_VALIDATION_FAILED',
      errors: [{ path: 'body.caused_by_deployment_id', message: 'no deployment has id dep_nope' }],
    });
    const unchanged = (await t.call('GET', `/api/v1/incidents/${incident.id}`)).json;
    expect(unchanged).toMatchObject({ title: 'Checkout errors', caused_by_deployment_id: null });
    expect((await t.call('GET', `/api/v1/incidents/${incident.id}/timeline`)).json.items).toEqual(
      timelineBefore,
    );
    expect((await t.call('GET', '/api/v1/audit-log?limit=200')).json.items.length).toBe(auditBefore);

    const good = await t.call('PATCH', `/api/v1/incidents/${incident.id}`, {
      body: { caused_by_deployment_id: deploymentId },
    });
    expect(good.status).toBe(200);
    expect(good.json.caused_by_deployment_id).toBe(deploymentId);
    // Clearing the link needs no lookup.
    const cleared = await t.call('PATCH', `/api/v1/incidents/${incident.id}`, {
      body: { caused_by_deployment_id: null },
    });
    expect(cleared.status).toBe(200);
    expect(cleared.json.caused_by_deployment_id).toBeNull();
    const audit = (await t.call('GET', '/api/v1/audit-log?limit=200')).json.items as Array<{
      action: string;
      target_id: string;
    }>;
    expect(audit.filter((e) => e.target_id === incident.id && e.action === 'incident.update')).toHaveLength(
      2,
    );
  });

  it('import refuses an unknown deployment id at body.incidents.N and imports nothing', async () => {
    const t = get();
    const { serviceId, deploymentId } = await setup(t, 'basket');
    const count = async () =>
      Number(
        (
          await t.container.db
            .selectFrom('incidents')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('service_id', '=', serviceId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const item = (title: string, caused?: string) => ({
      service_id: serviceId,
      title,
      severity: 'SEV3',
      triggered_at: '2026-06-02T10:00:00Z',
      resolved_at: '2026-06-02T11:00:00Z',
      ...(caused ? { caused_by_deployment_id: caused } : {}),
    });
    const bad = await t.call('POST', '/api/v1/incidents/import', {
      body: { incidents: [item('Fine', deploymentId), item('Unlinked'), item('Bad', 'dep_missing')] },
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({
      code: 'HTTP_VALIDATION_FAILED',
      errors: [
        { path: 'body.incidents.2.caused_by_deployment_id', message: 'no deployment has id dep_missing' },
      ],
    });
    expect(await count()).toBe(0);

    const ok = await t.call('POST', '/api/v1/incidents/import', {
      body: { incidents: [item('Fine', deploymentId), item('Unlinked')] },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.created).toBe(2);
    const linked = (await t.call('GET', `/api/v1/incidents/${ok.json.items[0].id}`)).json;
    expect(linked.caused_by_deployment_id).toBe(deploymentId);
  });
});
