import { useSearchParams } from 'react-router';

/**
 * A page's filters kept in its URL, so a filtered view can be shared and survives a reload.
 * `setFilter(name, null)` removes the parameter; an empty string removes it too, except for the
 * names in `keepEmpty` (where an empty value means something, such as "no statuses").
 * `clearFilters()` removes them all.
 */
export function useUrlFilters(keepEmpty: readonly string[] = []) {
  const [params, setParams] = useSearchParams();
  function setFilter(name: string, value: string | null) {
    const next = new URLSearchParams(params);
    if (value === null || (value === '' && !keepEmpty.includes(name))) next.delete(name);
    else next.set(name, value);
    setParams(next, { replace: true });
  }
  /** Removes every filter. */
  const clearFilters = () => setParams({}, { replace: true });
  return { params, setFilter, clearFilters };
}
