/**
 * Off-hours arithmetic for load and pay reports. Pure, no I/O.
 *
 * Working time is given per local calendar day in one IANA zone: working days (mon..sun) from
 * `start` to `end` local time, except public holidays. Everything else is off-hours, split into
 * weekday evenings/nights, weekend days and holidays. Days are local calendar days, so a day on
 * which DST starts lasts 23 hours and one on which it ends 25 (hand-checked in pay-math.test.ts).
 */
export { toCsv } from '@engops/contracts';

import { localToUtc, parseClock, utcToLocal } from './schedule-math.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEKDAY_KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export interface WorkingTime {
  zone: string;
  /** Working days, 'mon'..'sun'. */
  days: readonly string[];
  /** Local "HH:MM". */
  start: string;
  end: string;
  /** Public holidays, local "YYYY-MM-DD". */
  holidays: readonly string[];
}

export interface OffHoursSplit {
  total: number;
  working: number;
  /** Outside working hours on a working day. */
  weekday_off: number;
  /** Whole non-working days (weekends) that are not holidays. */
  weekend: number;
  /** Whole public holidays. */
  holiday: number;
}

export type DayKind = 'working' | 'weekend' | 'holiday';

function overlap(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

/** The local calendar day (naive midnight) of a UTC instant. */
function localDay(zone: string, utc: number): number {
  const naive = utcToLocal(zone, utc);
  return naive - (((naive % DAY) + DAY) % DAY);
}

/** What a local calendar day (naive midnight ms) is under `w`. */
export function dayKind(w: WorkingTime, naiveMidnight: number): DayKind {
  const date = new Date(naiveMidnight).toISOString().slice(0, 10);
  if (w.holidays.includes(date)) return 'holiday';
  const key = WEEKDAY_KEYS[new Date(naiveMidnight).getUTCDay()]!;
  return w.days.includes(key) ? 'working' : 'weekend';
}

/** Splits [start, end) (UTC ms) into working time and the three kinds of off-hours. */
export function splitOffHours(w: WorkingTime, start: number, end: number): OffHoursSplit {
  const out: OffHoursSplit = { total: 0, working: 0, weekday_off: 0, weekend: 0, holiday: 0 };
  if (!(end > start)) return out;
  const ws = parseClock(w.start) ?? 0;
  const we = parseClock(w.end) ?? 24 * 60;
  for (let day = localDay(w.zone, start); ; day += DAY) {
    const d0 = localToUtc(w.zone, day);
    if (d0 >= end) break;
    const d1 = localToUtc(w.zone, day + DAY);
    const inDay = overlap(start, end, d0, d1);
    if (inDay === 0) continue;
    out.total += inDay;
    const kind = dayKind(w, day);
    if (kind === 'holiday') out.holiday += inDay;
    else if (kind === 'weekend') out.weekend += inDay;
    else {
      const work =
        we > ws
          ? overlap(start, end, localToUtc(w.zone, day + ws * 60_000), localToUtc(w.zone, day + we * 60_000))
          : 0;
      out.working += work;
      out.weekday_off += inDay - work;
    }
  }
  return out;
}

/** Is a UTC instant outside working time? */
export function isOffHours(w: WorkingTime, at: number): boolean {
  return splitOffHours(w, at, at + 1).working === 0;
}

/** Is a UTC instant at night (local 22:00-07:00 by default) in `zone`? */
export function isNight(zone: string, at: number, from = '22:00', to = '07:00'): boolean {
  const naive = utcToLocal(zone, at);
  const minute = Math.floor((((naive % DAY) + DAY) % DAY) / 60_000);
  const f = parseClock(from) ?? 22 * 60;
  const t = parseClock(to) ?? 7 * 60;
  return f > t ? minute >= f || minute < t : minute >= f && minute < t;
}

/** Sorted, merged intervals (overlapping shifts are counted, and paid, once). */
export function mergeIntervals(
  list: Array<{ start: number; end: number }>,
): Array<{ start: number; end: number }> {
  const merged: Array<{ start: number; end: number }> = [];
  for (const i of [...list].sort((a, b) => a.start - b.start)) {
    const last = merged[merged.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else if (i.end > i.start) merged.push({ ...i });
  }
  return merged;
}

/**
 * The most distinct incidents paged within one 12-hour shift: each on-call stretch is cut into
 * 12-hour shifts from its start (the last may be shorter), and each shift counts the incidents whose
 * pages fall in it. A burst on one night of a week-long rotation counts as that night's, not as an
 * average over the week.
 */
export function busiestTwelveHours(
  stretches: ReadonlyArray<{ start: number; end: number }>,
  pages: ReadonlyArray<{ at: number; incident: string }>,
): number {
  let busiest = 0;
  for (const s of stretches) {
    for (let from = s.start; from < s.end; from += 12 * HOUR) {
      const to = Math.min(s.end, from + 12 * HOUR);
      const incidents = new Set(pages.filter((p) => p.at >= from && p.at < to).map((p) => p.incident));
      busiest = Math.max(busiest, incidents.size);
    }
  }
  return busiest;
}

export interface PayRates {
  hourly_rate: number;
  per_off_hours_shift: number;
  per_off_hours_page: number;
  weekend_multiplier: number;
  holiday_multiplier: number;
}

export interface PersonPay {
  on_call_hours: number;
  off_hours_hours: number;
  weekday_off_hours: number;
  weekend_hours: number;
  holiday_hours: number;
  off_hours_shifts: number;
  off_hours_pages: number;
  amount: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * One person's pay for a period: shifts clipped to [from, to) and merged, off-hours priced at the
 * hourly rate (weekend and holiday hours multiplied), plus a flat amount per merged shift that has
 * any off-hours time and per page received off-hours.
 */
export function pay(
  w: WorkingTime,
  rates: PayRates,
  shifts: Array<{ start: number; end: number }>,
  pages: number[],
  from: number,
  to: number,
): PersonPay {
  const merged = mergeIntervals(
    shifts
      .map((s) => ({ start: Math.max(s.start, from), end: Math.min(s.end, to) }))
      .filter((s) => s.end > s.start),
  );
  let total = 0;
  let weekdayOff = 0;
  let weekend = 0;
  let holiday = 0;
  let offShifts = 0;
  for (const s of merged) {
    const split = splitOffHours(w, s.start, s.end);
    total += split.total;
    weekdayOff += split.weekday_off;
    weekend += split.weekend;
    holiday += split.holiday;
    if (split.weekday_off + split.weekend + split.holiday > 0) offShifts++;
  }
  const offPages = pages.filter((p) => p >= from && p < to && isOffHours(w, p)).length;
  const hours = (ms: number) => ms / HOUR;
  const amount =
    rates.hourly_rate *
      (hours(weekdayOff) +
        hours(weekend) * rates.weekend_multiplier +
        hours(holiday) * rates.holiday_multiplier) +
    rates.per_off_hours_shift * offShifts +
    rates.per_off_hours_page * offPages;
  return {
    on_call_hours: round2(hours(total)),
    off_hours_hours: round2(hours(weekdayOff + weekend + holiday)),
    weekday_off_hours: round2(hours(weekdayOff)),
    weekend_hours: round2(hours(weekend)),
    holiday_hours: round2(hours(holiday)),
    off_hours_shifts: offShifts,
    off_hours_pages: offPages,
    amount: round2(amount),
  };
}
