import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { fixedClock } from '../../platform/clock.ts';

const DAY = 86_400_000;

/**
 * Evaluations served by engops itself (OFREP, the Unleash frontend API) count as SDK usage and
 * keep a flag off the "not evaluated for 30 days" list, as SDK-reported metrics do; SDK tokens
 * record when they were last used.
 */
for (const engine of ENGINES) {
  describe(`evaluations served here [${engine}]`, () => {
    let t: TestApp;
    const clock = fixedClock('2026-04-01T08:00:00.000Z');
    beforeAll(async () => {
      t = await createTestApp(engine, { clock });
    });
    afterAll(async () => {
      await t?.close();
    });

    const usage = async (key: string) => (await t.call('GET', `/api/v1/flags/${key}/usage`)).json.items;

    it('counts OFREP and frontend evaluations per flag, variant and app, and keeps used flags off the stale list', async () => {
      const variants = ['red', 'blue'].map((name) => ({
        name,
        weight: 500,
        stickiness: 'default',
        payload: { type: 'string', value: name },
      }));
      await t.call('POST', '/api/v1/flags', { body: { key: 'sv.used', type: 'string', variants } });
      await t.call('POST', '/api/v1/flags', { body: { key: 'sv.idle' } });
      await t.call('POST', '/api/v1/flags/sv.used/environments/production/on');
      const token = async (type: string) =>
        (await t.call('POST', '/api/v1/tokens', { body: { name: type, type, environment: 'production' } }))
          .json.token as string;
      const client = await token('client');
      const frontend = await token('frontend');
      const one = (key: string, userId: string) =>
        t.call('POST', `/ofrep/v1/evaluate/flags/${key}`, {
          token: client,
          body: { context: { targetingKey: userId } },
        });

      // Three single evaluations of sv.used; each user's variant as the OFREP answer says.
      const served: Record<string, number> = {};
      for (const user of ['u1', 'u2', 'u3']) {
        const res = await one('sv.used', user);
        expect(res.status).toBe(200);
        served[res.json.variant] = (served[res.json.variant] ?? 0) + 1;
      }
      expect(Object.values(served).reduce((a, b) => a + b, 0)).toBe(3);
      // Two bulk evaluations (every flag once each), one frontend call (every flag once).
      for (const user of ['u4', 'u5'])
        expect(
          (
            await t.call('POST', '/ofrep/v1/evaluate/flags', {
              token: client,
              body: { context: { targetingKey: user } },
            })
          ).status,
        ).toBe(200);
      const front = await t.call('GET', '/api/frontend?userId=u6', {
        token: null,
        headers: { authorization: frontend },
      });
      expect(front.status).toBe(200);
      const frontVariant = front.json.toggles.find((x: { name: string }) => x.name === 'sv.used').variant
        .name;

      const [used] = await usage('sv.used');
      expect(used).toMatchObject({
        environment: 'production',
        yes: 6,
        no: 0,
        last_hour: '2026-04-01T08:00:00.000Z',
      });
      expect(used.apps.sort()).toEqual(['engops-frontend', 'engops-ofrep']);
      // Variants are counted for single evaluations and the frontend API (not for bulk).
      const expected: Record<string, number> = { ...served, [frontVariant]: (served[frontVariant] ?? 0) + 1 };
      expect(used.variants).toEqual(expected);
      const [idle] = await usage('sv.idle');
      expect(idle).toMatchObject({ environment: 'production', yes: 0, no: 3 });
      // The experiment shows the served variant counts too.
      const experiment = (await t.call('GET', '/api/v1/flags/sv.used/experiment')).json;
      expect(
        Object.fromEntries(
          experiment.variants.map((v: { name: string; sdk_evaluations: number }) => [
            v.name,
            v.sdk_evaluations,
          ]),
        ),
      ).toEqual({ red: expected.red ?? 0, blue: expected.blue ?? 0 });

      // 29 days later only sv.used is evaluated again (one OFREP call); at day 31 sv.idle, last seen
      // on day 0, is unused for 31 days, sv.used (seen on day 29) is not.
      clock.advance(29 * DAY);
      expect((await one('sv.used', 'u7')).status).toBe(200);
      clock.advance(2 * DAY);
      const stale = (await t.call('GET', '/api/v1/stale-flags?environment=production&after_days=365')).json
        .items;
      const unused = stale
        .filter((f: { reasons: Array<{ kind: string }> }) => f.reasons.some((r) => r.kind === 'unused'))
        .map((f: { key: string; reasons: Array<{ kind: string; days: number }> }) => [
          f.key,
          f.reasons.find((r) => r.kind === 'unused')?.days,
        ]);
      expect(unused).toEqual([['sv.idle', 31]]);
    });

    it('records when an SDK token was last used, to the hour', async () => {
      clock.set('2026-06-01T10:00:00.000Z');
      const created = await t.call('POST', '/api/v1/tokens', {
        body: { name: 'last-used', type: 'client', environment: 'staging' },
      });
      expect(created.json.last_used_at).toBeNull();
      const lastUsed = async () =>
        (await t.call('GET', '/api/v1/sdk-tokens')).json.items.find(
          (x: { id: string }) => x.id === created.json.id,
        ).last_used_at;
      const features = () =>
        t.call('GET', '/api/client/features', {
          token: null,
          headers: { authorization: created.json.token },
        });
      expect((await features()).status).toBe(200);
      expect(await lastUsed()).toBe('2026-06-01T10:00:00.000Z');
      // Within the hour: not written again (the 1 s token cache is also dropped by a write).
      clock.advance(30 * 60_000);
      await t.call('POST', '/api/v1/flags', { body: { key: 'sv.bump' } });
      expect((await features()).status).toBe(200);
      expect(await lastUsed()).toBe('2026-06-01T10:00:00.000Z');
      clock.advance(31 * 60_000);
      await t.call('POST', '/api/v1/flags', { body: { key: 'sv.bump2' } });
      expect((await features()).status).toBe(200);
      expect(await lastUsed()).toBe('2026-06-01T11:01:00.000Z');
    });
  });
}
