/**
 * A fixed-window counter per key, in memory. Used for login attempts: per process, which is the
 * right scope for slowing a guesser; several processes each apply the limit.
 */
export function createRateLimiter(options: { limit: number; windowMs: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const windows = new Map<string, { start: number; count: number }>();
  return {
    /** Counts one hit; returns the seconds to wait when over the limit, else 0. */
    hit(key: string): number {
      const t = now();
      if (windows.size > 10_000) {
        for (const [k, w] of windows) if (t - w.start >= options.windowMs) windows.delete(k);
      }
      let w = windows.get(key);
      if (!w || t - w.start >= options.windowMs) {
        w = { start: t, count: 0 };
        windows.set(key, w);
      }
      w.count += 1;
      return w.count > options.limit ? Math.ceil((w.start + options.windowMs - t) / 1000) : 0;
    },
    reset(key: string): void {
      windows.delete(key);
    },
  };
}
