import { expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';

/**
 * Real payloads from the monitoring tools teams already run, sent to the webhook endpoints exactly
 * as those tools send them. The fixtures follow the documented shapes field by field:
 *   - Prometheus Alertmanager `<webhook_config>` (version "4"): version, groupKey, truncatedAlerts,
 *     status, receiver, groupLabels, commonLabels, commonAnnotations, externalURL, alerts[] with
 *     status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint.
 *   - Grafana alerting's webhook contact point: the same shape plus orgId, title, state, message,
 *     and per alert silenceURL, dashboardURL, panelURL and values.
 */

interface Fixture {
  team: { id: string };
  service: { id: string };
  integration: { id: string; key: string; url: string; kind: string };
}

async function serviceWithIntegration(t: TestApp, kind: string): Promise<Fixture> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const team = await t.call('POST', '/api/v1/teams', { body: { name: `obs-${suffix}`, time_zone: 'UTC' } });
  const service = await t.call('POST', '/api/v1/services', {
    body: { name: `probe-${suffix}`, team_id: team.json.id },
  });
  const integration = await t.call('POST', `/api/v1/services/${service.json.id}/integrations`, {
    body: { kind, name: `${kind} production` },
  });
  expect(integration.status).toBe(201);
  expect(integration.json).toMatchObject({ kind, service_id: service.json.id });
  return { team: team.json, service: service.json, integration: integration.json };
}

const NOT_ENDED = '0001-01-01T00:00:00Z';

/** One alert inside an Alertmanager notification. */
function amAlert(
  status: 'firing' | 'resolved',
  instance: string,
  fingerprint: string,
  annotations: Record<string, string>,
) {
  return {
    status,
    labels: {
      alertname: 'ProbeFailure',
      instance,
      job: 'blackbox_http',
      monitor: 'master',
      severity: 'critical',
    },
    annotations,
    startsAt: '2026-02-06T13:08:45.828Z',
    endsAt: status === 'resolved' ? '2026-02-06T13:31:15.002Z' : NOT_ENDED,
    generatorURL: 'http://prometheus.example.test:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1',
    fingerprint,
  };
}

const GROUP_KEY = '{}/{severity="critical"}:{alertname="ProbeFailure"}';
const RUNBOOK = 'https://runbooks.example.test/probe-failure';

/** An Alertmanager webhook notification (version 4) with every documented field. */
function amNotification(
  status: 'firing' | 'resolved',
  alerts: unknown[],
  extra: Record<string, unknown> = {},
) {
  return {
    version: '4',
    groupKey: GROUP_KEY,
    truncatedAlerts: 0,
    status,
    receiver: 'engops',
    groupLabels: { alertname: 'ProbeFailure' },
    commonLabels: {
      alertname: 'ProbeFailure',
      job: 'blackbox_http',
      monitor: 'master',
      severity: 'critical',
    },
    commonAnnotations: { runbook_url: RUNBOOK },
    externalURL: 'http://alertmanager.example.test:9093',
    alerts,
    ...extra,
  };
}

const firingA = amAlert('firing', 'https://shop.example.test', '1a30ba71cca2921f', {
  summary: 'Blackbox probe failure: https://shop.example.test',
  description: 'Instance https://shop.example.test has been down for over 5m. Job: blackbox_http',
});
const firingB = amAlert('firing', 'https://api.example.test', '7d2c4b99e01f6a35', {
  description: 'Instance https://api.example.test has been down for over 5m. Job: blackbox_http',
});

