import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { fixedClock } from '../../platform/clock.ts';

/**
 * The iCalendar feeds parsed back by a real RFC 5545 parser (ical.js): every VEVENT's start and
 * end instants equal the shifts the API renders for the same window, across DST changes in
 * Europe/Berlin (25 October 2026, 28 March 2027) and America/New_York (1 November 2026, 14 March
 * 2027); UIDs are stable from one fetch to the next; SUMMARY survives escaping and line folding.
 * The feeds cover 30 days back to 180 days ahead of the clock, so the clock is fixed (not
 * `describeEachEngine`, which has no clock option).
 */

const DAY = 24 * 3_600_000;

interface ParsedEvent {
  uid: string;
  summary: string;
  start: string;
  end: string;
  startZone: string;
  endZone: string;
}

function parseFeed(body: string): { name: string; events: ParsedEvent[] } {
  const calendar = new ICAL.Component(ICAL.parse(body));
  expect(calendar.name).toBe('vcalendar');
  expect(calendar.getFirstPropertyValue('version')).toBe('2.0');
  const events = calendar.getAllSubcomponents('vevent').map((vevent) => {
    const event = new ICAL.Event(vevent);
    expect(vevent.getFirstPropertyValue('dtstamp')).toBeTruthy();
    return {
      uid: event.uid,
      summary: event.summary,
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
      startZone: event.startDate.zone?.tzid ?? '',
      endZone: event.endDate.zone?.tzid ?? '',
    };
  });
  return { name: String(calendar.getFirstPropertyValue('x-wr-calname')), events };
}

function window(now: string): { from: string; to: string } {
  const t = Date.parse(now);
  return { from: new Date(t - 30 * DAY).toISOString(), to: new Date(t + 180 * DAY).toISOString() };
}

/**
 * The API's shifts over a wider range, kept when they overlap the feed's window: a feed holds whole
 * shifts (a shift that began before the window keeps its real start), the API cuts at its range.
 */
function overlapping<T extends { start: string; end: string }>(shifts: T[], now: string): T[] {
  const { from, to } = window(now);
  return shifts.filter((s) => Date.parse(s.end) > Date.parse(from) && Date.parse(s.start) < Date.parse(to));
}

function wide(now: string): { from: string; to: string } {
  const t = Date.parse(now);
  return { from: new Date(t - 60 * DAY).toISOString(), to: new Date(t + 210 * DAY).toISOString() };
}

const hours = (e: { start: string; end: string }) => (Date.parse(e.end) - Date.parse(e.start)) / 3_600_000;

