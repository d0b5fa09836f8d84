import { describe, expect, it } from 'vitest';
import {
  coverageGaps,
  isoOf,
  isValidTimeZone,
  localToUtc,
  offHoursMs,
  parseLocal,
  type ScheduleDefinition,
  type ScheduleLayer,
  shifts,
  turnStart,
  utcToLocal,
  whoIsOnCall,
} from './schedule-math.ts';

const H = 3_600_000;
const utc = (zone: string, local: string) => new Date(localToUtc(zone, parseLocal(local)!)).toISOString();
const hours = (s: { start: string; end: string }) => (Date.parse(s.end) - Date.parse(s.start)) / H;
const layer = (
  partial: Partial<ScheduleLayer> & Pick<ScheduleLayer, 'start' | 'rotation'>,
): ScheduleLayer => ({
  name: 'primary',
  participants: ['ann', 'bob'],
  ...partial,
});

describe('zone conversion', () => {
  it.each([
    // zone, local, UTC instant, why
    ['America/New_York', '2026-01-15T09:00', '2026-01-15T14:00:00.000Z', 'EST'],
    ['America/New_York', '2026-07-15T09:00', '2026-07-15T13:00:00.000Z', 'EDT'],
    ['America/New_York', '2026-03-08T01:59', '2026-03-08T06:59:00.000Z', 'last minute before the gap'],
    ['America/New_York', '2026-03-08T02:00', '2026-03-08T07:00:00.000Z', 'gap start -> 03:00 EDT'],
    ['America/New_York', '2026-03-08T02:30', '2026-03-08T07:30:00.000Z', 'gap -> 03:30 EDT'],
    ['America/New_York', '2026-03-08T03:00', '2026-03-08T07:00:00.000Z', 'first time after the gap'],
    ['America/New_York', '2026-11-01T01:30', '2026-11-01T05:30:00.000Z', 'ambiguous -> first (EDT)'],
    ['America/New_York', '2026-11-01T02:00', '2026-11-01T07:00:00.000Z', 'after fall back (EST)'],
    ['Europe/Berlin', '2026-03-29T02:30', '2026-03-29T01:30:00.000Z', 'gap -> 03:30 CEST'],
    ['Europe/Berlin', '2026-10-25T02:30', '2026-10-25T00:30:00.000Z', 'ambiguous -> first (CEST)'],
    ['Europe/London', '2026-03-29T01:30', '2026-03-29T01:30:00.000Z', 'gap -> 02:30 BST'],
    ['Europe/London', '2026-10-25T01:30', '2026-10-25T00:30:00.000Z', 'ambiguous -> first (BST)'],
    ['Australia/Lord_Howe', '2026-10-04T02:15', '2026-10-03T15:45:00.000Z', '30-min gap -> 02:45 (+11)'],
    ['Australia/Lord_Howe', '2026-04-05T01:45', '2026-04-04T14:45:00.000Z', 'ambiguous -> first (+11)'],
    ['Australia/Lord_Howe', '2026-04-05T02:00', '2026-04-04T15:30:00.000Z', 'after fall back (+10:30)'],
    ['Asia/Kolkata', '2026-03-08T02:30', '2026-03-07T21:00:00.000Z', 'no DST, +05:30'],
    ['UTC', '2028-02-29T12:00', '2028-02-29T12:00:00.000Z', 'leap day'],
  ])('%s %s -> %s (%s)', (zone, local, expected) => {
    expect(utc(zone, local)).toBe(expected);
  });

  it('round-trips every half hour of a year in zones with DST, except the gaps', () => {
    for (const zone of ['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe']) {
      let skipped = 0;
      const start = Date.parse('2026-01-01T00:00:00Z');
      for (let t = start; t < start + 365 * 24 * H; t += H / 2) {
        const local = utcToLocal(zone, t);
        const back = localToUtc(zone, local);
        // A fall-back hour's second occurrence maps to its first: the only allowed difference.
        if (back !== t) {
          skipped++;
          expect(back).toBeLessThan(t);
          expect(utcToLocal(zone, back)).toBe(local);
        }
      }
      // New York and Berlin repeat one hour (2 half hours), Lord Howe half an hour (1).
      expect(skipped).toBe(zone === 'Australia/Lord_Howe' ? 1 : 2);
    }
  });

  it('rejects unknown zones and malformed local times', () => {
    expect(isValidTimeZone('America/New_York')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(parseLocal('2026-02-30T09:00')).toBeNull();
    expect(parseLocal('2026-02-01 09:00')).toBeNull();
    expect(parseLocal('2026-02-01T24:00')).toBeNull();
    expect(parseLocal('2028-02-29T09:00')).not.toBeNull();
  });
});

describe('weekly rotations hand off at the same local time across DST', () => {
  it.each([
    ['America/New_York', '2026-03-02T09:00', 167, '2026-03-02T14:00:00.000Z', '2026-03-09T13:00:00.000Z'],
    ['America/New_York', '2026-10-26T09:00', 169, '2026-10-26T13:00:00.000Z', '2026-11-02T14:00:00.000Z'],
    ['Europe/Berlin', '2026-03-23T09:00', 167, '2026-03-23T08:00:00.000Z', '2026-03-30T07:00:00.000Z'],
    ['Europe/Berlin', '2026-10-19T09:00', 169, '2026-10-19T07:00:00.000Z', '2026-10-26T08:00:00.000Z'],
    [
      'Australia/Lord_Howe',
      '2026-03-29T09:00',
      168.5,
      '2026-03-28T22:00:00.000Z',
      '2026-04-04T22:30:00.000Z',
    ],
    [
      'Australia/Lord_Howe',
      '2026-09-27T09:00',
      167.5,
      '2026-09-26T22:30:00.000Z',
      '2026-10-03T22:00:00.000Z',
    ],
  ])('%s from %s: %s hours', (zone, start, expectedHours, from, to) => {
    const schedule: ScheduleDefinition = {
      time_zone: zone,
      layers: [layer({ start, rotation: { unit: 'week', length: 1 } })],
    };
    const rendered = shifts(schedule, from, new Date(Date.parse(to) + 168 * H));
    expect(rendered[0]).toMatchObject({ user_id: 'ann', start: from, end: to });
    expect(hours(rendered[0]!)).toBe(expectedHours);
    // The week after the switch is an ordinary 168 hours, handing off at the same local time.
    expect(rendered[1]).toMatchObject({ user_id: 'bob', start: to });
    expect(hours(rendered[1]!)).toBe(168);
    expect(new Date(utcToLocal(zone, Date.parse(rendered[1]!.end))).toISOString()).toMatch(/T09:00:00/);
  });

  it('answers who is on call on either side of the handoff', () => {
    const schedule: ScheduleDefinition = {
      time_zone: 'America/New_York',
      layers: [layer({ start: '2026-03-02T09:00', rotation: { unit: 'week', length: 1 } })],
    };
    expect(whoIsOnCall(schedule, '2026-03-09T12:59:59Z').map((s) => s.user_id)).toEqual(['ann']);
    expect(whoIsOnCall(schedule, '2026-03-09T13:00:00Z')).toEqual([
      {
        user_id: 'bob',
        layer: 'primary',
        start: '2026-03-09T13:00:00.000Z',
        end: '2026-03-16T13:00:00.000Z',
      },
    ]);
    // Before the layer starts nobody is on call.
    expect(whoIsOnCall(schedule, '2026-03-02T13:59:59Z')).toEqual([]);
    // Turns keep cycling: 29 June starts week 17 (odd), which is bob's.
    expect(whoIsOnCall(schedule, '2026-07-01T12:00:00Z').map((s) => s.user_id)).toEqual(['bob']);
  });

  it('rotates through three people over two-week turns', () => {
    const schedule: ScheduleDefinition = {
      time_zone: 'Europe/Berlin',
      layers: [
        layer({
          start: '2026-03-16T10:00',
          rotation: { unit: 'week', length: 2 },
          participants: ['a', 'b', 'c'],
        }),
      ],
    };
    const rendered = shifts(schedule, '2026-03-16T00:00:00Z', '2026-05-11T08:00:00Z');
    expect(rendered.map((s) => [s.user_id, hours(s)])).toEqual([
      ['a', 335],
      ['b', 336],
      ['c', 336],
      ['a', 336],
    ]);
  });
});

describe('daily handoffs at a local time that is skipped or repeated', () => {
  it('02:30 on the spring-forward day hands off at 03:30 EDT', () => {
    const l = layer({ start: '2026-03-06T02:30', rotation: { unit: 'day', length: 1 } });
    const zone = 'America/New_York';
    expect(new Date(turnStart(zone, l, 1)).toISOString()).toBe('2026-03-07T07:30:00.000Z');
    expect(new Date(turnStart(zone, l, 2)).toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(new Date(turnStart(zone, l, 3)).toISOString()).toBe('2026-03-09T06:30:00.000Z');
    const rendered = shifts({ time_zone: zone, layers: [l] }, '2026-03-07T07:30:00Z', '2026-03-09T06:30:00Z');
    // 02:30 EST -> 03:30 EDT the next day is 24 h; 03:30 EDT -> 02:30 EDT is 23 h.
    expect(rendered.map((s) => [s.user_id, hours(s)])).toEqual([
      ['bob', 24],
      ['ann', 23],
    ]);
  });

  it('01:30 on the fall-back day hands off at the first 01:30', () => {
    const l = layer({ start: '2026-10-30T01:30', rotation: { unit: 'day', length: 1 } });
    const rendered = shifts(
      { time_zone: 'America/New_York', layers: [l] },
      '2026-10-31T05:30:00Z',
      '2026-11-02T06:30:00Z',
    );
    expect(rendered).toEqual([
      {
        user_id: 'bob',
        layer: 'primary',
        start: '2026-10-31T05:30:00.000Z',
        end: '2026-11-01T05:30:00.000Z',
      },
      {
        user_id: 'ann',
        layer: 'primary',
        start: '2026-11-01T05:30:00.000Z',
        end: '2026-11-02T06:30:00.000Z',
      },
    ]);
    expect(hours(rendered[1]!)).toBe(25);
  });

  it('counts a leap day as a day', () => {
    const l = layer({ start: '2028-02-27T09:00', rotation: { unit: 'day', length: 1 } });
    const rendered = shifts(
      { time_zone: 'UTC', layers: [l] },
      '2028-02-28T09:00:00Z',
      '2028-03-01T09:00:00Z',
    );
    expect(rendered.map((s) => [s.user_id, s.start])).toEqual([
      ['bob', '2028-02-28T09:00:00.000Z'],
      ['ann', '2028-02-29T09:00:00.000Z'],
    ]);
  });
});

describe('hour rotations count elapsed hours', () => {
  it('keeps 12-hour turns 12 hours long across spring forward and fall back', () => {
    const zone = 'America/New_York';
    const l = layer({ start: '2026-03-07T20:00', rotation: { unit: 'hour', length: 12 } });
    const spring = shifts({ time_zone: zone, layers: [l] }, '2026-03-08T01:00:00Z', '2026-03-09T13:00:00Z');
    expect(spring.map(hours)).toEqual([12, 12, 12]);
    // The wall clock drifts by the DST hour: 20:00 EST, 09:00 EDT (not 08:00), 21:00 EDT.
    expect(
      spring.map((s) => new Date(utcToLocal(zone, Date.parse(s.start))).toISOString().slice(11, 16)),
    ).toEqual(['20:00', '09:00', '21:00']);
    const fall = shifts({ time_zone: zone, layers: [l] }, '2026-10-31T00:00:00Z', '2026-11-02T00:00:00Z');
    for (const s of fall.slice(1, -1)) expect(hours(s)).toBe(12);
  });
});

describe('layers, restrictions and overrides', () => {
  const zone = 'America/New_York';
  const base = layer({
    name: 'base',
    start: '2026-03-02T00:00',
    rotation: { unit: 'week', length: 1 },
    participants: ['night-owl'],
  });
  const business = layer({
    name: 'business-hours',
    start: '2026-03-02T00:00',
    rotation: { unit: 'day', length: 1 },
    participants: ['ann', 'bob'],
    restrictions: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' }],
  });
  const schedule: ScheduleDefinition = { time_zone: zone, layers: [base, business] };

  it('a higher layer covers a lower one only inside its restrictions, in local time across DST', () => {
    // Friday 6 March (EST): 09:00-17:00 is 14:00-22:00Z; Monday 9 March (EDT): 13:00-21:00Z.
    expect(whoIsOnCall(schedule, '2026-03-06T14:00:00Z')[0]).toMatchObject({
      user_id: 'ann',
      layer: 'business-hours',
      start: '2026-03-06T14:00:00.000Z',
      end: '2026-03-06T22:00:00.000Z',
    });
    expect(whoIsOnCall(schedule, '2026-03-06T13:59:00Z')[0]).toMatchObject({
      user_id: 'night-owl',
      layer: 'base',
    });
    expect(whoIsOnCall(schedule, '2026-03-07T15:00:00Z')[0]).toMatchObject({ user_id: 'night-owl' });
    expect(whoIsOnCall(schedule, '2026-03-09T13:00:00Z')[0]).toMatchObject({
      user_id: 'bob',
      start: '2026-03-09T13:00:00.000Z',
      end: '2026-03-09T21:00:00.000Z',
    });
    expect(whoIsOnCall(schedule, '2026-03-09T21:00:00Z')[0]).toMatchObject({ user_id: 'night-owl' });
  });

  it('renders the base layer in the gaps the restricted layer leaves', () => {
    const rendered = shifts(schedule, '2026-03-06T00:00:00Z', '2026-03-10T00:00:00Z');
    expect(rendered.map((s) => `${s.user_id} ${s.start.slice(5, 16)}-${s.end.slice(5, 16)}`)).toEqual([
      'night-owl 03-06T00:00-03-06T14:00',
      'ann 03-06T14:00-03-06T22:00',
      'night-owl 03-06T22:00-03-09T13:00',
      'bob 03-09T13:00-03-09T21:00',
      'night-owl 03-09T21:00-03-10T00:00',
    ]);
    expect(coverageGaps(schedule, '2026-03-06T00:00:00Z', '2026-03-10T00:00:00Z')).toEqual([]);
  });

  it('reports gaps where no layer has anyone, including overnight restrictions', () => {
    const nights: ScheduleDefinition = {
      time_zone: zone,
      layers: [
        layer({
          start: '2026-03-02T00:00',
          rotation: { unit: 'week', length: 1 },
          participants: ['owl'],
          restrictions: [{ days: ['fri'], from: '22:00', to: '07:00' }],
        }),
      ],
    };
    // Friday 22:00 EST -> Saturday 07:00 EST.
    expect(shifts(nights, '2026-03-06T00:00:00Z', '2026-03-08T00:00:00Z')).toEqual([
      {
        user_id: 'owl',
        layer: 'primary',
        start: '2026-03-07T03:00:00.000Z',
        end: '2026-03-07T12:00:00.000Z',
      },
    ]);
    expect(coverageGaps(nights, '2026-03-07T00:00:00Z', '2026-03-07T13:00:00Z')).toEqual([
      { start: '2026-03-07T00:00:00.000Z', end: '2026-03-07T03:00:00.000Z' },
      { start: '2026-03-07T12:00:00.000Z', end: '2026-03-07T13:00:00.000Z' },
    ]);
  });

  it('overrides replace whoever is on call; overlapping overrides put both on call', () => {
    const withOverrides: ScheduleDefinition = {
      ...schedule,
      overrides: [
        { user_id: 'carol', start: '2026-03-06T16:00:00Z', end: '2026-03-07T02:00:00Z' },
        { user_id: 'dave', start: '2026-03-07T01:00:00Z', end: '2026-03-07T03:00:00Z' },
      ],
    };
    const rendered = shifts(withOverrides, '2026-03-06T12:00:00Z', '2026-03-07T06:00:00Z');
    expect(
      rendered.map((s) => `${s.user_id}/${s.layer} ${s.start.slice(11, 16)}-${s.end.slice(11, 16)}`),
    ).toEqual([
      'night-owl/base 12:00-14:00',
      'ann/business-hours 14:00-16:00',
      'carol/override 16:00-02:00',
      'dave/override 01:00-03:00',
      'night-owl/base 03:00-06:00',
    ]);
    expect(
      whoIsOnCall(withOverrides, '2026-03-07T01:30:00Z')
        .map((s) => s.user_id)
        .sort(),
    ).toEqual(['carol', 'dave']);
  });

  it('merges consecutive turns of the same person into one shift', () => {
    const solo: ScheduleDefinition = {
      time_zone: zone,
      layers: [
        layer({ start: '2026-03-02T09:00', rotation: { unit: 'day', length: 1 }, participants: ['ann'] }),
      ],
    };
    expect(shifts(solo, '2026-03-03T00:00:00Z', '2026-03-10T00:00:00Z')).toEqual([
      {
        user_id: 'ann',
        layer: 'primary',
        start: '2026-03-03T00:00:00.000Z',
        end: '2026-03-10T00:00:00.000Z',
      },
    ]);
  });
});

describe('off-hours', () => {
  it('counts time outside weekday working hours in the given zone', () => {
    // Friday 6 March 2026 00:00 EST to Monday 9 March 00:00 EDT: 71 hours, 9 of them working.
    const start = Date.parse('2026-03-06T05:00:00Z');
    const end = Date.parse('2026-03-09T04:00:00Z');
    expect(offHoursMs('America/New_York', start, end, '09:00', '18:00') / H).toBe(71 - 9);
  });
});

describe('isoOf', () => {
  it('formats like Date#toISOString, across leap days, centuries and before 1970', () => {
    const samples = [
      0,
      -1,
      Date.parse('2024-02-29T23:59:59.999Z'),
      Date.parse('2000-03-01T00:00:00.000Z'),
      Date.parse('1900-02-28T12:34:56.789Z'),
      Date.parse('0001-01-01T00:00:00.000Z'),
      Date.parse('9999-12-31T23:59:59.999Z'),
    ];
    for (
      let t = Date.parse('1960-01-01T00:00:00Z');
      t < Date.parse('2100-01-01T00:00:00Z');
      t += 7_919 * 3_600_000 + 1
    )
      samples.push(t);
    for (const t of samples) expect(isoOf(t)).toBe(new Date(t).toISOString());
  });
});
