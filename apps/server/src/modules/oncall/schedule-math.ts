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
const offsetCache = new Map<string, Map<number, YearTable>>();

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

/** The zone's offset (ms) at a whole-minute UTC instant, asked of Intl (slow: microseconds). */
function intlOffset(zone: string, at: number): number {
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
  return Math.round((naive - at) / MINUTE) * MINUTE;
}

/** One span of a zone: the instants its offset changes (minute precision) and the offsets. */
interface YearTable {
  starts: number[];
  offsets: number[];
}

/** Offsets are sampled this often to find the transitions (zones change at most twice a year). */
const SAMPLE = 6 * HOUR;
/** Tables cover fixed spans of 256 days (bucketed by arithmetic: no Date, which is slow). */
const SPAN = 256 * DAY;

function buildYearTable(zone: string, bucket: number): YearTable {
  const from = bucket * SPAN;
  const to = from + SPAN;
  const starts = [from];
  const offsets = [intlOffset(zone, from)];
  let prevAt = from;
  let prev = offsets[0]!;
  for (let t = from + SAMPLE; prevAt < to; t += SAMPLE) {
    const at = Math.min(t, to);
    const offset = intlOffset(zone, at);
    if (offset !== prev) {
      // Bisect (prevAt, at] to the first minute with the new offset.
      let lo = prevAt;
      let hi = at;
      while (hi - lo > MINUTE) {
        const mid = lo + Math.floor((hi - lo) / MINUTE / 2) * MINUTE;
        if (intlOffset(zone, mid) === prev) lo = mid;
        else hi = mid;
      }
      if (hi < to) {
        starts.push(hi);
        offsets.push(intlOffset(zone, hi));
      }
      prev = offset;
    }
    prevAt = at;
  }
  return { starts, offsets };
}

/**
 * The zone's UTC offset (ms, local minus UTC) at a UTC instant. Offsets are whole minutes here and
 * are read at the instant's minute. Each zone-year's transitions are found once with Intl; then an
 * offset is a binary search (this is what makes "who is on call" answer in microseconds).
 */
export function offsetAt(zone: string, utcMs: number): number {
  const at = Math.floor(utcMs / MINUTE) * MINUTE;
  const table = tableOf(zone, Math.floor(at / SPAN));
  return table.offsets[indexAt(table, at)]!;
}

function tableOf(zone: string, bucket: number): YearTable {
  let years = offsetCache.get(zone);
  if (!years) {
    years = new Map();
    offsetCache.set(zone, years);
  }
  let table = years.get(bucket);
  if (!table) {
    table = buildYearTable(zone, bucket);
    if (years.size > 200) years.clear();
    years.set(bucket, table);
  }
  return table;
}

