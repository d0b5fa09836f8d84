import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { fixedClock } from '../../platform/clock.ts';

const T0 = '2030-05-06T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

interface TimelineEntry {
  at: string;
  kind: string;
  actor: { type: string; id: string | null; name: string };
  text: string;
  data: unknown;
}

for (const engine of ENGINES) {
  describe(`maintenance window ends, integration deletion keeps history [${engine}]`, () => {
    const clock = fixedClock(T0);
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp(engine, { clock });
    });
    afterAll(async () => {
      await t?.close();
    });

    async function service(name: string) {
      const team = await t.call('POST', '/api/v1/teams', {
        body: { name: `${name} team`, time_zone: 'UTC' },
      });
      const svc = await t.call('POST', '/api/v1/services', { body: { name, team_id: team.json.id } });
      expect(svc.status).toBe(201);
      return svc.json.id as string;
    }
    async function integration(serviceId: string, kind: string) {
      const res = await t.call('POST', `/api/v1/services/${serviceId}/integrations`, {
        body: { kind, name: `${kind} feed` },
      });
      expect(res.status).toBe(201);
      return res.json as { id: string; key: string };
    }
    const generic = (key: string, body: Record<string, unknown>) =>
      t.call('POST', `/api/v1/integrations/${key}/generic`, { token: null, body });
    const incidentsOf = async (serviceId: string) =>
      (await t.call('GET', `/api/v1/incidents?service_id=${serviceId}`)).json.items as Array<{
        id: string;
        title: string;
        status: string;
        suppressed: boolean;
      }>;
    const byTitle = async (serviceId: string, title: string) => {
      const found = (await incidentsOf(serviceId)).find((i) => i.title === title);
      if (!found) throw new Error(`no incident "${title}"`);
      return found;
    };
    const timeline = async (id: string) =>
      (await t.call('GET', `/api/v1/incidents/${id}/timeline`)).json.items as TimelineEntry[];
    const pageJobs = async (incidentId: string) =>
      t.container.db
        .selectFrom('jobs')
        .select(['status'])
        .where('kind', '=', 'incidents.page')
        .where('dedupe_key', '=', `page:${incidentId}`)
        .execute();
    const window = async (serviceId: string, from: number, to: number) => {
      const res = await t.call('POST', `/api/v1/services/${serviceId}/maintenance-windows`, {
        body: { starts_at: at(from), ends_at: at(to), reason: 'DB upgrade' },
      });
      expect(res.status).toBe(201);
      return res.json.id as string;
    };

    it('pages an incident opened in a maintenance window when the window ends with its alert still firing', async () => {
      clock.set(T0);
      const serviceId = await service('billing-db');
      const { key } = await integration(serviceId, 'generic');
      await window(serviceId, -1, 60);

      // Inside the window: three alerts, three suppressed incidents, no page.
      expect((await generic(key, { summary: 'Replica lag', dedup_key: 'lag' })).status).toBe(202);
      expect((await generic(key, { summary: 'Disk 91%', dedup_key: 'disk' })).status).toBe(202);
      expect((await generic(key, { summary: 'CPU 97%', dedup_key: 'cpu' })).status).toBe(202);
      clock.set(at(10));
      // One clears during the window; one is acknowledged by a responder.
      expect((await generic(key, { action: 'resolve', dedup_key: 'disk' })).status).toBe(202);
      const cpu = await byTitle(serviceId, 'CPU 97%');
      expect((await t.call('POST', `/api/v1/incidents/${cpu.id}/acknowledge`)).status).toBe(200);
      const lag = await byTitle(serviceId, 'Replica lag');
      const disk = await byTitle(serviceId, 'Disk 91%');
      expect([lag.suppressed, disk.suppressed, cpu.suppressed]).toEqual([true, true, true]);
      expect(await pageJobs(lag.id)).toEqual([]);

      // Half-way through nothing changes.
      clock.set(at(30));
      await t.container.worker.drain();
      expect((await byTitle(serviceId, 'Replica lag')).suppressed).toBe(true);

      // The window ends at minute 60: its job runs then.
      clock.set(at(60));
      await t.container.worker.drain();

      const lagAfter = await byTitle(serviceId, 'Replica lag');
      expect(lagAfter).toMatchObject({ status: 'triggered', suppressed: false });
      const lagTimeline = await timeline(lag.id);
      expect(lagTimeline.map((e) => e.kind)).toEqual([
        'incident.triggered',
        'incident.suppressed',
        'alert.triggered',
        'incident.unsuppressed',
        'notification',
      ]);
      expect(lagTimeline[3]).toEqual({
        id: expect.any(String),
        at: at(60),
        kind: 'incident.unsuppressed',
        actor: { type: 'system', id: null, name: 'engops' },
        text: 'The maintenance window ended with 1 alert still firing: paging the on-call',
        data: { firing_alerts: 1, paged: true },
      });
      // The page job ran (this team has no channel that reaches anyone, which it records).
      expect(lagTimeline[4]).toMatchObject({ at: at(60), kind: 'notification' });
      expect(await pageJobs(lag.id)).toEqual([{ status: 'done' }]);
      const lagAlerts = (await t.call('GET', `/api/v1/incidents/${lag.id}/alerts`)).json.items;
      expect(lagAlerts).toEqual([
        expect.objectContaining({ dedup_key: 'lag', status: 'triggered', suppressed: false }),
      ]);

      // Cleared during the window: stays as it was, nobody paged.
      expect(await byTitle(serviceId, 'Disk 91%')).toMatchObject({ status: 'resolved', suppressed: true });
      expect((await timeline(disk.id)).map((e) => e.kind)).not.toContain('incident.unsuppressed');
      expect(await pageJobs(disk.id)).toEqual([]);

      // Already acknowledged: no longer suppressed, but nobody is woken for it.
      expect(await byTitle(serviceId, 'CPU 97%')).toMatchObject({
        status: 'acknowledged',
        suppressed: false,
      });
      const cpuEntry = (await timeline(cpu.id)).find((e) => e.kind === 'incident.unsuppressed');
      expect(cpuEntry).toMatchObject({
        at: at(60),
        text: 'The maintenance window ended with 1 alert still firing',
        data: { firing_alerts: 1, paged: false },
      });
      expect(await pageJobs(cpu.id)).toEqual([]);

      // A second run (the recurring sweep) finds nothing left to do.
      expect(await t.container.incidents.integrations.releaseSuppressed()).toBe(0);
    });

    it('stays quiet while another window still covers the service; deleting a running window ends it at once', async () => {
      clock.set(T0);
      const serviceId = await service('search-cluster');
      const { key } = await integration(serviceId, 'generic');
      await window(serviceId, 0, 60);
      const second = await window(serviceId, 30, 120);
      expect((await generic(key, { summary: 'Shard unassigned', dedup_key: 'shard' })).status).toBe(202);
      const incident = await byTitle(serviceId, 'Shard unassigned');
      expect(incident.suppressed).toBe(true);

      clock.set(at(60));
      await t.container.worker.drain();
      expect((await byTitle(serviceId, 'Shard unassigned')).suppressed).toBe(true);
      expect((await timeline(incident.id)).map((e) => e.kind)).not.toContain('incident.unsuppressed');

      clock.set(at(75));
      const deleted = await t.call('DELETE', `/api/v1/services/${serviceId}/maintenance-windows/${second}`);
      expect(deleted.status).toBe(204);
      expect((await byTitle(serviceId, 'Shard unassigned')).suppressed).toBe(false);
      const entry = (await timeline(incident.id)).find((e) => e.kind === 'incident.unsuppressed');
      expect(entry).toMatchObject({ at: at(75), data: { firing_alerts: 1, paged: true } });
      expect(await pageJobs(incident.id)).toEqual([{ status: 'pending' }]);
      await t.container.worker.drain();
      expect(await pageJobs(incident.id)).toEqual([{ status: 'done' }]);
    });

    it('deleting an integration keeps its alerts, events and incidents, and its key is refused with a clear error', async () => {
      clock.set(T0);
      const serviceId = await service('payments-gateway');
      const pd = await integration(serviceId, 'events-v2');
      const hook = await integration(serviceId, 'generic');
      const enqueue = (body: Record<string, unknown>) =>
        t.call('POST', '/v2/enqueue', { token: null, body: { routing_key: pd.key, ...body } });
      const trigger = {
        event_action: 'trigger',
        dedup_key: 'gateway-5xx',
        payload: { summary: 'Gateway 5xx at 8%', source: 'gw-1', severity: 'error' },
      };
      expect((await enqueue(trigger)).status).toBe(202);
      clock.set(at(1));
      expect((await enqueue(trigger)).status).toBe(202);
      expect((await generic(hook.key, { summary: 'Webhook backlog', dedup_key: 'backlog' })).status).toBe(
        202,
      );
      const incident = await byTitle(serviceId, 'Gateway 5xx at 8%');
      const timelineBefore = await timeline(incident.id);

      clock.set(at(5));
      const del = await t.call('DELETE', `/api/v1/services/${serviceId}/integrations/${pd.id}`);
      expect(del.status).toBe(204);

      // Gone from the service, its history intact.
      const listed = (await t.call('GET', `/api/v1/services/${serviceId}/integrations`)).json.items;
      expect(listed.map((i: { id: string }) => i.id)).toEqual([hook.id]);
      expect(await t.call('GET', `/api/v1/incidents/${incident.id}`)).toMatchObject({
        status: 200,
        json: { status: 'triggered', alert_count: 1 },
      });
      expect((await t.call('GET', `/api/v1/incidents/${incident.id}/alerts`)).json.items).toEqual([
        expect.objectContaining({
          integration_id: pd.id,
          dedup_key: 'gateway-5xx',
          event_count: 2,
          first_seen_at: T0,
          last_seen_at: at(1),
        }),
      ]);
      expect(await timeline(incident.id)).toEqual(timelineBefore);
      const events = () =>
        t.container.db
          .selectFrom('alert_events')
          .select(['action', 'received_at'])
          .where('integration_id', '=', pd.id)
          .orderBy('received_at')
          .execute();
      expect(await events()).toEqual([
        { action: 'trigger', received_at: T0 },
        { action: 'trigger', received_at: at(1) },
      ]);
      const row = await t.container.db
        .selectFrom('integrations')
        .select(['disabled_at'])
        .where('id', '=', pd.id)
        .executeTakeFirstOrThrow();
      expect(row.disabled_at).toBe(at(5));
      const audit = await t.container.db
        .selectFrom('audit_log')
        .select(['action', 'after_json'])
        .where('target_id', '=', pd.id)
        .execute();
      expect(audit).toEqual([
        { action: 'integration.create', after_json: expect.any(String) },
        { action: 'integration.delete', after_json: JSON.stringify({ disabled_at: at(5) }) },
      ]);

      // Its key is refused, in PagerDuty's shape, and nothing is stored.
      const refused = await enqueue(trigger);
      expect(refused.status).toBe(400);
      expect(refused.json).toEqual({
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: [
          "'routing_key' belongs to an engops integration that was deleted; it accepts no more events (create a new integration and use its key)",
        ],
      });
      expect(await events()).toHaveLength(2);

      // A webhook key: problem+json 410 with its own code.
      expect((await t.call('DELETE', `/api/v1/services/${serviceId}/integrations/${hook.id}`)).status).toBe(
        204,
      );
      const gone = await generic(hook.key, { summary: 'Webhook backlog', dedup_key: 'backlog' });
      expect(gone.status).toBe(410);
      expect(gone.headers['content-type']).toContain('application/problem+json');
      expect(gone.json).toMatchObject({
        status: 410,
        code: 'INCIDENTS_INTEGRATION_DISABLED',
        detail: `The integration "generic feed" this key belonged to was deleted at ${at(5)}; it accepts no more events (its alerts and incidents are kept).`,
      });
      // Deleting it again: it is not there to delete.
      const again = await t.call('DELETE', `/api/v1/services/${serviceId}/integrations/${pd.id}`);
      expect(again.status).toBe(404);
      expect(again.json.code).toBe('INCIDENTS_INTEGRATION_NOT_FOUND');

      // The incident can still be worked to the end.
      const resolved = await t.call('POST', `/api/v1/incidents/${incident.id}/resolve`);
      expect(resolved.json.status).toBe('resolved');
      expect((await t.call('GET', `/api/v1/incidents/${incident.id}/alerts`)).json.items[0].status).toBe(
        'resolved',
      );
    });
  });
}
