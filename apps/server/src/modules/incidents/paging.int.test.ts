import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { startSmtp } from '../../../../../test-support/smtp.ts';

/**
 * The text of a single-part message as a mail client shows it: the body after the headers, with
 * its Content-Transfer-Encoding (quoted-printable or base64, as nodemailer picks) undone.
 */
function mailText(raw: string): string {
  return decodeBody(raw).replace(/\r\n/g, '\n');
}

function decodeBody(raw: string): string {
  const split = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, split).replace(/\r?\n[ \t]+/g, ' ');
  const body = raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(head)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

/** The path of a signed action link (`/incident-actions/<token>`) in a text, by its label. */
function actionPath(text: string, label: 'Acknowledge' | 'Resolve'): string {
  const match = new RegExp(`^${label}: (\\S+)$`, 'm').exec(text);
  if (!match) throw new Error(`no ${label} link in:\n${text}`);
  const url = new URL(match[1]!);
  expect(url.pathname).toMatch(/^\/incident-actions\/[\w-]+\.[\w-]+$/);
  return url.pathname;
}

async function teamWithPeople(t: TestApp, suffix: string) {
  const team = await t.call('POST', '/api/v1/teams', {
    body: { name: `Payments ${suffix}`, time_zone: 'UTC' },
  });
  const service = await t.call('POST', '/api/v1/services', {
    body: {
      name: `payments-api-${suffix}`,
      team_id: team.json.id,
      runbook_url: 'https://runbooks.example.test/payments-api',
    },
  });
  const person = async (name: string, role: 'responder' | 'viewer') => {
    const email = `${name.toLowerCase().replace(/\s+/g, '.')}.${suffix}@example.test`;
    const user = await t.call('POST', '/api/v1/users', { body: { email, name, role: null } });
    expect(user.status).toBe(201);
    const member = await t.call('POST', `/api/v1/teams/${team.json.id}/members`, {
      body: { user_id: user.json.id, role },
    });
    expect(member.status).toBe(201);
    return { id: user.json.id as string, email, name };
  };
  const responder = await person('Rita Responder', 'responder');
  const viewer = await person('Victor Viewer', 'viewer');
  const integration = await t.call('POST', `/api/v1/services/${service.json.id}/integrations`, {
    body: { kind: 'events-v2', name: 'monitoring' },
  });
  return { team: team.json, service: service.json, responder, viewer, key: integration.json.key as string };
}

const trigger = (key: string, dedupKey: string) => ({
  routing_key: key,
  event_action: 'trigger',
  dedup_key: dedupKey,
  payload: { summary: 'Card authorisations failing (38%)', source: 'payments-api-7', severity: 'critical' },
});

