import { hostname } from 'node:os';
import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import type { Logger } from 'pino';
import { type Db, deferredSync, type Engine } from '../db/database.ts';
import { type Param, prepareQuery } from '../db/prepared-query.ts';
import type { Database, JobsTable } from '../db/schema.ts';
import type { Clock } from './clock.ts';
import { newId } from './ids.ts';

/**
 * Durable jobs: a row per unit of work with a run-at time, a lease and an attempt count.
 * A worker claims due rows (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one writer at a time),
 * runs them, and marks them done, or schedules a retry with exponential backoff. A crashed
 * worker's lease expires and another worker picks the job up, so nothing is lost; a live lease is
 * never taken over (the running worker renews it), so no job runs twice at once. Each claim is
 * fenced by (lease_owner, attempts): only the claim that is still current may record the outcome,
 * and a job whose final attempt lost its worker is failed rather than run beyond max_attempts.
 * Delivery is at least once: a worker that dies after the handler's effect but before recording
 * it leaves the job to be run again, so handlers must be idempotent.
 */
export interface EnqueueOptions {
  kind: string;
  payload?: unknown;
  runAt?: Date;
  maxAttempts?: number;
  /** At most one job per dedupe key exists; enqueueing a duplicate is a no-op. */
  dedupeKey?: string;
}

export interface Job {
  id: string;
  kind: string;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
  runAt: string;
}

export type JobHandler = (job: Job, ctx: { db: Db }) => Promise<void>;

export interface JobOutcomeHooks {
  /** Called once a job has failed for the last time. */
  onFailed?: (job: Job, error: unknown, db: Db) => Promise<void>;
}

export interface JobQueue {
  enqueue(db: Db, options: EnqueueOptions): Promise<string>;
  depth(): Promise<{ pending: number; running: number; failed: number }>;
  get(id: string): Promise<JobsTable | undefined>;
}

export interface Worker {
  register(kind: string, handler: JobHandler, hooks?: JobOutcomeHooks): void;
  start(): void;
  /** Stops claiming, waits for running jobs to finish. */
  stop(): Promise<void>;
  /** Claims and runs due jobs until none are left (tests, CLI). Returns how many ran. */
  drain(): Promise<number>;
  /**
   * Jobs' outcomes commit through `commit` (which resolves once the write is durable) instead of
   * a commit of their own each: alert ingestion's group commit, which the page jobs of an alert
   * storm would otherwise contend with.
   */
  commitOutcomesThrough(commit: <T>(work: (db: Db) => Promise<T>) => Promise<T>): void;
  readonly id: string;
}

export const LEASE_MS = 60_000;

export function backoffMs(attempt: number): number {
  // 1 s, 2 s, 4 s ... capped at 10 minutes.
  return Math.min(1000 * 2 ** Math.max(0, attempt - 1), 10 * 60_000);
}

/** The columns of a new job row, in the order `enqueue` passes their values. */
const JOB_COLUMNS = [
  'id',
  'kind',
  'payload',
  'status',
  'run_at',
  'attempts',
  'max_attempts',
  'lease_owner',
  'lease_until',
  'last_error',
  'dedupe_key',
  'created_at',
  'updated_at',
  'finished_at',
] as const;

/**
 * The INSERT of a new job (with a dedupe key: nothing on a conflict, else the new id), compiled once
 * per queue and then run with new values (jobs are enqueued inside hot transactions, e.g. one page
 * job per incident an alert opens). Values in JOB_COLUMNS order.
 */
function jobInsert(dedupe: boolean) {
  const values = (p: Param) => Object.fromEntries(JOB_COLUMNS.map((c, i) => [c, p(i)])) as never;
  return dedupe
    ? prepareQuery(
        (db, p) =>
          db
            .insertInto('jobs')
            .values(values(p))
            .onConflict((oc) => oc.column('dedupe_key').doNothing())
            .returning('id'),
        JOB_COLUMNS.length,
      )
    : prepareQuery((db, p) => db.insertInto('jobs').values(values(p)), JOB_COLUMNS.length);
}

