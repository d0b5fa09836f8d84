import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  describeEachEngine,
  ENGINES,
  type TestApp,
} from '../../../../test-support/engines.ts';
import { PERMISSIONS, type Permission } from '../platform/access/permissions.ts';
import { fixedClock } from '../platform/clock.ts';

/**
 * Least privilege, proven over every route the OpenAPI document lists: no credentials -> 401,
 * a viewer -> 403 on whatever needs more than viewer, an admin -> neither; rejected requests write
 * nothing. Then team-scoped grants (tokens and session users) and dead tokens (revoked, expired).
 */

interface Operation {
  method: string;
  path: string;
  key: string;
  isPublic: boolean;
  permission: Permission | undefined;
}

interface Fixture {
  teamA: string;
  teamB: string;
  serviceA: string;
  serviceB: string;
  user: string;
  member: string;
  notification: string;
  spareTeam: string;
  spareService: string;
  spareToken: string;
}

interface Sample {
  /** Path parameters. */
  params?: Record<string, string>;
  body?: unknown;
  /** The status an org admin gets with this sample. */
  admin: number;
}

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const TABLES = [
  'audit_log',
  'teams',
  'team_members',
  'services',
  'users',
  'api_tokens',
  'sessions',
  'policy',
  'notifications',
  'jobs',
] as const;

const unique = () => randomBytes(4).toString('hex');

/** Requests that succeed for an admin, per documented operation; others get placeholders. */
function samplesFor(f: Fixture, policyVersion: () => number): Record<string, () => Sample> {
  return {
    'GET /api/v1/auth/session': () => ({ admin: 200 }),
    'GET /api/v1/tokens': () => ({ admin: 200 }),
    'POST /api/v1/tokens': () => ({ body: { name: `t-${unique()}`, role: 'viewer' }, admin: 201 }),
    'DELETE /api/v1/tokens/{id}': () => ({ params: { id: f.spareToken }, admin: 200 }),
    'GET /api/v1/teams': () => ({ admin: 200 }),
    'POST /api/v1/teams': () => ({ body: { name: `Team ${unique()}`, time_zone: 'UTC' }, admin: 201 }),
    'GET /api/v1/teams/{id}': () => ({ params: { id: f.teamA }, admin: 200 }),
    'PATCH /api/v1/teams/{id}': () => ({ params: { id: f.teamA }, body: { description: 'A' }, admin: 200 }),
    'DELETE /api/v1/teams/{id}': () => ({ params: { id: f.spareTeam }, admin: 204 }),
    'GET /api/v1/teams/{id}/members': () => ({ params: { id: f.teamA }, admin: 200 }),
    'POST /api/v1/teams/{id}/members': () => ({
      params: { id: f.teamA },
      body: { user_id: f.user, role: 'responder' },
      admin: 201,
    }),
    'DELETE /api/v1/teams/{id}/members/{user_id}': () => ({
      params: { id: f.teamA, user_id: f.member },
      admin: 204,
    }),
    'GET /api/v1/users': () => ({ admin: 200 }),
    'POST /api/v1/users': () => ({
      body: { email: `u-${unique()}@example.test`, name: 'New Person' },
      admin: 201,
    }),
    'GET /api/v1/users/{id}': () => ({ params: { id: f.user }, admin: 200 }),
    'PATCH /api/v1/users/{id}': () => ({ params: { id: f.user }, body: { name: 'Renamed' }, admin: 200 }),
    'GET /api/v1/services': () => ({ admin: 200 }),
    'POST /api/v1/services': () => ({ body: { name: `svc-${unique()}`, team_id: f.teamA }, admin: 201 }),
    'GET /api/v1/services/{id}': () => ({ params: { id: f.serviceA }, admin: 200 }),
    'PATCH /api/v1/services/{id}': () => ({
      params: { id: f.serviceA },
      body: { description: 'A service' },
      admin: 200,
    }),
    'DELETE /api/v1/services/{id}': () => ({ params: { id: f.spareService }, admin: 204 }),
    'GET /api/v1/policy': () => ({ admin: 200 }),
    'PUT /api/v1/policy': () => ({ body: { policy: {}, version: policyVersion() }, admin: 200 }),
    'GET /api/v1/audit-log': () => ({ admin: 200 }),
    'GET /api/v1/notifications': () => ({ admin: 200 }),
    'GET /api/v1/notifications/{id}': () => ({ params: { id: f.notification }, admin: 200 }),
    'POST /api/v1/notifications': () => ({
      body: { channel: 'webhook', target: 'http://127.0.0.1:9/hook', subject: 'test' },
      admin: 202,
    }),
  };
}

