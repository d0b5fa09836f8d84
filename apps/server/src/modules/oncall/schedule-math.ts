/**
 * Schedule maths: who is on call when. Pure, no I/O.
 *
 * Time-zone policy (RFC 5545 section 3.3.5, as docs/guides/oncall.md explains):
 * - A layer's `start` is a wall-clock time in the schedule's IANA zone.
 * - Day and week turns hand off at the same LOCAL wall-clock time every turn, so a week that
 *   contains a DST switch lasts 167 or 169 hours. Hour turns are elapsed hours.
 * - A local time that does not exist (spring forward) is moved forward by the length of the gap
 *   (02:30 on a 02:00 -> 03:00 night becomes 03:30).
 * - An ambiguous local time (fall back) is the first occurrence (the earlier instant).
 *
 * Layers stack: a later layer in the list is higher and covers the layers below it wherever it has
 * someone on call; its restrictions leave gaps that lower layers fill. Overrides replace whoever is
 * on call during their window (several overlapping overrides put several people on call).
 *
 * Internally an instant is a number of UTC milliseconds, and a local wall-clock time is a "naive"
 * number: the milliseconds the same wall-clock fields would have in UTC. Adding days to a naive
 * number moves a wall clock by whole calendar days.
 */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export type RotationUnit = 'hour' | 'day' | 'week';

export interface Restriction {
  days: readonly Weekday[];
  /** Local "HH:MM" (inclusive). */
  from: string;
  /** Local "HH:MM" (exclusive); "24:00" ends at midnight; a time at or before `from` ends next day. */
  to: string;
}

export interface ScheduleLayer {
  name: string;
  /** Local wall-clock time in the schedule's zone, "YYYY-MM-DDTHH:MM[:SS]". */
  start: string;
  rotation: { unit: RotationUnit; length: number };
  participants: readonly string[];
  restrictions?: readonly Restriction[] | undefined;
}

export interface ScheduleOverride {
  id?: string | undefined;
  user_id: string;
  /** ISO-8601 instants. */
  start: string;
  end: string;
}

export interface ScheduleDefinition {
  time_zone: string;
  /** Lowest first: a later layer covers the earlier ones. */
  layers: readonly ScheduleLayer[];
  overrides?: readonly ScheduleOverride[] | undefined;
}

export interface Shift {
  user_id: string;
  /** The layer's name, or "override". */
  layer: string;
  start: string;
  end: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MINUTE = 60_000;

// ---------------------------------------------------------------------------------------------
// Zone conversion with Intl.DateTimeFormat

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, Map<number, number>>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Is `zone` an IANA time zone this runtime knows? */
export function isValidTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's UTC offset (ms, local minus UTC) at a UTC instant. Offsets are whole minutes here. */
export function offsetAt(zone: string, utcMs: number): number {
  const minute = Math.floor(utcMs / MINUTE);
  let cache = offsetCache.get(zone);
  if (!cache) {
    cache = new Map();
    offsetCache.set(zone, cache);
  }
  const hit = cache.get(minute);
  if (hit !== undefined) return hit;
  const at = minute * MINUTE;
  const fields: Record<string, string> = {};
  for (const part of formatter(zone).formatToParts(new Date(at))) fields[part.type] = part.value;
  let year = Number(fields.year);
  if (fields.era === 'BC' || fields.era === 'B') year = 1 - year;
  const naive = Date.UTC(
    year,
    Number(fields.month) - 1,
    Number(fields.day),
    Number(fields.hour),
    Number(fields.minute),
    Number(fields.second),
  );
  // Date.UTC maps years 0-99 to 1900-1999; schedules never reach there, but stay exact.
  const offset = Math.round((naive - at) / MINUTE) * MINUTE;
  if (cache.size > 50_000) cache.clear();
  cache.set(minute, offset);
  return offset;
}

/** The local wall-clock time (naive ms) of a UTC instant. */
export function utcToLocal(zone: string, utcMs: number): number {
  return utcMs + offsetAt(zone, utcMs);
}

/**
 * The UTC instant of a local wall-clock time (naive ms): a time in a gap moves forward by the gap
 * (it is read with the offset in force before the gap); an ambiguous time takes its first occurrence.
 */
export function localToUtc(zone: string, naive: number): number {
  const before = offsetAt(zone, naive - DAY);
  const after = offsetAt(zone, naive + DAY);
  const candidates: number[] = [];
  for (const offset of before === after ? [before] : [before, after]) {
    const utc = naive - offset;
    if (offsetAt(zone, utc) === offset) candidates.push(utc);
  }
  if (candidates.length === 0) {
    // Rare zones change offset twice within two days: search the offsets actually in force nearby.
    for (let h = -48; h <= 48; h++) {
      const offset = offsetAt(zone, naive + h * HOUR);
      const utc = naive - offset;
      if (offsetAt(zone, utc) === offset && !candidates.includes(utc)) candidates.push(utc);
    }
  }
  if (candidates.length > 0) return Math.min(...candidates);
  // A gap: read the wall time with the offset in force before it, which moves it forward by the gap.
  return naive - before;
}

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** "YYYY-MM-DDTHH:MM[:SS]" as naive ms, or null when malformed or not a calendar time. */
export function parseLocal(text: string): number | null {
  const m = LOCAL_RE.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const naive = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(naive);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  if (h > 23 || mi > 59 || s > 59) return null;
  return naive;
}

/** "HH:MM" as minutes after midnight (00:00-24:00), or null. */
export function parseClock(text: string): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(text);
  if (!m) return null;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (Number(m[2]) > 59 || minutes > 24 * 60) return null;
  return minutes;
}

