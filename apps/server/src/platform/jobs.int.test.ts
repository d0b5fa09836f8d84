import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../../../test-support/engines.ts';
import { createDatabase, type DatabaseHandle, deferredSync } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { fixedClock } from './clock.ts';
import {
  backoffMs,
  claimDueJobs,
  createJobQueue,
  createWorker,
  type Job,
  LEASE_MS,
  type Worker,
} from './jobs.ts';
import { createLogger } from './logger.ts';

const START = '2025-03-10T09:00:00.000Z';

/** A promise with its resolver, to hold a handler until the test lets it go. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** Yields to the event loop a few times (lets database round trips progress). */
async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

for (const engine of ENGINES) {
  describe(`durable jobs [${engine}]`, () => {
    let database: TestDatabase;
    const extraHandles: DatabaseHandle[] = [];
    const workers: Worker[] = [];
    const clock = fixedClock(START);
    const logger = createLogger('silent');

    beforeEach(async () => {
      clock.set(START);
      database = await createTestDatabase(engine);
      await migrateToLatest(database.handle.db);
    });

    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.stop()));
      await Promise.all(extraHandles.splice(0).map((h) => h.close()));
      await database.handle.close();
      await database.drop();
    });

    const db = () => database.handle.db;
    const queue = () => createJobQueue({ db: db(), clock });
    function worker(handle: DatabaseHandle = database.handle, concurrency = 4): Worker {
      const w = createWorker({ db: handle.db, engine, clock, logger, pollMs: 5, concurrency });
      workers.push(w);
      return w;
    }
    const row = async (id: string) => {
      const r = await queue().get(id);
      if (!r) throw new Error(`job ${id} not found`);
      return r;
    };

    it('enqueues, claims and runs a due job once, and leaves future jobs until they are due', async () => {
      const seen: Job[] = [];
      const w = worker();
      w.register('test.echo', async (job) => {
        seen.push(job);
      });
      const now = await queue().enqueue(db(), { kind: 'test.echo', payload: { n: 1 } });
      const later = await queue().enqueue(db(), {
        kind: 'test.echo',
        payload: { n: 2 },
        runAt: new Date(Date.parse(START) + 60_000),
      });
      expect(await queue().depth()).toEqual({ pending: 2, running: 0, failed: 0 });

      expect(await w.drain()).toBe(1);
      expect(seen).toEqual([
        { id: now, kind: 'test.echo', payload: { n: 1 }, attempts: 1, maxAttempts: 5, runAt: START },
      ]);
      expect(await row(now)).toMatchObject({
        status: 'done',
        attempts: 1,
        finished_at: START,
        lease_owner: null,
        lease_until: null,
        last_error: null,
      });
      expect(await w.drain()).toBe(0);
      expect((await row(later)).status).toBe('pending');

      clock.advance(60_000);
      expect(await w.drain()).toBe(1);
      expect(seen.map((j) => j.payload)).toEqual([{ n: 1 }, { n: 2 }]);
      expect((await row(later)).status).toBe('done');
      expect(await queue().depth()).toEqual({ pending: 0, running: 0, failed: 0 });
    });

    it('records outcomes through the commit path it is given (the incidents module passes its group commit)', async () => {
      const w = worker();
      // A commit path of its own: the outcome runs in its transaction, alongside a write of its own.
      const through: string[] = [];
      w.commitOutcomesThrough((work) =>
        db()
          .transaction()
          .execute(async (tx) => {
            const result = await work(tx);
            await queue().enqueue(tx, { kind: 'test.marker', payload: { after: through.length } });
            through.push('outcome');
            return result;
          }),
      );
      w.register('test.ok', async () => {});
      w.register('test.fail', async () => {
        throw new Error('nope');
      });
      const ok = await queue().enqueue(db(), { kind: 'test.ok' });
      const failing = await queue().enqueue(db(), { kind: 'test.fail', maxAttempts: 1 });

      expect(await w.drain()).toBe(2);
      expect(through).toEqual(['outcome', 'outcome']);
      expect(await row(ok)).toMatchObject({ status: 'done', lease_owner: null, attempts: 1 });
      expect(await row(failing)).toMatchObject({ status: 'failed', last_error: 'nope', lease_owner: null });
      // Both outcomes committed with the path's own writes.
      const markers = await db().selectFrom('jobs').select('id').where('kind', '=', 'test.marker').execute();
      expect(markers).toHaveLength(2);
    });

    it('enqueues in the caller transaction: a rolled-back enqueue leaves no job', async () => {
      await db()
        .transaction()
        .execute(async (tx) => {
          await queue().enqueue(tx, { kind: 'test.tx', payload: null });
          throw new Error('roll back');
        })
        .catch(() => undefined);
      expect(await db().selectFrom('jobs').selectAll().execute()).toEqual([]);
    });

    it('retries a failing job with backoff, then fails it after max_attempts, keeping last_error', async () => {
      const runs: number[] = [];
      const failures: Array<{ job: Job; error: unknown }> = [];
      const w = worker();
      w.register(
        'test.flaky',
        async (job) => {
          runs.push(job.attempts);
          throw new Error(`boom ${job.attempts}`);
        },
        {
          async onFailed(job, error) {
            failures.push({ job, error });
          },
        },
      );
      const id = await queue().enqueue(db(), { kind: 'test.flaky', maxAttempts: 3 });

      expect(await w.drain()).toBe(1);
      expect(await row(id)).toMatchObject({
        status: 'pending',
        attempts: 1,
        last_error: 'boom 1',
        lease_owner: null,
        run_at: new Date(Date.parse(START) + backoffMs(1)).toISOString(),
      });
      // Not due before the backoff has passed.
      clock.advance(backoffMs(1) - 1);
      expect(await w.drain()).toBe(0);
      clock.advance(1);
      expect(await w.drain()).toBe(1);
      expect(await row(id)).toMatchObject({ status: 'pending', attempts: 2, last_error: 'boom 2' });
      expect((await row(id)).run_at).toBe(new Date(clock.now().getTime() + backoffMs(2)).toISOString());
      expect(failures).toEqual([]);

      clock.advance(backoffMs(2));
      expect(await w.drain()).toBe(1);
      expect(await row(id)).toMatchObject({
        status: 'failed',
        attempts: 3,
        last_error: 'boom 3',
        finished_at: clock.now().toISOString(),
        lease_owner: null,
      });
      expect(runs).toEqual([1, 2, 3]);
      expect(failures).toHaveLength(1);
      expect(failures[0]?.job).toMatchObject({ id, attempts: 3, maxAttempts: 3 });
      expect(failures[0]?.error).toEqual(new Error('boom 3'));

      // A failed job stays failed.
      clock.advance(24 * 3600_000);
      expect(await w.drain()).toBe(0);
      expect(await queue().depth()).toEqual({ pending: 0, running: 0, failed: 1 });
    });

    it('enqueues a job with a dedupe key once', async () => {
      const q = queue();
      const first = await q.enqueue(db(), { kind: 'test.dedupe', dedupeKey: 'reminder:inc_1', payload: 1 });
      const second = await q.enqueue(db(), { kind: 'test.dedupe', dedupeKey: 'reminder:inc_1', payload: 2 });
      const inTx = await db()
        .transaction()
        .execute((tx) => q.enqueue(tx, { kind: 'test.dedupe', dedupeKey: 'reminder:inc_1', payload: 3 }));
      const other = await q.enqueue(db(), { kind: 'test.dedupe', dedupeKey: 'reminder:inc_2', payload: 4 });
      expect(second).toBe(first);
      expect(inTx).toBe(first);
      expect(other).not.toBe(first);
      const rows = await db().selectFrom('jobs').select(['id', 'payload']).orderBy('id').execute();
      expect(rows).toEqual([
        { id: first, payload: '1' },
        { id: other, payload: '4' },
      ]);
    });

    it('takes over a job whose lease expired (its worker died), never a live lease', async () => {
      const runs: Array<{ worker: string; attempts: number }> = [];
      const y = worker();
      y.register('test.lease', async (job) => {
        runs.push({ worker: y.id, attempts: job.attempts });
      });
      const id = await queue().enqueue(db(), { kind: 'test.lease' });

      // Worker X claims the job and dies without finishing it.
      const claimed = await claimDueJobs(db(), engine, 'worker-x', clock.now(), 10, ['test.lease']);
      expect(claimed.map((r) => r.id)).toEqual([id]);
      expect(await row(id)).toMatchObject({
        status: 'running',
        lease_owner: 'worker-x',
        attempts: 1,
        lease_until: new Date(Date.parse(START) + LEASE_MS).toISOString(),
      });

      // The lease is live: nobody else may run the job.
      expect(await y.drain()).toBe(0);
      clock.advance(LEASE_MS);
      expect(await y.drain()).toBe(0);
      expect(await claimDueJobs(db(), engine, 'worker-z', clock.now(), 10, ['test.lease'])).toEqual([]);
      expect(runs).toEqual([]);

      // One millisecond past the lease: worker X is presumed dead, Y takes over.
      clock.advance(1);
      expect(await y.drain()).toBe(1);
      expect(runs).toEqual([{ worker: y.id, attempts: 2 }]);
      expect(await row(id)).toMatchObject({ status: 'done', attempts: 2, lease_owner: null });
    });

    it('claims jobs whose lease ran out first, then the oldest due ones, never more than asked', async () => {
      // A backlog of 300 due jobs enqueued newest first, 5 not yet due, and one a dead worker holds.
      const base = Date.parse(START);
      const due: string[] = [];
      for (let i = 300; i >= 1; i--)
        due.push(await queue().enqueue(db(), { kind: 'test.backlog', runAt: new Date(base - i * 1000) }));
      for (let i = 1; i <= 5; i++)
        await queue().enqueue(db(), { kind: 'test.backlog', runAt: new Date(base + i * 86_400_000) });
      await queue().enqueue(db(), { kind: 'test.other', runAt: new Date(base - 999_000) });
      const [dead] = await claimDueJobs(db(), engine, 'worker-dead', clock.now(), 1, ['test.backlog']);
      expect(dead!.id).toBe(due[0]);
      clock.advance(LEASE_MS + 1);

      const first = await claimDueJobs(db(), engine, 'worker-y', clock.now(), 3, ['test.backlog']);
      expect(first.map((r) => r.id).sort()).toEqual([due[0], due[1], due[2]].sort());
      expect(first.find((r) => r.id === due[0])).toMatchObject({ attempts: 2, lease_owner: 'worker-y' });
      // Then 297 due ones, oldest first, in claims of 100; the future ones and other kinds stay.
      const claimed: string[] = [];
      for (let i = 0; i < 4; i++) {
        const rows = await claimDueJobs(db(), engine, 'worker-y', clock.now(), 100, ['test.backlog']);
        claimed.push(...rows.map((r) => r.id).sort());
      }
      expect(claimed).toEqual(due.slice(3));
      const left = await db()
        .selectFrom('jobs')
        .select(['kind', 'status'])
        .where('status', '=', 'pending')
        .execute();
      expect(left.map((r) => r.kind).sort()).toEqual([...Array(5).fill('test.backlog'), 'test.other']);
    });

    it('does not let a worker whose lease was taken over overwrite the new outcome', async () => {
      const started = gate();
      const release = gate();
      const handler = async (job: Job) => {
        if (job.attempts === 1) {
          started.open();
          await release.opened;
          throw new Error('stale worker woke up and failed');
        }
      };
      const a = worker();
      const b = worker();
      a.register('test.fence', handler);
      b.register('test.fence', handler);
      const id = await queue().enqueue(db(), { kind: 'test.fence' });

      const aDrain = a.drain();
      await started.opened;
      clock.advance(LEASE_MS + 1);
      expect(await b.drain()).toBe(1);
      expect(await row(id)).toMatchObject({ status: 'done', attempts: 2 });

      release.open();
      expect(await aDrain).toBe(1);
      expect(await row(id)).toMatchObject({ status: 'done', attempts: 2, last_error: null });
    });

    it('fences each claim by its attempt: a stale attempt cannot release a newer claim of the same worker', async () => {
      const started = gate();
      const release = gate();
      const a = worker();
      a.register('test.fence-self', async () => {
        started.open();
        await release.opened;
        throw new Error('attempt 1 failed late');
      });
      const id = await queue().enqueue(db(), { kind: 'test.fence-self' });
      const first = a.drain();
      await started.opened;
      // The lease ran out (for example, the process was suspended) and the job was claimed again
      // under the same worker id: attempt 2 is now the live claim.
      clock.advance(LEASE_MS + 1);
      const again = await claimDueJobs(db(), engine, a.id, clock.now(), 1, ['test.fence-self']);
      expect(again.map((r) => r.attempts)).toEqual([2]);

      release.open();
      expect(await first).toBe(1);
      expect(await row(id)).toMatchObject({
        status: 'running',
        attempts: 2,
        lease_owner: a.id,
        last_error: null,
      });
    });

    it('fails, without running it again, a job whose final attempt lost its worker', async () => {
      const runs: number[] = [];
      const failed: Job[] = [];
      const w = worker();
      w.register(
        'test.last',
        async (job) => {
          runs.push(job.attempts);
        },
        {
          async onFailed(job) {
            failed.push(job);
          },
        },
      );
      const id = await queue().enqueue(db(), { kind: 'test.last', maxAttempts: 1 });
      await claimDueJobs(db(), engine, 'worker-x', clock.now(), 1, ['test.last']);
      clock.advance(LEASE_MS + 1);
      expect(await w.drain()).toBe(1);
      expect(runs).toEqual([]);
      expect(failed.map((j) => j.id)).toEqual([id]);
      const r = await row(id);
      expect(r.status).toBe('failed');
      expect(r.last_error).toMatch(/stopped before it finished/);
    });

    it('stop() stops claiming and waits for running jobs to finish', async () => {
      const started = gate();
      const release = gate();
      let finished = false;
      const w = worker();
      w.register('test.slow', async () => {
        started.open();
        await release.opened;
        finished = true;
      });
      const id = await queue().enqueue(db(), { kind: 'test.slow' });
      w.start();
      await started.opened;

      let stopped = false;
      const stopping = w.stop().then(() => {
        stopped = true;
      });
      await settle();
      expect(stopped).toBe(false);
      release.open();
      await stopping;
      expect(finished).toBe(true);
      expect((await row(id)).status).toBe('done');
    });

    const JOBS = 200;
    async function drainConcurrently(handles: [DatabaseHandle, DatabaseHandle]) {
      const runs = new Map<string, number>();
      const ranBy = new Map<string, number>();
      const workersHere = handles.map((h) => worker(h, 8));
      for (const w of workersHere) {
        w.register('test.once', async (job) => {
          runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
          ranBy.set(w.id, (ranBy.get(w.id) ?? 0) + 1);
          await new Promise((resolve) => setImmediate(resolve));
        });
      }
      const q = queue();
      const ids: string[] = [];
      await db()
        .transaction()
        .execute(async (tx) => {
          for (let i = 0; i < JOBS; i++) ids.push(await q.enqueue(tx, { kind: 'test.once', payload: { i } }));
        });

      const ran = await Promise.all(workersHere.map((w) => w.drain()));
      expect(ran.reduce((a, b) => a + b, 0)).toBe(JOBS);
      expect(runs.size).toBe(JOBS);
      expect([...runs.values()].every((n) => n === 1)).toBe(true);
      expect(new Set(ids)).toEqual(new Set(runs.keys()));
      const rows = await db().selectFrom('jobs').select(['status', 'attempts']).execute();
      expect(rows).toHaveLength(JOBS);
      expect(rows.every((r) => r.status === 'done' && r.attempts === 1)).toBe(true);
      return ranBy;
    }

    it('runs each of 200 jobs exactly once with two workers on one database handle', async () => {
      await drainConcurrently([database.handle, database.handle]);
    });

    it('runs each of 200 jobs exactly once with two workers on separate connections (two processes)', async () => {
      const second = createDatabase(database.config);
      extraHandles.push(second);
      await drainConcurrently([database.handle, second]);
    });

    it('enqueues with a dedupe key once per key, returning the first id, and stores every column', async () => {
      const q = queue();
      const first = await q.enqueue(db(), {
        kind: 'test.dedupe',
        payload: { n: 1 },
        dedupeKey: 'key-a',
        maxAttempts: 3,
        runAt: new Date('2025-03-10T10:00:00.000Z'),
      });
      expect(await q.enqueue(db(), { kind: 'test.dedupe', payload: { n: 2 }, dedupeKey: 'key-a' })).toBe(
        first,
      );
      const other = await q.enqueue(db(), { kind: 'test.dedupe', dedupeKey: 'key-b' });
      expect(other).not.toBe(first);
      const plain = await q.enqueue(db(), { kind: 'test.plain' });
      expect(await row(first)).toEqual({
        id: first,
        kind: 'test.dedupe',
        payload: '{"n":1}',
        status: 'pending',
        run_at: '2025-03-10T10:00:00.000Z',
        attempts: 0,
        max_attempts: 3,
        lease_owner: null,
        lease_until: null,
        last_error: null,
        dedupe_key: 'key-a',
        created_at: START,
        updated_at: START,
        finished_at: null,
      });
      expect(await row(plain)).toMatchObject({
        kind: 'test.plain',
        payload: 'null',
        run_at: START,
        max_attempts: 5,
        dedupe_key: null,
      });
      const keys = await db().selectFrom('jobs').select('dedupe_key').execute();
      expect(keys.map((k) => k.dedupe_key ?? '(none)').sort()).toEqual(['(none)', 'key-a', 'key-b']);
    });

    it('commits a claim before its handler runs and the outcome before drain returns; no write stays at synchronous=NORMAL', async () => {
      // Another connection (another process, as far as SQLite knows) sees what the worker committed.
      const observer = createDatabase(database.config);
      extraHandles.push(observer);
      const seen: Array<{ status: string; attempts: number; lease_owner: string | null }> = [];
      const w = worker();
      w.register('test.observe', async (job) => {
        seen.push(
          await observer.db
            .selectFrom('jobs')
            .select(['status', 'attempts', 'lease_owner'])
            .where('id', '=', job.id)
            .executeTakeFirstOrThrow(),
        );
      });
      const id = await queue().enqueue(db(), { kind: 'test.observe' });
      expect(await w.drain()).toBe(1);
      expect(seen).toEqual([{ status: 'running', attempts: 1, lease_owner: w.id }]);
      expect(
        await observer.db
          .selectFrom('jobs')
          .select(['status', 'lease_owner'])
          .where('id', '=', id)
          .executeTakeFirstOrThrow(),
      ).toEqual({ status: 'done', lease_owner: null });
      const sync = await deferredSync(db());
      // SQLite in WAL mode at FULL: claims and outcomes sync the WAL off the main thread.
      expect(sync.deferred).toBe(engine === 'sqlite');
      if (engine === 'sqlite') {
        const level = async (on = db()) =>
          Number((await sql<{ synchronous: number }>`pragma synchronous`.execute(on)).rows[0]!.synchronous);
        expect(await sync.statement((conn) => level(conn))).toBe(1);
        await sync.durable();
        expect(await level()).toBe(2);
      }
    });
  });
}
