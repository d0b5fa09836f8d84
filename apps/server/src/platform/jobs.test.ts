import { describe, expect, it } from 'vitest';
import { backoffMs } from './jobs.ts';

describe('backoffMs', () => {
  it('doubles from one second after each failed attempt', () => {
    expect([1, 2, 3, 4, 5, 6].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000]);
  });

  it('treats attempt 0 (and below) like the first attempt', () => {
    expect(backoffMs(0)).toBe(1000);
    expect(backoffMs(-3)).toBe(1000);
  });

  it('is capped at ten minutes, however many attempts failed', () => {
    expect(backoffMs(10)).toBe(512_000);
    expect(backoffMs(11)).toBe(600_000);
    expect(backoffMs(50)).toBe(600_000);
    expect(backoffMs(10_000)).toBe(600_000);
  });

  it('never shrinks as attempts grow', () => {
    for (let attempt = 1; attempt < 40; attempt++) {
      expect(backoffMs(attempt + 1)).toBeGreaterThanOrEqual(backoffMs(attempt));
    }
  });
});
