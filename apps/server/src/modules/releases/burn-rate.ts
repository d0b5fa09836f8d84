/**
 * SLO burn rate (Google SRE workbook, multiwindow alerting): the error ratio observed over a
 * window divided by the error budget (1 - objective). A burn rate of 14.4 spends 2% of a 30-day
 * budget in one hour. A breach needs both the long window (1 h) and the short one (5 min) at or
 * above the threshold: the long one shows it matters, the short one that it is still happening.
 * Pure: samples carry their time, "now" comes in.
 */
export interface TimedSamples {
  /** When the values were observed (ISO-8601). */
  at: string;
  /** Error ratios (0..1), one per scrape interval. */
  values: readonly number[];
}

export interface BurnRatePolicy {
  objective: number;
  burn_rate: number;
  long_window_minutes: number;
  short_window_minutes: number;
}

export interface BurnRateResult {
  long: number | null;
  short: number | null;
  breached: boolean;
}

/** Mean error ratio of the samples observed in (now - minutes, now], over the budget; null without samples. */
export function burnRate(samples: readonly TimedSamples[], now: Date, minutes: number, objective: number) {
  const from = now.getTime() - minutes * 60_000;
  let sum = 0;
  let count = 0;
  for (const s of samples) {
    const at = Date.parse(s.at);
    if (at <= from || at > now.getTime()) continue;
    for (const v of s.values) {
      sum += v;
      count++;
    }
  }
  return count ? sum / count / (1 - objective) : null;
}

export function evaluateBurnRate(
  samples: readonly TimedSamples[],
  now: Date,
  policy: BurnRatePolicy,
): BurnRateResult {
  const long = burnRate(samples, now, policy.long_window_minutes, policy.objective);
  const short = burnRate(samples, now, policy.short_window_minutes, policy.objective);
  // 1 - 0.999 is 0.0010000000000000009 in binary floating point: compare with a tiny tolerance so
  // that exactly 14.4x counts.
  const atLeast = (rate: number | null) => rate !== null && rate >= policy.burn_rate * (1 - 1e-12);
  const breached = atLeast(long) && atLeast(short);
  return { long, short, breached };
}