function urlOf(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, (_m, name: string) => params[name] ?? `missing_${name}`);
}

async function operations(t: TestApp): Promise<Operation[]> {
  const doc = await t.call('GET', '/openapi.json', { token: null });
  expect(doc.status).toBe(200);
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.json.paths as Record<string, Record<string, unknown>>)) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = raw as { security?: unknown[]; 'x-permission'?: Permission };
      const isPublic = Array.isArray(op.security) && op.security.length === 0;
      ops.push({
        method: method.toUpperCase(),
        path,
        key: `${method.toUpperCase()} ${path}`,
        isPublic,
        permission: op['x-permission'],
      });
    }
  }
  return ops;
}

async function counts(t: TestApp): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of TABLES) {
    const row = await t.container.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}

/** Creates a user with a password, optionally a team member, and logs them in. */
async function sessionFor(
  t: TestApp,
  options: { role: 'viewer' | 'responder' | 'manager' | 'admin' | null; team?: [string, string] },
): Promise<{ userId: string; headers: Record<string, string> }> {
  const email = `s-${unique()}@example.test`;
  const password = 'a long enough password';
  const user = await t.call('POST', '/api/v1/users', {
    body: { email, name: 'Session Person', role: options.role, password },
  });
  expect(user.status).toBe(201);
  if (options.team) {
    const [teamId, role] = options.team;
    const m = await t.call('POST', `/api/v1/teams/${teamId}/members`, {
      body: { user_id: user.json.id, role },
    });
    expect(m.status).toBe(201);
  }
  const login = await t.call('POST', '/api/v1/auth/login', { token: null, body: { email, password } });
  expect(login.status).toBe(200);
  const cookie = String(login.headers['set-cookie']).split(';')[0]!;
  return { userId: user.json.id, headers: { cookie, 'x-csrf-token': login.json.csrf_token } };
}

