/** Option lists that several filter bars share. */
export interface FilterOption {
  value: string;
  label: string;
}

/** "All teams" then each team by name. */
export function teamFilterOptions(
  teams: readonly { id: string; name: string }[] | undefined,
): FilterOption[] {
  return [{ value: '', label: 'All teams' }, ...(teams ?? []).map((t) => ({ value: t.id, label: t.name }))];
}

/** Any, overdue or not overdue (the `overdue` query parameter of list APIs). */
export const OVERDUE_FILTER_OPTIONS: readonly FilterOption[] = [
  { value: '', label: 'Any' },
  { value: 'true', label: 'Overdue' },
  { value: 'false', label: 'Not overdue' },
];
