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
import { ESCALATION_STEP_JOB } from './oncall-service.ts';
import { startSmtp } from './oncall-test-support.ts';

/**
 * Escalation steps are durable jobs: one server stops in the middle of an escalation and another,
 * on the same database, carries on at the right time; two servers running at once never page
 * twice for one step (a step job run twice, as after a crash between its effect and its record,
 * pages nobody again) and skip none. The clock is injected, shared by both servers.
 */
for (const engine of ENGINES) {
  describe(`escalation survives a restart and a second server [${engine}]`, () => {
    const clock = fixedClock('2026-05-04T08:00:00Z');
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let database: TestDatabase;
    let token = '';
    const servers: Array<{ app: FastifyInstance; container: Container }> = [];

    async function start(first = false) {
      const config = testConfig({
        ENGOPS_SMTP_HOST: '127.0.0.1',
        ENGOPS_SMTP_PORT: String(smtp.port),
        ENGOPS_SMTP_FROM: 'engops <engops@example.test>',
      });
      const container = createContainer(config, {
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
    async function stop(server: { app: FastifyInstance; container: Container }) {
      await server.app.close();
      await server.container.close();
      servers.splice(servers.indexOf(server), 1);
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
    const mails = (to: string) => smtp.mails.filter((m) => m.to.includes(to)).length;

    beforeAll(async () => {
      smtp = await startSmtp();
      database = await createTestDatabase(engine);
    });
    afterAll(async () => {
      for (const s of [...servers]) await stop(s);
      await database?.drop();
      await smtp?.close();
    });

    it('resumes on time after a restart, and two servers page each step exactly once', async () => {
      const a = await start(true);
      const team = (await call(a, 'POST', '/api/v1/teams', { name: 'Core', time_zone: 'UTC' })).json.id;
      const service = (await call(a, 'POST', '/api/v1/services', { name: 'core-api', team_id: team })).json
        .id;
      const user = async (name: string) =>
        (await call(a, 'POST', '/api/v1/users', { email: `${name}@core.test`, name, role: null })).json
          .id as string;
      const ann = await user('ann');
      const bob = await user('bob');
      const policy = await call(a, 'POST', '/api/v1/escalation-policies', {
        name: 'Core',
        team_id: team,
        repeat: 1,
        levels: [
          { delay_seconds: 300, targets: [{ type: 'user', id: ann }] },
          { delay_seconds: 300, targets: [{ type: 'user', id: bob }] },
        ],
      });
      expect(
        (await call(a, 'PATCH', `/api/v1/services/${service}`, { escalation_policy_id: policy.json.id }))
          .status,
      ).toBe(200);
      const incident = await call(a, 'POST', '/api/v1/incidents', {
        service_id: service,
        title: 'Core down',
        severity: 'SEV1',
      });
      expect(incident.status).toBe(201);
      const drain = async (...list: Array<{ container: Container }>) => {
        for (let i = 0; i < 3; i++) await Promise.all(list.map((s) => s.container.worker.drain()));
      };
      await drain(a);
      expect([mails('ann@core.test'), mails('bob@core.test')]).toEqual([1, 0]);

      // Server A stops with level 2 due in five minutes; B starts on the same database.
      await stop(a);
      clock.advance(299_000);
      const b = await start();
      await drain(b);
      expect(mails('bob@core.test')).toBe(0); // not early
      clock.advance(1_000);
      await drain(b);
      expect([mails('ann@core.test'), mails('bob@core.test')]).toEqual([1, 1]);

      // A second server joins. The repeat of level 1 is due; its job is also there twice, as if a
      // server had died after paging but before recording the job as done.
      const c = await start();
      const due = await b.container.db
        .selectFrom('jobs')
        .selectAll()
        .where('kind', '=', ESCALATION_STEP_JOB)
        .where('status', '=', 'pending')
        .execute();
      expect(due).toHaveLength(1);
      const job = due[0]!;
      expect(JSON.parse(job.payload)).toMatchObject({ step: 0, round: 1 });
      await b.container.db
        .insertInto('jobs')
        .values({ ...job, id: `${job.id}x`, dedupe_key: null })
        .execute();
      clock.advance(300_000);
      // PostgreSQL: both servers drain at once. SQLite: one writer at a time, so in turn.
      if (engine === 'postgres') await drain(b, c);
      else {
        await drain(c);
        await drain(b);
      }
      expect([mails('ann@core.test'), mails('bob@core.test')]).toEqual([2, 1]);
      clock.advance(300_000);
      if (engine === 'postgres') await drain(b, c);
      else {
        await drain(b);
        await drain(c);
      }
      expect([mails('ann@core.test'), mails('bob@core.test')]).toEqual([2, 2]);
      clock.advance(3_600_000);
      await drain(b);
      expect([mails('ann@core.test'), mails('bob@core.test')]).toEqual([2, 2]);

      // Every step once, none skipped; both duplicate step jobs ended done.
      const pages = await c.container.db
        .selectFrom('oncall_pages')
        .select(['round', 'step', 'user_id', 'at'])
        .where('incident_id', '=', incident.json.id)
        .orderBy('at')
        .orderBy('round')
        .orderBy('step')
        .execute();
      expect(pages.map((p) => [Number(p.round), Number(p.step), p.user_id, p.at])).toEqual([
        [0, 0, ann, '2026-05-04T08:00:00.000Z'],
        [0, 1, bob, '2026-05-04T08:05:00.000Z'],
        [1, 0, ann, '2026-05-04T08:10:00.000Z'],
        [1, 1, bob, '2026-05-04T08:15:00.000Z'],
      ]);
      const jobs = await c.container.db
        .selectFrom('jobs')
        .select(['status'])
        .where('kind', '=', ESCALATION_STEP_JOB)
        .execute();
      expect(jobs.map((j) => j.status)).toEqual(['done', 'done', 'done', 'done']);
      const timeline = (
        await call(c, 'GET', `/api/v1/incidents/${incident.json.id}/timeline`)
      ).json.items.map((e: { text: string }) => e.text);
      expect(timeline.filter((x: string) => x.startsWith('Paged'))).toHaveLength(4);
      expect(timeline).toContain('Escalation policy Core has no further levels');
    });
  });
}
