import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type Page, type QueryValue } from './api-client.ts';

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/**
 * Loads `load()` whenever `key` changes (or on reload()). A stale answer for an older key is
 * dropped, never shown. Requests are not aborted, so navigation never logs cancelled fetches.
 */
export function useResource<T>(key: string, load: () => Promise<T>): Resource<T> {
  const loader = useRef(load);
  loader.current = load;
  const [version, setVersion] = useState(0);
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: null,
    loading: true,
  });

  // biome-ignore lint/correctness/useExhaustiveDependencies: key and version are the triggers by design
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, error: null, loading: true }));
    loader.current().then(
      (data) => {
        if (current) setState({ data, error: null, loading: false });
      },
      (error: unknown) => {
        if (current) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
    return () => {
      current = false;
    };
  }, [key, version]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { ...state, reload };
}

export interface PagedList<T> {
  items: T[];
  error: unknown;
  loading: boolean;
  loadingMore: boolean;
  hasMore: boolean;
  loadMore(): void;
  reload(): void;
}

/** A cursor-paged list: the first page on every change of path/query, more on loadMore(). */
export function usePagedList<T>(
  path: string,
  query: Record<string, QueryValue> = {},
  limit = 50,
): PagedList<T> {
  const queryKey = JSON.stringify(query);
  const [version, setVersion] = useState(0);
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  // Which request generation is current: answers to older ones are dropped.
  const generation = useRef(0);
  const busy = useRef(false);

  // biome-ignore lint/correctness/useExhaustiveDependencies: path, query and version are the triggers
  useEffect(() => {
    const mine = ++generation.current;
    busy.current = false;
    setError(null);
    setLoading(true);
    setLoadingMore(false);
    api.get<Page<T>>(path, { ...(JSON.parse(queryKey) as Record<string, QueryValue>), limit }).then(
      (page) => {
        if (generation.current !== mine) return;
        setItems(page.items);
        setCursor(page.next_cursor);
        setLoading(false);
      },
      (failure: unknown) => {
        if (generation.current !== mine) return;
        setError(failure);
        setLoading(false);
      },
    );
  }, [path, queryKey, limit, version]);

  const loadMore = useCallback(() => {
    if (!cursor || busy.current) return;
    const mine = generation.current;
    busy.current = true;
    setLoadingMore(true);
    setError(null);
    api
      .get<Page<T>>(path, { ...(JSON.parse(queryKey) as Record<string, QueryValue>), limit, cursor })
      .then(
        (page) => {
          if (generation.current !== mine) return;
          setItems((prev) => [...prev, ...page.items]);
          setCursor(page.next_cursor);
        },
        (failure: unknown) => {
          if (generation.current === mine) setError(failure);
        },
      )
      .finally(() => {
        if (generation.current !== mine) return;
        busy.current = false;
        setLoadingMore(false);
      });
  }, [path, queryKey, limit, cursor]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { items, error, loading, loadingMore, hasMore: cursor !== null, loadMore, reload };
}
