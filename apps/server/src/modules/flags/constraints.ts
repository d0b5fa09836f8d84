import { cidrContains, parseCidr, parseIp } from './cidr.ts';
import { compileRe2 } from './re2-pattern.ts';
import { compareSemver, parseSemver } from './semver.ts';
import type { FlagConstraint, FlagContext } from './types.ts';

/** Everything an evaluation reads: the caller's context and the time it runs at. */
export interface EvaluationInput {
  context: FlagContext;
  now: () => Date;
  random: () => number;
}

export type Predicate = (input: EvaluationInput) => boolean;

export const CONSTRAINT_OPERATORS = [
  'IN',
  'NOT_IN',
  'STR_CONTAINS',
  'STR_STARTS_WITH',
  'STR_ENDS_WITH',
  'NUM_EQ',
  'NUM_GT',
  'NUM_GTE',
  'NUM_LT',
  'NUM_LTE',
  'DATE_AFTER',
  'DATE_BEFORE',
  'SEMVER_EQ',
  'SEMVER_GT',
  'SEMVER_GTE',
  'SEMVER_LT',
  'SEMVER_LTE',
  'REGEX',
  'IN_CIDR',
  /** The same as IN_CIDR (the name the issue and some tools use). */
  'CIDR',
] as const;

export type ConstraintOperator = (typeof CONSTRAINT_OPERATORS)[number];

function present(value: unknown): value is string | number | boolean | Date {
  if (value instanceof Date) return true;
  return value !== undefined && value !== null && value !== '' && typeof value !== 'object';
}

/**
 * A context field: a standard field (`userId`, `currentTime`, ...) or a custom property. Numbers
 * and booleans (from OFREP contexts) compare as their string form.
 */
export function resolveContextValue(context: FlagContext, field: string): string | undefined {
  let value: unknown = field === 'properties' ? undefined : context[field];
  if (!present(value)) value = context.properties?.[field];
  if (!present(value)) return undefined;
  return value instanceof Date ? value.toISOString() : String(value);
}

/** Unleash drops empty values and trims the rest. */
function cleanValues(values: readonly unknown[] | undefined): string[] {
  return (values ?? []).filter((v): v is string => typeof v === 'string' && v !== '').map((v) => v.trim());
}

function singleValue(constraint: FlagConstraint): string | undefined {
  return constraint.value ?? constraint.values?.[0];
}

const never: Predicate = () => false;

function compileOperator(constraint: FlagConstraint): Predicate {
  const field = constraint.contextName;
  const operator = constraint.operator;
  switch (operator) {
    case 'IN':
    case 'NOT_IN': {
      const values = new Set(cleanValues(constraint.values));
      const wantIn = operator === 'IN';
      return ({ context }) => {
        const value = resolveContextValue(context, field);
        return (value !== undefined && values.has(value)) === wantIn;
      };
    }
    case 'STR_CONTAINS':
    case 'STR_STARTS_WITH':
    case 'STR_ENDS_WITH': {
      const fold = constraint.caseInsensitive === true;
      const values = cleanValues(constraint.values).map((v) => (fold ? v.toLowerCase() : v));
      const test =
        operator === 'STR_CONTAINS'
          ? (s: string, v: string) => s.includes(v)
          : operator === 'STR_STARTS_WITH'
            ? (s: string, v: string) => s.startsWith(v)
            : (s: string, v: string) => s.endsWith(v);
      return ({ context }) => {
        const raw = resolveContextValue(context, field);
        if (raw === undefined) return false;
        const value = fold ? raw.toLowerCase() : raw;
        return values.some((v) => test(value, v));
      };
    }
    case 'NUM_EQ':
    case 'NUM_GT':
    case 'NUM_GTE':
    case 'NUM_LT':
    case 'NUM_LTE': {
      const text = singleValue(constraint);
      const target = text === undefined || text.trim() === '' ? Number.NaN : Number(text);
      if (Number.isNaN(target)) return never;
      return ({ context }) => {
        const raw = resolveContextValue(context, field);
        if (raw === undefined || raw.trim() === '') return false;
        const value = Number(raw);
        if (Number.isNaN(value)) return false;
        if (operator === 'NUM_EQ') return value === target;
        if (operator === 'NUM_GT') return value > target;
        if (operator === 'NUM_GTE') return value >= target;
        if (operator === 'NUM_LT') return value < target;
        return value <= target;
      };
    }
    case 'DATE_AFTER':
    case 'DATE_BEFORE': {
      const text = singleValue(constraint);
      const target = text === undefined ? Number.NaN : Date.parse(text);
      if (Number.isNaN(target)) return never;
      const after = operator === 'DATE_AFTER';
      return ({ context, now }) => {
        const raw = resolveContextValue(context, field);
        const at =
          raw === undefined ? (field === 'currentTime' ? now().getTime() : Number.NaN) : Date.parse(raw);
        if (Number.isNaN(at)) return false;
        return after ? at > target : at < target;
      };
    }
    case 'SEMVER_EQ':
    case 'SEMVER_GT':
    case 'SEMVER_GTE':
    case 'SEMVER_LT':
    case 'SEMVER_LTE': {
      const text = singleValue(constraint);
      const target = text === undefined ? null : parseSemver(text.trim());
      if (!target) return never;
      return ({ context }) => {
        const raw = resolveContextValue(context, field);
        const version = raw === undefined ? null : parseSemver(raw.trim());
        if (!version) return false;
        const c = compareSemver(version, target);
        if (operator === 'SEMVER_EQ') return c === 0;
        if (operator === 'SEMVER_GT') return c > 0;
        if (operator === 'SEMVER_GTE') return c >= 0;
        if (operator === 'SEMVER_LT') return c < 0;
        return c <= 0;
      };
    }
    case 'REGEX': {
      const text = singleValue(constraint);
      const regex = text === undefined ? null : compileRe2(text, constraint.caseInsensitive === true);
      if (!regex) return never;
      return ({ context }) => {
        const value = resolveContextValue(context, field);
        return value !== undefined && regex.test(value);
      };
    }
    case 'IN_CIDR':
    case 'CIDR': {
      const blocks = cleanValues(constraint.values ?? (constraint.value ? [constraint.value] : []))
        .map(parseCidr)
        .filter((b) => b !== null);
      if (blocks.length === 0) return never;
      return ({ context }) => {
        const raw = resolveContextValue(context, field);
        const ip = raw === undefined ? null : parseIp(raw);
        return ip !== null && blocks.some((b) => cidrContains(b, ip));
      };
    }
    default:
      // An operator this engine does not know never matches (Unleash does the same).
      return never;
  }
}

/** A constraint as a predicate; `inverted` flips the operator's answer. */
export function compileConstraint(constraint: FlagConstraint): Predicate {
  const test = compileOperator(constraint);
  // An unknown operator stays false even when inverted.
  if (!(CONSTRAINT_OPERATORS as readonly string[]).includes(constraint.operator)) return never;
  return constraint.inverted === true ? (input) => !test(input) : test;
}

/** All constraints must hold (no constraints: true). A missing entry (unknown segment) fails. */
export function compileConstraints(constraints: ReadonlyArray<FlagConstraint | undefined>): Predicate {
  const predicates = constraints.map((c) => (c ? compileConstraint(c) : never));
  if (predicates.length === 0) return () => true;
  return (input) => {
    for (const p of predicates) if (!p(input)) return false;
    return true;
  };
}