// ---------------------------------------------------------------------------------------------
// Rotations

interface Interval {
  start: number;
  end: number;
}

interface LayerInterval extends Interval {
  user: string;
}

function turnStep(layer: ScheduleLayer): number {
  const { unit, length } = layer.rotation;
  return length * (unit === 'hour' ? HOUR : unit === 'day' ? DAY : 7 * DAY);
}

/** The instant turn `k` of a layer starts (k = 0 at the layer's start). */
export function turnStart(zone: string, layer: ScheduleLayer, k: number): number {
  const start = parseLocal(layer.start);
  if (start === null) throw new Error(`invalid layer start ${layer.start}`);
  if (layer.rotation.unit === 'hour') return localToUtc(zone, start) + k * turnStep(layer);
  return localToUtc(zone, start + k * turnStep(layer));
}

/** Turns (unrestricted) of one layer overlapping [from, to). */
function layerTurns(zone: string, layer: ScheduleLayer, from: number, to: number): LayerInterval[] {
  const n = layer.participants.length;
  if (n === 0 || layer.rotation.length <= 0) return [];
  const first = turnStart(zone, layer, 0);
  if (to <= first) return [];
  const step = turnStep(layer);
  let k = Math.max(0, Math.floor((from - first) / step));
  while (k > 0 && turnStart(zone, layer, k) > from) k--;
  while (turnStart(zone, layer, k + 1) <= from) k++;
  const out: LayerInterval[] = [];
  for (let s = turnStart(zone, layer, k); s < to; k++) {
    const e = turnStart(zone, layer, k + 1);
    if (e > from) out.push({ user: layer.participants[k % n]!, start: s, end: e });
    s = e;
  }
  return out;
}

/** The restriction windows (UTC) of a layer overlapping [from, to), merged and sorted. */
function restrictionWindows(
  zone: string,
  restrictions: readonly Restriction[],
  from: number,
  to: number,
): Interval[] {
  const windows: Interval[] = [];
  const firstDay = Math.floor(utcToLocal(zone, from) / DAY) * DAY - 2 * DAY;
  const lastDay = Math.floor(utcToLocal(zone, to) / DAY) * DAY + DAY;
  for (let day = firstDay; day <= lastDay; day += DAY) {
    const weekday = WEEKDAYS[new Date(day).getUTCDay()]!;
    for (const r of restrictions) {
      if (!r.days.includes(weekday)) continue;
      const f = parseClock(r.from) ?? 0;
      let t = parseClock(r.to) ?? 24 * 60;
      if (t <= f) t += 24 * 60;
      const start = localToUtc(zone, day + f * MINUTE);
      const end = localToUtc(zone, day + t * MINUTE);
      if (end > from && start < to && end > start) windows.push({ start, end });
    }
  }
  return mergeIntervals(windows);
}

function mergeIntervals(list: Interval[]): Interval[] {
  const sorted = [...list].sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}

