import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { fixedClock } from '../../platform/clock.ts';

const START = '2026-03-02T08:00:00.000Z';
const INTERVAL = 60;
const GRACE = 30;

for (const engine of ENGINES) {
  describe(`heartbeat monitors [${engine}]`, () => {
    const clock = fixedClock(START);
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp(engine, { clock });
    });
    afterAll(async () => {
      await t?.close();
    });

    const sweep = () => t.container.incidents.integrations.sweepHeartbeats();
    const incidentsOf = async (serviceId: string) =>
      (await t.call('GET', `/api/v1/incidents?service_id=${serviceId}`)).json.items as Array<{
        id: string;
        title: string;
        status: string;
        source: string;
        severity: string;
      }>;

    it('opens an incident when a heartbeat is overdue and resolves it on the next beat', async () => {
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Batch', time_zone: 'UTC' } });
      const service = await t.call('POST', '/api/v1/services', {
        body: { name: 'nightly-export', team_id: team.json.id },
      });
      const created = await t.call('POST', `/api/v1/services/${service.json.id}/integrations`, {
        body: {
          kind: 'heartbeat',
          name: 'export cron',
          heartbeat_interval_seconds: INTERVAL,
          heartbeat_grace_seconds: GRACE,
        },
      });
      expect(created.status).toBe(201);
      const integration = created.json;
      expect(integration.url).toMatch(new RegExp(`/api/v1/integrations/${integration.key}/heartbeat$`));
      expect(integration.heartbeat).toEqual({
        interval_seconds: INTERVAL,
        grace_seconds: GRACE,
        last_at: null,
        state: 'new',
      });
      const serviceId: string = service.json.id;

      // Monitoring starts with the first heartbeat: a monitor that never beat is not "missing".
      clock.advance(3600_000);
      expect(await sweep()).toBe(0);
      expect(await incidentsOf(serviceId)).toHaveLength(0);

      const beat = () => t.call('POST', `/api/v1/integrations/${integration.key}/heartbeat`, { token: null });
      const first = await beat();
      expect(first.status).toBe(202);
      expect(first.json).toEqual({ status: 'success', state: 'up' });
      const beatAt = clock.now().toISOString();
      const listed = await t.call('GET', `/api/v1/services/${serviceId}/integrations`);
      expect(listed.json.items[0].heartbeat).toMatchObject({ state: 'up', last_at: beatAt });

      // Exactly interval + grace later it is not overdue yet; one second more and it is.
      clock.advance((INTERVAL + GRACE) * 1000);
      expect(await sweep()).toBe(0);
      clock.advance(1000);
      expect(await sweep()).toBe(1);
      const opened = await incidentsOf(serviceId);
      expect(opened).toHaveLength(1);
      expect(opened[0]!.title).toMatch(/heartbeat missed/i);
      expect(opened[0]!.title).toContain('export cron');
      expect(opened[0]).toMatchObject({ status: 'triggered', source: 'heartbeat', severity: 'SEV1' });
      const downList = await t.call('GET', `/api/v1/services/${serviceId}/integrations`);
      expect(downList.json.items[0].heartbeat.state).toBe('down');

      // Still silent: sweeping again (and again later) opens nothing new.
      expect(await sweep()).toBe(0);
      clock.advance(10 * 60_000);
      expect(await sweep()).toBe(0);
      expect(await incidentsOf(serviceId)).toHaveLength(1);
      const alerts = (await t.call('GET', `/api/v1/incidents/${opened[0]!.id}/alerts`)).json.items;
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ status: 'triggered', event_count: 1 });
      expect(alerts[0].details).toMatchObject({ last_heartbeat_at: beatAt, interval_seconds: INTERVAL });

      // The next heartbeat resolves it.
      const back = await beat();
      expect(back.status).toBe(202);
      const resolved = (await t.call('GET', `/api/v1/incidents/${opened[0]!.id}`)).json;
      expect(resolved.status).toBe('resolved');
      expect(resolved.resolved_at).toBe(clock.now().toISOString());
      const timeline = (await t.call('GET', `/api/v1/incidents/${opened[0]!.id}/timeline`)).json.items;
      expect(timeline.map((e: { kind: string }) => e.kind)).toEqual([
        'incident.triggered',
        'alert.triggered',
        'alert.resolved',
        'status.resolved',
      ]);

      // Beating on time keeps it quiet; a second miss is a new incident.
      clock.advance(INTERVAL * 1000);
      expect((await beat()).status).toBe(202);
      clock.advance(INTERVAL * 1000);
      expect(await sweep()).toBe(0);
      clock.advance((GRACE + 1) * 1000);
      expect(await sweep()).toBe(1);
      const twice = await incidentsOf(serviceId);
      expect(twice).toHaveLength(2);
      expect(twice.filter((i) => i.status === 'triggered')).toHaveLength(1);
    });

    it('rejects heartbeats to an unknown key or to another kind of integration with 400', async () => {
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Edge', time_zone: 'UTC' } });
      const service = await t.call('POST', '/api/v1/services', {
        body: { name: 'cdn-purger', team_id: team.json.id },
      });
      const generic = await t.call('POST', `/api/v1/services/${service.json.id}/integrations`, {
        body: { kind: 'generic', name: 'scripts' },
      });
      const wrong = await t.call('POST', `/api/v1/integrations/${generic.json.key}/heartbeat`, {
        token: null,
      });
      expect(wrong.status).toBe(400);
      expect(wrong.headers['content-type']).toContain('application/problem+json');
      expect(wrong.json.code).toBe('INCIDENTS_WRONG_INTEGRATION_KIND');
      const unknown = await t.call('POST', `/api/v1/integrations/${'a'.repeat(32)}/heartbeat`, {
        token: null,
      });
      expect(unknown.status).toBe(400);
      expect(unknown.json.code).toBe('INCIDENTS_UNKNOWN_INTEGRATION_KEY');
      expect(generic.json.heartbeat).toBeNull();
      expect(await sweep()).toBe(0);
    });
  });
}
