import { describe, expect, it } from 'vitest';
import { createEngine } from './evaluate.ts';
import { createBulkEvaluator, evaluateOfrep, toUnleashContext } from './ofrep.ts';
import type { ClientFeatures, FlagContext } from './types.ts';

const doc: ClientFeatures = {
  version: 2,
  segments: [{ id: 1, constraints: [{ contextName: 'plan', operator: 'IN', values: ['pro'] }] }],
  features: [
    { name: 'off', enabled: false, strategies: [] },
    { name: 'on', enabled: true, strategies: [] },
    {
      name: 'half',
      enabled: true,
      strategies: [
        { name: 'flexibleRollout', parameters: { rollout: '50', stickiness: 'default', groupId: 'h' } },
      ],
    },
    { name: 'users', enabled: true, strategies: [{ name: 'userWithId', parameters: { userIds: 'u1,u7' } }] },
    {
      name: 'color',
      enabled: true,
      strategies: [{ name: 'default', segments: [1] }],
      variants: ['red', 'green', 'blue'].map((name) => ({
        name,
        weight: 333,
        stickiness: 'default',
        payload: { type: 'string', value: name },
      })),
    },
    {
      name: 'limit',
      enabled: true,
      strategies: [
        {
          name: 'flexibleRollout',
          parameters: { rollout: '100', stickiness: 'default', groupId: 'l' },
          variants: [
            { name: 'low', weight: 500, stickiness: 'default', payload: { type: 'number', value: '10' } },
            { name: 'high', weight: 500, stickiness: 'default', payload: { type: 'number', value: '99' } },
          ],
        },
      ],
    },
  ],
};
const types = new Map([
  ['color', 'string'],
  ['limit', 'number'],
]);

describe('OFREP bulk evaluator', () => {
  it('answers exactly what evaluating each flag answers, and its tag follows the answer', () => {
    const engine = createEngine(doc, { now: () => new Date('2026-01-01T00:00:00Z'), random: () => 0.5 });
    const bulk = createBulkEvaluator(engine, types, 'production');
    const tags = new Map<string, string>();
    const contexts: unknown[] = [{}, { plan: 'pro' }];
    for (let i = 0; i < 60; i++) contexts.push({ targetingKey: `u${i}`, plan: i % 2 ? 'pro' : 'free' });
    for (const raw of contexts) {
      const context = toUnleashContext(raw) as FlagContext;
      const expected = JSON.stringify({
        flags: engine.names().map((key) => evaluateOfrep(engine, types, key, context, 'production')),
      });
      // Twice: the second answer comes from the reused pieces.
      for (let round = 0; round < 2; round++) {
        const { json, tag } = bulk(context);
        expect(json).toBe(expected);
        const seen = tags.get(json);
        if (seen) expect(tag).toBe(seen);
        tags.set(json, tag);
      }
    }
    // Different answers, different tags.
    expect(new Set(tags.values()).size).toBe(tags.size);
    expect(tags.size).toBeGreaterThan(10);
    // Anonymous: the user-targeting flag says TARGETING_KEY_MISSING.
    expect(JSON.parse(bulk({}).json).flags[3]).toMatchObject({
      key: 'users',
      errorCode: 'TARGETING_KEY_MISSING',
    });
  });
});
