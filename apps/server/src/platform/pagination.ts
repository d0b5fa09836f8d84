import { AppError } from './errors.ts';

export interface PageQuery {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ a: lastId })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { a?: unknown };
    if (typeof parsed.a === 'string') return parsed.a;
  } catch {
    // fall through
  }
  throw new AppError('HTTP_VALIDATION_FAILED', 'The cursor is not one this API returned.', {
    errors: [{ path: 'query.cursor', message: 'invalid cursor' }],
  });
}

/**
 * Keyset pagination by id (ids are time-ordered). `fetch` returns up to `limit` rows with id
 * greater (or, for newest-first lists, smaller) than `after`.
 */
export async function pageById<T extends { id: string }>(
  page: PageQuery,
  fetch: (after: string | undefined, limit: number) => Promise<T[]>,
): Promise<Page<T>> {
  const rows = await fetch(decodeCursor(page.cursor), page.limit + 1);
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return { items, next_cursor: rows.length > page.limit && last ? encodeCursor(last.id) : null };
}
