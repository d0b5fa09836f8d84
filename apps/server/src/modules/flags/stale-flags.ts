import type { FlagStrategy } from './types.ts';

/** One flag as the stale report reads it: its state in the environment and when it last changed. */
export interface StaleInput {
  key: string;
  owner_team_id: string | null;
  created_at: string;
  enabled: boolean;
  strategies: readonly FlagStrategy[];
  /** When the environment's configuration last changed (null: never configured there). */
  changed_at: string | null;
  /** The last hour an SDK reported evaluating it, or an exposure was recorded (null: never). */
  last_evaluated_at: string | null;
}

export type StaleReason =
  | { kind: 'fully_on'; since: string; days: number }
  | { kind: 'fully_off'; since: string; days: number }
  | { kind: 'unused'; since: string; days: number };

export interface StaleFlag {
  key: string;
  owner_team_id: string | null;
  reasons: StaleReason[];
}

const DAY_MS = 86_400_000;

/**
 * True when every user gets the flag: on, with a strategy that matches everyone (default with no
 * constraints or segments, or a 100% rollout without them), and no strategy that is disabled-only.
 * No strategies at all also means on for everyone, as Unleash serves it.
 */
export function servesEveryone(enabled: boolean, strategies: readonly FlagStrategy[]): boolean {
  if (!enabled) return false;
  const active = strategies.filter((s) => s.disabled !== true);
  if (strategies.length > 0 && active.length === 0) return false;
  if (active.length === 0) return true;
  return active.some((s) => {
    const open = (s.constraints ?? []).length === 0 && (s.segments ?? []).length === 0;
    if (!open) return false;
    if (s.name === 'default') return true;
    if (s.name === 'flexibleRollout') return Number(s.parameters?.rollout) >= 100;
    return false;
  });
}

const daysBetween = (from: string, to: Date) => Math.floor((to.getTime() - Date.parse(from)) / DAY_MS);

/**
 * Flags ready for cleanup: fully on or fully off (unchanged) for at least `afterDays`, or not
 * evaluated for `unusedDays` (counted from creation when never evaluated). Whole days, rounded down.
 */
export function staleFlags(
  flags: readonly StaleInput[],
  now: Date,
  options: { afterDays: number; unusedDays: number },
): StaleFlag[] {
  const out: StaleFlag[] = [];
  for (const flag of flags) {
    const reasons: StaleReason[] = [];
    const since = flag.changed_at ?? flag.created_at;
    const unchanged = daysBetween(since, now);
    if (unchanged >= options.afterDays) {
      if (servesEveryone(flag.enabled, flag.strategies))
        reasons.push({ kind: 'fully_on', since, days: unchanged });
      else if (!flag.enabled) reasons.push({ kind: 'fully_off', since, days: unchanged });
    }
    const lastSeen = flag.last_evaluated_at ?? flag.created_at;
    const unused = daysBetween(lastSeen, now);
    if (unused >= options.unusedDays) reasons.push({ kind: 'unused', since: lastSeen, days: unused });
    if (reasons.length > 0) out.push({ key: flag.key, owner_team_id: flag.owner_team_id, reasons });
  }
  return out.sort(
    (a, b) =>
      Math.max(...b.reasons.map((r) => r.days)) - Math.max(...a.reasons.map((r) => r.days)) ||
      a.key.localeCompare(b.key),
  );
}
