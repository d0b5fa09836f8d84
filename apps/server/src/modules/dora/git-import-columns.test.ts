import { canonicalInstant, gitImportBatchSchema } from '@engops/contracts';
import { describe, expect, it } from 'vitest';

/** The hand-written checks of the git import's columnar form, against hand-chosen values. */
describe('canonicalInstant', () => {
  it('keeps stored-form instants as they are, checked field by field', () => {
    expect(canonicalInstant('2026-05-01T08:00:00.000Z')).toBe('2026-05-01T08:00:00.000Z');
    expect(canonicalInstant('2024-02-29T23:59:59.999Z')).toBe('2024-02-29T23:59:59.999Z');
    expect(canonicalInstant('2000-02-29T00:00:00.000Z')).toBe('2000-02-29T00:00:00.000Z');
  });

  it('refuses impossible dates and times in the stored form', () => {
    for (const bad of [
      '2023-02-29T00:00:00.000Z', // not a leap year
      '2100-02-29T00:00:00.000Z', // divisible by 100, not by 400
      '2026-04-31T00:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-00-10T00:00:00.000Z',
      '2026-05-00T00:00:00.000Z',
      '2026-05-01T24:00:00.000Z',
      '2026-05-01T08:60:00.000Z',
      '2026-05-01T08:00:60.000Z',
      '2026-05-01T08:00:00.0a0Z',
    ])
      expect(canonicalInstant(bad), bad).toBeNull();
  });

  it('normalises other ISO-8601 forms with a zone to UTC milliseconds, as the object form does', () => {
    expect(canonicalInstant('2026-05-01T10:00:00+02:00')).toBe('2026-05-01T08:00:00.000Z');
    expect(canonicalInstant('2026-05-01T08:00:00Z')).toBe('2026-05-01T08:00:00.000Z');
    expect(canonicalInstant('2026-05-01T00:30:00.5-01:00')).toBe('2026-05-01T01:30:00.500Z');
    expect(canonicalInstant('2026-05-01 08:00:00Z')).toBeNull();
    expect(canonicalInstant('2026-05-01T08:00:00')).toBeNull();
    expect(canonicalInstant('')).toBeNull();
  });
});

describe('gitImportBatchSchema columns', () => {
  it('lower-cases shas, fills absent authored_at and message with null', () => {
    const parsed = gitImportBatchSchema.parse({
      service_id: 'svc',
      columns: { sha: [' ABCDEF12 '], committed_at: ['2026-05-01T10:00:00+02:00'] },
    });
    expect(parsed.columns).toEqual({
      sha: ['abcdef12'],
      committed_at: ['2026-05-01T08:00:00.000Z'],
      authored_at: [null],
      message: [null],
    });
  });

  it('reports at most 20 bad elements of a batch', () => {
    const result = gitImportBatchSchema.safeParse({
      service_id: 'svc',
      columns: {
        sha: Array.from({ length: 50 }, () => 'nope'),
        committed_at: Array.from({ length: 50 }, () => '2026-05-01T08:00:00.000Z'),
      },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toHaveLength(20);
    expect(result.error?.issues[19]?.path).toEqual(['columns', 'sha', 19]);
  });
});
