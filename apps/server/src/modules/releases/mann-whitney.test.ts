import { describe, expect, it } from 'vitest';
import { erfc, exactUCounts, mannWhitneyU, median, rank } from './mann-whitney.ts';

/*
 * Worked examples, computed by hand (ranks, U, the exact distribution, the normal approximation)
 * and cross-checked against scipy.stats.mannwhitneyu (two-sided; exact / asymptotic with
 * use_continuity=True).
 */
describe('Mann-Whitney U', () => {
  it('ranks with average ranks for ties', () => {
    expect(rank([12, 15, 15, 18, 10, 12, 12, 15])).toEqual({
      // Sorted: 10 | 12 12 12 (ranks 2-4, average 3) | 15 15 15 (ranks 5-7, average 6) | 18.
      ranks: [3, 6, 6, 8, 1, 3, 3, 6],
      ties: [3, 3],
    });
  });

  it('counts the exact distribution of U: sizes 2 and 2 give 1,1,2,1,1 over C(4,2) = 6', () => {
    expect(exactUCounts(2, 2)).toEqual([1, 1, 2, 1, 1]);
    expect(exactUCounts(6, 6).reduce((a, b) => a + b, 0)).toBe(924);
    // U <= 11 for sizes 6 and 6: 143 of the 924 orderings.
    expect(
      exactUCounts(6, 6)
        .slice(0, 12)
        .reduce((a, b) => a + b, 0),
    ).toBe(143);
  });

  it('tortoise and hare (no ties, exact): U = 25, p = 2 * 143/924 = 0.309524', () => {
    // Finishing times: tortoises 1,7,8,9,10,11 and hares 2,3,4,5,6,12. R1 = 46, U = 46 - 21 = 25.
    const r = mannWhitneyU([1, 7, 8, 9, 10, 11], [2, 3, 4, 5, 6, 12]);
    expect(r.method).toBe('exact');
    expect(r.u).toBe(25);
    expect(r.uOther).toBe(11);
    expect(r.p).toBeCloseTo(286 / 924, 12);
    expect(r.p).toBeCloseTo(0.3095238095, 9);
  });

  it('sizes 5 and 4 (exact): ranks 3,5,7,8,9 give R1 = 32, U = 17, p = 2 * 7/126 = 0.111111', () => {
    const r = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    expect(r.u).toBe(17);
    expect(r.p).toBeCloseTo(14 / 126, 12);
  });

  it('two fully separated samples of 8 (exact): U = 64, p = 2/12870', () => {
    const r = mannWhitneyU([9, 10, 11, 12, 13, 14, 15, 16], [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(r.u).toBe(64);
    expect(r.p).toBeCloseTo(2 / 12870, 12);
    // And the other way round, U = 0 with the same p.
    const back = mannWhitneyU([1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 16]);
    expect(back.u).toBe(0);
    expect(back.p).toBeCloseTo(2 / 12870, 12);
  });

  it('interleaved samples (exact): U = 10, p = 0.690476', () => {
    const r = mannWhitneyU([1, 3, 5, 7, 9], [2, 4, 6, 8, 10]);
    expect(r.u).toBe(10);
    expect(r.p).toBeCloseTo(0.6904761905, 9);
  });

  it('ties (normal approximation, tie and continuity corrections): U = 56, z = 2.48264, p = 0.0130413', () => {
    // Ranks of the canary: 4, 9, 9, 12, 13, 15, 16, 14 -> R1 = 92, U = 92 - 36 = 56, mean 32.
    // Ties: three 12s and three 15s -> sum(t^3 - t) = 48; N = 16.
    // Variance = 8*8/12 * (17 - 48/(16*15)) = 89.6; z = (|56 - 32| - 0.5) / sqrt(89.6) = 2.482637.
    const r = mannWhitneyU([12, 15, 15, 18, 20, 22, 25, 21], [10, 11, 12, 13, 15, 14, 16, 12]);
    expect(r.method).toBe('normal');
    expect(r.u).toBe(56);
    expect(r.z).toBeCloseTo(23.5 / Math.sqrt(89.6), 10);
    expect(r.z).toBeCloseTo(2.482637, 5);
    expect(r.p).toBeCloseTo(0.0130412582, 6);
  });

  it('latency samples of 12 with ties (normal): U = 141, p = 7.576e-5', () => {
    const r = mannWhitneyU(
      [105, 110, 120, 118, 130, 125, 122, 119, 140, 135, 128, 121],
      [100, 102, 98, 105, 110, 101, 99, 104, 103, 100, 106, 97],
    );
    expect(r.u).toBe(141);
    expect(r.p / 7.576012372791538e-5).toBeCloseTo(1, 5);
  });

  it('identical samples: p = 1', () => {
    const r = mannWhitneyU([5, 5, 5], [5, 5, 5]);
    expect(r.u).toBe(4.5);
    expect(r.p).toBe(1);
  });

  it('erfc matches tabulated values', () => {
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1)).toBeCloseTo(0.1572992071, 7);
    expect(erfc(-1)).toBeCloseTo(1.8427007929, 7);
    expect(erfc(1.959963985 / Math.SQRT2)).toBeCloseTo(0.05, 7);
  });

  it('medians', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});
