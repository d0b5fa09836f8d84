import type { Service, Team } from '@engops/contracts';
import type { Container } from '../container.ts';
import { systemPrincipal } from '../platform/access/permissions.ts';
import { AppError } from '../platform/errors.ts';
import { seedDoraDemo } from './demo-dora.ts';
import { seedFlagsDemo } from './demo-flags.ts';
import { seedIncidentsDemo } from './demo-incidents.ts';
import { seedOncallDemo } from './demo-oncall.ts';
import { seedPostmortemsDemo } from './demo-postmortems.ts';
import { seedReleasesDemo } from './demo-releases.ts';
import { seedSecurityDemo } from './demo-security.ts';
import { seedWorkflowDemo } from './demo-workflow.ts';

export const DEMO_ADMIN_EMAIL = 'admin@demo.engops.test';
export const DEMO_PASSWORD = 'demo-password-1';

const TEAMS = [
  { name: 'Payments', time_zone: 'America/New_York', description: 'Checkout, billing and payouts.' },
  {
    name: 'Platform',
    time_zone: 'Europe/Berlin',
    description: 'Shared infrastructure, CI/CD and developer tooling.',
  },
  { name: 'Mobile', time_zone: 'Asia/Tokyo', description: 'iOS and Android apps and their API gateway.' },
];

const PEOPLE: Array<{
  name: string;
  email: string;
  tz: string;
  team: number;
  role: 'viewer' | 'responder' | 'manager';
  org: 'viewer' | 'responder' | 'manager' | 'admin';
}> = [
  {
    name: 'Ada Okafor',
    email: 'ada@demo.engops.test',
    tz: 'America/New_York',
    team: 0,
    role: 'manager',
    org: 'manager',
  },
  {
    name: 'Bruno Silva',
    email: 'bruno@demo.engops.test',
    tz: 'America/Sao_Paulo',
    team: 0,
    role: 'responder',
    org: 'responder',
  },
  {
    name: 'Chen Wei',
    email: 'chen@demo.engops.test',
    tz: 'America/Los_Angeles',
    team: 0,
    role: 'responder',
    org: 'responder',
  },
  {
    name: 'Dana Novak',
    email: 'dana@demo.engops.test',
    tz: 'America/Chicago',
    team: 0,
    role: 'responder',
    org: 'responder',
  },
  {
    name: 'Emil Larsen',
    email: 'emil@demo.engops.test',
    tz: 'Europe/Berlin',
    team: 1,
    role: 'manager',
    org: 'manager',
  },
  {
    name: 'Farah Haddad',
    email: 'farah@demo.engops.test',
    tz: 'Europe/London',
    team: 1,
    role: 'responder',
    org: 'responder',
  },
  {
    name: 'Goran Petrov',
    email: 'goran@demo.engops.test',
    tz: 'Europe/Sofia',
    team: 1,
    role: 'responder',
    org: 'responder',
  },
  {
    name: 'Hana Sato',
    email: 'hana@demo.engops.test',
    tz: 'Asia/Tokyo',
    team: 2,
    role: 'manager',
    org: 'manager',
  },
  {
    name: 'Ivan Morales',
    email: 'ivan@demo.engops.test',
    tz: 'Asia/Tokyo',
    team: 2,
    role: 'responder',
    org: 'viewer',
  },
];

const SERVICES = [
  { name: 'checkout-api', team: 0, tier: 'tier-1' as const, description: 'Takes orders and payments.' },
  {
    name: 'billing-worker',
    team: 0,
    tier: 'tier-2' as const,
    description: 'Invoices and retries failed charges.',
  },
  { name: 'payouts', team: 0, tier: 'tier-1' as const, description: 'Merchant payouts.' },
  { name: 'ci-runners', team: 1, tier: 'tier-3' as const, description: 'Build and test runners.' },
  {
    name: 'api-gateway',
    team: 1,
    tier: 'tier-1' as const,
    description: 'Edge routing, auth and rate limiting.',
  },
  { name: 'identity', team: 1, tier: 'tier-1' as const, description: 'Login, sessions and tokens.' },
  { name: 'mobile-bff', team: 2, tier: 'tier-2' as const, description: 'Backend for the mobile apps.' },
  { name: 'push-notifications', team: 2, tier: 'tier-3' as const, description: 'APNs and FCM delivery.' },
];

/**
 * What seedDemo did: `created` on an empty database; `completed` when it finished the demo data of
 * an earlier run that stopped half-way; `present` when the demo data was already complete;
 * `not-empty` when the database has people who are not the demo's, so nothing was touched.
 */
export type DemoOutcome = 'created' | 'completed' | 'present' | 'not-empty';

