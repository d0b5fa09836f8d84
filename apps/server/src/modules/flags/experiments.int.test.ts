import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';

const at = '2026-02-01T10:00:00.000Z';
const twoVariants = (a: string, b: string) => [
  { name: a, weight: 500, stickiness: 'default', payload: { type: 'string', value: a } },
  { name: b, weight: 500, stickiness: 'default', payload: { type: 'string', value: b } },
];

describeEachEngine('experiments', (get) => {
  it('takes idempotent event batches and compares conversion rates against control', async () => {
    const t = get();
    await t.call('POST', '/api/v1/flags', {
      body: { key: 'exp.button', type: 'string', variants: twoVariants('control', 'blue') },
    });
    const sdkToken = (
      await t.call('POST', '/api/v1/sdk-tokens', {
        body: { name: 'web', type: 'frontend', environment: 'production' },
      })
    ).json.token as string;

    const exposures = (variant: string, from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        type: 'exposure',
        flag_key: 'exp.button',
        variant,
        user_key: `${variant}-${from + i}`,
        at,
      }));
    const few = await t.call('POST', '/api/v1/events', {
      token: null,
      headers: { authorization: sdkToken },
      body: { events: [...exposures('control', 0, 30), ...exposures('blue', 0, 30)] },
    });
    expect(few.status).toBe(202);
    expect(few.json).toEqual({ accepted: 60, duplicates: 0 });
    const early = (await t.call('GET', '/api/v1/flags/exp.button/experiment')).json;
    expect(early.verdict).toBe('not_enough_data');
    expect(early.guidance).toBe(
      'Not enough data yet: every variant needs 100 users (control has 30, blue has 30).',
    );

    // Refused: no credentials, a viewer's API token, an unknown flag (nothing written).
    expect(
      (await t.call('POST', '/api/v1/events', { token: null, body: exposures('blue', 0, 1)[0] })).status,
    ).toBe(401);
    const viewer = await t.tokenFor('viewer');
    expect(
      (await t.call('POST', '/api/v1/events', { token: viewer, body: exposures('blue', 0, 1)[0] })).status,
    ).toBe(403);
    const unknown = await t.call('POST', '/api/v1/events', {
      body: {
        events: [...exposures('blue', 500, 2), { ...exposures('blue', 0, 1)[0], flag_key: 'exp.none' }],
      },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors).toEqual([{ path: 'body.events.2.flag_key', message: 'no flag exp.none' }]);
    const incomplete = await t.call('POST', '/api/v1/events', { body: { type: 'exposure' } });
    expect(incomplete.status).toBe(400);
    expect(incomplete.json.errors.map((e: { path: string }) => e.path)).toEqual([
      'body.flag_key',
      'body.variant',
      'body.user_key',
      'body.at',
    ]);
    // One event on its own (not in `events`): the same exposure again is a duplicate.
    const single = await t.call('POST', '/api/v1/events', {
      token: null,
      headers: { authorization: `Bearer ${sdkToken}` },
      body: exposures('blue', 0, 1)[0],
    });
    expect(single.json).toEqual({ accepted: 0, duplicates: 1 });

    // 1,000 users per variant; 100 control and 120 blue users convert (one converts twice).
    await t.call('POST', '/api/v1/events', { body: { events: exposures('control', 30, 970) } });
    const blue = await t.call('POST', '/api/v1/events', { body: { events: exposures('blue', 30, 970) } });
    expect(blue.json).toEqual({ accepted: 970, duplicates: 0 });
    const conversions = [
      ...Array.from({ length: 100 }, (_, i) => ({ variant: 'control', user_key: `control-${i * 7}` })),
      ...Array.from({ length: 120 }, (_, i) => ({ variant: 'blue', user_key: `blue-${i * 8}` })),
      { variant: 'blue', user_key: 'blue-0', id: 'second-purchase' },
    ].map((c) => ({ type: 'conversion', flag_key: 'exp.button', at: '2026-02-01T11:00:00.000Z', ...c }));
    expect((await t.call('POST', '/api/v1/events', { body: { events: conversions } })).json).toEqual({
      accepted: 221,
      duplicates: 0,
    });
    // Sent again (a retry): nothing new.
    expect((await t.call('POST', '/api/v1/events', { body: { events: conversions } })).json).toEqual({
      accepted: 0,
      duplicates: 221,
    });

    const result = (await t.call('GET', '/api/v1/flags/exp.button/experiment')).json;
    expect(result).toMatchObject({ control: 'control', metric: 'conversion', kind: 'conversion' });
    const [control, treatment] = result.variants;
    expect(control).toMatchObject({
      name: 'control',
      users: 1000,
      conversions: 100,
      value: 0.1,
      p_value: null,
    });
    expect(treatment).toMatchObject({ name: 'blue', users: 1000, conversions: 120, value: 0.12 });
    // The worked example of experiment-stats.test.ts: z = 1.4293, p = 0.1529, P(beat) = 0.9232.
    expect(treatment.absolute_lift).toBeCloseTo(0.02, 12);
    expect(treatment.p_value).toBeCloseTo(0.1529177818639462, 10);
    expect(treatment.absolute_ci.low).toBeCloseTo(-0.007411481998019935, 10);
    expect(treatment.relative_lift).toBeCloseTo(0.2, 10);
    expect(treatment.chance_to_beat_control).toBeCloseTo(0.92318343897356, 8);
    expect(result.sample_ratio).toEqual({ chi_square: 0, df: 1, p_value: 1, mismatch: false });
    expect(result.verdict).toBe('no_difference');
    expect((await t.call('GET', '/api/v1/flags/exp.button/experiment?control=green')).status).toBe(400);
  });

  it('compares the mean of a numeric metric with Welch’s t-test', async () => {
    const t = get();
    await t.call('POST', '/api/v1/flags', {
      body: { key: 'exp.price', type: 'string', variants: twoVariants('old', 'new') },
    });
    // Wikipedia's Welch example 1: the two samples as revenue per user.
    const a1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
    const a2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
    const events = [
      ...a1.map((value, i) => ({ variant: 'old', user_key: `o${i}`, value })),
      ...a2.map((value, i) => ({ variant: 'new', user_key: `n${i}`, value })),
    ].flatMap(({ variant, user_key, value }) => [
      { type: 'exposure', flag_key: 'exp.price', variant, user_key, at },
      { type: 'conversion', flag_key: 'exp.price', variant, user_key, metric: 'revenue', value, at },
    ]);
    expect((await t.call('POST', '/api/v1/events', { body: { events } })).json.accepted).toBe(60);
    const result = (await t.call('GET', '/api/v1/flags/exp.price/experiment?metric=revenue&kind=mean')).json;
    const [old, fresh] = result.variants;
    expect(old.value).toBeCloseTo(20.82, 10);
    expect(fresh.value).toBeCloseTo(22.986666666666665, 10);
    expect(fresh.p_value).toBeCloseTo(0.021378001462866992, 8);
    expect(fresh.absolute_ci.low).toBeCloseTo(0.3492370661924069, 7);
    expect(result.verdict).toBe('not_enough_data');
  });
});
