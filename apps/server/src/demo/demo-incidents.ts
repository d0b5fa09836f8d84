import type { Service } from '@engops/contracts';
import type { Container } from '../container.ts';
import { createIncidentsHistoryWriter } from '../modules/incidents/index.ts';
import { systemPrincipal } from '../platform/access/permissions.ts';
import { fixedClock } from '../platform/clock.ts';

const DAY = 24 * 3600_000;
const MIN = 60_000;

/** A deterministic pseudo-random sequence, so every demo database tells the same story. */
function sequence(seed: number) {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

const HISTORY: Array<{
  service: string;
  title: string;
  severity: 'SEV1' | 'SEV2' | 'SEV3' | 'SEV4';
  via: 'alert' | 'manual';
  mitigate: boolean;
}> = [
  {
    service: 'checkout-api',
    title: 'Checkout 5xx rate above 2%',
    severity: 'SEV1',
    via: 'alert',
    mitigate: true,
  },
  {
    service: 'api-gateway',
    title: 'p99 latency above 800 ms at the edge',
    severity: 'SEV2',
    via: 'alert',
    mitigate: true,
  },
  {
    service: 'billing-worker',
    title: 'Invoice retries piling up in the queue',
    severity: 'SEV3',
    via: 'alert',
    mitigate: false,
  },
  {
    service: 'identity',
    title: 'Login failures after certificate rotation',
    severity: 'SEV1',
    via: 'manual',
    mitigate: true,
  },
  {
    service: 'mobile-bff',
    title: 'iOS app cannot load the home feed',
    severity: 'SEV2',
    via: 'manual',
    mitigate: true,
  },
  {
    service: 'push-notifications',
    title: 'FCM delivery delayed by 20 minutes',
    severity: 'SEV3',
    via: 'alert',
    mitigate: false,
  },
  {
    service: 'payouts',
    title: 'Payout batch stuck for EU merchants',
    severity: 'SEV2',
    via: 'manual',
    mitigate: true,
  },
  { service: 'ci-runners', title: 'Runners out of disk', severity: 'SEV4', via: 'alert', mitigate: false },
  {
    service: 'checkout-api',
    title: 'Card tokenisation timeouts',
    severity: 'SEV2',
    via: 'alert',
    mitigate: true,
  },
  {
    service: 'api-gateway',
    title: 'Rate limiter rejecting healthy traffic',
    severity: 'SEV2',
    via: 'manual',
    mitigate: true,
  },
  { service: 'identity', title: 'Session store failover', severity: 'SEV3', via: 'alert', mitigate: true },
  {
    service: 'billing-worker',
    title: 'Duplicate invoice emails',
    severity: 'SEV3',
    via: 'manual',
    mitigate: false,
  },
];

/**
 * The incidents part of the demo: integrations on the busiest services, six weeks of resolved
 * incidents with realistic response times, and two that are still open. Skipped when incidents exist.
 */
export async function seedIncidentsDemo(container: Container, services: Service[]): Promise<number> {
  const existing = await container.incidents.service.list({ limit: 1 });
  if (existing.items.length > 0) return 0;
  const byName = new Map(services.map((s) => [s.name, s]));
  const ctx = { principal: systemPrincipal };
  const now = container.clock.now().getTime();
  const clock = fixedClock(new Date(now - 45 * DAY));
  const writer = createIncidentsHistoryWriter({ ...container, catalog: container.catalog.service, clock });
  const random = sequence(42);

  const integrations = new Map<string, Awaited<ReturnType<typeof container.incidents.integrations.create>>>();
  for (const [service, kind, name] of [
    ['checkout-api', 'events-v2', 'Datadog monitors'],
    ['api-gateway', 'alertmanager', 'Prometheus (prod)'],
    ['billing-worker', 'alertmanager', 'Prometheus (prod)'],
    ['identity', 'grafana', 'Grafana alerts'],
    ['push-notifications', 'generic', 'Delivery checker script'],
    ['ci-runners', 'events-v2', 'Runner autoscaler'],
    ['payouts', 'heartbeat', 'Nightly payout batch'],
  ] as const) {
    const svc = byName.get(service);
    if (!svc) continue;
    integrations.set(
      service,
      await container.incidents.integrations.create(ctx, svc.id, {
        kind,
        name,
        ...(kind === 'heartbeat'
          ? { heartbeat_interval_seconds: 86_400, heartbeat_grace_seconds: 3_600 }
          : {}),
      }),
    );
  }

  let created = 0;
  const people = (await container.catalog.service.listUsers({ limit: 50 })).items;
  for (const [i, h] of HISTORY.entries()) {
    const svc = byName.get(h.service);
    if (!svc) continue;
    const start = now - 44 * DAY + i * 3.5 * DAY + Math.floor(random() * 8) * 3600_000;
    clock.set(new Date(start));
    const integration = integrations.get(h.service);
    let incidentId: string;
    if (h.via === 'alert' && integration && integration.kind !== 'heartbeat') {
      const target = await writer.ingest.target(integration.key);
      if (!target) continue;
      const [result] = await writer.ingest.ingest(
        target,
        [
          {
            action: 'trigger',
            dedupKey: `demo-${i}`,
            summary: h.title,
            severity: h.severity === 'SEV1' ? 'critical' : h.severity === 'SEV2' ? 'error' : 'warning',
            source: `${h.service}-prod`,
            details: { region: 'eu-west-1' },
            links: [],
          },
        ],
        { demo: true },
      );
      incidentId = result!.incidentId!;
    } else {
      incidentId = (
        await writer.service.declare(ctx, { service_id: svc.id, title: h.title, severity: h.severity })
      ).id;
    }
    const responder = people.find((p) =>
      p.teams.some((t) => t.team_id === svc.team_id && t.role !== 'viewer'),
    );
    const actor = responder
      ? {
          principal: {
            ...systemPrincipal,
            kind: 'user' as const,
            id: responder.id,
            userId: responder.id,
            name: responder.name,
          },
        }
      : ctx;
    clock.advance((2 + Math.floor(random() * 14)) * MIN);
    await writer.service.act(actor, incidentId, 'acknowledge');
    if (responder) await writer.service.update(actor, incidentId, { commander_id: responder.id });
    clock.advance((5 + Math.floor(random() * 20)) * MIN);
    await writer.service.addNote(actor, incidentId, 'Rolled back the last deploy; watching error rates.');
    if (h.mitigate) {
      clock.advance((10 + Math.floor(random() * 50)) * MIN);
      await writer.service.act(actor, incidentId, 'mitigate');
    }
    clock.advance((30 + Math.floor(random() * 240)) * MIN);
    await writer.service.act(actor, incidentId, 'resolve');
    created++;
  }

  // Still open: one fresh alert and one being worked on.
  clock.set(new Date(now - 25 * MIN));
  const checkout = integrations.get('checkout-api');
  const target = checkout ? await writer.ingest.target(checkout.key) : undefined;
  if (target) {
    await writer.ingest.ingest(
      target,
      [
        {
          action: 'trigger',
          dedupKey: 'demo-open-1',
          summary: 'Payment provider timeouts above 5%',
          severity: 'critical',
          source: 'checkout-api-prod',
          details: { provider: 'acme-pay', timeout_rate: 0.071 },
          links: [{ href: 'https://status.acme-pay.example', text: 'Provider status' }],
        },
      ],
      { demo: true },
    );
    created++;
  }
  const bff = byName.get('mobile-bff');
  if (bff) {
    clock.set(new Date(now - 70 * MIN));
    const open = await writer.service.declare(ctx, {
      service_id: bff.id,
      title: 'Android crash rate up after 5.12 release',
      severity: 'SEV2',
      description: 'Crash-free sessions fell from 99.6% to 97.9%.',
    });
    clock.set(new Date(now - 62 * MIN));
    await writer.service.act(ctx, open.id, 'acknowledge');
    created++;
  }
  return created;
}
