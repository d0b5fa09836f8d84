import { describe, expect, it } from 'vitest';
import {
  onCallWindow,
  renderShifts,
  type ScheduleDefinition,
  type ScheduleLayer,
  type Weekday,
  whoIsOnCall,
} from './schedule-math.ts';

/**
 * whoIsOnCall answers without rendering: it must equal rendering the final shifts of its window
 * and keeping those that contain the instant (what it did before), exactly, start and end included.
 * Random schedules (seeded) in zones with DST, including Lord Howe's 30-minute switch, across the
 * switches and a leap day, with restrictions (overnight ones too) and overlapping overrides.
 */

/** Mulberry32: a small seeded PRNG, so every run checks the same cases. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const H = 3_600_000;
const DAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const ZONES = ['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'UTC'];
const pad = (n: number) => String(n).padStart(2, '0');

/** The reference: render the window, keep the shifts containing t. */
function byRendering(schedule: ScheduleDefinition, t: number) {
  const { from, to } = onCallWindow(schedule, t);
  return renderShifts(schedule, from, to).filter((s) => Date.parse(s.start) <= t && Date.parse(s.end) > t);
}

function randomSchedule(random: () => number, zone: string, base: number): ScheduleDefinition {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const people = ['ann', 'bob', 'cat', 'dan', 'eve'];
  const layers: ScheduleLayer[] = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, i) => {
    const unit = pick(['hour', 'day', 'week'] as const);
    const startDay = new Date(base - Math.floor(random() * 20) * 24 * H);
    const restricted = random() < 0.5;
    const from = Math.floor(random() * 24);
    const to = random() < 0.3 ? (from + 20) % 24 : Math.floor(random() * 24);
    return {
      name: `layer-${i}`,
      start: `${startDay.toISOString().slice(0, 10)}T${pad(Math.floor(random() * 24))}:${pick(['00', '30'])}`,
      rotation: { unit, length: unit === 'hour' ? pick([1, 8, 12]) : pick([1, 2]) },
      participants: people.slice(0, 1 + Math.floor(random() * 4)),
      ...(restricted
        ? {
            restrictions: [
              {
                days: DAYS.filter(() => random() < 0.6),
                from: `${pad(from)}:00`,
                to: `${pad(to)}:${pick(['00', '30'])}`,
              },
            ],
          }
        : {}),
    };
  });
  const overrides = Array.from({ length: Math.floor(random() * 12) }, () => {
    const start = base + Math.floor((random() - 0.5) * 20 * 24) * H + pick([0, 30]) * 60_000;
    return {
      user_id: pick(people),
      start: new Date(start).toISOString(),
      end: new Date(start + (1 + Math.floor(random() * 60)) * H).toISOString(),
    };
  });
  return { time_zone: zone, layers, overrides };
}

describe('whoIsOnCall equals render-and-filter', () => {
  // Around the 2026 DST switches of the zones above, and the 2028 leap day.
  const anchors = [
    '2026-03-08T07:00:00Z',
    '2026-03-29T01:00:00Z',
    '2026-04-04T15:00:00Z',
    '2026-10-03T15:30:00Z',
    '2026-10-25T01:00:00Z',
    '2026-11-01T06:00:00Z',
    '2028-02-29T12:00:00Z',
  ].map((a) => Date.parse(a));

  it('for 150 random schedules and 20 instants each', () => {
    const random = prng(2026);
    let compared = 0;
    let nonEmpty = 0;
    let overridden = 0;
    for (let n = 0; n < 150; n++) {
      const zone = ZONES[n % ZONES.length]!;
      const base = anchors[n % anchors.length]!;
      const schedule = randomSchedule(random, zone, base);
      for (let q = 0; q < 20; q++) {
        // Within four days of the anchor, on whole minutes half the time (boundaries are there).
        const offset = Math.floor((random() - 0.5) * 8 * 24 * 60) * 60_000;
        const t = base + offset + (q % 2 === 0 ? 0 : Math.floor(random() * 60_000));
        const expected = byRendering(schedule, t);
        expect(whoIsOnCall(schedule, new Date(t))).toEqual(expected);
        compared++;
        if (expected.length > 0) nonEmpty++;
        if (expected.some((s) => s.layer === 'override')) overridden++;
      }
    }
    expect(compared).toBe(3_000);
    // The cases exercise every branch: someone on call, overrides, and nobody.
    expect(nonEmpty).toBeGreaterThan(1_500);
    expect(overridden).toBeGreaterThan(100);
    expect(compared - nonEmpty).toBeGreaterThan(25);
  }, 60_000);

  it('at the exact boundaries of rendered shifts', () => {
    const random = prng(7);
    let checked = 0;
    for (let n = 0; n < 30; n++) {
      const zone = ZONES[n % ZONES.length]!;
      const base = anchors[n % anchors.length]!;
      const schedule = randomSchedule(random, zone, base);
      for (const s of renderShifts(schedule, base - 3 * 24 * H, base + 3 * 24 * H)) {
        for (const t of [Date.parse(s.start), Date.parse(s.end) - 1, Date.parse(s.end)]) {
          expect(whoIsOnCall(schedule, new Date(t))).toEqual(byRendering(schedule, t));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  }, 60_000);

  it('a weekly turn is cut one turn length either side, as before (hand-computed)', () => {
    // One person all the time: the shift at t is the window [t - 170 h, t + 170 h].
    const solo: ScheduleDefinition = {
      time_zone: 'UTC',
      layers: [
        {
          name: 'primary',
          start: '2026-01-05T09:00',
          rotation: { unit: 'week', length: 1 },
          participants: ['ann'],
        },
      ],
    };
    expect(whoIsOnCall(solo, '2026-02-01T00:00:00Z')).toEqual([
      {
        user_id: 'ann',
        layer: 'primary',
        start: '2026-01-24T22:00:00.000Z',
        end: '2026-02-08T02:00:00.000Z',
      },
    ]);
  });
});
