import { type FileHandle, open } from 'node:fs/promises';
import { CompiledQuery, SqliteAdapter } from 'kysely';
import type { Db } from '../../db/database.ts';

interface Item<T, S> {
  run: (tx: Db, state: S) => Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions<S> {
  maxBatch?: number;
  /** Errors after which an item that failed alone is tried again (a race with another process). */
  retryAlone?: (error: unknown) => boolean;
  /** Fresh state for each transaction, which the items of that transaction write to. */
  state?: () => S;
  /**
   * Runs in each transaction after its items and before its commit, e.g. to write the rows the
   * items collected in one multi-row statement instead of one statement each.
   */
  beforeCommit?: (tx: Db, state: S) => Promise<void>;
}

/**
 * How a committed batch becomes durable. PostgreSQL: the commit itself (synchronous_commit).
 * SQLite in WAL mode with synchronous=FULL: the batch commits with synchronous=NORMAL (its WAL
 * frames are written, not yet fsynced), then the WAL file is fdatasynced on libuv's thread pool
 * instead of the main thread. An fdatasync of the WAL that starts after the commit covers it, so
 * once it returns the batch is as durable as a FULL commit (which is exactly that fsync, done
 * inline), and only then is anyone answered. See docs/adr/0005-ingest-wal-sync-off-main-thread.md.
 */
interface Durability {
  /** Runs `work` in a transaction whose commit may not be durable yet. */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T>;
  /** Resolves once every transaction committed before the call is durable. */
  durable(): Promise<void>;
}

const inline = (db: Db): Durability => ({
  transaction: (work) => db.transaction().execute(work),
  durable: () => Promise.resolve(),
});

/** SQLite's synchronous levels: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
const NORMAL = 1;
const FULL = 2;
/** WAL syncs in flight at once; later batches share the next one. */
const MAX_SYNCS = 2;

async function detectDurability(db: Db): Promise<Durability> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return inline(db);
  const one = async <R>(query: string) => (await db.executeQuery<R>(CompiledQuery.raw(query))).rows[0];
  const mode = await one<{ journal_mode: string }>('pragma journal_mode');
  const level = await one<{ synchronous: number }>('pragma synchronous');
  const file = (
    await db.executeQuery<{ name: string; file: string }>(CompiledQuery.raw('pragma database_list'))
  ).rows.find((r) => r.name === 'main')?.file;
  // In memory, another journal mode, or an operator's own lower setting: commit as configured.
  if (mode?.journal_mode !== 'wal' || !file || !level || Number(level.synchronous) < FULL) return inline(db);
  const restore = CompiledQuery.raw(`pragma synchronous = ${Number(level.synchronous)}`);
  const deferred = CompiledQuery.raw(`pragma synchronous = ${NORMAL}`);
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

  return {
    transaction: (work) =>
      db.connection().execute(async (connection) => {
        // The level can change only outside a transaction; this connection is ours meanwhile.
        await connection.executeQuery(deferred);
        try {
          return await connection.transaction().execute(work);
        } finally {
          await connection.executeQuery(restore);
        }
      }),
    durable() {
      if (inFlight < MAX_SYNCS) return start();
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}

/**
 * Group commit: work submitted while a transaction is in flight waits and then commits together
 * with the rest in one transaction (one WAL sync on SQLite). Each caller's promise settles only
 * once the commit that holds its work is durable, so an answer sent after it survives a crash.
 * If a shared transaction fails, every item runs again alone, so one bad item cannot sink the
 * others.
 */
export function createGroupCommit<S = undefined>(db: Db, options: GroupCommitOptions<S> = {}) {
  const maxBatch = options.maxBatch ?? 500;
  let queue: Array<Item<unknown, S>> = [];
  let running = false;
  let durability: Promise<Durability> | undefined;

  /** One transaction holding `items`, with its own state, flushed before the commit. */
  function transaction(d: Durability, items: Array<Item<unknown, S>>): Promise<unknown[]> {
    return d.transaction(async (tx) => {
      const state = options.state?.() as S;
      const out: unknown[] = [];
      for (const item of items) out.push(await item.run(tx, state));
      if (options.beforeCommit) await options.beforeCommit(tx, state);
      return out;
    });
  }

  /** Settles the items' promises once their (committed) transaction is durable. */
  function settle(d: Durability, items: Array<Item<unknown, S>>, results: unknown[]): void {
    d.durable().then(
      () => {
        for (const [i, item] of items.entries()) item.resolve(results[i]);
      },
      (error: unknown) => {
        for (const item of items) item.reject(error);
      },
    );
  }

  async function runAlone(d: Durability, item: Item<unknown, S>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        settle(d, [item], await transaction(d, [item]));
        return;
      } catch (error) {
        if (attempt < 2 && options.retryAlone?.(error)) continue;
        item.reject(error);
        return;
      }
    }
  }

  async function drain(): Promise<void> {
    try {
      let d: Durability;
      try {
        durability ??= detectDurability(db);
        d = await durability;
      } catch (error) {
        durability = undefined;
        const failed = queue;
        queue = [];
        for (const item of failed) item.reject(error);
        return;
      }
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(maxBatch);
        if (batch.length === 1) {
          await runAlone(d, batch[0]!);
          continue;
        }
        let results: unknown[] | undefined;
        try {
          results = await transaction(d, batch);
        } catch {
          results = undefined;
        }
        if (results) settle(d, batch, results);
        else for (const item of batch) await runAlone(d, item);
      }
    } finally {
      running = false;
    }
  }

  return {
    submit<T>(run: (tx: Db, state: S) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ run, resolve, reject } as Item<unknown, S>);
        if (!running) {
          running = true;
          setImmediate(() => void drain());
        }
      });
    },
    get pending() {
      return queue.length;
    },
  };
}
