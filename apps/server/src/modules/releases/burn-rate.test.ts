import { describe, expect, it } from 'vitest';
import { burnRate, evaluateBurnRate } from './burn-rate.ts';

const policy = { objective: 0.999, burn_rate: 14.4, long_window_minutes: 60, short_window_minutes: 5 };
const now = new Date('2030-01-01T12:00:00Z');
const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();

describe('SLO burn rate', () => {
  it('divides the mean error ratio in the window by the error budget', () => {
    // Budget 0.1%; errors 2% -> 20x.
    expect(burnRate([{ at: at(1), values: [0.02, 0.02] }], now, 5, 0.999)).toBeCloseTo(20, 9);
    // (0.02 + 0.01 + 0 + 0.001) / 4 = 0.00775 -> 7.75x over the hour.
    expect(
      burnRate(
        [
          { at: at(50), values: [0.02, 0.01] },
          { at: at(2), values: [0, 0.001] },
        ],
        now,
        60,
        0.999,
      ),
    ).toBeCloseTo(7.75, 9);
    // Samples at the window's start are outside it; none at all -> null.
    expect(burnRate([{ at: at(5), values: [1] }], now, 5, 0.999)).toBeNull();
  });

  it('breaches only when both windows burn at 14.4x or more', () => {
    const hot = evaluateBurnRate([{ at: at(1), values: [0.0144] }], now, policy);
    expect(hot.long).toBeCloseTo(14.4, 9);
    expect(hot.short).toBeCloseTo(14.4, 9);
    expect(hot.breached).toBe(true);
    // A burst 30 minutes ago, quiet now: the hour burns 0.02/2/0.001 = 10x, the last 5 min 0x.
    const past = evaluateBurnRate(
      [
        { at: at(30), values: [0.04] },
        { at: at(1), values: [0] },
      ],
      now,
      policy,
    );
    expect(past).toMatchObject({ short: 0, breached: false });
    expect(past.long).toBeCloseTo(20, 9);
    // Just below the threshold.
    expect(evaluateBurnRate([{ at: at(1), values: [0.0143] }], now, policy).breached).toBe(false);
  });
});