export function createJobQueue(deps: { db: Db; clock: Clock }): JobQueue {
  const plain = jobInsert(false);
  const deduped = jobInsert(true);
  return {
    async enqueue(db, options) {
      const now = deps.clock.now().toISOString();
      const id = newId('job');
      // In JOB_COLUMNS order.
      const row = [
        id,
        options.kind,
        JSON.stringify(options.payload ?? null),
        'pending',
        (options.runAt ?? deps.clock.now()).toISOString(),
        0,
        options.maxAttempts ?? 5,
        null,
        null,
        null,
        options.dedupeKey ?? null,
        now,
        now,
        null,
      ];
      if (options.dedupeKey) {
        const [inserted] = (await deduped(db, row)) as Array<{ id: string }>;
        if (inserted) return inserted.id;
        // A job with this key exists already.
        const existing = await db
          .selectFrom('jobs')
          .select('id')
          .where('dedupe_key', '=', options.dedupeKey)
          .executeTakeFirstOrThrow();
        return existing.id;
      }
      await plain(db, row);
      return id;
    },
    async depth() {
      const rows = await deps.db
        .selectFrom('jobs')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('status', 'in', ['pending', 'running', 'failed'])
        .groupBy('status')
        .execute();
      const by = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      return { pending: by.pending ?? 0, running: by.running ?? 0, failed: by.failed ?? 0 };
    },
    get: (id) => deps.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst(),
  };
}

/**
 * Claims up to `limit` jobs of `kinds`: first those whose lease ran out (their worker died), then
 * pending ones that are due, oldest first. Each part's subquery walks the (status, run_at) index in
 * order and stops at its limit, so a claim costs the same with ten due jobs as with a backlog of
 * ten thousand (one subquery with an OR sorted every due job). PostgreSQL: each part in its own
 * statement, FOR UPDATE SKIP LOCKED. SQLite: the ids are read in one statement, then claimed by id
 * in an UPDATE that checks again that each is still claimable (another worker may have taken it in
 * between): an UPDATE whose `id in (subquery)` filters on the kinds costs several times more, and
 * a poll that finds nothing writes nothing.
 */
