import type { Container } from '../container.ts';
import { systemPrincipal } from '../platform/access/permissions.ts';

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
 * Fills a fresh database with a demo organisation that every page can show. Each module adds its
 * part here. Does nothing when the database already has people in it.
 */
export async function seedDemo(
  container: Container,
): Promise<{ created: boolean; adminEmail: string; adminPassword: string }> {
  const result = { adminEmail: DEMO_ADMIN_EMAIL, adminPassword: DEMO_PASSWORD };
  const catalog = container.catalog.service;
  if ((await catalog.countUsers()) > 0) return { created: false, ...result };
  const ctx = { principal: systemPrincipal };

  await catalog.createUser(ctx, {
    email: DEMO_ADMIN_EMAIL,
    name: 'Demo Admin',
    time_zone: 'UTC',
    role: 'admin',
    password: DEMO_PASSWORD,
  });
  const teams = [];
  for (const t of TEAMS) teams.push(await catalog.createTeam(ctx, t));
  const people = [];
  for (const p of PEOPLE) {
    const user = await catalog.createUser(ctx, {
      email: p.email,
      name: p.name,
      time_zone: p.tz,
      role: p.org,
      password: DEMO_PASSWORD,
    });
    await catalog.addMember(ctx, teams[p.team]!.id, user.id, p.role);
    people.push(user);
  }
  for (const s of SERVICES) {
    const team = teams[s.team]!;
    await catalog.createService(ctx, {
      name: s.name,
      team_id: team.id,
      tier: s.tier,
      description: s.description,
      runbook_url: `https://runbooks.demo.engops.test/${s.name}`,
      repository_url: `https://git.demo.engops.test/${team.name.toLowerCase()}/${s.name}`,
    });
  }
  return { created: true, ...result };
}
