import { describe, expect, it } from 'vitest';
import { localDays, localInputToIso, segmentsOfDay, toLocalInput, zonedToInstant } from './oncall-format.ts';

const NY = 'America/New_York';

describe('zonedToInstant (RFC 5545 3.3.5, as the server reads local times)', () => {
  it.each([
    ['an ordinary winter time', NY, '2026-01-15T09:00', '2026-01-15T14:00:00.000Z'],
    ['an ordinary summer time', NY, '2026-07-15T09:00', '2026-07-15T13:00:00.000Z'],
    [
      'a time in the spring-forward gap moves forward by the gap',
      NY,
      '2026-03-08T02:30',
      '2026-03-08T07:30:00.000Z',
    ],
    [
      'an ambiguous fall-back time is its first occurrence',
      NY,
      '2026-11-01T01:30',
      '2026-11-01T05:30:00.000Z',
    ],
    ['Lord Howe half-hour gap', 'Australia/Lord_Howe', '2026-10-04T02:15', '2026-10-03T15:45:00.000Z'],
    ['UTC', 'UTC', '2028-02-29T23:59', '2028-02-29T23:59:00.000Z'],
  ])('%s', (_name, zone, local, iso) => {
    expect(localInputToIso(local, zone)).toBe(iso);
  });

  it('round-trips toLocalInput for every hour of a DST year', () => {
    for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 3_600_000) {
      const local = toLocalInput(t, NY);
      const back = zonedToInstant(
        {
          year: Number(local.slice(0, 4)),
          month: Number(local.slice(5, 7)),
          day: Number(local.slice(8, 10)),
          hour: Number(local.slice(11, 13)),
          minute: Number(local.slice(14, 16)),
          second: 0,
        },
        NY,
      );
      // The second of two ambiguous hours reads as the first; every other hour round-trips.
      expect(back === t || back === t - 3_600_000).toBe(true);
    }
  });

  it('rejects what is not a local date-time', () => {
    expect(localInputToIso('2026-01-15 09:00', NY)).toBeUndefined();
    expect(localInputToIso('', NY)).toBeUndefined();
  });
});

describe('localDays and segmentsOfDay', () => {
  it('keeps 23- and 25-hour days as one row each', () => {
    const spring = localDays(Date.parse('2026-03-07T17:00:00Z'), NY, 3);
    expect(spring.map((d) => d.date)).toEqual(['2026-03-07', '2026-03-08', '2026-03-09']);
    expect(spring.map((d) => (d.end - d.start) / 3_600_000)).toEqual([24, 23, 24]);
    const fall = localDays(Date.parse('2026-11-01T12:00:00Z'), NY, 1);
    expect(fall.map((d) => (d.end - d.start) / 3_600_000)).toEqual([25]);
  });

  it('places a shift as percentages of its day and clips it to the day', () => {
    const [day] = localDays(Date.parse('2026-03-08T12:00:00Z'), NY, 1);
    if (!day) throw new Error('no day');
    // 23-hour day: 00:00 EST (05:00Z) to 00:00 EDT next day (04:00Z).
    const segs = segmentsOfDay(day, [
      { start: '2026-03-07T00:00:00Z', end: '2026-03-08T16:30:00Z' },
      { start: '2026-03-09T00:00:00Z', end: '2026-03-10T00:00:00Z' },
      { start: '2026-03-10T00:00:00Z', end: '2026-03-11T00:00:00Z' },
    ]);
    expect(segs).toHaveLength(2);
    expect(segs[0]?.left).toBe(0);
    expect(segs[0]?.width).toBeCloseTo((11.5 / 23) * 100, 6);
    expect(segs[1]?.left).toBeCloseTo((19 / 23) * 100, 6);
    expect((segs[1]?.left ?? 0) + (segs[1]?.width ?? 0)).toBeCloseTo(100, 6);
  });
});