export async function claimDueJobs(
  db: Db,
  engine: Engine,
  workerId: string,
  now: Date,
  limit: number,
  kinds: string[],
): Promise<JobsTable[]> {
  if (kinds.length === 0 || limit <= 0) return [];
  const nowIso = now.toISOString();
  const leaseUntil = new Date(now.getTime() + LEASE_MS).toISOString();
  // A lease that ran out belongs to a worker that died: take the job over.
  const expired = (eb: ExpressionBuilder<Database, 'jobs'>) =>
    eb.and([eb('status', '=', 'running'), eb('lease_until', '<', nowIso)]);
  const dueNow = (eb: ExpressionBuilder<Database, 'jobs'>) =>
    eb.and([eb('status', '=', 'pending'), eb('run_at', '<=', nowIso)]);
  /** `recheck`: only the ids still claimable (read by an earlier statement). */
  const claim = (ids: SelectQueryBuilder<Database, 'jobs', { id: string }> | string[], recheck = false) =>
    db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'running',
        lease_owner: workerId,
        lease_until: leaseUntil,
        // The attempt number doubles as the claim's fencing token (see runOne).
        attempts: eb('attempts', '+', 1),
        updated_at: nowIso,
      }))
      .where('id', 'in', ids)
      .$if(recheck, (q) => q.where((eb) => eb.or([expired(eb), dueNow(eb)])))
      .returningAll()
      .execute();
  const oldest = (n: number, which: typeof expired) =>
    db.selectFrom('jobs').select('id').where(which).where('kind', 'in', kinds).orderBy('run_at').limit(n);
  const orphaned = (n: number) => oldest(n, expired);
  const due = (n: number) => oldest(n, dueNow);
  if (engine === 'postgres') {
    const taken = await claim(orphaned(limit).forUpdate().skipLocked());
    if (taken.length >= limit) return taken;
    return [
      ...taken,
      ...(await claim(
        due(limit - taken.length)
          .forUpdate()
          .skipLocked(),
      )),
    ];
  }
  // SQLite: the ids first (the union of two aliased subqueries is typed apart from a plain
  // selection of jobs.id; same rows), then each claimed only if it still is claimable.
  const ids = (
    (await db
      .selectFrom(orphaned(limit).as('o'))
      .select('o.id')
      .unionAll(db.selectFrom(due(limit).as('d')).select('d.id'))
      .limit(limit)
      .execute()) as Array<{ id: string }>
  ).map((r) => r.id);
  if (ids.length === 0) return [];
  const taken = await claim(ids, true);
  // In the order the ids were read: orphans first, then the oldest due.
  const byId = new Map(taken.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export function createWorker(deps: {
  db: Db;
  engine: Engine;
  clock: Clock;
  logger: Logger;
  pollMs: number;
  concurrency?: number;
}): Worker {
  const id = `${hostname()}:${process.pid}:${newId('wrk').slice(-6)}`;
  const handlers = new Map<string, { handler: JobHandler; hooks: JobOutcomeHooks }>();
  const running = new Set<Promise<void>>();
  const concurrency = deps.concurrency ?? 4;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  // Every job that succeeds runs it: compiled once. Fenced as ownClaim is (see runOne).
  const markDone = prepareQuery(
    (db, p) =>
      db
        .updateTable('jobs')
        .set({
          status: 'done',
          finished_at: p(0),
          updated_at: p(0),
          lease_owner: null,
          lease_until: null,
          last_error: null,
        })
        .where('id', '=', p(1))
        .where('lease_owner', '=', p(2))
        .where('attempts', '=', p(3))
        .returning('id'),
    4,
  );
  let outcomeCommit: (<T>(work: (db: Db) => Promise<T>) => Promise<T>) | undefined;
  const outcome = <T>(work: (db: Db) => Promise<T>): Promise<T> =>
    outcomeCommit ? outcomeCommit(work) : durably(work);
  let ticking: Promise<number> | undefined;

  /**
   * A claim or an outcome (each one write statement; outcomes through commitOutcomesThrough's
   * commit when one is set), committed without an fsync on the main thread where the
   * engine allows (SQLite WAL: the WAL sync runs on the thread pool, shared with alert ingestion's
   * group commits), and resolved only once durable, exactly as a synchronous=FULL commit would be:
   * a job runs only after its claim is on disk, and its slot frees (and its outcome counts) only
   * after its outcome is. See deferredSync in db/database.ts and docs/adr/0005-*.
   */
  async function durably<T>(
    work: (db: Db) => Promise<T>,
    wrote: (result: T) => boolean = () => true,
  ): Promise<T> {
    const sync = await deferredSync(deps.db);
    if (!sync.deferred) return work(deps.db);
    const result = await sync.statement(work);
    // Nothing written (a poll that claimed nothing): nothing to wait for.
    if (wrote(result)) await sync.durable();
    return result;
  }

  async function runOne(row: JobsTable): Promise<void> {
    const entry = handlers.get(row.kind);
    const job: Job = {
      id: row.id,
      kind: row.kind,
      payload: null,
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
      runAt: row.run_at,
    };
    const log = deps.logger.child({ job_id: job.id, job_kind: job.kind, attempt: job.attempts });
    // This claim, and no other: the lease owner and the attempt number it set. A worker whose lease
    // ran out (and whose job another worker took over) must not finish or fail the new attempt.
    const ownClaim = (db: Db = deps.db) =>
      db
        .updateTable('jobs')
        .where('id', '=', row.id)
        .where('lease_owner', '=', id)
        .where('attempts', '=', row.attempts);
    // Keep the lease alive while the handler runs, so a slow job is not taken over as if its worker died.
    const heartbeat = setInterval(() => {
      ownClaim()
        .set({ lease_until: new Date(deps.clock.now().getTime() + LEASE_MS).toISOString() })
        .execute()
        .catch((error: unknown) => log.warn({ err: error }, 'job lease renewal failed'));
    }, LEASE_MS / 3);
    heartbeat.unref?.();
    try {
      try {
        job.payload = JSON.parse(row.payload) as unknown;
        if (!entry) throw new Error(`no handler for job kind ${row.kind}`);
        if (row.attempts > row.max_attempts) {
          // Taken over after its final attempt's worker died: do not run it beyond max_attempts.
          throw new Error(
            `the worker running attempt ${row.max_attempts} of ${row.max_attempts} stopped before it finished`,
          );
        }
        await entry.handler(job, { db: deps.db });
        const now = deps.clock.now().toISOString();
        const done = await outcome((db) => markDone(db, [now, row.id, id, row.attempts]));
        if (done.length === 0) log.warn('job finished after its lease was taken over');
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const final = row.attempts >= row.max_attempts;
        const now = deps.clock.now();
        log.warn({ err: message, final }, 'job failed');
        const failed = await outcome((db) =>
          ownClaim(db)
            .set({
              status: final ? 'failed' : 'pending',
              run_at: final ? row.run_at : new Date(now.getTime() + backoffMs(row.attempts)).toISOString(),
              last_error: message.slice(0, 2000),
              lease_owner: null,
              lease_until: null,
              updated_at: now.toISOString(),
              finished_at: final ? now.toISOString() : null,
            })
            .executeTakeFirst(),
        );
        // Only the worker that still held the claim reports the final failure (once).
        if (final && Number(failed.numUpdatedRows) > 0 && entry?.hooks.onFailed) {
          try {
            await entry.hooks.onFailed(job, error, deps.db);
          } catch (hookError) {
            log.error({ err: hookError }, 'job failure hook failed');
          }
        }
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  async function tick(): Promise<number> {
    const free = concurrency - running.size;
    if (free <= 0) return 0;
    const rows = await durably(
      (db) => claimDueJobs(db, deps.engine, id, deps.clock.now(), free, [...handlers.keys()]),
      (claimed) => claimed.length > 0,
    );
    for (const row of rows) {
      // runOne only rejects when the database fails while recording the outcome; the lease then
      // expires and another worker retries the job. Never leave the rejection unhandled.
      const p: Promise<void> = runOne(row)
        .catch((error: unknown) =>
          deps.logger.error({ err: error, job_id: row.id }, 'job outcome not recorded'),
        )
        .finally(() => running.delete(p));
      running.add(p);
    }
    return rows.length;
  }

  function schedule(delay: number) {
    if (stopped) return;
    timer = setTimeout(async () => {
      let claimed = 0;
      try {
        ticking = tick();
        claimed = await ticking;
      } catch (error) {
        deps.logger.error({ err: error }, 'job claim failed');
      } finally {
        ticking = undefined;
      }
      // Busy: look again soon; idle: wait the poll interval.
      schedule(claimed > 0 ? 10 : deps.pollMs);
    }, delay);
    timer.unref?.();
  }

  return {
    id,
    register(kind, handler, hooks = {}) {
      handlers.set(kind, { handler, hooks });
    },
    commitOutcomesThrough(commit) {
      outcomeCommit = commit;
    },
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (ticking) await ticking.catch(() => 0);
      await Promise.allSettled([...running]);
    },
    async drain() {
      let total = 0;
      for (;;) {
        const full = running.size >= concurrency;
        const claimed = await tick();
        await Promise.allSettled([...running]);
        // Nothing claimed with free slots: nothing is due. With no free slots, look again.
        if (claimed === 0 && !full) return total;
        total += claimed;
      }
    },
  };
}
