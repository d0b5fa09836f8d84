import { describe, expect, it } from 'vitest';
import {
  auditTargetIds,
  describeStrategy,
  environmentRollout,
  type Flag,
  matchesSearch,
  splitList,
} from './flag-types.ts';

const state = (strategies: Flag['environments'][string]['strategies'], enabled = true) => ({
  enabled,
  strategies,
  variants: null,
  updated_at: null,
});

describe('flag helpers', () => {
  it('splits comma and newline lists', () => {
    expect(splitList(' a, b\nc,, ')).toEqual(['a', 'b', 'c']);
  });

  it('describes strategies in one line', () => {
    expect(describeStrategy({ name: 'default' })).toBe('On for everyone');
    expect(
      describeStrategy({
        name: 'flexibleRollout',
        parameters: { rollout: '25', stickiness: 'userId', groupId: 'g' },
        constraints: [{ contextName: 'country', operator: 'IN', values: ['DE'] }],
        segments: [1, 2],
      }),
    ).toBe('25% of userId (group g), 1 constraint, 2 segments');
    expect(describeStrategy({ name: 'userWithId', parameters: { userIds: 'a,b' } })).toBe('Users a,b');
  });

  it('reports the rollout a list row shows', () => {
    expect(environmentRollout(undefined)).toBeNull();
    expect(environmentRollout(state([]))).toBe(100);
    expect(environmentRollout(state([{ name: 'default' }]))).toBe(100);
    expect(
      environmentRollout(
        state([
          { name: 'flexibleRollout', parameters: { rollout: 10 } },
          { name: 'flexibleRollout', parameters: { rollout: 40 } },
        ]),
      ),
    ).toBe(40);
    expect(environmentRollout(state([{ name: 'userWithId', parameters: { userIds: 'a' } }]))).toBeNull();
  });

  it('searches keys and tags, case-insensitively', () => {
    const flag = { key: 'checkout.new-flow', tags: ['Beta'] };
    expect(matchesSearch(flag, '')).toBe(true);
    expect(matchesSearch(flag, 'NEW')).toBe(true);
    expect(matchesSearch(flag, 'beta')).toBe(true);
    expect(matchesSearch(flag, 'gamma')).toBe(false);
  });

  it('names the audit targets of a flag and skips ids the audit query cannot carry', () => {
    expect(auditTargetIds('f', ['staging', 'production'])).toEqual(['f', 'f@staging', 'f@production']);
    expect(auditTargetIds('x'.repeat(60), ['production'])).toEqual(['x'.repeat(60)]);
  });
});
