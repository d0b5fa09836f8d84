import { ERROR_CATALOGUE } from '@engops/contracts';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  describeEachEngine,
  ENGINES,
  type TestApp,
  testConfig,
} from '../../../../test-support/engines.ts';
import { buildApp } from '../app.ts';
import { createContainer } from '../container.ts';
import { createLogger } from '../platform/logger.ts';
import { registeredRoutes } from './route.ts';

/** The HTTP contract every module relies on: health, OpenAPI, docs, errors, content types, users. */

interface Op {
  method: string;
  path: string;
}

/** Registered routes as Fastify reports them (`app.printRoutes`), not as our registry claims. */
function printedRoutes(app: FastifyInstance): Op[] {
  const ops: Op[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([\s│├└─]*)(\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = Math.max(0, match[1]!.length / 4 - 1);
    const path = (depth > 0 ? stack[depth - 1]! : '') + match[2]!;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) {
      if (method !== 'HEAD') ops.push({ method, path });
    }
  }
  return ops;
}

const openApiPath = (fastifyPath: string) => fastifyPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

async function count(t: TestApp, table: 'audit_log' | 'teams' | 'users'): Promise<number> {
  const row = await t.container.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describeEachEngine('HTTP contract', (get) => {
  it('serves OpenAPI 3.1 documenting every registered /api route, with request schemas', async () => {
    const t = get();
    const res = await t.call('GET', '/openapi.json', { token: null });
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toContain('application/json');
    const doc = res.json;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.components.schemas.Problem.required).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']),
    );

    const hidden = new Set(
      registeredRoutes(t.app)
        .filter((r) => r.hide)
        .map((r) => `${r.method} ${r.url}`),
    );
    const printed = printedRoutes(t.app);
    const api = printed.filter(
      (o) => o.path.startsWith('/api/') && o.path !== '/api/docs' && !hidden.has(`${o.method} ${o.path}`),
    );
    expect(api.length).toBeGreaterThanOrEqual(28);
    const documented = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(methods)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const undocumented = api
      .map((o) => `${o.method} ${openApiPath(o.path)}`)
      .filter((key) => !documented.has(key));
    expect(undocumented).toEqual([]);
    // And nothing is documented that is not served.
    for (const key of documented) {
      const [method, path] = key.split(' ') as [string, string];
      const url = path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
      expect(t.app.hasRoute({ method: method as 'GET', url }), key).toBe(true);
    }

    // Each documented operation matches its declaration: body schema, path parameters, auth errors.
    const declared = new Map(registeredRoutes(t.app).map((r) => [`${r.method} ${openApiPath(r.url)}`, r]));
    for (const key of documented) {
      const route = declared.get(key);
      expect(route, key).toBeDefined();
      const [method, path] = key.split(' ') as [string, string];
      const op = doc.paths[path][method.toLowerCase()];
      expect(op.summary, key).toEqual(expect.any(String));
      expect(op.tags?.length, key).toBeGreaterThan(0);
      if (route!.body) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        expect(schema, `${key} request body`).toBeDefined();
        expect(schema.type, key).toBe('object');
      } else {
        expect(op.requestBody, key).toBeUndefined();
      }
      const params = [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
      const documentedParams = (op.parameters ?? [])
        .filter((p: { in: string }) => p.in === 'path')
        .map((p: { name: string }) => p.name);
      expect(documentedParams, key).toEqual(params);
      expect(Object.keys(op.responses), key).toContain(String(route!.status ?? 200));
      if (route!.auth !== 'public') expect(Object.keys(op.responses), key).toContain('401');
      if (route!.auth !== 'public' && route!.auth !== 'authenticated') {
        expect(op['x-permission'], key).toBe(route!.auth);
        expect(Object.keys(op.responses), key).toContain('403');
      }
    }

    // A body schema is the one that validates: strict objects forbid unknown fields.
    const createTeam = doc.paths['/api/v1/teams'].post.requestBody.content['application/json'].schema;
    expect(createTeam.required).toEqual(expect.arrayContaining(['name', 'time_zone']));
    expect(createTeam.additionalProperties).toBe(false);
    const listTeams = doc.paths['/api/v1/teams'].get.parameters.map((p: { name: string }) => p.name);
    expect(listTeams).toEqual(expect.arrayContaining(['limit', 'cursor']));
  });

  it('renders API docs and the error catalogue as HTML', async () => {
    const t = get();
    const docs = await t.call('GET', '/api/docs', { token: null });
    expect(docs.status).toBe(200);
    expect(String(docs.headers['content-type'])).toContain('text/html');
    expect(docs.body).toContain('<!doctype html>');
    expect(docs.body).toContain('/api/v1/teams');
    expect(docs.body).toContain('/openapi.json');
    expect(docs.body).not.toContain('<script');

    const errors = await t.call('GET', '/docs/errors', { token: null });
    expect(errors.status).toBe(200);
    expect(String(errors.headers['content-type'])).toContain('text/html');
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
      expect(errors.body, code).toContain(`id="${code}"`);
      expect(errors.body, code).toContain(`<td>${spec.status}</td>`);
    }
  });

  it('answers unknown routes with a 404 problem', async () => {
    const t = get();
    for (const [method, url, token] of [
      ['GET', '/api/v1/nope', null],
      ['GET', '/api/v1/nope?x=1', t.adminToken],
      ['POST', '/api/v1/nope', t.adminToken],
      ['DELETE', '/api/v1/teams', t.adminToken],
    ] as const) {
      const res = await t.call(method, url, { token });
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(String(res.headers['content-type'])).toContain('application/problem+json');
      expect(res.json).toMatchObject({
        type: '/docs/errors#HTTP_NOT_FOUND',
        title: ERROR_CATALOGUE.HTTP_NOT_FOUND.title,
        status: 404,
        code: 'HTTP_NOT_FOUND',
        detail: `No route for ${method} ${url.split('?')[0]}.`,
      });
    }
    const missing = await t.call('GET', '/api/v1/teams/team_missing');
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('CATALOG_TEAM_NOT_FOUND');
    expect(missing.json.type).toBe('/docs/errors#CATALOG_TEAM_NOT_FOUND');
  });

  it('refuses bodies that are not JSON with 415, and writes nothing', async () => {
    const t = get();
    const teams = await count(t, 'teams');
    const audit = await count(t, 'audit_log');
    for (const [contentType, payload] of [
      ['text/plain', '{"name":"Plain","time_zone":"UTC"}'],
      ['application/x-www-form-urlencoded', 'name=Form&time_zone=UTC'],
      ['application/xml', '<team><name>Xml</name></team>'],
    ] as const) {
      const res = await t.call('POST', '/api/v1/teams', {
        payload,
        headers: { 'content-type': contentType },
      });
      expect(res.status, contentType).toBe(415);
      expect(String(res.headers['content-type'])).toContain('application/problem+json');
      expect(res.json.code).toBe('HTTP_UNSUPPORTED_MEDIA_TYPE');
    }
    // A cross-site HTML form cannot log someone in or run the setup either.
    for (const url of ['/api/v1/auth/login', '/api/v1/setup']) {
      const form = await t.call('POST', url, {
        token: null,
        payload: 'email=a%40example.test&password=whatever+password&name=A',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(form.status, url).toBe(415);
    }
    // JSON with a charset parameter is still JSON.
    const charset = await t.call('POST', '/api/v1/teams', {
      payload: JSON.stringify({ name: 'Charset', time_zone: 'UTC' }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(charset.status).toBe(201);
    expect(await count(t, 'teams')).toBe(teams + 1);
    expect(await count(t, 'audit_log')).toBe(audit + 1);
  });

  it('creates people with unique emails, compared case-insensitively', async () => {
    const t = get();
    const created = await t.call('POST', '/api/v1/users', {
      body: { email: 'Ada.Lovelace@Example.test', name: 'Ada Lovelace', time_zone: 'Europe/London' },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      email: 'ada.lovelace@example.test',
      name: 'Ada Lovelace',
      time_zone: 'Europe/London',
      role: 'viewer',
      disabled: false,
      has_password: false,
      teams: [],
    });
    expect(created.json.id).toMatch(/^usr_/);
    const users = await count(t, 'users');
    for (const email of [
      'ada.lovelace@example.test',
      'ADA.LOVELACE@EXAMPLE.TEST',
      ' Ada.Lovelace@example.TEST ',
    ]) {
      const dup = await t.call('POST', '/api/v1/users', { body: { email, name: 'Other Ada' } });
      expect(dup.status, email).toBe(409);
      expect(dup.json.code).toBe('CATALOG_USER_EMAIL_TAKEN');
    }
    const other = await t.call('POST', '/api/v1/users', {
      body: { email: 'grace@example.test', name: 'Grace' },
    });
    expect(other.status).toBe(201);
    const steal = await t.call('PATCH', `/api/v1/users/${other.json.id}`, {
      body: { email: 'ADA.lovelace@example.test' },
    });
    expect(steal.status).toBe(409);
    expect(steal.json.code).toBe('CATALOG_USER_EMAIL_TAKEN');
    expect(await count(t, 'users')).toBe(users + 1);

    const bad = await t.call('POST', '/api/v1/users', {
      body: { email: 'not-an-email', name: 'X', time_zone: 'Nowhere/City', role: 'owner' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.email',
      'body.role',
      'body.time_zone',
    ]);
  });

  it('lets people edit their own name, time zone and password but not their role or email', async () => {
    const t = get();
    const password = 'my own password 1';
    const person = await t.call('POST', '/api/v1/users', {
      body: { email: 'self@example.test', name: 'Self', role: 'viewer', password },
    });
    expect(person.status).toBe(201);
    const colleague = await t.call('POST', '/api/v1/users', {
      body: { email: 'colleague@example.test', name: 'Colleague' },
    });
    const login = await t.call('POST', '/api/v1/auth/login', {
      token: null,
      body: { email: 'self@example.test', password },
    });
    expect(login.status).toBe(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const headers = { cookie, 'x-csrf-token': login.json.csrf_token as string };
    const self = `/api/v1/users/${person.json.id}`;

    const renamed = await t.call('PATCH', self, {
      token: null,
      headers,
      body: { name: 'Self Renamed', time_zone: 'Asia/Tokyo' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.json).toMatchObject({ name: 'Self Renamed', time_zone: 'Asia/Tokyo', role: 'viewer' });

    const audit = await count(t, 'audit_log');
    for (const body of [
      { role: 'admin' },
      { role: null },
      { disabled: true },
      { email: 'me@example.test' },
    ]) {
      const res = await t.call('PATCH', self, { token: null, headers, body });
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(res.json.code).toBe('AUTH_FORBIDDEN');
    }
    const theirs = await t.call('PATCH', `/api/v1/users/${colleague.json.id}`, {
      token: null,
      headers,
      body: { name: 'Hijacked' },
    });
    expect(theirs.status).toBe(403);
    expect(await count(t, 'audit_log')).toBe(audit);
    const after = await t.call('GET', self);
    expect(after.json).toMatchObject({ role: 'viewer', email: 'self@example.test', disabled: false });
    expect((await t.call('GET', `/api/v1/users/${colleague.json.id}`)).json.name).toBe('Colleague');

    // Own password: the old one stops working, the new one works; the audit log never holds either.
    const changed = await t.call('PATCH', self, {
      token: null,
      headers,
      body: { password: 'a brand new password', current_password: password },
    });
    expect(changed.status).toBe(200);
    const oldLogin = await t.call('POST', '/api/v1/auth/login', {
      token: null,
      body: { email: 'self@example.test', password },
    });
    expect(oldLogin.status).toBe(401);
    const newLogin = await t.call('POST', '/api/v1/auth/login', {
      token: null,
      body: { email: 'self@example.test', password: 'a brand new password' },
    });
    expect(newLogin.status).toBe(200);
    const entries = await t.call('GET', `/api/v1/audit-log?target_id=${person.json.id}`);
    expect(entries.json.items.map((e: { action: string }) => e.action)).toContain('user.update.password');
    expect(entries.body).not.toContain('a brand new password');
    expect(entries.body).not.toContain('scrypt$');

    // An admin may change the role.
    const promoted = await t.call('PATCH', self, { body: { role: 'manager' } });
    expect(promoted.status).toBe(200);
    expect(promoted.json.role).toBe('manager');
  });

  it('adds, updates and removes team members, and filters people by team', async () => {
    const t = get();
    const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Members', time_zone: 'UTC' } });
    const other = await t.call('POST', '/api/v1/teams', { body: { name: 'Others', time_zone: 'UTC' } });
    const alice = await t.call('POST', '/api/v1/users', {
      body: { email: 'alice@example.test', name: 'Alice' },
    });
    const bob = await t.call('POST', '/api/v1/users', { body: { email: 'bob@example.test', name: 'Bob' } });
    const carol = await t.call('POST', '/api/v1/users', {
      body: { email: 'carol@example.test', name: 'Carol' },
    });
    const members = `/api/v1/teams/${team.json.id}/members`;

    const added = await t.call('POST', members, { body: { user_id: alice.json.id, role: 'manager' } });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({
      team_id: team.json.id,
      user_id: alice.json.id,
      role: 'manager',
      name: 'Alice',
      email: 'alice@example.test',
    });
    const defaulted = await t.call('POST', members, { body: { user_id: bob.json.id } });
    expect(defaulted.json.role).toBe('responder');
    expect(
      (await t.call('POST', `/api/v1/teams/${other.json.id}/members`, { body: { user_id: carol.json.id } }))
        .status,
    ).toBe(201);

    // Adding again changes the role; membership is not duplicated.
    const changed = await t.call('POST', members, { body: { user_id: bob.json.id, role: 'viewer' } });
    expect(changed.status).toBe(201);
    expect(changed.json.role).toBe('viewer');
    const list = await t.call('GET', members);
    expect(list.json.items.map((m: { name: string; role: string }) => [m.name, m.role])).toEqual([
      ['Alice', 'manager'],
      ['Bob', 'viewer'],
    ]);
    expect((await t.call('GET', `/api/v1/teams/${team.json.id}`)).json.member_count).toBe(2);

    const filtered = await t.call('GET', `/api/v1/users?team_id=${team.json.id}`);
    expect(filtered.status).toBe(200);
    expect(filtered.json.items.map((u: { name: string }) => u.name).sort()).toEqual(['Alice', 'Bob']);
    const aliceView = filtered.json.items.find((u: { name: string }) => u.name === 'Alice');
    expect(aliceView.teams).toEqual([{ team_id: team.json.id, role: 'manager' }]);
    expect(
      (await t.call('GET', `/api/v1/users?team_id=${other.json.id}`)).json.items.map(
        (u: { name: string }) => u.name,
      ),
    ).toEqual(['Carol']);
    expect((await t.call('GET', '/api/v1/users?team_id=team_none')).json.items).toEqual([]);

    expect((await t.call('DELETE', `${members}/${bob.json.id}`)).status).toBe(204);
    const gone = await t.call('DELETE', `${members}/${bob.json.id}`);
    expect(gone.status).toBe(404);
    const remaining = await t.call('GET', `/api/v1/users?team_id=${team.json.id}`);
    expect(remaining.json.items.map((u: { name: string }) => u.name)).toEqual(['Alice']);
    expect((await t.call('GET', `/api/v1/users/${bob.json.id}`)).json.teams).toEqual([]);

    const noUser = await t.call('POST', members, { body: { user_id: 'usr_missing' } });
    expect(noUser.status).toBe(404);
    expect(noUser.json.code).toBe('CATALOG_USER_NOT_FOUND');
    const noTeam = await t.call('POST', '/api/v1/teams/team_missing/members', {
      body: { user_id: alice.json.id },
    });
    expect(noTeam.status).toBe(404);
    expect(noTeam.json.code).toBe('CATALOG_TEAM_NOT_FOUND');
    const badRole = await t.call('POST', members, { body: { user_id: alice.json.id, role: 'admin' } });
    expect(badRole.status).toBe(400);
    expect(badRole.json.errors[0].path).toBe('body.role');

    const audit = await t.call('GET', `/api/v1/audit-log?target_id=${team.json.id}&action=team.member`);
    expect(audit.json.items.map((e: { action: string }) => e.action)).toEqual([
      'team.member.remove',
      'team.member.put',
      'team.member.put',
      'team.member.put',
    ]);
    // The prefix is literal: LIKE wildcards in it match only themselves.
    for (const literal of ['team.member_', 'team%', 'team_member']) {
      const none = await t.call('GET', `/api/v1/audit-log?target_id=${team.json.id}&action=${literal}`);
      expect(none.status).toBe(200);
      expect(none.json.items, literal).toEqual([]);
    }
  });
});

// Apps of their own run after the shared ones: one live PostgreSQL schema per process at a time.
for (const engine of ENGINES) {
  describe(`HTTP contract before migrations [${engine}]`, () => {
    it('reports 503 until migrations ran, then 200', async () => {
      const database = await createTestDatabase(engine);
      const container = createContainer(testConfig(), {
        database: database.handle,
        logger: createLogger('silent'),
        processMetrics: false,
      });
      const app = await buildApp(container);
      try {
        await app.ready();
        const starting = await app.inject({ method: 'GET', url: '/healthz' });
        expect(starting.statusCode).toBe(503);
        expect(starting.json()).toMatchObject({ status: 'starting', database: engine });

        for (const headers of [{}, { authorization: 'Bearer eo_anything' }]) {
          const api = await app.inject({ method: 'GET', url: '/api/v1/teams', headers });
          expect(api.statusCode).toBe(503);
          expect(api.headers['content-type']).toContain('application/problem+json');
          expect(api.json()).toMatchObject({ code: 'HTTP_SERVICE_UNAVAILABLE', status: 503 });
        }
        const write = await app.inject({
          method: 'POST',
          url: '/api/v1/setup',
          payload: { email: 'early@example.test', name: 'Early', password: 'early password 1' },
        });
        expect(write.statusCode).toBe(503);

        const report = await container.migrate();
        expect(report.applied.length).toBeGreaterThan(0);
        const ready = await app.inject({ method: 'GET', url: '/healthz' });
        expect(ready.statusCode).toBe(200);
        expect(ready.json()).toMatchObject({ status: 'ok', database: engine });
        const api = await app.inject({ method: 'GET', url: '/api/v1/teams' });
        expect(api.statusCode).toBe(401);
        expect((await app.inject({ method: 'GET', url: '/api/v1/setup' })).json()).toEqual({
          required: true,
        });

        // Shutting down: healthz turns 503 again so a load balancer stops sending traffic.
        container.state.shuttingDown = true;
        expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(503);
        container.state.shuttingDown = false;
      } finally {
        await app.close();
        await container.close();
        await database.drop();
      }
    });
  });
}
