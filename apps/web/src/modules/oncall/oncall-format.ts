/**
 * Pure helpers of the on-call pages: wall-clock times in a schedule's time zone (Intl only, no
 * library), the day rows of the timeline, and durations.
 */

const partsCache = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = partsCache.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsCache.set(zone, f);
  }
  return f;
}

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock fields of an instant in a zone. */
export function wallClock(instant: number, zone: string): WallClock {
  const out: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(instant))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return {
    year: out.year ?? 1970,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: (out.hour ?? 0) % 24,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

/** Offset of the zone from UTC at an instant, in milliseconds. */
function offsetAt(instant: number, zone: string): number {
  const w = wallClock(instant, zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant of a local wall-clock time in a zone. A time in a spring-forward gap moves forward by
 * the gap; an ambiguous one is its first occurrence (as the server does, RFC 5545 3.3.5).
 */
export function zonedToInstant(w: WallClock, zone: string): number {
  const naive = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  // The offset in force a day before and after bounds the two candidates.
  const before = offsetAt(naive - 86_400_000, zone);
  const after = offsetAt(naive + 86_400_000, zone);
  const candidates = [naive - before, naive - after].sort((a, b) => a - b);
  for (const c of candidates) {
    if (sameWall(wallClock(c, zone), w)) return c;
  }
  // Not a local time (gap): read with the offset before the gap.
  return naive - before;
}

function sameWall(a: WallClock, b: WallClock): boolean {
  return (
    a.year === b.year &&
    a.month === b.month &&
    a.day === b.day &&
    a.hour === b.hour &&
    a.minute === b.minute &&
    a.second === b.second
  );
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `YYYY-MM-DDTHH:MM` of an instant in a zone (the value of an <input type="datetime-local">). */
export function toLocalInput(instant: number, zone: string): string {
  const w = wallClock(instant, zone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

/** Parses `YYYY-MM-DDTHH:MM[:SS]`; undefined when it is not one. */
export function parseLocal(value: string): WallClock | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!m) return undefined;
  return {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6] ?? 0),
  };
}

/** A datetime-local value read in `zone`, as an ISO instant; undefined when it does not parse. */
export function localInputToIso(value: string, zone: string): string | undefined {
  const w = parseLocal(value);
  return w ? new Date(zonedToInstant(w, zone)).toISOString() : undefined;
}

export interface DayRow {
  /** `YYYY-MM-DD` in the zone. */
  date: string;
  start: number;
  end: number;
}

/** `count` local days in `zone` starting with the day containing `from` (23/25-hour days kept). */
export function localDays(from: number, zone: string, count: number): DayRow[] {
  const first = wallClock(from, zone);
  const rows: DayRow[] = [];
  for (let i = 0; i < count; i++) {
    const d = new Date(Date.UTC(first.year, first.month - 1, first.day + i));
    const next = new Date(Date.UTC(first.year, first.month - 1, first.day + i + 1));
    const start = zonedToInstant(
      {
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hour: 0,
        minute: 0,
        second: 0,
      },
      zone,
    );
    const end = zonedToInstant(
      {
        year: next.getUTCFullYear(),
        month: next.getUTCMonth() + 1,
        day: next.getUTCDate(),
        hour: 0,
        minute: 0,
        second: 0,
      },
      zone,
    );
    rows.push({
      date: `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
      start,
      end,
    });
  }
  return rows;
}

export interface Segment<T> {
  item: T;
  /** Percent of the day from its start. */
  left: number;
  width: number;
  start: number;
  end: number;
}

/** The parts of `items` inside a day, as percentages of that day's real length. */
export function segmentsOfDay<T extends { start: string; end: string }>(
  day: DayRow,
  items: readonly T[],
): Segment<T>[] {
  const span = day.end - day.start;
  const out: Segment<T>[] = [];
  for (const item of items) {
    const s = Math.max(Date.parse(item.start), day.start);
    const e = Math.min(Date.parse(item.end), day.end);
    if (e <= s) continue;
    out.push({ item, start: s, end: e, left: ((s - day.start) / span) * 100, width: ((e - s) / span) * 100 });
  }
  return out;
}

/** `HH:MM` of an instant in a zone. */
export function clockIn(instant: number, zone: string): string {
  const w = wallClock(instant, zone);
  return `${pad(w.hour)}:${pad(w.minute)}`;
}

const dayLabel = new Map<string, Intl.DateTimeFormat>();
/** "Mon 2 Mar" of a `YYYY-MM-DD`. */
export function formatDay(date: string): string {
  let f = dayLabel.get('d');
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      timeZone: 'UTC',
    });
    dayLabel.set('d', f);
  }
  return f.format(new Date(`${date}T00:00:00Z`));
}

/** "3 h", "1 d 4 h", "45 min". */
export function formatSpan(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours < 24) return rest ? `${hours} h ${rest} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  const h = hours % 24;
  return h ? `${days} d ${h} h` : `${days} d`;
}

/** A stable colour index per person (their position in the schedule's participants). */
export function colourIndex(userId: string, order: readonly string[]): number {
  const i = order.indexOf(userId);
  if (i >= 0) return i % 8;
  let h = 0;
  for (const c of userId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % 8;
}
