import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { fixedClock } from '../../platform/clock.ts';

for (const engine of ENGINES) {
  describe(`on-call person shifts, rotation check and pay [${engine}]`, () => {
    let t: TestApp;
    // Saturday 7 March 2026, 10:00 in New York (EST); DST starts on Sunday 8 March.
    const clock = fixedClock('2026-03-07T15:00:00Z');
    let teamId: string;
    let serviceId: string;
    const ids: Record<'ann' | 'bob' | 'cid' | 'dee', string> = { ann: '', bob: '', cid: '', dee: '' };
    let scheduleId: string;

    const layer = (unit: 'day' | 'week') => ({
      name: 'primary',
      start: '2026-03-02T09:00',
      rotation: { unit, length: 1 },
      participants: [ids.ann, ids.bob, ids.cid, ids.dee],
    });

    beforeAll(async () => {
      t = await createTestApp(engine, { clock });
      teamId = (
        await t.call('POST', '/api/v1/teams', { body: { name: 'Nightwatch', time_zone: 'America/New_York' } })
      ).json.id;
      serviceId = (await t.call('POST', '/api/v1/services', { body: { name: 'gate', team_id: teamId } })).json
        .id;
      for (const name of ['ann', 'bob', 'cid', 'dee'] as const) {
        const user = await t.call('POST', '/api/v1/users', {
          body: { email: `${name}@night.test`, name: name.toUpperCase(), role: null },
        });
        ids[name] = user.json.id;
        await t.call('POST', `/api/v1/teams/${teamId}/members`, {
          body: { user_id: user.json.id, role: 'responder' },
        });
      }
    });
    afterAll(async () => {
      await t?.close();
    });

    it("checks the team's rotation against the handbook's advice for its size, from the policy", async () => {
      const created = await t.call('POST', '/api/v1/schedules', {
        body: { name: 'Gate', team_id: teamId, time_zone: 'America/New_York', layers: [layer('day')] },
      });
      scheduleId = created.json.id;
      const daily = await t.call('GET', `/api/v1/oncall/teams/${teamId}/rotation-check`);
      expect(daily.status).toBe(200);
      expect(daily.json).toMatchObject({
        team_size: 4,
        recommended: 'weekly',
        rule: { min_size: 4, max_size: 8 },
        weekly_layers: 0,
        ok: false,
        services_without_policy: [serviceId],
      });
      expect(daily.json.advice).toContain('suggests a weekly rotation');

      const weekly = await t.call('PUT', `/api/v1/schedules/${scheduleId}`, {
        body: { name: 'Gate', time_zone: 'America/New_York', layers: [layer('week')] },
      });
      expect(weekly.status).toBe(200);
      expect((await t.call('GET', `/api/v1/oncall/teams/${teamId}/rotation-check`)).json).toMatchObject({
        recommended: 'weekly',
        weekly_layers: 1,
        ok: true,
      });

      // The sizes come from the organisation's policy, not from the code.
      const version = (await t.call('GET', '/api/v1/policy')).json.version;
      const put = await t.call('PUT', '/api/v1/policy', {
        body: {
          version,
          policy: {
            on_call: {
              rotation_by_team_size: [
                { min_size: 1, max_size: 3, rotation: 'weekly' },
                { min_size: 4, max_size: null, rotation: 'multiple-by-service' },
              ],
            },
          },
        },
      });
      expect(put.status).toBe(200);
      const bigger = (await t.call('GET', `/api/v1/oncall/teams/${teamId}/rotation-check`)).json;
      expect(bigger).toMatchObject({
        recommended: 'multiple-by-service',
        rule: { min_size: 4, max_size: null },
      });
      // One service: one rotation covers it.
      expect(bigger.ok).toBe(true);
      const restore = await t.call('PUT', '/api/v1/policy', {
        body: {
          version: put.json.version,
          policy: {
            on_call: {
              rotation_by_team_size: [
                { min_size: 1, max_size: 3, rotation: 'informal' },
                { min_size: 4, max_size: 8, rotation: 'weekly' },
                { min_size: 9, max_size: null, rotation: 'multiple-by-service' },
              ],
            },
          },
        },
      });
      expect(restore.status).toBe(200);
      expect((await t.call('GET', `/api/v1/oncall/teams/${teamId}/rotation-check`)).json.recommended).toBe(
        'weekly',
      );
    });

    it("lists a person's shifts across schedules and serves their own rotatable calendar feed", async () => {
      const second = await t.call('POST', '/api/v1/schedules', {
        body: {
          name: 'Gate backup',
          team_id: teamId,
          time_zone: 'America/New_York',
          layers: [{ ...layer('week'), participants: [ids.bob] }],
        },
      });
      // Ann covers Saturday 7 March 00:00-12:00 EST on the backup: inside her primary week.
      const ovr = await t.call('POST', `/api/v1/schedules/${second.json.id}/overrides`, {
        body: { user_id: ids.ann, start: '2026-03-07T05:00:00Z', end: '2026-03-07T17:00:00Z' },
      });
      expect(ovr.status).toBe(201);
      const mine = await t.call(
        'GET',
        `/api/v1/users/${ids.ann}/shifts?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z`,
      );
      expect(mine.status).toBe(200);
      expect(
        mine.json.shifts.map((s: { schedule_name: string; layer: string; start: string; end: string }) => [
          s.schedule_name,
          s.layer,
          s.start,
          s.end,
        ]),
      ).toEqual([
        // 167 hours: the week DST starts in.
        ['Gate', 'primary', '2026-03-02T14:00:00.000Z', '2026-03-09T13:00:00.000Z'],
        ['Gate backup', 'override', '2026-03-07T05:00:00.000Z', '2026-03-07T17:00:00.000Z'],
        ['Gate', 'primary', '2026-03-30T13:00:00.000Z', '2026-04-01T00:00:00.000Z'],
      ]);
      expect(mine.json.ical_url).toMatch(/\/ical\/users\/.+\.ics\?token=/);
      const viewer = await t.tokenFor('viewer');
      const seen = await t.call(
        'GET',
        `/api/v1/users/${ids.ann}/shifts?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z`,
        {
          token: viewer,
        },
      );
      expect(seen.json.shifts).toHaveLength(3);
      expect(seen.json.ical_url).toBeNull();

      const url = new URL(mine.json.ical_url);
      const feed = await t.call('GET', url.pathname + url.search, { token: null });
      expect(feed.status).toBe(200);
      expect(feed.headers['content-type']).toMatch(/^text\/calendar/);
      // The feed covers 30 days back and 180 ahead of now: the same shifts as the API for that window.
      const window = await t.call(
        'GET',
        `/api/v1/users/${ids.ann}/shifts?from=2026-02-05T15:00:00Z&to=2026-09-03T15:00:00Z`,
      );
      const events = feed.body.split('BEGIN:VEVENT').slice(1);
      expect(events).toHaveLength(window.json.shifts.length);
      expect(events[0]).toContain('DTSTART:20260302T140000Z');
      expect(events[0]).toContain('DTEND:20260309T130000Z');
      expect(events[0]).toContain('SUMMARY:On call: Gate (primary)');

      const forged = await t.call('GET', `/ical/users/${ids.bob}.ics${url.search}`, { token: null });
      expect(forged.status).toBe(401);
      const rotated = await t.call('POST', `/api/v1/users/${ids.ann}/ical-url/rotate`);
      expect(rotated.status).toBe(200);
      expect((await t.call('GET', url.pathname + url.search, { token: null })).status).toBe(401);
      const fresh = new URL(rotated.json.ical_url);
      expect((await t.call('GET', fresh.pathname + fresh.search, { token: null })).status).toBe(200);
    });

    it('prices off-hours on call in the team time zone across DST, holidays, overlaps and pages; CSV too', async () => {
      const policy = await t.call('PUT', `/api/v1/oncall/teams/${teamId}/pay-policy`, {
        body: {
          currency: 'USD',
          hourly_rate: 10,
          per_off_hours_shift: 100,
          per_off_hours_page: 5,
          weekend_multiplier: 1.5,
          holiday_multiplier: 2,
          working_hours: { start: '09:00', end: '17:00' },
          holidays: ['2026-03-04'],
        },
      });
      expect(policy.status).toBe(200);
      expect(policy.json.policy.working_days).toEqual(['mon', 'tue', 'wed', 'thu', 'fri']);
      const bad = await t.call('PUT', `/api/v1/oncall/teams/${teamId}/pay-policy`, {
        body: { hourly_rate: -1, holidays: ['2026-02-30'] },
      });
      expect(bad.status).toBe(400);
      expect(bad.json.errors.map((e: { path: string }) => e.path).sort()).toEqual([
        'body.holidays.0',
        'body.hourly_rate',
      ]);
      expect((await t.call('GET', `/api/v1/oncall/teams/${teamId}/pay-policy`)).json.policy.hourly_rate).toBe(
        10,
      );

      // A page now (Saturday 10:00 EST, off-hours) reaches Ann through the schedule.
      const esc = await t.call('POST', '/api/v1/escalation-policies', {
        body: {
          name: 'Gate',
          team_id: teamId,
          levels: [{ delay_seconds: 300, targets: [{ type: 'schedule', id: scheduleId }] }],
        },
      });
      await t.call('PATCH', `/api/v1/services/${serviceId}`, { body: { escalation_policy_id: esc.json.id } });
      const incident = await t.call('POST', '/api/v1/incidents', {
        body: { service_id: serviceId, title: 'Gate down', severity: 'SEV1' },
      });
      expect(incident.status).toBe(201);
      await t.container.worker.drain();

      const q = `team_id=${teamId}&from=2026-03-02T14:00:00Z&to=2026-03-09T13:00:00Z`;
      const report = await t.call('GET', `/api/v1/oncall/pay?${q}`);
      expect(report.status).toBe(200);
      expect(report.json).toMatchObject({ time_zone: 'America/New_York', currency: 'USD' });
      // Ann, Mon 2 March 09:00 EST to Mon 9 March 09:00 EDT (167 h; the backup override overlaps, paid once):
      // working 09-17 Mon, Tue, Thu, Fri = 32 h; weekday off-hours 7 + 16 x 3 + 9 = 64 h;
      // Wed 4 March holiday 24 h; weekend 24 + 23 (DST) = 47 h.
      // 10 x (64 + 47 x 1.5 + 24 x 2) + 100 (one shift) + 5 (Saturday page) = 1,825 + 105 = 1,930.
      expect(report.json.people).toEqual([
        {
          user_id: ids.ann,
          name: 'ANN',
          on_call_hours: 167,
          off_hours_hours: 135,
          weekday_off_hours: 64,
          weekend_hours: 47,
          holiday_hours: 24,
          off_hours_shifts: 1,
          off_hours_pages: 1,
          amount: 1930,
        },
        // Bob, always on the backup except Ann's 12 hours: Mon 09:00-Sat 00:00 EST (111 h: 24 working,
        // 55 weekday off, 24 holiday) and Sat 12:00 EST-Mon 09:00 EDT (44 h: 35 weekend, 9 weekday off).
        // 10 x (64 + 35 x 1.5 + 24 x 2) + 2 shifts x 100 = 1,645 + 200 = 1,845.
        {
          user_id: ids.bob,
          name: 'BOB',
          on_call_hours: 155,
          off_hours_hours: 123,
          weekday_off_hours: 64,
          weekend_hours: 35,
          holiday_hours: 24,
          off_hours_shifts: 2,
          off_hours_pages: 0,
          amount: 1845,
        },
      ]);
      expect(report.json.total).toBe(3775);

      const csv = await t.call('GET', `/api/v1/oncall/pay.csv?${q}`);
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.body.split('\r\n')).toEqual([
        'user_id,name,on_call_hours,off_hours_hours,weekday_off_hours,weekend_hours,holiday_hours,off_hours_shifts,off_hours_pages,amount,currency',
        `${ids.ann},ANN,167,135,64,47,24,1,1,1930,USD`,
        `${ids.bob},BOB,155,123,64,35,24,2,0,1845,USD`,
        '',
      ]);

      // The load report over the same week, in each person's zone (UTC here), with the pay policy's
      // working days, hours and holiday. Ann: working Mon 14-17, Tue, Thu, Fri 9-17, Mon 9 09-13 = 31 h,
      // so 136 of 167 h off-hours; one shift, one incident (not at night); on call the whole window.
      const load = await t.call('GET', `/api/v1/oncall/load?${q}`);
      expect(load.status).toBe(200);
      expect(load.json.thresholds).toEqual({ max_incidents_per_12h: 2, max_on_call_share: 0.25 });
      const ann = load.json.people.find((p: { user_id: string }) => p.user_id === ids.ann);
      expect(ann).toEqual({
        user_id: ids.ann,
        name: 'ANN',
        time_zone: 'UTC',
        hours_on_call: 167,
        off_hours_hours: 136,
        pages: 1,
        night_pages: 0,
        shifts: 1,
        incidents: 1,
        max_incidents_per_12h: 1,
        on_call_share: 1,
        flags: ['on call more than 25% of the time'],
      });
      // Bob: 111 h (27 working) and 44 h (4 working) on the backup: 124 h off-hours in two shifts.
      expect(load.json.people.find((p: { user_id: string }) => p.user_id === ids.bob)).toMatchObject({
        hours_on_call: 155,
        off_hours_hours: 124,
        shifts: 2,
        on_call_share: 0.928,
      });
      // Fairness in the primary rotation: Ann carried the whole week, the others nothing.
      expect(load.json.rotations).toEqual([
        {
          schedule_id: scheduleId,
          schedule_name: 'Gate',
          layer: 'primary',
          members: [
            { user_id: ids.ann, hours: 167 },
            { user_id: ids.bob, hours: 0 },
            { user_id: ids.cid, hours: 0 },
            { user_id: ids.dee, hours: 0 },
          ],
          mean_hours: 41.75,
          spread_pct: 400,
        },
      ]);
      const relaxed = await t.call('GET', `/api/v1/oncall/load?${q}&max_on_call_share=1`);
      expect(relaxed.json.people.flatMap((p: { flags: string[] }) => p.flags)).toEqual([]);
      // The same threshold as the organisation's policy (on_call.max_on_call_share), not a literal.
      const current = await t.call('GET', '/api/v1/policy');
      const put = await t.call('PUT', '/api/v1/policy', {
        body: {
          policy: {
            ...current.json.policy,
            on_call: { ...current.json.policy.on_call, max_on_call_share: 1 },
          },
          version: current.json.version,
        },
      });
      expect(put.status).toBe(200);
      const byPolicy = await t.call('GET', `/api/v1/oncall/load?${q}`);
      expect(byPolicy.json.thresholds).toEqual({ max_incidents_per_12h: 2, max_on_call_share: 1 });
      expect(byPolicy.json.people.flatMap((p: { flags: string[] }) => p.flags)).toEqual([]);

      // Pay is for managers: a responder of the team is refused.
      const responder = await t.tokenFor('responder', teamId);
      expect((await t.call('GET', `/api/v1/oncall/pay?${q}`, { token: responder })).status).toBe(403);
    });
  });
}
