import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  ENGINES,
  type TestDatabase,
  testConfig,
} from '../../../../../test-support/engines.ts';
import { buildApp } from '../../app.ts';
import { type Container, createContainer } from '../../container.ts';
import { createDatabase } from '../../db/database.ts';
import { systemPrincipal } from '../../platform/access/permissions.ts';
import { fixedClock } from '../../platform/clock.ts';
import { createLogger } from '../../platform/logger.ts';
import { DELIVER_JOB } from '../../platform/notifications/notifications-service.ts';
import { NOTIFY_RULE_JOB } from './oncall-service.ts';

interface Post {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: { id: string; possible_repeat?: boolean; data: Record<string, unknown> };
}

/**
 * A webhook receiver on 127.0.0.1 that keeps every request. With `hold` set, the next page it
 * receives is kept unanswered until `release` (its sender's server "dies" after sending).
 */
async function startHoldingReceiver() {
  const posts: Post[] = [];
  let hold = false;
  let held: http.ServerResponse | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Post['body'];
      posts.push({ path: req.url ?? '/', headers: req.headers, body });
      if (hold && body.data.kind === 'page') {
        hold = false;
        held = res;
        return;
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    posts,
    holdNext: () => {
      hold = true;
    },
    held: () => held !== undefined,
    /** Answers the held request (500: the late answer must not overwrite the later attempt's outcome). */
    release: (status: number) => {
      held?.writeHead(status).end('late');
      held = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A page delivery is sent once per attempt and never silently twice. Server A sends a webhook page
 * and stops before it can record the outcome (the receiver never answers it); server B, on the same
 * database with A's lease run out, finds the delivery still marked as sending: it notes on the
 * incident's timeline that the page may have been sent already and sends it again under the same
 * delivery id (Idempotency-Key), marked as a possible repeat, so a receiver can drop it. A delayed
 * notification-rule job that runs again after a crash (its effect committed, its job not recorded
 * done) pages nobody again. The clock is injected and shared by both servers.
 */
for (const engine of ENGINES) {
  describe(`page deliveries survive a server dying mid-send [${engine}]`, () => {
    const clock = fixedClock('2026-05-04T08:00:00Z');
    let hooks: Awaited<ReturnType<typeof startHoldingReceiver>>;
    let database: TestDatabase;
    let token = '';
    const servers: Array<{ app: FastifyInstance; container: Container }> = [];

    async function start(first = false) {
      const container = createContainer(testConfig(), {
        database: first ? database.handle : createDatabase(database.config),
        clock,
        logger: createLogger('silent'),
        processMetrics: false,
      });
      await container.migrate();
      const app = await buildApp(container);
      await app.ready();
      if (first)
        token = (
          await container.access.service.createToken(
            { principal: systemPrincipal },
            { name: 't', role: 'admin' },
          )
        ).token;
      const server = { app, container };
      servers.push(server);
      return server;
    }
    async function call(server: { app: FastifyInstance }, method: string, url: string, body?: unknown) {
      const res = await server.app.inject({
        method: method as 'GET',
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { payload: JSON.stringify(body) } : {}),
      });
      return { status: res.statusCode, json: res.body ? JSON.parse(res.body) : undefined };
    }
    const drain = async (server: { container: Container }) => {
      for (let i = 0; i < 3; i++) await server.container.worker.drain();
    };

    beforeAll(async () => {
      hooks = await startHoldingReceiver();
      database = await createTestDatabase(engine);
    });
    afterAll(async () => {
      hooks?.release(500);
      for (const s of [...servers]) {
        await s.app.close();
        await s.container.close();
      }
      await database?.drop();
      await hooks?.close();
    });

    it('re-sends an interrupted page under the same id, says so on the timeline, and runs a rule once', async () => {
      const a = await start(true);
      const team = (await call(a, 'POST', '/api/v1/teams', { name: 'Core', time_zone: 'UTC' })).json.id;
      const service = (await call(a, 'POST', '/api/v1/services', { name: 'core-api', team_id: team })).json
        .id;
      const ann = (
        await call(a, 'POST', '/api/v1/users', { email: 'ann@core.test', name: 'Ann', role: null })
      ).json.id as string;
      const method = await call(a, 'POST', `/api/v1/users/${ann}/contact-methods`, {
        type: 'webhook',
        address: hooks.url('/ann'),
      });
      expect(method.status).toBe(201);
      await drain(a);
      const code = hooks.posts.find((p) => p.body.data.kind === 'contact-method-verification')?.body.data
        .code;
      expect(
        (await call(a, 'POST', `/api/v1/users/${ann}/contact-methods/${method.json.id}/verify`, { code }))
          .status,
      ).toBe(200);
      for (const delay of [0, 120])
        expect(
          (
            await call(a, 'POST', `/api/v1/users/${ann}/notification-rules`, {
              contact_method_id: method.json.id,
              delay_seconds: delay,
            })
          ).status,
        ).toBe(201);
      const policy = await call(a, 'POST', '/api/v1/escalation-policies', {
        name: 'Core',
        team_id: team,
        levels: [{ delay_seconds: 600, targets: [{ type: 'user', id: ann }] }],
      });
      await call(a, 'PATCH', `/api/v1/services/${service}`, { escalation_policy_id: policy.json.id });
      const pages = () => hooks.posts.filter((p) => p.body.data.kind === 'page');

      // A pages Ann by webhook; the receiver gets the page but A never records the outcome.
      hooks.holdNext();
      const incident = await call(a, 'POST', '/api/v1/incidents', {
        service_id: service,
        title: 'Core down',
        severity: 'SEV1',
      });
      expect(incident.status).toBe(201);
      const stuck = drain(a);
      for (let i = 0; i < 400 && !hooks.held(); i++) await new Promise((r) => setTimeout(r, 25));
      expect(hooks.held()).toBe(true);
      const first = pages()[0]!;
      const delivery = await a.container.db
        .selectFrom('notifications')
        .select(['id', 'status', 'attempts'])
        .where('id', '=', first.body.id)
        .executeTakeFirstOrThrow();
      expect([delivery.status, Number(delivery.attempts)]).toEqual(['sending', 1]);
      expect((await call(a, 'GET', `/api/v1/notifications/${delivery.id}`)).json.status).toBe('pending');

      // A's lease runs out; B takes the delivery over and sends it again, marked, under the same id.
      clock.advance(61_000);
      const b = await start();
      await drain(b);
      expect(pages()).toHaveLength(2);
      const [sent, again] = pages() as [Post, Post];
      expect(sent.headers['idempotency-key']).toBe(delivery.id);
      expect(sent.headers['x-engops-redelivery']).toBeUndefined();
      expect(sent.body.possible_repeat).toBeUndefined();
      expect(again.body.id).toBe(delivery.id);
      expect(again.headers['idempotency-key']).toBe(delivery.id);
      expect(again.headers['x-engops-delivery']).toBe(delivery.id);
      expect(again.headers['x-engops-redelivery']).toBe('true');
      expect(again.body.possible_repeat).toBe(true);
      expect(again.body.data).toEqual(sent.body.data);

      // A's late answer (500) changes nothing: the delivery stays delivered by B's attempt 2.
      hooks.release(500);
      await stuck;
      const after = await b.container.db
        .selectFrom('notifications')
        .select(['status', 'attempts', 'delivered_at'])
        .where('id', '=', delivery.id)
        .executeTakeFirstOrThrow();
      expect([after.status, Number(after.attempts), after.delivered_at]).toEqual([
        'delivered',
        2,
        '2026-05-04T08:01:01.000Z',
      ]);
      const deliverJob = await b.container.db
        .selectFrom('jobs')
        .select(['status', 'attempts'])
        .where('kind', '=', DELIVER_JOB)
        .where('payload', 'like', `%${delivery.id}%`)
        .executeTakeFirstOrThrow();
      expect([deliverJob.status, Number(deliverJob.attempts)]).toEqual(['done', 2]);

      // The rule's webhook after 120 s: sent once, and once more never, even when its job runs again
      // as after a crash between its commit and its record.
      clock.advance(59_000);
      await drain(b);
      expect(pages()).toHaveLength(3);
      expect(pages()[2]!.body.id).not.toBe(delivery.id);
      expect(pages()[2]!.headers['x-engops-redelivery']).toBeUndefined();
      const ruleJob = await b.container.db
        .selectFrom('jobs')
        .select(['id', 'status'])
        .where('kind', '=', NOTIFY_RULE_JOB)
        .executeTakeFirstOrThrow();
      expect(ruleJob.status).toBe('done');
      await b.container.db
        .updateTable('jobs')
        .set({
          status: 'running',
          lease_owner: 'a-server-that-died',
          lease_until: new Date(clock.now().getTime() - 1).toISOString(),
          finished_at: null,
        })
        .where('id', '=', ruleJob.id)
        .execute();
      clock.advance(1_000);
      await drain(b);
      expect(pages()).toHaveLength(3);
      const rerun = await b.container.db
        .selectFrom('jobs')
        .select(['status', 'attempts'])
        .where('id', '=', ruleJob.id)
        .executeTakeFirstOrThrow();
      expect([rerun.status, Number(rerun.attempts)]).toEqual(['done', 2]);
      const notifications = await b.container.db
        .selectFrom('notifications')
        .select(['status'])
        .where('source', '=', `incident:${incident.json.id}`)
        .execute();
      expect(notifications.map((n) => n.status)).toEqual(['delivered', 'delivered']);

      const timeline = (
        await call(b, 'GET', `/api/v1/incidents/${incident.json.id}/timeline`)
      ).json.items.map((e: { text: string }) => e.text) as string[];
      expect(timeline.filter((x) => x.startsWith('Paged Ann'))).toEqual([
        'Paged Ann by webhook (escalation level 1, via user)',
        'Paged Ann by webhook after 120 s (escalation level 1, via user)',
      ]);
      expect(timeline.filter((x) => x.includes('may have been sent already'))).toEqual([
        `The webhook page to ${hooks.url('/ann')} may have been sent already: a server stopped while sending it (attempt 1). Sending it again under the same delivery id ${delivery.id}, marked as a possible repeat`,
      ]);
    });
  });
}
