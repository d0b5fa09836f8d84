import { createHash } from 'node:crypto';

/**
 * Pure translation of what monitoring tools send into one normalised alert event. Each adapter
 * validates its own wire format and never touches storage.
 */
export type AlertSeverity = 'critical' | 'error' | 'warning' | 'info';
export const ALERT_SEVERITIES: readonly AlertSeverity[] = ['critical', 'error', 'warning', 'info'];

export interface AlertEvent {
  action: 'trigger' | 'acknowledge' | 'resolve';
  /** Absent on a trigger means "always a new alert" (a key is generated). */
  dedupKey?: string;
  summary: string;
  severity: AlertSeverity;
  source?: string;
  /** Incident grouping (Alertmanager groupKey): alerts with one group share one open incident. */
  groupKey?: string;
  occurredAt?: string;
  details: Record<string, unknown>;
  links: Array<{ href: string; text?: string }>;
  runbookUrl?: string;
}

export type Normalised = { ok: true; events: AlertEvent[] } | { ok: false; errors: string[] };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

function validTimestamp(v: unknown): boolean {
  return typeof v === 'string' && !Number.isNaN(Date.parse(v));
}

function linksOf(value: unknown, errors: string[], field: string): Array<{ href: string; text?: string }> {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push(`'${field}' must be an array`);
    return [];
  }
  const out: Array<{ href: string; text?: string }> = [];
  value.forEach((l, i) => {
    if (!isObject(l) || !str(l.href)) errors.push(`'${field}[${i}].href' is missing or blank`);
    else out.push({ href: String(l.href), ...(str(l.text) ? { text: String(l.text) } : {}) });
  });
  return out;
}

/**
 * PagerDuty Events API v2 (`POST /v2/enqueue`), with its validation rules: trigger needs a payload
 * with summary (<= 1024), source and severity; acknowledge and resolve need a dedup_key (<= 255).
 */
