import fs from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  type TransactionSettings,
} from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config/config.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;
export type Engine = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  readonly db: Db;
  readonly engine: Engine;
  /**
   * SQLite only: PRAGMA data_version, which changes when another connection (another process)
   * commits. Lets caches see outside writes without a query of their own.
   */
  readonly externalWrites?: () => number;
  close(): Promise<void>;
}

// COUNT(*) and other int8 values come back as strings by default; every count we store fits a double.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/**
 * SQLite transactions start with BEGIN IMMEDIATE so that a writer takes the write lock up front and
 * waits on busy_timeout, instead of failing later when a deferred read lock cannot be upgraded.
 */
function immediateTransactions(driver: Driver): Driver {
  const begin = async (connection: DatabaseConnection, _settings: TransactionSettings) => {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  };
  return new Proxy(driver, {
    get(target, prop, receiver) {
      if (prop === 'beginTransaction') return begin;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    return immediateTransactions(super.createDriver());
  }
}

export function openSqlite(file: string): SQLite.Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a transaction that returned is on disk, across a process crash and a power cut alike.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return sqlite;
}

/**
 * Kysely prepares every query afresh; better-sqlite3 statements are reusable, and preparing costs
 * more than running a small query. Cache them by SQL text (bounded), skipping one that is busy
 * (being iterated by a stream).
 */
export function cachingStatements(sqlite: SQLite.Database, max = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (source: string) => {
    const hit = cache.get(source);
    if (hit && !hit.busy) return hit;
    const stmt = sqlite.prepare(source);
    if (!hit) {
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(source, stmt);
    }
    return stmt;
  };
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop === 'prepare') return prepare;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** WAL size (bytes) from which checkpoints move to a worker thread: SQLite's own threshold. */
const CHECKPOINT_OFF_THREAD_BYTES = 1000 * 4096;
/** The committing connection's own checkpoints, once the worker does them: a fallback only. */
const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.file);
db.pragma('busy_timeout = 0');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.everyMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

/**
 * Under a steady write load, SQLite's automatic checkpoint runs inside the COMMIT that crosses
 * 1,000 WAL pages: it copies pages into the database and fsyncs twice, on the thread that serves
 * requests (about 13 ms every few hundred ingested alerts). Once the WAL has grown that large, a
 * worker thread with a connection of its own checkpoints it (PASSIVE: it never blocks readers or
 * writers) every 100 ms, and the main connection's own threshold becomes a fallback. Durability
 * is unchanged: commits still sync as configured, and checkpoints sync as before.
 */
