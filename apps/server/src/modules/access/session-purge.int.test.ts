import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { fixedClock } from '../../platform/clock.ts';
import { SESSION_PURGE_JOB } from './index.ts';

/**
 * The daily purge of expired sessions, on both engines with an injected clock: start-up schedules
 * it for the next 03:30 UTC (once, however many processes start), it deletes the sessions past their
 * 7-day expiry and keeps live ones, and each run schedules the next day's.
 */
const START = '2026-03-02T10:00:00.000Z';
const ADMIN = { email: 'ada@example.test', name: 'Ada Admin', password: 'correct-horse-battery' };

for (const engine of ENGINES)
  describe(`access: daily purge of expired sessions [${engine}]`, () => {
    const clock = fixedClock(START);
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(engine, { clock, env: {} });
      const setup = await t.call('POST', '/api/v1/setup', {
        token: null,
        body: { ...ADMIN, time_zone: 'UTC' },
      });
      expect(setup.status, setup.body).toBe(201);
    });
    afterAll(async () => {
      await t?.close();
    });

    const purgeJobs = () =>
      t.container.db
        .selectFrom('jobs')
        .select(['run_at', 'status', 'dedupe_key'])
        .where('kind', '=', SESSION_PURGE_JOB)
        .orderBy('run_at')
        .execute();
    const sessions = async () =>
      (await t.container.db.selectFrom('sessions').select('expires_at').orderBy('expires_at').execute()).map(
        (s) => s.expires_at,
      );
    const login = async () => {
      const res = await t.call('POST', '/api/v1/auth/login', {
        token: null,
        body: { email: ADMIN.email, password: ADMIN.password },
      });
      expect(res.status, res.body).toBe(200);
    };

    it('schedules one purge at the next 03:30 UTC, however often start-up runs', async () => {
      await t.container.access.start();
      await t.container.access.start();
      const jobs = await purgeJobs();
      expect(jobs.map((j) => [j.run_at, j.status])).toEqual([['2026-03-03T03:30:00.000Z', 'pending']]);
    });

    it('deletes sessions past their expiry, keeps live ones, and schedules the next day', async () => {
      const before = (await sessions()).length;
      await login(); // 2026-03-02 10:00: expires 03-09 10:00
      clock.set('2026-03-05T12:00:00.000Z');
      await login(); // expires 03-12 12:00
      expect(await sessions()).toHaveLength(before + 2);

      // The job due on 03-03 runs late, on 03-10 at 03:30: only the first login has expired.
      clock.set('2026-03-10T03:30:00.000Z');
      expect(await t.container.worker.drain()).toBeGreaterThanOrEqual(1);
      const left = await sessions();
      expect(left).toContain('2026-03-12T12:00:00.000Z');
      expect(left.every((expiry) => expiry > '2026-03-10T03:30:00.000Z')).toBe(true);

      const jobs = await purgeJobs();
      expect(jobs.map((j) => [j.run_at, j.status])).toEqual([
        ['2026-03-03T03:30:00.000Z', 'done'],
        ['2026-03-11T03:30:00.000Z', 'pending'],
      ]);
    });
  });
