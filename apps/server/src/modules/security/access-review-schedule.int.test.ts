import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { fixedClock } from '../../platform/clock.ts';
import { REVIEW_SCHEDULE_JOB, scheduledCampaignId } from './index.ts';

/**
 * Scheduled access reviews on both engines with an injected clock: nothing before the due time,
 * exactly one campaign at it (even when the occurrence runs twice at once or the server restarts),
 * and the next one a quarter (the policy's 90 days) later; a campaign nobody closes is closed by its
 * policy a week after it was due.
 */
const START = '2026-01-05T09:00:00.000Z';
const DAY = 24 * 3600 * 1000;
const at = (days: number, minutes = 0) =>
  new Date(Date.parse(START) + days * DAY + minutes * 60_000).toISOString();

for (const engine of ENGINES) {
  describe(`scheduled access reviews [${engine}]`, () => {
    const clock = fixedClock(START);
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp(engine, { clock });
    });
    afterAll(async () => {
      await t?.close();
    });

    const campaigns = async () =>
      (await t.call('GET', '/api/v1/security/access-reviews')).json as Array<{
        id: string;
        name: string;
        status: string;
        close_policy: string;
        started_at: string;
        due_at: string;
        created_by: string;
        total: number;
      }>;
    const scheduleJobs = () =>
      t.container.db
        .selectFrom('jobs')
        .select(['run_at', 'status'])
        .where('kind', '=', REVIEW_SCHEDULE_JOB)
        .orderBy('run_at')
        .execute();

    it('opens one campaign per interval, never before it is due and never twice', async () => {
      const policy = (await t.call('GET', '/api/v1/policy')).json;
      expect(policy.policy.security).toMatchObject({
        access_review_interval_days: 90,
        access_review_scheduled: true,
        access_review_close_policy: 'keep',
      });

      // Start-up queues the first occurrence a period from now; a restart queues nothing more.
      await t.container.start();
      clock.set(at(0, 5));
      await t.container.start();
      expect(await scheduleJobs()).toEqual([{ run_at: at(90), status: 'pending' }]);

      // A minute before it is due: nothing.
      clock.set(at(90, -1));
      await t.container.worker.drain();
      expect(await campaigns()).toEqual([]);

      // The same occurrence queued a second time (a second worker's start, a replayed job) and run
      // at the same moment as the first: exactly one campaign.
      await t.container.jobs.enqueue(t.container.db, {
        kind: REVIEW_SCHEDULE_JOB,
        payload: { due_at: at(90) },
        runAt: new Date(at(90)),
        dedupeKey: 'test:second-copy-of-the-occurrence',
      });
      clock.set(at(90));
      await t.container.worker.drain();
      const first = await campaigns();
      expect(first).toHaveLength(1);
      expect(first[0]).toMatchObject({
        id: scheduledCampaignId(new Date(at(90))),
        name: `Scheduled access review ${at(90).slice(0, 10)}`,
        status: 'open',
        close_policy: 'keep',
        started_at: at(90),
        // The policy's access_review_duration_days (14).
        due_at: at(104),
        created_by: 'engops',
      });
      expect(first[0]!.total).toBeGreaterThan(0);
      expect(await scheduleJobs()).toEqual([
        { run_at: at(90), status: 'done' },
        { run_at: at(90), status: 'done' },
        { run_at: at(180), status: 'pending' },
      ]);

      // A restart in between neither opens nor queues anything.
      await t.container.start();
      clock.set(at(180, -1));
      await t.container.worker.drain();
      expect(await campaigns()).toHaveLength(1);

      // A quarter later: the next one, and the one after queued.
      clock.set(at(180));
      await t.container.worker.drain();
      const second = await campaigns();
      expect(second.map((c) => c.id).sort()).toEqual(
        [scheduledCampaignId(new Date(at(90))), scheduledCampaignId(new Date(at(180)))].sort(),
      );
      expect(second.find((c) => c.started_at === at(180))?.due_at).toBe(at(194));
      expect((await scheduleJobs()).filter((j) => j.status === 'pending')).toEqual([
        { run_at: at(270), status: 'pending' },
      ]);

      const audited = await t.container.db
        .selectFrom('audit_log')
        .select(['action', 'target_id'])
        .where('action', '=', 'security.access_review.start')
        .execute();
      expect(audited.map((a) => a.target_id).sort()).toEqual(second.map((c) => c.id).sort());
    });

    it('a campaign started by hand moves the schedule instead of adding another', async () => {
      clock.set(at(200));
      const manual = await t.call('POST', '/api/v1/security/access-reviews', {
        body: { name: 'Ad hoc review', close_policy: 'keep' },
      });
      expect(manual.status).toBe(201);
      clock.set(at(270));
      await t.container.worker.drain();
      const all = await campaigns();
      expect(all).toHaveLength(3);
      expect(all.filter((c) => c.started_at === at(270))).toEqual([]);
      expect((await scheduleJobs()).filter((j) => j.status === 'pending')).toEqual([
        { run_at: at(290), status: 'pending' },
      ]);
    });

    it('closes a campaign nobody closed by its policy a week after it was due', async () => {
      clock.set(at(300));
      const started = await t.call('POST', '/api/v1/security/access-reviews', {
        body: { name: 'Forgotten review', close_policy: 'keep' },
      });
      expect(started.json).toMatchObject({ status: 'open', due_at: at(314) });
      const id = started.json.id as string;
      // A campaign opened before engops closed them on its own has no close job: start-up adds it.
      const closeJob = () =>
        t.container.db
          .selectFrom('jobs')
          .select(['run_at', 'status'])
          .where('dedupe_key', '=', `access-review:${id}:close`)
          .execute();
      expect(await closeJob()).toEqual([{ run_at: at(321), status: 'pending' }]);
      await t.container.db.deleteFrom('jobs').where('dedupe_key', '=', `access-review:${id}:close`).execute();
      await t.container.start();
      await t.container.start();
      expect(await closeJob()).toEqual([{ run_at: at(321), status: 'pending' }]);
      // The escalation at the due date leaves it open; a minute before the week is up, still open.
      clock.set(at(321, -1));
      await t.container.worker.drain();
      expect((await t.call('GET', `/api/v1/security/access-reviews/${id}`)).json.status).toBe('open');
      clock.set(at(321));
      await t.container.worker.drain();
      const closed = (await t.call('GET', `/api/v1/security/access-reviews/${id}`)).json;
      expect(closed).toMatchObject({ status: 'closed', closed_at: at(321), reviewed: 0 });
      expect(new Set(closed.items.map((i: { outcome: string }) => i.outcome))).toEqual(
        new Set(['kept_on_close']),
      );
      const audit = await t.container.db
        .selectFrom('audit_log')
        .select(['actor_name', 'at', 'after_json'])
        .where('action', '=', 'security.access_review.close')
        .where('target_id', '=', id)
        .execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor_name: 'engops', at: at(321) });
      expect(JSON.parse(audit[0]!.after_json!)).toMatchObject({
        status: 'closed',
        unreviewed: closed.total,
        unreviewed_outcome: 'kept_on_close',
      });
      // The earlier campaigns, long past due, were closed the same way.
      expect(new Set((await campaigns()).map((c) => c.status))).toEqual(new Set(['closed']));
    });
  });
}
