import { describe, expect, it } from 'vitest';
import {
  busiestTwelveHours,
  isNight,
  isOffHours,
  mergeIntervals,
  pay,
  splitOffHours,
  toCsv,
  type WorkingTime,
} from './pay-math.ts';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const hours = (split: Record<string, number>) =>
  Object.fromEntries(Object.entries(split).map(([k, v]) => [k, v / H]));
const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'];
const ny: WorkingTime = {
  zone: 'America/New_York',
  days: weekdays,
  start: '09:00',
  end: '17:00',
  holidays: [],
};
const london: WorkingTime = {
  zone: 'Europe/London',
  days: weekdays,
  start: '09:00',
  end: '17:00',
  holidays: [],
};

describe('splitOffHours (hand-computed, DST-correct)', () => {
  it('spring forward in New York: Sunday 8 March 2026 lasts 23 hours', () => {
    // Sat 18:00 EST (23:00Z) to Mon 09:00 EDT (13:00Z): Sat 6 h + Sun 23 h weekend, Mon 00-09 9 h.
    expect(hours({ ...splitOffHours(ny, at('2026-03-07T23:00:00Z'), at('2026-03-09T13:00:00Z')) })).toEqual({
      total: 38,
      working: 0,
      weekday_off: 9,
      weekend: 29,
      holiday: 0,
    });
  });

  it('fall back in London: Sunday 25 October 2026 lasts 25 hours', () => {
    // Fri 17:00 BST (16:00Z) to Mon 09:00 GMT (09:00Z): Fri 7 h, Sat 24 h, Sun 25 h, Mon 9 h.
    expect(
      hours({ ...splitOffHours(london, at('2026-10-23T16:00:00Z'), at('2026-10-26T09:00:00Z')) }),
    ).toEqual({
      total: 65,
      working: 0,
      weekday_off: 16,
      weekend: 49,
      holiday: 0,
    });
  });

  it('a public holiday counts whole; the working day before is split at 17:00', () => {
    const xmas = { ...london, holidays: ['2026-12-25'] };
    expect(hours({ ...splitOffHours(xmas, at('2026-12-24T09:00:00Z'), at('2026-12-25T21:00:00Z')) })).toEqual(
      {
        total: 36,
        working: 8,
        weekday_off: 7,
        weekend: 0,
        holiday: 21,
      },
    );
  });

  it('Lord Howe Island: the day DST ends (30 minutes) lasts 24.5 hours', () => {
    const lh: WorkingTime = { ...london, zone: 'Australia/Lord_Howe' };
    // Sun 5 April 2026 00:00 +11:00 = 4 April 13:00Z; Mon 6 April 00:00 +10:30 = 5 April 13:30Z.
    const split = splitOffHours(lh, at('2026-04-04T13:00:00Z'), at('2026-04-05T13:30:00Z'));
    expect(split.weekend / H).toBe(24.5);
    expect(split.total / H).toBe(24.5);
  });

  it('a working week day inside working hours is not off-hours; a day without work days is all off', () => {
    expect(isOffHours(ny, at('2026-03-09T14:00:00Z'))).toBe(false); // Mon 10:00 EDT
    expect(isOffHours(ny, at('2026-03-09T22:00:00Z'))).toBe(true); // Mon 18:00 EDT
    expect(isOffHours(ny, at('2026-03-08T15:00:00Z'))).toBe(true); // Sunday
    expect(isNight('America/New_York', at('2026-03-08T03:30:00Z'))).toBe(true); // Sat 22:30 EST
    expect(isNight('America/New_York', at('2026-03-08T11:30:00Z'))).toBe(false); // Sun 07:30 EDT
    expect(isNight('America/New_York', at('2026-03-08T10:30:00Z'))).toBe(true); // Sun 06:30 EDT
  });
});

