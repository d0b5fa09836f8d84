import { policySchema } from '@engops/contracts';
import { describe, expect, it } from 'vitest';
import {
  changeFailureRateTier,
  deploymentFrequencyTier,
  formatDuration,
  formatRate,
  leadTimeTier,
  overallTier,
  timeToRestoreTier,
} from './dora-tiers.ts';

const t = policySchema.parse({}).dora;
const H = 3600;
const DAY = 24 * H;

describe('deployment frequency tiers (Elite more than 1/day, High at least 1/week, Medium at least 1/month)', () => {
  const tier = (deployments: number, days: number) =>
    deploymentFrequencyTier(deployments / days, deployments, t.deployment_frequency_per_day).tier;
  it('puts each boundary in the tier the table states', () => {
    expect(tier(31, 30)).toBe('elite'); // more than 1 per day
    expect(tier(30, 30)).toBe('high'); // exactly 1 per day is not "more than 1"
    expect(tier(4, 28)).toBe('high'); // exactly 1 per week
    expect(tier(3, 28)).toBe('medium'); // under 1 per week
    expect(tier(1, 30)).toBe('medium'); // exactly 1 per 30 days
    expect(tier(3, 90)).toBe('medium');
    expect(tier(1, 31)).toBe('low'); // fewer
    expect(tier(0, 30)).toBeNull(); // no deployments: no data, no tier
  });
  it('names the next tier and what reaching it takes', () => {
    expect(deploymentFrequencyTier(0.5, 15, t.deployment_frequency_per_day).next).toEqual({
      tier: 'elite',
      needs: 'deployment frequency 3.5 per week: High; Elite needs more than 1 per day',
    });
    expect(deploymentFrequencyTier(1 / 10, 3, t.deployment_frequency_per_day).next).toEqual({
      tier: 'high',
      needs: 'deployment frequency 3 per month (30 days): Medium; High needs at least 1 per week',
    });
    expect(deploymentFrequencyTier(1 / 60, 1, t.deployment_frequency_per_day).next?.needs).toBe(
      'deployment frequency 0.5 per month (30 days): Low; Medium needs at least 1 per month (30 days)',
    );
    expect(deploymentFrequencyTier(2, 60, t.deployment_frequency_per_day).next).toBeNull();
  });
});

describe('lead time tiers (under 1 hour, under 1 week, under 1 month of 30 days)', () => {
  const tier = (s: number | null) => leadTimeTier(s, t.lead_time_hours).tier;
  it('puts each boundary in the tier the table states', () => {
    expect(tier(H - 1)).toBe('elite');
    expect(tier(H)).toBe('high'); // exactly 1 hour
    expect(tier(7 * DAY - 1)).toBe('high');
    expect(tier(7 * DAY)).toBe('medium'); // exactly 1 week
    expect(tier(30 * DAY - 1)).toBe('medium');
    expect(tier(30 * DAY)).toBe('low'); // exactly 1 month
    expect(tier(null)).toBeNull();
  });
  it('words the step as the issue does', () => {
    expect(leadTimeTier(2.3 * DAY, t.lead_time_hours).next).toEqual({
      tier: 'elite',
      needs: 'lead time median 2.3 days: High; Elite needs under 1 hour',
    });
    expect(leadTimeTier(10 * DAY, t.lead_time_hours).next?.needs).toBe(
      'lead time median 10 days: Medium; High needs under 1 week',
    );
    expect(leadTimeTier(40 * DAY, t.lead_time_hours).next?.needs).toBe(
      'lead time median 40 days: Low; Medium needs under 30 days',
    );
    expect(leadTimeTier(60, t.lead_time_hours)).toEqual({ tier: 'elite', next: null });
  });
});

describe('change failure rate tiers (under 5%, under 10%, under 15%)', () => {
  const tier = (v: number | null) => changeFailureRateTier(v, t.change_failure_rate).tier;
  it('puts each boundary in the tier the table states', () => {
    expect(tier(0)).toBe('elite');
    expect(tier(4 / 100)).toBe('elite');
    expect(tier(1 / 20)).toBe('high'); // exactly 5%
    expect(tier(5 / 100)).toBe('high');
    expect(tier(9 / 100)).toBe('high');
    expect(tier(1 / 10)).toBe('medium'); // exactly 10%
    expect(tier(3 / 20)).toBe('low'); // exactly 15%
    expect(tier(15 / 100)).toBe('low');
    expect(tier(1)).toBe('low');
    expect(tier(null)).toBeNull();
  });
  it('names the step', () => {
    expect(changeFailureRateTier(0.12, t.change_failure_rate).next).toEqual({
      tier: 'high',
      needs: 'change failure rate 12%: Medium; High needs under 10%',
    });
  });
});

describe('time to restore tiers (under 1 hour, under 1 day, under 1 week)', () => {
  const tier = (s: number | null) => timeToRestoreTier(s, t.time_to_restore_hours).tier;
  it('puts each boundary in the tier the table states', () => {
    expect(tier(H - 1)).toBe('elite');
    expect(tier(H)).toBe('high'); // exactly 1 hour
    expect(tier(DAY)).toBe('medium'); // exactly 1 day
    expect(tier(7 * DAY - 1)).toBe('medium');
    expect(tier(7 * DAY)).toBe('low'); // exactly 1 week
    expect(tier(null)).toBeNull();
  });
  it('names the step', () => {
    expect(timeToRestoreTier(3 * H, t.time_to_restore_hours).next?.needs).toBe(
      'time to restore median 3 hours: High; Elite needs under 1 hour',
    );
    expect(timeToRestoreTier(8 * DAY, t.time_to_restore_hours).next?.needs).toBe(
      'time to restore median 8 days: Low; Medium needs under 1 week',
    );
  });
});

describe('thresholds come from the policy', () => {
  it('uses edited thresholds', () => {
    const strict = { elite: 0.01, high: 0.02, medium: 0.03 };
    expect(changeFailureRateTier(0.04, strict).tier).toBe('low');
    expect(changeFailureRateTier(0.015, strict).next?.needs).toBe(
      'change failure rate 1.5%: High; Elite needs under 1%',
    );
  });
});

describe('overall tier', () => {
  it('is the lowest of the metrics that have data, or none', () => {
    expect(overallTier(['elite', 'high', 'elite', 'medium'])).toBe('medium');
    expect(overallTier(['elite', null, 'elite', 'low'])).toBe('low');
    expect(overallTier(['elite', null, null, null])).toBe('elite');
    expect(overallTier([null, null, null, null])).toBeNull();
  });
});

describe('formatting', () => {
  it('words durations and rates', () => {
    expect(formatDuration(3600)).toBe('1 hour');
    expect(formatDuration(7 * DAY)).toBe('1 week');
    expect(formatDuration(30 * DAY)).toBe('30 days');
    expect(formatDuration(90)).toBe('1.5 minutes');
    expect(formatRate(2)).toBe('2 per day');
    expect(formatRate(1 / 7)).toBe('1 per week');
    expect(formatRate(1 / 30)).toBe('1 per month (30 days)');
  });
});
