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
 * Group commit: work submitted while a transaction is in flight waits and then commits together
 * with the rest in one transaction (one fsync on SQLite). Each caller's promise settles only after
 * the commit that holds its work, so an answer sent after it is durable. If a shared transaction
 * fails, every item runs again alone, so one bad item cannot sink the others.
 */
export function createGroupCommit<S = undefined>(db: Db, options: GroupCommitOptions<S> = {}) {
  const maxBatch = options.maxBatch ?? 256;
  let queue: Array<Item<unknown, S>> = [];
  let running = false;

  /** One transaction holding `items`, with its own state, flushed before the commit. */
  function transaction(items: Array<Item<unknown, S>>): Promise<unknown[]> {
    return db.transaction().execute(async (tx) => {
      const state = options.state?.() as S;
      const out: unknown[] = [];
      for (const item of items) out.push(await item.run(tx, state));
      if (options.beforeCommit) await options.beforeCommit(tx, state);
      return out;
    });
  }

  async function runAlone(item: Item<unknown, S>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const [result] = await transaction([item]);
        item.resolve(result);
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
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(maxBatch);
        if (batch.length === 1) {
          await runAlone(batch[0]!);
          continue;
        }
        let results: unknown[] | undefined;
        try {
          results = await transaction(batch);
        } catch {
          results = undefined;
        }
        if (results) {
          for (const [i, item] of batch.entries()) item.resolve(results[i]);
        } else {
          for (const item of batch) await runAlone(item);
        }
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
