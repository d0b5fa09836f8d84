import { type Db, type DeferredSync, deferredSync } from '../../db/database.ts';

/** The longest a transaction waits for the callers the last one answered (see regroup). */
const LINGER_MS = 2;

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
  /**
   * Runs once a transaction has committed (not yet durably), with its state: to keep in memory
   * what only a committed transaction may leave there. Never runs for one that rolled back.
   */
  afterCommit?: (state: S) => void;
}

/**
 * Group commit: work submitted while a transaction is in flight waits and then commits together
 * with the rest in one transaction (one WAL sync on SQLite). Each caller's promise settles only
 * once the commit that holds its work is durable, so an answer sent after it survives a crash (on
 * SQLite the commit's WAL sync runs off the main thread: `deferredSync` in db/database.ts).
 * If a shared transaction fails, every item runs again alone, so one bad item cannot sink the
 * others.
 */
export function createGroupCommit<S = undefined>(db: Db, options: GroupCommitOptions<S> = {}) {
  const maxBatch = options.maxBatch ?? 500;
  let queue: Array<Item<unknown, S>> = [];
  let running = false;

  /** One transaction holding `items`, with its own state, flushed before the commit. */
  async function transaction(d: DeferredSync, items: Array<Item<unknown, S>>): Promise<unknown[]> {
    const state = options.state?.() as S;
    const out = await d.transaction(async (tx) => {
      const results: unknown[] = [];
      for (const item of items) results.push(await item.run(tx, state));
      if (options.beforeCommit) await options.beforeCommit(tx, state);
      return results;
    });
    options.afterCommit?.(state);
    return out;
  }

  /**
   * Settles the items' promises once their (committed) transaction is durable; resolves then too
   * (never rejects: a failed sync rejects the items).
   */
  function settle(d: DeferredSync, items: Array<Item<unknown, S>>, results: unknown[]): Promise<void> {
    return d.durable().then(
      () => {
        for (const [i, item] of items.entries()) item.resolve(results[i]);
      },
      (error: unknown) => {
        for (const item of items) item.reject(error);
      },
    );
  }

  async function runAlone(d: DeferredSync, item: Item<unknown, S>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await settle(d, [item], await transaction(d, [item]));
        return;
      } catch (error) {
        if (attempt < 2 && options.retryAlone?.(error)) continue;
        item.reject(error);
        return;
      }
    }
  }

  /**
   * Under load, callers answered by one commit send their next work during the next one's sync:
   * two cohorts take turns, each commit holding about half of them. Before starting a transaction,
   * let the event loop turn (reading what arrived) until about three quarters of those just
   * answered have joined the queue too, for at most LINGER_MS: larger, fewer transactions. A lone
   * caller's next request ends the wait as soon as it arrives; with nobody coming back it costs
   * LINGER_MS once.
   */
  async function regroup(answered: number): Promise<void> {
    if (queue.length === 0 || answered < 2) return;
    const target = Math.min(maxBatch, queue.length + Math.floor(answered * 0.75));
    const until = performance.now() + LINGER_MS;
    while (queue.length < target && performance.now() < until) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  async function drain(): Promise<void> {
    try {
      let d: DeferredSync;
      try {
        d = await deferredSync(db);
      } catch (error) {
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
        // The next transaction starts once this one is durable, and what arrives meanwhile joins
        // it: fewer, larger transactions (less CPU per event), one WAL sync at a time.
        if (results) await settle(d, batch, results);
        else for (const item of batch) await runAlone(d, item);
        await regroup(batch.length);
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