const TAKEN = new Set(['CATALOG_TEAM_NAME_TAKEN', 'CATALOG_USER_EMAIL_TAKEN', 'CATALOG_SERVICE_NAME_TAKEN']);

/**
 * Returns the existing record, or creates it. A create that loses a race with another seeder (the
 * unique constraint answers) reads the winner's record instead of failing.
 */
async function getOrCreate<T>(
  find: () => Promise<T | undefined>,
  create: () => Promise<T>,
): Promise<{ value: T; created: boolean }> {
  const existing = await find();
  if (existing) return { value: existing, created: false };
  try {
    return { value: await create(), created: true };
  } catch (error) {
    if (error instanceof AppError && TAKEN.has(error.code)) {
      const winner = await find();
      if (winner) return { value: winner, created: false };
    }
    throw error;
  }
}

async function findTeamByName(container: Container, name: string): Promise<Team | undefined> {
  let cursor: string | undefined;
  do {
    const page = await container.catalog.service.listTeams({ limit: 200, ...(cursor ? { cursor } : {}) });
    const hit = page.items.find((t) => t.name === name);
    if (hit) return hit;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return undefined;
}

/**
 * Fills a fresh database with a demo organisation that every page can show. Each module adds its
 * part here. Safe to run again and from two processes at once: every record is looked up before it
 * is created (by email, team name or service name), so a second run creates nothing and a run that
 * stopped half-way is completed. The demo admin, created first, marks a database as a demo one: a
 * database with other people in it is left untouched.
 */
export async function seedDemo(
  container: Container,
): Promise<{ created: boolean; outcome: DemoOutcome; adminEmail: string; adminPassword: string }> {
  const credentials = { adminEmail: DEMO_ADMIN_EMAIL, adminPassword: DEMO_PASSWORD };
  const catalog = container.catalog.service;
  const empty = (await catalog.countUsers()) === 0;
  if (!empty && !(await catalog.findUserByEmail(DEMO_ADMIN_EMAIL))) {
    return { created: false, outcome: 'not-empty', ...credentials };
  }
  const ctx = { principal: systemPrincipal };
  let createdCount = 0;
  const ensure = async <T>(find: () => Promise<T | undefined>, create: () => Promise<T>): Promise<T> => {
    const { value, created } = await getOrCreate(find, create);
    if (created) createdCount++;
    return value;
  };

  await ensure(
    () => catalog.findUserByEmail(DEMO_ADMIN_EMAIL),
    () =>
      catalog.createUser(ctx, {
        email: DEMO_ADMIN_EMAIL,
        name: 'Demo Admin',
        time_zone: 'UTC',
        role: 'admin',
        password: DEMO_PASSWORD,
      }),
  );
  const teams: Team[] = [];
  for (const t of TEAMS) {
    teams.push(
      await ensure(
        () => findTeamByName(container, t.name),
        () => catalog.createTeam(ctx, t),
      ),
    );
  }
  for (const p of PEOPLE) {
    const user = await ensure(
      () => catalog.findUserByEmail(p.email),
      () =>
        catalog.createUser(ctx, {
          email: p.email,
          name: p.name,
          time_zone: p.tz,
          role: p.org,
          password: DEMO_PASSWORD,
        }),
    );
    const team = teams[p.team]!;
    if (!user.teams.some((m) => m.team_id === team.id)) {
      await catalog.addMember(ctx, team.id, user.id, p.role);
      createdCount++;
    }
  }
  const services: Service[] = [];
  for (const s of SERVICES) {
    const team = teams[s.team]!;
    const service = await ensure(
      () => catalog.findService(s.name),
      () =>
        catalog.createService(ctx, {
          name: s.name,
          team_id: team.id,
          tier: s.tier,
          description: s.description,
          runbook_url: `https://runbooks.demo.engops.test/${s.name}`,
          repository_url: `https://git.demo.engops.test/${team.name.toLowerCase()}/${s.name}`,
        }),
    );
    services.push(service);
  }
  createdCount += await seedOncallDemo(container, services);
  createdCount += await seedIncidentsDemo(container, services);
  createdCount += await seedDoraDemo(container, services);
  createdCount += await seedFlagsDemo(container, services);
  createdCount += await seedWorkflowDemo(container, services);
  createdCount += await seedPostmortemsDemo(container);
  createdCount += await seedReleasesDemo(container, services);
  createdCount += await seedSecurityDemo(container, services);
  const outcome: DemoOutcome = empty ? 'created' : createdCount > 0 ? 'completed' : 'present';
  return { created: outcome === 'created' || outcome === 'completed', outcome, ...credentials };
}
