/**
 * Working time between two instants in a team's time zone: Monday to Friday between a start and
 * an end wall-clock time, DST-correct (each day's bounds are converted from local time).
 */

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
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
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's wall clock at `utcMs`, as if that wall clock were UTC (milliseconds). */
function wallClock(zone: string, utcMs: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(utcMs)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** The instant a local wall-clock time (given as if UTC) happens; a time skipped by DST moves forward. */
export function localToUtc(zone: string, wall: number): number {
  const first = wall - (wallClock(zone, wall) - wall);
  const second = wall - (wallClock(zone, first) - first);
  if (wallClock(zone, second) === wall) return second;
  if (wallClock(zone, first) === wall) return first;
  // In a spring-forward gap: the first instant after it.
  return Math.max(first, second);
}

/** Minutes after midnight of `HH:MM`. */
export function clockMinutes(text: string): number {
  const [h, m] = text.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

export interface BusinessHours {
  time_zone: string;
  start: string;
  end: string;
}

/** Seconds of working time in [fromMs, toMs) (Monday to Friday, start to end, local time). */
export function businessSeconds(hours: BusinessHours, fromMs: number, toMs: number): number {
  if (!(toMs > fromMs)) return 0;
  const startMin = clockMinutes(hours.start);
  const endMin = clockMinutes(hours.end);
  if (endMin <= startMin) return 0;
  const firstWall = wallClock(hours.time_zone, fromMs);
  const lastWall = wallClock(hours.time_zone, toMs);
  let total = 0;
  for (let day = Math.floor(firstWall / DAY_MS) * DAY_MS; day <= lastWall; day += DAY_MS) {
    const weekday = new Date(day).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const open = localToUtc(hours.time_zone, day + startMin * 60_000);
    const close = localToUtc(hours.time_zone, day + endMin * 60_000);
    const a = Math.max(open, fromMs);
    const b = Math.min(close, toMs);
    if (b > a) total += b - a;
  }
  return Math.round(total / 1000);
}

/** The instant `seconds` of working time after `fromMs` (for nudges counted in business hours). */
export function addBusinessSeconds(hours: BusinessHours, fromMs: number, seconds: number): number {
  const startMin = clockMinutes(hours.start);
  const endMin = clockMinutes(hours.end);
  if (endMin <= startMin) return fromMs + seconds * 1000;
  let left = seconds * 1000;
  // Bounded: at most about ten years of working days.
  for (
    let day = Math.floor(wallClock(hours.time_zone, fromMs) / DAY_MS) * DAY_MS, i = 0;
    i < 3700;
    day += DAY_MS, i++
  ) {
    const weekday = new Date(day).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const open = Math.max(localToUtc(hours.time_zone, day + startMin * 60_000), fromMs);
    const close = localToUtc(hours.time_zone, day + endMin * 60_000);
    if (close <= open) continue;
    if (close - open >= left) return open + left;
    left -= close - open;
  }
  return fromMs + seconds * 1000;
}
