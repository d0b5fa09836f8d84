import { describe, expect, it } from 'vitest';
import {
  labelFingerprint,
  normaliseAlertmanager,
  normaliseEventsV2,
  normaliseGeneric,
} from './alert-normalizers.ts';

// The example notification from Alertmanager's webhook documentation (version 4), firing.
const alertmanagerFiring = {
  version: '4',
  groupKey: '{}:{alertname="HighLatency"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'engops',
  groupLabels: { alertname: 'HighLatency' },
  commonLabels: { alertname: 'HighLatency', severity: 'warning', job: 'api' },
  commonAnnotations: { summary: 'API latency is high' },
  externalURL: 'http://alertmanager:9093',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'HighLatency', severity: 'warning', instance: 'api-1:9090', job: 'api' },
      annotations: {
        summary: 'p99 latency above 500ms on api-1',
        description: 'p99 is 812ms',
        runbook_url: 'https://runbooks/latency',
      },
      startsAt: '2026-11-28T10:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=latency',
      fingerprint: 'a1b2c3d4e5f60718',
    },
    {
      status: 'firing',
      labels: { alertname: 'HighLatency', severity: 'warning', instance: 'api-2:9090', job: 'api' },
      annotations: {},
      startsAt: '2026-11-28T10:01:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=latency',
    },
  ],
};

describe('alert normalisers', () => {
  it('maps Alertmanager alerts to one event per fingerprint in one group', () => {
    const result = normaliseAlertmanager(alertmanagerFiring, 'alertmanager');
    if (!result.ok) throw new Error(result.errors.join());
    expect(result.events).toHaveLength(2);
    const [a, b] = result.events;
    expect(a).toMatchObject({
      action: 'trigger',
      dedupKey: 'a1b2c3d4e5f60718',
      summary: 'p99 latency above 500ms on api-1',
      severity: 'warning',
      source: 'api-1:9090',
      groupKey: '{}:{alertname="HighLatency"}',
      runbookUrl: 'https://runbooks/latency',
      occurredAt: '2026-11-28T10:00:00.000Z',
    });
    expect(a?.links[0]).toEqual({ href: 'http://prometheus:9090/graph?g0.expr=latency', text: 'Source' });
    // No fingerprint: computed from the labels; summary falls back to the common annotation.
    expect(b?.dedupKey).toBe(labelFingerprint(alertmanagerFiring.alerts[1]!.labels));
    expect(b?.summary).toBe('API latency is high');
  });

  it('maps resolved Alertmanager alerts to resolve events and ignores unknown fields', () => {
    const resolved = {
      ...alertmanagerFiring,
      status: 'resolved',
      somethingNew: true,
      alerts: [{ ...alertmanagerFiring.alerts[0], status: 'resolved' }],
    };
    const result = normaliseAlertmanager(resolved, 'alertmanager');
    expect(result.ok && result.events[0]?.action).toBe('resolve');
  });

  it("names Grafana alerts by their summary; Grafana's title only when nothing better exists", () => {
    const grafana = {
      ...alertmanagerFiring,
      title: '[FIRING:2] HighLatency (api)',
      state: 'alerting',
      message: 'm',
    };
    const result = normaliseAlertmanager(grafana, 'grafana');
    expect(result.ok && result.events[0]?.summary).toBe('p99 latency above 500ms on api-1');
    expect(result.ok && result.events[0]?.details.message).toBe('m');
    const bare = normaliseAlertmanager(
      {
        ...grafana,
        commonAnnotations: {},
        alerts: [{ status: 'firing', labels: {}, annotations: {}, fingerprint: 'f1' }],
      },
      'grafana',
    );
    expect(bare.ok && bare.events[0]?.summary).toBe('HighLatency (api)');
  });

  it('validates Events v2 like PagerDuty', () => {
    expect(
      normaliseEventsV2({
        routing_key: 'k',
        event_action: 'trigger',
        payload: { summary: 's', source: 'x', severity: 'error' },
      }),
    ).toMatchObject({
      ok: true,
      routingKey: 'k',
    });
    const bad = normaliseEventsV2({ routing_key: 'k', event_action: 'trigger', payload: {} });
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.errors).toEqual([
        "'payload.summary' is missing or blank",
        "'payload.source' is missing or blank",
        "'payload.severity' must be one of critical, error, warning, info",
      ]);
    expect(normaliseEventsV2([]).ok).toBe(false);
  });

  it('accepts the generic shape with defaults', () => {
    const result = normaliseGeneric({ summary: 'Backup failed' });
    expect(result).toMatchObject({
      ok: true,
      events: [{ action: 'trigger', severity: 'critical', summary: 'Backup failed' }],
    });
    expect(normaliseGeneric({ action: 'resolve' }).ok).toBe(false);
  });
});
