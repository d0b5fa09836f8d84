import { describe, expect, it } from 'vitest';
import { type StaleInput, servesEveryone, staleFlags } from './stale-flags.ts';

const base = (key: string, over: Partial<StaleInput>): StaleInput => ({
  key,
  owner_team_id: null,
  created_at: '2026-01-01T00:00:00.000Z',
  enabled: false,
  strategies: [],
  changed_at: null,
  last_evaluated_at: null,
  ...over,
});

describe('servesEveryone', () => {
  it('is true only for strategies that match every user', () => {
    expect(servesEveryone(true, [])).toBe(true);
    expect(servesEveryone(false, [])).toBe(false);
    expect(servesEveryone(true, [{ name: 'default' }])).toBe(true);
    expect(servesEveryone(true, [{ name: 'flexibleRollout', parameters: { rollout: '100' } }])).toBe(true);
    expect(servesEveryone(true, [{ name: 'flexibleRollout', parameters: { rollout: '99' } }])).toBe(false);
    expect(
      servesEveryone(true, [
        { name: 'default', constraints: [{ contextName: 'country', operator: 'IN', values: ['NO'] }] },
      ]),
    ).toBe(false);
    expect(servesEveryone(true, [{ name: 'default', segments: [1] }])).toBe(false);
    expect(servesEveryone(true, [{ name: 'default', disabled: true }])).toBe(false);
    expect(servesEveryone(true, [{ name: 'userWithId', parameters: { userIds: 'a' } }])).toBe(false);
  });
});

describe('staleFlags', () => {
  // 2026-03-02T12:00Z is 60.5 days after 2026-01-01T00:00Z and 30.5 days after 2026-01-31T00:00Z.
  const now = new Date('2026-03-02T12:00:00.000Z');
  const evaluatedYesterday = '2026-03-01T12:00:00.000Z';

  it('lists fully-on, fully-off and unused flags with whole days, oldest first', () => {
    const report = staleFlags(
      [
        base('on.everyone', {
          enabled: true,
          strategies: [{ name: 'default' }],
          changed_at: '2026-01-31T00:00:00.000Z',
          last_evaluated_at: evaluatedYesterday,
        }),
        base('off.long', { changed_at: '2026-01-01T00:00:00.000Z', last_evaluated_at: evaluatedYesterday }),
        base('partial', {
          enabled: true,
          strategies: [{ name: 'flexibleRollout', parameters: { rollout: '50' } }],
          changed_at: '2026-01-01T00:00:00.000Z',
          last_evaluated_at: '2026-01-31T12:00:00.000Z',
        }),
        base('recent', {
          enabled: true,
          strategies: [],
          changed_at: '2026-02-20T00:00:00.000Z',
          last_evaluated_at: evaluatedYesterday,
        }),
        base('never.seen', {
          created_at: '2026-02-10T00:00:00.000Z',
          enabled: true,
          changed_at: '2026-02-10T00:00:00.000Z',
        }),
      ],
      now,
      { afterDays: 30, unusedDays: 30 },
    );
    expect(report).toEqual([
      {
        key: 'off.long',
        owner_team_id: null,
        reasons: [{ kind: 'fully_off', since: '2026-01-01T00:00:00.000Z', days: 60 }],
      },
      {
        key: 'on.everyone',
        owner_team_id: null,
        reasons: [{ kind: 'fully_on', since: '2026-01-31T00:00:00.000Z', days: 30 }],
      },
      {
        key: 'partial',
        owner_team_id: null,
        reasons: [{ kind: 'unused', since: '2026-01-31T12:00:00.000Z', days: 30 }],
      },
    ]);
  });

  // January 31 to March 2 (February has 28 days) at noon: 30.5 days.
  it('counts a never-configured flag from its creation', () => {
    expect(
      staleFlags([base('fresh', { created_at: '2026-01-31T00:00:00.000Z' })], now, {
        afterDays: 30,
        unusedDays: 90,
      }),
    ).toEqual([
      {
        key: 'fresh',
        owner_team_id: null,
        reasons: [{ kind: 'fully_off', since: '2026-01-31T00:00:00.000Z', days: 30 }],
      },
    ]);
  });
});