export function normaliseEventsV2(body: unknown): Normalised & { routingKey?: string } {
  const errors: string[] = [];
  if (!isObject(body)) return { ok: false, errors: ['Event object must be a JSON object'] };
  const routingKey = str(body.routing_key);
  if (!routingKey) errors.push("'routing_key' is missing or blank");
  const action = body.event_action;
  if (action !== 'trigger' && action !== 'acknowledge' && action !== 'resolve') {
    errors.push("'event_action' must be one of trigger, acknowledge, resolve");
  }
  const dedupKey = body.dedup_key;
  if (dedupKey !== undefined && dedupKey !== null && typeof dedupKey !== 'string')
    errors.push("'dedup_key' must be a string");
  if (typeof dedupKey === 'string' && dedupKey.length > 255)
    errors.push("'dedup_key' must be at most 255 characters");
  if ((action === 'acknowledge' || action === 'resolve') && !str(dedupKey)) {
    errors.push(`'dedup_key' is required for ${action} events`);
  }
  let summary = '';
  let severity: AlertSeverity = 'critical';
  let source: string | undefined;
  const details: Record<string, unknown> = {};
  let occurredAt: string | undefined;
  if (action === 'trigger' || body.payload !== undefined) {
    const payload = body.payload;
    if (!isObject(payload)) {
      if (action === 'trigger') errors.push("'payload' is missing or not an object");
    } else {
      const s = str(payload.summary);
      if (!s && action === 'trigger') errors.push("'payload.summary' is missing or blank");
      else if (s && s.length > 1024) errors.push("'payload.summary' must be at most 1024 characters");
      summary = s ?? '';
      source = str(payload.source);
      if (!source && action === 'trigger') errors.push("'payload.source' is missing or blank");
      const sev = payload.severity;
      if (ALERT_SEVERITIES.includes(sev as AlertSeverity)) severity = sev as AlertSeverity;
      else if (action === 'trigger')
        errors.push("'payload.severity' must be one of critical, error, warning, info");
      if (payload.timestamp !== undefined) {
        const at = typeof payload.timestamp === 'string' ? Date.parse(payload.timestamp) : Number.NaN;
        if (Number.isNaN(at)) errors.push("'payload.timestamp' must be an ISO 8601 timestamp");
        else occurredAt = new Date(at).toISOString();
      }
      for (const key of ['component', 'group', 'class'] as const) {
        if (payload[key] !== undefined && typeof payload[key] !== 'string')
          errors.push(`'payload.${key}' must be a string`);
        else if (payload[key] !== undefined) details[key] = payload[key];
      }
      if (payload.custom_details !== undefined) details.custom_details = payload.custom_details;
    }
  }
  for (const key of ['client', 'client_url'] as const) {
    if (body[key] !== undefined && typeof body[key] !== 'string') errors.push(`'${key}' must be a string`);
    else if (body[key] !== undefined) details[key] = body[key];
  }
  const links = linksOf(body.links, errors, 'links');
  if (body.images !== undefined) {
    if (!Array.isArray(body.images)) errors.push("'images' must be an array");
    else {
      body.images.forEach((img, i) => {
        if (!isObject(img) || !str(img.src)) errors.push(`'images[${i}].src' is missing or blank`);
      });
      details.images = body.images;
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const event: AlertEvent = {
    action: action as AlertEvent['action'],
    summary,
    severity,
    details,
    links,
    ...(str(dedupKey) ? { dedupKey: dedupKey as string } : {}),
    ...(source ? { source } : {}),
    ...(occurredAt ? { occurredAt } : {}),
  };
  return { ok: true, events: [event], ...(routingKey ? { routingKey } : {}) };
}

function severityFromLabel(value: unknown): AlertSeverity {
  const v = typeof value === 'string' ? value.toLowerCase() : '';
  if (v === 'critical' || v === 'page' || v === 'p1' || v === 'sev1') return 'critical';
  if (v === 'error' || v === 'high' || v === 'major' || v === 'p2' || v === 'sev2') return 'error';
  if (v === 'warning' || v === 'warn' || v === 'medium' || v === 'minor' || v === 'p3' || v === 'sev3')
    return 'warning';
  if (v === 'info' || v === 'low' || v === 'none' || v === 'p4' || v === 'sev4') return 'info';
  return 'critical';
}

/** Alertmanager's fingerprint is a hash of the label set; compute one when a sender omits it. */
export function labelFingerprint(labels: Record<string, unknown>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${String(labels[k])}`)
    .join('\u0000');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/**
 * Prometheus Alertmanager webhook (version 4) and Grafana's webhook (the same shape plus title,
 * state and message). One incident per groupKey while open; each alert keyed by its fingerprint.
 */
export function normaliseAlertmanager(body: unknown, flavour: 'alertmanager' | 'grafana'): Normalised {
  const errors: string[] = [];
  if (!isObject(body)) return { ok: false, errors: ['body must be a JSON object'] };
  if (!Array.isArray(body.alerts)) return { ok: false, errors: ["'alerts' must be an array"] };
  const groupLabels = isObject(body.groupLabels) ? body.groupLabels : {};
  const groupKey =
    str(body.groupKey) ?? (Object.keys(groupLabels).length > 0 ? labelFingerprint(groupLabels) : undefined);
  const commonAnnotations = isObject(body.commonAnnotations) ? body.commonAnnotations : {};
  // Grafana's notification title ("[FIRING:2] HighLatency (blue)") describes the notification, not
  // the problem, and its status prefix goes stale: it only names an alert that has nothing better.
  const title =
    flavour === 'grafana'
      ? str(
          str(body.title)
            ?.replace(/^\[[A-Z]+(?::\d+)?\]\s*/, '')
            .trim(),
        )
      : undefined;
  const events: AlertEvent[] = [];
  body.alerts.forEach((alert, i) => {
    if (!isObject(alert)) {
      errors.push(`'alerts[${i}]' must be an object`);
      return;
    }
    const labels = isObject(alert.labels) ? alert.labels : {};
    const annotations = isObject(alert.annotations) ? alert.annotations : {};
    const status = alert.status ?? body.status;
    if (status !== 'firing' && status !== 'resolved') {
      errors.push(`'alerts[${i}].status' must be firing or resolved`);
      return;
    }
    const fingerprint = str(alert.fingerprint) ?? labelFingerprint(labels);
    const summary =
      str(annotations.summary) ??
      str(commonAnnotations.summary) ??
      str(labels.alertname) ??
      title ??
      `Alert ${fingerprint}`;
    const links: Array<{ href: string; text?: string }> = [];
    if (str(alert.generatorURL)) links.push({ href: String(alert.generatorURL), text: 'Source' });
    for (const key of ['dashboardURL', 'panelURL', 'silenceURL'] as const) {
      if (str(alert[key])) links.push({ href: String(alert[key]), text: key.replace('URL', '') });
    }
    const runbook = str(annotations.runbook_url) ?? str(commonAnnotations.runbook_url);
    events.push({
      action: status === 'firing' ? 'trigger' : 'resolve',
      dedupKey: fingerprint,
      summary: summary.slice(0, 1024),
      severity: severityFromLabel(labels.severity),
      ...(str(labels.instance)
        ? { source: String(labels.instance) }
        : str(labels.job)
          ? { source: String(labels.job) }
          : {}),
      ...(groupKey ? { groupKey } : {}),
      ...(validTimestamp(alert.startsAt) && status === 'firing'
        ? { occurredAt: new Date(String(alert.startsAt)).toISOString() }
        : {}),
      details: {
        labels,
        annotations,
        ...(str(annotations.description) ? { description: annotations.description } : {}),
        starts_at: alert.startsAt ?? null,
        ends_at: alert.endsAt ?? null,
        ...(flavour === 'grafana' && str(body.message) ? { message: body.message } : {}),
        ...(alert.values !== undefined ? { values: alert.values } : {}),
      },
      links,
      ...(runbook ? { runbookUrl: runbook } : {}),
    });
  });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, events };
}

/**
 * engops' generic JSON webhook, for scripts and tools without a native format:
 * `{action?: "trigger"|"acknowledge"|"resolve", dedup_key?, summary, severity?, source?, details?, links?}`.
 */
export function normaliseGeneric(body: unknown): Normalised {
  const errors: string[] = [];
  if (!isObject(body)) return { ok: false, errors: ['body must be a JSON object'] };
  const action = body.action ?? 'trigger';
  if (action !== 'trigger' && action !== 'acknowledge' && action !== 'resolve') {
    errors.push("'action' must be one of trigger, acknowledge, resolve");
  }
  const dedupKey = body.dedup_key;
  if (dedupKey !== undefined && (typeof dedupKey !== 'string' || dedupKey.length > 255 || dedupKey === '')) {
    errors.push("'dedup_key' must be a non-empty string of at most 255 characters");
  }
  if (action !== 'trigger' && !str(dedupKey)) errors.push(`'dedup_key' is required for ${String(action)}`);
  const summary = str(body.summary);
  if (action === 'trigger' && !summary) errors.push("'summary' is missing or blank");
  if (summary && summary.length > 1024) errors.push("'summary' must be at most 1024 characters");
  const severity = body.severity ?? 'critical';
  if (!ALERT_SEVERITIES.includes(severity as AlertSeverity))
    errors.push("'severity' must be one of critical, error, warning, info");
  if (body.details !== undefined && !isObject(body.details)) errors.push("'details' must be an object");
  if (body.source !== undefined && typeof body.source !== 'string') errors.push("'source' must be a string");
  const links = linksOf(body.links, errors, 'links');
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    events: [
      {
        action: action as AlertEvent['action'],
        summary: summary ?? '',
        severity: severity as AlertSeverity,
        details: isObject(body.details) ? body.details : {},
        links,
        ...(str(dedupKey) ? { dedupKey: dedupKey as string } : {}),
        ...(str(body.source) ? { source: body.source as string } : {}),
      },
    ],
  };
}