for (const engine of ENGINES) {
  describe(`paging by email with signed action links [${engine}]`, () => {
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let t: TestApp;

    beforeAll(async () => {
      smtp = await startSmtp();
      t = await createTestApp(engine, {
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

    it('emails the responder (not the viewer) a link that acknowledges as that person', async () => {
      const { responder, viewer, key, service } = await teamWithPeople(t, 'a');
      const sent = await t.call('POST', '/v2/enqueue', { token: null, body: trigger(key, 'auth-failures') });
      expect(sent.status).toBe(202);
      const [incident] = (await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items;

      // The page job, then the notification jobs it enqueued.
      await t.container.worker.drain();
      await t.container.worker.drain();

      const toResponder = smtp.mails.filter((m) => m.to.includes(responder.email));
      expect(toResponder).toHaveLength(1);
      expect(smtp.mails.filter((m) => m.to.includes(viewer.email))).toHaveLength(0);
      const text = mailText(toResponder[0]!.raw);
      expect(text).toContain('[SEV1] Card authorisations failing (38%)');
      expect(text).toContain('Runbook: https://runbooks.example.test/payments-api');
      const ackPath = actionPath(text, 'Acknowledge');
      const resolvePath = actionPath(text, 'Resolve');
      expect(ackPath).not.toBe(resolvePath);

      const timeline = (await t.call('GET', `/api/v1/incidents/${incident.id}/timeline`)).json.items;
      const notifications = timeline.filter((e: { kind: string }) => e.kind === 'notification');
      expect(notifications).toHaveLength(1);
      expect(notifications[0].text).toContain(responder.name);
      expect(notifications[0].data).toMatchObject({ user_id: responder.id, channel: 'email' });

      // Opening the link (a mail scanner may do this too) only shows a confirmation page.
      const page = await t.call('GET', ackPath, { token: null });
      expect(page.status, page.body).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.headers['cache-control']).toBe('no-store');
      expect(page.body).toContain(`Acknowledge incident #${incident.number}?`);
      expect(page.body).toContain('<form method="post">');
      expect((await t.call('GET', `/api/v1/incidents/${incident.id}`)).json.status).toBe('triggered');

      // Pressing the button: the browser posts the empty form to the same URL.
      const confirmed = await t.call('POST', ackPath, {
        token: null,
        payload: '',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(confirmed.status).toBe(200);
      expect(confirmed.headers['content-type']).toContain('text/html');
      expect(confirmed.body).toContain(`Incident #${incident.number} is now acknowledged.`);
      const acked = (await t.call('GET', `/api/v1/incidents/${incident.id}`)).json;
      expect(acked.status).toBe('acknowledged');
      expect(acked.acknowledged_by).toBe(responder.id);
      const after = (await t.call('GET', `/api/v1/incidents/${incident.id}/timeline`)).json.items;
      const ackEntry = after.find((e: { kind: string }) => e.kind === 'status.acknowledged');
      expect(ackEntry.actor).toEqual({ type: 'user', id: responder.id, name: responder.name });
      const audit = await t.call('GET', `/api/v1/audit-log?target_id=${incident.id}`);
      expect(audit.json.items.map((e: { action: string }) => e.action)).toContain('incident.acknowledge');

      // Using the link again is harmless.
      const twice = await t.call('POST', ackPath, { token: null });
      expect(twice.status).toBe(200);
      expect(twice.body).toContain('Nothing to do');

      // The resolve link resolves, as the same person.
      const resolved = await t.call('POST', resolvePath, { token: null });
      expect(resolved.status).toBe(200);
      const final = (await t.call('GET', `/api/v1/incidents/${incident.id}`)).json;
      expect(final).toMatchObject({ status: 'resolved', resolved_by: responder.id });
    });

    it('pages nobody when someone acknowledged before the page job ran', async () => {
      const { responder, key, service } = await teamWithPeople(t, 'quick');
      expect(
        (await t.call('POST', '/v2/enqueue', { token: null, body: trigger(key, 'fast-ack') })).status,
      ).toBe(202);
      const [incident] = (await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items;
      expect((await t.call('POST', `/api/v1/incidents/${incident.id}/acknowledge`)).status).toBe(200);
      await t.container.worker.drain();
      await t.container.worker.drain();
      expect(smtp.mails.filter((m) => m.to.includes(responder.email))).toHaveLength(0);
      const timeline = (await t.call('GET', `/api/v1/incidents/${incident.id}/timeline`)).json.items;
      expect(timeline.filter((e: { kind: string }) => e.kind === 'notification')).toHaveLength(0);
    });

    it('rejects a tampered or forged link with 400 INCIDENTS_ACTION_LINK_INVALID', async () => {
      const { responder, key, service } = await teamWithPeople(t, 'b');
      await t.call('POST', '/v2/enqueue', { token: null, body: trigger(key, 'tamper') });
      await t.container.worker.drain();
      await t.container.worker.drain();
      const mail = smtp.mails.find((m) => m.to.includes(responder.email));
      expect(mail).toBeDefined();
      const ackPath = actionPath(mailText(mail!.raw), 'Acknowledge');
      const token = ackPath.split('/').at(-1)!;
      const [body, mac] = token.split('.') as [string, string];

      // Claims changed to another action (resolve) with the old signature.
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      const forged = Buffer.from(JSON.stringify({ ...claims, a: 'resolve' })).toString('base64url');
      const flipped = `${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`;
      for (const bad of [`${forged}.${mac}`, `${body}.${flipped}`, `${body}.`, 'not-a-token-at-all']) {
        for (const method of ['GET', 'POST']) {
          const res = await t.call(method, `/incident-actions/${bad}`, { token: null });
          expect(res.status, `${method} ${bad.slice(0, 20)}`).toBe(400);
          expect(res.headers['content-type']).toContain('application/problem+json');
          expect(res.json.code, res.body).toBe('INCIDENTS_ACTION_LINK_INVALID');
        }
      }
      const [incident] = (await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items;
      expect(incident).toMatchObject({ status: 'triggered', acknowledged_at: null });
    });
  });

  describe(`paging without SMTP [${engine}]`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(engine);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('records on the timeline that nobody was paged', async () => {
      const { key, service } = await teamWithPeople(t, 'c');
      await t.call('POST', '/v2/enqueue', { token: null, body: trigger(key, 'no-smtp') });
      await t.container.worker.drain();
      const [incident] = (await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items;
      const timeline = (await t.call('GET', `/api/v1/incidents/${incident.id}/timeline`)).json.items;
      const notifications = timeline.filter((e: { kind: string }) => e.kind === 'notification');
      expect(notifications).toHaveLength(1);
      expect(notifications[0].text).toMatch(/nobody was paged/i);
      expect(notifications[0].actor).toMatchObject({ type: 'system', name: 'engops' });
      const sentNotifications = await t.container.db.selectFrom('notifications').select('id').execute();
      expect(sentNotifications).toHaveLength(0);
    });
  });
}
