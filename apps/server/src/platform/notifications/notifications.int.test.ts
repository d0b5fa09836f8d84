import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { startSmtp } from '../../../../../test-support/smtp.ts';
import { fixedClock } from '../clock.ts';
import { backoffMs, claimDueJobs } from '../jobs.ts';
import { REPEAT_NOTE, signWebhook } from './channels.ts';
import { DELIVER_JOB } from './notifications-service.ts';

const START = '2025-04-01T12:00:00.000Z';

/** The header section of a raw RFC 5322 message, unfolded, as name (lower case) -> value. */
function mailHeaders(raw: string): Map<string, string> {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on 127.0.0.1 answering the n-th request (from 0) with status(n). */
async function startReceiver(status: (n: number) => number = () => 200) {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const n = requests.length;
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const code = status(n);
      res.writeHead(code, { 'content-type': 'text/plain' }).end(code < 300 ? 'ok' : `nope ${n}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/engops`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

for (const engine of ENGINES) {
  describe(`notifications [${engine}]`, () => {
    const clock = fixedClock(START);
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let t: TestApp;
    const receivers: Array<{ close(): Promise<void> }> = [];

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
    afterEach(async () => {
      await Promise.all(receivers.splice(0).map((r) => r.close()));
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
    });

    async function receiver(status?: (n: number) => number) {
      const r = await startReceiver(status);
      receivers.push(r);
      return r;
    }
    const notificationCount = async () =>
      (await t.container.db.selectFrom('notifications').select('id').execute()).length;

    it('sends email through SMTP and logs it as delivered', async () => {
      const sent = await t.call('POST', '/api/v1/notifications', {
        body: {
          channel: 'email',
          target: 'oncall@example.test',
          subject: 'Disk full on db-1',
          text: 'The data volume of db-1 is at 98%.',
        },
      });
      expect(sent.status).toBe(202);
      expect(sent.json).toMatchObject({
        channel: 'email',
        target: 'oncall@example.test',
        subject: 'Disk full on db-1',
        status: 'pending',
        attempts: 0,
        delivered_at: null,
        source: expect.stringMatching(/^manual:/),
      });
      const id: string = sent.json.id;
      expect(id).toMatch(/^ntf_/);
      expect(smtp.mails).toHaveLength(0);

      expect(await t.container.worker.drain()).toBe(1);

      expect(smtp.mails).toHaveLength(1);
      const mail = smtp.mails[0]!;
      expect(mail.to).toEqual(['oncall@example.test']);
      expect(mail.from).toBe('engops@example.test');
      const headers = mailHeaders(mail.raw);
      expect(headers.get('subject')).toBe('Disk full on db-1');
      expect(headers.get('to')).toBe('oncall@example.test');
      expect(headers.get('x-engops-notification')).toBe(id);
      expect(mail.raw).toContain('The data volume of db-1 is at 98%.');

      const list = await t.call('GET', '/api/v1/notifications?channel=email');
      expect(list.status).toBe(200);
      expect(list.json.items).toEqual([
        expect.objectContaining({
          id,
          status: 'delivered',
          attempts: 1,
          last_error: null,
          delivered_at: START,
        }),
      ]);
      const one = await t.call('GET', `/api/v1/notifications/${id}`);
      expect(one.json).toMatchObject({ id, status: 'delivered', attempts: 1 });
      expect((await t.call('GET', '/api/v1/notifications/ntf_missing')).status).toBe(404);
      const delivered = await t.call('GET', '/api/v1/notifications?status=delivered');
      expect(delivered.json.items.map((n: { id: string }) => n.id)).toContain(id);
    });

    it('posts a webhook with an HMAC-SHA256 signature over "<timestamp>.<body>"', async () => {
      const hook = await receiver();
      const secret = 'whsec-test-3f9a';
      const sent = await t.call('POST', '/api/v1/notifications', {
        body: {
          channel: 'webhook',
          target: hook.url,
          subject: 'Deploy finished',
          text: 'checkout-api 1.4.2 is live',
          webhook_secret: secret,
        },
      });
      expect(sent.status).toBe(202);
      expect(sent.body).not.toContain(secret);
      const id: string = sent.json.id;

      expect(await t.container.worker.drain()).toBe(1);
      expect(hook.requests).toHaveLength(1);
      const req = hook.requests[0]!;
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/hooks/engops');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['x-engops-delivery']).toBe(id);
      const body = JSON.parse(req.body);
      expect(body).toEqual({
        id,
        subject: 'Deploy finished',
        text: 'checkout-api 1.4.2 is live',
        data: {},
        sent_at: expect.any(String),
      });

      const timestamp = String(req.headers['x-engops-timestamp']);
      expect(timestamp).toMatch(/^\d{10}$/);
      const signature = String(req.headers['x-engops-signature']);
      // What a receiver does: recompute with the shared secret and compare in constant time.
      const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${req.body}`).digest('hex')}`;
      expect(signature).toBe(expected);
      expect(timingSafeEqual(Buffer.from(signature), Buffer.from(expected))).toBe(true);
      expect(signWebhook(secret, timestamp, req.body)).toBe(signature);
      expect(signWebhook('another-secret', timestamp, req.body)).not.toBe(signature);
      expect(signWebhook(secret, timestamp, `${req.body} `)).not.toBe(signature);

      const one = await t.call('GET', `/api/v1/notifications/${id}`);
      expect(one.json).toMatchObject({ status: 'delivered', attempts: 1 });
      expect(one.body).not.toContain(secret);
    });

    it('posts a webhook without a signature header when no secret is given', async () => {
      const hook = await receiver();
      const sent = await t.call('POST', '/api/v1/notifications', {
        body: { channel: 'webhook', target: hook.url, subject: 'Unsigned' },
      });
      expect(sent.status).toBe(202);
      expect(await t.container.worker.drain()).toBe(1);
      expect(hook.requests).toHaveLength(1);
      expect(hook.requests[0]!.headers['x-engops-signature']).toBeUndefined();
      expect(JSON.parse(hook.requests[0]!.body)).toMatchObject({
        id: sent.json.id,
        subject: 'Unsigned',
        text: '',
      });
    });

    it('posts Slack incoming-webhook JSON with the subject in the text', async () => {
      const slack = await receiver();
      const sent = await t.call('POST', '/api/v1/notifications', {
        body: { channel: 'slack', target: slack.url, subject: 'SEV-2 opened', text: 'Checkout errors at 5%' },
      });
      expect(sent.status).toBe(202);
      expect(await t.container.worker.drain()).toBe(1);
      expect(slack.requests).toHaveLength(1);
      const body = JSON.parse(slack.requests[0]!.body) as { text: string };
      expect(body.text).toContain('SEV-2 opened');
      expect(body.text).toContain('Checkout errors at 5%');
      expect((await t.call('GET', `/api/v1/notifications/${sent.json.id}`)).json.status).toBe('delivered');
    });

    it('retries a failing receiver with backoff and logs the delivery after the third attempt', async () => {
      const hook = await receiver((n) => (n < 2 ? 500 : 200));
      const sent = await t.call('POST', '/api/v1/notifications', {
        body: { channel: 'webhook', target: hook.url, subject: 'Retry me' },
      });
      const id: string = sent.json.id;

      expect(await t.container.worker.drain()).toBe(1);
      let state = (await t.call('GET', `/api/v1/notifications/${id}`)).json;
      expect(state).toMatchObject({ status: 'pending', attempts: 1, delivered_at: null });
      expect(state.last_error).toMatch(/HTTP 500/);
      // Not due again until the backoff has passed.
      expect(await t.container.worker.drain()).toBe(0);
      expect(hook.requests).toHaveLength(1);

      clock.advance(backoffMs(1));
      expect(await t.container.worker.drain()).toBe(1);
      state = (await t.call('GET', `/api/v1/notifications/${id}`)).json;
      expect(state).toMatchObject({ status: 'pending', attempts: 2 });

      clock.advance(backoffMs(2));
      expect(await t.container.worker.drain()).toBe(1);
      state = (await t.call('GET', `/api/v1/notifications/${id}`)).json;
      expect(state).toMatchObject({
        status: 'delivered',
        attempts: 3,
        last_error: null,
        delivered_at: clock.now().toISOString(),
      });
      expect(hook.requests.map((r) => r.headers['x-engops-delivery'])).toEqual([id, id, id]);
    });

    it('marks a delivery failed with its last error once every attempt failed', async () => {
      const hook = await receiver(() => 410);
      const sent = await t.call('POST', '/api/v1/notifications', {
        body: { channel: 'slack', target: hook.url, subject: 'Nobody listens' },
      });
      const id: string = sent.json.id;
      const job = await t.container.db
        .selectFrom('jobs')
        .selectAll()
        .where('id', '=', await jobIdOf(id))
        .executeTakeFirstOrThrow();
      expect(job.kind).toBe('notification.deliver');
      for (let attempt = 1; attempt <= job.max_attempts; attempt++) {
        expect(await t.container.worker.drain()).toBe(1);
        clock.advance(backoffMs(attempt));
      }
      expect(await t.container.worker.drain()).toBe(0);
      expect(hook.requests).toHaveLength(job.max_attempts);
      const state = (await t.call('GET', `/api/v1/notifications/${id}`)).json;
      expect(state).toMatchObject({ status: 'failed', attempts: job.max_attempts, delivered_at: null });
      expect(state.last_error).toMatch(/HTTP 410/);
      const failed = await t.call('GET', '/api/v1/notifications?status=failed');
      expect(failed.json.items.map((n: { id: string }) => n.id)).toEqual([id]);
    });

    it('lets viewers neither read nor send, managers read but not send, and writes nothing when refused', async () => {
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Notify team', time_zone: 'UTC' } });
      expect(team.status).toBe(201);
      const viewer = await t.tokenFor('viewer');
      const manager = await t.tokenFor('manager');
      const responder = await t.tokenFor('responder');
      const teamManager = await t.tokenFor('manager', team.json.id);
      const body = { channel: 'webhook', target: 'http://127.0.0.1:9/never', subject: 'Refused' };
      const before = await notificationCount();

      expect((await t.call('GET', '/api/v1/notifications', { token: viewer })).status).toBe(403);
      expect((await t.call('POST', '/api/v1/notifications', { token: viewer, body })).status).toBe(403);
      const managerList = await t.call('GET', '/api/v1/notifications', { token: manager });
      expect(managerList.status).toBe(200);
      expect(managerList.json.items.length).toBe(before);
      const managerSend = await t.call('POST', '/api/v1/notifications', { token: manager, body });
      expect(managerSend.status).toBe(403);
      expect(managerSend.json.code).toBe('AUTH_FORBIDDEN');
      for (const token of [responder, teamManager]) {
        expect((await t.call('POST', '/api/v1/notifications', { token, body })).status).toBe(403);
      }
      // The delivery log is org-wide: a manager of one team may not read it.
      expect((await t.call('GET', '/api/v1/notifications', { token: teamManager })).status).toBe(403);
      expect((await t.call('GET', '/api/v1/notifications', { token: null })).status).toBe(401);
      expect((await t.call('POST', '/api/v1/notifications', { token: null, body })).status).toBe(401);

      const bad = await t.call('POST', '/api/v1/notifications', { body: { ...body, channel: 'pager' } });
      expect(bad.status).toBe(400);
      expect(bad.json.errors.map((e: { path: string }) => e.path)).toContain('body.channel');
      // Targets that could never be delivered to are refused up front, not retried.
      for (const wrong of [
        { channel: 'webhook', target: 'not a url' },
        { channel: 'slack', target: 'ftp://127.0.0.1/hook' },
        { channel: 'email', target: 'a@example.test, b@example.test' },
        { channel: 'email', target: 'nobody' },
      ]) {
        const res = await t.call('POST', '/api/v1/notifications', { body: { ...wrong, subject: 'x' } });
        expect(res.status).toBe(400);
        expect(res.json.code).toBe('HTTP_VALIDATION_FAILED');
        expect(res.json.errors).toEqual([{ path: 'body.target', message: expect.any(String) }]);
      }

      expect(await notificationCount()).toBe(before);
      expect(await t.container.worker.drain()).toBe(0);
    });

    it('audits every send, without the webhook secret', async () => {
      const audit = await t.call('GET', '/api/v1/audit-log?action=notification.&limit=200');
      expect(audit.status).toBe(200);
      const ids = (await t.container.db.selectFrom('notifications').select('id').execute()).map((r) => r.id);
      expect(ids.length).toBeGreaterThan(0);
      const entries = audit.json.items as Array<{ action: string; target_id: string; target_type: string }>;
      expect(entries.every((e) => e.action === 'notification.send' && e.target_type === 'notification')).toBe(
        true,
      );
      expect(new Set(entries.map((e) => e.target_id))).toEqual(new Set(ids));
      expect(audit.body).not.toContain('whsec-test-3f9a');
      const email = entries.find((e) => e.target_id === ids.sort()[0]) as unknown as { after: unknown };
      expect(email.after).toEqual({
        channel: 'email',
        target: 'oncall@example.test',
        subject: 'Disk full on db-1',
      });
    });

    it('re-sends a delivery its server left mid-send under the same id, marked as a possible repeat', async () => {
      const slack = await receiver();
      const ids: string[] = [];
      for (const body of [
        { channel: 'email', target: 'oncall@example.test', subject: 'Maybe twice', text: 'Body text.' },
        { channel: 'slack', target: slack.url, subject: 'Maybe twice', text: 'Body text.' },
      ]) {
        const sent = await t.call('POST', '/api/v1/notifications', { body });
        expect(sent.status).toBe(202);
        ids.push(sent.json.id);
      }
      // What a server that died while sending leaves: its claim (lease) on the job and the
      // delivery marked as sending by its attempt.
      const claimed = await claimDueJobs(t.container.db, engine, 'a-server-that-died', clock.now(), 10, [
        DELIVER_JOB,
      ]);
      expect(claimed).toHaveLength(2);
      await t.container.db
        .updateTable('notifications')
        .set({ status: 'sending', attempts: 1 })
        .where('id', 'in', ids)
        .execute();
      const mailsBefore = smtp.mails.length;
      expect(await t.container.worker.drain()).toBe(0); // the lease still holds
      clock.advance(60_001);
      expect(await t.container.worker.drain()).toBe(2);

      const mail = smtp.mails.slice(mailsBefore).find((m) => m.raw.includes('Maybe twice'))!;
      const headers = mailHeaders(mail.raw);
      expect(headers.get('message-id')).toBe(`<${ids[0]}@engops>`);
      expect(headers.get('x-engops-notification')).toBe(ids[0]);
      expect(headers.get('x-engops-redelivery')).toBe('true');
      expect(mail.text).toContain(`${REPEAT_NOTE}\r\n\r\nBody text.`);
      expect(JSON.parse(slack.requests[0]!.body)).toEqual({
        text: `_${REPEAT_NOTE}_\n*Maybe twice*\nBody text.`,
        mrkdwn: true,
      });
      for (const id of ids)
        expect((await t.call('GET', `/api/v1/notifications/${id}`)).json).toMatchObject({
          status: 'delivered',
          attempts: 2,
        });
    });

    async function jobIdOf(notificationId: string): Promise<string> {
      const row = await t.container.db
        .selectFrom('notifications')
        .select('job_id')
        .where('id', '=', notificationId)
        .executeTakeFirstOrThrow();
      return row.job_id ?? '';
    }
  });

  describe(`notifications without SMTP [${engine}]`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(engine);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('refuses email with 409 NOTIFICATIONS_CHANNEL_NOT_CONFIGURED and writes nothing', async () => {
      const res = await t.call('POST', '/api/v1/notifications', {
        body: { channel: 'email', target: 'oncall@example.test', subject: 'Nowhere to go' },
      });
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json.code).toBe('NOTIFICATIONS_CHANNEL_NOT_CONFIGURED');
      expect((await t.call('GET', '/api/v1/notifications')).json.items).toEqual([]);
      expect(await t.container.db.selectFrom('jobs').selectAll().execute()).toEqual([]);
      expect((await t.call('GET', '/api/v1/audit-log?action=notification.')).json.items).toEqual([]);
    });
  });
}
