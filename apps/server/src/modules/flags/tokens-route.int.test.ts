import type { AddressInfo } from 'node:net';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';

/**
 * `POST /api/v1/tokens {name, type: client|frontend, environment}` (the wording) makes an
 * SDK token next to the platform API tokens the same path has always made.
 */

async function counts(t: TestApp) {
  const count = async (table: 'flag_sdk_tokens' | 'api_tokens' | 'audit_log') =>
    Number(
      (
        await t.container.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    sdk: await count('flag_sdk_tokens'),
    api: await count('api_tokens'),
    audit: await count('audit_log'),
  };
}

describeEachEngine('SDK tokens through /api/v1/tokens', (get) => {
  it('creates an SDK token for one environment that the real unleash-client uses, audited', async () => {
    const t = get();
    const manager = await t.tokenFor('manager');
    await t.call('POST', '/api/v1/flags', { body: { key: 'tok.checkout' } });
    await t.call('POST', '/api/v1/flags', { body: { key: 'tok.search' } });
    // Production: checkout on, search off. Development: the other way round.
    await t.call('POST', '/api/v1/flags/tok.checkout/environments/production/on');
    await t.call('POST', '/api/v1/flags/tok.search/environments/development/on');

    const created = await t.call('POST', '/api/v1/tokens', {
      token: manager,
      body: { name: 'checkout backend', type: 'client', environment: 'production' },
    });
    expect(created.status, created.body).toBe(201);
    expect(created.json).toMatchObject({
      name: 'checkout backend',
      type: 'client',
      environment: 'production',
      revoked_at: null,
    });
    expect(created.json.id).toMatch(/^sdkt_/);
    expect(created.json.token).toMatch(/^eofc_production\./);
    expect(created.json.prefix).toBe(created.json.token.slice(0, 'eofc_production.'.length + 4));

    // Audited as an SDK token, and listed with the SDK tokens (not with the platform API tokens).
    const audit = await t.call('GET', '/api/v1/audit-log?action=flags.sdk_token.create');
    const entry = audit.json.items.find((e: { target_id: string }) => e.target_id === created.json.id);
    expect(entry).toMatchObject({ target_type: 'flag_sdk_token', actor_name: 'token:test-manager' });
    expect(entry.after).toMatchObject({ environment: 'production', type: 'client' });
    expect(JSON.stringify(entry.after)).not.toContain(created.json.token);
    const sdk = await t.call('GET', '/api/v1/sdk-tokens');
    expect(sdk.json.items.map((x: { id: string }) => x.id)).toContain(created.json.id);
    const api = await t.call('GET', '/api/v1/tokens?limit=200');
    expect(api.json.items.map((x: { id: string }) => x.id)).not.toContain(created.json.id);

    // The token reads production only: its features document is production's.
    const features = await t.call('GET', '/api/client/features', {
      token: null,
      headers: { authorization: created.json.token },
    });
    expect(features.status).toBe(200);
    const enabled = Object.fromEntries(
      features.json.features
        .filter((f: { name: string }) => f.name.startsWith('tok.'))
        .map((f: { name: string; enabled: boolean }) => [f.name, f.enabled]),
    );
    expect(enabled).toEqual({ 'tok.checkout': true, 'tok.search': false });
    // It is not an API token: the admin API turns it away.
    expect((await t.call('GET', '/api/v1/flags', { token: created.json.token })).status).toBe(401);

    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.server.address() as AddressInfo).port;
    const unleash = new Unleash({
      url: `http://127.0.0.1:${port}/api/`,
      appName: 'tokens-route-test',
      customHeaders: { Authorization: created.json.token },
      refreshInterval: 60_000,
      disableMetrics: true,
      storageProvider: new InMemStorageProvider(),
    });
    try {
      await new Promise<void>((resolve, reject) => {
        unleash.once('synchronized', () => resolve());
        unleash.once('error', reject);
      });
      expect(unleash.isEnabled('tok.checkout', { userId: 'u1' })).toBe(true);
      expect(unleash.isEnabled('tok.search', { userId: 'u1' })).toBe(false);
    } finally {
      unleash.destroy();
    }

    // Revoked through the same path by the same manager; the SDK is turned away at once.
    const revoked = await t.call('DELETE', `/api/v1/tokens/${created.json.id}`, { token: manager });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revoked_at).not.toBeNull();
    const after = await t.call('GET', '/api/client/features', {
      token: null,
      headers: { authorization: created.json.token },
    });
    expect(after.status).toBe(401);
  });

  it('makes frontend tokens that only the frontend API and OFREP accept', async () => {
    const t = get();
    await t.call('POST', '/api/v1/flags', { body: { key: 'tok.banner' } });
    await t.call('POST', '/api/v1/flags/tok.banner/environments/staging/on');
    const created = await t.call('POST', '/api/v1/tokens', {
      body: { name: 'web app', type: 'frontend', environment: 'staging' },
    });
    expect(created.status).toBe(201);
    expect(created.json.token).toMatch(/^eoff_staging\./);
    const headers = { authorization: created.json.token };
    const client = await t.call('GET', '/api/client/features', { token: null, headers });
    expect(client.status).toBe(401);
    const frontend = await t.call('GET', '/api/frontend?userId=u1', { token: null, headers });
    expect(frontend.status).toBe(200);
    expect(frontend.json.toggles.map((x: { name: string }) => x.name)).toContain('tok.banner');
    const ofrep = await t.call('POST', '/ofrep/v1/evaluate/flags/tok.banner', {
      token: created.json.token,
      body: { context: { targetingKey: 'u1' } },
    });
    expect(ofrep.status).toBe(200);
    expect(ofrep.json).toMatchObject({ key: 'tok.banner', value: true });
  });

  it('refuses bad bodies field by field and wrong roles, writing nothing', async () => {
    const t = get();
    const manager = await t.tokenFor('manager');
    const viewer = await t.tokenFor('viewer');
    const teamManager = await t.tokenFor(
      'manager',
      (await t.call('POST', '/api/v1/teams', { body: { name: 'Tok team', time_zone: 'UTC' } })).json.id,
    );
    const before = await counts(t);

    const cases: Array<[unknown, number, string, string]> = [
      [{ name: 'x', type: 'client' }, 400, 'HTTP_VALIDATION_FAILED', 'body.environment'],
      [{ name: 'x', type: 'server', environment: 'production' }, 400, 'HTTP_VALIDATION_FAILED', 'body.type'],
      [
        { name: 'x', type: 'client', environment: 'production', role: 'viewer' },
        400,
        'HTTP_VALIDATION_FAILED',
        'body.role',
      ],
      [
        { name: 'x', type: 'client', environment: 'Prod!' },
        400,
        'HTTP_VALIDATION_FAILED',
        'body.environment',
      ],
      [{ name: '', type: 'frontend', environment: 'production' }, 400, 'HTTP_VALIDATION_FAILED', 'body.name'],
      [
        { name: 'x', type: 'client', environment: 'moon' },
        404,
        'FLAGS_ENVIRONMENT_NOT_FOUND',
        'body.environment',
      ],
      // A platform token body keeps its own validation.
      [{ name: 'x' }, 400, 'HTTP_VALIDATION_FAILED', 'body.role'],
    ];
    for (const [body, status, code, path] of cases) {
      const res = await t.call('POST', '/api/v1/tokens', { token: manager, body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
      expect(res.json.code).toBe(code);
      expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    // type alone is named once (the discriminator), with the choices in plain words.
    const bad = await t.call('POST', '/api/v1/tokens', {
      token: manager,
      body: { name: 'x', type: 'server', environment: 'production' },
    });
    expect(bad.json.errors).toEqual([
      { path: 'body.type', message: expect.stringMatching(/client.*frontend/) },
    ]);

    // Least privilege: a viewer makes neither; an org manager makes SDK tokens but no API token;
    // a team manager holds no org-wide flags.manage.
    for (const [token, body] of [
      [viewer, { name: 'x', type: 'client', environment: 'production' }],
      [viewer, { name: 'x', role: 'viewer' }],
      [manager, { name: 'x', role: 'viewer' }],
      [teamManager, { name: 'x', type: 'client', environment: 'production' }],
    ] as const) {
      const res = await t.call('POST', '/api/v1/tokens', { token, body });
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(res.json.code).toBe('AUTH_FORBIDDEN');
    }
    const platform = (await t.call('GET', '/api/v1/tokens?limit=1')).json.items[0].id as string;
    const revokePlatform = await t.call('DELETE', `/api/v1/tokens/${platform}`, { token: manager });
    expect(revokePlatform.status).toBe(403);
    expect(await counts(t)).toEqual(before);

    // An admin still makes platform API tokens exactly as before.
    const made = await t.call('POST', '/api/v1/tokens', { body: { name: 'ci', role: 'responder' } });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ name: 'ci', role: 'responder', team_id: null });
    expect(made.json.token).toMatch(/^eo_/);
  });

  it('documents both bodies in /openapi.json', async () => {
    const t = get();
    const doc = await t.call('GET', '/openapi.json', { token: null });
    const post = doc.json.paths['/api/v1/tokens'].post;
    expect(post['x-permission']).toBe('flags.manage');
    const schema = post.requestBody.content['application/json'].schema;
    expect(schema.type).toBe('object');
    const required = schema.oneOf.map((s: { required: string[] }) => [...s.required].sort());
    expect(required).toEqual([
      ['environment', 'name', 'type'],
      ['name', 'role'],
    ]);
    expect(schema.oneOf[0].properties.type.enum).toEqual(['client', 'frontend']);
    expect(schema.oneOf[1].properties.type.not).toEqual({});
  });
});