/** The index of the last transition at or before `at` (a whole minute) in its table. */
function indexAt(table: YearTable, at: number): number {
  const { starts } = table;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The offset if it is the same all through [lo, hi] (UTC ms), else null. */
function constantOffset(zone: string, lo: number, hi: number): number | null {
  const a = Math.floor(lo / MINUTE) * MINUTE;
  const b = Math.floor(hi / MINUTE) * MINUTE;
  const bucket = Math.floor(a / SPAN);
  if (Math.floor(b / SPAN) !== bucket) return null;
  const table = tableOf(zone, bucket);
  const i = indexAt(table, a);
  const next = table.starts[i + 1];
  return next === undefined || next > b ? table.offsets[i]! : null;
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
  // Fast path: no offset change within two days either side (offsets stay within +-26 h).
  const constant = constantOffset(zone, naive - 2 * DAY, naive + 2 * DAY);
  if (constant !== null) return naive - constant;
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

const clocks = new Map<string, number | null>();

/** "HH:MM" as minutes after midnight (00:00-24:00), or null. */
export function parseClock(text: string): number | null {
  const hit = clocks.get(text);
  if (hit !== undefined) return hit;
  const minutes = parseClockText(text);
  if (clocks.size < 10_000) clocks.set(text, minutes);
  return minutes;
}

function parseClockText(text: string): number | null {
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

/** Parsed layer starts, per layer object (a schedule is asked many questions). */
const layerStarts = new WeakMap<ScheduleLayer, number>();

function layerStart(layer: ScheduleLayer): number {
  let start = layerStarts.get(layer);
  if (start === undefined) {
    const parsed = parseLocal(layer.start);
    if (parsed === null) throw new Error(`invalid layer start ${layer.start}`);
    start = parsed;
    layerStarts.set(layer, start);
  }
  return start;
}

/** The UTC start of an hour-turn layer, per layer object and zone. */
const hourOrigins = new WeakMap<ScheduleLayer, { zone: string; utc: number }>();

function hourLayerOrigin(zone: string, layer: ScheduleLayer, start: number): number {
  const hit = hourOrigins.get(layer);
  if (hit && hit.zone === zone) return hit.utc;
  const utc = localToUtc(zone, start);
  hourOrigins.set(layer, { zone, utc });
  return utc;
}

interface ParsedOverride {
  user: string;
  start: number;
  end: number;
}

/** Overrides as numbers sorted by start, and the longest, per overrides array (parsed once). */
const parsedOverrides = new WeakMap<
  readonly ScheduleOverride[],
  { list: ParsedOverride[]; longest: number }
>();

function overridesOf(schedule: ScheduleDefinition): { list: ParsedOverride[]; longest: number } {
  const list = schedule.overrides;
  if (!list || list.length === 0) return { list: [], longest: 0 };
  let parsed = parsedOverrides.get(list);
  if (!parsed) {
    const sorted = list
      .map((o) => ({ user: o.user_id, start: Date.parse(o.start), end: Date.parse(o.end) }))
      .filter((o) => o.end > o.start)
      .sort((a, b) => a.start - b.start);
    parsed = { list: sorted, longest: sorted.reduce((m, o) => Math.max(m, o.end - o.start), 0) };
    parsedOverrides.set(list, parsed);
  }
  return parsed;
}

/** The overrides overlapping [from, to), in start order: a binary search, not a scan. */
function overridesIn(schedule: ScheduleDefinition, from: number, to: number): ParsedOverride[] {
  const { list, longest } = overridesOf(schedule);
  // Only overrides starting in (from - longest, to) can overlap.
  let lo = 0;
  let hi = list.length;
  const earliest = from - longest;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.start <= earliest) lo = mid + 1;
    else hi = mid;
  }
  const out: ParsedOverride[] = [];
  for (let i = lo; i < list.length && list[i]!.start < to; i++) if (list[i]!.end > from) out.push(list[i]!);
  return out;
}

/** The instant turn `k` of a layer starts (k = 0 at the layer's start). */
export function turnStart(
  zone: string,
  layer: ScheduleLayer,
  k: number,
  toUtc?: (naive: number) => number,
): number {
  const start = layerStart(layer);
  if (layer.rotation.unit === 'hour') return hourLayerOrigin(zone, layer, start) + k * turnStep(layer);
  const naive = start + k * turnStep(layer);
  return toUtc ? toUtc(naive) : localToUtc(zone, naive);
}

/**
 * localToUtc for wall times near [from, to): when the zone's offset does not change from eight days
 * before to eight days after, a subtraction (valid for wall times within five days either side, as
 * offsets stay within 26 hours); otherwise, or farther out, localToUtc itself.
 */
function localConverter(zone: string, from: number, to: number): (naive: number) => number {
  const c = constantOffset(zone, from - 8 * DAY, to + 8 * DAY);
  if (c === null) return (naive) => localToUtc(zone, naive);
  const lo = from - 5 * DAY;
  const hi = to + 5 * DAY;
  return (naive) => (naive >= lo && naive <= hi ? naive - c : localToUtc(zone, naive));
}

/** Turns (unrestricted) of one layer overlapping [from, to). */
function layerTurns(zone: string, layer: ScheduleLayer, from: number, to: number): LayerInterval[] {
  const n = layer.participants.length;
  if (n === 0 || layer.rotation.length <= 0) return [];
  const conv = localConverter(zone, from, to);
  const first = turnStart(zone, layer, 0, conv);
  if (to <= first) return [];
  const step = turnStep(layer);
  let k = Math.max(0, Math.floor((from - first) / step));
  while (k > 0 && turnStart(zone, layer, k, conv) > from) k--;
  while (turnStart(zone, layer, k + 1, conv) <= from) k++;
  const out: LayerInterval[] = [];
  for (let s = turnStart(zone, layer, k, conv); s < to; k++) {
    const e = turnStart(zone, layer, k + 1, conv);
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
  const conv = localConverter(zone, from, to);
  const firstDay = Math.floor(utcToLocal(zone, from) / DAY) * DAY - 2 * DAY;
  const lastDay = Math.floor(utcToLocal(zone, to) / DAY) * DAY + DAY;
  for (let day = firstDay; day <= lastDay; day += DAY) {
    // 1 January 1970 was a Thursday (index 4).
    const weekday = WEEKDAYS[(((Math.floor(day / DAY) + 4) % 7) + 7) % 7]!;
    for (const r of restrictions) {
      if (!r.days.includes(weekday)) continue;
      const f = parseClock(r.from) ?? 0;
      let t = parseClock(r.to) ?? 24 * 60;
      if (t <= f) t += 24 * 60;
      const start = conv(day + f * MINUTE);
      const end = conv(day + t * MINUTE);
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

/**
 * Extends `user`'s open shift in this layer to `segEnd` when it ends where the segment starts, or
 * opens a new one. The same person twice in one segment (two overrides) stays one shift.
 */
function extendShift(
  open: Map<string, RawShift>,
  done: RawShift[],
  user: string,
  layer: string,
  segStart: number,
  segEnd: number,
): void {
  const current = open.get(user);
  if (current && current.end === segStart) current.end = segEnd;
  else if (!current || current.end < segEnd) {
    const shift = { user, layer, start: segStart, end: segEnd };
    open.set(user, shift);
    done.push(shift);
  }
}

interface RawShift {
  user: string;
  layer: string;
  start: number;
  end: number;
}

function toShift(d: RawShift): Shift {
  return { user_id: d.user, layer: d.layer, start: isoOf(d.start), end: isoOf(d.end) };
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/**
 * `new Date(ms).toISOString()` for years 0-9999, by arithmetic (Howard Hinnant's civil-from-days):
 * Date's own formatting dominated the rendering of a year of shifts.
 */
export function isoOf(ms: number): string {
  const days = Math.floor(ms / DAY);
  let rest = ms - days * DAY;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) return new Date(ms).toISOString();
  const hour = Math.floor(rest / HOUR);
  rest -= hour * HOUR;
  const minute = Math.floor(rest / MINUTE);
  rest -= minute * MINUTE;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  const y = year < 1000 ? `${year}`.padStart(4, '0') : `${year}`;
  const m3 = milli < 10 ? `00${milli}` : milli < 100 ? `0${milli}` : `${milli}`;
  return `${y}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}.${m3}Z`;
}

/** The final shifts in [from, to) (UTC ms), layers stacked and overrides applied, by start. */
export function renderShifts(schedule: ScheduleDefinition, from: number, to: number): Shift[] {
  return renderRaw(schedule, from, to).map(toShift);
}

function renderRaw(schedule: ScheduleDefinition, from: number, to: number): RawShift[] {
  if (!(to > from)) return [];
  const zone = schedule.time_zone;
  const perLayer = schedule.layers.map((layer) => ({
    name: layer.name,
    intervals: layerIntervals(zone, layer, from, to),
  }));
  const overrides = overridesIn(schedule, from, to);

  let n = 2 + 2 * overrides.length;
  for (const l of perLayer) n += 2 * l.intervals.length;
  const raw = new Float64Array(n);
  let k = 0;
  raw[k++] = from;
  raw[k++] = to;
  for (const l of perLayer)
    for (const i of l.intervals) {
      raw[k++] = Math.max(i.start, from);
      raw[k++] = Math.min(i.end, to);
    }
  for (const o of overrides) {
    raw[k++] = Math.max(o.start, from);
    raw[k++] = Math.min(o.end, to);
  }
  raw.sort(); // a typed array sorts numerically, natively
  const points: number[] = [];
  for (const p of raw) if (points.length === 0 || points[points.length - 1] !== p) points.push(p);

  // Open shifts by layer (overrides last) and person; ends are numbers, written out at the end.
  const open = perLayer.map(() => new Map<string, RawShift>());
  const openOverrides = new Map<string, RawShift>();
  const done: RawShift[] = [];
  const cursor = perLayer.map(() => 0);
  for (let p = 0; p + 1 < points.length; p++) {
    const segStart = points[p]!;
    const segEnd = points[p + 1]!;
    let covered = false;
    for (const o of overrides) {
      if (o.start <= segStart && o.end >= segEnd) {
        covered = true;
        extendShift(openOverrides, done, o.user, 'override', segStart, segEnd);
      }
    }
    if (covered) continue;
    for (let li = perLayer.length - 1; li >= 0 && !covered; li--) {
      const layer = perLayer[li]!;
      const intervals = layer.intervals;
      // Intervals of one layer are sorted and do not overlap: walk a cursor forward.
      let c = cursor[li]!;
      while (c < intervals.length && intervals[c]!.end <= segStart) c++;
      cursor[li] = c;
      for (let j = c; j < intervals.length && intervals[j]!.start <= segStart; j++) {
        const i = intervals[j]!;
        if (i.end >= segEnd) {
          covered = true;
          extendShift(open[li]!, done, i.user, layer.name, segStart, segEnd);
        }
      }
    }
  }
  return done.sort((a, b) => a.start - b.start || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
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
 * The window whoIsOnCall answers within: one longest turn either side of `t`, widened to the
 * overrides in force at `t`. A shift is cut at the window's edges.
 */
export function onCallWindow(schedule: ScheduleDefinition, t: number): { from: number; to: number } {
  const span = lookaround(schedule);
  let from = t - span;
  let to = t + span;
  for (const o of overridesIn(schedule, t, t + 1)) {
    if (o.start <= t && o.end > t) {
      from = Math.min(from, o.start);
      to = Math.max(to, o.end);
    }
  }
  return { from, to };
}

/**
 * Who is on call at an instant, with the shift each person is in (the shift is the turn around
 * `at`; a run of turns by the same person is shown up to one turn length either side).
 *
 * The answer equals rendering the final shifts of `onCallWindow` and keeping those that contain
 * `at` (the property tests check this), without rendering the window: it finds who covers `at`
 * (overrides, else the highest layer with someone on call) and walks that person's run of
 * intervals out to where something else takes over. It looks a day either side first and widens
 * (x4) only while a shift reaches the edge of what it looked at.
 */
export function whoIsOnCall(schedule: ScheduleDefinition, at: string | Date): Shift[] {
  const t = new Date(at).getTime();
  const { from, to } = onCallWindow(schedule, t);
  for (let reach = DAY; ; reach *= 4) {
    const lo = Math.max(from, t - reach);
    const hi = Math.min(to, t + reach);
    const found = onCallWithin(schedule, t, lo, hi);
    if (found.every((s) => (s.start > lo || lo === from) && (s.end < hi || hi === to)))
      return found
        .sort((a, b) => a.start - b.start || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0))
        .map(toShift);
  }
}

/**
 * whoIsOnCall as it was first written: render the window's final shifts, keep those containing `at`.
 * The reference for the benchmark (same answers, an order of magnitude slower).
 */
export function whoIsOnCallByRendering(schedule: ScheduleDefinition, at: string | Date): Shift[] {
  const t = new Date(at).getTime();
  const { from, to } = onCallWindow(schedule, t);
  return renderRaw(schedule, from, to)
    .filter((s) => s.start <= t && s.end > t)
    .map(toShift);
}

/** The shifts containing `t` as a render of [lo, hi) would give them (cut at lo and hi). */
function onCallWithin(schedule: ScheduleDefinition, t: number, lo: number, hi: number): RawShift[] {
  const overrides = overridesIn(schedule, lo, hi);
  const users: string[] = [];
  for (const o of overrides) if (o.start <= t && o.end > t && !users.includes(o.user)) users.push(o.user);
  if (users.length > 0) {
    // Overrides cover everything below them: each person's run is the union of their overrides
    // that overlap or touch, around t.
    return users.map((user) => {
      const own = overrides.filter((o) => o.user === user);
      let start = t;
      let end = t;
      for (let changed = true; changed; ) {
        changed = false;
        for (const o of own) {
          if (o.start <= end && o.end > end) {
            end = o.end;
            changed = true;
          }
          if (o.end >= start && o.start < start) {
            start = o.start;
            changed = true;
          }
        }
      }
      return { user, layer: 'override', start: Math.max(start, lo), end: Math.min(end, hi) };
    });
  }
  // Nothing overrides t: the highest layer with someone on call at t. Its person's run is cut
  // where an override or a higher layer's interval begins (forward) or ends (backward).
  let start = lo;
  let end = hi;
  for (const o of overrides) {
    if (o.start > t) end = Math.min(end, o.start);
    else start = Math.max(start, o.end);
  }
  const zone = schedule.time_zone;
  for (let li = schedule.layers.length - 1; li >= 0; li--) {
    const layer = schedule.layers[li]!;
    const intervals = layerIntervals(zone, layer, lo, hi);
    // Sorted and disjoint within a layer: the last interval starting at or before t.
    let a = 0;
    let b = intervals.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (intervals[mid]!.start <= t) a = mid + 1;
      else b = mid;
    }
    const j = a - 1;
    const here = j >= 0 ? intervals[j]! : undefined;
    if (!here || here.end <= t) {
      // Nobody here at t: this layer's nearest intervals bound the run of a lower layer.
      if (here) start = Math.max(start, here.end);
      const next = intervals[a];
      if (next) end = Math.min(end, next.start);
      continue;
    }
    let runStart = here.start;
    let runEnd = here.end;
    for (let k = j + 1; k < intervals.length; k++) {
      const i = intervals[k]!;
      if (i.user !== here.user || i.start > runEnd) break;
      runEnd = Math.max(runEnd, i.end);
    }
    for (let k = j - 1; k >= 0; k--) {
      const i = intervals[k]!;
      if (i.user !== here.user || i.end < runStart) break;
      runStart = Math.min(runStart, i.start);
    }
    return [
      {
        user: here.user,
        layer: layer.name,
        start: Math.max(start, runStart, lo),
        end: Math.min(end, runEnd, hi),
      },
    ];
  }
  return [];
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
