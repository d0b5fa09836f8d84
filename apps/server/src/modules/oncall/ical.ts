import { createHash } from 'node:crypto';

/** RFC 5545 text escaping (section 3.3.11). */
function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

/** Folds a content line at 75 octets (section 3.1), never inside a UTF-8 sequence. */
function fold(line: string): string {
  const out: string[] = [];
  let current = '';
  let bytes = 0;
  for (const ch of line) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > (out.length === 0 ? 75 : 74)) {
      out.push(current);
      current = '';
      bytes = 0;
    }
    current += ch;
    bytes += size;
  }
  out.push(current);
  return out.join('\r\n ');
}

/** "20260309T130000Z": a UTC DATE-TIME (section 3.3.5, form #2). */
export function icalUtc(iso: string | Date): string {
  return new Date(iso)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * A VCALENDAR with one VEVENT per shift, times in UTC. The UID is derived from the schedule, the
 * person, the layer and the start, so a shift keeps its UID from one fetch to the next.
 */
export function renderIcal(input: {
  calendarName: string;
  scheduleId: string;
  stamp: Date;
  /** `schedule_id` per shift in a person's feed (several schedules); else `scheduleId`. */
  shifts: Array<{
    user_id: string;
    layer: string;
    start: string;
    end: string;
    summary: string;
    schedule_id?: string;
  }>;
}): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//engops//on-call//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(input.calendarName)}`,
  ];
  const stamp = icalUtc(input.stamp);
  for (const shift of input.shifts) {
    const uid = createHash('sha256')
      .update(
        `${shift.schedule_id ?? input.scheduleId}\u0000${shift.user_id}\u0000${shift.layer}\u0000${shift.start}`,
      )
      .digest('hex')
      .slice(0, 32);
    lines.push(
      'BEGIN:VEVENT',
      `UID:${uid}@engops`,
      `DTSTAMP:${stamp}`,
      `DTSTART:${icalUtc(shift.start)}`,
      `DTEND:${icalUtc(shift.end)}`,
      `SUMMARY:${escapeText(shift.summary)}`,
      'TRANSP:OPAQUE',
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return `${lines.map(fold).join('\r\n')}\r\n`;
}

const DAY_MS = 24 * 3_600_000;

/**
 * What a calendar feed holds: every shift overlapping 30 days back to 180 days ahead, whole. Shifts
 * are rendered over a window 60 days wider on each side and kept when they overlap, so the first and
 * last events keep their real start and end (and the UID derived from the start) from one fetch to
 * the next, instead of being cut where the moving window happens to begin.
 */
export function feedWindow(now: Date): {
  render: { from: string; to: string };
  keep: (shift: { start: string; end: string }) => boolean;
} {
  const t = now.getTime();
  const from = t - 30 * DAY_MS;
  const to = t + 180 * DAY_MS;
  return {
    render: {
      from: new Date(from - 60 * DAY_MS).toISOString(),
      to: new Date(to + 60 * DAY_MS).toISOString(),
    },
    keep: (shift) => Date.parse(shift.end) > from && Date.parse(shift.start) < to,
  };
}
