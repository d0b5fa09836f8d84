import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { startSmtp } from '../../../../../test-support/smtp.ts';
import { fixedClock } from '../../platform/clock.ts';

const HOUR = 3600_000;

for (const engine of ENGINES) {
  describe(`flag release controls [${engine}]`, () => {
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let t: TestApp;
    const clock = fixedClock('2026-03-02T09:00:00.000Z');

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

    /** The plan's strategy rollout and the flag's state in production. */
    async function production(key: string) {
      const flag = (await t.call('GET', `/api/v1/flags/${key}`)).json;
      const env = flag.environments.production;
      return {
        enabled: env.enabled as boolean,
        rollouts: (env.strategies as Array<{ parameters?: { rollout?: string } }>).map(
          (s) => s.parameters?.rollout,
        ),
      };
    }

    it('advances a rollout plan step by step as jobs, rolls back on an incident and emails the owners', async () => {
      const team = (await t.call('POST', '/api/v1/teams', { body: { name: 'Checkout', time_zone: 'UTC' } }))
        .json;
      const service = (
        await t.call('POST', '/api/v1/services', { body: { name: 'checkout-api', team_id: team.id } })
      ).json;
      const other = (
        await t.call('POST', '/api/v1/services', { body: { name: 'search-api', team_id: team.id } })
      ).json;
      const user = (
        await t.call('POST', '/api/v1/users', {
          body: { email: 'rita@example.test', name: 'Rita Responder', role: null },
        })
      ).json;
      await t.call('POST', `/api/v1/teams/${team.id}/members`, {
        body: { user_id: user.id, role: 'responder' },
      });
      await t.call('POST', '/api/v1/flags', { body: { key: 'checkout.v2', owner_team_id: team.id } });
      // An existing strategy the plan must leave alone (staff always see the new checkout).
      await t.call('PATCH', '/api/v1/flags/checkout.v2/environments/production', {
        body: { strategies: [{ name: 'userWithId', parameters: { userIds: 'staff-1' } }] },
      });

      const bad = await t.call('POST', '/api/v1/flags/checkout.v2/rollout-plans', {
        body: { environment: 'production', steps: [5, 1], interval_minutes: 60 },
      });
      expect(bad.status).toBe(400);
      expect(bad.json.errors[0].path).toBe('body.steps');
      const viewer = await t.tokenFor('viewer');
      expect(
        (
          await t.call('POST', '/api/v1/flags/checkout.v2/rollout-plans', {
            token: viewer,
            body: { environment: 'production', steps: [1], interval_minutes: 60 },
          })
        ).status,
      ).toBe(403);

      const created = await t.call('POST', '/api/v1/flags/checkout.v2/rollout-plans', {
        body: {
          environment: 'production',
          steps: [1, 5, 25, 50, 100],
          interval_minutes: 60,
          service_ids: [service.id],
        },
      });
      expect(created.status).toBe(201);
      const id = created.json.id as string;
      expect(created.json).toMatchObject({ status: 'active', current_step: -1, current_percent: 0 });
      const again = await t.call('POST', '/api/v1/flags/checkout.v2/rollout-plans', {
        body: { environment: 'production', steps: [10], interval_minutes: 60 },
      });
      expect(again.json.code).toBe('FLAGS_ROLLOUT_PLAN_CONFLICT');

      // Step 1 runs at once; step 2 is due an hour later, not before.
      expect(await t.container.worker.drain()).toBeGreaterThan(0);
      expect(await production('checkout.v2')).toEqual({ enabled: true, rollouts: ['1', undefined] });
      let plan = (await t.call('GET', `/api/v1/rollout-plans/${id}`)).json;
      expect(plan).toMatchObject({
        current_step: 0,
        current_percent: 1,
        next_step_at: '2026-03-02T10:00:00.000Z',
      });
      clock.advance(HOUR - 1000);
      await t.container.worker.drain();
      expect((await production('checkout.v2')).rollouts[0]).toBe('1');
      clock.advance(1000);
      await t.container.worker.drain();
      expect((await production('checkout.v2')).rollouts[0]).toBe('5');
      clock.advance(HOUR);
      await t.container.worker.drain();
      expect((await production('checkout.v2')).rollouts[0]).toBe('25');

      // An incident on another service changes nothing; one on the linked service rolls back.
      await t.call('POST', '/api/v1/incidents', {
        body: { service_id: other.id, title: 'Search is slow', severity: 'SEV3' },
      });
      await t.container.worker.drain();
      expect((await t.call('GET', `/api/v1/rollout-plans/${id}`)).json.status).toBe('active');
      const incident = await t.call('POST', '/api/v1/incidents', {
        body: { service_id: service.id, title: 'Checkout errors at 12%', severity: 'SEV2' },
      });
      expect(incident.status).toBe(201);
      await t.container.worker.drain();
      await t.container.worker.drain();
      expect(await production('checkout.v2')).toEqual({ enabled: true, rollouts: ['0', undefined] });
      plan = (await t.call('GET', `/api/v1/rollout-plans/${id}`)).json;
      expect(plan).toMatchObject({
        status: 'paused',
        current_step: 2,
        current_percent: 0,
        next_step_at: null,
        paused_incident_id: incident.json.id,
      });
      expect(plan.paused_reason).toBe(
        `Incident #${incident.json.number} on checkout-api: Checkout errors at 12%`,
      );
      const mails = smtp.mails.filter((m) => m.to.includes('rita@example.test'));
      // Unfolded headers (a long subject continues on the next line).
      const text = mails.map((m) => m.raw.replace(/\r\n(?=[ \t])/g, '')).join('\n');
      expect(text).toContain(
        'Subject: [engops] Rollout of checkout.v2 paused and rolled back to 0% in production',
      );
      expect(text).toContain(`Incident #${incident.json.number} on checkout-api: Checkout errors at 12%`);

      // The step job that was due at 11:00 finds the plan paused and does nothing.
      clock.advance(2 * HOUR);
      await t.container.worker.drain();
      expect((await production('checkout.v2')).rollouts[0]).toBe('0');
      expect((await t.call('POST', `/api/v1/rollout-plans/${id}/resume`, { token: viewer })).status).toBe(
        403,
      );

      // Resume: the rolled-back step applies again at once, then the plan goes on to 100%.
      const resumed = await t.call('POST', `/api/v1/rollout-plans/${id}/resume`);
      expect(resumed.json.status).toBe('active');
      await t.container.worker.drain();
      expect((await production('checkout.v2')).rollouts[0]).toBe('25');
      for (const expected of ['50', '100']) {
        clock.advance(HOUR);
        await t.container.worker.drain();
        expect((await production('checkout.v2')).rollouts[0]).toBe(expected);
      }
      plan = (await t.call('GET', `/api/v1/rollout-plans/${id}`)).json;
      expect(plan).toMatchObject({
        status: 'completed',
        current_step: 4,
        current_percent: 100,
        next_step_at: null,
      });
      expect((await t.call('POST', `/api/v1/rollout-plans/${id}/resume`)).json.code).toBe(
        'FLAGS_ROLLOUT_PLAN_CONFLICT',
      );

      const audit = (await t.call('GET', '/api/v1/audit-log?limit=200')).json.items as Array<{
        action: string;
        target_id: string;
      }>;
      const planActions = audit
        .filter((e) => e.target_id === id)
        .map((e) => e.action)
        .reverse();
      expect(planActions).toEqual([
        'flags.rollout_plan.create',
        'flags.rollout_plan.advance',
        'flags.rollout_plan.advance',
        'flags.rollout_plan.advance',
        'flags.rollout_plan.pause',
        'flags.rollout_plan.resume',
        'flags.rollout_plan.advance',
        'flags.rollout_plan.advance',
        'flags.rollout_plan.complete',
      ]);
    });

    it('holds changes in a protected environment for a second person, applied atomically', async () => {
      await t.call('POST', '/api/v1/flags', { body: { key: 'pay.wallets' } });
      const settings = await t.call('PATCH', '/api/v1/environments/staging', {
        body: { require_approval: true },
      });
      expect(settings.json).toMatchObject({ key: 'staging', require_approval: true });
      const alice = await t.tokenFor('manager');
      const bob = await t.tokenFor('manager');
      const viewer = await t.tokenFor('viewer');
      const change = {
        enabled: true,
        strategies: [
          { name: 'flexibleRollout', parameters: { rollout: '30', stickiness: 'default', groupId: 'w' } },
        ],
      };

      const direct = await t.call('PATCH', '/api/v1/flags/pay.wallets/environments/staging', {
        token: alice,
        body: change,
      });
      expect(direct.status).toBe(409);
      expect(direct.json.code).toBe('FLAGS_APPROVAL_REQUIRED');
      expect(
        (await t.call('POST', '/api/v1/flags/pay.wallets/environments/staging/on', { token: alice })).status,
      ).toBe(409);
      expect((await t.call('GET', '/api/v1/flags/pay.wallets')).json.environments.staging.enabled).toBe(
        false,
      );

      const request = await t.call('POST', '/api/v1/change-requests', {
        token: alice,
        body: {
          kind: 'environment',
          flag_key: 'pay.wallets',
          environment: 'staging',
          change,
          reason: 'Beta',
        },
      });
      expect(request.status).toBe(201);
      expect(request.json).toMatchObject({ status: 'pending', base_version: 1, reason: 'Beta' });
      const id = request.json.id as string;

      const self = await t.call('POST', `/api/v1/change-requests/${id}/approve`, { token: alice, body: {} });
      expect(self.status).toBe(403);
      expect(self.json.code).toBe('FLAGS_SELF_APPROVAL');
      expect(
        (await t.call('POST', `/api/v1/change-requests/${id}/approve`, { token: viewer, body: {} })).status,
      ).toBe(403);
      expect((await t.call('POST', `/api/v1/change-requests/${id}/cancel`, { token: bob })).status).toBe(403);
      expect((await t.call('GET', '/api/v1/flags/pay.wallets')).json.environments.staging.enabled).toBe(
        false,
      );

      const approved = await t.call('POST', `/api/v1/change-requests/${id}/approve`, {
        token: bob,
        body: { comment: 'Looks right' },
      });
      expect(approved.status).toBe(200);
      expect(approved.json).toMatchObject({ status: 'applied', decision_comment: 'Looks right' });
      expect(approved.json.decided_by.id).not.toBe(approved.json.requested_by.id);
      const flag = (await t.call('GET', '/api/v1/flags/pay.wallets')).json;
      expect(flag.environments.staging).toMatchObject({ enabled: true, strategies: change.strategies });
      expect(
        (await t.call('POST', `/api/v1/change-requests/${id}/approve`, { token: bob, body: {} })).json.code,
      ).toBe('FLAGS_CHANGE_REQUEST_CLOSED');

      // The kill switch never waits; a request made before it is then stale and changes nothing.
      const second = (
        await t.call('POST', '/api/v1/change-requests', {
          token: alice,
          body: {
            kind: 'environment',
            flag_key: 'pay.wallets',
            environment: 'staging',
            change: { variants: [] },
          },
        })
      ).json;
      const off = await t.call('POST', '/api/v1/flags/pay.wallets/environments/staging/off', { token: bob });
      expect(off.status).toBe(200);
      const stale = await t.call('POST', `/api/v1/change-requests/${second.id}/approve`, {
        token: bob,
        body: {},
      });
      expect(stale.status).toBe(409);
      expect(stale.json.code).toBe('FLAGS_CHANGE_REQUEST_STALE');
      expect((await t.call('GET', `/api/v1/change-requests/${second.id}`)).json.status).toBe('pending');
      expect(
        (await t.call('POST', `/api/v1/change-requests/${second.id}/reject`, { token: bob, body: {} })).json
          .status,
      ).toBe('rejected');

      // Rollout plans in a protected environment go through a change request too.
      const plan = { steps: [10, 100], interval_minutes: 30 };
      expect(
        (
          await t.call('POST', '/api/v1/flags/pay.wallets/rollout-plans', {
            token: alice,
            body: { environment: 'staging', ...plan },
          })
        ).json.code,
      ).toBe('FLAGS_APPROVAL_REQUIRED');
      const planRequest = (
        await t.call('POST', '/api/v1/change-requests', {
          token: alice,
          body: { kind: 'rollout_plan', flag_key: 'pay.wallets', environment: 'staging', change: plan },
        })
      ).json;
      expect(
        (await t.call('POST', `/api/v1/change-requests/${planRequest.id}/approve`, { token: bob, body: {} }))
          .json.status,
      ).toBe('applied');
      const plans = (await t.call('GET', '/api/v1/rollout-plans?flag_key=pay.wallets')).json.items;
      expect(plans).toHaveLength(1);
      expect(plans[0]).toMatchObject({ environment: 'staging', steps: [10, 100], status: 'active' });

      const audit = (await t.call('GET', '/api/v1/audit-log?limit=100')).json.items as Array<{
        action: string;
        target_id: string;
      }>;
      expect(audit.filter((e) => e.target_id === id).map((e) => e.action)).toEqual([
        'flags.change_request.approve',
        'flags.change_request.create',
      ]);
      expect(audit.map((e) => e.action)).toContain('flags.environment.settings');
    });

    it('archives a flag (SDKs stop seeing it) and revives it off', async () => {
      await t.call('POST', '/api/v1/flags', { body: { key: 'old.banner' } });
      await t.call('POST', '/api/v1/flags/old.banner/environments/production/on');
      const archived = await t.call('DELETE', '/api/v1/flags/old.banner');
      expect(archived.status).toBe(200);
      expect((await t.call('GET', '/api/v1/flags/old.banner')).status).toBe(404);
      const exported = (await t.call('GET', '/api/v1/flags/export?environment=production')).json;
      expect(exported.features.map((f: { name: string }) => f.name)).not.toContain('old.banner');
      expect((await t.call('GET', '/api/v1/archived-flags')).json.items[0]).toMatchObject({
        key: 'old.banner',
      });
      const revived = await t.call('POST', '/api/v1/archived-flags/old.banner/revive');
      expect(revived.status).toBe(200);
      expect(revived.json.environments.production.enabled).toBe(false);
      // Protected and on: archiving is refused until it is turned off there.
      await t.call('PATCH', '/api/v1/environments/development', { body: { require_approval: true } });
      await t.call('POST', '/api/v1/flags', { body: { key: 'keep.me' } });
      const cr = (
        await t.call('POST', '/api/v1/change-requests', {
          token: await t.tokenFor('manager'),
          body: {
            kind: 'environment',
            flag_key: 'keep.me',
            environment: 'development',
            change: { enabled: true },
          },
        })
      ).json;
      await t.call('POST', `/api/v1/change-requests/${cr.id}/approve`, { body: {} });
      const refused = await t.call('DELETE', '/api/v1/flags/keep.me');
      expect(refused.json.code).toBe('FLAGS_APPROVAL_REQUIRED');
      expect((await t.call('GET', '/api/v1/flags/keep.me')).status).toBe(200);
    });

    it('lists flags fully on or off, or not evaluated, for cleanup', async () => {
      clock.set('2026-04-01T08:00:00.000Z');
      for (const key of ['cleanup.on', 'cleanup.half', 'cleanup.off'])
        await t.call('POST', '/api/v1/flags', { body: { key } });
      await t.call('POST', '/api/v1/flags/cleanup.on/environments/production/on');
      await t.call('PATCH', '/api/v1/flags/cleanup.half/environments/production', {
        body: {
          enabled: true,
          strategies: [{ name: 'flexibleRollout', parameters: { rollout: '50', stickiness: 'default' } }],
        },
      });
      const token = (
        await t.call('POST', '/api/v1/sdk-tokens', {
          body: { name: 'metrics', type: 'client', environment: 'production' },
        })
      ).json.token as string;
      await t.call('POST', '/api/client/metrics', {
        token: null,
        headers: { authorization: token },
        body: {
          appName: 'web',
          bucket: { start: '2026-04-01T08:10:00.000Z', toggles: { 'cleanup.half': { yes: 4, no: 5 } } },
        },
      });
      clock.set('2026-05-02T08:00:00.000Z');
      const report = (await t.call('GET', '/api/v1/stale-flags?environment=production')).json.items.filter(
        (f: { key: string }) => f.key.startsWith('cleanup.'),
      );
      const since = '2026-04-01T08:00:00.000Z';
      expect(report).toEqual([
        {
          key: 'cleanup.half',
          owner_team_id: null,
          reasons: [{ kind: 'unused', since, days: 31 }],
        },
        {
          key: 'cleanup.off',
          owner_team_id: null,
          reasons: [
            { kind: 'fully_off', since, days: 31 },
            { kind: 'unused', since, days: 31 },
          ],
        },
        {
          key: 'cleanup.on',
          owner_team_id: null,
          reasons: [
            { kind: 'fully_on', since, days: 31 },
            { kind: 'unused', since, days: 31 },
          ],
        },
      ]);
      const longer = (await t.call('GET', '/api/v1/stale-flags?after_days=32&unused_days=32')).json.items;
      expect(longer.filter((f: { key: string }) => f.key.startsWith('cleanup.'))).toEqual([]);
      expect((await t.call('GET', '/api/v1/stale-flags?after_days=0')).status).toBe(400);
    });
  });
}
