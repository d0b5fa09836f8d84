/**
 * Experiment statistics, pure: two-proportion z-test, Welch's t-test, confidence intervals for
 * absolute and relative lift, Bayesian chance to beat control, and the sample-ratio-mismatch
 * chi-square test. Special functions follow Numerical Recipes (Lanczos log-gamma, series and
 * continued fractions for the incomplete gamma and beta functions), accurate to about 1e-12.
 */

/** The 97.5% quantile of the standard normal distribution (two-sided 95% intervals). */
export const Z_975 = 1.959963984540054;

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

export const logBeta = (a: number, b: number) => logGamma(a) + logGamma(b) - logGamma(a + b);

/** Regularised lower incomplete gamma P(a, x). */
export function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
  }
  return 1 - gammaQ(a, x);
}

/** Regularised upper incomplete gamma Q(a, x) = 1 - P(a, x). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (x < a + 1) return 1 - gammaP(a, x);
  // Lentz's continued fraction.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < 1000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function betaI(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - logBeta(a, b));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  const tail = 0.5 * gammaQ(0.5, (z * z) / 2);
  return z >= 0 ? 1 - tail : tail;
}

/** Two-sided p-value of a standard normal statistic. */
export const normalTwoSided = (z: number) => gammaQ(0.5, (z * z) / 2);

/** Two-sided p-value of Student's t with `df` degrees of freedom. */
export function studentTwoSided(t: number, df: number): number {
  return betaI(df / 2, 0.5, df / (df + t * t));
}

/** The quantile t such that P(T <= t) = p for Student's t with `df` degrees of freedom (0.5 < p < 1). */
export function studentQuantile(p: number, df: number): number {
  const target = 2 * (1 - p); // two-sided tail
  let lo = 0;
  let hi = 1;
  while (studentTwoSided(hi, df) > target) hi *= 2;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTwoSided(mid, df) > target) lo = mid;
    else hi = mid;
    if (hi - lo < 1e-13) break;
  }
  return (lo + hi) / 2;
}

export interface Interval {
  low: number;
  high: number;
}

export interface ProportionComparison {
  control_rate: number;
  treatment_rate: number;
  absolute_lift: number;
  absolute_ci: Interval;
  relative_lift: number | null;
  relative_ci: Interval | null;
  z: number;
  p_value: number;
}

/**
 * Two-proportion z-test (pooled standard error for the test, unpooled for the interval), treatment
 * against control. The relative lift's interval uses the delta method on pT / pC.
 */
export function compareProportions(
  control: { conversions: number; users: number },
  treatment: { conversions: number; users: number },
): ProportionComparison {
  const pC = control.conversions / control.users;
  const pT = treatment.conversions / treatment.users;
  const pooled = (control.conversions + treatment.conversions) / (control.users + treatment.users);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / control.users + 1 / treatment.users));
  const z = sePooled === 0 ? 0 : (pT - pC) / sePooled;
  const varC = (pC * (1 - pC)) / control.users;
  const varT = (pT * (1 - pT)) / treatment.users;
  const se = Math.sqrt(varC + varT);
  const diff = pT - pC;
  const relative = relativeLift(pC, pT, varC, varT);
  return {
    control_rate: pC,
    treatment_rate: pT,
    absolute_lift: diff,
    absolute_ci: { low: diff - Z_975 * se, high: diff + Z_975 * se },
    ...relative,
    z,
    p_value: sePooled === 0 ? 1 : normalTwoSided(z),
  };
}

function relativeLift(mC: number, mT: number, varC: number, varT: number) {
  if (mC === 0) return { relative_lift: null, relative_ci: null };
  const ratio = mT / mC;
  // Var(mT/mC) ≈ varT/mC² + mT²·varC/mC⁴ (delta method).
  const se = Math.sqrt(varT / (mC * mC) + (mT * mT * varC) / mC ** 4);
  return {
    relative_lift: ratio - 1,
    relative_ci: { low: ratio - 1 - Z_975 * se, high: ratio - 1 + Z_975 * se },
  };
}

