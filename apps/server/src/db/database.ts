import fs from 'node:fs';
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
