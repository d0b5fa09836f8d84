import { describe, expect, it } from 'vitest';
import {
  createTestApp,
  describeEachEngine,
  ENGINES,
  type TestApp,
} from '../../../../../test-support/engines.ts';
import { fixedClock } from '../../platform/clock.ts';
import { hashSecret, LOGIN_LIMIT_PER_EMAIL, LOGIN_WINDOW_MS } from './access-service.ts';

const ADMIN = { email: 'first.admin@example.test', name: 'First Admin', password: 'first admin password' };

function sessionCookie(res: { headers: Record<string, unknown> }): string {
  const header = res.headers['set-cookie'];
  const value = Array.isArray(header) ? header.join('\n') : String(header);
  const match = /engops_session=([^;]*)/.exec(value);
  if (!match) throw new Error(`no session cookie in ${value}`);
  return `engops_session=${match[1]}`;
}

async function auditCount(t: TestApp): Promise<number> {
  const row = await t.container.db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function login(t: TestApp, email: string, password: string) {
  return t.call('POST', '/api/v1/auth/login', { token: null, body: { email, password } });
}

describeEachEngine('access API', (get) => {
  it('offers setup on an empty database, creates the first admin once and logs them in', async () => {
    const t = get();
    // createTestApp made an admin token but no user: setup is still open.
    const open = await t.call('GET', '/api/v1/setup', { token: null });
    expect(open.status).toBe(200);
    expect(open.json).toEqual({ required: true });

    const invalid = await t.call('POST', '/api/v1/setup', {
      token: null,
      body: { ...ADMIN, password: 'short' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.json.errors.map((e: { path: string }) => e.path)).toEqual(['body.password']);

    const setup = await t.call('POST', '/api/v1/setup', {
      token: null,
      body: { ...ADMIN, email: 'First.Admin@Example.TEST' },
    });
    expect(setup.status).toBe(201);
    expect(setup.json.user).toMatchObject({ email: ADMIN.email, name: ADMIN.name, role: 'admin' });
    expect(setup.json.user).not.toHaveProperty('password_hash');
    expect(setup.json.csrf_token).toEqual(expect.any(String));
    expect(setup.json.permissions).toContain('tokens.manage');
    const setCookie = String(setup.headers['set-cookie']);
    expect(setCookie).toMatch(/^engops_session=[^;]+;/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Secure'); // ENGOPS_SECURE_COOKIES is off in tests

    // The cookie is a working admin session.
    const cookie = sessionCookie(setup);
    const session = await t.call('GET', '/api/v1/auth/session', { token: null, headers: { cookie } });
    expect(session.status).toBe(200);
    expect(session.json.user.email).toBe(ADMIN.email);
    expect(session.json.csrf_token).toBe(setup.json.csrf_token);

    expect((await t.call('GET', '/api/v1/setup', { token: null })).json).toEqual({ required: false });
    const again = await t.call('POST', '/api/v1/setup', {
      token: null,
      body: { ...ADMIN, email: 'second@example.test' },
    });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('SETUP_ALREADY_DONE');
    const users = await t.call('GET', '/api/v1/users');
    expect(users.json.items.map((u: { email: string }) => u.email)).toEqual([ADMIN.email]);

    // The setup is audited (a user was created).
    const audit = await t.call('GET', `/api/v1/audit-log?target_id=${setup.json.user.id}`);
    expect(audit.json.items.map((e: { action: string }) => e.action)).toContain('user.create');
  });

  it('logs in with a password, not with a wrong one, and never says which part was wrong', async () => {
    const t = get();
    const before = await auditCount(t);
    const wrong = await login(t, ADMIN.email, 'not the password');
    expect(wrong.status).toBe(401);
    expect(wrong.json.code).toBe('AUTH_INVALID_CREDENTIALS');
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const unknown = await login(t, 'nobody@example.test', ADMIN.password);
    expect(unknown.status).toBe(401);
    expect(unknown.json.code).toBe('AUTH_INVALID_CREDENTIALS');
    expect(unknown.json.detail).toBe(wrong.json.detail);
    expect(await auditCount(t)).toBe(before);

    const ok = await login(t, ADMIN.email.toUpperCase(), ADMIN.password);
    expect(ok.status).toBe(200);
    expect(ok.json.user.email).toBe(ADMIN.email);
    const cookie = sessionCookie(ok);
    const session = await t.call('GET', '/api/v1/auth/session', { token: null, headers: { cookie } });
    expect(session.status).toBe(200);
    expect(session.json).toMatchObject({
      user: { email: ADMIN.email, role: 'admin' },
      csrf_token: ok.json.csrf_token,
      principal: { kind: 'user', id: ok.json.user.id },
    });
    expect(session.json.permissions).toEqual(expect.arrayContaining(['users.write', 'policy.write']));
    const audit = await t.call('GET', `/api/v1/audit-log?action=auth.login&target_id=${ok.json.user.id}`);
    expect(audit.json.items.length).toBe(1);
  });

  it('requires the CSRF token on cookie mutations and writes nothing without it', async () => {
    const t = get();
    const ok = await login(t, ADMIN.email, ADMIN.password);
    const cookie = sessionCookie(ok);
    const other = await login(t, ADMIN.email, ADMIN.password);
    const body = { name: 'CSRF Team', time_zone: 'UTC' };
    const before = await auditCount(t);
    for (const headers of [{ cookie }, { cookie, 'x-csrf-token': 'not-the-token' }] as Array<
      Record<string, string>
    >) {
      const res = await t.call('POST', '/api/v1/teams', { token: null, headers, body });
      expect(res.status).toBe(403);
      expect(res.json.code).toBe('AUTH_CSRF_FAILED');
    }
    // Another session's CSRF token does not fit this session.
    const crossed = await t.call('POST', '/api/v1/teams', {
      token: null,
      headers: { cookie, 'x-csrf-token': other.json.csrf_token },
      body,
    });
    expect(crossed.status).toBe(403);
    expect(await auditCount(t)).toBe(before);
    expect((await t.call('GET', '/api/v1/teams')).json.items).toEqual([]);

    // Reads need no CSRF token.
    expect((await t.call('GET', '/api/v1/teams', { token: null, headers: { cookie } })).status).toBe(200);
    const created = await t.call('POST', '/api/v1/teams', {
      token: null,
      headers: { cookie, 'x-csrf-token': ok.json.csrf_token },
      body,
    });
    expect(created.status).toBe(201);
    const audit = await t.call('GET', `/api/v1/audit-log?target_id=${created.json.id}`);
    expect(audit.json.items[0]).toMatchObject({
      action: 'team.create',
      actor_type: 'user',
      actor_id: ok.json.user.id,
    });
  });

  it('ends the session on logout', async () => {
    const t = get();
    const ok = await login(t, ADMIN.email, ADMIN.password);
    const cookie = sessionCookie(ok);
    expect((await t.call('GET', '/api/v1/auth/session', { token: null, headers: { cookie } })).status).toBe(
      200,
    );
    const out = await t.call('POST', '/api/v1/auth/logout', { token: null, headers: { cookie } });
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^engops_session=;.*Max-Age=0/);
    const after = await t.call('GET', '/api/v1/auth/session', { token: null, headers: { cookie } });
    expect(after.status).toBe(401);
    expect(after.json.code).toBe('AUTH_UNAUTHENTICATED');
    const write = await t.call('POST', '/api/v1/teams', {
      token: null,
      headers: { cookie, 'x-csrf-token': ok.json.csrf_token },
      body: { name: 'After Logout', time_zone: 'UTC' },
    });
    expect(write.status).toBe(401);
    // A made-up cookie is no session either.
    const forged = await t.call('GET', '/api/v1/auth/session', {
      token: null,
      headers: { cookie: 'engops_session=forged' },
    });
    expect(forged.status).toBe(401);
  });

  it('shows a token secret once, stores only its hash, and records its last use', async () => {
    const t = get();
    const created = await t.call('POST', '/api/v1/tokens', {
      body: { name: 'deploy bot', role: 'responder' },
    });
    expect(created.status).toBe(201);
    const secret: string = created.json.token;
    expect(secret).toMatch(/^eo_[\w-]{40,}$/);
    expect(created.json).toMatchObject({
      name: 'deploy bot',
      role: 'responder',
      team_id: null,
      expires_at: null,
      last_used_at: null,
      revoked_at: null,
      prefix: secret.slice(0, 8),
    });
    expect(created.json).not.toHaveProperty('token_hash');

    const row = await t.container.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', '=', created.json.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).not.toBe(secret);
    expect(row.token_hash).toBe(hashSecret(secret));
    expect(JSON.stringify(row)).not.toContain(secret);

    const list = await t.call('GET', '/api/v1/tokens?limit=200');
    expect(list.status).toBe(200);
    expect(list.body).not.toContain(secret);
    expect(list.body).not.toContain(row.token_hash);
    const listed = list.json.items.find((i: { id: string }) => i.id === created.json.id);
    expect(listed).toBeDefined();
    expect(Object.keys(listed)).not.toContain('token');
    expect(Object.keys(listed)).not.toContain('token_hash');
    // The audit entry of the creation keeps no secret either.
    const audit = await t.call('GET', `/api/v1/audit-log?target_id=${created.json.id}`);
    expect(audit.body).not.toContain(secret);
    expect(audit.body).not.toContain(row.token_hash);

    expect(listed.last_used_at).toBeNull();
    const used = await t.call('GET', '/api/v1/auth/session', { token: secret });
    expect(used.status).toBe(200);
    expect(used.json.principal).toMatchObject({ kind: 'token', id: created.json.id });
    expect(used.json.csrf_token).toBeNull();
    const after = await t.call('GET', '/api/v1/tokens?limit=200');
    const touched = after.json.items.find((i: { id: string }) => i.id === created.json.id);
    expect(touched.last_used_at).toEqual(expect.any(String));
    expect(Date.parse(touched.last_used_at)).toBeGreaterThanOrEqual(Date.parse(created.json.created_at));

    // Revoked tokens leave the default list but stay visible on request.
    expect((await t.call('DELETE', `/api/v1/tokens/${created.json.id}`)).status).toBe(200);
    const active = await t.call('GET', '/api/v1/tokens?limit=200');
    expect(active.json.items.map((i: { id: string }) => i.id)).not.toContain(created.json.id);
    const all = await t.call('GET', '/api/v1/tokens?limit=200&include_revoked=true');
    expect(all.json.items.map((i: { id: string }) => i.id)).toContain(created.json.id);
    const missing = await t.call('DELETE', '/api/v1/tokens/tok_missing');
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('TOKENS_NOT_FOUND');
  });

  it('ensures the ENGOPS_ADMIN_TOKEN secret exists exactly once and authenticates as admin', async () => {
    const t = get();
    const secret = 'bootstrap-secret-0123456789abcdef';
    expect(await t.container.access.service.ensureAdminToken(secret)).toBe('created');
    expect(await t.container.access.service.ensureAdminToken(secret)).toBe('exists');
    const rows = await t.container.db
      .selectFrom('api_tokens')
      .select(['id', 'role', 'team_id'])
      .where('token_hash', '=', hashSecret(secret))
      .execute();
    expect(rows).toEqual([{ id: expect.any(String), role: 'admin', team_id: null }]);
    // Neither the token list nor the audit log (which managers can read) shows part of the secret.
    const listed = await t.call('GET', '/api/v1/tokens?limit=200');
    expect(listed.body).not.toContain(secret.slice(0, 6));
    const audit = await t.call('GET', `/api/v1/audit-log?target_id=${rows[0]!.id}`);
    expect(audit.json.items).toHaveLength(1);
    expect(audit.body).not.toContain(secret.slice(0, 6));

    const session = await t.call('GET', '/api/v1/auth/session', { token: secret });
    expect(session.status).toBe(200);
    expect(session.json.permissions).toEqual(expect.arrayContaining(['tokens.manage', 'users.write']));
    const team = await t.call('POST', '/api/v1/teams', {
      token: secret,
      body: { name: 'Bootstrapped', time_zone: 'UTC' },
    });
    expect(team.status).toBe(201);

    // A revoked bootstrap token stays revoked on the next start.
    expect((await t.call('DELETE', `/api/v1/tokens/${rows[0]!.id}`)).status).toBe(200);
    expect(await t.container.access.service.ensureAdminToken(secret)).toBe('revoked');
    expect((await t.call('GET', '/api/v1/teams', { token: secret })).status).toBe(401);
  });

  it('refuses login to a disabled user and ends their sessions', async () => {
    const t = get();
    const password = 'a long enough password';
    const user = await t.call('POST', '/api/v1/users', {
      body: { email: 'leaver@example.test', name: 'Leaver', role: 'manager', password },
    });
    expect(user.status).toBe(201);
    expect(user.json.has_password).toBe(true);
    const ok = await login(t, 'leaver@example.test', password);
    expect(ok.status).toBe(200);
    const cookie = sessionCookie(ok);
    expect((await t.call('GET', '/api/v1/teams', { token: null, headers: { cookie } })).status).toBe(200);

    const disabled = await t.call('PATCH', `/api/v1/users/${user.json.id}`, { body: { disabled: true } });
    expect(disabled.status).toBe(200);
    expect(disabled.json.disabled).toBe(true);

    const stale = await t.call('GET', '/api/v1/teams', { token: null, headers: { cookie } });
    expect(stale.status).toBe(401);
    const refused = await login(t, 'leaver@example.test', password);
    expect(refused.status).toBe(401);
    expect(refused.json.code).toBe('AUTH_INVALID_CREDENTIALS');

    // Re-enabled, they can log in again.
    expect(
      (await t.call('PATCH', `/api/v1/users/${user.json.id}`, { body: { disabled: false } })).status,
    ).toBe(200);
    expect((await login(t, 'leaver@example.test', password)).status).toBe(200);
  });

  it("stops a disabled user's tokens and sessions at once, and re-enabling brings back only the tokens", async () => {
    const t = get();
    const password = 'second admin password';
    const user = await t.call('POST', '/api/v1/users', {
      body: { email: 'token.maker@example.test', name: 'Token Maker', role: 'admin', password },
    });
    expect(user.status).toBe(201);
    const ok = await login(t, 'token.maker@example.test', password);
    const cookie = sessionCookie(ok);
    const made = await t.call('POST', '/api/v1/tokens', {
      token: null,
      headers: { cookie, 'x-csrf-token': ok.json.csrf_token },
      body: { name: 'ci from token maker', role: 'manager' },
    });
    expect(made.status).toBe(201);
    expect(made.json.created_by).toBe(user.json.id);
    const secret: string = made.json.token;
    // Used (and so cached) before the user is disabled.
    expect((await t.call('GET', '/api/v1/teams', { token: secret })).status).toBe(200);
    expect((await t.call('GET', '/api/v1/teams', { token: null, headers: { cookie } })).status).toBe(200);

    const off = await t.call('PATCH', `/api/v1/users/${user.json.id}`, { body: { disabled: true } });
    expect(off.status).toBe(200);
    const refused = await t.call('GET', '/api/v1/teams', { token: secret });
    expect(refused.status).toBe(401);
    expect(refused.json.code).toBe('AUTH_INVALID_TOKEN');
    const write = await t.call('POST', '/api/v1/teams', {
      token: secret,
      body: { name: 'Written by a leaver', time_zone: 'UTC' },
    });
    expect(write.status).toBe(401);
    expect((await t.call('GET', '/api/v1/teams', { token: null, headers: { cookie } })).status).toBe(401);
    const sessions = await t.container.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', user.json.id)
      .execute();
    expect(sessions).toEqual([]);
    // A token made by someone else (the system admin token) is untouched.
    expect((await t.call('GET', '/api/v1/teams')).status).toBe(200);

    const on = await t.call('PATCH', `/api/v1/users/${user.json.id}`, { body: { disabled: false } });
    expect(on.status).toBe(200);
    expect((await t.call('GET', '/api/v1/teams', { token: secret })).status).toBe(200);
    expect((await t.call('GET', '/api/v1/teams', { token: null, headers: { cookie } })).status).toBe(401);
    const teams = await t.call('GET', '/api/v1/teams?limit=200');
    expect(teams.json.items.map((x: { name: string }) => x.name)).not.toContain('Written by a leaver');
  });

  it('asks for the current password to change your own, keeps only your session, and an admin reset ends all', async () => {
    const t = get();
    const email = 'changer@example.test';
    const password = 'the first password';
    const user = await t.call('POST', '/api/v1/users', {
      body: { email, name: 'Changer', role: 'viewer', password },
    });
    const first = await login(t, email, password);
    const second = await login(t, email, password);
    const mine = { cookie: sessionCookie(first), 'x-csrf-token': first.json.csrf_token as string };
    const other = { cookie: sessionCookie(second) };
    const self = `/api/v1/users/${user.json.id}`;
    const works = async (headers: Record<string, string>) =>
      (await t.call('GET', '/api/v1/auth/session', { token: null, headers })).status;

    const before = await auditCount(t);
    for (const body of [
      { password: 'a second password' },
      { password: 'a second password', current_password: 'not the first password' },
    ]) {
      const res = await t.call('PATCH', self, { token: null, headers: mine, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json.code).toBe('CATALOG_CURRENT_PASSWORD_INVALID');
      expect(res.json.errors.map((e: { path: string }) => e.path)).toEqual(['body.current_password']);
    }
    expect(await auditCount(t)).toBe(before);
    expect(await works(other)).toBe(200);

    const changed = await t.call('PATCH', self, {
      token: null,
      headers: mine,
      body: { password: 'a second password', current_password: password },
    });
    expect(changed.status).toBe(200);
    expect(await works(mine)).toBe(200);
    expect(await works(other)).toBe(401);
    expect((await login(t, email, password)).status).toBe(401);
    const third = await login(t, email, 'a second password');
    expect(third.status).toBe(200);

    // An admin resetting someone else's password ends every session of that person.
    const reset = await t.call('PATCH', self, { body: { password: 'reset by an admin' } });
    expect(reset.status).toBe(200);
    expect(await works(mine)).toBe(401);
    expect(await works({ cookie: sessionCookie(third) })).toBe(401);
    const left = await t.container.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', user.json.id)
      .execute();
    expect(left).toEqual([]);
    expect((await login(t, email, 'reset by an admin')).status).toBe(200);
  });

  it('does not let a person without a password log in', async () => {
    const t = get();
    const user = await t.call('POST', '/api/v1/users', {
      body: { email: 'nopassword@example.test', name: 'No Password' },
    });
    expect(user.json.has_password).toBe(false);
    const res = await login(t, 'nopassword@example.test', 'anything at all');
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('AUTH_INVALID_CREDENTIALS');
  });
});

// Apps with their own clock run after the shared ones: one live PostgreSQL schema per process at a time.
for (const engine of ENGINES) {
  describe(`access API with a fresh database [${engine}]`, () => {
    it('lets exactly one of several concurrent setups win', async () => {
      const t = await createTestApp(engine);
      try {
        const results = await Promise.all(
          [0, 1, 2, 3, 4].map((i) =>
            t.call('POST', '/api/v1/setup', {
              token: null,
              body: { email: `admin${i}@example.test`, name: `Admin ${i}`, password: 'first admin password' },
            }),
          ),
        );
        const statuses = results.map((r) => r.status).sort();
        expect(statuses).toEqual([201, 409, 409, 409, 409]);
        for (const r of results.filter((x) => x.status === 409))
          expect(r.json.code).toBe('SETUP_ALREADY_DONE');
        const users = await t.container.db.selectFrom('users').select(['email', 'role']).execute();
        expect(users).toEqual([{ email: expect.stringMatching(/^admin\d@example\.test$/), role: 'admin' }]);
      } finally {
        await t.close();
      }
    });

    it('rate-limits login attempts per account with Retry-After, until the window passes', async () => {
      const clock = fixedClock('2030-06-01T08:00:00.000Z');
      const t = await createTestApp(engine, { clock });
      try {
        const password = 'a long enough password';
        const user = await t.call('POST', '/api/v1/users', {
          body: { email: 'target@example.test', name: 'Target', role: 'viewer', password },
        });
        expect(user.status).toBe(201);

        let limited: Awaited<ReturnType<typeof login>> | undefined;
        let failures = 0;
        for (let i = 0; i < LOGIN_LIMIT_PER_EMAIL + 5 && !limited; i++) {
          const res = await login(t, 'target@example.test', `wrong password ${i}`);
          if (res.status === 429) limited = res;
          else {
            expect(res.status).toBe(401);
            failures++;
          }
        }
        expect(failures).toBe(LOGIN_LIMIT_PER_EMAIL);
        expect(limited?.json.code).toBe('AUTH_RATE_LIMITED');
        expect(String(limited?.headers['content-type'])).toContain('application/problem+json');
        const retryAfter = Number(limited?.headers['retry-after']);
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(LOGIN_WINDOW_MS / 1000);

        // While limited, even the right password is refused (a guesser learns nothing).
        const right = await login(t, 'target@example.test', password);
        expect(right.status).toBe(429);
        expect(right.headers['set-cookie']).toBeUndefined();
        // Other accounts are not locked out by one account's limit.
        const other = await login(t, 'someone.else@example.test', 'whatever password');
        expect(other.status).toBe(401);

        clock.advance(retryAfter * 1000);
        const later = await login(t, 'target@example.test', password);
        expect(later.status).toBe(200);
      } finally {
        await t.close();
      }
    });
  });
}