export interface MeanComparison {
  control_mean: number;
  treatment_mean: number;
  absolute_lift: number;
  absolute_ci: Interval;
  relative_lift: number | null;
  relative_ci: Interval | null;
  t: number;
  df: number;
  p_value: number;
}

export interface SampleSummary {
  n: number;
  mean: number;
  /** Sample variance (n - 1 in the denominator). */
  variance: number;
}

/** Mean and sample variance of values. */
export function summarise(values: readonly number[]): SampleSummary {
  const n = values.length;
  const mean = n === 0 ? 0 : values.reduce((a, b) => a + b, 0) / n;
  const variance = n < 2 ? 0 : values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { n, mean, variance };
}

/** Welch's t-test (unequal variances, Welch–Satterthwaite degrees of freedom), treatment against control. */
export function compareMeans(control: SampleSummary, treatment: SampleSummary): MeanComparison {
  const vC = control.variance / control.n;
  const vT = treatment.variance / treatment.n;
  const se = Math.sqrt(vC + vT);
  const diff = treatment.mean - control.mean;
  const df = se === 0 ? 1 : (vC + vT) ** 2 / (vC ** 2 / (control.n - 1) + vT ** 2 / (treatment.n - 1));
  const t = se === 0 ? 0 : diff / se;
  const q = studentQuantile(0.975, df);
  return {
    control_mean: control.mean,
    treatment_mean: treatment.mean,
    absolute_lift: diff,
    absolute_ci: { low: diff - q * se, high: diff + q * se },
    ...relativeLift(control.mean, treatment.mean, vC, vT),
    t,
    df,
    p_value: se === 0 ? 1 : studentTwoSided(t, df),
  };
}

/**
 * P(pT > pC) with uniform Beta(1, 1) priors: the posteriors are Beta(1 + conversions,
 * 1 + non-conversions), and the probability is Evan Miller's closed form, exact for integer counts.
 */
export function chanceToBeatControl(
  control: { conversions: number; users: number },
  treatment: { conversions: number; users: number },
): number {
  const aC = 1 + control.conversions;
  const bC = 1 + control.users - control.conversions;
  const aT = 1 + treatment.conversions;
  const bT = 1 + treatment.users - treatment.conversions;
  let total = 0;
  for (let i = 0; i < aT; i++)
    total += Math.exp(logBeta(aC + i, bC + bT) - Math.log(bT + i) - logBeta(1 + i, bT) - logBeta(aC, bC));
  return Math.min(1, Math.max(0, total));
}

/** P(μT > μC) for a numeric metric, from the normal approximation of the two means. */
export function chanceToBeatControlMeans(control: SampleSummary, treatment: SampleSummary): number {
  const se = Math.sqrt(control.variance / control.n + treatment.variance / treatment.n);
  if (se === 0) return treatment.mean > control.mean ? 1 : treatment.mean < control.mean ? 0 : 0.5;
  return normalCdf((treatment.mean - control.mean) / se);
}

export interface SampleRatioCheck {
  chi_square: number;
  df: number;
  p_value: number;
  /** p < 0.001: the split differs from the configured weights more than chance explains. */
  mismatch: boolean;
}

/** Pearson's chi-square goodness of fit of observed users per variant to the expected weights. */
export function sampleRatioMismatch(
  observed: readonly number[],
  weights: readonly number[],
): SampleRatioCheck {
  const total = observed.reduce((a, b) => a + b, 0);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  let chi = 0;
  observed.forEach((o, i) => {
    const expected = (total * (weights[i] ?? 0)) / weightSum;
    if (expected > 0) chi += (o - expected) ** 2 / expected;
  });
  const df = observed.length - 1;
  const p = df <= 0 || total === 0 ? 1 : gammaQ(df / 2, chi / 2);
  return { chi_square: chi, df, p_value: p, mismatch: p < 0.001 };
}
