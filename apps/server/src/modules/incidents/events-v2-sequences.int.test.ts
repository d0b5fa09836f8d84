import { expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';

/**
 * PagerDuty Events API v2 rules not covered by events-v2.int.test.ts: the optional fields of the
 * documented trigger example, severity mapping, acknowledge-then-retrigger, manual resolution, and
 * the remaining 400s. The trigger below carries every field PagerDuty's documentation shows.
 */

async function eventsV2(t: TestApp) {
  const suffix = Math.random().toString(36).slice(2, 8);
  const team = await t.call('POST', '/api/v1/teams', { body: { name: `pd-${suffix}`, time_zone: 'UTC' } });
  const service = await t.call('POST', '/api/v1/services', {
    body: { name: `datapipe-${suffix}`, team_id: team.json.id },
  });
  const integration = await t.call('POST', `/api/v1/services/${service.json.id}/integrations`, {
    body: { kind: 'events-v2', name: 'PagerDuty-style senders' },
  });
  expect(integration.status).toBe(201);
  const key: string = integration.json.key;
  const send = (body: Record<string, unknown>) =>
    t.call('POST', '/v2/enqueue', { token: null, body: { routing_key: key, ...body } });
  const incidents = async () =>
    (await t.call('GET', `/api/v1/incidents?service_id=${service.json.id}`)).json.items as Array<
      Record<string, unknown> & { id: string }
    >;
  const alertsOf = async (incidentId: string) =>
    (await t.call('GET', `/api/v1/incidents/${incidentId}/alerts`)).json.items as Array<
      Record<string, unknown> & { dedup_key: string }
    >;
  return {
    key,
    integrationId: integration.json.id as string,
    serviceId: service.json.id,
    send,
    incidents,
    alertsOf,
  };
}

const fullTrigger = {
  event_action: 'trigger',
  dedup_key: 'postgres-replica-lag',
  payload: {
    summary: 'Replication lag on pg-replica-3 is 120s',
    timestamp: '2025-07-17T08:42:58.315+0000',
    source: 'monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003',
    severity: 'warning',
    component: 'postgres',
    group: 'prod-datapipe',
    class: 'replication',
    custom_details: { 'lag seconds': 120, 'load avg': 0.75 },
  },
  images: [
    {
      src: 'https://charts.example.test/lag.png',
      href: 'https://charts.example.test/lag',
      alt: 'Replication lag, last hour',
    },
  ],
  links: [{ href: 'https://runbooks.example.test/replica-lag', text: 'Runbook' }],
  client: 'Sample Monitoring Service',
  client_url: 'https://monitoring.example.test',
};

describeEachEngine('PagerDuty Events API v2 sequences', (get) => {
  it('stores links, images, client, client_url and the payload fields of a full trigger', async () => {
    const t = get();
    const pd = await eventsV2(t);
    const res = await pd.send(fullTrigger);
    expect(res.status).toBe(202);
    expect(res.json).toEqual({
      status: 'success',
      message: 'Event processed',
      dedup_key: 'postgres-replica-lag',
    });
    const [incident] = await pd.incidents();
    expect(incident).toMatchObject({
      title: 'Replication lag on pg-replica-3 is 120s',
      severity: 'SEV3',
      // payload.timestamp (PagerDuty's "+0000" offset form) is when it started.
      triggered_at: '2025-07-17T08:42:58.315Z',
    });
    const [alert] = await pd.alertsOf(incident!.id);
    expect(alert).toMatchObject({
      dedup_key: 'postgres-replica-lag',
      severity: 'warning',
      summary: 'Replication lag on pg-replica-3 is 120s',
      source: fullTrigger.payload.source,
      links: fullTrigger.links,
      details: {
        component: 'postgres',
        group: 'prod-datapipe',
        class: 'replication',
        custom_details: { 'lag seconds': 120, 'load avg': 0.75 },
        client: 'Sample Monitoring Service',
        client_url: 'https://monitoring.example.test',
        images: fullTrigger.images,
      },
    });
  });

  it('maps critical, error, warning and info to SEV1..SEV4', async () => {
    const t = get();
    const pd = await eventsV2(t);
    const expected = { critical: 'SEV1', error: 'SEV2', warning: 'SEV3', info: 'SEV4' } as const;
    for (const severity of Object.keys(expected)) {
      const res = await pd.send({
        event_action: 'trigger',
        dedup_key: `sev-${severity}`,
        payload: { summary: `a ${severity} alert`, source: 'host-1', severity },
      });
      expect(res.status).toBe(202);
    }
    const byTitle = Object.fromEntries((await pd.incidents()).map((i) => [i.title, i.severity]));
    expect(byTitle).toEqual({
      'a critical alert': 'SEV1',
      'a error alert': 'SEV2',
      'a warning alert': 'SEV3',
      'a info alert': 'SEV4',
    });
  });

  it('acknowledge, then re-trigger of the same key appends; resolve of the acknowledged alert', async () => {
    const t = get();
    const pd = await eventsV2(t);
    expect((await pd.send(fullTrigger)).status).toBe(202);
    const [incident] = await pd.incidents();
    const ack = await pd.send({ event_action: 'acknowledge', dedup_key: 'postgres-replica-lag' });
    expect(ack.status).toBe(202);
    expect(ack.json).toEqual({
      status: 'success',
      message: 'Event processed',
      dedup_key: 'postgres-replica-lag',
    });
    // A second acknowledge changes nothing and is still accepted.
    expect((await pd.send({ event_action: 'acknowledge', dedup_key: 'postgres-replica-lag' })).status).toBe(
      202,
    );

    const retrigger = await pd.send(fullTrigger);
    expect(retrigger.status).toBe(202);
    expect(await pd.incidents()).toHaveLength(1);
    const [alert] = await pd.alertsOf(incident!.id);
    // Still the same alert, still acknowledged (a repeat is not a new problem), seen twice.
    expect(alert).toMatchObject({ status: 'acknowledged', event_count: 2 });
    expect(alert!.acknowledged_at).not.toBeNull();
    const acked = (await t.call('GET', `/api/v1/incidents/${incident!.id}`)).json;
    expect(acked).toMatchObject({
      status: 'acknowledged',
      alert_count: 1,
      acknowledged_by: pd.integrationId,
    });
    // One page only: the repeat paged nobody.
    const pageJobs = await t.container.db
      .selectFrom('jobs')
      .select('id')
      .where('kind', '=', 'incidents.page')
      .where('payload', 'like', `%${incident!.id}%`)
      .execute();
    expect(pageJobs).toHaveLength(1);

    const resolve = await pd.send({ event_action: 'resolve', dedup_key: 'postgres-replica-lag' });
    expect(resolve.status).toBe(202);
    const [resolvedAlert] = await pd.alertsOf(incident!.id);
    expect(resolvedAlert).toMatchObject({ status: 'resolved', event_count: 2 });
    expect(resolvedAlert!.resolved_at).not.toBeNull();
    const resolved = (await t.call('GET', `/api/v1/incidents/${incident!.id}`)).json;
    expect(resolved.status).toBe('resolved');
    expect(resolved.resolved_by).toBe(pd.integrationId);
    // Resolving again: no open alert with that key, accepted and dropped.
    const late = await pd.send({ event_action: 'resolve', dedup_key: 'postgres-replica-lag' });
    expect(late.status).toBe(202);
    expect((await t.call('GET', `/api/v1/incidents/${incident!.id}`)).json.status).toBe('resolved');

    const timeline = (await t.call('GET', `/api/v1/incidents/${incident!.id}/timeline`)).json.items;
    expect(timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'incident.triggered',
      'alert.triggered',
      'status.acknowledged',
      'alert.resolved',
      'status.resolved',
    ]);
    expect(
      timeline.every((e: { actor: { type: string; id: string } }) => e.actor.type === 'integration'),
    ).toBe(true);
    // Every accepted event was stored, including the dropped one.
    const events = await t.container.db
      .selectFrom('alert_events')
      .select(['action', 'alert_id'])
      .where('dedup_key', '=', 'postgres-replica-lag')
      .where('integration_id', '=', pd.integrationId)
      .orderBy('received_at')
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.action).sort()).toEqual(
      ['acknowledge', 'acknowledge', 'resolve', 'resolve', 'trigger', 'trigger'].sort(),
    );
    expect(events.filter((e) => e.alert_id === null)).toHaveLength(1);
  });

  it('10,000 triggers with one dedup key make one alert, one incident and one page', async () => {
    const t = get();
    const pd = await eventsV2(t);
    const STORM = 10_000;
    const WAVE = 250;
    const body = {
      event_action: 'trigger',
      dedup_key: 'storm-10k',
      payload: { summary: 'Queue depth above 50k', source: 'rabbitmq-1', severity: 'error' },
    };
    let accepted = 0;
    for (let sent = 0; sent < STORM; sent += WAVE) {
      const wave = await Promise.all(
        Array.from({ length: Math.min(WAVE, STORM - sent) }, () => pd.send(body)),
      );
      accepted += wave.filter((r) => r.status === 202 && r.json.dedup_key === 'storm-10k').length;
    }
    expect(accepted).toBe(STORM);
    const incidents = await pd.incidents();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ alert_count: 1, status: 'triggered', severity: 'SEV2' });
    const alerts = await pd.alertsOf(incidents[0]!.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ dedup_key: 'storm-10k', event_count: STORM });
    const pages = await t.container.db
      .selectFrom('jobs')
      .select('id')
      .where('kind', '=', 'incidents.page')
      .where('payload', 'like', `%${incidents[0]!.id}%`)
      .execute();
    expect(pages).toHaveLength(1);
    // Every accepted event is stored, each one.
    const stored = await t.container.db
      .selectFrom('alert_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('integration_id', '=', pd.integrationId)
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(STORM);
    // The timeline is not flooded by the repeats.
    const timeline = (await t.call('GET', `/api/v1/incidents/${incidents[0]!.id}/timeline`)).json.items;
    expect(timeline.map((e: { kind: string }) => e.kind)).toEqual(['incident.triggered', 'alert.triggered']);
  });

  it('repeats, a resolve and a re-trigger of one key inside one group-commit batch count exactly', async () => {
    const t = get();
    const pd = await eventsV2(t);
    const { ingest } = t.container.incidents;
    const target = await ingest.resolveTarget(pd.key, 'events-v2');
    const event = (action: 'trigger' | 'acknowledge' | 'resolve', dedupKey: string) => ({
      action,
      dedupKey,
      summary: `Disk full on db-${dedupKey}`,
      severity: 'critical' as const,
      details: {},
      links: [],
    });
    // Submitted in one go, before the group commit drains: one transaction, in this order.
    const sequence = [
      ...Array.from({ length: 5 }, () => event('trigger', 'disk')),
      event('trigger', 'other'),
      event('resolve', 'disk'),
      ...Array.from({ length: 3 }, () => event('trigger', 'disk')),
      event('trigger', 'other'),
      event('acknowledge', 'disk'),
      event('trigger', 'disk'),
    ];
    const results = await Promise.all(sequence.map((e) => ingest.ingest(target, [e], { seq: e.action })));
    expect(results.map(([r]) => r!.outcome)).toEqual([
      'created',
      ...Array(4).fill('appended'),
      'created',
      'resolved',
      'created',
      'appended',
      'appended',
      'appended',
      'acknowledged',
      'appended',
    ]);
    // Repeats counted in memory (SQLite) are written first: this reads the table itself.
    await ingest.flush();
    const alerts = await t.container.db
      .selectFrom('alerts')
      .select(['id', 'dedup_key', 'status', 'event_count'])
      .where('integration_id', '=', pd.integrationId)
      .orderBy('first_seen_at')
      .orderBy('id')
      .execute();
    expect(alerts.map((a) => [a.dedup_key, a.status, Number(a.event_count)])).toEqual([
      ['disk', 'resolved', 5],
      ['other', 'triggered', 2],
      ['disk', 'acknowledged', 4],
    ]);
    // Each event is stored once, against the alert it was counted on.
    const stored = await t.container.db
      .selectFrom('alert_events')
      .select(['alert_id', 'action'])
      .where('integration_id', '=', pd.integrationId)
      .execute();
    expect(stored).toHaveLength(sequence.length);
    const perAlert = (id: string, action: string) =>
      stored.filter((s) => s.alert_id === id && s.action === action).length;
    expect([perAlert(alerts[0]!.id, 'trigger'), perAlert(alerts[0]!.id, 'resolve')]).toEqual([5, 1]);
    expect(perAlert(alerts[1]!.id, 'trigger')).toBe(2);
    expect([perAlert(alerts[2]!.id, 'trigger'), perAlert(alerts[2]!.id, 'acknowledge')]).toEqual([4, 1]);
    const incidents = await pd.incidents();
    expect(incidents.map((i) => [i.status, i.alert_count]).sort()).toEqual([
      ['acknowledged', 1],
      ['resolved', 1],
      ['triggered', 1],
    ]);
  });

  it('acknowledge for a key with no open alert is accepted and dropped', async () => {
    const t = get();
    const pd = await eventsV2(t);
    const res = await pd.send({ event_action: 'acknowledge', dedup_key: 'never-triggered' });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ status: 'success', message: 'Event processed', dedup_key: 'never-triggered' });
    expect(await pd.incidents()).toHaveLength(0);
  });

  it('after a person resolves the incident, the same key opens a new alert and incident', async () => {
    const t = get();
    const pd = await eventsV2(t);
    expect((await pd.send({ ...fullTrigger, dedup_key: 'flappy' })).status).toBe(202);
    const [first] = await pd.incidents();
    const manual = await t.call('POST', `/api/v1/incidents/${first!.id}/resolve`);
    expect(manual.status).toBe(200);
    const [closed] = await pd.alertsOf(first!.id);
    expect(closed!.status).toBe('resolved');
    // A resolve from the tool now finds nothing open: accepted, dropped, nothing changes.
    expect((await pd.send({ event_action: 'resolve', dedup_key: 'flappy' })).status).toBe(202);

    expect((await pd.send({ ...fullTrigger, dedup_key: 'flappy' })).status).toBe(202);
    const all = await pd.incidents();
    expect(all).toHaveLength(2);
    const second = all.find((i) => i.id !== first!.id)!;
    expect(second.status).toBe('triggered');
    const [fresh] = await pd.alertsOf(second.id);
    expect(fresh).toMatchObject({ dedup_key: 'flappy', status: 'triggered', event_count: 1 });
  });

  it('rejects the remaining invalid events with PagerDuty-shaped 400s', async () => {
    const t = get();
    const pd = await eventsV2(t);
    const ok = { summary: 's', source: 'src', severity: 'info' };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ event_action: 'trigger', payload: 'text' }, "'payload'"],
      [{ event_action: 'trigger', payload: { ...ok, component: 5 } }, "'payload.component'"],
      [{ event_action: 'trigger', payload: { ...ok, group: ['g'] } }, "'payload.group'"],
      [{ event_action: 'trigger', payload: { ...ok, class: {} } }, "'payload.class'"],
      [{ event_action: 'trigger', payload: ok, dedup_key: 12 }, "'dedup_key' must be a string"],
      [{ event_action: 'trigger', payload: ok, client: 1 }, "'client'"],
      [{ event_action: 'trigger', payload: ok, client_url: true }, "'client_url'"],
      [{ event_action: 'trigger', payload: ok, links: {} }, "'links'"],
      [{ event_action: 'trigger', payload: ok, links: [{ text: 'no href' }] }, "'links[0].href'"],
      [{ event_action: 'trigger', payload: ok, images: 'x.png' }, "'images'"],
      [{ event_action: 'trigger', payload: ok, images: [{ alt: 'no src' }] }, "'images[0].src'"],
      [{ payload: ok }, "'event_action'"],
      [{ event_action: 'resolve', dedup_key: '   ' }, "'dedup_key' is required"],
      [{ event_action: 'trigger', routing_key: '', payload: ok }, "'routing_key'"],
    ];
    for (const [body, field] of cases) {
      const res = await pd.send(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json).toMatchObject({ status: 'invalid event', message: 'Event object is invalid' });
      expect(res.json.errors.join(' ')).toContain(field);
    }
    const notObject = await t.call('POST', '/v2/enqueue', { token: null, body: [pd.key] });
    expect(notObject.status).toBe(400);
    expect(notObject.json.status).toBe('invalid event');

    // The key of another kind of integration is not a routing key.
    const am = await t.call('POST', `/api/v1/services/${pd.serviceId}/integrations`, {
      body: { kind: 'alertmanager', name: 'am' },
    });
    const wrongKind = await t.call('POST', '/v2/enqueue', {
      token: null,
      body: { routing_key: am.json.key, event_action: 'trigger', payload: ok },
    });
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.json).toMatchObject({ status: 'invalid event', message: 'Event object is invalid' });
    expect(wrongKind.json.errors.join(' ')).toContain('alertmanager');
    expect(await pd.incidents()).toHaveLength(0);

    // A deleted integration's key stops working at once.
    const del = await t.call('DELETE', `/api/v1/services/${pd.serviceId}/integrations/${pd.integrationId}`);
    expect(del.status).toBe(204);
    const gone = await pd.send({ event_action: 'trigger', payload: ok });
    expect(gone.status).toBe(400);
    expect(gone.json.errors[0]).toContain('routing_key');
  });
});
