import { describe, expect, it } from 'vitest';
import { shannonEntropy } from './entropy.ts';

describe('shannonEntropy', () => {
  it('is 0 for empty and single-symbol strings', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aaaaaaaa')).toBe(0);
  });

  it('is log2 of the alphabet size for uniform strings', () => {
    expect(shannonEntropy('ab')).toBeCloseTo(1, 10);
    expect(shannonEntropy('0123456789abcdef')).toBeCloseTo(4, 10);
    expect(shannonEntropy('aabb')).toBeCloseTo(1, 10);
  });

  it('ranks random tokens above words and placeholders', () => {
    const random = 'q8Zt3LmR0vXy7KpW2nBc5HdJ9sFg4TaE';
    expect(shannonEntropy(random)).toBeGreaterThan(4.5);
    expect(shannonEntropy('password123')).toBeLessThan(3.5);
    expect(shannonEntropy('xxxxxxxxxxxxxxxxxxxx')).toBe(0);
  });

  it('counts code points, not UTF-16 units', () => {
    expect(shannonEntropy('🔑🔑')).toBe(0);
    expect(shannonEntropy('🔑a')).toBeCloseTo(1, 10);
  });
});
