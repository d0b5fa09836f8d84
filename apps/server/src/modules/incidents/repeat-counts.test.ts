import { describe, expect, it } from 'vitest';
import { createRepeatCounts } from './repeat-counts.ts';

describe('repeat counts kept in memory', () => {
  it('adds repeats per alert and keeps the latest time seen', () => {
    const counts = createRepeatCounts();
    counts.add('alr_a', 2, '2026-11-29T06:00:02.000Z');
    counts.add('alr_a', 1, '2026-11-29T06:00:01.000Z');
    counts.add('alr_b', 0, '2026-11-29T06:00:09.000Z');
    expect(counts.size).toBe(1);
    expect(counts.view('alr_a', 1, '2026-11-29T06:00:00.000Z')).toEqual({
      event_count: 4,
      last_seen_at: '2026-11-29T06:00:02.000Z',
    });
    // An alert with nothing pending, or whose stored time is newer, shows what is stored.
    expect(counts.view('alr_b', 7, '2026-11-29T05:00:00.000Z')).toEqual({
      event_count: 7,
      last_seen_at: '2026-11-29T05:00:00.000Z',
    });
    expect(counts.view('alr_a', 1, '2026-11-29T07:00:00.000Z').last_seen_at).toBe('2026-11-29T07:00:00.000Z');
  });

  it('takes off only what a write wrote: repeats added meanwhile stay pending', () => {
    const counts = createRepeatCounts();
    counts.add('alr_a', 3, '2026-11-29T06:00:03.000Z');
    counts.add('alr_b', 1, '2026-11-29T06:00:01.000Z');
    const wrote = counts.snapshot();
    // The snapshot is a copy: later repeats do not change what it says was written.
    counts.add('alr_a', 2, '2026-11-29T06:00:05.000Z');
    expect(wrote.get('alr_a')).toEqual({ repeats: 3, lastSeen: '2026-11-29T06:00:03.000Z' });
    counts.written(wrote);
    expect(counts.size).toBe(1);
    expect(counts.view('alr_a', 4, '2026-11-29T06:00:03.000Z')).toEqual({
      event_count: 6,
      last_seen_at: '2026-11-29T06:00:05.000Z',
    });
    expect(counts.view('alr_b', 2, '2026-11-29T06:00:01.000Z').event_count).toBe(2);
    // A write that rolled back is never reported written: everything stays pending.
    counts.written(new Map());
    expect(counts.size).toBe(1);
  });
});
