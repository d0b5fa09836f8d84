/**
 * Full-text search, pure parts. The query language is PostgreSQL's `websearch_to_tsquery`: words
 * must all appear, `"quoted words"` form a phrase, `or` between two terms accepts either, and a
 * leading `-` excludes a word. PostgreSQL parses it itself; for SQLite the same query becomes an
 * FTS5 expression in which every term is a quoted string (so no user text is FTS5 syntax).
 */
interface Term {
  tokens: string[];
  negated: boolean;
  /** Joined to the previous term by OR rather than AND. */
  or: boolean;
}

/** Letters and digits only: what both engines' tokenizers keep. */
function tokensOf(text: string): string[] {
  return text.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

export function parseWebSearch(query: string): Term[] {
  const terms: Term[] = [];
  const pattern = /(-?)"([^"]*)"?|(\S+)/gu;
  let pendingOr = false;
  for (let m = pattern.exec(query); m; m = pattern.exec(query)) {
    const negated = m[1] === '-' || (m[3]?.startsWith('-') ?? false);
    const raw = m[2] ?? m[3]!.replace(/^-+/, '');
    if (m[3] !== undefined && /^or$/i.test(m[3])) {
      if (terms.length > 0) pendingOr = true;
      continue;
    }
    const tokens = tokensOf(raw);
    if (tokens.length === 0) continue;
    terms.push({ tokens, negated, or: pendingOr && !negated && terms.length > 0 });
    pendingOr = false;
  }
  return terms;
}

/** Whether the query looks for anything (a query of only `-excluded` words finds nothing, on both engines). */
export function hasPositiveTerm(query: string): boolean {
  return parseWebSearch(query).some((t) => !t.negated);
}

const quote = (tokens: string[]) => `"${tokens.join(' ').replace(/"/g, '""')}"`;

/**
 * The FTS5 MATCH expression for a web-search query, or null when nothing positive is left to
 * look for (then nothing matches, as in PostgreSQL).
 */
export function toFts5Query(query: string): string | null {
  const terms = parseWebSearch(query);
  const groups: string[][] = [];
  const negatives: string[] = [];
  for (const term of terms) {
    if (term.negated) {
      negatives.push(quote(term.tokens));
      continue;
    }
    const last = groups.at(-1);
    if (term.or && last) last.push(quote(term.tokens));
    else groups.push([quote(term.tokens)]);
  }
  if (groups.length === 0) return null;
  const positive = groups.map((g) => (g.length > 1 ? `(${g.join(' OR ')})` : g[0]!)).join(' AND ');
  return negatives.length ? `(${positive}) NOT ${negatives.join(' NOT ')}` : positive;
}

export const MARK_START = '\u0002';
export const MARK_END = '\u0003';

/**
 * A snippet with highlight markers as plain text (whitespace runs, line breaks included, become one
 * space) and the [start, end) ranges of the matches in it.
 */
export function splitHighlights(marked: string): { snippet: string; highlights: Array<[number, number]> } {
  let snippet = '';
  const highlights: Array<[number, number]> = [];
  let open = -1;
  for (const ch of marked) {
    if (ch === MARK_START) open = snippet.length;
    else if (ch === MARK_END) {
      if (open >= 0 && snippet.length > open) highlights.push([open, snippet.length]);
      open = -1;
    } else if (/\s/u.test(ch)) {
      if (snippet.length > 0 && !snippet.endsWith(' ')) snippet += ' ';
    } else snippet += ch;
  }
  const trimmed = snippet.trimEnd();
  return { snippet: trimmed, highlights: highlights.map(([a, b]) => [a, Math.min(b, trimmed.length)]) };
}
