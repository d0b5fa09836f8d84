/**
 * The Mann-Whitney U test (Wilcoxon rank-sum), two-sided. Pure: no I/O.
 *
 * U of the first sample counts the pairs (x, y) with x > y, ties counting one half; it equals
 * R1 - n1(n1+1)/2 where R1 is the first sample's rank sum (ties get their average rank).
 * Small samples without ties get the exact distribution of U; otherwise the normal approximation
 * with the tie correction of the variance and a continuity correction of 0.5.
 */
export interface MannWhitneyResult {
  /** U of the first sample. */
  u: number;
  /** U of the second sample (n1 * n2 - u). */
  uOther: number;
  /** Two-sided p-value. */
  p: number;
  /** The z statistic of the normal approximation (null for the exact test). */
  z: number | null;
  method: 'exact' | 'normal';
}

/** Exact p-values are computed up to this size of each sample (when there are no ties). */
export const EXACT_MAX_N = 20;

/** Average ranks (1-based) of `values`, and the sizes of the tie groups. */
export function rank(values: readonly number[]): { ranks: number[]; ties: number[] } {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(values.length);
  const ties: number[] = [];
  let k = 0;
  while (k < order.length) {
    let end = k;
    while (end + 1 < order.length && order[end + 1]!.v === order[k]!.v) end++;
    const average = (k + 1 + end + 1) / 2;
    for (let j = k; j <= end; j++) ranks[order[j]!.i] = average;
    if (end > k) ties.push(end - k + 1);
    k = end + 1;
  }
  return { ranks, ties };
}

/**
 * How many of the C(m+n, m) orderings give each U = 0..m*n, by the recurrence
 * f(m, n; u) = f(m-1, n; u-n) + f(m, n-1; u).
 */
export function exactUCounts(m: number, n: number): number[] {
  // rows[i][j] is the distribution for sizes (i, j); only the previous i is kept.
  let previous: number[][] = [];
  for (let i = 0; i <= m; i++) {
    const current: number[][] = [];
    for (let j = 0; j <= n; j++) {
      if (i === 0 || j === 0) {
        current.push([1]);
        continue;
      }
      const out = new Array<number>(i * j + 1).fill(0);
      const withoutX = previous[j]!; // (i-1, j): the largest value is from y... shifted by j
      const withoutY = current[j - 1]!; // (i, j-1)
      for (let u = 0; u < withoutX.length; u++) out[u + j]! += withoutX[u]!;
      for (let u = 0; u < withoutY.length; u++) out[u]! += withoutY[u]!;
      current.push(out);
    }
    previous = current;
  }
  return previous[n]!;
}

/** The complementary error function (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  options: { exact?: 'auto' | 'never' } = {},
): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new Error('both samples need at least one value');
  const { ranks, ties } = rank([...x, ...y]);
  let r1 = 0;
  for (let i = 0; i < n1; i++) r1 += ranks[i]!;
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const uOther = n1 * n2 - u;

  if ((options.exact ?? 'auto') === 'auto' && ties.length === 0 && n1 <= EXACT_MAX_N && n2 <= EXACT_MAX_N) {
    const counts = exactUCounts(n1, n2);
    let total = 0;
    let atMost = 0;
    for (let k = 0; k < counts.length; k++) {
      total += counts[k]!;
      if (k <= u) atMost += counts[k]!;
    }
    let atLeast = 0;
    for (let k = Math.ceil(u); k < counts.length; k++) atLeast += counts[k]!;
    const p = Math.min(1, (2 * Math.min(atMost, atLeast)) / total);
    return { u, uOther, p, z: null, method: 'exact' };
  }

  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const tieTerm = ties.reduce((sum, t) => sum + (t * t * t - t), 0);
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, uOther, p: 1, z: 0, method: 'normal' };
  const z = Math.max(0, Math.abs(u - mean) - 0.5) / Math.sqrt(variance);
  return { u, uOther, p: Math.min(1, erfc(z / Math.SQRT2)), z, method: 'normal' };
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
