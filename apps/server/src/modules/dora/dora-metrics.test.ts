import { describe, expect, it } from 'vitest';
import {
  type ChangeRecord,
  computeDora,
  type DeploymentRecord,
  type IncidentRecord,
  leadTimes,
  median,
  percentile,
  restoreSeconds,
} from './dora-metrics.ts';

const W = { from: '2026-03-01T00:00:00.000Z', to: '2026-03-11T00:00:00.000Z' }; // 10 days
const H = 3600;

function dep(id: string, finished_at: string, extra: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    id,
    service_id: 'svc_a',
    status: 'success',
    kind: 'normal',
    rollback_of: null,
    finished_at,
    ...extra,
  };
}
function change(
  sha: string,
  committed_at: string | null,
  deployment_id: string,
  deployed_at: string,
): ChangeRecord {
  return { service_id: 'svc_a', sha, committed_at, deployment_id, deployed_at };
}
function incident(id: string, triggered_at: string, extra: Partial<IncidentRecord> = {}): IncidentRecord {
  return {
    id,
    service_id: 'svc_a',
    triggered_at,
    mitigated_at: null,
    resolved_at: null,
    caused_by_deployment_id: null,
    ...extra,
  };
}

describe('median and percentile', () => {
  it('takes the middle value, the mean of the two middles, and the nearest-rank p90', () => {
    expect(median([])).toBeNull();
    expect(median([5])).toBe(5);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([], 90)).toBeNull();
    // 10 values: rank ceil(9) = 9th; 11 values: rank ceil(9.9) = 10th.
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90)).toBe(10);
    expect(percentile([7], 90)).toBe(7);
  });
});

describe('deployment frequency', () => {
  it('counts successful production deployments that finished in [from, to) over the days of the window', () => {
    const f = computeDora({
      window: W,
      deployments: [
        dep('d0', '2026-02-28T23:59:59.999Z'), // before the window
        dep('d1', '2026-03-01T00:00:00.000Z'), // at from: in
        dep('d2', '2026-03-05T12:00:00.000Z'),
        dep('d3', '2026-03-06T12:00:00.000Z', { status: 'failure' }), // not successful
        dep('d4', '2026-03-10T23:59:59.999Z'),
        dep('d5', '2026-03-11T00:00:00.000Z'), // at to: out
      ],
      changes: [],
      incidents: [],
    });
    expect(f.window.days).toBe(10);
    expect(f.deployment_frequency).toEqual({ per_day: 0.3, deployments: 3 });
    expect(f.evidence.successful.map((d) => d.id)).toEqual(['d1', 'd2', 'd4']);
  });

  it('is zero for an empty window, with no rates', () => {
    const f = computeDora({ window: W, deployments: [], changes: [], incidents: [] });
    expect(f.deployment_frequency).toEqual({ per_day: 0, deployments: 0 });
    expect(f.change_failure_rate).toEqual({ value: null, failed: 0, deployments: 0 });
    expect(f.rework_rate).toEqual({ value: null, reworked: 0, deployments: 0 });
    expect(f.lead_time).toEqual({ median_seconds: null, p90_seconds: null, changes: 0 });
    expect(f.time_to_restore).toEqual({ median_seconds: null, incidents: 0 });
  });
});

describe('lead time for changes', () => {
  it('measures commit time to the finish of the first successful production deployment containing it', () => {
    const changes = [
      // d1 (Mar 2 10:00) ships a (committed 2 h before) and b (committed 4 h before).
      change('a', '2026-03-02T08:00:00.000Z', 'd1', '2026-03-02T10:00:00.000Z'),
      change('b', '2026-03-02T06:00:00.000Z', 'd1', '2026-03-02T10:00:00.000Z'),
      // d2 (Mar 3 10:00) ships b again (not a new change) and c (committed 1 h before).
      change('b', '2026-03-02T06:00:00.000Z', 'd2', '2026-03-03T10:00:00.000Z'),
      change('c', '2026-03-03T09:00:00.000Z', 'd2', '2026-03-03T10:00:00.000Z'),
    ];
    const out = leadTimes(W, changes);
    expect(out.map((c) => [c.sha, c.deployment_id, c.lead_seconds])).toEqual([
      ['a', 'd1', 2 * H],
      ['b', 'd1', 4 * H],
      ['c', 'd2', 1 * H],
    ]);
    const f = computeDora({ window: W, deployments: [], changes, incidents: [] });
    expect(f.lead_time).toEqual({ median_seconds: 2 * H, p90_seconds: 4 * H, changes: 3 });
  });

  it('leaves out commits first deployed before the window, even when redeployed inside it', () => {
    const changes = [
      change('old', '2026-02-27T00:00:00.000Z', 'd0', '2026-02-28T00:00:00.000Z'),
      change('old', '2026-02-27T00:00:00.000Z', 'd1', '2026-03-02T00:00:00.000Z'),
      {
        ...change('older', '2026-02-01T00:00:00.000Z', 'd1', '2026-03-02T00:00:00.000Z'),
        deployed_before: true,
      },
      change('new', '2026-03-01T12:00:00.000Z', 'd1', '2026-03-02T00:00:00.000Z'),
    ];
    const f = computeDora({ window: W, deployments: [], changes, incidents: [] });
    expect(f.evidence.changes.map((c) => c.sha)).toEqual(['new']);
    expect(f.lead_time).toEqual({ median_seconds: 12 * H, p90_seconds: 12 * H, changes: 1 });
  });

  it('cuts at the window: a commit made before from counts when first deployed inside; one deployed after to does not', () => {
    const changes = [
      // Committed long before the window, first deployed inside it: counts, with its full lead time.
      change('early', '2026-02-25T00:00:00.000Z', 'd1', '2026-03-01T00:00:00.000Z'),
      // Committed inside the window, first deployed after it: belongs to the next window.
      change('late', '2026-03-10T00:00:00.000Z', 'd9', '2026-03-11T00:00:00.000Z'),
    ];
    const f = computeDora({ window: W, deployments: [], changes, incidents: [] });
    expect(f.evidence.changes.map((c) => [c.sha, c.lead_seconds])).toEqual([['early', 4 * 24 * H]]);
  });

  it('skips commits whose time is unknown and deployments with no commits', () => {
    const f = computeDora({
      window: W,
      deployments: [dep('d1', '2026-03-02T00:00:00.000Z'), dep('d2', '2026-03-03T00:00:00.000Z')],
      changes: [change('x', null, 'd1', '2026-03-02T00:00:00.000Z')],
      incidents: [],
    });
    expect(f.lead_time).toEqual({ median_seconds: null, p90_seconds: null, changes: 0 });
    expect(f.deployment_frequency.deployments).toBe(2);
  });

  it('counts a commit time after the deployment finish as zero', () => {
    const out = leadTimes(W, [change('skew', '2026-03-02T00:05:00.000Z', 'd1', '2026-03-02T00:00:00.000Z')]);
    expect(out[0]?.lead_seconds).toBe(0);
  });
});

