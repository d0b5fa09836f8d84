import { describe, expect, it } from 'vitest';
import { staleGrantReason } from './security-rules.ts';

describe('staleGrantReason', () => {
  const now = new Date('2026-04-15T09:00:00.000Z');
  // 90 days before now: the limit.
  const limit = '2026-01-15T09:00:00.000Z';
  const created = { created_at: '2025-06-01T00:00:00.000Z' };

  it.each([
    // [last activity, account created, expected]
    [limit, created, 'no sign-in or token use since 2026-01-15'],
    ['2026-01-15T09:00:00.001Z', created, null],
    ['2026-04-15T08:59:00.000Z', created, null],
    [null, created, 'never signed in or used a token since the account was created 2025-06-01'],
    [null, { created_at: limit }, 'never signed in or used a token since the account was created 2026-01-15'],
    [null, { created_at: '2026-01-15T09:00:00.001Z' }, null],
  ] as const)('last active %s, account %o: %s', (last, user, expected) => {
    expect(staleGrantReason(user, last, now, 90)).toBe(expected);
  });
});
