import { type PointerEvent, useState } from 'react';
import { formatDateTime } from '../../app/format.ts';
import type { ShiftsAnswer } from './oncall-bits.tsx';
import { clockIn, colourIndex, type DayRow, formatDay, segmentsOfDay } from './oncall-format.ts';

const HOURS = [0, 3, 6, 9, 12, 15, 18, 21];
const QUARTER = 15 * 60_000;

/** The fraction (0-1) of a track under the pointer. */
function fractionOf(event: PointerEvent<HTMLDivElement>): number {
  const box = event.currentTarget.getBoundingClientRect();
  return Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
}

/** An instant at a fraction of a day's real length, to the nearest quarter hour. */
function instantAt(day: DayRow, fraction: number): number {
  return Math.round((day.start + fraction * (day.end - day.start)) / QUARTER) * QUARTER;
}

/**
 * The final shifts of the coming days as horizontal bars, one row per local day of the schedule's
 * zone (a 23- or 25-hour day is still one row: positions are fractions of that day's real length).
 * Overrides are outlined, coverage gaps hatched red, and every bar says who and when in text.
 */
export function ScheduleTimeline({
  days,
  data,
  zone,
  order,
  nameOf,
  now,
  onSelect,
}: {
  days: readonly DayRow[];
  data: ShiftsAnswer;
  zone: string;
  order: readonly string[];
  nameOf: (id: string) => string;
  now: number;
  /** Dragging across a day selects a window (quarter hours), for a new override. */
  onSelect?: ((start: number, end: number) => void) | undefined;
}) {
  const [drag, setDrag] = useState<{ date: string; a: number; b: number } | null>(null);
  const people = [...new Set([...order, ...data.shifts.map((s) => s.user_id)])].filter((id) =>
    data.shifts.some((s) => s.user_id === id),
  );
  return (
    <figure className="oncall-timeline" aria-label={`Final shifts, ${zone}`}>
      <div className="oncall-hours" aria-hidden="true">
        <span />
        <div className="oncall-track">
          {HOURS.map((h) => (
            <span
              key={h}
              className="oncall-hour"
              style={{ left: `${(h / 24) * 100}%`, ...(h === 0 ? { transform: 'none' } : {}) }}
            >
              {String(h).padStart(2, '0')}
            </span>
          ))}
        </div>
      </div>
      <ol className="oncall-days" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
        {days.map((day) => {
          const shifts = segmentsOfDay(day, data.shifts);
          const gaps = segmentsOfDay(day, data.gaps);
          const today = now >= day.start && now < day.end;
          const hours = (day.end - day.start) / 3_600_000;
          return (
            <li
              key={day.date}
              className={today ? 'oncall-day oncall-day-today' : 'oncall-day'}
              data-date={day.date}
            >
              <span className="oncall-day-label">
                {formatDay(day.date)}
                {hours !== 24 ? <span className="muted"> ({hours} h)</span> : null}
              </span>
              <div
                className={onSelect ? 'oncall-track oncall-track-select' : 'oncall-track'}
                {...(onSelect
                  ? {
                      onPointerDown: (e: PointerEvent<HTMLDivElement>) => {
                        e.currentTarget.setPointerCapture?.(e.pointerId);
                        const f = fractionOf(e);
                        setDrag({ date: day.date, a: f, b: f });
                      },
                      onPointerMove: (e: PointerEvent<HTMLDivElement>) => {
                        if (drag?.date === day.date) setDrag({ ...drag, b: fractionOf(e) });
                      },
                      onPointerUp: (e: PointerEvent<HTMLDivElement>) => {
                        if (drag?.date !== day.date) return;
                        const f = fractionOf(e);
                        const start = instantAt(day, Math.min(drag.a, f));
                        const end = instantAt(day, Math.max(drag.a, f));
                        setDrag(null);
                        if (end > start) onSelect(start, end);
                      },
                    }
                  : {})}
              >
                {drag?.date === day.date ? (
                  <div
                    className="oncall-selection"
                    style={{
                      left: `${Math.min(drag.a, drag.b) * 100}%`,
                      width: `${Math.abs(drag.b - drag.a) * 100}%`,
                    }}
                    aria-hidden="true"
                  />
                ) : null}
                {shifts.map((s) => {
                  const whole = s.start === day.start && s.end === day.end;
                  const until = s.end === day.end ? '24:00' : clockIn(s.end, zone);
                  const label = `${nameOf(s.item.user_id)} ${whole ? '(all day)' : `${clockIn(s.start, zone)}–${until}`}${
                    s.item.layer === 'override' ? ' (override)' : ''
                  }`;
                  return (
                    <div
                      key={`s:${s.item.user_id}:${s.item.layer}:${s.item.start}`}
                      className={`oncall-bar oncall-c${colourIndex(s.item.user_id, order)}${
                        s.item.layer === 'override' ? ' oncall-bar-override' : ''
                      }`}
                      style={{ left: `${s.left}%`, width: `${s.width}%` }}
                      title={`${nameOf(s.item.user_id)} (${s.item.layer}): ${formatDateTime(s.item.start)} – ${formatDateTime(s.item.end)}`}
                      data-user-id={s.item.user_id}
                      data-layer={s.item.layer}
                    >
                      {label}
                    </div>
                  );
                })}
                {gaps.map((g) => (
                  <div
                    key={`g:${g.item.start}`}
                    className="oncall-gap"
                    style={{ left: `${g.left}%`, width: `${g.width}%` }}
                    title={`Nobody on call: ${formatDateTime(g.item.start)} – ${formatDateTime(g.item.end)}`}
                    data-gap="true"
                  >
                    Gap {clockIn(g.start, zone)}–{g.end === day.end ? '24:00' : clockIn(g.end, zone)}
                  </div>
                ))}
                {today ? (
                  <span
                    className="oncall-now-line"
                    style={{ left: `${((now - day.start) / (day.end - day.start)) * 100}%` }}
                    title="Now"
                  />
                ) : null}
              </div>
            </li>
          );
        })}
      </ol>
      <ul className="oncall-legend" aria-label="Legend">
        {people.map((id) => (
          <li key={id}>
            <span className={`oncall-swatch oncall-c${colourIndex(id, order)}`} aria-hidden="true" />
            {nameOf(id)}
          </li>
        ))}
        <li>
          <span className="oncall-swatch oncall-gap-swatch" aria-hidden="true" />
          Coverage gap
        </li>
      </ul>
    </figure>
  );
}
