import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { fixedClock } from '../../platform/clock.ts';

/**
 * The load report over HTTP with real pages: night pages are counted in the paged person's own zone
 * (22:00-07:00), and a burst of incidents on one night of a week-long rotation is flagged as more
 * than 2 incidents in a 12-hour shift (it used to be averaged over the week, 4 / 14 = 0.29).
 */
for (const engine of ENGINES) {
  describe(`on-call load flags [${engine}]`, () => {
    let t: TestApp;
    // Monday 4 May 2026, 00:00 UTC.
    const clock = fixedClock('2026-05-04T00:00:00Z');
    let teamId = '';
    let serviceId = '';
    let ann = '';

    beforeAll(async () => {
      t = await createTestApp(engine, { clock });
      teamId = (await t.call('POST', '/api/v1/teams', { body: { name: 'Pager', time_zone: 'UTC' } })).json.id;
      serviceId = (await t.call('POST', '/api/v1/services', { body: { name: 'edge', team_id: teamId } })).json
        .id;
      const people: string[] = [];
      for (const [name, zone] of [
        ['ann', 'Europe/Berlin'],
        ['bob', 'UTC'],
      ] as const) {
        const user = await t.call('POST', '/api/v1/users', {
          body: { email: `${name}@pager.test`, name: name.toUpperCase(), role: null, time_zone: zone },
        });
        expect(user.status).toBe(201);
        people.push(user.json.id);
        await t.call('POST', `/api/v1/teams/${teamId}/members`, {
          body: { user_id: user.json.id, role: 'responder' },
        });
      }
      ann = people[0]!;
      const schedule = await t.call('POST', '/api/v1/schedules', {
        body: {
          name: 'Edge',
          team_id: teamId,
          time_zone: 'UTC',
          layers: [
            {
              name: 'weekly',
              start: '2026-05-04T00:00',
              rotation: { unit: 'week', length: 1 },
              participants: people,
            },
          ],
        },
      });
      expect(schedule.status).toBe(201);
      const policy = await t.call('POST', '/api/v1/escalation-policies', {
        body: {
          name: 'Edge',
          team_id: teamId,
          levels: [{ delay_seconds: 600, targets: [{ type: 'schedule', id: schedule.json.id }] }],
        },
      });
      expect(
        (
          await t.call('PATCH', `/api/v1/services/${serviceId}`, {
            body: { escalation_policy_id: policy.json.id },
          })
        ).status,
      ).toBe(200);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('counts night pages in the person’s zone and flags a burst within one 12-hour shift', async () => {
      // Ann's week runs Monday 00:00Z to the next Monday; her 12-hour shifts start at 00:00Z and 12:00Z.
      // Tuesday 21:30Z, 22:00Z, 23:00Z are 23:30, 00:00, 01:00 in Berlin (night, CEST), all in the
      // Tuesday 12:00Z-24:00Z shift; Thursday 10:00Z is 12:00 in Berlin (day).
      for (const [at, title] of [
        ['2026-05-05T21:30:00Z', 'Edge 5xx'],
        ['2026-05-05T22:00:00Z', 'Edge latency'],
        ['2026-05-05T23:00:00Z', 'Edge TLS'],
        ['2026-05-07T10:00:00Z', 'Edge cache'],
      ] as const) {
        clock.set(at);
        const incident = await t.call('POST', '/api/v1/incidents', {
          body: { service_id: serviceId, title, severity: 'SEV2' },
        });
        expect(incident.status).toBe(201);
        await t.container.worker.drain();
      }
      clock.set('2026-05-11T00:00:00Z');
      const q = `team_id=${teamId}&from=2026-05-04T00:00:00Z&to=2026-05-11T00:00:00Z`;
      const load = await t.call('GET', `/api/v1/oncall/load?${q}&max_on_call_share=1`);
      expect(load.status).toBe(200);
      expect(load.json.thresholds).toEqual({ max_incidents_per_12h: 2, max_on_call_share: 1 });
      expect(load.json.people).toHaveLength(1);
      expect(load.json.people[0]).toMatchObject({
        user_id: ann,
        time_zone: 'Europe/Berlin',
        hours_on_call: 168,
        shifts: 1,
        pages: 4,
        night_pages: 3,
        incidents: 4,
        max_incidents_per_12h: 3,
        on_call_share: 1,
        flags: ['more than 2 incidents per 12-hour shift'],
      });
      // A window that ends before the third night page: two incidents in that shift, not flagged.
      const earlier = await t.call(
        'GET',
        `/api/v1/oncall/load?team_id=${teamId}&from=2026-05-04T00:00:00Z&to=2026-05-05T22:30:00Z&max_on_call_share=1`,
      );
      expect(earlier.json.people[0]).toMatchObject({
        pages: 2,
        night_pages: 2,
        max_incidents_per_12h: 2,
        flags: [],
      });
    });
  });
}
