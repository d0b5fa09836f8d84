import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { startSmtp } from '../../../../../test-support/smtp.ts';
import { fixedClock } from '../../platform/clock.ts';

const H = 3_600_000;

for (const engine of ENGINES) {
  describe(`on-call schedules, iCal and escalation [${engine}]`, () => {
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let t: TestApp;
    // Thursday 5 March 2026, 12:00 UTC: New York is on EST; DST starts on Sunday 8 March.
    const clock = fixedClock('2026-03-05T12:00:00Z');
    let teamId: string;
    let serviceId: string;
    const people: Record<'ann' | 'bob' | 'carol', { id: string; email: string }> = {} as never;

    beforeAll(async () => {
      smtp = await startSmtp();
      t = await createTestApp(engine, {
        clock,
        env: {
          ENGOPS_SMTP_HOST: '127.0.0.1',
          ENGOPS_SMTP_PORT: String(smtp.port),
          ENGOPS_SMTP_FROM: 'engops <engops@example.test>',
        },
      });
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Payments', time_zone: 'UTC' } });
      teamId = team.json.id;
      const service = await t.call('POST', '/api/v1/services', {
        body: { name: 'checkout-api', team_id: teamId },
      });
      serviceId = service.json.id;
      for (const name of ['ann', 'bob', 'carol'] as const) {
        const email = `${name}@example.test`;
        const user = await t.call('POST', '/api/v1/users', {
          body: {
            email,
            name: name[0]!.toUpperCase() + name.slice(1),
            role: null,
            time_zone: 'America/New_York',
          },
        });
        expect(user.status).toBe(201);
        await t.call('POST', `/api/v1/teams/${teamId}/members`, {
          body: { user_id: user.json.id, role: 'responder' },
        });
        people[name] = { id: user.json.id, email };
      }
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
    });

    const weekly = () => ({
      name: 'Payments primary',
      team_id: teamId,
      time_zone: 'America/New_York',
      layers: [
        {
          name: 'primary',
          start: '2026-03-02T09:00',
          rotation: { unit: 'week', length: 1 },
          participants: [people.ann.id, people.bob.id],
        },
      ],
    });

    it('creates, reads, updates and deletes a schedule; 400 on bad input, 403 for a viewer', async () => {
      const created = await t.call('POST', '/api/v1/schedules', { body: weekly() });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({
        name: 'Payments primary',
        time_zone: 'America/New_York',
        overrides: [],
      });
      expect(created.json.ical_url).toMatch(new RegExp(`/ical/schedules/${created.json.id}\\.ics\\?token=`));
      const id = created.json.id as string;

      const bad = await t.call('POST', '/api/v1/schedules', {
        body: {
          ...weekly(),
          time_zone: 'Mars/Olympus',
          layers: [{ ...weekly().layers[0], start: '2026-03-02 09:00' }],
        },
      });
      expect(bad.status).toBe(400);
      expect(bad.json.code).toBe('HTTP_VALIDATION_FAILED');
      const paths = bad.json.errors.map((e: { path: string }) => e.path);
      expect(paths).toContain('body.time_zone');
      expect(paths).toContain('body.layers.0.start');

      const unknown = await t.call('POST', '/api/v1/schedules', {
        body: { ...weekly(), layers: [{ ...weekly().layers[0], participants: ['usr_nobody'] }] },
      });
      expect(unknown.status).toBe(400);
      expect(unknown.json.code).toBe('ONCALL_INVALID_PARTICIPANT');

      const viewer = await t.tokenFor('viewer', teamId);
      expect((await t.call('POST', '/api/v1/schedules', { token: viewer, body: weekly() })).status).toBe(403);
      expect((await t.call('PUT', `/api/v1/schedules/${id}`, { token: viewer, body: weekly() })).status).toBe(
        403,
      );
      expect((await t.call('GET', `/api/v1/schedules/${id}`, { token: viewer })).status).toBe(200);
      const manager = await t.tokenFor('manager', teamId);

      const { team_id: _team, ...update } = weekly();
      const updated = await t.call('PUT', `/api/v1/schedules/${id}`, {
        token: manager,
        body: { ...update, name: 'Renamed' },
      });
      expect(updated.status).toBe(200);
      expect(updated.json.name).toBe('Renamed');
      const list = await t.call('GET', `/api/v1/schedules?team_id=${teamId}`);
      expect(list.json.items.map((s: { id: string }) => s.id)).toContain(id);

      expect((await t.call('DELETE', `/api/v1/schedules/${id}`, { token: manager })).status).toBe(204);
      const gone = await t.call('GET', `/api/v1/schedules/${id}`);
      expect(gone.status).toBe(404);
      expect(gone.json.code).toBe('ONCALL_SCHEDULE_NOT_FOUND');
    });

    it('answers who is on call across the spring-forward week, with overrides and a swap', async () => {
      const id = (await t.call('POST', '/api/v1/schedules', { body: weekly() })).json.id as string;
      const before = await t.call('GET', `/api/v1/schedules/${id}/oncall?at=2026-03-09T12:59:00Z`);
      expect(before.json.on_call).toEqual([
        {
          user_id: people.ann.id,
          layer: 'primary',
          start: '2026-03-02T14:00:00.000Z',
          end: '2026-03-09T13:00:00.000Z',
        },
      ]);
      const after = await t.call('GET', `/api/v1/schedules/${id}/oncall?at=2026-03-09T13:00:00Z`);
      expect(after.json.on_call[0]).toMatchObject({
        user_id: people.bob.id,
        start: '2026-03-09T13:00:00.000Z',
      });
      // Without `at`: the clock's now (Thursday 5 March): ann.
      const now = await t.call('GET', `/api/v1/schedules/${id}/oncall`);
      expect(now.json).toMatchObject({
        at: '2026-03-05T12:00:00.000Z',
        on_call: [{ user_id: people.ann.id }],
      });

      const shifts = await t.call(
        'GET',
        `/api/v1/schedules/${id}/shifts?from=2026-03-02T14:00:00Z&to=2026-03-16T13:00:00Z`,
      );
      expect(shifts.status).toBe(200);
      const hours = shifts.json.shifts.map(
        (s: { start: string; end: string }) => (Date.parse(s.end) - Date.parse(s.start)) / H,
      );
      expect(hours).toEqual([167, 168]);
      expect(shifts.json.gaps).toEqual([]);

      // Carol covers Tuesday evening; ann and bob swap Wednesday 11th (two overrides, one request).
      const override = await t.call('POST', `/api/v1/schedules/${id}/overrides`, {
        body: { user_id: people.carol.id, start: '2026-03-03T22:00:00Z', end: '2026-03-04T02:00:00Z' },
      });
      expect(override.status).toBe(201);
      const swap = await t.call('POST', `/api/v1/schedules/${id}/overrides`, {
        body: {
          user_id: people.ann.id,
          start: '2026-03-11T13:00:00Z',
          end: '2026-03-12T13:00:00Z',
          swap: { user_id: people.bob.id, start: '2026-03-04T14:00:00Z', end: '2026-03-05T14:00:00Z' },
        },
      });
      expect(swap.status).toBe(201);
      expect(swap.json.overrides).toHaveLength(2);
      const badWindow = await t.call('POST', `/api/v1/schedules/${id}/overrides`, {
        body: { user_id: people.carol.id, start: '2026-03-04T02:00:00Z', end: '2026-03-03T22:00:00Z' },
      });
      expect(badWindow.status).toBe(400);

      const final = await t.call(
        'GET',
        `/api/v1/schedules/${id}/shifts?from=2026-03-03T00:00:00Z&to=2026-03-13T00:00:00Z`,
      );
      const name = (uid: string) => Object.entries(people).find(([, p]) => p.id === uid)![0];
      expect(
        final.json.shifts.map((s: { user_id: string; layer: string; start: string; end: string }) =>
          [name(s.user_id), s.layer, s.start.slice(5, 16), s.end.slice(5, 16)].join(' '),
        ),
      ).toEqual([
        'ann primary 03-03T00:00 03-03T22:00',
        'carol override 03-03T22:00 03-04T02:00',
        'ann primary 03-04T02:00 03-04T14:00',
        'bob override 03-04T14:00 03-05T14:00',
        'ann primary 03-05T14:00 03-09T13:00',
        'bob primary 03-09T13:00 03-11T13:00',
        'ann override 03-11T13:00 03-12T13:00',
        'bob primary 03-12T13:00 03-13T00:00',
      ]);
      const detail = await t.call('GET', `/api/v1/schedules/${id}`);
      expect(detail.json.overrides).toHaveLength(3);
    });

    it('serves a signed iCal feed; a bad, foreign or rotated token is refused', async () => {
      const schedule = (await t.call('POST', '/api/v1/schedules', { body: weekly() })).json;
      const url = new URL(schedule.ical_url);
      const feed = await t.call('GET', url.pathname + url.search, { token: null });
      expect(feed.status).toBe(200);
      expect(feed.headers['content-type']).toMatch(/^text\/calendar/);
      const body = feed.body;
      expect(body.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
      expect(body.trimEnd().endsWith('END:VCALENDAR')).toBe(true);
      // 30 days back to 180 ahead of 5 March: every rendered shift is one VEVENT, in UTC.
      const expected = await t.call(
        'GET',
        `/api/v1/schedules/${schedule.id}/shifts?from=2026-02-03T12:00:00Z&to=2026-09-01T12:00:00Z`,
      );
      const events = body.split('BEGIN:VEVENT').slice(1);
      expect(events).toHaveLength(expected.json.shifts.length);
      expect(events[0]).toContain('DTSTART:20260302T140000Z');
      expect(events[0]).toContain('DTEND:20260309T130000Z');
      expect(events[1]).toContain('DTSTART:20260309T130000Z');
      const uids = events.map((e: string) => /UID:(\S+)/.exec(e)![1]);
      expect(new Set(uids).size).toBe(uids.length);
      // Stable UIDs: fetching again gives the same ones.
      const again = await t.call('GET', url.pathname + url.search, { token: null });
      expect(again.body.match(/UID:\S+/g)).toEqual(body.match(/UID:\S+/g));

      expect((await t.call('GET', url.pathname, { token: null })).status).toBe(400);
      const forged = await t.call('GET', `${url.pathname}?token=abc.def`, { token: null });
      expect(forged.status).toBe(401);
      expect(forged.json.code).toBe('ONCALL_ICAL_TOKEN_INVALID');
      const other = (await t.call('POST', '/api/v1/schedules', { body: weekly() })).json;
      const foreign = await t.call('GET', `/ical/schedules/${other.id}.ics${url.search}`, { token: null });
      expect(foreign.status).toBe(401);

      const rotated = await t.call('POST', `/api/v1/schedules/${schedule.id}/ical-url/rotate`);
      expect(rotated.status).toBe(200);
      expect((await t.call('GET', url.pathname + url.search, { token: null })).status).toBe(401);
      const fresh = new URL(rotated.json.ical_url);
      expect((await t.call('GET', fresh.pathname + fresh.search, { token: null })).status).toBe(200);
    });

    it('escalates from an alert: level 1 by email now, level 2 after the delay, stops on acknowledge', async () => {
      clock.set('2026-03-09T15:00:00Z'); // Monday after the switch: bob is on call since 13:00Z.
      const scheduleId = (await t.call('POST', '/api/v1/schedules', { body: weekly() })).json.id;
      const policy = await t.call('POST', '/api/v1/escalation-policies', {
        body: {
          name: 'Payments',
          team_id: teamId,
          levels: [
            { delay_seconds: 300, targets: [{ type: 'schedule', id: scheduleId }] },
            { delay_seconds: 600, targets: [{ type: 'user', id: people.carol.id }] },
          ],
        },
      });
      expect(policy.status).toBe(201);
      expect(policy.json.repeat).toBe(0);
      const badPolicy = await t.call('POST', '/api/v1/escalation-policies', {
        body: {
          name: 'x',
          team_id: teamId,
          levels: [{ delay_seconds: 300, targets: [{ type: 'user', id: 'usr_x' }] }],
        },
      });
      expect(badPolicy.status).toBe(400);
      expect(badPolicy.json.errors[0].path).toBe('body.levels.0.targets.0.id');
      const unlinked = await t.call('GET', `/api/v1/services/${serviceId}/escalation-policy`);
      expect(unlinked.json).toMatchObject({ escalation_policy_id: null, policy: null });
      const link = await t.call('PATCH', `/api/v1/services/${serviceId}`, {
        body: { escalation_policy_id: policy.json.id },
      });
      expect(link.status).toBe(200);
      const linked = await t.call('GET', `/api/v1/services/${serviceId}/escalation-policy`);
      expect(linked.json.escalation_policy_id).toBe(policy.json.id);
      expect(linked.json.policy.levels[1].delay_seconds).toBe(600);
      expect(linked.json.policy.service_ids).toEqual([serviceId]);
      const key = (
        await t.call('POST', `/api/v1/services/${serviceId}/integrations`, {
          body: { kind: 'events-v2', name: 'monitoring' },
        })
      ).json.key as string;
      const trigger = (dedup: string) =>
        t.call('POST', '/v2/enqueue', {
          token: null,
          body: {
            routing_key: key,
            event_action: 'trigger',
            dedup_key: dedup,
            payload: { summary: `Checkout failing ${dedup}`, source: 'checkout-1', severity: 'critical' },
          },
        });
      const mailsTo = (who: 'ann' | 'bob' | 'carol', dedup: string) =>
        smtp.mails.filter((m) => m.to.includes(people[who].email) && m.raw.includes(dedup));
      const drain = async () => {
        await t.container.worker.drain();
        await t.container.worker.drain();
      };

      // Incident 1: nobody acknowledges.
      expect((await trigger('esc-one')).status).toBe(202);
      await drain();
      expect(mailsTo('bob', 'esc-one')).toHaveLength(1);
      expect(mailsTo('ann', 'esc-one')).toHaveLength(0);
      expect(mailsTo('carol', 'esc-one')).toHaveLength(0);
      const [incident] = (await t.call('GET', `/api/v1/incidents?service_id=${serviceId}`)).json.items;
      clock.advance(4 * 60_000);
      await drain();
      expect(mailsTo('carol', 'esc-one')).toHaveLength(0);
      clock.advance(60_000);
      await drain();
      expect(mailsTo('carol', 'esc-one')).toHaveLength(1);
      expect(mailsTo('bob', 'esc-one')).toHaveLength(1);
      const timeline = (await t.call('GET', `/api/v1/incidents/${incident.id}/timeline`)).json.items.map(
        (e: { text: string }) => e.text,
      );
      expect(timeline).toContain('Paged Bob by email (escalation level 1, via schedule Payments primary)');
      expect(timeline).toContain('Paged Carol by email (escalation level 2, via user)');
      expect(timeline).toContain('Escalation policy Payments has no further levels');

      // Incident 2: bob acknowledges within the delay, so carol is never paged.
      expect((await trigger('esc-two')).status).toBe(202);
      await drain();
      expect(mailsTo('bob', 'esc-two')).toHaveLength(1);
      const second = (await t.call('GET', `/api/v1/incidents?service_id=${serviceId}`)).json.items.find(
        (i: { id: string }) => i.id !== incident.id,
      );
      const ack = await t.call('POST', `/api/v1/incidents/${second.id}/acknowledge`, { body: {} });
      expect(ack.status).toBe(200);
      clock.advance(30 * 60_000);
      await drain();
      expect(mailsTo('carol', 'esc-two')).toHaveLength(0);
      const job = await t.container.db
        .selectFrom('jobs')
        .select(['status'])
        .where('dedupe_key', '=', `escalate:${second.id}:0:1`)
        .executeTakeFirstOrThrow();
      expect(job.status).toBe('done');

      // The load report counts the pages and the hours on call.
      const load = await t.call(
        'GET',
        `/api/v1/oncall/load?team_id=${teamId}&from=2026-03-09T00:00:00Z&to=2026-03-10T00:00:00Z`,
      );
      expect(load.status).toBe(200);
      const byUser = Object.fromEntries(load.json.people.map((p: { user_id: string }) => [p.user_id, p]));
      expect(byUser[people.bob.id]).toMatchObject({ pages: 2, hours_on_call: 11 });
      expect(byUser[people.carol.id]).toMatchObject({ pages: 1, hours_on_call: 0 });
    });
  });
}
