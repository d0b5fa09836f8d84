import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';
import { createEngine } from './evaluate.ts';

/**
 * Import and export in the Unleash client-features format: what goes in comes out unchanged
 * (every constraint operator with its inverted and case-insensitive forms, segments, strategy
 * variants, dependencies), and the SDK document answers as hand-worked contexts say.
 */

const c = (contextName: string, operator: string, values: string | string[], extra: object = {}) => ({
  contextName,
  operator,
  ...(Array.isArray(values) ? { values } : { value: values }),
  ...extra,
});

const segments = [
  {
    id: 41,
    name: 'rt-beta',
    constraints: [c('email', 'STR_ENDS_WITH', ['@EXAMPLE.com'], { caseInsensitive: true })],
  },
  {
    id: 42,
    name: 'rt-office',
    constraints: [c('remoteAddress', 'IN_CIDR', ['10.1.0.0/16', '2001:db8::/32'])],
  },
];

const feature = (name: string, extra: object) => ({
  name,
  description: null,
  type: 'release',
  project: 'default',
  stale: false,
  enabled: true,
  impressionData: false,
  variants: [],
  ...extra,
});

const features = [
  feature('rt.strings', {
    strategies: [
      {
        name: 'default',
        constraints: [
          c('plan', 'IN', ['pro', 'team']),
          c('country', 'NOT_IN', ['XX']),
          c('path', 'STR_CONTAINS', ['/Checkout'], { caseInsensitive: true }),
          c('path', 'STR_STARTS_WITH', ['/internal'], { inverted: true }),
        ],
        parameters: {},
      },
    ],
  }),
  feature('rt.numbers', {
    strategies: [
      {
        name: 'default',
        constraints: [
          c('seats', 'NUM_GTE', '5'),
          c('seats', 'NUM_LT', '100'),
          c('seats', 'NUM_EQ', '13', { inverted: true }),
          c('appVersion', 'SEMVER_GT', '2.0.0'),
          c('appVersion', 'SEMVER_LT', '3.0.0-beta.1'),
          c('currentTime', 'DATE_AFTER', '2026-01-01T00:00:00.000Z'),
          c('currentTime', 'DATE_BEFORE', '2027-01-01T00:00:00.000Z'),
        ],
        parameters: {},
      },
    ],
  }),
  feature('rt.patterns', {
    strategies: [
      {
        name: 'default',
        constraints: [
          c('userId', 'REGEX', '^user-[0-9]+$', { caseInsensitive: true }),
          c('userId', 'REGEX', '-0$', { inverted: true }),
        ],
        parameters: {},
      },
    ],
  }),
  feature('rt.segmented', {
    strategies: [
      {
        name: 'flexibleRollout',
        constraints: [],
        parameters: { rollout: '100', stickiness: 'default', groupId: 'rt.segmented' },
        segments: [41, 42],
        variants: [
          { name: 'wide', weight: 1000, stickiness: 'default', payload: { type: 'string', value: 'wide' } },
        ],
      },
    ],
  }),
  feature('rt.parent', {
    strategies: [{ name: 'userWithId', constraints: [], parameters: { userIds: 'ann,bob' } }],
  }),
  feature('rt.child', {
    strategies: [{ name: 'default', constraints: [], parameters: {} }],
    dependencies: [{ feature: 'rt.parent', enabled: true }],
    variants: [
      {
        name: 'a',
        weight: 500,
        stickiness: 'default',
        payload: { type: 'json', value: '{"n":1}' },
        overrides: [{ contextName: 'userId', values: ['bob'] }],
      },
      { name: 'b', weight: 500, stickiness: 'default', payload: { type: 'json', value: '{"n":2}' } },
    ],
  }),
];

