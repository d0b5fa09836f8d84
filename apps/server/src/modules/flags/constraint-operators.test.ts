import { describe, expect, it } from 'vitest';
import { compileConstraint, type EvaluationInput } from './constraints.ts';
import type { FlagConstraint, FlagContext } from './types.ts';
import { checkConstraint } from './validate-definition.ts';

/**
 * The operators the issue names beyond the Unleash client specification (REGEX, CIDR), and the
 * inverted and case-insensitive forms of each family, worked by hand.
 */

const at = (context: FlagContext): EvaluationInput => ({
  context,
  now: () => new Date('2026-06-01T12:00:00.000Z'),
  random: () => 0.5,
});
const holds = (constraint: FlagConstraint, context: FlagContext) =>
  compileConstraint(constraint)(at(context));

describe('constraint operators', () => {
  it('treats CIDR as IN_CIDR, inverted too, and validates its blocks', () => {
    for (const operator of ['CIDR', 'IN_CIDR']) {
      const office = { contextName: 'remoteAddress', operator, values: ['10.1.0.0/16', '2001:db8::/32'] };
      expect(holds(office, { remoteAddress: '10.1.255.254' })).toBe(true);
      expect(holds(office, { remoteAddress: '10.2.0.1' })).toBe(false);
      expect(holds(office, { remoteAddress: '2001:db8:ffff::1' })).toBe(true);
      expect(holds(office, { remoteAddress: '::ffff:10.1.0.9' })).toBe(true);
      expect(holds(office, {})).toBe(false);
      const outside = { ...office, inverted: true };
      expect(holds(outside, { remoteAddress: '10.2.0.1' })).toBe(true);
      expect(holds(outside, { remoteAddress: '10.1.0.1' })).toBe(false);
      expect(checkConstraint({ ...office, values: ['10.1.0.0/16', '10.300.0.0/8'] }, 'c')).toEqual([
        { path: 'c.values.1', message: '10.300.0.0/8 is not an IP or CIDR block' },
      ]);
    }
  });

  it('folds case only when asked, for the string operators and REGEX', () => {
    const cases: Array<[string, string, string, boolean, boolean]> = [
      // operator, value, context value, case-sensitive answer, case-insensitive answer
      ['STR_CONTAINS', 'Pro', 'enterprise-PRO-plan', false, true],
      ['STR_STARTS_WITH', 'beta', 'Beta-tester', false, true],
      ['STR_ENDS_WITH', '@Example.com', 'ana@example.COM', false, true],
      ['STR_ENDS_WITH', '@example.com', 'ana@example.com', true, true],
      ['REGEX', '^ab+c$', 'ABBC', false, true],
      ['REGEX', '^ab+c$', 'abbc', true, true],
    ];
    for (const [operator, value, actual, sensitive, insensitive] of cases) {
      const base = {
        contextName: 'field',
        operator,
        ...(operator === 'REGEX' ? { value } : { values: [value] }),
      };
      const context = { properties: { field: actual } };
      expect(holds(base, context), `${operator} ${value} ${actual}`).toBe(sensitive);
      expect(holds({ ...base, caseInsensitive: true }, context)).toBe(insensitive);
      expect(holds({ ...base, caseInsensitive: true, inverted: true }, context)).toBe(!insensitive);
    }
    // IN is exact, as in Unleash (caseInsensitive does not apply to it).
    expect(
      holds(
        { contextName: 'plan', operator: 'IN', values: ['pro'], caseInsensitive: true },
        { properties: { plan: 'PRO' } },
      ),
    ).toBe(false);
  });

  it('inverts numbers, dates and versions, but an unknown operator stays false', () => {
    expect(
      holds(
        { contextName: 'n', operator: 'NUM_LTE', value: '5', inverted: true },
        { properties: { n: '6' } },
      ),
    ).toBe(true);
    expect(
      holds(
        { contextName: 'n', operator: 'NUM_LTE', value: '5', inverted: true },
        { properties: { n: '5' } },
      ),
    ).toBe(false);
    // currentTime defaults to the evaluation's clock (2026-06-01T12:00Z).
    const launch = { contextName: 'currentTime', operator: 'DATE_AFTER', value: '2026-06-01T11:59:59Z' };
    expect(holds(launch, {})).toBe(true);
    expect(holds({ ...launch, inverted: true }, {})).toBe(false);
    expect(holds({ ...launch, value: '2026-06-01T12:00:00Z' }, {})).toBe(false);
    const v = { contextName: 'appVersion', operator: 'SEMVER_GTE', value: '2.1.0' };
    expect(holds(v, { properties: { appVersion: '2.1.0' } })).toBe(true);
    expect(holds(v, { properties: { appVersion: '2.1.0-rc.1' } })).toBe(false);
    expect(
      holds({ ...v, operator: 'SEMVER_LTE', inverted: true }, { properties: { appVersion: '2.0.9' } }),
    ).toBe(false);
    expect(
      holds(
        { contextName: 'x', operator: 'STR_MATCHES', values: ['a'], inverted: true },
        { properties: { x: 'b' } },
      ),
    ).toBe(false);
    expect(checkConstraint({ contextName: 'x', operator: 'STR_MATCHES', values: ['a'] }, 'c')).toEqual([
      { path: 'c.operator', message: 'unknown operator STR_MATCHES' },
    ]);
  });
});