describeEachEngine('Alertmanager, Grafana and generic webhooks with real payloads', (get) => {
  it('Alertmanager: firing opens one incident per groupKey, resolved closes it', async () => {
    const t = get();
    const { integration, service } = await serviceWithIntegration(t, 'alertmanager');
    expect(integration.url).toMatch(new RegExp(`/api/v1/integrations/${integration.key}/alertmanager$`));
    const url = `/api/v1/integrations/${integration.key}/alertmanager`;

    // Fields a newer Alertmanager (or a proxy) adds are ignored, at the top and inside alerts.
    const firing = amNotification('firing', [{ ...firingA, somethingNew: { nested: true } }, firingB], {
      notification_reason: 'new alerts',
      unknownTopLevel: 42,
    });
    const sent = await t.call('POST', url, { token: null, body: firing });
    expect(sent.status).toBe(202);
    expect(sent.json).toEqual({
      status: 'success',
      alerts: 2,
      dedup_keys: ['1a30ba71cca2921f', '7d2c4b99e01f6a35'],
    });

    // The 2xx came after storage: the very next read sees everything.
    const list = await t.call('GET', `/api/v1/incidents?service_id=${service.id}`);
    expect(list.json.items).toHaveLength(1);
    const incident = list.json.items[0];
    expect(incident).toMatchObject({
      title: 'Blackbox probe failure: https://shop.example.test',
      severity: 'SEV1',
      status: 'triggered',
      source: 'alertmanager',
      alert_count: 2,
      suppressed: false,
      // The incident started when Prometheus says the alert started, not when it reached us.
      triggered_at: '2026-02-06T13:08:45.828Z',
    });

    const alerts = (await t.call('GET', `/api/v1/incidents/${incident.id}/alerts`)).json.items;
    expect(alerts).toHaveLength(2);
    const a = alerts.find((x: { dedup_key: string }) => x.dedup_key === '1a30ba71cca2921f');
    const b = alerts.find((x: { dedup_key: string }) => x.dedup_key === '7d2c4b99e01f6a35');
    expect(a).toMatchObject({
      status: 'triggered',
      severity: 'critical',
      summary: 'Blackbox probe failure: https://shop.example.test',
      source: 'https://shop.example.test',
      event_count: 1,
    });
    expect(a.details).toMatchObject({
      labels: firingA.labels,
      annotations: firingA.annotations,
      description: firingA.annotations.description,
      starts_at: firingA.startsAt,
      ends_at: NOT_ENDED,
      // From commonAnnotations when the alert has none of its own.
      runbook_url: RUNBOOK,
    });
    expect(a.links).toEqual([{ href: firingA.generatorURL, text: 'Source' }]);
    expect(JSON.stringify(a.details)).not.toContain('somethingNew');
    // No summary annotation anywhere: the alert name is the summary.
    expect(b.summary).toBe('ProbeFailure');
    expect(b.details.labels).toEqual(firingB.labels);

    // Alertmanager repeats the group at repeat_interval: the alerts are appended, nothing new opens.
    expect((await t.call('POST', url, { token: null, body: firing })).status).toBe(202);
    const again = (await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items;
    expect(again).toHaveLength(1);
    const repeated = (await t.call('GET', `/api/v1/incidents/${incident.id}/alerts`)).json.items;
    expect(repeated.map((x: { event_count: number }) => x.event_count)).toEqual([2, 2]);

    // A resolved notification for one alert resolves that alert only.
    const resolvedA = { ...firingA, status: 'resolved', endsAt: '2026-02-06T13:31:15.002Z' };
    const partial = await t.call('POST', url, {
      token: null,
      body: amNotification('firing', [resolvedA, firingB]),
    });
    expect(partial.status).toBe(202);
    expect((await t.call('GET', `/api/v1/incidents/${incident.id}`)).json.status).toBe('triggered');
    const afterPartial = (await t.call('GET', `/api/v1/incidents/${incident.id}/alerts`)).json.items;
    expect(
      Object.fromEntries(
        afterPartial.map((x: { dedup_key: string; status: string }) => [x.dedup_key, x.status]),
      ),
    ).toEqual({ '1a30ba71cca2921f': 'resolved', '7d2c4b99e01f6a35': 'triggered' });

    // The final resolved notification (status resolved, endsAt set) closes the incident.
    const done = await t.call('POST', url, {
      token: null,
      body: amNotification('resolved', [
        resolvedA,
        { ...firingB, status: 'resolved', endsAt: '2026-02-06T13:32:00.000Z' },
      ]),
    });
    expect(done.status).toBe(202);
    const resolved = (await t.call('GET', `/api/v1/incidents/${incident.id}`)).json;
    expect(resolved).toMatchObject({ status: 'resolved', acknowledged_at: null, mitigated_at: null });
    expect(resolved.resolved_at).not.toBeNull();
    const finalAlerts = (await t.call('GET', `/api/v1/incidents/${incident.id}/alerts`)).json.items;
    expect(
      finalAlerts.every((x: { status: string; resolved_at: string | null }) => x.status === 'resolved'),
    ).toBe(true);

    const timeline = (await t.call('GET', `/api/v1/incidents/${incident.id}/timeline`)).json.items;
    expect(timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'incident.triggered',
      'alert.triggered',
      'alert.triggered',
      'alert.resolved',
      'alert.resolved',
      'status.resolved',
    ]);
    expect(timeline.at(-1).actor).toMatchObject({ type: 'integration', id: integration.id });

    // Once resolved, the same group firing again is a new incident.
    expect(
      (await t.call('POST', url, { token: null, body: amNotification('firing', [firingA]) })).status,
    ).toBe(202);
    expect((await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items).toHaveLength(2);
  });

  it('Alertmanager: title falls back to the alert name; invalid notifications are 400', async () => {
    const t = get();
    const { integration, service } = await serviceWithIntegration(t, 'alertmanager');
    const url = `/api/v1/integrations/${integration.key}/alertmanager`;
    const noSummary = {
      ...amNotification('firing', [firingB]),
      groupKey: '{}:{alertname="ProbeFailure"}',
      commonAnnotations: {},
    };
    expect((await t.call('POST', url, { token: null, body: noSummary })).status).toBe(202);
    const incident = (await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items[0];
    expect(incident.title).toBe('ProbeFailure');

    const invalid: Array<[unknown, string]> = [
      [[firingA], 'JSON object'],
      [{ ...amNotification('firing', []), alerts: 'nope' }, 'alerts'],
      [amNotification('firing', ['not an alert']), 'alerts[0]'],
      [amNotification('pending' as 'firing', [{ ...firingA, status: 'pending' }]), 'firing or resolved'],
    ];
    for (const [body, text] of invalid) {
      const res = await t.call('POST', url, { token: null, body });
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json.code).toBe('HTTP_VALIDATION_FAILED');
      expect(res.json.errors.map((e: { message: string }) => e.message).join(' ')).toContain(text);
    }
    const unknown = await t.call('POST', `/api/v1/integrations/${'f'.repeat(32)}/alertmanager`, {
      token: null,
      body: amNotification('firing', [firingA]),
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json.code).toBe('INCIDENTS_UNKNOWN_INTEGRATION_KEY');
    // Nothing half-stored from the rejected requests.
    expect((await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items).toHaveLength(1);
  });

  it('Grafana: the documented webhook example, firing then resolved', async () => {
    const t = get();
    const { integration, service } = await serviceWithIntegration(t, 'grafana');
    const url = `/api/v1/integrations/${integration.key}/grafana`;
    expect(integration.url).toMatch(/\/grafana$/);
    const memory = {
      status: 'firing',
      labels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1' },
      annotations: {
        description: 'The system has high memory usage',
        runbook_url: 'https://runbooks.example.test/memory',
        summary: 'This alert was triggered for zone us-1',
      },
      startsAt: '2021-10-12T09:51:03.157076+02:00',
      endsAt: NOT_ENDED,
      generatorURL: 'https://grafana.example.test/alerting/1afz29v7z/edit',
      fingerprint: 'c6eadffa33fcdf37',
      silenceURL:
        'https://grafana.example.test/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1',
      dashboardURL: 'https://grafana.example.test/d/node-memory',
      panelURL: 'https://grafana.example.test/d/node-memory?viewPanel=3',
      values: { B: 44.23943737541908, C: 1 },
    };
    const cpu = {
      status: 'firing',
      labels: { alertname: 'High CPU usage', team: 'blue', zone: 'eu-1' },
      annotations: {
        description: 'The system has high CPU usage',
        runbook_url: 'https://runbooks.example.test/cpu',
        summary: 'This alert was triggered for zone eu-1',
      },
      startsAt: '2021-10-12T09:56:03.157076+02:00',
      endsAt: NOT_ENDED,
      generatorURL: 'https://grafana.example.test/alerting/d1rdpdv7k/edit',
      fingerprint: 'bc97ff14869b13e3',
      silenceURL:
        'https://grafana.example.test/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT1%2Cteam%3Dblue%2Czone%3Deu-1',
      dashboardURL: '',
      panelURL: '',
      values: { B: 44.23943737541908, C: 1 },
    };
    const notification = (status: 'firing' | 'resolved', alerts: unknown[]) => ({
      receiver: 'engops',
      status,
      orgId: 1,
      alerts,
      groupLabels: {},
      commonLabels: { team: 'blue' },
      commonAnnotations: {},
      externalURL: 'https://grafana.example.test/',
      version: '1',
      groupKey: '{}:{}',
      truncatedAlerts: 0,
      title: status === 'firing' ? `[FIRING:${alerts.length}]  (blue)` : '[RESOLVED]  (blue)',
      state: status === 'firing' ? 'alerting' : 'ok',
      message: '**Firing**\n\nValue: B=44.23943737541908, C=1\nLabels:\n - alertname = High memory usage\n',
    });

    const sent = await t.call('POST', url, { token: null, body: notification('firing', [memory, cpu]) });
    expect(sent.status).toBe(202);
    expect(sent.json.dedup_keys).toEqual(['c6eadffa33fcdf37', 'bc97ff14869b13e3']);

    const incidents = (await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items;
    expect(incidents).toHaveLength(1);
    // The incident is named after what is wrong (the alert's summary), not after Grafana's
    // notification title "[FIRING:2] (blue)", which goes stale as soon as the state changes.
    expect(incidents[0]).toMatchObject({
      title: 'This alert was triggered for zone us-1',
      source: 'grafana',
      status: 'triggered',
      alert_count: 2,
      severity: 'SEV1',
    });
    const alerts = (await t.call('GET', `/api/v1/incidents/${incidents[0].id}/alerts`)).json.items;
    const mem = alerts.find((a: { dedup_key: string }) => a.dedup_key === 'c6eadffa33fcdf37');
    expect(mem.details).toMatchObject({
      labels: memory.labels,
      annotations: memory.annotations,
      values: { B: 44.23943737541908, C: 1 },
      message: expect.stringContaining('**Firing**'),
      runbook_url: 'https://runbooks.example.test/memory',
      starts_at: memory.startsAt,
    });
    expect(mem.links).toEqual([
      { href: memory.generatorURL, text: 'Source' },
      { href: memory.dashboardURL, text: 'dashboard' },
      { href: memory.panelURL, text: 'panel' },
      { href: memory.silenceURL, text: 'silence' },
    ]);
    const cpuAlert = alerts.find((a: { dedup_key: string }) => a.dedup_key === 'bc97ff14869b13e3');
    // Empty dashboardURL/panelURL (a rule without a panel) are no links.
    expect(cpuAlert.links.map((l: { text: string }) => l.text)).toEqual(['Source', 'silence']);

    const resolved = (alert: typeof memory) => ({
      ...alert,
      status: 'resolved',
      endsAt: '2021-10-12T10:20:00+02:00',
    });
    const done = await t.call('POST', url, {
      token: null,
      body: notification('resolved', [resolved(memory), resolved(cpu)]),
    });
    expect(done.status).toBe(202);
    const after = (await t.call('GET', `/api/v1/incidents/${incidents[0].id}`)).json;
    expect(after.status).toBe('resolved');
    expect(after.title).toBe('This alert was triggered for zone us-1');

    // A Grafana key is not an Alertmanager key.
    const wrong = await t.call('POST', `/api/v1/integrations/${integration.key}/alertmanager`, {
      token: null,
      body: notification('firing', [memory]),
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.code).toBe('INCIDENTS_WRONG_INTEGRATION_KIND');
  });

  it('generic webhook: trigger, acknowledge, resolve, and every 400', async () => {
    const t = get();
    const { integration, service } = await serviceWithIntegration(t, 'generic');
    const url = `/api/v1/integrations/${integration.key}/generic`;
    const trigger = await t.call('POST', url, {
      token: null,
      body: {
        summary: 'Nightly backup failed',
        dedup_key: 'backup-nightly',
        severity: 'error',
        source: 'backup-cron@db-2',
        details: { exit_code: 2, log: '/var/log/backup.log' },
        links: [{ href: 'https://ci.example.test/jobs/991', text: 'Job log' }],
      },
    });
    expect(trigger.status).toBe(202);
    expect(trigger.json).toEqual({ status: 'success', alerts: 1, dedup_keys: ['backup-nightly'] });
    const incident = (await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items[0];
    expect(incident).toMatchObject({
      title: 'Nightly backup failed',
      severity: 'SEV2',
      status: 'triggered',
      source: 'generic',
    });
    const [alert] = (await t.call('GET', `/api/v1/incidents/${incident.id}/alerts`)).json.items;
    expect(alert).toMatchObject({
      dedup_key: 'backup-nightly',
      source: 'backup-cron@db-2',
      details: { exit_code: 2, log: '/var/log/backup.log' },
      links: [{ href: 'https://ci.example.test/jobs/991', text: 'Job log' }],
    });

    // Defaults: action trigger, severity critical, a generated key.
    const bare = await t.call('POST', url, { token: null, body: { summary: 'Disk 91% on db-2' } });
    expect(bare.status).toBe(202);
    expect(bare.json.dedup_keys[0]).toMatch(/^[0-9a-f]{32}$/);

    const ack = await t.call('POST', url, {
      token: null,
      body: { action: 'acknowledge', dedup_key: 'backup-nightly' },
    });
    expect(ack.status).toBe(202);
    const acked = (await t.call('GET', `/api/v1/incidents/${incident.id}`)).json;
    expect(acked.status).toBe('acknowledged');
    expect(acked.acknowledged_by).toBe(integration.id);

    const resolve = await t.call('POST', url, {
      token: null,
      body: { action: 'resolve', dedup_key: 'backup-nightly' },
    });
    expect(resolve.status).toBe(202);
    expect((await t.call('GET', `/api/v1/incidents/${incident.id}`)).json.status).toBe('resolved');
    const kinds = (await t.call('GET', `/api/v1/incidents/${incident.id}/timeline`)).json.items.map(
      (e: { kind: string }) => e.kind,
    );
    expect(kinds).toEqual([
      'incident.triggered',
      'alert.triggered',
      'status.acknowledged',
      'alert.resolved',
      'status.resolved',
    ]);

    const before = (await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items.length;
    const invalid: Array<[unknown, string]> = [
      ['just text', 'JSON object'],
      [{ action: 'explode', summary: 'x' }, "'action'"],
      [{ summary: 'x', dedup_key: '' }, "'dedup_key'"],
      [{ summary: 'x', dedup_key: 'k'.repeat(256) }, "'dedup_key'"],
      [{ summary: 'x', dedup_key: 7 }, "'dedup_key'"],
      [{ action: 'acknowledge' }, "'dedup_key' is required"],
      [{ action: 'resolve' }, "'dedup_key' is required"],
      [{ severity: 'error' }, "'summary'"],
      [{ summary: '   ' }, "'summary'"],
      [{ summary: 'x'.repeat(1025) }, "'summary' must be at most 1024"],
      [{ summary: 'x', severity: 'sev1' }, "'severity'"],
      [{ summary: 'x', details: ['a'] }, "'details'"],
      [{ summary: 'x', source: 12 }, "'source'"],
      [{ summary: 'x', links: 'https://x' }, "'links'"],
      [{ summary: 'x', links: [{ text: 'no href' }] }, "'links[0].href'"],
    ];
    for (const [body, text] of invalid) {
      const res = await t.call('POST', url, { token: null, body });
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.json.code).toBe('HTTP_VALIDATION_FAILED');
      expect(res.json.errors.map((e: { message: string }) => e.message).join(' ')).toContain(text);
    }
    const malformed = await t.call('POST', url, {
      token: null,
      payload: '{"summary":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    const unknown = await t.call('POST', `/api/v1/integrations/${'0'.repeat(32)}/generic`, {
      token: null,
      body: { summary: 'x' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json.code).toBe('INCIDENTS_UNKNOWN_INTEGRATION_KEY');
    expect((await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items).toHaveLength(
      before,
    );
  });
});