describeEachEngine('authorization', (get) => {
  let f: Fixture;

  beforeAll(async () => {
    const t = get();
    const id = async (method: string, url: string, body: unknown, status: number) => {
      const res = await t.call(method, url, { body });
      expect(res.status, `${method} ${url}: ${res.body}`).toBe(status);
      return res.json.id as string;
    };
    const teamA = await id('POST', '/api/v1/teams', { name: 'Team A', time_zone: 'UTC' }, 201);
    const teamB = await id('POST', '/api/v1/teams', { name: 'Team B', time_zone: 'Europe/Berlin' }, 201);
    const user = await id('POST', '/api/v1/users', { email: 'user@example.test', name: 'User' }, 201);
    const member = await id('POST', '/api/v1/users', { email: 'member@example.test', name: 'Member' }, 201);
    const added = await t.call('POST', `/api/v1/teams/${teamA}/members`, {
      body: { user_id: member, role: 'viewer' },
    });
    expect(added.status).toBe(201);
    f = {
      teamA,
      teamB,
      user,
      member,
      serviceA: await id('POST', '/api/v1/services', { name: 'svc-a', team_id: teamA }, 201),
      serviceB: await id('POST', '/api/v1/services', { name: 'svc-b', team_id: teamB }, 201),
      spareTeam: await id('POST', '/api/v1/teams', { name: 'Spare', time_zone: 'UTC' }, 201),
      spareService: await id('POST', '/api/v1/services', { name: 'svc-spare', team_id: teamB }, 201),
      spareToken: await id('POST', '/api/v1/tokens', { name: 'spare', role: 'viewer' }, 201),
      notification: await id(
        'POST',
        '/api/v1/notifications',
        { channel: 'webhook', target: 'http://127.0.0.1:9/hook', subject: 'fixture' },
        202,
      ),
    };
  });

  async function policyVersion(t: TestApp): Promise<number> {
    return (await t.container.policy.service.get()).version;
  }

  it('documents the routes this table knows, and every non-public route needs credentials', async () => {
    const t = get();
    const ops = await operations(t);
    const samples = samplesFor(f, () => 0);
    // The catalogue of samples may only name real operations (a renamed route fails here).
    const keys = new Set(ops.map((o) => o.key));
    for (const key of Object.keys(samples)) expect(keys, key).toContain(key);
    expect(ops.filter((o) => o.isPublic).map((o) => o.key)).toEqual(
      expect.arrayContaining([
        'GET /api/v1/setup',
        'POST /api/v1/setup',
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/logout',
      ]),
    );

    const before = await counts(t);
    const failures: string[] = [];
    for (const op of ops.filter((o) => !o.isPublic)) {
      const sample = samples[op.key]?.();
      const url = urlOf(op.path, sample?.params);
      const body = MUTATIONS.has(op.method) ? (sample?.body ?? {}) : undefined;
      const anonymous = await t.call(op.method, url, { token: null, body });
      if (anonymous.status !== 401 || anonymous.json?.code !== 'AUTH_UNAUTHENTICATED')
        failures.push(`${op.key} without credentials: ${anonymous.status} ${anonymous.json?.code}`);
      else if (!String(anonymous.headers['content-type']).startsWith('application/problem+json'))
        failures.push(`${op.key}: 401 is not problem+json`);
      const bogus = await t.call(op.method, url, { token: `eo_${unique()}`, body });
      if (bogus.status !== 401 || bogus.json?.code !== 'AUTH_INVALID_TOKEN')
        failures.push(`${op.key} with an unknown token: ${bogus.status} ${bogus.json?.code}`);
    }
    expect(failures).toEqual([]);
    expect(await counts(t)).toEqual(before);
  });

  it('answers public routes without credentials', async () => {
    const t = get();
    expect((await t.call('GET', '/api/v1/setup', { token: null })).status).toBe(200);
    const setup = await t.call('POST', '/api/v1/setup', { token: null, body: {} });
    expect(setup.status).toBe(400);
    const login = await t.call('POST', '/api/v1/auth/login', { token: null, body: {} });
    expect(login.status).toBe(400);
    expect((await t.call('POST', '/api/v1/auth/logout', { token: null })).status).toBe(204);
  });

  it('gives a viewer 403 on everything above viewer, writing nothing, and serves what a viewer may read', async () => {
    const t = get();
    const viewer = await t.tokenFor('viewer');
    const ops = await operations(t);
    const samples = samplesFor(f, () => 0);
    const failures: string[] = [];
    let forbidden = 0;
    for (const op of ops.filter((o) => !o.isPublic)) {
      const sample = samples[op.key]?.();
      const url = urlOf(op.path, sample?.params);
      const body = MUTATIONS.has(op.method) ? (sample?.body ?? {}) : undefined;
      // 'authenticated' routes decide in the handler; the only mutating one (PATCH /users/{id})
      // needs users.write unless a user edits themselves, which a token is not.
      const viewerMay = op.permission
        ? PERMISSIONS[op.permission].role === 'viewer'
        : !MUTATIONS.has(op.method);
      const before = await counts(t);
      const res = await t.call(op.method, url, { token: viewer, body });
      if (viewerMay) {
        const expected = sample ? sample.admin : undefined;
        if (res.status === 401 || res.status === 403 || (expected !== undefined && res.status !== expected))
          failures.push(
            `${op.key} as viewer: ${res.status} ${res.json?.code} (expected ${expected ?? 'not 401/403'})`,
          );
        continue;
      }
      forbidden++;
      if (res.status !== 403 || res.json?.code !== 'AUTH_FORBIDDEN')
        failures.push(`${op.key} as viewer: ${res.status} ${res.json?.code} (expected 403)`);
      const after = await counts(t);
      if (JSON.stringify(after) !== JSON.stringify(before))
        failures.push(`${op.key} as viewer wrote: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
    }
    expect(failures).toEqual([]);
    // Every mutation documented so far needs more than viewer.
    expect(forbidden).toBeGreaterThanOrEqual(
      ops.filter((o) => !o.isPublic && MUTATIONS.has(o.method)).length,
    );
  });

  it('lets an org admin through every route', async () => {
    const t = get();
    const ops = await operations(t);
    let version = await policyVersion(t);
    const samples = samplesFor(f, () => version);
    const failures: string[] = [];
    for (const op of ops.filter((o) => !o.isPublic)) {
      const sample = samples[op.key]?.();
      const url = urlOf(op.path, sample?.params);
      const body = MUTATIONS.has(op.method) ? (sample?.body ?? {}) : undefined;
      const res = await t.call(op.method, url, { token: t.adminToken, body });
      if (
        sample ? res.status !== sample.admin : res.status === 401 || res.status === 403 || res.status >= 500
      )
        failures.push(`${op.key} as admin: ${res.status} ${res.body.slice(0, 200)}`);
      if (op.key === 'PUT /api/v1/policy') version = await policyVersion(t);
    }
    expect(failures).toEqual([]);
  });

  it('confines a team-scoped manager token to its team', async () => {
    const t = get();
    const token = await t.tokenFor('manager', f.teamA);
    await expectTeamScoped(t, f, { token });
  });

  it('confines a session user who manages one team to that team', async () => {
    const t = get();
    const session = await sessionFor(t, { role: 'viewer', team: [f.teamA, 'manager'] });
    await expectTeamScoped(t, f, { token: null, headers: session.headers });
    // The same person without the CSRF header is refused before anything happens.
    const before = await counts(t);
    const noCsrf = await t.call('POST', '/api/v1/services', {
      token: null,
      headers: { cookie: session.headers.cookie! },
      body: { name: `svc-${unique()}`, team_id: f.teamA },
    });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.json.code).toBe('AUTH_CSRF_FAILED');
    expect(await counts(t)).toEqual(before);
  });

  it('refuses a team-scoped token for an admin role, and a team viewer token cannot write its own team', async () => {
    const t = get();
    const adminOnTeam = await t.call('POST', '/api/v1/tokens', {
      body: { name: 'bad', role: 'admin', team_id: f.teamA },
    });
    expect(adminOnTeam.status).toBe(400);
    expect(adminOnTeam.json.errors[0].path).toBe('body.role');
    const teamViewer = await t.tokenFor('viewer', f.teamA);
    expect((await t.call('GET', `/api/v1/services/${f.serviceA}`, { token: teamViewer })).status).toBe(200);
    const write = await t.call('PATCH', `/api/v1/services/${f.serviceA}`, {
      token: teamViewer,
      body: { description: 'nope' },
    });
    expect(write.status).toBe(403);
  });

  it('turns a revoked token away with AUTH_INVALID_TOKEN', async () => {
    const t = get();
    const created = await t.call('POST', '/api/v1/tokens', { body: { name: 'to-revoke', role: 'manager' } });
    expect(created.status).toBe(201);
    expect((await t.call('GET', '/api/v1/teams', { token: created.json.token })).status).toBe(200);
    const revoked = await t.call('DELETE', `/api/v1/tokens/${created.json.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.json.revoked_at).not.toBeNull();
    const before = await counts(t);
    for (const [method, url, body] of [
      ['GET', '/api/v1/teams', undefined],
      ['POST', '/api/v1/teams', { name: 'Revoked', time_zone: 'UTC' }],
    ] as const) {
      const res = await t.call(method, url, { token: created.json.token, body });
      expect(res.status).toBe(401);
      expect(res.json.code).toBe('AUTH_INVALID_TOKEN');
      expect(res.json.detail).toMatch(/revoked/);
    }
    expect(await counts(t)).toEqual(before);
  });
});

/** A principal managing team A only: full control of A's services, nothing on B, no org actions. */
async function expectTeamScoped(
  t: TestApp,
  f: Fixture,
  auth: { token: string | null; headers?: Record<string, string> },
): Promise<void> {
  const as = (method: string, url: string, body?: unknown) =>
    t.call(method, url, { ...auth, ...(body === undefined ? {} : { body }) });

  // Team A: create, update, delete a service; edit the team and its members.
  const created = await as('POST', '/api/v1/services', { name: `svc-${unique()}`, team_id: f.teamA });
  expect(created.status, created.body).toBe(201);
  const updated = await as('PATCH', `/api/v1/services/${created.json.id}`, { description: 'mine' });
  expect(updated.status, updated.body).toBe(200);
  expect((await as('PATCH', `/api/v1/teams/${f.teamA}`, { description: 'ours' })).status).toBe(200);
  expect((await as('GET', `/api/v1/services/${f.serviceB}`)).status).toBe(200);

  // Everything else is refused and writes nothing.
  const before = await counts(t);
  const refused: Array<[string, string, unknown?]> = [
    ['POST', '/api/v1/services', { name: `svc-${unique()}`, team_id: f.teamB }],
    ['PATCH', `/api/v1/services/${f.serviceB}`, { description: 'theirs' }],
    ['DELETE', `/api/v1/services/${f.serviceB}`],
    ['PATCH', `/api/v1/services/${created.json.id}`, { team_id: f.teamB }],
    ['PATCH', `/api/v1/teams/${f.teamB}`, { description: 'theirs' }],
    ['POST', `/api/v1/teams/${f.teamB}/members`, { user_id: f.user, role: 'viewer' }],
    ['POST', '/api/v1/teams', { name: `Team ${unique()}`, time_zone: 'UTC' }],
    ['DELETE', `/api/v1/teams/${f.teamA}`],
    ['POST', '/api/v1/users', { email: `x-${unique()}@example.test`, name: 'X' }],
    ['PATCH', `/api/v1/users/${f.user}`, { role: 'admin' }],
    ['POST', '/api/v1/tokens', { name: 'escalate', role: 'manager', team_id: f.teamB }],
    ['PUT', '/api/v1/policy', { policy: {}, version: 0 }],
    ['GET', '/api/v1/audit-log'],
  ];
  for (const [method, url, body] of refused) {
    const res = await as(method, url, body);
    expect(res.status, `${method} ${url}: ${res.body}`).toBe(403);
    expect(res.json.code).toBe('AUTH_FORBIDDEN');
  }
  expect(await counts(t)).toEqual(before);
  const moved = await t.call('GET', `/api/v1/services/${created.json.id}`);
  expect(moved.json.team_id).toBe(f.teamA);

  const deleted = await as('DELETE', `/api/v1/services/${created.json.id}`);
  expect(deleted.status).toBe(204);
}

// Apps with their own clock run after the shared ones: one live PostgreSQL schema per process at a time.
for (const engine of ENGINES) {
  describe(`token expiry [${engine}]`, () => {
    it('turns an expired token away once the clock passes its expiry', async () => {
      const clock = fixedClock('2030-01-01T12:00:00.000Z');
      const t = await createTestApp(engine, { clock });
      try {
        const past = await t.call('POST', '/api/v1/tokens', {
          body: { name: 'past', role: 'viewer', expires_at: '2030-01-01T11:00:00Z' },
        });
        expect(past.status).toBe(400);
        expect(past.json.errors[0].path).toBe('body.expires_at');

        const created = await t.call('POST', '/api/v1/tokens', {
          body: { name: 'short-lived', role: 'viewer', expires_at: '2030-01-01T13:00:00+00:00' },
        });
        expect(created.status).toBe(201);
        expect(created.json.expires_at).toBe('2030-01-01T13:00:00.000Z');
        expect((await t.call('GET', '/api/v1/teams', { token: created.json.token })).status).toBe(200);

        clock.advance(59 * 60_000);
        expect((await t.call('GET', '/api/v1/teams', { token: created.json.token })).status).toBe(200);
        clock.advance(60_000); // exactly at expires_at
        const expired = await t.call('GET', '/api/v1/teams', { token: created.json.token });
        expect(expired.status).toBe(401);
        expect(expired.json.code).toBe('AUTH_INVALID_TOKEN');
        expect(expired.json.detail).toMatch(/expired/);
        // The admin token has no expiry and still works.
        expect((await t.call('GET', '/api/v1/teams')).status).toBe(200);
      } finally {
        await t.close();
      }
    });
  });
}
