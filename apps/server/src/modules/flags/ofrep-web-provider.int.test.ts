import type { AddressInfo } from 'node:net';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';
import { createEngine } from './evaluate.ts';

/**
 * The real browser SDK (`@openfeature/web-sdk` with `@openfeature/ofrep-web-provider`) pointed
 * at a listening server with a frontend SDK token: static context, bulk evaluation, re-evaluation
 * on a context change, and flag changes picked up by the provider's polling. Node 20's global
 * fetch is the transport; there is no localStorage, so the provider's cache is disabled.
 */

/** Resolves once `check` returns a value; bounded (rejects after `timeoutMs`). */
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

const ENV = 'development';
const checkoutStrategy = (percent: number) => ({
  name: 'flexibleRollout',
  parameters: { rollout: String(percent), stickiness: 'default', groupId: 'web.checkout' },
  constraints: [{ contextName: 'plan', operator: 'IN', values: ['pro', 'enterprise'] }],
});
const themeVariants = [
  { name: 'red', weight: 400, payload: { type: 'string', value: '#c00' }, stickiness: 'default' },
  { name: 'green', weight: 300, payload: { type: 'string', value: '#0a0' }, stickiness: 'default' },
  { name: 'blue', weight: 300, payload: { type: 'string', value: '#00c' }, stickiness: 'default' },
];