describeEachEngine('flag import and export round trip', (get) => {
  it('exports exactly what it imported, and the SDK document answers as worked by hand', async () => {
    const t = get();
    const imported = await t.call('POST', '/api/v1/flags/import?environment=staging', {
      body: { version: 2, features, segments },
    });
    expect(imported.status, imported.body).toBe(200);
    expect(imported.json).toEqual({ environment: 'staging', flags: 6, segments: 2 });

    const exported = (await t.call('GET', '/api/v1/flags/export?environment=staging')).json;
    expect(exported.version).toBe(2);
    expect(exported.segments).toEqual(segments);
    const byName = new Map(exported.features.map((f: { name: string }) => [f.name, f]));
    for (const f of features) expect(byName.get(f.name), f.name).toEqual(f);

    // Re-importing the export changes nothing.
    expect(
      (await t.call('POST', '/api/v1/flags/import?environment=staging', { body: exported })).status,
    ).toBe(200);
    expect((await t.call('GET', '/api/v1/flags/export?environment=staging')).json).toEqual(exported);

    // The document SDKs get answers as worked out by hand.
    const token = (
      await t.call('POST', '/api/v1/tokens', { body: { name: 'rt', type: 'client', environment: 'staging' } })
    ).json.token as string;
    const doc = (
      await t.call('GET', '/api/client/features', { token: null, headers: { authorization: token } })
    ).json;
    const engine = createEngine(doc, { now: () => new Date('2026-06-01T12:00:00.000Z') });
    const on = (name: string, context: Record<string, unknown>) => engine.isEnabled(name, context);
    // Strings: IN, NOT_IN, case-insensitive contains, inverted starts-with.
    const shop = { plan: 'pro', country: 'NO', path: '/shop/CHECKOUT/pay' };
    expect(on('rt.strings', { properties: shop })).toBe(true);
    expect(on('rt.strings', { properties: { ...shop, plan: 'free' } })).toBe(false);
    expect(on('rt.strings', { properties: { ...shop, country: 'XX' } })).toBe(false);
    expect(on('rt.strings', { properties: { ...shop, path: '/shop/cart' } })).toBe(false);
    expect(on('rt.strings', { properties: { ...shop, path: '/internal/checkout' } })).toBe(false);
    // A missing field: NOT_IN holds (Unleash), the inverted starts-with holds, IN does not.
    expect(on('rt.strings', { properties: { plan: 'team', path: '/checkout' } })).toBe(true);
    // Numbers, semver and dates (currentTime is the engine's clock: 2026-06-01).
    const app = { seats: '12', appVersion: '2.4.1' };
    expect(on('rt.numbers', { properties: app })).toBe(true);
    expect(on('rt.numbers', { properties: { ...app, seats: '13' } })).toBe(false);
    expect(on('rt.numbers', { properties: { ...app, seats: '4' } })).toBe(false);
    expect(on('rt.numbers', { properties: { ...app, seats: '100' } })).toBe(false);
    expect(on('rt.numbers', { properties: { ...app, appVersion: '3.0.0-alpha.9' } })).toBe(true);
    expect(on('rt.numbers', { properties: { ...app, appVersion: '3.0.0-beta.1' } })).toBe(false);
    expect(on('rt.numbers', { properties: { ...app, appVersion: '2.0.0' } })).toBe(false);
    expect(on('rt.numbers', { properties: app, currentTime: new Date('2027-02-01T00:00:00Z') })).toBe(false);
    // RE2 with the case-insensitive flag, and an inverted pattern.
    expect(on('rt.patterns', { userId: 'USER-17' })).toBe(true);
    expect(on('rt.patterns', { userId: 'user-0' })).toBe(false);
    expect(on('rt.patterns', { userId: 'user-10' })).toBe(true);
    expect(on('rt.patterns', { userId: 'member-17' })).toBe(false);
    // Segments: both must hold (email case-insensitively, address in either block).
    expect(
      on('rt.segmented', { properties: { email: 'ana@example.COM' }, remoteAddress: '10.1.200.3' }),
    ).toBe(true);
    expect(
      on('rt.segmented', { properties: { email: 'ana@example.com' }, remoteAddress: '2001:db8::7' }),
    ).toBe(true);
    expect(on('rt.segmented', { properties: { email: 'ana@example.com' }, remoteAddress: '10.2.0.1' })).toBe(
      false,
    );
    expect(on('rt.segmented', { properties: { email: 'ana@example.org' }, remoteAddress: '10.1.0.1' })).toBe(
      false,
    );
    expect(
      engine.getVariant('rt.segmented', {
        properties: { email: 'a@example.com' },
        remoteAddress: '10.1.0.1',
      }),
    ).toMatchObject({ name: 'wide', enabled: true, payload: { type: 'string', value: 'wide' } });
    // Dependencies: the child is on only where its parent is; bob's override picks variant a.
    expect(on('rt.child', { userId: 'ann' })).toBe(true);
    expect(on('rt.child', { userId: 'carl' })).toBe(false);
    expect(engine.getVariant('rt.child', { userId: 'bob' })).toMatchObject({
      name: 'a',
      payload: { type: 'json', value: '{"n":1}' },
    });
    expect(engine.getVariant('rt.child', { userId: 'carl' })).toMatchObject({
      name: 'disabled',
      enabled: false,
    });
  });

  it('refuses imports and flags whose dependencies are unknown, circular or nested, writing nothing', async () => {
    const t = get();
    await t.call('POST', '/api/v1/flags', { body: { key: 'dep.base' } });
    await t.call('POST', '/api/v1/flags', {
      body: { key: 'dep.mid', dependencies: [{ feature: 'dep.base' }] },
    });
    const count = async () =>
      Number(
        (
          await t.container.db
            .selectFrom('flags')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const cases: Array<[string, string, unknown, string]> = [
      [
        'POST',
        '/api/v1/flags',
        { key: 'dep.x', dependencies: [{ feature: 'dep.none' }] },
        'body.dependencies.0.feature',
      ],
      [
        'POST',
        '/api/v1/flags',
        { key: 'dep.x', dependencies: [{ feature: 'dep.x' }] },
        'body.dependencies.0',
      ],
      // dep.mid has a parent itself: one level only, as in Unleash.
      [
        'POST',
        '/api/v1/flags',
        { key: 'dep.x', dependencies: [{ feature: 'dep.mid' }] },
        'body.dependencies.0.feature',
      ],
      // dep.base is a parent: it cannot get a parent of its own.
      ['PATCH', '/api/v1/flags/dep.base', { dependencies: [{ feature: 'dep.other' }] }, 'body.dependencies'],
      [
        'POST',
        '/api/v1/flags/import?environment=staging',
        {
          version: 2,
          features: [
            { name: 'dep.a', enabled: true },
            { name: 'dep.b', enabled: true, dependencies: [{ feature: 'dep.a' }, { feature: 'dep.gone' }] },
          ],
        },
        'body.features.1.dependencies.1.feature',
      ],
      [
        'POST',
        '/api/v1/flags/import?environment=staging',
        {
          version: 2,
          features: [{ name: 'dep.c', enabled: true, strategies: [{ name: 'default', segments: [999] }] }],
        },
        'body.features.0.strategies.0.segments',
      ],
    ];
    await t.call('POST', '/api/v1/flags', { body: { key: 'dep.other' } });
    for (const [method, url, body, path] of cases) {
      const res = await t.call(method, url, { body });
      expect(res.status, `${url} ${JSON.stringify(body)}: ${res.body}`).toBe(400);
      expect(res.json.code).toBe('FLAGS_INVALID_DEFINITION');
      expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expect(await count()).toBe(before + 1);
    expect((await t.call('GET', '/api/v1/flags/dep.base')).json.dependencies).toEqual([]);
  });
});
