import { describe, expect, it } from 'vitest';
import {
  chanceToBeatControl,
  chanceToBeatControlMeans,
  compareMeans,
  compareProportions,
  normalCdf,
  sampleRatioMismatch,
  studentQuantile,
  studentTwoSided,
  summarise,
} from './experiment-stats.ts';

/**
 * Worked examples. Welch: Wikipedia's "Welch's t-test" example 1 (two samples of 15; t = 2.46,
 * ν ≈ 24.99, p = 0.021). The others are computed by hand from the textbook formulas; every figure
 * was also checked against SciPy 1.17 (ttest_ind, norm, chisquare, beta integration).
 */
describe('distributions', () => {
  it('match the standard tables', () => {
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 12);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316300933, 12);
    expect(normalCdf(0)).toBe(0.5);
    // t table: t(0.975, 10) = 2.228.
    expect(studentQuantile(0.975, 10)).toBeCloseTo(2.228138851986274, 9);
    expect(studentTwoSided(2.228138851986274, 10)).toBeCloseTo(0.05, 10);
  });
});

describe("Welch's t-test", () => {
  const a1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
  const a2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];

  it("reproduces Wikipedia's example 1", () => {
    const control = summarise(a1);
    const treatment = summarise(a2);
    expect(control.mean).toBeCloseTo(20.82, 12);
    expect(control.variance).toBeCloseTo(7.867428571428571, 10);
    expect(treatment.variance).toBeCloseTo(3.8126666666666686, 10);
    const r = compareMeans(control, treatment);
    expect(r.absolute_lift).toBeCloseTo(2.166666666666667, 10);
    expect(r.t).toBeCloseTo(2.455356398286006, 9);
    expect(r.df).toBeCloseTo(24.988529290231416, 9);
    expect(r.p_value).toBeCloseTo(0.021378001462866992, 9);
    expect(r.absolute_ci.low).toBeCloseTo(0.3492370661924069, 8);
    expect(r.absolute_ci.high).toBeCloseTo(3.984096267140929, 8);
    expect(r.relative_lift).toBeCloseTo(2.166666666666667 / 20.82, 10);
    // Normal approximation of P(μT > μC) = Φ(t) with the same standard error.
    expect(chanceToBeatControlMeans(control, treatment)).toBeCloseTo(normalCdf(2.455356398286006), 10);
  });
});

describe('two-proportion z-test', () => {
  // 100 of 1,000 control users converted (10%), 120 of 1,000 treatment users (12%).
  // Pooled p = 0.11; SE = sqrt(0.11 · 0.89 · 2/1000) = 0.0139929; z = 0.02 / 0.0139929 = 1.42930.
  it('computes z, the two-sided p-value and both intervals', () => {
    const r = compareProportions({ conversions: 100, users: 1000 }, { conversions: 120, users: 1000 });
    expect(r.control_rate).toBe(0.1);
    expect(r.treatment_rate).toBe(0.12);
    expect(r.absolute_lift).toBeCloseTo(0.02, 15);
    expect(r.z).toBeCloseTo(1.4293008498232314, 12);
    expect(r.p_value).toBeCloseTo(0.1529177818639462, 12);
    // Unpooled SE = sqrt(0.1·0.9/1000 + 0.12·0.88/1000) = 0.0139642; 0.02 ± 1.95996 · SE.
    expect(r.absolute_ci.low).toBeCloseTo(-0.007411481998019935, 12);
    expect(r.absolute_ci.high).toBeCloseTo(0.047411481998019936, 12);
    // Relative lift 20% with its delta-method interval.
    expect(r.relative_lift).toBeCloseTo(0.2, 12);
    expect(r.relative_ci?.low).toBeCloseTo(-0.10058461614448239, 10);
    expect(r.relative_ci?.high).toBeCloseTo(0.5005846161444825, 10);
  });

  it('has no relative lift when control never converts', () => {
    const r = compareProportions({ conversions: 0, users: 10 }, { conversions: 0, users: 10 });
    expect(r).toMatchObject({ relative_lift: null, relative_ci: null, z: 0, p_value: 1 });
  });
});

describe('chance to beat control (Beta-Binomial)', () => {
  it('matches the integral of the two posteriors', () => {
    expect(
      chanceToBeatControl({ conversions: 100, users: 1000 }, { conversions: 120, users: 1000 }),
    ).toBeCloseTo(0.92318343897356, 9);
    // Beta(9, 3) against Beta(6, 6).
    expect(chanceToBeatControl({ conversions: 5, users: 10 }, { conversions: 8, users: 10 })).toBeCloseTo(
      0.9086687306501547,
      12,
    );
    // Identical data: a coin flip.
    expect(chanceToBeatControl({ conversions: 30, users: 100 }, { conversions: 30, users: 100 })).toBeCloseTo(
      0.5,
      12,
    );
  });
});

describe('sample ratio mismatch (chi-square)', () => {
  it('flags a split that chance does not explain at p < 0.001', () => {
    // 50/50 expected: χ² = 2 · 125² / 5125 = 6.0976, df 1, p = 0.0135: no warning.
    const mild = sampleRatioMismatch([5000, 5250], [50, 50]);
    expect(mild.chi_square).toBeCloseTo(6.097560975609756, 12);
    expect(mild.p_value).toBeCloseTo(0.013536859346243508, 12);
    expect(mild.mismatch).toBe(false);
    // χ² = 2 · 250² / 10250 = 12.195, p = 0.00048: mismatch.
    const bad = sampleRatioMismatch([10000, 10500], [1, 1]);
    expect(bad.chi_square).toBeCloseTo(12.195121951219512, 12);
    expect(bad.p_value).toBeCloseTo(0.00047914643458730067, 12);
    expect(bad.mismatch).toBe(true);
    // Three variants, df 2: χ² = 2, p = e^-1.
    const three = sampleRatioMismatch([3300, 3300, 3400], [1, 1, 1]);
    expect(three.chi_square).toBeCloseTo(2, 12);
    expect(three.p_value).toBeCloseTo(Math.exp(-1), 12);
  });
});
