import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';
import { seedDemo } from '../../demo/demo.ts';

/** The demo's on-call data: a schedule, a linked escalation policy, contact rules and pay policy. */
describeEachEngine('demo on-call data', (get) => {
  it('seeds a rotation, an escalation policy on checkout-api, contact rules and a pay policy, once', async () => {
    const t = get();
    await seedDemo(t.container);
    const schedules = (await t.call('GET', '/api/v1/schedules')).json.items;
    expect(schedules.map((s: { name: string }) => s.name)).toEqual(['Payments primary']);
    const [schedule] = schedules;
    const services = (await t.call('GET', '/api/v1/services?limit=100')).json.items as Array<{
      id: string;
      name: string;
    }>;
    const checkout = services.find((s) => s.name === 'checkout-api')!;
    const link = (await t.call('GET', `/api/v1/services/${checkout.id}/escalation-policy`)).json;
    expect(link.policy.name).toBe('Payments escalation');
    expect(link.policy.levels[0]).toEqual({
      delay_seconds: 300,
      targets: [{ type: 'schedule', id: schedule.id }],
    });
    const person = schedule.layers[0].participants[0];
    const methods = (await t.call('GET', `/api/v1/users/${person}/contact-methods`)).json.items;
    expect(methods).toMatchObject([{ type: 'email', verified: true }]);
    const rules = (await t.call('GET', `/api/v1/users/${person}/notification-rules`)).json.items;
    expect(rules.map((r: { delay_seconds: number }) => r.delay_seconds)).toEqual([0, 300]);
    const pay = (await t.call('GET', `/api/v1/oncall/teams/${schedule.team_id}/pay-policy`)).json;
    expect(pay.policy).toMatchObject({ currency: 'USD', hourly_rate: 8, weekend_multiplier: 1.5 });
    const check = (await t.call('GET', `/api/v1/oncall/teams/${schedule.team_id}/rotation-check`)).json;
    expect(check.team_size).toBeGreaterThan(0);
    // A second run adds nothing.
    await seedDemo(t.container);
    expect((await t.call('GET', '/api/v1/schedules')).json.items).toHaveLength(1);
    expect((await t.call('GET', `/api/v1/users/${person}/contact-methods`)).json.items).toHaveLength(1);
  }, 120_000);
});
