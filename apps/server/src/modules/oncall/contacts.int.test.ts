import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { fixedClock } from '../../platform/clock.ts';
import { startReceiver, startSmtp } from './oncall-test-support.ts';

const PASSWORD = 'a long enough password';

for (const engine of ENGINES) {
  describe(`on-call contact methods, notification rules and escalation policies [${engine}]`, () => {
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let hooks: Awaited<ReturnType<typeof startReceiver>>;
    let t: TestApp;
    const clock = fixedClock('2026-04-06T10:00:00Z');
    let teamId: string;
    let serviceId: string;
    const ann = { id: '', email: 'ann@example.test', headers: {} as Record<string, string> };
    const bob = { id: '', email: 'bob@example.test', headers: {} as Record<string, string> };
    const drain = async () => {
      for (let i = 0; i < 3; i++) await t.container.worker.drain();
    };
    const codeIn = (text: string) => /verification code is (\d{6})/.exec(text)?.[1];

    async function person(who: typeof ann, name: string) {
      const user = await t.call('POST', '/api/v1/users', {
        body: { email: who.email, name, role: null, password: PASSWORD, time_zone: 'Europe/London' },
      });
      expect(user.status).toBe(201);
      who.id = user.json.id;
      await t.call('POST', `/api/v1/teams/${teamId}/members`, {
        body: { user_id: who.id, role: 'responder' },
      });
      const login = await t.call('POST', '/api/v1/auth/login', {
        token: null,
        body: { email: who.email, password: PASSWORD },
      });
      expect(login.status).toBe(200);
      who.headers = {
        cookie: String(login.headers['set-cookie']).split(';')[0]!,
        'x-csrf-token': login.json.csrf_token,
      };
    }
    const as = (who: typeof ann, method: string, url: string, body?: unknown) =>
      t.call(method, url, { token: null, headers: who.headers, ...(body === undefined ? {} : { body }) });

    beforeAll(async () => {
      smtp = await startSmtp();
      hooks = await startReceiver();
      t = await createTestApp(engine, {
        clock,
        env: {
          ENGOPS_SMTP_HOST: '127.0.0.1',
          ENGOPS_SMTP_PORT: String(smtp.port),
          ENGOPS_SMTP_FROM: 'engops <engops@example.test>',
          ENGOPS_PUBLIC_URL: 'https://engops.example.test',
        },
      });
      teamId = (
        await t.call('POST', '/api/v1/teams', { body: { name: 'Payments', time_zone: 'Europe/London' } })
      ).json.id;
      serviceId = (
        await t.call('POST', '/api/v1/services', {
          body: { name: 'ledger', team_id: teamId, runbook_url: 'https://runbooks.example.test/ledger' },
        })
      ).json.id;
      await person(ann, 'Ann');
      await person(bob, 'Bob');
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
      await hooks?.close();
    });

    it('adds and verifies contact methods by code: email over SMTP, webhook over HTTP', async () => {
      const email = await as(ann, 'POST', `/api/v1/users/${ann.id}/contact-methods`, {
        type: 'email',
        address: 'ann.pager@example.test',
      });
      expect(email.status).toBe(201);
      expect(email.json).toMatchObject({ type: 'email', verified: false, user_id: ann.id });
      await drain();
      const mail = smtp.mails.find((m) => m.to.includes('ann.pager@example.test'));
      const code = codeIn(mail?.text ?? '');
      expect(code).toMatch(/^\d{6}$/);

      // A wrong code is refused with the field at fault; the method stays unverified.
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
      const refused = await as(
        ann,
        'POST',
        `/api/v1/users/${ann.id}/contact-methods/${email.json.id}/verify`,
        {
          code: wrong,
        },
      );
      expect(refused.status).toBe(400);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json).toMatchObject({
        code: 'ONCALL_CONTACT_CODE_INVALID',
        errors: [{ path: 'body.code' }],
      });
      const malformed = await as(
        ann,
        'POST',
        `/api/v1/users/${ann.id}/contact-methods/${email.json.id}/verify`,
        {
          code: 'abc',
        },
      );
      expect(malformed.status).toBe(400);
      expect(malformed.json.errors[0].path).toBe('body.code');
      const verified = await as(
        ann,
        'POST',
        `/api/v1/users/${ann.id}/contact-methods/${email.json.id}/verify`,
        {
          code,
        },
      );
      expect(verified.status).toBe(200);
      expect(verified.json.verified).toBe(true);

      const hook = await as(ann, 'POST', `/api/v1/users/${ann.id}/contact-methods`, {
        type: 'webhook',
        address: hooks.url('/ann'),
        label: 'Pager app',
      });
      expect(hook.status).toBe(201);
      await drain();
      const message = hooks.received.find((r) => r.path === '/ann');
      expect(message?.body.data.kind).toBe('contact-method-verification');
      const ok = await as(ann, 'POST', `/api/v1/users/${ann.id}/contact-methods/${hook.json.id}/verify`, {
        code: String(message?.body.data.code),
      });
      expect(ok.json.verified).toBe(true);

      // Never verified: it must never receive a page.
      const silent = await as(ann, 'POST', `/api/v1/users/${ann.id}/contact-methods`, {
        type: 'webhook',
        address: hooks.url('/ann-unverified'),
      });
      expect(silent.status).toBe(201);

      const dup = await as(ann, 'POST', `/api/v1/users/${ann.id}/contact-methods`, {
        type: 'email',
        address: 'ann.pager@example.test',
      });
      expect(dup.status).toBe(409);
      expect(dup.json.code).toBe('ONCALL_CONTACT_METHOD_TAKEN');
      const bad = await as(ann, 'POST', `/api/v1/users/${ann.id}/contact-methods`, {
        type: 'webhook',
        address: 'ftp://example.test/x',
      });
      expect(bad.status).toBe(400);
      expect(bad.json.errors[0].path).toBe('body.address');

      // Bob may not add a method to Ann, and sees her addresses masked; an admin sees them.
      const forbidden = await as(bob, 'POST', `/api/v1/users/${ann.id}/contact-methods`, {
        type: 'email',
        address: 'mallory@example.test',
      });
      expect(forbidden.status).toBe(403);
      const seenByBob = await as(bob, 'GET', `/api/v1/users/${ann.id}/contact-methods`);
      expect(seenByBob.json.items.map((m: { address: string }) => m.address)).toContain('a…@example.test');
      const seenByAdmin = await t.call('GET', `/api/v1/users/${ann.id}/contact-methods`);
      expect(seenByAdmin.json.items.map((m: { address: string }) => m.address)).toEqual([
        'ann.pager@example.test',
        hooks.url('/ann'),
        hooks.url('/ann-unverified'),
      ]);
      const audit = await t.container.db
        .selectFrom('audit_log')
        .select('action')
        .where('action', 'like', 'contact_method.%')
        .execute();
      expect(audit.map((a) => a.action).sort()).toEqual([
        'contact_method.create',
        'contact_method.create',
        'contact_method.create',
        'contact_method.verify',
        'contact_method.verify',
      ]);
    });

    it('pages by the rules (email at once, webhook after 2 min, email again after 5) until acknowledged', async () => {
      const methods = (await as(ann, 'GET', `/api/v1/users/${ann.id}/contact-methods`)).json.items as Array<{
        id: string;
        type: string;
        verified: boolean;
      }>;
      const email = methods.find((m) => m.type === 'email')!;
      const hook = methods.find((m) => m.type === 'webhook' && m.verified)!;
      expect((await as(ann, 'GET', `/api/v1/users/${ann.id}/notification-rules`)).json.default_rules).toBe(
        true,
      );
      for (const [cm, delay] of [
        [email.id, 0],
        [hook.id, 120],
        [email.id, 300],
      ] as const) {
        const rule = await as(ann, 'POST', `/api/v1/users/${ann.id}/notification-rules`, {
          contact_method_id: cm,
          delay_seconds: delay,
        });
        expect(rule.status).toBe(201);
      }
      const again = await as(ann, 'POST', `/api/v1/users/${ann.id}/notification-rules`, {
        contact_method_id: email.id,
        delay_seconds: 300,
      });
      expect(again.status).toBe(409);

      // Level 1: Ann; level 2 after 10 minutes: Bob, who has no contact method (account email).
      const policy = await t.call('POST', '/api/v1/escalation-policies', {
        body: {
          name: 'Ledger',
          team_id: teamId,
          levels: [
            { delay_seconds: 600, targets: [{ type: 'user', id: ann.id }] },
            { delay_seconds: 600, targets: [{ type: 'user', id: bob.id }] },
          ],
        },
      });
      expect(policy.status).toBe(201);
      expect(
        (
          await t.call('PATCH', `/api/v1/services/${serviceId}`, {
            body: { escalation_policy_id: 'esc_nope' },
          })
        ).json,
      ).toMatchObject({
        code: 'ONCALL_ESCALATION_POLICY_NOT_FOUND',
        errors: [{ path: 'body.escalation_policy_id' }],
      });
      const linked = await t.call('PATCH', `/api/v1/services/${serviceId}`, {
        body: { escalation_policy_id: policy.json.id },
      });
      expect(linked.status).toBe(200);

      const declare = (title: string) =>
        t.call('POST', '/api/v1/incidents', { body: { service_id: serviceId, title, severity: 'SEV2' } });
      const mails = (to: string, title: string) =>
        smtp.mails.filter((m) => m.to.includes(to) && m.text.includes(title));
      const posts = (path: string, title: string) =>
        hooks.received.filter((r) => r.path === path && r.body.data.title === title);

      const first = await declare('Ledger drift one');
      expect(first.status).toBe(201);
      await drain();
      expect(mails('ann.pager@example.test', 'Ledger drift one')).toHaveLength(1);
      expect(mails(ann.email, 'Ledger drift one')).toHaveLength(0); // she has her own methods
      expect(posts('/ann', 'Ledger drift one')).toHaveLength(0);
      const page = mails('ann.pager@example.test', 'Ledger drift one')[0]!.text;
      expect(page).toContain('[SEV2] Ledger drift one');
      expect(page).toContain('Service: ledger');
      expect(page).toContain('Runbook: https://runbooks.example.test/ledger');
      expect(page).toMatch(/Acknowledge: https:\/\/engops\.example\.test\/incident-actions\/\S+/);

      clock.advance(119_000);
      await drain();
      expect(posts('/ann', 'Ledger drift one')).toHaveLength(0);
      clock.advance(1_000);
      await drain();
      const [webhookPage] = posts('/ann', 'Ledger drift one');
      expect(webhookPage?.body.data).toMatchObject({
        kind: 'page',
        severity: 'SEV2',
        service: 'ledger',
        runbook_url: 'https://runbooks.example.test/ledger',
        escalation_level: 1,
      });
      expect(String(webhookPage?.body.data.acknowledge_url)).toMatch(/\/incident-actions\//);
      expect(
        hooks.received.filter((r) => r.path === '/ann-unverified' && r.body.data.kind === 'page'),
      ).toHaveLength(0);
      expect(hooks.received.filter((r) => r.path === '/ann-unverified')).toHaveLength(1); // its code only

      clock.advance(180_000); // 300 s after the page
      await drain();
      expect(mails('ann.pager@example.test', 'Ledger drift one')).toHaveLength(2);
      expect(mails(bob.email, 'Ledger drift one')).toHaveLength(0);
      clock.advance(300_000); // 600 s: level 2
      await drain();
      expect(mails(bob.email, 'Ledger drift one')).toHaveLength(1);

      const timeline = (await t.call('GET', `/api/v1/incidents/${first.json.id}/timeline`)).json.items.map(
        (e: { text: string }) => e.text,
      );
      expect(timeline).toEqual(
        expect.arrayContaining([
          'Paged Ann by email (escalation level 1, via user)',
          'Paged Ann by webhook after 120 s (escalation level 1, via user)',
          'Paged Ann by email after 300 s (escalation level 1, via user)',
          'Paged Bob by email (escalation level 2, via user)',
        ]),
      );

      // Acknowledging within two minutes stops the later contacts and level 2.
      const second = await declare('Ledger drift two');
      await drain();
      expect(mails('ann.pager@example.test', 'Ledger drift two')).toHaveLength(1);
      const ack = await as(ann, 'POST', `/api/v1/incidents/${second.json.id}/acknowledge`, {});
      expect(ack.status).toBe(200);
      clock.advance(3_600_000);
      await drain();
      expect(mails('ann.pager@example.test', 'Ledger drift two')).toHaveLength(1);
      expect(posts('/ann', 'Ledger drift two')).toHaveLength(0);
      expect(mails(bob.email, 'Ledger drift two')).toHaveLength(0);
    });

    it('changes and deletes escalation policies; a policy in use cannot be deleted; overrides can be removed', async () => {
      const policies = (await t.call('GET', `/api/v1/escalation-policies?team_id=${teamId}`)).json.items;
      const ledger = policies.find((p: { name: string }) => p.name === 'Ledger');
      expect(ledger.service_ids).toEqual([serviceId]);
      const patched = await t.call('PATCH', `/api/v1/escalation-policies/${ledger.id}`, {
        body: { repeat: 2, levels: [{ delay_seconds: 90, targets: [{ type: 'user', id: bob.id }] }] },
      });
      expect(patched.status).toBe(200);
      expect(patched.json).toMatchObject({ name: 'Ledger', repeat: 2, levels: [{ delay_seconds: 90 }] });
      const emptyPatch = await t.call('PATCH', `/api/v1/escalation-policies/${ledger.id}`, { body: {} });
      expect(emptyPatch.status).toBe(400);
      const inUse = await t.call('DELETE', `/api/v1/escalation-policies/${ledger.id}`);
      expect(inUse.status).toBe(409);
      expect(inUse.json.code).toBe('ONCALL_POLICY_IN_USE');
      expect(
        (await t.call('PATCH', `/api/v1/services/${serviceId}`, { body: { escalation_policy_id: null } }))
          .status,
      ).toBe(200);
      expect(
        (await t.call('GET', `/api/v1/services/${serviceId}/escalation-policy`)).json.escalation_policy_id,
      ).toBe(null);
      expect((await t.call('DELETE', `/api/v1/escalation-policies/${ledger.id}`)).status).toBe(204);
      expect((await t.call('GET', `/api/v1/escalation-policies/${ledger.id}`)).status).toBe(404);

      const schedule = await t.call('POST', '/api/v1/schedules', {
        body: {
          name: 'Ledger',
          team_id: teamId,
          time_zone: 'Europe/London',
          layers: [
            {
              name: 'primary',
              start: '2026-04-06T09:00',
              rotation: { unit: 'week', length: 1 },
              participants: [ann.id, bob.id],
            },
          ],
        },
      });
      const ovr = await t.call('POST', `/api/v1/schedules/${schedule.json.id}/overrides`, {
        body: { user_id: bob.id, start: '2026-04-07T00:00:00Z', end: '2026-04-08T00:00:00Z' },
      });
      const at = '/oncall?at=2026-04-07T12:00:00Z';
      expect(
        (await t.call('GET', `/api/v1/schedules/${schedule.json.id}${at}`)).json.on_call[0].user_id,
      ).toBe(bob.id);
      const overrideId = ovr.json.overrides[0].id;
      expect(
        (await t.call('DELETE', `/api/v1/schedules/${schedule.json.id}/overrides/${overrideId}`)).status,
      ).toBe(204);
      expect(
        (await t.call('GET', `/api/v1/schedules/${schedule.json.id}${at}`)).json.on_call[0].user_id,
      ).toBe(ann.id);
      const gone = await t.call('DELETE', `/api/v1/schedules/${schedule.json.id}/overrides/${overrideId}`);
      expect(gone.status).toBe(404);
      expect(gone.json.code).toBe('ONCALL_OVERRIDE_NOT_FOUND');
    });

    it('tells people before their shift starts, once, through their contact methods', async () => {
      clock.set('2026-04-10T07:50:00Z');
      const schedule = await t.call('POST', '/api/v1/schedules', {
        body: {
          name: 'Handoff',
          team_id: teamId,
          time_zone: 'Europe/London',
          // 09:30 BST = 08:30Z: Bob (no contact methods: his account email) is told an hour ahead.
          layers: [
            {
              name: 'day',
              start: '2026-04-10T09:30',
              rotation: { unit: 'day', length: 1 },
              participants: [bob.id],
            },
          ],
        },
      });
      expect(schedule.status).toBe(201);
      const notices = () =>
        smtp.mails.filter((m) => m.to.includes(bob.email) && m.text.includes('Your on-call shift'));
      await t.container.oncall.start();
      await drain();
      expect(notices()).toHaveLength(0); // the sweep is due at 08:00
      clock.set('2026-04-10T08:00:00Z');
      await drain();
      expect(notices()).toHaveLength(1);
      expect(notices()[0]!.text).toContain('You are on call for Handoff (day).');
      expect(notices()[0]!.text).toContain('From: Friday, 10 April 2026 at 09:30');
      clock.set('2026-04-10T08:15:00Z');
      await drain();
      expect(notices()).toHaveLength(1); // announced once
    });

    it('escalates at once when every delivery of a page fails for good', async () => {
      clock.set('2026-04-12T10:00:00Z');
      const cy = (
        await t.call('POST', '/api/v1/users', { body: { email: 'cy@example.test', name: 'Cy', role: null } })
      ).json.id;
      const hook = await t.call('POST', `/api/v1/users/${cy}/contact-methods`, {
        body: { type: 'webhook', address: hooks.url('/cy') },
      });
      await drain();
      const code = hooks.received.find((r) => r.path === '/cy')?.body.data.code;
      expect(
        (
          await t.call('POST', `/api/v1/users/${cy}/contact-methods/${hook.json.id}/verify`, {
            body: { code },
          })
        ).status,
      ).toBe(200);
      hooks.failing.add('/cy'); // the receiver goes down
      const policy = await t.call('POST', '/api/v1/escalation-policies', {
        body: {
          name: 'Vault',
          team_id: teamId,
          levels: [
            { delay_seconds: 3600, targets: [{ type: 'user', id: cy }] },
            { delay_seconds: 3600, targets: [{ type: 'user', id: bob.id }] },
          ],
        },
      });
      const vault = await t.call('POST', '/api/v1/services', {
        body: { name: 'vault', team_id: teamId },
      });
      await t.call('PATCH', `/api/v1/services/${vault.json.id}`, {
        body: { escalation_policy_id: policy.json.id },
      });
      const incident = await t.call('POST', '/api/v1/incidents', {
        body: { service_id: vault.json.id, title: 'Vault sealed', severity: 'SEV1' },
      });
      expect(incident.status).toBe(201);
      const bobPages = () =>
        smtp.mails.filter((m) => m.to.includes(bob.email) && m.text.includes('Vault sealed'));
      // Ten minutes, in 20-second steps: the webhook is retried with backoff, then given up.
      for (let i = 0; i < 30; i++) {
        await drain();
        clock.advance(20_000);
      }
      expect(bobPages()).toHaveLength(1);
      const failed = await t.container.db
        .selectFrom('notifications')
        .select(['status', 'attempts'])
        .where('target', '=', hooks.url('/cy'))
        .where('subject', 'like', '%Vault sealed%')
        .execute();
      expect(failed).toEqual([{ status: 'failed', attempts: 6 }]);
      const timeline = (await t.call('GET', `/api/v1/incidents/${incident.json.id}/timeline`)).json.items.map(
        (e: { text: string }) => e.text,
      );
      expect(timeline).toContain('Every delivery to Cy failed; escalating to level 2 now');
      expect(timeline).toContain('Paged Bob by email (escalation level 2, via user)');
      // The regular level-2 job, an hour after the page, pages nobody again.
      clock.advance(3_600_000);
      await drain();
      expect(bobPages()).toHaveLength(1);
    });
  });
}
