/** Help text shared by the commands that act on a server or on the local database. */
export const TARGET_HELP = `
Where it acts:
  With ENGOPS_URL set, it calls that server's API, authenticated by ENGOPS_TOKEN (an admin API
  token). Otherwise it acts directly on the local database the server uses (ENGOPS_DATA_DIR, or
  ENGOPS_DATABASE_URL for PostgreSQL), applying pending migrations first; the change is then
  audited as the system.`;

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Lines for people; stderr when stdout is kept for one value a script reads (a token secret). */
export function say(line: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
  process[stream].write(`${line}\n`);
}

/** A plain left-aligned table with a header row. */
export function printTable(columns: string[], rows: string[][]): void {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  say(line(columns));
  for (const row of rows) say(line(row));
}

/** Every item of a paginated list endpoint ({items, next_cursor}). */
export async function allPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor: string | null }>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return items;
}
