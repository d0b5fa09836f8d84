import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';
import { seedFlagsDemo } from '../../demo/demo-flags.ts';

/**
 * The demo's flags on the demo's service names: a rollout plan watching checkout-api, an experiment
 * with a winner, a stale flag, production behind approval with a change waiting; seeding twice adds
 * nothing. (seedDemo as a whole is too slow for a focused test.)
 */
describeEachEngine('demo flags data', (get) => {
  it('seeds a rollout plan, an experiment, a stale flag and a pending change once', async () => {
    const t = get();
    const team = (await t.call('POST', '/api/v1/teams', { body: { name: 'Payments', time_zone: 'UTC' } }))
      .json.id;
    await t.call('POST', '/api/v1/users', {
      body: { name: 'Farah Haddad', email: 'farah@demo.engops.test', role: 'responder' },
    });
    const services = [];
    for (const name of ['checkout-api', 'mobile-bff'])
      services.push((await t.call('POST', '/api/v1/services', { body: { name, team_id: team } })).json);

    expect(await seedFlagsDemo(t.container, services)).toBe(6);
    await t.container.worker.drain();
    const plans = (await t.call('GET', '/api/v1/rollout-plans')).json.items;
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({
      flag_key: 'checkout.one-page',
      environment: 'production',
      status: 'active',
      current_percent: 1,
      service_ids: [services[0].id],
    });
    const experiment = (await t.call('GET', '/api/v1/flags/search.ranking-v2/experiment')).json;
    expect(experiment.verdict).toBe('winner');
    expect(experiment.variants.map((v: { users: number }) => v.users)).toEqual([1500, 1500]);
    // SDK-reported evaluations: sum over d = 0..13 of 300 + 3d and of 296 + 4d.
    expect(experiment.variants.map((v: { sdk_evaluations: number }) => v.sdk_evaluations)).toEqual([
      4473, 4508,
    ]);
    const stale = (await t.call('GET', '/api/v1/stale-flags')).json.items;
    expect(stale.map((f: { key: string }) => f.key)).toEqual(['payments.3ds-v1']);
    expect(stale[0].reasons[0]).toMatchObject({ kind: 'fully_on', days: 95 });
    const pending = (await t.call('GET', '/api/v1/change-requests?status=pending')).json.items;
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({
      flag_key: 'search.ranking-v2',
      requested_by: { name: 'Farah Haddad' },
    });
    expect(
      (await t.call('GET', '/api/v1/environments')).json.items.map(
        (e: { require_approval: boolean }) => e.require_approval,
      ),
    ).toEqual([false, false, true]);

    expect(await seedFlagsDemo(t.container, services)).toBe(0);
    expect((await t.call('GET', '/api/v1/rollout-plans')).json.items).toHaveLength(1);
  });
});
