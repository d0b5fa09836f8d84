import type { IntegrationKind } from '../../app/types.ts';

/**
 * Copy-paste configuration for each kind of integration: what to put into Alertmanager, Grafana,
 * a PagerDuty-style sender, a script or a cron job so it sends to engops. Pure: text in, text out.
 */

export interface IntegrationLike {
  kind: IntegrationKind;
  name: string;
  key: string;
  url: string;
  heartbeat?: { interval_seconds: number; grace_seconds: number } | null;
}

export interface Snippet {
  id: string;
  title: string;
  /** What the text is, for the reader (YAML, shell). */
  language: 'yaml' | 'shell' | 'text';
  code: string;
  note?: string;
}

export const KIND_INFO: Record<IntegrationKind, { label: string; description: string }> = {
  'events-v2': {
    label: 'PagerDuty Events API v2',
    description:
      'For any tool that can page PagerDuty (Alertmanager pagerduty_configs, Grafana, Datadog, scripts): change only the URL and the key.',
  },
  alertmanager: {
    label: 'Prometheus Alertmanager',
    description: 'An Alertmanager webhook receiver: one incident per alert group, resolved with it.',
  },
  grafana: { label: 'Grafana alerting', description: 'A Grafana webhook contact point.' },
  generic: {
    label: 'Generic JSON webhook',
    description: 'For scripts and tools without a native format: POST {summary, severity, dedup_key}.',
  },
  heartbeat: {
    label: 'Heartbeat',
    description: 'A job pings engops regularly; a missed ping opens an incident, the next one resolves it.',
  },
};

/** Hides a secret everywhere it appears in `text`, keeping its last four characters. */
export function maskSecret(text: string, secret: string): string {
  if (!secret) return text;
  const masked = `${'•'.repeat(8)}${secret.slice(-4)}`;
  return text.split(secret).join(masked);
}

/** The server's public base URL, read back from an integration's URL. */
export function baseUrlOf(integration: Pick<IntegrationLike, 'kind' | 'key' | 'url'>): string {
  const suffix =
    integration.kind === 'events-v2'
      ? '/v2/enqueue'
      : `/api/v1/integrations/${integration.key}/${integration.kind}`;
  return integration.url.endsWith(suffix) ? integration.url.slice(0, -suffix.length) : integration.url;
}

/** A receiver name Alertmanager accepts, from the service name. */
function receiverName(serviceName: string): string {
  return `engops-${serviceName.replace(/[^A-Za-z0-9_.-]+/g, '-')}`;
}

function curlJson(url: string, body: unknown): string {
  const json = JSON.stringify(body, null, 2).replace(/'/g, "'\\''");
  return `curl -sS -X POST '${url}' \\\n  -H 'Content-Type: application/json' \\\n  -d '${json}'`;
}

/** A cron schedule for an interval in seconds, or null when cron cannot express it. */
export function cronSchedule(intervalSeconds: number): string | null {
  if (intervalSeconds % 60 !== 0) return null;
  const minutes = intervalSeconds / 60;
  if (minutes === 1) return '* * * * *';
  if (minutes < 60 && 60 % minutes === 0) return `*/${minutes} * * * *`;
  if (minutes % 60 === 0) {
    const hours = minutes / 60;
    if (hours === 1) return '0 * * * *';
    if (hours < 24 && 24 % hours === 0) return `0 */${hours} * * *`;
    if (hours === 24) return '0 0 * * *';
  }
  return null;
}

export function snippetsFor(integration: IntegrationLike, serviceName: string): Snippet[] {
  const { kind, key, url } = integration;
  const base = baseUrlOf(integration);
  const receiver = receiverName(serviceName);
  switch (kind) {
    case 'events-v2':
      return [
        {
          id: 'alertmanager-pagerduty',
          title: 'Alertmanager (pagerduty_configs)',
          language: 'yaml',
          code: [
            'route:',
            `  receiver: ${receiver}`,
            'receivers:',
            `  - name: ${receiver}`,
            '    pagerduty_configs:',
            `      - routing_key: ${key}`,
            `        url: ${base}/v2/enqueue`,
            '        send_resolved: true',
          ].join('\n'),
          note: 'An existing PagerDuty receiver needs only the new routing_key and url.',
        },
        {
          id: 'curl-trigger',
          title: 'Trigger an alert (curl)',
          language: 'shell',
          code: curlJson(`${base}/v2/enqueue`, {
            routing_key: key,
            event_action: 'trigger',
            dedup_key: `${serviceName}-test`,
            payload: {
              summary: `Test alert for ${serviceName}`,
              source: 'curl',
              severity: 'critical',
            },
          }),
          note: 'Repeating a trigger with the same dedup_key adds to the open alert instead of paging again.',
        },
        {
          id: 'curl-resolve',
          title: 'Resolve it (curl)',
          language: 'shell',
          code: curlJson(`${base}/v2/enqueue`, {
            routing_key: key,
            event_action: 'resolve',
            dedup_key: `${serviceName}-test`,
          }),
        },
      ];
    case 'alertmanager':
      return [
        {
          id: 'alertmanager-webhook',
          title: 'Alertmanager (webhook_configs)',
          language: 'yaml',
          code: [
            'route:',
            `  receiver: ${receiver}`,
            'receivers:',
            `  - name: ${receiver}`,
            '    webhook_configs:',
            `      - url: ${url}`,
            '        send_resolved: true',
          ].join('\n'),
          note: 'send_resolved: true lets engops resolve the incident when the alerts stop firing.',
        },
      ];
    case 'grafana':
      return [
        {
          id: 'grafana-contact-point',
          title: 'Grafana contact point',
          language: 'text',
          code: ['Integration: Webhook', `URL: ${url}`, 'HTTP Method: POST'].join('\n'),
          note: 'Alerting → Contact points → Add contact point; then route a notification policy to it.',
        },
      ];
    case 'generic':
      return [
        {
          id: 'curl-trigger',
          title: 'Trigger an alert (curl)',
          language: 'shell',
          code: curlJson(url, {
            action: 'trigger',
            dedup_key: `${serviceName}-disk-full`,
            summary: `Disk almost full on ${serviceName}`,
            severity: 'warning',
            source: 'host-1',
            details: { used_percent: 93 },
          }),
          note: 'action is trigger (the default), acknowledge or resolve; severity is critical, error, warning or info.',
        },
        {
          id: 'curl-resolve',
          title: 'Resolve it (curl)',
          language: 'shell',
          code: curlJson(url, { action: 'resolve', dedup_key: `${serviceName}-disk-full` }),
        },
      ];
    case 'heartbeat': {
      const interval = integration.heartbeat?.interval_seconds ?? 300;
      const grace = integration.heartbeat?.grace_seconds ?? 60;
      const ping = `curl -fsS -m 10 -X POST '${url}' > /dev/null`;
      const schedule = cronSchedule(interval);
      return [
        {
          id: 'curl-ping',
          title: 'Send a heartbeat (curl)',
          language: 'shell',
          code: `curl -fsS -m 10 -X POST '${url}'`,
          note: `Expected every ${interval} s; an incident opens after ${interval + grace} s without one.`,
        },
        schedule
          ? {
              id: 'cron',
              title: 'Crontab line',
              language: 'shell',
              code: `${schedule} ${ping}`,
              note: 'To watch a job, send the heartbeat after it succeeds: your-job && curl …',
            }
          : {
              id: 'loop',
              title: 'Shell loop',
              language: 'shell',
              code: `while true; do ${ping}; sleep ${interval}; done`,
            },
      ];
    }
  }
}
