import type {
  Flag,
  FlagConstraintInput,
  FlagEnvironment,
  FlagStrategyInput,
  FlagVariantInput,
  SdkToken,
  segmentSchema,
} from '@engops/contracts';
import type { z } from 'zod';

/** Flag shapes, inferred from the shared contracts (types only: no zod in the bundle). */
export type { Flag, FlagEnvironment, SdkToken };
export type FlagStrategy = FlagStrategyInput;
export type FlagConstraint = FlagConstraintInput;
export type FlagVariant = FlagVariantInput;
export type Segment = z.infer<typeof segmentSchema>;
export type CreatedSdkToken = SdkToken & { token: string };
export type FlagType = Flag['type'];

/** Kept in step with packages/contracts FLAG_TYPES and SDK_TOKEN_TYPES without importing zod. */
export const FLAG_TYPES: readonly FlagType[] = ['boolean', 'string', 'number', 'json'];
export const SDK_TOKEN_TYPES: readonly SdkToken['type'][] = ['client', 'frontend'];

/** The strategies the editor offers (Unleash names). */
export const STRATEGY_LABEL: Record<string, string> = {
  default: 'Standard (on for everyone)',
  flexibleRollout: 'Gradual rollout',
  userWithId: 'User ids',
  remoteAddress: 'IP addresses',
};

export const STICKINESS = ['default', 'userId', 'sessionId', 'random'] as const;

/** Constraint operators (docs/guides/flags.md); the string ones accept caseInsensitive. */
export const OPERATORS = [
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
] as const;

/** Operators that compare with one `value` rather than a list of `values`. */
export const SINGLE_VALUE_OPERATORS = new Set<string>([
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
]);

export const STRING_OPERATORS = new Set<string>([
  'STR_CONTAINS',
  'STR_STARTS_WITH',
  'STR_ENDS_WITH',
  'REGEX',
]);

/** "a, b\nc" -> ['a', 'b', 'c']. */
export function splitList(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((v) => v.trim())
    .filter(Boolean);
}

/** The rollout percentage of a flexibleRollout strategy (0 when absent). */
export function rolloutOf(strategy: FlagStrategy): number {
  const raw = strategy.parameters?.rollout;
  const n = typeof raw === 'number' ? raw : Number(raw ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** One line that says what a strategy does. */
export function describeStrategy(strategy: FlagStrategy): string {
  const p = strategy.parameters ?? {};
  let text: string;
  switch (strategy.name) {
    case 'default':
      text = 'On for everyone';
      break;
    case 'flexibleRollout':
      text = `${rolloutOf(strategy)}% of ${String(p.stickiness ?? 'default')}${p.groupId ? ` (group ${String(p.groupId)})` : ''}`;
      break;
    case 'userWithId':
      text = `Users ${String(p.userIds ?? '')}`;
      break;
    case 'remoteAddress':
      text = `IPs ${String(p.IPs ?? '')}`;
      break;
    default:
      text = strategy.name;
  }
  const constraints = strategy.constraints?.length ?? 0;
  const segments = strategy.segments?.length ?? 0;
  if (constraints) text += `, ${constraints} constraint${constraints === 1 ? '' : 's'}`;
  if (segments) text += `, ${segments} segment${segments === 1 ? '' : 's'}`;
  return text;
}

/** The rollout shown in the list: 100 with a default strategy or none, the largest rollout otherwise. */
export function environmentRollout(state: Flag['environments'][string] | undefined): number | null {
  if (!state) return null;
  const active = state.strategies.filter((s) => !s.disabled);
  if (active.length === 0 || active.some((s) => s.name === 'default' && !s.constraints?.length)) return 100;
  const rollouts = active.filter((s) => s.name === 'flexibleRollout').map(rolloutOf);
  return rollouts.length ? Math.max(...rollouts) : null;
}

/** Does `flag` match the search text (part of its key, or one of its tags)? */
export function matchesSearch(flag: Pick<Flag, 'key' | 'tags'>, search: string): boolean {
  const q = search.trim().toLowerCase();
  if (!q) return true;
  return flag.key.toLowerCase().includes(q) || flag.tags.some((t) => t.toLowerCase().includes(q));
}

/** The audit-log target ids the flags module records for a flag: the key, and key@environment. */
export function auditTargetIds(key: string, environments: readonly string[]): string[] {
  return [key, ...environments.map((e) => `${key}@${e}`)].filter((id) => id.length <= 64);
}
