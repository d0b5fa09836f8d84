import type { Service } from '@engops/contracts';
import type { Container } from '../container.ts';
import { systemPrincipal } from '../platform/access/permissions.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** A small deterministic generator (mulberry32), so every demo shows the same history. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const hex = (next: () => number) =>
  Array.from({ length: 40 }, () => Math.floor(next() * 16).toString(16)).join('');

/** How often each demo service ships: deploys per day, and its typical lead time in hours. */
const PROFILES: Record<string, { perDay: number; leadHours: number; failure: number }> = {
  'checkout-api': { perDay: 1.6, leadHours: 5, failure: 0.08 },
  'api-gateway': { perDay: 0.5, leadHours: 30, failure: 0.12 },
  'mobile-bff': { perDay: 0.12, leadHours: 120, failure: 0.2 },
};

/**
 * About four months of production deployments with their commits for three services: some fail,
 * some are rolled back, some are hotfixes; the demo's first checkout-api incident is linked to
 * the deployment before it. Returns how many deployments it created (0 when already seeded).
 */
export async function seedDoraDemo(container: Container, services: Service[]): Promise<number> {
  const ctx = { principal: systemPrincipal };
  const dora = container.dora.service;
  const now = container.clock.now().getTime();
  const start = now - 120 * DAY;
  let created = 0;
  for (const service of services) {
    const profile = PROFILES[service.name];
    if (!profile) continue;
    const existing = await dora.list({ limit: 1, service_id: service.id }, systemPrincipal, () => {});
    if (existing.items.length > 0) continue;
    const next = random(service.name.length * 7919);
    let previousOk: string | undefined;
    let version = 0;
    for (let day = 0; day < 120; day++) {
      const expected = profile.perDay;
      let count = Math.floor(expected) + (next() < expected - Math.floor(expected) ? 1 : 0);
      if (new Date(start + day * DAY).getUTCDay() % 6 === 0) count = next() < 0.2 ? count : 0; // quiet weekends
      for (let i = 0; i < count; i++) {
        const finished = start + day * DAY + (9 + next() * 8) * HOUR;
        if (finished >= now) continue;
        const commits = Array.from({ length: 1 + Math.floor(next() * 4) }, () => ({
          sha: hex(next),
          committed_at: new Date(finished - (0.2 + next() * 2) * profile.leadHours * HOUR).toISOString(),
          message: 'demo change',
        }));
        const head = commits[commits.length - 1]!;
        const failed = next() < profile.failure;
        version++;
        const deployment = await dora.record(
          ctx,
          {
            service_id: service.id,
            environment: 'production',
            version: `1.${version}.0`,
            commit_sha: head.sha,
            status: failed ? 'failure' : 'success',
            started_at: new Date(finished - 8 * 60_000).toISOString(),
            finished_at: new Date(finished).toISOString(),
            kind: 'normal',
            external_id: `demo-${service.name}-${version}`,
            commits,
          },
          service,
        );
        created++;
        // Now and then a successful deployment goes bad and is rolled back within the hour.
        if (!failed && previousOk && next() < 0.05) {
          version++;
          await dora.record(
            ctx,
            {
              service_id: service.id,
              environment: 'production',
              version: `1.${version}.0`,
              commit_sha: previousOk,
              status: 'success',
              finished_at: new Date(finished + 40 * 60_000).toISOString(),
              kind: 'rollback',
              rollback_of: deployment.id,
              external_id: `demo-${service.name}-${version}`,
            },
            service,
          );
          created++;
        } else if (!failed) previousOk = head.sha;
        // A failed deployment is followed by a hotfix.
        if (failed && finished + 2 * HOUR < now) {
          version++;
          const fix = {
            sha: hex(next),
            committed_at: new Date(finished + HOUR).toISOString(),
            message: 'hotfix',
          };
          await dora.record(
            ctx,
            {
              service_id: service.id,
              environment: 'production',
              version: `1.${version}.0`,
              commit_sha: fix.sha,
              status: 'success',
              finished_at: new Date(finished + 2 * HOUR).toISOString(),
              kind: 'hotfix',
              external_id: `demo-${service.name}-${version}`,
              commits: [fix],
            },
            service,
          );
          previousOk = fix.sha;
          created++;
        }
      }
    }
  }
  if (created > 0) await linkDemoIncident(container, services);
  await mapDemoRepository(container, services);
  return created;
}

/** Names, as a responder would, the deployment behind the first checkout-api incident. */
async function linkDemoIncident(container: Container, services: Service[]): Promise<void> {
  const checkout = services.find((s) => s.name === 'checkout-api');
  if (!checkout) return;
  const incidents = await container.incidents.service.list({ limit: 200, serviceId: checkout.id });
  const first = [...incidents.items].sort((a, b) => a.triggered_at.localeCompare(b.triggered_at))[0];
  if (!first || first.caused_by_deployment_id) return;
  const deployments = await container.dora.service.list(
    { limit: 200, service_id: checkout.id, status: 'success', to: first.triggered_at },
    systemPrincipal,
    () => {},
  );
  const cause = [...deployments.items].sort((a, b) => b.finished_at.localeCompare(a.finished_at))[0];
  if (!cause) return;
  await container.incidents.service.update({ principal: systemPrincipal }, first.id, {
    caused_by_deployment_id: cause.id,
  });
}

/**
 * An explicit repository mapping, as an admin would add one for a monorepo: the gateway's
 * deliveries come from "acme/platform", whose "release.yml" workflow runs are its deployments.
 */
async function mapDemoRepository(container: Container, services: Service[]): Promise<void> {
  const gateway = services.find((s) => s.name === 'api-gateway');
  if (!gateway) return;
  const dora = container.dora.service;
  const existing = await dora.listRepositories(systemPrincipal, () => {}, { service_id: gateway.id });
  if (existing.items.length) return;
  await dora.mapRepository(
    { principal: systemPrincipal },
    {
      repository_url: 'https://github.com/acme/platform',
      service_id: gateway.id,
      deploy_workflows: ['release.yml'],
    },
    gateway,
  );
}
