import { describe, expect, it } from 'vitest';
import {
  DEFAULT_THRESHOLDS,
  formatFrequency,
  formatPercent,
  formatSeconds,
  tierBands,
  windowOf,
} from './dora-format.ts';

describe('DORA page formatting', () => {
  it('formats durations, rates and percentages', () => {
    expect(formatSeconds(45)).toBe('45 s');
    expect(formatSeconds(90 * 60)).toBe('1.5 h');
    expect(formatSeconds(2.3 * 86_400)).toBe('2.3 days');
    expect(formatFrequency(3)).toBe('3 per day');
    expect(formatFrequency(2 / 7)).toBe('2 per week');
    expect(formatFrequency(1 / 30)).toBe('1 per month');
    expect(formatPercent(0.05)).toBe('5%');
    expect(formatPercent(1 / 3)).toBe('33.3%');
  });

  it("draws the handbook's bands", () => {
    const lt = tierBands('lead_time', DEFAULT_THRESHOLDS);
    expect(lt.higherIsBetter).toBe(false);
    expect(lt.bands[0]).toEqual(['elite', 0, 1]);
    expect(lt.bands[3]).toEqual(['low', 720, Number.POSITIVE_INFINITY]);
    const df = tierBands('deployment_frequency', DEFAULT_THRESHOLDS);
    expect(df.bands[1]).toEqual(['high', 1 / 7, 1]);
  });

  it('ends the window on a whole minute', () => {
    expect(windowOf(7, Date.parse('2026-03-08T12:34:56.789Z'))).toEqual({
      from: '2026-03-01T12:34:00.000Z',
      to: '2026-03-08T12:34:00.000Z',
    });
  });
});
