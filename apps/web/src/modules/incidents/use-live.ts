import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type Page, type QueryValue } from '../../app/api-client.ts';

/** How often the incident pages refresh themselves while visible. */
export const LIVE_INTERVAL_MS = 10_000;

/**
 * Calls `refresh` every `intervalMs` while the page is visible; stops while the tab is hidden and
 * refreshes at once when it shows again, so a background tab costs the server nothing.
 */
export function usePolling(refresh: () => void, intervalMs = LIVE_INTERVAL_MS, enabled = true): void {
  const saved = useRef(refresh);
  saved.current = refresh;
  useEffect(() => {
    if (!enabled) return;
    let timer: ReturnType<typeof setInterval> | undefined;
    const start = () => {
      if (timer === undefined) timer = setInterval(() => saved.current(), intervalMs);
    };
    const stop = () => {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    };
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') stop();
      else {
        saved.current();
        start();
      }
    };
    if (document.visibilityState !== 'hidden') start();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stop();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [intervalMs, enabled]);
}

/** The current time, advanced every `intervalMs` (for "5 minutes ago" labels). */
export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export interface LiveList<T> {
  items: T[];
  error: unknown;
  loading: boolean;
  loadingMore: boolean;
  hasMore: boolean;
  /** When the list was last read from the server (ms since the epoch), or null before that. */
  updatedAt: number | null;
  loadMore(): void;
  /** Re-reads as many items as are shown (a poll keeps "Load more" pages). */
  refresh(): void;
}

/**
 * A cursor-paged list that can refresh in place: the first page on every change of path/query,
 * more on loadMore(), and refresh() re-reads the same number of items without clearing the table.
 * Answers to superseded requests are dropped.
 */
export function useLivePagedList<T>(
  path: string,
  query: Record<string, QueryValue>,
  limit = 50,
  maxRefreshPages = 8,
): LiveList<T> {
  const queryKey = JSON.stringify(query);
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const generation = useRef(0);
  const shown = useRef(0);

  const read = useCallback(
    async (mine: number, wanted: number) => {
      const q = JSON.parse(queryKey) as Record<string, QueryValue>;
      const out: T[] = [];
      let next: string | null = null;
      for (let page = 0; page < maxRefreshPages; page++) {
        const result: Page<T> = await api.get<Page<T>>(path, { ...q, limit, cursor: next });
        if (generation.current !== mine) return;
        out.push(...result.items);
        next = result.next_cursor;
        if (!next || out.length >= wanted) break;
      }
      shown.current = out.length;
      setItems(out);
      setCursor(next);
      setError(null);
      setUpdatedAt(Date.now());
    },
    [path, queryKey, limit, maxRefreshPages],
  );

  const run = useCallback(
    (wanted: number) => {
      const mine = ++generation.current;
      setLoading(true);
      setLoadingMore(false);
      read(mine, wanted).then(
        () => {
          if (generation.current === mine) setLoading(false);
        },
        (failure: unknown) => {
          if (generation.current !== mine) return;
          setError(failure);
          setLoading(false);
        },
      );
    },
    [read],
  );

  useEffect(() => {
    shown.current = 0;
    run(limit);
  }, [run, limit]);

  const refresh = useCallback(() => run(Math.max(limit, shown.current)), [run, limit]);

  const loadMore = useCallback(() => {
    if (!cursor) return;
    const mine = generation.current;
    setLoadingMore(true);
    setError(null);
    api
      .get<Page<T>>(path, { ...(JSON.parse(queryKey) as Record<string, QueryValue>), limit, cursor })
      .then(
        (page) => {
          if (generation.current !== mine) return;
          setItems((prev) => {
            const next = [...prev, ...page.items];
            shown.current = next.length;
            return next;
          });
          setCursor(page.next_cursor);
        },
        (failure: unknown) => {
          if (generation.current === mine) setError(failure);
        },
      )
      .finally(() => {
        if (generation.current === mine) setLoadingMore(false);
      });
  }, [path, queryKey, limit, cursor]);

  return { items, error, loading, loadingMore, hasMore: cursor !== null, updatedAt, loadMore, refresh };
}
