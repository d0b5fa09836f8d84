import type { MetricSetting } from '@engops/contracts';
import { describe, expect, it } from 'vitest';
import { classifyMetric, judgeCanary, verdictOf } from './canary-judge.ts';

const policy = { promote_score: 90, hold_score: 75, confidence: 0.95, min_samples: 5 };
const at = new Date('2030-03-01T12:00:00Z');
const setting = (metric: string, extra: Partial<MetricSetting> = {}): MetricSetting => ({
  metric,
  direction: 'increase',
  tolerance: 0.1,
  critical: false,
  weight: 1,
  ...extra,
});

// Latency: canary median (121 + 122) / 2 = 121.5, baseline median (101 + 102) / 2 = 101.5, so the
// median rose by 20 / 101.5 = 19.70%; Mann-Whitney U = 141 of 144, p = 7.576e-5 (see mann-whitney.test.ts).
const slowCanary = [105, 110, 120, 118, 130, 125, 122, 119, 140, 135, 128, 121];
const baseline = [100, 102, 98, 105, 110, 101, 99, 104, 103, 100, 106, 97];
// Interleaved: U = 10 of 25, exact p = 0.690476 -> no significant difference.
const same = { canary: [1, 3, 5, 7, 9], baseline: [2, 4, 6, 8, 10] };

describe('classifyMetric', () => {
  it('is high when the canary is significantly higher beyond the tolerance and an increase is harm', () => {
    const m = classifyMetric(setting('latency_ms'), { canary: slowCanary, baseline }, policy);
    expect(m.classification).toBe('high');
    expect(m.u).toBe(141);
    expect(m.p_value! / 7.576012372791538e-5).toBeCloseTo(1, 5);
    expect(m.canary_median).toBe(121.5);
    expect(m.baseline_median).toBe(101.5);
    expect(m.change).toBeCloseTo(20 / 101.5, 12);
  });

  it('passes a significant change within the tolerance (19.7% < 25%)', () => {
    const m = classifyMetric(
      setting('latency_ms', { tolerance: 0.25 }),
      { canary: slowCanary, baseline },
      policy,
    );
    expect(m.classification).toBe('pass');
  });

  it('passes a change in the harmless direction, and flags either direction when asked', () => {
    expect(
      classifyMetric(
        setting('latency_ms', { direction: 'decrease' }),
        { canary: slowCanary, baseline },
        policy,
      ).classification,
    ).toBe('pass');
    expect(
      classifyMetric(
        setting('requests', { direction: 'decrease' }),
        { canary: baseline, baseline: slowCanary },
        policy,
      ).classification,
    ).toBe('low');
    expect(
      classifyMetric(
        setting('requests', { direction: 'either' }),
        { canary: baseline, baseline: slowCanary },
        policy,
      ).classification,
    ).toBe('low');
  });

  it('passes when the difference is not significant at 95% (p = 0.690476)', () => {
    const m = classifyMetric(setting('errors'), same, policy);
    expect(m.classification).toBe('pass');
    expect(m.u).toBe(10);
    expect(m.p_value).toBeCloseTo(0.6904761905, 9);
  });

  it('is nodata, never pass, with fewer samples than min_samples', () => {
    const m = classifyMetric(setting('errors'), { canary: [1, 2, 3, 4], baseline: [1, 2, 3, 4, 5] }, policy);
    expect(m.classification).toBe('nodata');
    expect(m.u).toBeNull();
    expect(m.p_value).toBeNull();
  });

  it('needs p below 1 - confidence: 8 separated values (p = 0.000155) fail, 3 (p = 0.1) cannot', () => {
    const high = classifyMetric(
      setting('cpu'),
      { canary: [9, 10, 11, 12, 13, 14, 15, 16], baseline: [1, 2, 3, 4, 5, 6, 7, 8] },
      policy,
    );
    expect(high.classification).toBe('high');
    const tiny = classifyMetric(
      setting('cpu'),
      { canary: [9, 10, 11], baseline: [1, 2, 3] },
      { ...policy, min_samples: 3 },
    );
    // Exact p for U = 9 of 9 with sizes 3 and 3: 2/20 = 0.1 >= 0.05.
    expect(tiny.p_value).toBeCloseTo(0.1, 12);
    expect(tiny.classification).toBe('pass');
  });
});

