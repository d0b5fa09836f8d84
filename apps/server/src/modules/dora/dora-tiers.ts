import type { DoraTier, Policy } from '@engops/contracts';

/**
 * The handbook's table, with its boundaries taken literally (thresholds from the policy):
 *
 * | metric                   | Elite          | High          | Medium         | Low          |
 * | deployment frequency     | more than E/day| at least H    | at least M     | fewer        |
 * | lead time (median)       | under E        | under H       | under M        | M or more    |
 * | change failure rate      | under E        | under H       | under M        | M or more    |
 * | time to restore (median) | under E        | under H       | under M        | M or more    |
 *
 * So exactly 1 deployment per day is High, exactly 1 per week is High, exactly 1 hour of lead
 * time is High, exactly 5% change failure rate is High. A metric with no data has no tier.
 */
export type DoraThresholds = Policy['dora'];

export interface TierStep {
  tier: DoraTier;
  needs: string;
}

export interface Tiered {
  tier: DoraTier | null;
  next: TierStep | null;
}

const ORDER: DoraTier[] = ['elite', 'high', 'medium', 'low'];
const LABEL: Record<DoraTier, string> = { elite: 'Elite', high: 'High', medium: 'Medium', low: 'Low' };

/** Thresholds from the policy are floats (1/7); compare with a relative tolerance of 1e-9. */
const EPS = 1e-9;
const geq = (a: number, b: number) => a >= b - EPS * Math.max(1, Math.abs(b));
const gt = (a: number, b: number) => a > b + EPS * Math.max(1, Math.abs(b));
const lt = (a: number, b: number) => a < b - EPS * Math.max(1, Math.abs(b));

function trim(n: number, digits = 1): string {
  const fixed = n.toFixed(digits);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

function plural(n: number, unit: string): string {
  const s = trim(n);
  return `${s} ${unit}${s === '1' ? '' : 's'}`;
}

/** 3600 -> "1 hour", 604800 -> "1 week", 2592000 -> "30 days", 198720 -> "2.3 days". */
export function formatDuration(seconds: number): string {
  const week = 7 * 86_400;
  if (seconds >= week && seconds % week === 0) return plural(seconds / week, 'week');
  if (seconds >= 86_400) return plural(seconds / 86_400, 'day');
  if (seconds >= 3600) return plural(seconds / 3600, 'hour');
  if (seconds >= 60) return plural(seconds / 60, 'minute');
  return plural(seconds, 'second');
}

/** 2 -> "2 per day", 1/7 -> "1 per week", 1/30 -> "1 per month (30 days)". */
export function formatRate(perDay: number): string {
  if (geq(perDay, 1)) return `${trim(perDay, 2)} per day`;
  if (geq(perDay * 7, 1)) return `${trim(perDay * 7, 2)} per week`;
  return `${trim(perDay * 30, 2)} per month (30 days)`;
}

export function formatPercent(fraction: number): string {
  return `${trim(fraction * 100, 1)}%`;
}

function step(tier: DoraTier, figure: string, criteria: Record<Exclude<DoraTier, 'low'>, string>): Tiered {
  const index = ORDER.indexOf(tier);
  if (index === 0) return { tier, next: null };
  const up = ORDER[index - 1] as Exclude<DoraTier, 'low'>;
  return {
    tier,
    next: { tier: up, needs: `${figure}: ${LABEL[tier]}; ${LABEL[up]} needs ${criteria[up]}` },
  };
}

export function deploymentFrequencyTier(
  perDay: number,
  deployments: number,
  t: DoraThresholds['deployment_frequency_per_day'],
): Tiered {
  if (deployments === 0) return { tier: null, next: null };
  const tier: DoraTier = gt(perDay, t.elite)
    ? 'elite'
    : geq(perDay, t.high)
      ? 'high'
      : geq(perDay, t.medium)
        ? 'medium'
        : 'low';
  return step(tier, `deployment frequency ${formatRate(perDay)}`, {
    elite: `more than ${formatRate(t.elite)}`,
    high: `at least ${formatRate(t.high)}`,
    medium: `at least ${formatRate(t.medium)}`,
  });
}

function underTier(value: number, bounds: { elite: number; high: number; medium: number }): DoraTier {
  if (lt(value, bounds.elite)) return 'elite';
  if (lt(value, bounds.high)) return 'high';
  if (lt(value, bounds.medium)) return 'medium';
  return 'low';
}

function durationTier(
  name: string,
  seconds: number | null,
  hours: { elite: number; high: number; medium: number },
): Tiered {
  if (seconds === null) return { tier: null, next: null };
  const bounds = { elite: hours.elite * 3600, high: hours.high * 3600, medium: hours.medium * 3600 };
  return step(underTier(seconds, bounds), `${name} ${formatDuration(seconds)}`, {
    elite: `under ${formatDuration(bounds.elite)}`,
    high: `under ${formatDuration(bounds.high)}`,
    medium: `under ${formatDuration(bounds.medium)}`,
  });
}

export function leadTimeTier(medianSeconds: number | null, t: DoraThresholds['lead_time_hours']): Tiered {
  return durationTier('lead time median', medianSeconds, t);
}

export function timeToRestoreTier(
  medianSeconds: number | null,
  t: DoraThresholds['time_to_restore_hours'],
): Tiered {
  return durationTier('time to restore median', medianSeconds, t);
}

export function changeFailureRateTier(
  value: number | null,
  t: DoraThresholds['change_failure_rate'],
): Tiered {
  if (value === null) return { tier: null, next: null };
  return step(underTier(value, t), `change failure rate ${formatPercent(value)}`, {
    elite: `under ${formatPercent(t.elite)}`,
    high: `under ${formatPercent(t.high)}`,
    medium: `under ${formatPercent(t.medium)}`,
  });
}

/** The lowest tier among the metrics that have one; null when none has data. */
export function overallTier(tiers: ReadonlyArray<DoraTier | null>): DoraTier | null {
  let worst: DoraTier | null = null;
  for (const tier of tiers) {
    if (tier === null) continue;
    if (worst === null || ORDER.indexOf(tier) > ORDER.indexOf(worst)) worst = tier;
  }
  return worst;
}
