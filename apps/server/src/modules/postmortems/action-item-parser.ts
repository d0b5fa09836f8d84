/**
 * Action items written in a postmortem's Markdown, pure. Under `## Action Items`, each line
 *
 *   - [ ] Alert on queue depth above 10k (@ada, due 2025-05-01)
 *
 * is an item: a checkbox (`[x]` means done), a title, and optionally an owner handle and a due
 * date in the trailing parentheses. Items without owner or due date are still returned, so
 * publishing can name what is missing.
 */
export interface ParsedActionItem {
  /** 1-based line number in the Markdown. */
  line: number;
  title: string;
  checked: boolean;
  /** The handle after `@`, without it. */
  owner: string | null;
  /** YYYY-MM-DD */
  due_date: string | null;
  /** Stable identity across saves: the normalised title. */
  key: string;
}

export interface MarkdownLine {
  line: number;
  text: string;
  /** The `##` section the line is in (heading text, lower case), or null before any. */
  section: string | null;
  /** Inside a fenced code block. */
  code: boolean;
}

/** Every line with the `##` section it belongs to; fenced code is marked so rules can skip it. */
export function sectionLines(markdown: string): MarkdownLine[] {
  const out: MarkdownLine[] = [];
  let section: string | null = null;
  let fence: string | null = null;
  markdown.split(/\r?\n/).forEach((text, i) => {
    const fenceMatch = /^\s{0,3}(`{3,}|~{3,})/.exec(text);
    if (fenceMatch) {
      const marker = fenceMatch[1]!;
      if (fence === null) fence = marker[0]!;
      else if (marker[0] === fence) fence = null;
      out.push({ line: i + 1, text, section, code: true });
      return;
    }
    if (fence === null) {
      const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(text);
      if (heading) section = heading[1]!.length <= 2 ? heading[2]!.trim().toLowerCase() : section;
    }
    out.push({ line: i + 1, text, section, code: fence !== null });
  });
  return out;
}

export function actionItemKey(title: string): string {
  return title.toLowerCase().replace(/\s+/g, ' ').trim().slice(0, 300);
}

const ITEM = /^\s*[-*+]\s+\[( |x|X)\]\s+(.+?)\s*$/;
const META = /\(([^()]*)\)\s*$/;
const DATE = /\bdue:?\s+(\d{4}-\d{2}-\d{2})\b/i;
const OWNER = /(^|[\s,])@([A-Za-z0-9][A-Za-z0-9._+-]*)/;

function validDate(value: string): boolean {
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

export function parseActionItems(markdown: string): ParsedActionItem[] {
  const items: ParsedActionItem[] = [];
  for (const l of sectionLines(markdown)) {
    if (l.code || l.section !== 'action items') continue;
    const m = ITEM.exec(l.text);
    if (!m) continue;
    let title = m[2]!;
    let owner: string | null = null;
    let due: string | null = null;
    const meta = META.exec(title);
    if (meta && (OWNER.test(meta[1]!) || DATE.test(meta[1]!))) {
      const o = OWNER.exec(meta[1]!);
      const d = DATE.exec(meta[1]!);
      owner = o ? o[2]!.replace(/[.]+$/, '') : null;
      due = d && validDate(d[1]!) ? d[1]! : null;
      title = title.slice(0, meta.index).trim();
    }
    if (!title) continue;
    items.push({
      line: l.line,
      title,
      checked: m[1] !== ' ',
      owner,
      due_date: due,
      key: actionItemKey(title),
    });
  }
  return items;
}

/**
 * The Markdown with each tracked item's checkbox showing its live status: `[x]` once the item is
 * done (or won't be done), `[ ]` while it is open or in progress. Text is otherwise unchanged.
 */
export function withLiveStatus(markdown: string, statusByKey: ReadonlyMap<string, string>): string {
  const parsed = new Map(parseActionItems(markdown).map((p) => [p.line, p]));
  if (parsed.size === 0) return markdown;
  const lines = markdown.split('\n');
  return lines
    .map((text, i) => {
      const item = parsed.get(i + 1);
      const status = item ? statusByKey.get(item.key) : undefined;
      if (!item || !status) return text;
      const mark = status === 'done' || status === 'wont_do' ? 'x' : ' ';
      return text.replace(/\[( |x|X)\]/, `[${mark}]`);
    })
    .join('\n');
}
