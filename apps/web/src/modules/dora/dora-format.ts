import type { DoraReport, DoraTier } from '@engops/contracts';

/** The tier thresholds of the policy (GET /api/v1/policy), as the DORA page draws them. */
export interface DoraThresholds {
  deployment_frequency_per_day: { elite: number; high: number; medium: number };
  lead_time_hours: { elite: number; high: number; medium: number };
  time_to_restore_hours: { elite: number; high: number; medium: number };
  change_failure_rate: { elite: number; high: number; medium: number };
}

/** The handbook's table (the policy's defaults), used when the policy cannot be read. */
export const DEFAULT_THRESHOLDS: DoraThresholds = {
  deployment_frequency_per_day: { elite: 1, high: 1 / 7, medium: 1 / 30 },
  lead_time_hours: { elite: 1, high: 24 * 7, medium: 24 * 30 },
  time_to_restore_hours: { elite: 1, high: 24, medium: 24 * 7 },
  change_failure_rate: { elite: 0.05, high: 0.1, medium: 0.15 },
};

export const TIER_LABEL: Record<DoraTier, string> = {
  elite: 'Elite',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
};

export type TileMetric = 'deployment_frequency' | 'lead_time' | 'change_failure_rate' | 'time_to_restore';

export const TILE_METRICS: readonly TileMetric[] = [
  'deployment_frequency',
  'lead_time',
  'change_failure_rate',
  'time_to_restore',
];

export const METRIC_LABEL: Record<TileMetric | 'rework_rate', string> = {
  deployment_frequency: 'Deployment frequency',
  lead_time: 'Lead time for changes',
  change_failure_rate: 'Change failure rate',
  time_to_restore: 'Time to restore',
  rework_rate: 'Rework rate',
};

export function tierLabel(tier: DoraTier | null): string {
  return tier ? TIER_LABEL[tier] : 'No data';
}

/** 90 s, 45 min, 2.3 h, 4.5 days. */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${round1(seconds / 60)} min`;
  if (seconds < 86_400) return `${round1(seconds / 3600)} h`;
  return `${round1(seconds / 86_400)} days`;
}

export function formatPercent(fraction: number): string {
  return `${round1(fraction * 100)}%`;
}

/** 3.2 per day, 2.5 per week, 1.2 per month, or fewer. */
export function formatFrequency(perDay: number): string {
  if (perDay >= 1) return `${round1(perDay)} per day`;
  if (perDay * 7 >= 1) return `${round1(perDay * 7)} per week`;
  return `${round1(perDay * 30)} per month`;
}

function round1(n: number): string {
  const r = Math.round(n * 10) / 10;
  return Number.isInteger(r) ? String(r) : r.toFixed(1);
}

/** A tile's headline and the count it rests on. */
export function tileValue(report: DoraReport, metric: TileMetric): { value: string; basis: string } {
  switch (metric) {
    case 'deployment_frequency': {
      const m = report.deployment_frequency;
      return {
        value: m.deployments ? formatFrequency(m.per_day) : '—',
        basis: `${m.deployments} successful deployment${m.deployments === 1 ? '' : 's'} in ${round1(report.window.days)} days`,
      };
    }
    case 'lead_time': {
      const m = report.lead_time;
      return {
        value: m.median_seconds === null ? '—' : `${formatSeconds(m.median_seconds)} median`,
        basis:
          m.p90_seconds === null
            ? 'no changes deployed'
            : `p90 ${formatSeconds(m.p90_seconds)} over ${m.changes} change${m.changes === 1 ? '' : 's'}`,
      };
    }
    case 'change_failure_rate': {
      const m = report.change_failure_rate;
      return {
        value: m.value === null ? '—' : formatPercent(m.value),
        basis: `${m.failed} failed of ${m.deployments} deployment${m.deployments === 1 ? '' : 's'}`,
      };
    }
    case 'time_to_restore': {
      const m = report.time_to_restore;
      return {
        value: m.median_seconds === null ? '—' : `${formatSeconds(m.median_seconds)} median`,
        basis: `${m.incidents} incident${m.incidents === 1 ? '' : 's'}`,
      };
    }
  }
}

/** The figure a trend chart plots for a bucket (null: no data), in the unit of its bands. */
export function trendValue(report: DoraReport, metric: TileMetric): number | null {
  switch (metric) {
    case 'deployment_frequency':
      return report.deployment_frequency.deployments ? report.deployment_frequency.per_day : null;
    case 'lead_time':
      return report.lead_time.median_seconds === null ? null : report.lead_time.median_seconds / 3600;
    case 'change_failure_rate':
      return report.change_failure_rate.value;
    case 'time_to_restore':
      return report.time_to_restore.median_seconds === null
        ? null
        : report.time_to_restore.median_seconds / 3600;
  }
}

/**
 * The tier bands of a metric as [tier, low, high] in the chart's unit, and whether higher is better.
 * Deployment frequency: per day; lead time and time to restore: hours; change failure rate: fraction.
 */
export function tierBands(
  metric: TileMetric,
  t: DoraThresholds,
): { bands: Array<[DoraTier, number, number]>; higherIsBetter: boolean } {
  const INF = Number.POSITIVE_INFINITY;
  switch (metric) {
    case 'deployment_frequency': {
      const d = t.deployment_frequency_per_day;
      return {
        higherIsBetter: true,
        bands: [
          ['elite', d.elite, INF],
          ['high', d.high, d.elite],
          ['medium', d.medium, d.high],
          ['low', 0, d.medium],
        ],
      };
    }
    case 'lead_time':
    case 'time_to_restore': {
      const h = metric === 'lead_time' ? t.lead_time_hours : t.time_to_restore_hours;
      return {
        higherIsBetter: false,
        bands: [
          ['elite', 0, h.elite],
          ['high', h.elite, h.high],
          ['medium', h.high, h.medium],
          ['low', h.medium, INF],
        ],
      };
    }
    case 'change_failure_rate': {
      const c = t.change_failure_rate;
      return {
        higherIsBetter: false,
        bands: [
          ['elite', 0, c.elite],
          ['high', c.elite, c.high],
          ['medium', c.high, c.medium],
          ['low', c.medium, INF],
        ],
      };
    }
  }
}

/** The window ending now, `days` long, on whole minutes (so one page load asks one question). */
export function windowOf(days: number, now = Date.now()): { from: string; to: string } {
  const to = Math.floor(now / 60_000) * 60_000;
  return { from: new Date(to - days * 86_400_000).toISOString(), to: new Date(to).toISOString() };
}
