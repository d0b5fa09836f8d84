import type { AddressInfo } from 'node:net';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';
import { createEngine } from './evaluate.ts';

/**
 * Exposures from SDK metrics: Unleash's `POST /api/client/metrics` carries per-variant counts
 * without user ids. They show on the experiment as evaluations per variant; users, rates and the
 * sample-ratio check stay with the user-level events of `POST /api/v1/events`.
 */

const variants = [
  { name: 'control', weight: 500, stickiness: 'default', payload: { type: 'string', value: 'control' } },
  { name: 'blue', weight: 500, stickiness: 'default', payload: { type: 'string', value: 'blue' } },
];

describeEachEngine('experiment exposures from SDK metrics', (get) => {
  it('sums variant counts per environment over hours and apps, and keeps users from events', async () => {
    const t = get();
    await t.call('POST', '/api/v1/flags', { body: { key: 'exp.sdk', type: 'string', variants } });
    const token = async (environment: string) =>
      (
        await t.call('POST', '/api/v1/tokens', {
          body: { name: `metrics-${environment}`, type: 'client', environment },
        })
      ).json.token as string;
    const production = await token('production');
    const staging = await token('staging');
    const send = (auth: string, appName: string, start: string, toggles: Record<string, unknown>) =>
      t.call('POST', '/api/client/metrics', {
        token: null,
        headers: { authorization: auth },
        body: { appName, instanceId: 'i-1', bucket: { start, stop: start, toggles } },
      });

    // Only SDK metrics so far: evaluations show, users do not, and the guidance says why.
    expect(
      (
        await send(production, 'web', '2026-02-01T10:05:00.000Z', {
          'exp.sdk': { yes: 12, no: 0, variants: { control: 7, blue: 5 } },
        })
      ).status,
    ).toBe(202);
    const sdkOnly = (await t.call('GET', '/api/v1/flags/exp.sdk/experiment')).json;
    expect(sdkOnly.variants.map((v: { sdk_evaluations: number; users: number }) => v)).toMatchObject([
      { name: 'control', sdk_evaluations: 7, users: 0 },
      { name: 'blue', sdk_evaluations: 5, users: 0 },
    ]);
    expect(sdkOnly.verdict).toBe('not_enough_data');
    expect(sdkOnly.guidance).toBe(
      'Not enough data yet: the SDKs report 12 evaluations (control 7, blue 5), but SDK metrics carry no user ids. Send exposures and conversions to POST /api/v1/events for results.',
    );

    // A second hour, a second app, and a variant the flag does not have ('disabled'): summed per
    // variant; another environment's counts stay out.
    await send(production, 'web', '2026-02-01T11:20:00.000Z', {
      'exp.sdk': { yes: 14, no: 2, variants: { control: 3, blue: 11, disabled: 2 } },
    });
    await send(production, 'api', '2026-02-01T11:40:00.000Z', {
      'exp.sdk': { yes: 1000, no: 0, variants: { blue: 1000 } },
    });
    await send(staging, 'web', '2026-02-01T11:40:00.000Z', {
      'exp.sdk': { yes: 50, no: 0, variants: { control: 50 } },
    });

    // 150 users per variant from events: the split is even, whatever the SDK counts say.
    const exposures = ['control', 'blue'].flatMap((variant) =>
      Array.from({ length: 150 }, (_, i) => ({
        type: 'exposure',
        flag_key: 'exp.sdk',
        variant,
        user_key: `${variant}-${i}`,
        at: '2026-02-01T10:00:00.000Z',
      })),
    );
    expect((await t.call('POST', '/api/v1/events', { body: { events: exposures } })).json.accepted).toBe(300);
    const result = (await t.call('GET', '/api/v1/flags/exp.sdk/experiment')).json;
    expect(result.variants).toMatchObject([
      { name: 'control', users: 150, sdk_evaluations: 10 },
      { name: 'blue', users: 150, sdk_evaluations: 1016 },
    ]);
    // 10 against 1,016 evaluations would be a glaring mismatch if counted; users are split 150/150.
    expect(result.sample_ratio).toEqual({ chi_square: 0, df: 1, p_value: 1, mismatch: false });
    const stagingResult = (await t.call('GET', '/api/v1/flags/exp.sdk/experiment?environment=staging')).json;
    expect(stagingResult.variants.map((v: { sdk_evaluations: number }) => v.sdk_evaluations)).toEqual([
      50, 0,
    ]);
  });

  it('counts the variants the real unleash-client served, as it reports them', async () => {
    const t = get();
    await t.call('POST', '/api/v1/flags', { body: { key: 'exp.client', type: 'string', variants } });
    await t.call('POST', '/api/v1/flags/exp.client/environments/production/on');
    const token = (
      await t.call('POST', '/api/v1/tokens', {
        body: { name: 'metrics-client', type: 'client', environment: 'production' },
      })
    ).json.token as string;
    const features = await t.call('GET', '/api/client/features', {
      token: null,
      headers: { authorization: token },
    });
    const reference = createEngine(features.json);

    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.server.address() as AddressInfo).port;
    const unleash = new Unleash({
      url: `http://127.0.0.1:${port}/api/`,
      appName: 'experiment-metrics',
      customHeaders: { Authorization: token },
      refreshInterval: 60_000,
      metricsInterval: 60_000,
      storageProvider: new InMemStorageProvider(),
    });
    const expected: Record<string, number> = { control: 0, blue: 0 };
    try {
      await new Promise<void>((resolve, reject) => {
        unleash.once('synchronized', () => resolve());
        unleash.once('error', reject);
      });
      // 60 users, the first 20 of them twice: 80 evaluations.
      const users = Array.from({ length: 60 }, (_, i) => `user-${i}`);
      for (const userId of [...users, ...users.slice(0, 20)]) {
        const served = unleash.getVariant('exp.client', { userId }).name;
        expect(served).toBe(reference.getVariant('exp.client', { userId }).name);
        expected[served] = (expected[served] ?? 0) + 1;
      }
      await unleash.flushMetrics();
    } finally {
      unleash.destroy();
    }
    expect(expected.control! + expected.blue!).toBe(80);
    // Both variants were served (a 50/50 split of 60 users), so the check below is not vacuous.
    expect(expected.control).toBeGreaterThan(10);
    expect(expected.blue).toBeGreaterThan(10);
    const result = (await t.call('GET', '/api/v1/flags/exp.client/experiment')).json;
    expect(
      result.variants.map((v: { name: string; sdk_evaluations: number }) => [v.name, v.sdk_evaluations]),
    ).toEqual([
      ['control', expected.control],
      ['blue', expected.blue],
    ]);
    expect(result.variants.map((v: { users: number }) => v.users)).toEqual([0, 0]);
  });
});