/** What one layer puts on call within [from, to), restrictions applied. */
export function layerIntervals(
  zone: string,
  layer: ScheduleLayer,
  from: number,
  to: number,
): LayerInterval[] {
  const turns = layerTurns(zone, layer, from, to);
  if (!layer.restrictions || layer.restrictions.length === 0) return turns;
  const windows = restrictionWindows(zone, layer.restrictions, from, to);
  const out: LayerInterval[] = [];
  for (const turn of turns) {
    for (const w of windows) {
      const start = Math.max(turn.start, w.start);
      const end = Math.min(turn.end, w.end);
      if (start < end) out.push({ user: turn.user, start, end });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Final shifts

interface Cover {
  user: string;
  layer: string;
}

/** The final shifts in [from, to) (UTC ms), layers stacked and overrides applied, by start. */
export function renderShifts(schedule: ScheduleDefinition, from: number, to: number): Shift[] {
  if (!(to > from)) return [];
  const zone = schedule.time_zone;
  const perLayer = schedule.layers.map((layer) => ({
    name: layer.name,
    intervals: layerIntervals(zone, layer, from, to),
  }));
  const overrides = (schedule.overrides ?? [])
    .map((o) => ({ user: o.user_id, start: Date.parse(o.start), end: Date.parse(o.end) }))
    .filter((o) => o.end > from && o.start < to && o.end > o.start);

  const bounds = new Set<number>([from, to]);
  for (const l of perLayer)
    for (const i of l.intervals) {
      bounds.add(Math.max(from, i.start));
      bounds.add(Math.min(to, i.end));
    }
  for (const o of overrides) {
    bounds.add(Math.max(from, o.start));
    bounds.add(Math.min(to, o.end));
  }
  const points = [...bounds].sort((a, b) => a - b);

  const open = new Map<string, { shift: Shift; end: number }>();
  const done: Array<{ shift: Shift; start: number }> = [];
  const cursor = perLayer.map(() => 0);
  for (let p = 0; p + 1 < points.length; p++) {
    const segStart = points[p]!;
    const segEnd = points[p + 1]!;
    let covers: Cover[] = overrides
      .filter((o) => o.start <= segStart && o.end >= segEnd)
      .map((o) => ({ user: o.user, layer: 'override' }));
    if (covers.length === 0) {
      for (let li = perLayer.length - 1; li >= 0; li--) {
        const layer = perLayer[li]!;
        // Intervals of one layer are sorted and do not overlap: walk a cursor forward.
        let c = cursor[li]!;
        while (c < layer.intervals.length && layer.intervals[c]!.end <= segStart) c++;
        cursor[li] = c;
        const hits: Cover[] = [];
        for (let j = c; j < layer.intervals.length && layer.intervals[j]!.start <= segStart; j++) {
          const i = layer.intervals[j]!;
          if (i.end >= segEnd) hits.push({ user: i.user, layer: layer.name });
        }
        if (hits.length > 0) {
          covers = hits;
          break;
        }
      }
    }
    const seen = new Set<string>();
    for (const cover of covers) {
      const key = `${cover.layer}\u0000${cover.user}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const current = open.get(key);
      if (current && current.end === segStart) {
        current.end = segEnd;
        current.shift.end = new Date(segEnd).toISOString();
      } else {
        const shift: Shift = {
          user_id: cover.user,
          layer: cover.layer,
          start: new Date(segStart).toISOString(),
          end: new Date(segEnd).toISOString(),
        };
        open.set(key, { shift, end: segEnd });
        done.push({ shift, start: segStart });
      }
    }
  }
  return done
    .sort((a, b) => a.start - b.start || a.shift.user_id.localeCompare(b.shift.user_id))
    .map((d) => d.shift);
}

/** The longest turn of any layer, bounded: how far around an instant whoIsOnCall looks. */
function lookaround(schedule: ScheduleDefinition): number {
  let longest = DAY;
  for (const layer of schedule.layers) longest = Math.max(longest, turnStep(layer) + 2 * HOUR);
  return Math.min(longest, 366 * DAY);
}

/** The final shifts between two ISO instants. */
export function shifts(schedule: ScheduleDefinition, from: string | Date, to: string | Date): Shift[] {
  return renderShifts(schedule, new Date(from).getTime(), new Date(to).getTime());
}

/**
 * Who is on call at an instant, with the shift each person is in (the shift is the turn around
 * `at`; a run of turns by the same person is shown up to one turn length either side).
 */
export function whoIsOnCall(schedule: ScheduleDefinition, at: string | Date): Shift[] {
  const t = new Date(at).getTime();
  const span = lookaround(schedule);
  let from = t - span;
  let to = t + span;
  for (const o of schedule.overrides ?? []) {
    const s = Date.parse(o.start);
    const e = Date.parse(o.end);
    if (s <= t && e > t) {
      from = Math.min(from, s);
      to = Math.max(to, e);
    }
  }
  return renderShifts(schedule, from, to).filter((s) => Date.parse(s.start) <= t && Date.parse(s.end) > t);
}

/** Times in [from, to) with nobody on call. */
export function coverageGaps(schedule: ScheduleDefinition, from: string | Date, to: string | Date) {
  const f = new Date(from).getTime();
  const e = new Date(to).getTime();
  const covered = mergeIntervals(
    renderShifts(schedule, f, e).map((s) => ({ start: Date.parse(s.start), end: Date.parse(s.end) })),
  );
  const gaps: Array<{ start: string; end: string }> = [];
  let cursor = f;
  for (const c of covered) {
    if (c.start > cursor)
      gaps.push({ start: new Date(cursor).toISOString(), end: new Date(c.start).toISOString() });
    cursor = Math.max(cursor, c.end);
  }
  if (cursor < e) gaps.push({ start: new Date(cursor).toISOString(), end: new Date(e).toISOString() });
  return gaps;
}

/**
 * Hours in [start, end) that fall outside working hours (weekdays between `workStart` and
 * `workEnd` local time, in `zone`); weekends count whole.
 */
export function offHoursMs(
  zone: string,
  start: number,
  end: number,
  workStart: string,
  workEnd: string,
): number {
  if (!(end > start)) return 0;
  const windows = restrictionWindows(
    zone,
    [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: workStart, to: workEnd }],
    start,
    end,
  );
  let working = 0;
  for (const w of windows) working += Math.max(0, Math.min(end, w.end) - Math.max(start, w.start));
  return end - start - working;
}