function checkpointOffThread(sqlite: SQLite.Database, file: string): () => Promise<void> {
  let worker: Worker | undefined;
  let closed = false;
  const wal = `${file}-wal`;
  const autocheckpoint = (pages: number) => {
    try {
      if (!closed && sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${pages}`);
    } catch {
      // Busy with a streaming read: the threshold stays as it was, which is safe either way.
    }
  };
  const watch = setInterval(() => {
    fs.stat(wal, (error, stat) => {
      if (error || closed || worker || stat.size < CHECKPOINT_OFF_THREAD_BYTES) return;
      clearInterval(watch);
      const started = new Worker(CHECKPOINTER_SOURCE, {
        eval: true,
        workerData: { file, everyMs: 100, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
      });
      worker = started;
      started.unref();
      started.once('online', () => autocheckpoint(FALLBACK_AUTOCHECKPOINT_PAGES));
      // Should it ever stop, checkpoints go back to the committing connection.
      started.once('exit', () => {
        worker = undefined;
        autocheckpoint(1000);
      });
      started.on('error', () => {});
    });
  }, 1000);
  watch.unref();
  return async () => {
    closed = true;
    clearInterval(watch);
    const running = worker;
    if (!running) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.postMessage('close');
    const timer = setTimeout(() => void running.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  };
}

/**
 * Commits whose durability is awaited off the main thread. PostgreSQL: the commit itself
 * (synchronous_commit), `deferred` is false. SQLite in WAL mode with synchronous=FULL: the
 * transaction commits with synchronous=NORMAL (its WAL frames are written, not yet fsynced), and
 * `durable()` fdatasyncs the WAL file on libuv's thread pool instead of the main thread. An
 * fdatasync of the WAL that starts after a commit covers it, so once it returns the commit is as
 * durable as a FULL commit (which is exactly that fsync, done inline). A caller must not act on
 * the outcome (answer a client, run a claimed job, count a job done) before `durable()` resolved.
 * See docs/adr/0005-ingest-wal-sync-off-main-thread.md.
 */
export interface DeferredSync {
  /** True when commits made through `transaction` need `durable()` (SQLite WAL at FULL). */
  readonly deferred: boolean;
  /** Runs `work` in a transaction whose commit may not be durable yet. */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * Runs `work`, one statement committing on its own (no transaction held across awaits, so
   * another connection of this process never waits on it), whose commit may not be durable yet.
   */
  statement<T>(work: (db: Db) => Promise<T>): Promise<T>;
  /** Resolves once every transaction committed before the call is durable. */
  durable(): Promise<void>;
}

/** SQLite's synchronous levels: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
const SYNC_NORMAL = 1;
const SYNC_FULL = 2;
/** WAL syncs in flight at once; later callers share the next one. */
const MAX_SYNCS = 2;

const inlineSync = (db: Db): DeferredSync => ({
  deferred: false,
  transaction: (work) => db.transaction().execute(work),
  statement: (work) => work(db),
  durable: () => Promise.resolve(),
});

async function detectDeferredSync(db: Db): Promise<DeferredSync> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return inlineSync(db);
  const one = async <R>(query: string) => (await db.executeQuery<R>(CompiledQuery.raw(query))).rows[0];
  const mode = await one<{ journal_mode: string }>('pragma journal_mode');
  const level = await one<{ synchronous: number }>('pragma synchronous');
  const file = (
    await db.executeQuery<{ name: string; file: string }>(CompiledQuery.raw('pragma database_list'))
  ).rows.find((r) => r.name === 'main')?.file;
  // In memory, another journal mode, or an operator's own lower setting: commit as configured.
  if (mode?.journal_mode !== 'wal' || !file || !level || Number(level.synchronous) < SYNC_FULL)
    return inlineSync(db);
  const restore = CompiledQuery.raw(`pragma synchronous = ${Number(level.synchronous)}`);
  const deferred = CompiledQuery.raw(`pragma synchronous = ${SYNC_NORMAL}`);
  const wal = `${file}-wal`;

  // One descriptor of the WAL, kept while syncs keep coming (the file lives as long as this
  // process's connection is open) and closed after a second without any.
  let handle: Promise<FileHandle> | undefined;
  let syncing = 0;
  let idle: NodeJS.Timeout | undefined;
  const closeHandle = () => {
    const h = handle;
    handle = undefined;
    h?.then((fh) => fh.close()).catch(() => {});
  };
  const syncWal = async () => {
    syncing++;
    try {
      handle ??= open(wal, 'r');
      await (await handle).datasync();
    } catch (error) {
      closeHandle();
      // No WAL file: the last connection closed, and checkpointed (with fsync) before deleting it.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    } finally {
      syncing--;
      clearTimeout(idle);
      idle = setTimeout(() => {
        if (syncing === 0) closeHandle();
      }, 1000);
      idle.unref();
    }
  };
  let inFlight = 0;
  let waiting: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  const start = (): Promise<void> => {
    inFlight++;
    return syncWal().finally(() => {
      inFlight--;
      if (waiting.length > 0 && inFlight < MAX_SYNCS) {
        const next = waiting;
        waiting = [];
        start().then(
          () => {
            for (const w of next) w.resolve();
          },
          (error: unknown) => {
            for (const w of next) w.reject(error);
          },
        );
      }
    });
  };

  /**
   * The level can change only outside a transaction; the connection is ours meanwhile, so no other
   * write commits at NORMAL.
   */
  const atNormal = <T>(work: (connection: Db) => Promise<T>): Promise<T> =>
    db.connection().execute(async (connection) => {
      await connection.executeQuery(deferred);
      try {
        return await work(connection);
      } finally {
        await connection.executeQuery(restore);
      }
    });

  return {
    deferred: true,
    transaction: (work) => atNormal((connection) => connection.transaction().execute(work)),
    statement: atNormal,
    durable() {
      if (inFlight < MAX_SYNCS) return start();
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}

const deferredSyncs = new WeakMap<Db, Promise<DeferredSync>>();

/**
 * The deferred-sync commit path of `db`, detected once per Kysely instance and shared by its
 * callers (alert ingestion's group commits, the job worker's claims and outcomes), so that their
 * WAL syncs coalesce.
 */
export function deferredSync(db: Db): Promise<DeferredSync> {
  let found = deferredSyncs.get(db);
  if (!found) {
    found = detectDeferredSync(db);
    deferredSyncs.set(db, found);
    // A failed detection (database closing) is tried again by the next caller.
    found.catch(() => deferredSyncs.delete(db));
  }
  return found;
}

export function createDatabase(config: DatabaseConfig): DatabaseHandle {
  if (config.kind === 'sqlite') {
    const sqlite = openSqlite(config.file);
    const db = new Kysely<Database>({
      dialect: new ImmediateSqliteDialect({ database: cachingStatements(sqlite) }),
    });
    const stopCheckpointer =
      config.file === ':memory:' ? undefined : checkpointOffThread(sqlite, config.file);
    return {
      db,
      engine: 'sqlite',
      close: async () => {
        // The worker's connection first, so the main one is the last: it checkpoints and removes the WAL.
        await stopCheckpointer?.();
        await db.destroy();
      },
    };
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: 10,
    ...(config.schema ? { options: `-c search_path=${config.schema}` } : {}),
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, engine: 'postgres', close: () => db.destroy() };
}
