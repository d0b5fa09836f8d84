import { parseCidr } from './cidr.ts';
import { CONSTRAINT_OPERATORS } from './constraints.ts';
import { compileRe2 } from './re2-pattern.ts';
import { parseSemver } from './semver.ts';
import { STRATEGY_NAMES } from './strategies.ts';
import type { FlagConstraint, FlagStrategy, VariantDefinition } from './types.ts';

export interface DefinitionProblem {
  path: string;
  message: string;
}

/** Checks a constraint the way the admin API accepts it (the engine itself never throws). */
export function checkConstraint(c: FlagConstraint, path: string): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const op = c.operator;
  if (!(CONSTRAINT_OPERATORS as readonly string[]).includes(op)) {
    problems.push({ path: `${path}.operator`, message: `unknown operator ${op}` });
    return problems;
  }
  const single = c.value ?? c.values?.[0];
  if (op.startsWith('NUM_') && (single === undefined || Number.isNaN(Number(single)) || single.trim() === ''))
    problems.push({ path: `${path}.value`, message: 'a number is required' });
  if (op.startsWith('DATE_') && (single === undefined || Number.isNaN(Date.parse(single))))
    problems.push({ path: `${path}.value`, message: 'an ISO-8601 date-time is required' });
  if (op.startsWith('SEMVER_') && (single === undefined || !parseSemver(single.trim())))
    problems.push({ path: `${path}.value`, message: 'a semantic version (1.2.3) is required' });
  if (op === 'REGEX' && (single === undefined || !compileRe2(single)))
    problems.push({ path: `${path}.value`, message: 'an RE2 regular expression is required' });
  if (op === 'IN_CIDR' || op === 'CIDR') {
    (c.values ?? []).forEach((v, i) => {
      if (!parseCidr(v))
        problems.push({ path: `${path}.values.${i}`, message: `${v} is not an IP or CIDR block` });
    });
  }
  return problems;
}

export function checkVariants(variants: readonly VariantDefinition[], path: string): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const names = new Set<string>();
  variants.forEach((v, i) => {
    if (names.has(v.name))
      problems.push({ path: `${path}.${i}.name`, message: `duplicate variant ${v.name}` });
    names.add(v.name);
    if (v.payload?.type === 'json') {
      try {
        JSON.parse(v.payload.value);
      } catch {
        problems.push({ path: `${path}.${i}.payload.value`, message: 'not valid JSON' });
      }
    }
    if (v.payload?.type === 'number' && Number.isNaN(Number(v.payload.value)))
      problems.push({ path: `${path}.${i}.payload.value`, message: 'not a number' });
  });
  if (variants.length > 0 && variants.every((v) => v.weight === 0))
    problems.push({ path, message: 'at least one variant needs a weight above 0' });
  return problems;
}

export function checkStrategies(
  strategies: readonly FlagStrategy[],
  path = 'strategies',
): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  strategies.forEach((s, i) => {
    const at = `${path}.${i}`;
    if (!(STRATEGY_NAMES as readonly string[]).includes(s.name))
      problems.push({ path: `${at}.name`, message: `unknown strategy ${s.name}` });
    if (s.name === 'flexibleRollout') {
      const rollout = Number(s.parameters?.rollout ?? Number.NaN);
      if (!(rollout >= 0 && rollout <= 100))
        problems.push({ path: `${at}.parameters.rollout`, message: 'rollout is a percentage 0..100' });
    }
    (s.constraints ?? []).forEach((c, j) => {
      problems.push(...checkConstraint(c, `${at}.constraints.${j}`));
    });
    problems.push(...checkVariants(s.variants ?? [], `${at}.variants`));
  });
  return problems;
}
