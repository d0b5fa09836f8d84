import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { startSmtp } from '../../../../../test-support/smtp.ts';
import { fixedClock } from '../../platform/clock.ts';

const HOUR = 3600_000;

/**
 * A reopened incident (resolved -> triggered) on a linked service pauses a running rollout plan
 * and rolls it back to 0%, as a new incident does. The incidents module calls its onTriggered
 * listeners only when an incident opens, so the plan finds a reopen itself before its next step.
 */
for (const engine of ENGINES) {
  describe(`rollout plans and reopened incidents [${engine}]`, () => {
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let t: TestApp;
    const clock = fixedClock('2026-03-09T09:00:00.000Z');

    beforeAll(async () => {
      smtp = await startSmtp();
      t = await createTestApp(engine, {
        clock,
        env: {
          ENGOPS_SMTP_HOST: '127.0.0.1',
          ENGOPS_SMTP_PORT: String(smtp.port),
          ENGOPS_SMTP_FROM: 'engops <engops@example.test>',
        },
      });
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
    });

    const rollout = async () =>
      (await t.call('GET', '/api/v1/flags/pay.v3')).json.environments.production.strategies[0].parameters
        .rollout as string;
    const plan = async (id: string) => (await t.call('GET', `/api/v1/rollout-plans/${id}`)).json;
    const drain = async () => {
      await t.container.worker.drain();
      await t.container.worker.drain();
    };
    const subjects = () =>
      smtp.mails
        .filter((m) => m.to.includes('pia@example.test'))
        .map((m) => /Subject: (.*(?:\r\n[ \t].*)*)/.exec(m.raw)?.[1]?.replace(/\r\n[ \t]/g, ' '));

    it('pauses and rolls back when an incident on a linked service is reopened, not on any other', async () => {
      const team = (await t.call('POST', '/api/v1/teams', { body: { name: 'Payments', time_zone: 'UTC' } }))
        .json;
      const service = (
        await t.call('POST', '/api/v1/services', { body: { name: 'payments-api', team_id: team.id } })
      ).json;
      const other = (
        await t.call('POST', '/api/v1/services', { body: { name: 'ledger-api', team_id: team.id } })
      ).json;
      const owner = (
        await t.call('POST', '/api/v1/users', {
          body: { email: 'pia@example.test', name: 'Pia Payments', role: null },
        })
      ).json;
      await t.call('POST', `/api/v1/teams/${team.id}/members`, {
        body: { user_id: owner.id, role: 'responder' },
      });
      await t.call('POST', '/api/v1/flags', { body: { key: 'pay.v3', owner_team_id: team.id } });
      const created = await t.call('POST', '/api/v1/flags/pay.v3/rollout-plans', {
        body: {
          environment: 'production',
          steps: [10, 50, 100],
          interval_minutes: 60,
          service_ids: [service.id],
        },
      });
      expect(created.status).toBe(201);
      const id = created.json.id as string;
      await drain();
      expect(await rollout()).toBe('10');

      // A first incident pauses the plan at once (onTriggered), and is resolved.
      const incident = (
        await t.call('POST', '/api/v1/incidents', {
          body: { service_id: service.id, title: 'Card payments failing', severity: 'SEV2' },
        })
      ).json;
      await drain();
      expect(await plan(id)).toMatchObject({
        status: 'paused',
        current_percent: 0,
        paused_incident_id: incident.id,
      });
      expect(await rollout()).toBe('0');
      expect((await t.call('POST', `/api/v1/incidents/${incident.id}/resolve`)).json.status).toBe('resolved');
      // An incident on an unlinked service, resolved and reopened, is no concern of this plan.
      const unrelated = (
        await t.call('POST', '/api/v1/incidents', {
          body: { service_id: other.id, title: 'Ledger lag', severity: 'SEV3' },
        })
      ).json;
      await t.call('POST', `/api/v1/incidents/${unrelated.id}/resolve`);

      // Resumed: the rolled-back step applies again; the next is due at 10:00.
      clock.advance(60_000);
      expect((await t.call('POST', `/api/v1/rollout-plans/${id}/resume`)).json.status).toBe('active');
      await drain();
      expect(await rollout()).toBe('10');
      expect((await plan(id)).next_step_at).toBe('2026-03-09T10:01:00.000Z');

      // Twenty minutes later the incident is reopened; the unrelated one too.
      clock.advance(20 * 60_000);
      const reopened = await t.call('POST', `/api/v1/incidents/${incident.id}/reopen`);
      expect(reopened.json.status).toBe('triggered');
      await t.call('POST', `/api/v1/incidents/${unrelated.id}/reopen`);
      await drain();

      // The step due at 10:01 does not advance to 50%: it pauses the plan and rolls back to 0%.
      clock.set('2026-03-09T10:01:00.000Z');
      await drain();
      expect(await rollout()).toBe('0');
      const paused = await plan(id);
      expect(paused).toMatchObject({
        status: 'paused',
        current_step: 0,
        current_percent: 0,
        next_step_at: null,
        paused_incident_id: incident.id,
        paused_reason: `Incident #${incident.number} on payments-api: Card payments failing`,
      });
      // The owner was told twice: the first incident and its reopening.
      expect(subjects().filter((s) => s?.includes('Rollout'))).toEqual([
        '[engops] Rollout of pay.v3 paused and rolled back to 0% in production',
        '[engops] Rollout of pay.v3 paused and rolled back to 0% in production',
      ]);

      // Resumed on purpose while the incident is still open: the plan goes on (the reopen was
      // handled), and is not paused again for it.
      clock.advance(60_000);
      await t.call('POST', `/api/v1/rollout-plans/${id}/resume`);
      await drain();
      expect(await rollout()).toBe('10');
      clock.advance(HOUR);
      await drain();
      expect(await rollout()).toBe('50');
      expect((await plan(id)).status).toBe('active');

      const audit = (await t.call('GET', '/api/v1/audit-log?limit=200')).json.items as Array<{
        action: string;
        target_id: string;
        actor_name: string;
      }>;
      expect(
        audit
          .filter((e) => e.target_id === id)
          .map((e) => e.action)
          .reverse(),
      ).toEqual([
        'flags.rollout_plan.create',
        'flags.rollout_plan.advance',
        'flags.rollout_plan.pause',
        'flags.rollout_plan.resume',
        'flags.rollout_plan.advance',
        'flags.rollout_plan.pause',
        'flags.rollout_plan.resume',
        'flags.rollout_plan.advance',
        'flags.rollout_plan.advance',
      ]);
    });

    it('pauses again at once when a reopened incident reaches onTriggered (same incident id)', async () => {
      const team = (await t.call('POST', '/api/v1/teams', { body: { name: 'Search', time_zone: 'UTC' } }))
        .json;
      const service = (
        await t.call('POST', '/api/v1/services', { body: { name: 'search-api', team_id: team.id } })
      ).json;
      await t.call('POST', '/api/v1/flags', { body: { key: 'search.v9', owner_team_id: team.id } });
      const id = (
        await t.call('POST', '/api/v1/flags/search.v9/rollout-plans', {
          body: {
            environment: 'production',
            steps: [20, 100],
            interval_minutes: 60,
            service_ids: [service.id],
          },
        })
      ).json.id as string;
      await drain();
      const incident = (
        await t.call('POST', '/api/v1/incidents', {
          body: { service_id: service.id, title: 'Search down', severity: 'SEV1' },
        })
      ).json;
      await drain();
      expect((await plan(id)).status).toBe('paused');
      await t.call('POST', `/api/v1/incidents/${incident.id}/resolve`);
      clock.advance(60_000);
      await t.call('POST', `/api/v1/rollout-plans/${id}/resume`);
      await drain();
      expect((await plan(id)).current_percent).toBe(20);

      // The incident is reopened and handed to the plans' onTriggered listener, as the incidents
      // module does for an incident that opens: the dedupe key of the first pause must not hide it.
      clock.advance(60_000);
      const reopened = (await t.call('POST', `/api/v1/incidents/${incident.id}/reopen`)).json;
      await t.container.db
        .transaction()
        .execute((tx) => t.container.flags.plans.onIncidentTriggered(tx, reopened));
      await drain();
      expect(await plan(id)).toMatchObject({
        status: 'paused',
        current_percent: 0,
        paused_incident_id: incident.id,
      });
    });
  });
}
