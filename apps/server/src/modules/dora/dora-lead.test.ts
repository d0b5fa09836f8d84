import { describe, expect, it } from 'vitest';
import { changeLead, leadBucket, MAX_LEAD_BUCKET } from './dora-lead.ts';

describe('lead time buckets', () => {
  it('keeps whole seconds below 64 and 32 buckets per doubling above, by hand', () => {
    expect(leadBucket(0)).toBe(0);
    expect(leadBucket(999)).toBe(0);
    expect(leadBucket(63_999)).toBe(63);
    expect(leadBucket(64_000)).toBe(64); // 7 bits: 32 + 64 / 2
    expect(leadBucket(127_000)).toBe(95); // 32 + 127 / 2 (floored)
    expect(leadBucket(128_000)).toBe(96); // 8 bits: 64 + 128 / 4
    expect(leadBucket(3_600_000)).toBe(6 * 32 + Math.floor(3600 / 64)); // 12 bits: 192 + 56
    expect(MAX_LEAD_BUCKET).toBe(26 * 32 + 63);
    expect(leadBucket(Number.MAX_SAFE_INTEGER)).toBe(MAX_LEAD_BUCKET);
  });

  it('never gives a longer lead a smaller bucket', () => {
    let previous = -1;
    for (let seconds = 0; seconds < 5_000_000; seconds += seconds < 5000 ? 1 : 997) {
      const b = leadBucket(seconds * 1000);
      expect(b).toBeGreaterThanOrEqual(previous);
      previous = b;
    }
  });

  it('computes the lead from whole milliseconds, never negative, as dora-metrics does', () => {
    expect(changeLead('2026-03-02T08:00:00.000Z', '2026-03-02T10:00:00.500Z')).toEqual({
      committed_at: '2026-03-02T08:00:00.000Z',
      lead_seconds: 7200.5,
      lead_bucket: leadBucket(7_200_500),
    });
    expect(changeLead('2026-03-02T11:00:00.000Z', '2026-03-02T10:00:00.000Z').lead_seconds).toBe(0);
    expect(changeLead(null, '2026-03-02T10:00:00.000Z')).toEqual({
      committed_at: null,
      lead_seconds: null,
      lead_bucket: null,
    });
  });
});
