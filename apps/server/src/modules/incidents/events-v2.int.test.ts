import { expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';

async function serviceWithIntegration(
  t: TestApp,
  kind: string,
  name = `svc-${Math.random().toString(36).slice(2, 8)}`,
) {
  const team = await t.call('POST', '/api/v1/teams', { body: { name: `team-${name}`, time_zone: 'UTC' } });
  const service = await t.call('POST', '/api/v1/services', { body: { name, team_id: team.json.id } });
  const integration = await t.call('POST', `/api/v1/services/${service.json.id}/integrations`, {
    body: { kind, name: `${kind} feed` },
  });
  expect(integration.status).toBe(201);
  return { team: team.json, service: service.json, integration: integration.json };
}

const trigger = (key: string, extra: Record<string, unknown> = {}) => ({
  routing_key: key,
  event_action: 'trigger',
  payload: { summary: 'DB CPU at 99%', source: 'db-1', severity: 'critical', custom_details: { cpu: 99 } },
  ...extra,
});

describeEachEngine('PagerDuty Events API v2', (get) => {
  it('trigger, repeat, acknowledge, resolve, then the same key opens a new alert', async () => {
    const t = get();
    const { integration, service } = await serviceWithIntegration(t, 'events-v2');
    expect(integration.url).toMatch(/\/v2\/enqueue$/);

    const first = await t.call('POST', '/v2/enqueue', {
      token: null,
      body: trigger(integration.key, { dedup_key: 'disk-full' }),
    });
    expect(first.status).toBe(202);
    expect(first.json).toEqual({ status: 'success', message: 'Event processed', dedup_key: 'disk-full' });

    for (let i = 0; i < 3; i++) {
      expect(
        (
          await t.call('POST', '/v2/enqueue', {
            token: null,
            body: trigger(integration.key, { dedup_key: 'disk-full' }),
          })
        ).status,
      ).toBe(202);
    }
    // Every event is kept as received, except the routing key: the integration's secret.
    const stored = await t.container.db.selectFrom('alert_events').select('payload_json').execute();
    expect(stored.length).toBeGreaterThanOrEqual(4);
    for (const row of stored) {
      expect(row.payload_json).not.toContain(integration.key);
      expect(JSON.parse(row.payload_json).payload.summary).toBe('DB CPU at 99%');
    }
    const list = await t.call('GET', `/api/v1/incidents?service_id=${service.id}`);
    expect(list.json.items).toHaveLength(1);
    const incident = list.json.items[0];
    expect(incident).toMatchObject({
      title: 'DB CPU at 99%',
      severity: 'SEV1',
      status: 'triggered',
      alert_count: 1,
      source: 'events-v2',
    });
    const alerts = await t.call('GET', `/api/v1/incidents/${incident.id}/alerts`);
    expect(alerts.json.items[0]).toMatchObject({
      dedup_key: 'disk-full',
      event_count: 4,
      status: 'triggered',
    });

    const ack = await t.call('POST', '/v2/enqueue', {
      token: null,
      body: { routing_key: integration.key, event_action: 'acknowledge', dedup_key: 'disk-full' },
    });
    expect(ack.status).toBe(202);
    expect((await t.call('GET', `/api/v1/incidents/${incident.id}`)).json.status).toBe('acknowledged');

    const resolve = await t.call('POST', '/v2/enqueue', {
      token: null,
      body: { routing_key: integration.key, event_action: 'resolve', dedup_key: 'disk-full' },
    });
    expect(resolve.status).toBe(202);
    const resolved = (await t.call('GET', `/api/v1/incidents/${incident.id}`)).json;
    expect(resolved.status).toBe('resolved');
    expect(resolved.mitigated_at).toBeNull();

    const again = await t.call('POST', '/v2/enqueue', {
      token: null,
      body: trigger(integration.key, { dedup_key: 'disk-full' }),
    });
    expect(again.status).toBe(202);
    const after = await t.call('GET', `/api/v1/incidents?service_id=${service.id}`);
    expect(after.json.items).toHaveLength(2);

    const timeline = await t.call('GET', `/api/v1/incidents/${incident.id}/timeline`);
    expect(timeline.json.items.map((e: { kind: string }) => e.kind)).toEqual([
      'incident.triggered',
      'alert.triggered',
      'status.acknowledged',
      'alert.resolved',
      'status.resolved',
    ]);
  });

  it('stores each event as its sender wrote it, less the routing key, and alert webhooks whole', async () => {
    const t = get();
    const { integration } = await serviceWithIntegration(t, 'events-v2');
    // Written as a Python sender's json.dumps writes it: spaces, a float with a trailing zero.
    const sent = `{"event_action": "trigger", "routing_key": "${integration.key}", "dedup_key": "as-sent", "payload": {"summary": "Queue depth 1.50k", "source": "mq-1", "severity": "warning", "custom_details": {"depth": 1.50}}}`;
    const res = await t.call('POST', '/v2/enqueue', {
      token: null,
      payload: sent,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status, res.body).toBe(202);
    const generic = await serviceWithIntegration(t, 'generic');
    const webhook = '{ "summary" : "Backup failed",\n  "severity": "error", "details": {"took_s": 3.0} }';
    const hook = await t.call('POST', `/api/v1/integrations/${generic.integration.key}/generic`, {
      token: null,
      payload: webhook,
      headers: { 'content-type': 'application/json' },
    });
    expect(hook.status, hook.body).toBe(202);
    const rows = await t.container.db
      .selectFrom('alert_events')
      .select(['integration_id', 'payload_json'])
      .where('integration_id', 'in', [integration.id, generic.integration.id])
      .execute();
    expect(new Map(rows.map((r) => [r.integration_id, r.payload_json]))).toEqual(
      new Map([
        [
          integration.id,
          '{"event_action": "trigger", "dedup_key": "as-sent", "payload": {"summary": "Queue depth 1.50k", "source": "mq-1", "severity": "warning", "custom_details": {"depth": 1.50}}}',
        ],
        [generic.integration.id, webhook],
      ]),
    );
  });

  it('a trigger without dedup_key always opens a new alert with a generated key', async () => {
    const t = get();
    const { integration, service } = await serviceWithIntegration(t, 'events-v2');
    const a = await t.call('POST', '/v2/enqueue', { token: null, body: trigger(integration.key) });
    const b = await t.call('POST', '/v2/enqueue', { token: null, body: trigger(integration.key) });
    expect(a.json.dedup_key).toMatch(/^[0-9a-f]{32}$/);
    expect(a.json.dedup_key).not.toBe(b.json.dedup_key);
    expect((await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items).toHaveLength(2);
  });

  it('accepts and drops acknowledge/resolve for unknown keys; rejects invalid events', async () => {
    const t = get();
    const { integration, service } = await serviceWithIntegration(t, 'events-v2');
    const drop = await t.call('POST', '/v2/enqueue', {
      token: null,
      body: { routing_key: integration.key, event_action: 'resolve', dedup_key: 'nope' },
    });
    expect(drop.status).toBe(202);
    expect(drop.json.dedup_key).toBe('nope');

    const cases: Array<[unknown, string]> = [
      [{ routing_key: integration.key, event_action: 'explode', dedup_key: 'x' }, 'event_action'],
      [{ routing_key: integration.key, event_action: 'trigger' }, 'payload'],
      [
        {
          routing_key: integration.key,
          event_action: 'trigger',
          payload: { source: 's', severity: 'critical' },
        },
        'payload.summary',
      ],
      [
        {
          routing_key: integration.key,
          event_action: 'trigger',
          payload: { summary: 's', severity: 'critical' },
        },
        'payload.source',
      ],
      [
        {
          routing_key: integration.key,
          event_action: 'trigger',
          payload: { summary: 's', source: 's', severity: 'bad' },
        },
        'payload.severity',
      ],
      [
        {
          routing_key: integration.key,
          event_action: 'trigger',
          payload: { summary: 'x'.repeat(1025), source: 's', severity: 'info' },
        },
        'payload.summary',
      ],
      [{ ...trigger(integration.key), dedup_key: 'k'.repeat(256) }, 'dedup_key'],
      [{ routing_key: integration.key, event_action: 'acknowledge' }, 'dedup_key'],
      [{ event_action: 'trigger', payload: { summary: 's', source: 's', severity: 'info' } }, 'routing_key'],
      [
        {
          ...trigger(integration.key),
          payload: { summary: 's', source: 's', severity: 'info', timestamp: 'yesterday' },
        },
        'payload.timestamp',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await t.call('POST', '/v2/enqueue', { token: null, body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json.status).toBe('invalid event');
      expect(res.json.message).toBe('Event object is invalid');
      expect(res.json.errors.join(' ')).toContain(field);
    }
    const unknown = await t.call('POST', '/v2/enqueue', { token: null, body: trigger('0'.repeat(32)) });
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors[0]).toContain('routing_key');
    const malformed = await t.call('POST', '/v2/enqueue', {
      token: null,
      payload: '{"routing_key":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json.status).toBe('invalid event');
    const big = await t.call('POST', '/v2/enqueue', {
      token: null,
      body: trigger(integration.key, {
        payload: {
          summary: 's',
          source: 's',
          severity: 'info',
          custom_details: { blob: 'x'.repeat(520 * 1024) },
        },
      }),
    });
    expect(big.status).toBe(413);
    expect((await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items).toHaveLength(0);
  });

  it('an alert storm on one key makes one alert, one incident and one page', async () => {
    const t = get();
    const { integration, service } = await serviceWithIntegration(t, 'events-v2');
    const storm = Array.from({ length: 300 }, () =>
      t.call('POST', '/v2/enqueue', { token: null, body: trigger(integration.key, { dedup_key: 'storm' }) }),
    );
    const results = await Promise.all(storm);
    expect(results.every((r) => r.status === 202)).toBe(true);
    const incidents = (await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items;
    expect(incidents).toHaveLength(1);
    const alerts = (await t.call('GET', `/api/v1/incidents/${incidents[0].id}/alerts`)).json.items;
    expect(alerts).toHaveLength(1);
    expect(alerts[0].event_count).toBe(300);
    const pageJobs = await t.container.db
      .selectFrom('jobs')
      .select('id')
      .where('kind', '=', 'incidents.page')
      .where('payload', 'like', `%${incidents[0].id}%`)
      .execute();
    expect(pageJobs).toHaveLength(1);
  });
});
