import type { FlagStrategyInput, Service } from '@engops/contracts';
import type { Container } from '../container.ts';
import { type Principal, systemPrincipal } from '../platform/access/permissions.ts';

const DAY = 86_400_000;

/** A small deterministic generator (mulberry32), so every demo shows the same experiment. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const rollout = (percent: number, groupId: string): FlagStrategyInput => ({
  name: 'flexibleRollout',
  parameters: { rollout: String(percent), stickiness: 'default', groupId },
  constraints: [],
});

/**
 * Feature flags for the demo organisation: a checkout flag on a gradual rollout plan that watches
 * checkout-api for incidents, an A/B experiment with two weeks of exposures and conversions, an
 * old flag that has been fully on for three months (the stale-flag report lists it), production
 * behind approval with one change waiting for a second person. Returns how many records it
 * created (0 when already seeded).
 */
export async function seedFlagsDemo(container: Container, services: Service[]): Promise<number> {
  const ctx = { principal: systemPrincipal };
  const flags = container.flags.service;
  if ((await flags.listFlags()).some((f) => f.key === 'checkout.one-page')) return 0;
  const checkout = services.find((s) => s.name === 'checkout-api');
  const search = services.find((s) => s.name === 'mobile-bff') ?? services[1];
  const now = container.clock.now().getTime();
  let created = 0;

  await flags.createFlag(ctx, {
    key: 'checkout.one-page',
    type: 'boolean',
    description: 'The one-page checkout',
    owner_team_id: checkout?.team_id ?? null,
    tags: ['checkout', 'release'],
  });
  await flags.updateEnvironment(ctx, 'checkout.one-page', 'development', { enabled: true });
  await flags.updateEnvironment(ctx, 'checkout.one-page', 'staging', {
    enabled: true,
    strategies: [rollout(100, 'checkout.one-page')],
  });
  await container.flags.plans.create(ctx, 'checkout.one-page', {
    environment: 'production',
    steps: [1, 5, 25, 50, 100],
    interval_minutes: 60,
    service_ids: checkout ? [checkout.id] : [],
  });
  created += 2;

  await flags.createFlag(ctx, {
    key: 'search.ranking-v2',
    type: 'string',
    description: 'A/B test: the new ranking model against the current one',
    owner_team_id: search?.team_id ?? null,
    tags: ['experiment'],
    variants: ['control', 'ranking-v2'].map((name) => ({
      name,
      weight: 500,
      stickiness: 'default',
      payload: { type: 'string', value: name },
    })),
  });
  await flags.updateEnvironment(ctx, 'search.ranking-v2', 'production', { enabled: true });
  // Two weeks of traffic: 1,500 users per variant; 10% convert with control, 13.5% with ranking-v2.
  const next = random(4711);
  const events: Parameters<typeof container.flags.experiments.record>[0] = [];
  for (const [variant, rate] of [
    ['control', 0.1],
    ['ranking-v2', 0.135],
  ] as const) {
    for (let i = 0; i < 1500; i++) {
      const at = new Date(now - 14 * DAY + next() * 13 * DAY).toISOString();
      const user_key = `demo-user-${variant}-${i}`;
      events.push({ type: 'exposure', flag_key: 'search.ranking-v2', variant, user_key, at });
      if (next() < rate)
        events.push({
          type: 'conversion',
          flag_key: 'search.ranking-v2',
          variant,
          user_key,
          metric: 'conversion',
          at: new Date(Date.parse(at) + 3600_000).toISOString(),
        });
    }
  }
  for (let i = 0; i < events.length; i += 1000)
    await container.flags.experiments.record(events.slice(i, i + 1000));
  // What the search app's Unleash SDK reported over the same two weeks: evaluations per variant
  // (no user ids), one hourly bucket a day: control 300 + 3d, ranking-v2 296 + 4d on day d.
  for (let d = 0; d < 14; d++) {
    const control = 300 + 3 * d;
    const ranking = 296 + 4 * d;
    await flags.recordMetrics('production', {
      appName: 'search-web',
      bucket: {
        start: new Date(now - (14 - d) * DAY).toISOString(),
        toggles: {
          'search.ranking-v2': {
            yes: control + ranking,
            no: 0,
            variants: { control, 'ranking-v2': ranking },
          },
        },
      },
    });
  }
  created += 1;

  // Fully on since long ago: backdated, as the history it stands for.
  await flags.createFlag(ctx, {
    key: 'payments.3ds-v1',
    type: 'boolean',
    description: 'The old 3-D Secure flow (fully rolled out; ready for cleanup)',
    owner_team_id: checkout?.team_id ?? null,
    tags: ['payments'],
  });
  await flags.updateEnvironment(ctx, 'payments.3ds-v1', 'production', { enabled: true });
  const longAgo = new Date(now - 95 * DAY).toISOString();
  await container.db
    .updateTable('flags')
    .set({ created_at: longAgo })
    .where('key', '=', 'payments.3ds-v1')
    .execute();
  await container.db
    .updateTable('flag_environment_configs')
    .set({ updated_at: longAgo })
    .where('flag_key', '=', 'payments.3ds-v1')
    .execute();
  created += 1;

  // Production behind approval; a change someone asked for waits for a second person.
  await flags.updateEnvironmentSettings(ctx, 'production', { require_approval: true });
  const farah = await container.catalog.service.findUserByEmail('farah@demo.engops.test');
  const requester: Principal = farah
    ? {
        kind: 'user',
        id: farah.id,
        name: farah.name,
        userId: farah.id,
        orgRole: null,
        teamRoles: new Map(),
      }
    : { ...systemPrincipal, id: 'demo-requester', name: 'Demo requester' };
  await container.flags.changeRequests.create(
    { principal: requester },
    {
      kind: 'environment',
      flag_key: 'search.ranking-v2',
      environment: 'production',
      change: { variants: [{ name: 'ranking-v2', weight: 1000, stickiness: 'default' }] },
      reason: 'ranking-v2 wins the experiment: send everyone to it',
    },
  );
  return created + 2;
}
