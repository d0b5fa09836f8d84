import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatRelative,
  legalActions,
  parseStatusFilter,
  timelineKind,
  withNames,
} from './incident-format.ts';
import { baseUrlOf, cronSchedule, maskSecret, snippetsFor } from './integration-snippets.ts';

describe('legal incident actions', () => {
  it('offers exactly the transitions the server accepts from each status', () => {
    expect(legalActions('triggered')).toEqual(['acknowledge', 'mitigate', 'resolve']);
    expect(legalActions('acknowledged')).toEqual(['mitigate', 'resolve']);
    expect(legalActions('mitigated')).toEqual(['resolve']);
    expect(legalActions('resolved')).toEqual(['reopen']);
    expect(legalActions('reviewed')).toEqual([]);
  });
});

describe('status filter', () => {
  it('defaults to the open statuses, keeps known ones and treats an empty value as all', () => {
    expect(parseStatusFilter(null)).toEqual(['triggered', 'acknowledged', 'mitigated']);
    expect(parseStatusFilter('resolved,bogus,triggered')).toEqual(['resolved', 'triggered']);
    expect(parseStatusFilter('')).toEqual([]);
  });
});

describe('times', () => {
  const now = Date.parse('2025-03-10T12:00:00Z');
  it('describes an instant relative to now in its largest whole unit', () => {
    expect(formatRelative('2025-03-10T11:59:55Z', now)).toBe('just now');
    expect(formatRelative('2025-03-10T11:59:30Z', now)).toBe('30 seconds ago');
    expect(formatRelative('2025-03-10T11:55:00Z', now)).toBe('5 minutes ago');
    expect(formatRelative('2025-03-10T09:00:00Z', now)).toBe('3 hours ago');
    expect(formatRelative('2025-03-09T12:00:00Z', now)).toBe('yesterday');
    expect(formatRelative('2025-03-10T14:00:00Z', now)).toBe('in 2 hours');
    expect(formatRelative(null, now)).toBe('—');
  });
  it('formats durations for response metrics', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(42.4)).toBe('42 s');
    expect(formatDuration(252)).toBe('4 min 12 s');
    expect(formatDuration(600)).toBe('10 min');
    expect(formatDuration(7500)).toBe('2 h 5 min');
    expect(formatDuration(3 * 86400 + 4 * 3600)).toBe('3 d 4 h');
  });
});

describe('timeline wording', () => {
  it('labels state changes, alerts and notes', () => {
    expect(timelineKind('status.acknowledged').label).toBe('Acknowledged');
    expect(timelineKind('status.triggered').label).toBe('Reopened');
    expect(timelineKind('alert.triggered').label).toBe('Alert');
    expect(timelineKind('note').label).toBe('Note');
    expect(timelineKind('something.new').label).toBe('something.new');
  });
  it('replaces known person ids by names and leaves other text alone', () => {
    const names = new Map([['usr_01jabc', 'Ada Admin']]);
    expect(withNames('Ada set the incident commander to usr_01jabc', names)).toBe(
      'Ada set the incident commander to Ada Admin',
    );
    expect(withNames('set the severity to SEV2 for usr_unknown', names)).toBe(
      'set the severity to SEV2 for usr_unknown',
    );
  });
});

describe('integration snippets', () => {
  const key = '0123456789abcdef0123456789abcdef';
  const base = 'https://engops.example.test';

  it('gives PagerDuty-style senders the routing key and the enqueue URL', () => {
    const integration = { kind: 'events-v2' as const, name: 'prom', key, url: `${base}/v2/enqueue` };
    expect(baseUrlOf(integration)).toBe(base);
    const [alertmanager, trigger, resolve] = snippetsFor(integration, 'checkout-api');
    expect(alertmanager?.code).toContain('pagerduty_configs:');
    expect(alertmanager?.code).toContain(`- routing_key: ${key}`);
    expect(alertmanager?.code).toContain(`url: ${base}/v2/enqueue`);
    expect(alertmanager?.code).toContain('receiver: engops-checkout-api');
    expect(trigger?.code).toContain(`curl -sS -X POST '${base}/v2/enqueue'`);
    const body = JSON.parse(trigger?.code.split("-d '")[1]?.slice(0, -1) ?? '') as Record<string, unknown>;
    expect(body).toMatchObject({
      routing_key: key,
      event_action: 'trigger',
      payload: { severity: 'critical' },
    });
    expect(resolve?.code).toContain('"event_action": "resolve"');
  });

  it('gives Alertmanager a webhook receiver that sends resolved notifications', () => {
    const url = `${base}/api/v1/integrations/${key}/alertmanager`;
    const [snippet] = snippetsFor({ kind: 'alertmanager', name: 'am', key, url }, 'checkout-api');
    expect(snippet?.code).toBe(
      [
        'route:',
        '  receiver: engops-checkout-api',
        'receivers:',
        '  - name: engops-checkout-api',
        '    webhook_configs:',
        `      - url: ${url}`,
        '        send_resolved: true',
      ].join('\n'),
    );
    expect(baseUrlOf({ kind: 'alertmanager', key, url })).toBe(base);
  });

  it('gives heartbeats a cron line when cron can express the interval, else a loop', () => {
    const url = `${base}/api/v1/integrations/${key}/heartbeat`;
    const cron = snippetsFor(
      {
        kind: 'heartbeat',
        name: 'backup',
        key,
        url,
        heartbeat: { interval_seconds: 300, grace_seconds: 60 },
      },
      'db',
    );
    expect(cron[1]?.code).toBe(`*/5 * * * * curl -fsS -m 10 -X POST '${url}' > /dev/null`);
    const loop = snippetsFor(
      { kind: 'heartbeat', name: 'fast', key, url, heartbeat: { interval_seconds: 45, grace_seconds: 15 } },
      'db',
    );
    expect(loop[1]?.code).toContain('sleep 45');
    expect(cronSchedule(3600)).toBe('0 * * * *');
    expect(cronSchedule(7 * 3600)).toBeNull();
  });

  it('masks a secret everywhere but its last four characters', () => {
    const masked = maskSecret(`key ${key} in ${base}/api/v1/integrations/${key}/generic`, key);
    expect(masked).not.toContain(key);
    expect(masked.match(/••••••••cdef/g)).toHaveLength(2);
  });
});