describe('pay', () => {
  const rates = {
    hourly_rate: 10,
    per_off_hours_shift: 50,
    per_off_hours_page: 5,
    weekend_multiplier: 1.5,
    holiday_multiplier: 2,
  };

  it('prices weekday off-hours, weekend hours (x1.5), the shift and the off-hours page', () => {
    const result = pay(
      ny,
      rates,
      [{ start: at('2026-03-07T23:00:00Z'), end: at('2026-03-09T13:00:00Z') }],
      [at('2026-03-08T03:30:00Z'), at('2026-03-09T14:00:00Z')],
      at('2026-03-01T05:00:00Z'),
      at('2026-04-01T04:00:00Z'),
    );
    // 10 x (9 + 29 x 1.5) + 50 + 5 = 525 + 55 = 580; the Monday 10:00 page is in working hours.
    expect(result).toEqual({
      on_call_hours: 38,
      off_hours_hours: 38,
      weekday_off_hours: 9,
      weekend_hours: 29,
      holiday_hours: 0,
      off_hours_shifts: 1,
      off_hours_pages: 1,
      amount: 580,
    });
  });

  it('pays overlapping shifts once and clips to the period', () => {
    // Mon 13 April 2026 (EDT): 20:00-23:00 and 22:00-02:00 merge into 20:00-02:00 = 6 h.
    const result = pay(
      ny,
      rates,
      [
        { start: at('2026-04-14T00:00:00Z'), end: at('2026-04-14T03:00:00Z') },
        { start: at('2026-04-14T02:00:00Z'), end: at('2026-04-14T06:00:00Z') },
      ],
      [],
      at('2026-04-14T00:00:00Z'),
      at('2026-04-14T05:00:00Z'),
    );
    // Clipped at 05:00Z (01:00 EDT): 5 h off-hours, one shift: 10 x 5 + 50.
    expect(result).toMatchObject({
      on_call_hours: 5,
      weekday_off_hours: 5,
      off_hours_shifts: 1,
      amount: 100,
    });
  });

  it('merges intervals', () => {
    expect(
      mergeIntervals([
        { start: 5, end: 8 },
        { start: 0, end: 2 },
        { start: 2, end: 3 },
        { start: 7, end: 9 },
      ]),
    ).toEqual([
      { start: 0, end: 3 },
      { start: 5, end: 9 },
    ]);
  });

  it('writes RFC 4180 CSV and neutralises formulas', () => {
    expect(
      toCsv([
        ['name', 'amount'],
        ['Ann, A', 1.5],
        ['=cmd()', 2],
        ['say "hi"', -1],
      ]),
    ).toBe('name,amount\r\n"Ann, A",1.5\r\n\'=cmd(),2\r\n"say ""hi""",-1\r\n');
  });
});

describe('busiestTwelveHours', () => {
  // A week-long stretch from Monday 09:00 UTC; 12-hour shifts start at 09:00 and 21:00.
  const week = [{ start: at('2026-03-02T09:00:00Z'), end: at('2026-03-09T09:00:00Z') }];
  const page = (iso: string, incident: string) => ({ at: at(iso), incident });

  it('counts a burst on one night of a week-long rotation as that night, not as a weekly average', () => {
    const pages = [
      page('2026-03-04T22:00:00Z', 'inc_a'),
      page('2026-03-04T23:30:00Z', 'inc_b'),
      page('2026-03-05T02:00:00Z', 'inc_c'),
      page('2026-03-05T02:05:00Z', 'inc_c'), // the same incident's next level: still one incident
      page('2026-03-05T08:59:00Z', 'inc_d'),
      page('2026-03-05T09:00:00Z', 'inc_e'), // the next shift (09:00-21:00)
    ];
    // Wed 21:00-Thu 09:00 holds a, b, c, d: 4 (the old average over the week was 5 / 14 = 0.36).
    expect(busiestTwelveHours(week, pages)).toBe(4);
  });

  it('cuts from each stretch start, counts a short last shift, and ignores pages off call', () => {
    const stretches = [
      { start: at('2026-03-02T09:00:00Z'), end: at('2026-03-02T15:00:00Z') },
      { start: at('2026-03-03T00:00:00Z'), end: at('2026-03-03T14:00:00Z') },
    ];
    const pages = [
      page('2026-03-02T09:00:00Z', 'inc_a'),
      page('2026-03-02T14:59:00Z', 'inc_b'),
      page('2026-03-02T20:00:00Z', 'inc_x'), // between stretches
      page('2026-03-03T11:59:00Z', 'inc_c'),
      page('2026-03-03T12:00:00Z', 'inc_d'), // the 2-hour remainder 12:00-14:00
      page('2026-03-03T13:00:00Z', 'inc_e'),
      page('2026-03-03T13:30:00Z', 'inc_f'),
    ];
    expect(busiestTwelveHours(stretches, pages)).toBe(3);
    expect(busiestTwelveHours(stretches, [])).toBe(0);
    expect(busiestTwelveHours([], pages)).toBe(0);
  });
});