describe('judgeCanary', () => {
  const samples = (entries: Array<[string, { canary: number[]; baseline: number[] }]>) => new Map(entries);

  it('weights the metrics: latency (weight 2) fails, two pass, one has no data -> 100 * 2/5 = 40, rollback', () => {
    const j = judgeCanary({
      settings: [
        setting('latency_ms', { weight: 2, group: 'latency' }),
        setting('errors', { group: 'errors' }),
        setting('cpu', { group: 'saturation' }),
        setting('throughput', { group: 'saturation', direction: 'decrease' }),
      ],
      samples: samples([
        ['latency_ms', { canary: slowCanary, baseline }],
        ['errors', same],
        ['throughput', same],
      ]),
      policy,
      at,
    });
    expect(j.metrics.map((m) => [m.metric, m.classification])).toEqual([
      ['cpu', 'nodata'],
      ['errors', 'pass'],
      ['latency_ms', 'high'],
      ['throughput', 'pass'],
    ]);
    expect(j.score).toBe(40);
    expect(j.verdict).toBe('rollback');
    expect(j.groups).toEqual([
      { group: 'errors', score: 100, weight: 1 },
      { group: 'latency', score: 0, weight: 2 },
      { group: 'saturation', score: 50, weight: 2 },
    ]);
    expect(j.judged_at).toBe('2030-03-01T12:00:00.000Z');
  });

  it('promotes at 90: nine passing metrics of weight 1 and one failing -> 90', () => {
    const settings = Array.from({ length: 10 }, (_, i) => setting(`m${i}`));
    const entries: Array<[string, { canary: number[]; baseline: number[] }]> = settings.map((s, i) => [
      s.metric,
      i === 0 ? { canary: slowCanary, baseline } : same,
    ]);
    const j = judgeCanary({ settings, samples: samples(entries), policy, at });
    expect(j.score).toBe(90);
    expect(j.verdict).toBe('promote');
    // Weight 1.5 on the failing one: 9 / 10.5 = 85.71 -> hold.
    settings[0] = setting('m0', { weight: 1.5 });
    const held = judgeCanary({ settings, samples: samples(entries), policy, at });
    expect(held.score).toBe(85.71);
    expect(held.verdict).toBe('hold');
  });

  it('scores 0 when a critical metric fails, whatever else passes', () => {
    const j = judgeCanary({
      settings: [setting('latency_ms', { critical: true, weight: 0.1 }), setting('errors', { weight: 100 })],
      samples: samples([
        ['latency_ms', { canary: slowCanary, baseline }],
        ['errors', same],
      ]),
      policy,
      at,
    });
    expect(j.score).toBe(0);
    expect(j.verdict).toBe('rollback');
  });

  it('gives metrics pushed without settings the defaults (harm: an increase beyond 10%)', () => {
    const j = judgeCanary({
      settings: [],
      samples: samples([['p99', { canary: slowCanary, baseline }]]),
      policy,
      at,
    });
    expect(j.metrics[0]).toMatchObject({
      metric: 'p99',
      classification: 'high',
      direction: 'increase',
      tolerance: 0.1,
    });
    expect(j.score).toBe(0);
  });

  it('uses the thresholds from the policy: 90 promote, [75, 90) hold, below 75 roll back', () => {
    expect(verdictOf(90, policy)).toBe('promote');
    expect(verdictOf(89.99, policy)).toBe('hold');
    expect(verdictOf(75, policy)).toBe('hold');
    expect(verdictOf(74.99, policy)).toBe('rollback');
    expect(verdictOf(80, { promote_score: 80, hold_score: 50 })).toBe('promote');
    expect(verdictOf(49, { promote_score: 80, hold_score: 50 })).toBe('rollback');
  });
});
