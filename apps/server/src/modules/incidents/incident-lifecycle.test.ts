import { describe, expect, it } from 'vitest';
import { responseTimes, skippedStates, transition } from './incident-lifecycle.ts';

describe('incident lifecycle', () => {
  it('moves forward one step or several', () => {
    expect(transition('triggered', 'acknowledge')).toEqual({ ok: true, to: 'acknowledged' });
    expect(transition('acknowledged', 'mitigate')).toEqual({ ok: true, to: 'mitigated' });
    expect(transition('mitigated', 'resolve')).toEqual({ ok: true, to: 'resolved' });
    expect(transition('triggered', 'resolve')).toEqual({ ok: true, to: 'resolved' });
    expect(transition('triggered', 'mitigate')).toEqual({ ok: true, to: 'mitigated' });
    expect(transition('resolved', 'review')).toEqual({ ok: true, to: 'reviewed' });
  });

  it('refuses to go backwards except by reopening a resolved incident', () => {
    expect(transition('acknowledged', 'acknowledge').ok).toBe(false);
    expect(transition('mitigated', 'acknowledge').ok).toBe(false);
    expect(transition('resolved', 'mitigate').ok).toBe(false);
    expect(transition('triggered', 'reopen').ok).toBe(false);
    expect(transition('resolved', 'reopen')).toEqual({ ok: true, to: 'triggered' });
    expect(transition('reviewed', 'reopen').ok).toBe(false);
    expect(transition('reviewed', 'resolve').ok).toBe(false);
    expect(transition('triggered', 'review').ok).toBe(false);
  });

  it('names the states a forward jump skips', () => {
    expect(skippedStates('triggered', 'resolved')).toEqual(['acknowledged', 'mitigated']);
    expect(skippedStates('acknowledged', 'resolved')).toEqual(['mitigated']);
    expect(skippedStates('triggered', 'acknowledged')).toEqual([]);
    expect(skippedStates('resolved', 'triggered')).toEqual([]);
  });

  it('measures response times from the stamps it has and never invents missing ones', () => {
    expect(
      responseTimes({
        triggered_at: '2026-01-01T00:00:00.000Z',
        acknowledged_at: '2026-01-01T00:05:00.000Z',
        mitigated_at: null,
        resolved_at: '2026-01-01T01:00:00.000Z',
      }),
    ).toEqual({ tta: 300, ttm: null, ttr: 3600 });
  });
});