describe('change failure rate and rework rate', () => {
  it('marks a deployment failed by status, by a later rollback of it, or by an incident naming it', () => {
    const deployments = [
      dep('d1', '2026-03-01T10:00:00.000Z'), // fine
      dep('d2', '2026-03-02T10:00:00.000Z', { status: 'failure' }), // failed: status
      dep('d3', '2026-03-03T10:00:00.000Z'), // failed: rolled back by d4
      dep('d4', '2026-03-03T11:00:00.000Z', { kind: 'rollback', rollback_of: 'd3' }),
      dep('d5', '2026-03-04T10:00:00.000Z'), // failed: incident names it
      dep('d6', '2026-03-05T10:00:00.000Z', { kind: 'hotfix' }),
      dep('d7', '2026-03-10T10:00:00.000Z', { rolled_back: true }), // rolled back after the window
      dep('d8', '2026-03-06T10:00:00.000Z'),
    ];
    const f = computeDora({
      window: W,
      deployments,
      changes: [],
      incidents: [
        incident('i1', '2026-03-04T11:00:00.000Z', { caused_by_deployment_id: 'd5' }),
        // Triggered after the window, still names d8 as its cause.
        incident('i2', '2026-03-12T00:00:00.000Z', { caused_by_deployment_id: 'd8' }),
      ],
    });
    expect(f.change_failure_rate).toEqual({ value: 5 / 8, failed: 5, deployments: 8 });
    const reasons = Object.fromEntries(f.evidence.deployments.map((d) => [d.id, d.failure_reasons]));
    expect(reasons).toEqual({
      d1: [],
      d2: ['status'],
      d3: ['rolled_back'],
      d4: [],
      d5: ['incident'],
      d6: [],
      d8: ['incident'],
      d7: ['rolled_back'],
    });
    expect(f.rework_rate).toEqual({ value: 2 / 8, reworked: 2, deployments: 8 });
    // Failed deployments do not count towards frequency.
    expect(f.deployment_frequency.deployments).toBe(7);
  });

  it('counts a deployment with several failure reasons once', () => {
    const f = computeDora({
      window: W,
      deployments: [
        dep('d1', '2026-03-01T10:00:00.000Z', { status: 'failure', rolled_back: true }),
        dep('d2', '2026-03-01T11:00:00.000Z'),
      ],
      changes: [],
      incidents: [incident('i1', '2026-03-01T10:30:00.000Z', { caused_by_deployment_id: 'd1' })],
    });
    expect(f.change_failure_rate).toEqual({ value: 0.5, failed: 1, deployments: 2 });
  });
});

describe('time to restore', () => {
  it('takes triggered -> mitigated, or -> resolved without mitigation, for incidents triggered in the window', () => {
    const i = [
      incident('i1', '2026-03-02T00:00:00.000Z', {
        mitigated_at: '2026-03-02T00:30:00.000Z',
        resolved_at: '2026-03-02T05:00:00.000Z',
      }), // 30 min (mitigation wins)
      incident('i2', '2026-03-03T00:00:00.000Z', { resolved_at: '2026-03-03T02:00:00.000Z' }), // 2 h, no mitigation
      incident('i3', '2026-03-04T00:00:00.000Z', { mitigated_at: '2026-03-04T05:00:00.000Z' }), // 5 h
      incident('i4', '2026-03-05T00:00:00.000Z'), // still open: no restore time
      incident('i5', '2026-02-28T00:00:00.000Z', { resolved_at: '2026-03-02T00:00:00.000Z' }), // before
    ];
    expect(restoreSeconds(i[1]!)).toBe(2 * H);
    expect(restoreSeconds(i[3]!)).toBeNull();
    const f = computeDora({ window: W, deployments: [], changes: [], incidents: i });
    expect(f.time_to_restore).toEqual({ median_seconds: 2 * H, incidents: 3 });
    expect(f.evidence.incidents.map((r) => [r.id, r.restore_seconds])).toEqual([
      ['i1', 1800],
      ['i2', 7200],
      ['i3', 18000],
      ['i4', null],
    ]);
  });
});