for (const engine of ENGINES) {
  describe(`iCal feeds parsed back with ical.js [${engine}]`, () => {
    const NOW = '2026-10-15T12:00:00Z';
    const clock = fixedClock(NOW);
    let t: TestApp;
    let teamId: string;
    const people: Record<'ann' | 'bob' | 'zoe', { id: string; name: string }> = {} as never;
    let berlin: { id: string; ical_url: string };
    let newYork: { id: string; ical_url: string };
    // A long layer name with characters RFC 5545 escapes and multi-byte ones, so SUMMARY is folded.
    const berlinLayer = 'Primär; Zahlungen, Rückfälle & Bereitschaft — Wochenschicht für das Kernteam';

    beforeAll(async () => {
      t = await createTestApp(engine, { clock });
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Payments', time_zone: 'UTC' } });
      expect(team.status).toBe(201);
      teamId = team.json.id;
      const names = {
        ann: 'Ann Bauer',
        bob: 'Bob Okafor',
        zoe: 'Zoë Łukasiewicz-Ångström, Jr.; 東京 on-call',
      };
      for (const key of ['ann', 'bob', 'zoe'] as const) {
        const user = await t.call('POST', '/api/v1/users', {
          body: { email: `${key}@example.test`, name: names[key], role: null, time_zone: 'Europe/Berlin' },
        });
        expect(user.status).toBe(201);
        await t.call('POST', `/api/v1/teams/${teamId}/members`, {
          body: { user_id: user.json.id, role: 'responder' },
        });
        people[key] = { id: user.json.id, name: names[key] };
      }
      // Weekly Monday 09:00 Berlin handoffs: the weeks holding 25 Oct and 28 Mar are 169 and 167 hours.
      const b = await t.call('POST', '/api/v1/schedules', {
        body: {
          name: 'Payments primary (Berlin)',
          team_id: teamId,
          time_zone: 'Europe/Berlin',
          layers: [
            {
              name: berlinLayer,
              start: '2026-09-07T09:00',
              rotation: { unit: 'week', length: 1 },
              participants: [people.ann.id, people.bob.id, people.zoe.id],
            },
          ],
        },
      });
      expect(b.status).toBe(201);
      berlin = b.json;
      // Daily 18:00 New York handoffs, Zoë and Bob taking turns.
      const n = await t.call('POST', '/api/v1/schedules', {
        body: {
          name: 'Checkout follow-the-sun (New York)',
          team_id: teamId,
          time_zone: 'America/New_York',
          layers: [
            {
              name: 'night',
              start: '2026-10-01T18:00',
              rotation: { unit: 'day', length: 1 },
              participants: [people.zoe.id, people.bob.id],
            },
          ],
        },
      });
      expect(n.status).toBe(201);
      newYork = n.json;
      // An override across the Berlin fall-back night (Ann's week): Bob covers Sat 12:00Z to Sun 12:00Z.
      const o = await t.call('POST', `/api/v1/schedules/${berlin.id}/overrides`, {
        body: { user_id: people.bob.id, start: '2026-10-24T12:00:00Z', end: '2026-10-25T12:00:00Z' },
      });
      expect(o.status).toBe(201);
    });
    afterAll(async () => {
      await t?.close();
    });

    async function feed(icalUrl: string) {
      const url = new URL(icalUrl);
      const res = await t.call('GET', url.pathname + url.search, { token: null });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/calendar/);
      // RFC 5545 3.1: CRLF line ends, no content line longer than 75 octets.
      expect(res.body.endsWith('\r\n')).toBe(true);
      for (const line of res.body.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
      return { body: res.body, ...parseFeed(res.body) };
    }

    it("the schedule feed equals the API's shifts for the same window, in UTC, across DST", async () => {
      const { from } = window(NOW);
      const range = wide(NOW);
      const api = await t.call(
        'GET',
        `/api/v1/schedules/${berlin.id}/shifts?from=${range.from}&to=${range.to}`,
      );
      expect(api.status).toBe(200);
      const shifts = overlapping(
        api.json.shifts as Array<{ user_id: string; layer: string; start: string; end: string }>,
        NOW,
      );
      expect(shifts.length).toBeGreaterThan(25);

      const parsed = await feed(berlin.ical_url);
      expect(parsed.name).toBe('engops on-call: Payments primary (Berlin)');
      // The long SUMMARY really was folded on the wire, and ical.js unfolded and unescaped it.
      expect(parsed.body).toMatch(/\r\n [^\r\n]/);
      expect(parsed.events.map((e) => [e.start, e.end])).toEqual(
        shifts.map((s) => [new Date(s.start).toISOString(), new Date(s.end).toISOString()]),
      );
      const nameOf = new Map(Object.values(people).map((p) => [p.id, p.name]));
      expect(parsed.events.map((e) => e.summary)).toEqual(
        shifts.map((s) => `On call: ${nameOf.get(s.user_id)} (${s.layer})`),
      );
      for (const e of parsed.events) {
        expect(e.startZone).toBe('UTC');
        expect(e.endZone).toBe('UTC');
      }
      expect(new Set(parsed.events.map((e) => e.uid)).size).toBe(parsed.events.length);

      const at = (start: string) => parsed.events.find((e) => e.start === start);
      // Ann's week of 19 Oct: Mon 09:00 CEST (07:00Z) to Mon 09:00 CET (08:00Z), split by Bob's override.
      const annSummary = `On call: ${people.ann.name} (${berlinLayer})`;
      const before = at('2026-10-19T07:00:00.000Z');
      expect(before?.summary).toBe(annSummary);
      expect(before?.end).toBe('2026-10-24T12:00:00.000Z');
      const override = at('2026-10-24T12:00:00.000Z');
      expect(override).toMatchObject({
        end: '2026-10-25T12:00:00.000Z',
        summary: `On call: ${people.bob.name} (override)`,
      });
      const after = at('2026-10-25T12:00:00.000Z');
      expect(after).toMatchObject({ end: '2026-10-26T08:00:00.000Z', summary: annSummary });
      expect(hours(before!) + hours(override!) + hours(after!)).toBe(169);
      // Week of 22 Mar 2027: Mon 09:00 CET (08:00Z) to Mon 09:00 CEST (07:00Z) = 167 hours.
      const spring = at('2027-03-22T08:00:00.000Z');
      expect(spring?.end).toBe('2027-03-29T07:00:00.000Z');
      expect(hours(spring!)).toBe(167);
      // An ordinary week is 168 hours.
      expect(hours(at('2026-11-02T08:00:00.000Z')!)).toBe(168);
      // The first event began before the window and is whole (a full week), not cut at the window.
      const firstEvent = parsed.events[0]!;
      expect(Date.parse(firstEvent.start)).toBeLessThan(Date.parse(from));
      expect(Date.parse(firstEvent.end)).toBeGreaterThan(Date.parse(from));
      expect(hours(firstEvent)).toBe(168);
    });

    it("a person's feed equals their API shifts across both schedules, with the schedule feed's UIDs", async () => {
      const range = wide(NOW);
      const api = await t.call(
        'GET',
        `/api/v1/users/${people.zoe.id}/shifts?from=${range.from}&to=${range.to}`,
      );
      expect(api.status).toBe(200);
      const shifts = overlapping(
        api.json.shifts as Array<{
          schedule_id: string;
          schedule_name: string;
          layer: string;
          start: string;
          end: string;
        }>,
        NOW,
      );
      expect(new Set(shifts.map((s) => s.schedule_id))).toEqual(new Set([berlin.id, newYork.id]));
      expect(api.json.ical_url).toMatch(/\/ical\/users\/.+\.ics\?token=/);

      const parsed = await feed(api.json.ical_url);
      // X-WR-CALNAME is an X- property: ical.js keeps its value raw (type unknown), i.e. TEXT-escaped.
      expect(parsed.name).toBe(`engops on-call: ${people.zoe.name.replace(/([,;\\])/g, '\\$1')}`);
      const key = (e: { start: string; end: string; summary: string }) => `${e.start} ${e.end} ${e.summary}`;
      expect(parsed.events.map(key).sort()).toEqual(
        shifts
          .map((s) =>
            key({
              start: new Date(s.start).toISOString(),
              end: new Date(s.end).toISOString(),
              summary: `On call: ${s.schedule_name} (${s.layer})`,
            }),
          )
          .sort(),
      );
      // New York falls back on Sunday 1 November: Zoë's turn from Sat 31 Oct 18:00 EDT (22:00Z) to
      // Sun 1 Nov 18:00 EST (23:00Z) is 25 hours; her turns keep the 18:00 local handoff over 14 March.
      const night = (start: string) =>
        parsed.events.find(
          (e) => e.start === start && e.summary === 'On call: Checkout follow-the-sun (New York) (night)',
        );
      expect(night('2026-10-31T22:00:00.000Z')?.end).toBe('2026-11-01T23:00:00.000Z');
      expect(hours(night('2026-10-31T22:00:00.000Z')!)).toBe(25);
      expect(night('2027-03-12T23:00:00.000Z')?.end).toBe('2027-03-13T23:00:00.000Z');
      expect(night('2027-03-14T22:00:00.000Z')?.end).toBe('2027-03-15T22:00:00.000Z');

      // The same shift has the same UID in the person's feed and in the schedule's feed.
      const scheduleFeed = await feed(berlin.ical_url);
      const byStart = new Map(scheduleFeed.events.map((e) => [`${e.start} ${e.end}`, e.uid]));
      const berlinEvents = parsed.events.filter((e) => e.summary.startsWith('On call: Payments primary'));
      expect(berlinEvents.length).toBeGreaterThan(5);
      for (const e of berlinEvents) expect(e.uid).toBe(byStart.get(`${e.start} ${e.end}`));
    });

    it('UIDs are stable across fetches and a day later; an override changes only the shifts it touches', async () => {
      const first = await feed(berlin.ical_url);
      const again = await feed(berlin.ical_url);
      expect(again.events).toEqual(first.events);

      clock.advance(DAY);
      try {
        const later = await feed(berlin.ical_url);
        const byStart = new Map(first.events.map((e) => [e.start, e]));
        const lastStart = first.events.at(-1)!.start;
        // A day later every event is the same one (UID, start, end, summary) or new at the far end:
        // no event is cut where the window now begins.
        for (const e of later.events) {
          const same = byStart.get(e.start);
          if (same) expect(e).toEqual(same);
          else expect(e.start > lastStart, e.start).toBe(true);
        }
        expect(later.events.filter((e) => byStart.has(e.start)).length).toBeGreaterThanOrEqual(
          later.events.length - 1,
        );

        // An override in January splits one shift; every other UID is unchanged.
        const o = await t.call('POST', `/api/v1/schedules/${berlin.id}/overrides`, {
          body: { user_id: people.bob.id, start: '2027-01-13T10:00:00Z', end: '2027-01-13T16:00:00Z' },
        });
        expect(o.status).toBe(201);
        const changed = await feed(berlin.ical_url);
        const before = new Set(later.events.map((e) => e.uid));
        const added = changed.events.filter((e) => !before.has(e.uid));
        expect(added.map((e) => [e.start, e.end, e.summary])).toEqual([
          ['2027-01-13T10:00:00.000Z', '2027-01-13T16:00:00.000Z', `On call: ${people.bob.name} (override)`],
          ['2027-01-13T16:00:00.000Z', '2027-01-18T08:00:00.000Z', expect.stringContaining('On call: ')],
        ]);
        expect(changed.events.length).toBe(later.events.length + 2);
      } finally {
        clock.set(NOW);
      }
    });
  });
}
