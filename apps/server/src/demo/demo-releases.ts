import type { Service, StageEvent } from '@engops/contracts';
import type { Container } from '../container.ts';
import { systemPrincipal } from '../platform/access/permissions.ts';
import { AppError } from '../platform/errors.ts';

const DAY = 86_400_000;

/** A small deterministic generator (mulberry32), so every demo shows the same samples. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const samples = (next: () => number, n: number, centre: number, spread: number) =>
  Array.from({ length: n }, () => Math.round((centre + (next() - 0.5) * 2 * spread) * 100) / 100);

/**
 * The releases part of the demo: canary metric settings for checkout-api, a lean pipeline for the
 * second team, freeze windows, and three checkout-api releases: one in production (its monitor
 * window open), one in canary judged "rollback" on a latency regression, one in CI. Returns how
 * many releases it created (0 when already seeded).
 */
export async function seedReleasesDemo(container: Container, services: Service[]): Promise<number> {
  const ctx = { principal: systemPrincipal };
  const releases = container.releases.service;
  const checkout = services.find((s) => s.name === 'checkout-api');
  const gateway = services.find((s) => s.name === 'api-gateway');
  if (!checkout) return 0;
  const existing = await releases.list({ limit: 1, service_id: checkout.id }, systemPrincipal, () => {});
  if (existing.items.length > 0) return 0;

  await releases.putSettings(ctx, checkout, {
    metrics: [
      {
        metric: 'latency_p99_ms',
        direction: 'increase',
        tolerance: 0.1,
        critical: false,
        weight: 2,
        group: 'latency',
      },
      {
        metric: 'error_rate',
        direction: 'increase',
        tolerance: 0.05,
        critical: true,
        weight: 2,
        group: 'errors',
      },
      {
        metric: 'cpu_percent',
        direction: 'increase',
        tolerance: 0.2,
        critical: false,
        weight: 1,
        group: 'saturation',
      },
    ],
    rollback_hook_url: null,
    monitor_window_minutes: null,
  });
  if (gateway)
    await releases.createPipeline(ctx, {
      team_id: gateway.team_id,
      name: 'Edge pipeline',
      default: true,
      stages: [
        { name: 'build', kind: 'ci', required: true, approvals: 0 },
        { name: 'integration', kind: 'staging', required: true, approvals: 0 },
        { name: 'canary', required: true, approvals: 0 },
        { name: 'production', required: true, approvals: 1 },
        { name: 'monitor', required: true, approvals: 0 },
      ],
    });
  const now = container.clock.now().getTime();
  const friday = new Date(now);
  friday.setUTCDate(friday.getUTCDate() + ((5 - friday.getUTCDay() + 7) % 7 || 7));
  friday.setUTCHours(18, 0, 0, 0);
  await releases.createFreeze(ctx, {
    team_id: checkout.team_id,
    starts_at: friday.toISOString(),
    ends_at: new Date(friday.getTime() + 2.5 * DAY).toISOString(),
    reason: 'End-of-quarter close: no checkout changes',
  });
  await releases.createFreeze(ctx, {
    team_id: null,
    starts_at: new Date(now + 21 * DAY).toISOString(),
    ends_at: new Date(now + 28 * DAY).toISOString(),
    reason: 'Holiday freeze (whole organisation)',
  });

  /** A stage event; a gate closed by one of the demo's open incidents is overridden, with the reason kept. */
  const stage = async (id: string, name: string, status: StageEvent['status']) => {
    try {
      await releases.stageEvent(ctx, id, name, { status });
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'RELEASES_GATE_BLOCKED') throw error;
      await releases.stageEvent(ctx, id, name, {
        status,
        override: { reason: 'Demo: the fix for the open incident ships in this release' },
      });
    }
  };
  const create = async (version: string, sha: string) =>
    (await releases.create(ctx, { service_id: checkout.id, version, commit_sha: sha }, checkout)).release.id;
  const push = (id: string, group: 'canary' | 'baseline', metric: string, values: number[]) =>
    releases.pushMetrics(ctx, id, { group, metric, values });

  const next = random(20261101);
  // In production: a clean canary (promote), then production; the monitor window is open.
  const shipped = await create('2026.11.1', 'c0ffee0000000000000000000000000000000001');
  await stage(shipped, 'ci', 'started');
  await stage(shipped, 'ci', 'succeeded');
  await stage(shipped, 'staging', 'succeeded');
  await stage(shipped, 'canary', 'started');
  for (const group of ['canary', 'baseline'] as const) {
    await push(shipped, group, 'latency_p99_ms', samples(next, 30, 240, 30));
    await push(shipped, group, 'error_rate', samples(next, 30, 0.4, 0.2));
    await push(shipped, group, 'cpu_percent', samples(next, 30, 45, 8));
  }
  await releases.judge(ctx, shipped);
  await stage(shipped, 'canary', 'succeeded');
  await stage(shipped, 'production', 'started');
  await stage(shipped, 'production', 'succeeded');

  // In canary: p99 latency up about 25%; the judge says roll back.
  const regressed = await create('2026.11.2', 'c0ffee0000000000000000000000000000000002');
  await stage(regressed, 'ci', 'succeeded');
  await stage(regressed, 'staging', 'succeeded');
  await stage(regressed, 'canary', 'started');
  await push(regressed, 'canary', 'latency_p99_ms', samples(next, 30, 300, 30));
  await push(regressed, 'baseline', 'latency_p99_ms', samples(next, 30, 240, 30));
  await push(regressed, 'canary', 'error_rate', samples(next, 30, 0.4, 0.2));
  await push(regressed, 'baseline', 'error_rate', samples(next, 30, 0.4, 0.2));
  await push(regressed, 'canary', 'cpu_percent', samples(next, 30, 47, 8));
  await push(regressed, 'baseline', 'cpu_percent', samples(next, 30, 45, 8));
  await releases.judge(ctx, regressed);

  // In CI.
  const building = await create('2026.11.3', 'c0ffee0000000000000000000000000000000003');
  await stage(building, 'ci', 'started');
  return 3;
}
