import type {
  CanaryVerdict,
  Judgement,
  MetricClassification,
  MetricJudgement,
  MetricSetting,
} from '@engops/contracts';
import { mannWhitneyU, median } from './mann-whitney.ts';

/**
 * The canary judge, as Kayenta does it: per metric a two-sided Mann-Whitney U test of canary
 * against baseline at the policy's confidence; a significant difference whose relative change of
 * the median exceeds the metric's tolerance, in the direction that counts as harm, is `high` or
 * `low`; too few samples is `nodata` (never a pass). The score is the weighted share of passing
 * metrics (0-100); a critical metric that fails scores 0. Pure: time comes in as `at`.
 */
export interface JudgePolicy {
  promote_score: number;
  hold_score: number;
  confidence: number;
  min_samples: number;
}

export interface MetricSamples {
  canary: readonly number[];
  baseline: readonly number[];
}

export const DEFAULT_METRIC_SETTING: Omit<MetricSetting, 'metric'> = {
  direction: 'increase',
  tolerance: 0.1,
  critical: false,
  weight: 1,
};

export function classifyMetric(
  setting: MetricSetting,
  samples: MetricSamples,
  policy: Pick<JudgePolicy, 'confidence' | 'min_samples'>,
): MetricJudgement {
  const canaryMedian = median(samples.canary);
  const baselineMedian = median(samples.baseline);
  const base: MetricJudgement = {
    metric: setting.metric,
    group: setting.group ?? setting.metric,
    classification: 'nodata',
    direction: setting.direction,
    critical: setting.critical,
    weight: setting.weight,
    u: null,
    p_value: null,
    method: null,
    canary_count: samples.canary.length,
    baseline_count: samples.baseline.length,
    canary_median: canaryMedian,
    baseline_median: baselineMedian,
    change: null,
    tolerance: setting.tolerance,
  };
  if (samples.canary.length < policy.min_samples || samples.baseline.length < policy.min_samples) return base;
  const test = mannWhitneyU(samples.canary, samples.baseline);
  const change =
    baselineMedian === 0
      ? canaryMedian === 0
        ? 0
        : null
      : ((canaryMedian as number) - (baselineMedian as number)) / Math.abs(baselineMedian as number);
  const judged = { ...base, u: test.u, p_value: test.p, method: test.method, change };
  const alpha = 1 - policy.confidence;
  if (test.p >= alpha) return { ...judged, classification: 'pass' };
  // Significant: which way did the canary move? (U above its mean: canary values rank higher.)
  const observed: 'high' | 'low' = test.u > test.uOther ? 'high' : 'low';
  if (change !== null && Math.abs(change) <= setting.tolerance) return { ...judged, classification: 'pass' };
  const harmful =
    setting.direction === 'either' ||
    (setting.direction === 'increase' && observed === 'high') ||
    (setting.direction === 'decrease' && observed === 'low');
  const classification: MetricClassification = harmful ? observed : 'pass';
  return { ...judged, classification };
}

export function verdictOf(score: number, policy: Pick<JudgePolicy, 'promote_score' | 'hold_score'>) {
  const verdict: CanaryVerdict =
    score >= policy.promote_score ? 'promote' : score >= policy.hold_score ? 'hold' : 'rollback';
  return verdict;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Judges every metric that has settings or samples (a metric without settings gets the defaults:
 * harm is an increase beyond 10%, weight 1).
 */
export function judgeCanary(input: {
  settings: readonly MetricSetting[];
  samples: ReadonlyMap<string, MetricSamples>;
  policy: JudgePolicy;
  at: Date;
}): Judgement {
  const { policy } = input;
  const bySetting = new Map(input.settings.map((s) => [s.metric, s]));
  const names = [...new Set([...input.settings.map((s) => s.metric), ...input.samples.keys()])].sort();
  const metrics = names.map((metric) =>
    classifyMetric(
      bySetting.get(metric) ?? { metric, ...DEFAULT_METRIC_SETTING },
      input.samples.get(metric) ?? { canary: [], baseline: [] },
      policy,
    ),
  );
  const passed = (m: MetricJudgement) => m.classification === 'pass';
  const share = (ms: MetricJudgement[]) => {
    const total = ms.reduce((s, m) => s + m.weight, 0);
    return total > 0 ? (100 * ms.filter(passed).reduce((s, m) => s + m.weight, 0)) / total : 0;
  };
  const groupNames = [...new Set(metrics.map((m) => m.group))].sort();
  const groups = groupNames.map((group) => {
    const members = metrics.filter((m) => m.group === group);
    return {
      group,
      score: round2(share(members)),
      weight: members.reduce((s, m) => s + m.weight, 0),
    };
  });
  const criticalFailed = metrics.some(
    (m) => m.critical && (m.classification === 'high' || m.classification === 'low'),
  );
  const score = criticalFailed ? 0 : round2(share(metrics));
  return {
    score,
    verdict: verdictOf(score, policy),
    judged_at: input.at.toISOString(),
    thresholds: { promote: policy.promote_score, hold: policy.hold_score, confidence: policy.confidence },
    groups,
    metrics,
  };
}
