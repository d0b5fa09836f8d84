import type { AddressInfo } from 'node:net';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature } from '@openfeature/server-sdk';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';
import { createEngine } from './evaluate.ts';

const rollout = (percent: number, extra: Record<string, unknown> = {}) => ({
  name: 'flexibleRollout',
  parameters: { rollout: String(percent), stickiness: 'default', groupId: 'checkout' },
  constraints: [],
  ...extra,
});

function waitFor<T>(check: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const value = check();
      if (value !== undefined) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describeEachEngine('feature flags', (get) => {
  it('manages flags through the admin API, audits changes, exports and re-imports them', async () => {
    const t = get();
    const envs = await t.call('GET', '/api/v1/environments');
    expect(envs.json.items.map((e: { key: string }) => e.key)).toEqual([
      'development',
      'staging',
      'production',
    ]);
    expect((await t.call('POST', '/api/v1/environments', { body: { key: 'qa', name: 'QA' } })).status).toBe(
      201,
    );
    expect(
      (await t.call('POST', '/api/v1/environments', { body: { key: 'qa', name: 'QA' } })).json.code,
    ).toBe('FLAGS_KEY_TAKEN');

    const created = await t.call('POST', '/api/v1/flags', {
      body: { key: 'admin.checkout', description: 'New checkout', tags: ['checkout'] },
    });
    expect(created.status).toBe(201);
    expect(created.json.environments.production).toEqual({
      enabled: false,
      strategies: [],
      variants: null,
      updated_at: null,
    });
    const bad = await t.call('PATCH', '/api/v1/flags/admin.checkout/environments/production', {
      body: {
        strategies: [
          { name: 'default', constraints: [{ contextName: 'userId', operator: 'REGEX', value: '(a)\\1' }] },
        ],
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('FLAGS_INVALID_DEFINITION');

    const patched = await t.call('PATCH', '/api/v1/flags/admin.checkout/environments/production', {
      body: {
        enabled: true,
        strategies: [
          rollout(100, { constraints: [{ contextName: 'country', operator: 'IN', values: ['NO', 'SE'] }] }),
        ],
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.environments.production.enabled).toBe(true);
    const off = await t.call('POST', '/api/v1/flags/admin.checkout/environments/production/off');
    expect(off.json.environments.production.enabled).toBe(false);

    const audit = await t.call('GET', '/api/v1/audit-log?limit=50');
    const actions = audit.json.items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['flags.create', 'flags.environment.update', 'flags.environment.off']),
    );

    // Viewers read but do not write; team managers write their own team's flags only.
    const viewer = await t.tokenFor('viewer');
    expect((await t.call('GET', '/api/v1/flags', { token: viewer })).status).toBe(200);
    expect((await t.call('POST', '/api/v1/flags', { token: viewer, body: { key: 'nope' } })).status).toBe(
      403,
    );

    const exported = await t.call('GET', '/api/v1/flags/export?environment=production');
    expect(exported.json.features.find((f: { name: string }) => f.name === 'admin.checkout')).toMatchObject({
      enabled: false,
      strategies: [{ name: 'flexibleRollout' }],
    });
    const imported = await t.call('POST', '/api/v1/flags/import?environment=staging', {
      body: {
        version: 2,
        features: [
          ...exported.json.features,
          {
            name: 'admin.imported',
            enabled: true,
            strategies: [{ name: 'userWithId', parameters: { userIds: 'a,b' } }],
            variants: [{ name: 'blue', weight: 1000, payload: { type: 'string', value: 'blue' } }],
          },
        ],
        segments: [
          {
            id: 7,
            name: 'nordics',
            constraints: [{ contextName: 'country', operator: 'IN', values: ['NO'] }],
          },
        ],
      },
    });
    expect(imported.status).toBe(200);
    const roundTrip = await t.call('GET', '/api/v1/flags/export?environment=staging');
    expect(roundTrip.json.segments).toEqual([
      { id: 7, name: 'nordics', constraints: [{ contextName: 'country', operator: 'IN', values: ['NO'] }] },
    ]);
    expect(roundTrip.json.features.find((f: { name: string }) => f.name === 'admin.imported')).toMatchObject({
      enabled: true,
      strategies: [{ name: 'userWithId', parameters: { userIds: 'a,b' } }],
      variants: [{ name: 'blue', weight: 1000 }],
    });
    expect((await t.call('GET', '/api/v1/flags/admin.imported')).json.type).toBe('string');
  });

  it('serves the real unleash-client and OpenFeature OFREP provider the same answers as the engine', async () => {
    const t = get();
    await t.call('POST', '/api/v1/flags', { body: { key: 'sdk.rollout' } });
    await t.call('PATCH', '/api/v1/flags/sdk.rollout/environments/development', {
      body: { enabled: true, strategies: [rollout(50)] },
    });
    await t.call('POST', '/api/v1/flags', {
      body: {
        key: 'sdk.color',
        type: 'string',
        variants: [
          { name: 'red', weight: 500, payload: { type: 'string', value: 'red' }, stickiness: 'default' },
          { name: 'green', weight: 500, payload: { type: 'string', value: 'green' }, stickiness: 'default' },
        ],
      },
    });
    await t.call('PATCH', '/api/v1/flags/sdk.color/environments/development', {
      body: {
        enabled: true,
        strategies: [
          { name: 'default', constraints: [{ contextName: 'plan', operator: 'IN', values: ['pro'] }] },
        ],
      },
    });
    const token = await t.call('POST', '/api/v1/sdk-tokens', {
      body: { name: 'backend', type: 'client', environment: 'development' },
    });
    expect(token.status).toBe(201);
    const sdkToken: string = token.json.token;

    // 401 without a token, ETag and 304 with one.
    expect((await t.call('GET', '/api/client/features', { token: null })).status).toBe(401);
    const features = await t.call('GET', '/api/client/features', {
      token: null,
      headers: { authorization: sdkToken },
    });
    expect(features.status).toBe(200);
    const etag = features.headers.etag as string;
    expect(etag).toBeTruthy();
    const again = await t.call('GET', '/api/client/features', {
      token: null,
      headers: { authorization: sdkToken, 'if-none-match': etag },
    });
    expect(again.status).toBe(304);

    const reference = createEngine(features.json);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.server.address() as AddressInfo).port;
    const base = `http://127.0.0.1:${port}`;

    const unleash = new Unleash({
      url: `${base}/api/`,
      appName: 'flags-int-test',
      customHeaders: { Authorization: sdkToken },
      refreshInterval: 100,
      disableMetrics: true,
      storageProvider: new InMemStorageProvider(),
    });
    const domain = `flags-${t.engine}`;
    try {
      await new Promise<void>((resolve, reject) => {
        unleash.once('synchronized', () => resolve());
        unleash.once('error', reject);
      });
      const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
      let on = 0;
      for (const userId of users) {
        const ours = reference.isEnabled('sdk.rollout', { userId });
        expect(unleash.isEnabled('sdk.rollout', { userId })).toBe(ours);
        if (ours) on++;
        for (const plan of ['pro', 'free']) {
          const context = { userId, properties: { plan } };
          expect(unleash.getVariant('sdk.color', context)).toMatchObject(
            reference.getVariant('sdk.color', context),
          );
        }
      }
      expect(on).toBeGreaterThan(5);
      expect(on).toBeLessThan(35);

      await OpenFeature.setProviderAndWait(
        domain,
        new OFREPProvider({ baseUrl: base, headers: [['Authorization', `Bearer ${sdkToken}`]] }),
      );
      const client = OpenFeature.getClient(domain);
      for (const userId of users.slice(0, 15)) {
        expect(await client.getBooleanValue('sdk.rollout', false, { targetingKey: userId })).toBe(
          reference.isEnabled('sdk.rollout', { userId }),
        );
        const expected = reference.getVariant('sdk.color', { userId, properties: { plan: 'pro' } });
        const details = await client.getStringDetails('sdk.color', 'none', {
          targetingKey: userId,
          plan: 'pro',
        });
        expect(details.value).toBe(expected.payload?.value);
        expect(details.variant).toBe(expected.name);
      }
      const missing = await client.getBooleanDetails('sdk.missing', true, { targetingKey: 'u' });
      expect(missing).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND' });

      // Kill switch: the SDK sees it on its next poll, OFREP immediately.
      const enabledUser = users.find((userId) => reference.isEnabled('sdk.rollout', { userId })) as string;
      await t.call('POST', '/api/v1/flags/sdk.rollout/environments/development/off');
      expect(await client.getBooleanValue('sdk.rollout', true, { targetingKey: enabledUser })).toBe(false);
      await waitFor(
        () => (unleash.isEnabled('sdk.rollout', { userId: enabledUser }) ? undefined : true),
        'unleash-client to see the kill switch',
      );
      const changed = await t.call('GET', '/api/client/features', {
        token: null,
        headers: { authorization: sdkToken, 'if-none-match': etag },
      });
      expect(changed.status).toBe(200);
    } finally {
      unleash.destroy();
      await OpenFeature.clearProviders();
    }
  });

  it('answers OFREP errors and bulk evaluations in the protocol shapes', async () => {
    const t = get();
    const token = (
      await t.call('POST', '/api/v1/sdk-tokens', {
        body: { name: 'ofrep', type: 'client', environment: 'production' },
      })
    ).json.token as string;
    await t.call('POST', '/api/v1/flags', { body: { key: 'ofrep.users' } });
    await t.call('PATCH', '/api/v1/flags/ofrep.users/environments/production', {
      body: { enabled: true, strategies: [{ name: 'userWithId', parameters: { userIds: 'alice' } }] },
    });
    const headers = { authorization: `Bearer ${token}` };
    const one = await t.call('POST', '/ofrep/v1/evaluate/flags/ofrep.users', {
      token: null,
      headers,
      body: { context: { targetingKey: 'alice' } },
    });
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ key: 'ofrep.users', value: true, reason: 'TARGETING_MATCH' });
    const noKey = await t.call('POST', '/ofrep/v1/evaluate/flags/ofrep.users', {
      token: null,
      headers,
      body: { context: {} },
    });
    expect(noKey.status).toBe(400);
    expect(noKey.json.errorCode).toBe('TARGETING_KEY_MISSING');
    const badContext = await t.call('POST', '/ofrep/v1/evaluate/flags/ofrep.users', {
      token: null,
      headers,
      body: { context: 'nope' },
    });
    expect(badContext.json).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
    const parse = await t.call('POST', '/ofrep/v1/evaluate/flags/ofrep.users', {
      token: null,
      headers: { ...headers, 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(parse.status).toBe(400);
    expect(parse.json.errorCode).toBe('PARSE_ERROR');
    const notFound = await t.call('POST', '/ofrep/v1/evaluate/flags/ofrep.none', {
      token: null,
      headers,
      body: {},
    });
    expect(notFound.status).toBe(404);
    expect(notFound.json).toMatchObject({ key: 'ofrep.none', errorCode: 'FLAG_NOT_FOUND' });
    expect(
      (await t.call('POST', '/ofrep/v1/evaluate/flags/ofrep.users', { token: null, body: {} })).status,
    ).toBe(401);

    const bulk = await t.call('POST', '/ofrep/v1/evaluate/flags', {
      token: null,
      headers,
      body: { context: { targetingKey: 'bob' } },
    });
    expect(bulk.status).toBe(200);
    expect(bulk.json.flags).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: 'ofrep.users', value: false })]),
    );
    const bulkAgain = await t.call('POST', '/ofrep/v1/evaluate/flags', {
      token: null,
      headers: { ...headers, 'if-none-match': bulk.headers.etag as string },
      body: { context: { targetingKey: 'bob' } },
    });
    expect(bulkAgain.status).toBe(304);

    const frontendToken = (
      await t.call('POST', '/api/v1/sdk-tokens', {
        body: { name: 'web', type: 'frontend', environment: 'production' },
      })
    ).json.token as string;
    const frontend = await t.call('GET', '/api/frontend?userId=alice', {
      token: null,
      headers: { authorization: frontendToken },
    });
    expect(frontend.json.toggles).toEqual([
      {
        name: 'ofrep.users',
        enabled: true,
        variant: { name: 'disabled', enabled: false, feature_enabled: true },
        impressionData: false,
      },
    ]);
    // Frontend tokens cannot read the full client API.
    expect(
      (
        await t.call('GET', '/api/client/features', {
          token: null,
          headers: { authorization: frontendToken },
        })
      ).status,
    ).toBe(401);

    const metrics = await t.call('POST', '/api/client/metrics', {
      token: null,
      headers: { authorization: token },
      body: {
        appName: 'svc',
        instanceId: 'i1',
        bucket: {
          start: '2026-01-01T10:15:00.000Z',
          stop: '2026-01-01T10:16:00.000Z',
          toggles: { 'ofrep.users': { yes: 3, no: 2, variants: { blue: 1 } } },
        },
      },
    });
    expect(metrics.status).toBe(202);
    const stored = await t.container.flags.service.metricsOf('ofrep.users');
    expect(stored).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ hour: '2026-01-01T10:00:00.000Z', variant: '', yes_count: 3, no_count: 2 }),
      ]),
    );
  });
});
