import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { m0017OncallPageReopen } from '../../db/migrations/0017-oncall-page-reopen.ts';
import { fixedClock } from '../../platform/clock.ts';
import { startReceiver, startSmtp } from './oncall-test-support.ts';

/**
 * A reopened incident escalates again from level 1 under its escalation policy (not the incidents
 * module's email fallback), level 2 follows after its delay, a step job left over from before the
 * resolve pages nobody, and acknowledge still stops escalation. Real receivers on 127.0.0.1 (SMTP
 * for ann's account email, HTTP for bob's verified webhook); the clock is injected.
 */
for (const engine of ENGINES) {
  describe(`a reopened incident escalates again from level 1 [${engine}]`, () => {
    const clock = fixedClock('2026-06-01T10:00:00Z');
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let hooks: Awaited<ReturnType<typeof startReceiver>>;
    let t: TestApp;

    beforeAll(async () => {
      smtp = await startSmtp();
      hooks = await startReceiver();
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
      await hooks?.close();
    });

    const drain = async () => {
      for (let i = 0; i < 3; i++) await t.container.worker.drain();
    };
    const mailsTo = (email: string) => smtp.mails.filter((m) => m.to.includes(email));
    const pagesTo = (path: string) =>
      hooks.received.filter((r) => r.path === path && r.body.data.kind === 'page');
    const at = (seconds: number) => clock.set(new Date(Date.parse('2026-06-01T10:00:00Z') + seconds * 1000));

    it('pages level 1 again after a reopen, then level 2 after its delay; the old step job pages nobody', async () => {
      const team = (await t.call('POST', '/api/v1/teams', { body: { name: 'Ledger', time_zone: 'UTC' } }))
        .json;
      const service = (
        await t.call('POST', '/api/v1/services', { body: { name: 'ledger-api', team_id: team.id } })
      ).json;
      const person = async (name: string) => {
        const user = (
          await t.call('POST', '/api/v1/users', { body: { email: `${name}@ledger.test`, name, role: null } })
        ).json;
        // Team responders: the incidents module's email fallback would reach them too.
        await t.call('POST', `/api/v1/teams/${team.id}/members`, {
          body: { user_id: user.id, role: 'responder' },
        });
        return user.id as string;
      };
      const ann = await person('ann');
      const bob = await person('bob');
      const hook = await t.call('POST', `/api/v1/users/${bob}/contact-methods`, {
        body: { type: 'webhook', address: hooks.url('/bob') },
      });
      expect(hook.status).toBe(201);
      await drain();
      const code = hooks.received.find((r) => r.path === '/bob')?.body.data.code;
      const verified = await t.call('POST', `/api/v1/users/${bob}/contact-methods/${hook.json.id}/verify`, {
        body: { code: String(code) },
      });
      expect(verified.json.verified).toBe(true);
      const policy = await t.call('POST', '/api/v1/escalation-policies', {
        body: {
          name: 'Ledger',
          team_id: team.id,
          repeat: 1,
          levels: [
            { delay_seconds: 300, targets: [{ type: 'user', id: ann }] },
            { delay_seconds: 300, targets: [{ type: 'user', id: bob }] },
          ],
        },
      });
      expect(policy.status).toBe(201);
      await t.call('PATCH', `/api/v1/services/${service.id}`, {
        body: { escalation_policy_id: policy.json.id },
      });

      // Triggered: level 1 (ann) at once; level 2 is due at +300 s.
      const incident = (
        await t.call('POST', '/api/v1/incidents', {
          body: { service_id: service.id, title: 'Ledger stuck', severity: 'SEV1' },
        })
      ).json;
      await drain();
      expect(mailsTo('ann@ledger.test')).toHaveLength(1);
      expect(pagesTo('/bob')).toHaveLength(0);

      // Resolved at +60 s, reopened at +120 s: level 1 again, from the policy.
      at(60);
      expect((await t.call('POST', `/api/v1/incidents/${incident.id}/resolve`)).status).toBe(200);
      await drain();
      at(120);
      expect((await t.call('POST', `/api/v1/incidents/${incident.id}/reopen`)).status).toBe(200);
      await drain();
      const annMails = mailsTo('ann@ledger.test');
      expect(annMails).toHaveLength(2);
      expect(annMails[1]?.raw).toContain('Escalation: Ledger, level 1 after reopen 1, via user');
      expect(annMails[1]?.raw).toContain('(reopened)');
      // Not the fallback: bob's account email (the team's other responder) got nothing.
      expect(mailsTo('bob@ledger.test')).toHaveLength(0);
      expect(pagesTo('/bob')).toHaveLength(0);

      // +300 s: the level-2 job of the first trigger, left over from before the resolve, pages nobody.
      at(300);
      await drain();
      expect(pagesTo('/bob')).toHaveLength(0);
      const leftover = await t.container.db
        .selectFrom('jobs')
        .select(['status', 'payload'])
        .where('dedupe_key', '=', `escalate:${incident.id}:0:1`)
        .executeTakeFirstOrThrow();
      expect(leftover.status).toBe('done');
      expect(JSON.parse(leftover.payload)).toMatchObject({ step: 1, round: 0, reopen: 0 });

      // The reopen's level 2 is due at +420 s: not early, then bob by webhook.
      at(419);
      await drain();
      expect(pagesTo('/bob')).toHaveLength(0);
      at(420);
      await drain();
      expect(pagesTo('/bob').map((r) => r.body.data)).toEqual([
        expect.objectContaining({ escalation_level: 2, round: 0, reopen: 1, incident_id: incident.id }),
      ]);
      expect(mailsTo('ann@ledger.test')).toHaveLength(2);

      // Acknowledged: the repeat of level 1 (due at +720 s) pages nobody.
      at(500);
      expect((await t.call('POST', `/api/v1/incidents/${incident.id}/acknowledge`)).status).toBe(200);
      at(1_000);
      await drain();
      expect(mailsTo('ann@ledger.test')).toHaveLength(2);
      expect(pagesTo('/bob')).toHaveLength(1);

      const pages = await t.container.db
        .selectFrom('oncall_pages')
        .select(['reopen', 'round', 'step', 'user_id', 'at'])
        .where('incident_id', '=', incident.id)
        .orderBy('at')
        .execute();
      expect(pages.map((p) => [Number(p.reopen), Number(p.round), Number(p.step), p.user_id, p.at])).toEqual([
        [0, 0, 0, ann, '2026-06-01T10:00:00.000Z'],
        [1, 0, 0, ann, '2026-06-01T10:02:00.000Z'],
        [1, 0, 1, bob, '2026-06-01T10:07:00.000Z'],
      ]);
      const timeline = (await t.call('GET', `/api/v1/incidents/${incident.id}/timeline`)).json
        .items as Array<{
        kind: string;
        text: string;
      }>;
      expect(timeline.filter((e) => e.kind === 'notification').map((e) => e.text)).toEqual([
        'Paged ann by email (escalation level 1, via user)',
        'Paged ann by email (escalation level 1, via user, reopen 1)',
        'Paged bob by webhook (escalation level 2, via user, reopen 1)',
      ]);
    });

    it('a step job run twice within a reopen pages nobody twice', async () => {
      const team = (await t.call('POST', '/api/v1/teams', { body: { name: 'Vault', time_zone: 'UTC' } }))
        .json;
      const service = (
        await t.call('POST', '/api/v1/services', { body: { name: 'vault-api', team_id: team.id } })
      ).json;
      const users = [];
      for (const name of ['cy', 'di']) {
        users.push(
          (await t.call('POST', '/api/v1/users', { body: { email: `${name}@vault.test`, name, role: null } }))
            .json.id as string,
        );
      }
      const policy = await t.call('POST', '/api/v1/escalation-policies', {
        body: {
          name: 'Vault',
          team_id: team.id,
          levels: [
            { delay_seconds: 60, targets: [{ type: 'user', id: users[0] }] },
            { delay_seconds: 60, targets: [{ type: 'user', id: users[1] }] },
          ],
        },
      });
      await t.call('PATCH', `/api/v1/services/${service.id}`, {
        body: { escalation_policy_id: policy.json.id },
      });
      const start = clock.now().getTime();
      const incident = (
        await t.call('POST', '/api/v1/incidents', {
          body: { service_id: service.id, title: 'Vault sealed', severity: 'SEV2' },
        })
      ).json;
      await drain();
      await t.call('POST', `/api/v1/incidents/${incident.id}/resolve`);
      await t.call('POST', `/api/v1/incidents/${incident.id}/reopen`);
      await drain();
      expect(mailsTo('cy@vault.test')).toHaveLength(2);
      // The reopen's level-2 job, there twice (as after a crash before its completion was recorded).
      const job = await t.container.db
        .selectFrom('jobs')
        .selectAll()
        .where('dedupe_key', '=', `escalate:${incident.id}:reopen:1:0:1`)
        .executeTakeFirstOrThrow();
      await t.container.db
        .insertInto('jobs')
        .values({ ...job, id: `${job.id}x`, dedupe_key: null })
        .execute();
      clock.set(new Date(start + 60_000));
      await drain();
      expect(mailsTo('di@vault.test')).toHaveLength(1);
      expect(mailsTo('di@vault.test')[0]?.raw).toContain('level 2 after reopen 1');
    });

    it('migration 0017 goes down (dropping the pages of reopens) and up again (existing pages reopen 0)', async () => {
      const pages = async () =>
        (
          await t.container.db.selectFrom('oncall_pages').select(['id', 'reopen']).orderBy('id').execute()
        ).map((p) => ({ id: p.id, reopen: Number(p.reopen) }));
      const before = await pages();
      // Two incidents, each paged at levels 1 and 2 after reopen 1, and level 1 at its first trigger.
      expect(before.map((p) => p.reopen).sort()).toEqual([0, 0, 1, 1, 1, 1]);
      const db = t.container.db as unknown as Kysely<unknown>;
      const { up, down } = m0017OncallPageReopen;
      if (!down) throw new Error('migration 0017 has no down');
      await down(db);
      await up(db);
      expect(await pages()).toEqual(before.filter((p) => p.reopen === 0));
    });
  });
}