describeEachEngine('OpenFeature web SDK with the OFREP web provider', (get) => {
  it('evaluates, re-evaluates on setContext and sees admin changes on its next poll', async () => {
    const t = get();
    // A boolean flag: 50% gradual rollout, only for the pro and enterprise plans.
    expect((await t.call('POST', '/api/v1/flags', { body: { key: 'web.checkout' } })).status).toBe(201);
    expect(
      (
        await t.call('PATCH', `/api/v1/flags/web.checkout/environments/${ENV}`, {
          body: { enabled: true, strategies: [checkoutStrategy(50)] },
        })
      ).status,
    ).toBe(200);
    // A string flag with weighted variants.
    expect(
      (
        await t.call('POST', '/api/v1/flags', {
          body: { key: 'web.theme', type: 'string', variants: themeVariants },
        })
      ).status,
    ).toBe(201);
    await t.call('PATCH', `/api/v1/flags/web.theme/environments/${ENV}`, {
      body: { enabled: true, strategies: [{ name: 'default', constraints: [] }] },
    });
    const frontend = await t.call('POST', '/api/v1/sdk-tokens', {
      body: { name: 'web-app', type: 'frontend', environment: ENV },
    });
    expect(frontend.status).toBe(201);
    const client = await t.call('POST', '/api/v1/sdk-tokens', {
      body: { name: 'reference', type: 'client', environment: ENV },
    });
    /** Our engine over the client API's state: what the provider must answer. */
    const reference = async () => {
      const features = await t.call('GET', '/api/client/features', {
        token: null,
        headers: { authorization: client.json.token },
      });
      expect(features.status).toBe(200);
      return createEngine(features.json);
    };
    let engine = await reference();

    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const domain = `ofrep-web-${t.engine}`;
    const provider = new OFREPWebProvider({
      baseUrl: base,
      headers: [['Authorization', `Bearer ${frontend.json.token}`]],
      pollInterval: 100,
      changeDetection: 'polling',
      cacheMode: 'disabled',
      disableVisibilityRefresh: true,
    });
    const users = Array.from({ length: 24 }, (_, i) => `web-user-${i}`);
    try {
      await OpenFeature.setProviderAndWait(domain, provider, {
        targetingKey: users[0]!,
        plan: 'pro',
        country: 'DE',
      });
      const sdk = OpenFeature.getClient(domain);
      let changes = 0;
      sdk.addHandler(ProviderEvents.ConfigurationChanged, () => {
        changes++;
      });

      // Each setContext is a bulk re-evaluation by the provider; its answers equal our engine's.
      let on = 0;
      const themes = new Set<string>();
      for (const userId of users) {
        await OpenFeature.setContext(domain, { targetingKey: userId, plan: 'pro', country: 'DE' });
        const context = { userId, properties: { plan: 'pro', country: 'DE' } };
        const expected = engine.isEnabled('web.checkout', context);
        const checkout = sdk.getBooleanDetails('web.checkout', !expected);
        expect(checkout.value).toBe(expected);
        expect(checkout.errorCode).toBeUndefined();
        if (expected) on++;
        const variant = engine.getVariant('web.theme', context);
        const theme = sdk.getStringDetails('web.theme', 'none');
        expect(theme).toMatchObject({ value: variant.payload?.value, variant: variant.name });
        themes.add(theme.variant ?? '');
      }
      // The rollout really splits users and every weighted variant is served.
      expect(on).toBeGreaterThan(3);
      expect(on).toBeLessThan(21);
      expect([...themes].sort()).toEqual(['blue', 'green', 'red']);

      // The constraint: a free plan is never in the rollout (TARGETING_MATCH needs plan pro/enterprise).
      const inRollout = users.find((userId) =>
        engine.isEnabled('web.checkout', { userId, properties: { plan: 'pro' } }),
      )!;
      const outOfRollout = users.find(
        (userId) => !engine.isEnabled('web.checkout', { userId, properties: { plan: 'pro' } }),
      )!;
      await OpenFeature.setContext(domain, { targetingKey: inRollout, plan: 'free' });
      expect(sdk.getBooleanValue('web.checkout', true)).toBe(false);
      await OpenFeature.setContext(domain, { targetingKey: inRollout, plan: 'enterprise' });
      expect(sdk.getBooleanValue('web.checkout', false)).toBe(true);
      const unknown = sdk.getBooleanDetails('web.unknown', true);
      expect(unknown).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND' });

      // The admin API widens the rollout to 100%: the provider sees it on a later poll, no setContext.
      await OpenFeature.setContext(domain, { targetingKey: outOfRollout, plan: 'pro' });
      expect(sdk.getBooleanValue('web.checkout', true)).toBe(false);
      const changesBefore = changes;
      expect(
        (
          await t.call('PATCH', `/api/v1/flags/web.checkout/environments/${ENV}`, {
            body: { strategies: [checkoutStrategy(100)] },
          })
        ).status,
      ).toBe(200);
      await waitFor(
        () => (sdk.getBooleanValue('web.checkout', false) ? true : undefined),
        'the provider to poll the 100% rollout',
      );
      expect(changes).toBeGreaterThan(changesBefore);

      // New variants through the admin API: the poll brings them and they match the engine again.
      const purple = [
        { name: 'purple', weight: 1000, payload: { type: 'string', value: '#808' }, stickiness: 'default' },
      ];
      expect((await t.call('PATCH', '/api/v1/flags/web.theme', { body: { variants: purple } })).status).toBe(
        200,
      );
      await waitFor(
        () => (sdk.getStringValue('web.theme', 'none') === '#808' ? true : undefined),
        'the provider to poll the new variant',
      );
      engine = await reference();
      expect(sdk.getStringDetails('web.theme', 'none')).toMatchObject({
        value: engine.getVariant('web.theme', { userId: outOfRollout, properties: { plan: 'pro' } }).payload
          ?.value,
        variant: 'purple',
      });

      // Kill switch: off in the admin API, off in the browser SDK after its poll.
      expect((await t.call('POST', `/api/v1/flags/web.checkout/environments/${ENV}/off`)).status).toBe(200);
      await waitFor(
        () => (sdk.getBooleanValue('web.checkout', true) ? undefined : true),
        'the provider to poll the kill switch',
      );
      expect(sdk.getBooleanDetails('web.checkout', true)).toMatchObject({ value: false });
    } finally {
      await OpenFeature.clearProviders();
    }
  });
});
