import type { Db } from '../../db/database.ts';

interface Item<T> {
  run: (tx: Db) => Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: work submitted while a transaction is in flight waits and then commits together
 * with the rest in one transaction (one fsync on SQLite). Each caller's promise settles only after
 * the commit that holds its work, so an answer sent after it is durable. If a shared transaction
 * fails, every item runs again alone, so one bad item cannot sink the others.
 */
export function createGroupCommit(
  db: Db,
  options: { maxBatch?: number; retryAlone?: (error: unknown) => boolean } = {},
) {
  const maxBatch = options.maxBatch ?? 256;
  let queue: Array<Item<unknown>> = [];
  let running = false;

  async function runAlone(item: Item<unknown>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        item.resolve(await db.transaction().execute((tx) => item.run(tx)));
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
          results = await db.transaction().execute(async (tx) => {
            const out: unknown[] = [];
            for (const item of batch) out.push(await item.run(tx));
            return out;
          });
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
    submit<T>(run: (tx: Db) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ run, resolve, reject } as Item<unknown>);
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
