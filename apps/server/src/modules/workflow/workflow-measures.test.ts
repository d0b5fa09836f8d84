import { describe, expect, it } from 'vitest';
import { addBusinessSeconds, businessSeconds, localToUtc } from './business-hours.ts';
import {
  checklistCompleted,
  ciPassed,
  descriptionFlag,
  type MeasureOptions,
  measureBranch,
  measurePullRequest,
  type PrFacts,
  sizeDistribution,
  stats,
  workflowFit,
} from './workflow-measures.ts';

const H = 3600;
const options: MeasureOptions = {
  now: '2026-03-10T00:00:00.000Z',
  review_target_hours: 24,
  small_pr_max_lines: 400,
  required_checks: [],
  description_min_chars: 20,
  business_hours: null,
};

function pr(over: Partial<PrFacts>): PrFacts {
  return {
    author: 'alice',
    state: 'open',
    draft: false,
    body: 'Retries the payment client on 503 so checkout survives deploys.',
    additions: 120,
    deletions: 30,
    opened_at: '2026-03-02T09:00:00.000Z',
    merged_at: null,
    events: [{ action: 'opened', actor: 'alice', subject: null, at: '2026-03-02T09:00:00.000Z' }],
    reviews: [],
    comments: [],
    checks: [],
    pushes: [],
    first_commit_at: null,
    deployed_at: null,
    ...over,
  };
}
const ev = (action: string, at: string, subject: string | null = null) => ({
  action,
  actor: 'alice',
  subject,
  at,
});
const review = (reviewer: string, state: string, at: string, dismissed: string | null = null) => ({
  reviewer,
  state,
  submitted_at: at,
  dismissed_at: dismissed,
});

describe('review, approval and merge times', () => {
  it('counts from the review request (later than opening) to the first review, approval and merge', () => {
    const m = measurePullRequest(
      pr({
        state: 'merged',
        merged_at: '2026-03-03T10:00:00.000Z',
        first_commit_at: '2026-03-01T15:00:00.000Z',
        deployed_at: '2026-03-03T12:30:00.000Z',
        events: [
          ev('opened', '2026-03-02T09:00:00.000Z'),
          ev('review_requested', '2026-03-02T10:00:00.000Z', 'bob'),
          ev('merged', '2026-03-03T10:00:00.000Z'),
        ],
        reviews: [
          review('bob', 'commented', '2026-03-02T14:00:00.000Z'),
          review('bob', 'approved', '2026-03-03T08:00:00.000Z'),
        ],
        checks: [{ kind: 'check_run', name: 'build', state: 'success', at: '2026-03-03T09:30:00.000Z' }],
      }),
      options,
    );
    expect(m).toMatchObject({
      review_start_at: '2026-03-02T10:00:00.000Z',
      first_review_at: '2026-03-02T14:00:00.000Z',
      approved_at: '2026-03-03T08:00:00.000Z',
      review_time_seconds: 4 * H,
      approve_time_seconds: 22 * H,
      merge_time_seconds: 25 * H,
      within_review_target: true,
      waiting_for_review: false,
      merged_without_review: false,
      merged_without_ci: false,
      size_lines: 150,
      small: true,
      cycle: {
        coding_seconds: 18 * H,
        pickup_seconds: 4 * H,
        review_seconds: 18 * H,
        deploy_seconds: 2.5 * H,
      },
    });
  });

  it('a PR closed before any review and reopened waits from the reopening', () => {
    const m = measurePullRequest(
      pr({
        events: [
          ev('opened', '2026-03-02T09:00:00.000Z'),
          ev('review_requested', '2026-03-02T09:00:00.000Z', 'bob'),
          ev('closed', '2026-03-02T10:00:00.000Z'),
          ev('reopened', '2026-03-04T09:00:00.000Z'),
        ],
        reviews: [review('bob', 'approved', '2026-03-04T12:00:00.000Z')],
      }),
      options,
    );
    expect(m.review_start_at).toBe('2026-03-04T09:00:00.000Z');
    expect(m.review_time_seconds).toBe(3 * H);
    expect(m.approve_time_seconds).toBe(3 * H);
    expect(m.within_review_target).toBe(true);
    expect(m.waiting_for_review).toBe(false);
  });

  it('a re-requested review puts the PR back in the queue; the author answered the change request by a push', () => {
    const m = measurePullRequest(
      pr({
        events: [
          ev('opened', '2026-03-02T09:00:00.000Z'),
          ev('review_requested', '2026-03-02T09:00:00.000Z', 'bob'),
          ev('review_requested', '2026-03-02T13:30:00.000Z', 'bob'),
        ],
        reviews: [review('bob', 'changes_requested', '2026-03-02T11:00:00.000Z')],
        pushes: [{ at: '2026-03-02T13:00:00.000Z', pusher: 'alice' }],
      }),
      { ...options, now: '2026-03-03T12:00:00.000Z' },
    );
    expect(m.review_time_seconds).toBe(2 * H);
    expect(m.within_review_target).toBe(true);
    expect(m.approved_at).toBeNull();
    expect(m.waiting_for_review).toBe(true);
    expect(m.waiting_since).toBe('2026-03-02T13:30:00.000Z');
    expect(m.pending_reviewers).toEqual(['bob']);
    expect(m.response_seconds).toEqual([2 * H]);
  });

  it('a draft starts its clock when ready for review; reviews on the draft do not count', () => {
    const m = measurePullRequest(
      pr({
        events: [
          ev('opened', '2026-03-02T09:00:00.000Z'),
          ev('review_requested', '2026-03-02T09:30:00.000Z', 'bob'),
          ev('ready_for_review', '2026-03-03T09:00:00.000Z'),
          ev('review_requested', '2026-03-03T09:00:00.000Z', 'carol'),
        ],
        reviews: [
          review('bob', 'commented', '2026-03-02T10:00:00.000Z'),
          review('carol', 'approved', '2026-03-04T15:00:00.000Z'),
        ],
      }),
      options,
    );
    expect(m.review_start_at).toBe('2026-03-03T09:00:00.000Z');
    expect(m.first_review_at).toBe('2026-03-04T15:00:00.000Z');
    expect(m.review_time_seconds).toBe(30 * H);
    expect(m.within_review_target).toBe(false);
    expect(m.pending_reviewers).toEqual([]);
    expect(m.waiting_for_review).toBe(false);
  });

  it('a draft never made ready is not waiting; an unreviewed ready PR past the target is outside it', () => {
    const draft = measurePullRequest(pr({ draft: true }), options);
    expect(draft).toMatchObject({
      waiting_for_review: false,
      review_start_at: null,
      within_review_target: null,
    });
    const late = measurePullRequest(pr({}), { ...options, now: '2026-03-03T09:00:01.000Z' });
    expect(late).toMatchObject({ waiting_since: '2026-03-02T09:00:00.000Z', within_review_target: false });
    const early = measurePullRequest(pr({}), { ...options, now: '2026-03-03T09:00:00.000Z' });
    expect(early.within_review_target).toBeNull();
  });

  it('a PR converted back to draft stops waiting and restarts from the next ready_for_review', () => {
    const m = measurePullRequest(
      pr({
        events: [
          ev('opened', '2026-03-02T09:00:00.000Z'),
          ev('converted_to_draft', '2026-03-02T10:00:00.000Z'),
          ev('ready_for_review', '2026-03-05T09:00:00.000Z'),
        ],
        reviews: [review('dan', 'approved', '2026-03-05T10:00:00.000Z')],
      }),
      options,
    );
    expect(m.review_time_seconds).toBe(H);
  });
});

describe('CI and approval before merge', () => {
  const merged = {
    state: 'merged' as const,
    merged_at: '2026-03-03T10:00:00.000Z',
    reviews: [review('bob', 'approved', '2026-03-03T08:00:00.000Z')],
  };
  it('after a force push the checks of the old head do not count: merged without CI', () => {
    // The service passes only the checks of the last head commit; the force-pushed one has none.
    expect(measurePullRequest(pr({ ...merged, checks: [] }), options).merged_without_ci).toBe(true);
  });
  it('checks finishing after the merge, failing or pending do not count', () => {
    const at = '2026-03-03T10:00:00.000Z';
    expect(
      ciPassed([{ kind: 'status', name: 'ci', state: 'success', at: '2026-03-03T10:00:01.000Z' }], [], at),
    ).toBe(false);
    expect(
      ciPassed(
        [
          { kind: 'status', name: 'ci', state: 'success', at: '2026-03-03T09:00:00.000Z' },
          { kind: 'check_run', name: 'lint', state: 'failure', at: '2026-03-03T09:00:00.000Z' },
        ],
        [],
        at,
      ),
    ).toBe(false);
    expect(
      ciPassed([{ kind: 'status', name: 'ci', state: 'success', at: '2026-03-03T09:00:00.000Z' }], [], at),
    ).toBe(true);
    // Required checks: only they matter.
    const checks = [
      { kind: 'check_run', name: 'build', state: 'success', at: '2026-03-03T09:00:00.000Z' },
      { kind: 'check_run', name: 'flaky', state: 'failure', at: '2026-03-03T09:00:00.000Z' },
    ];
    expect(ciPassed(checks, ['build'], at)).toBe(true);
    expect(ciPassed(checks, ['build', 'deploy-preview'], at)).toBe(false);
  });
  it('an approval dismissed before the merge, or the author approving, is no approval', () => {
    const dismissed = measurePullRequest(
      pr({
        ...merged,
        reviews: [review('bob', 'approved', '2026-03-03T08:00:00.000Z', '2026-03-03T09:00:00.000Z')],
      }),
      options,
    );
    expect(dismissed.merged_without_review).toBe(true);
    const self = measurePullRequest(
      pr({ ...merged, reviews: [review('alice', 'approved', '2026-03-03T08:00:00.000Z')] }),
      options,
    );
    expect(self.merged_without_review).toBe(true);
    expect(self.first_review_at).toBeNull();
    const later = measurePullRequest(
      pr({
        ...merged,
        reviews: [review('bob', 'approved', '2026-03-03T08:00:00.000Z', '2026-03-04T09:00:00.000Z')],
      }),
      options,
    );
    expect(later.merged_without_review).toBe(false);
  });
});

describe('business hours in the team time zone', () => {
  const berlin = { time_zone: 'Europe/Berlin', start: '09:00', end: '18:00' };
  it('counts Friday 17:00 to Monday 10:00 (Berlin) as two working hours, also across the DST change', () => {
    expect(
      businessSeconds(berlin, Date.parse('2026-03-06T16:00:00Z'), Date.parse('2026-03-09T09:00:00Z')),
    ).toBe(2 * H);
    // 2026-03-29 Berlin moves to CEST: Monday 10:00 local is 08:00 UTC.
    expect(
      businessSeconds(berlin, Date.parse('2026-03-27T16:00:00Z'), Date.parse('2026-03-30T08:00:00Z')),
    ).toBe(2 * H);
    expect(localToUtc('Europe/Berlin', Date.parse('2026-03-30T09:00:00Z'))).toBe(
      Date.parse('2026-03-30T07:00:00Z'),
    );
    const ny = { time_zone: 'America/New_York', start: '09:00', end: '17:00' };
    // Monday 2026-03-02 08:00 to 20:00 New York (EST, UTC-5): 8 working hours.
    expect(businessSeconds(ny, Date.parse('2026-03-02T13:00:00Z'), Date.parse('2026-03-03T01:00:00Z'))).toBe(
      8 * H,
    );
  });
  it('adds working time: 12 working hours from Friday 17:00 Berlin is Tuesday 12:00 (DST-correct)', () => {
    // Fri 17-18 (1 h), Mon 9-18 (9 h), Tue 9-11 (2 h) -> Tue 11:00 local.
    expect(
      new Date(addBusinessSeconds(berlin, Date.parse('2026-03-06T16:00:00Z'), 12 * H)).toISOString(),
    ).toBe('2026-03-10T10:00:00.000Z');
    // Across the switch to CEST: Tue 2026-03-31 11:00 local is 09:00 UTC.
    expect(
      new Date(addBusinessSeconds(berlin, Date.parse('2026-03-27T16:00:00Z'), 12 * H)).toISOString(),
    ).toBe('2026-03-31T09:00:00.000Z');
    // Starting on a Saturday: from Monday 09:00.
    expect(new Date(addBusinessSeconds(berlin, Date.parse('2026-03-07T10:00:00Z'), H)).toISOString()).toBe(
      '2026-03-09T09:00:00.000Z',
    );
  });
  it('review time in business hours decides the target', () => {
    const m = measurePullRequest(
      pr({
        opened_at: '2026-03-06T16:00:00.000Z',
        events: [ev('opened', '2026-03-06T16:00:00.000Z')],
        reviews: [review('bob', 'approved', '2026-03-11T09:00:00.000Z')],
      }),
      { ...options, business_hours: berlin },
    );
    // Fri 1 h + Mon 9 h + Tue 9 h + Wed 1 h = 20 working hours; 113 wall-clock hours.
    expect(m.review_time_seconds).toBe(20 * H);
    expect(m.within_review_target).toBe(true);
    expect(
      measurePullRequest(
        pr({
          opened_at: '2026-03-06T16:00:00.000Z',
          events: [ev('opened', '2026-03-06T16:00:00.000Z')],
          reviews: [review('bob', 'approved', '2026-03-11T09:00:00.000Z')],
        }),
        options,
      ).review_time_seconds,
    ).toBe(113 * H);
  });
});

describe('author responsibilities', () => {
  it('flags empty and template-only descriptions', () => {
    expect(descriptionFlag(null, 20)).toBe('empty');
    expect(descriptionFlag('  \n ', 20)).toBe('empty');
    expect(
      descriptionFlag('## Summary\n<!-- What and why -->\n\n## Checklist\n- [ ] tests added\n', 20),
    ).toBe('template_only');
    expect(descriptionFlag('**What:**\n-\n**Why:**\n', 20)).toBe('template_only');
    expect(descriptionFlag('## Summary\nRetries the payment client on 503 responses.\n- [ ] tests', 20)).toBe(
      'ok',
    );
    expect(descriptionFlag('Fix typo', 20)).toBe('ok');
  });
  it('self-review: a ticked checklist, or the author commenting before review is requested', () => {
    expect(checklistCompleted('- [x] self-reviewed\n- [X] tests')).toBe(true);
    expect(checklistCompleted('- [x] self-reviewed\n- [ ] tests')).toBe(false);
    const events = [
      ev('opened', '2026-03-02T09:00:00.000Z'),
      ev('review_requested', '2026-03-02T11:00:00.000Z', 'bob'),
    ];
    const before = measurePullRequest(
      pr({ events, comments: [{ author: 'alice', created_at: '2026-03-02T10:00:00.000Z' }] }),
      options,
    );
    expect(before.self_reviewed).toBe(true);
    const after = measurePullRequest(
      pr({ events, comments: [{ author: 'alice', created_at: '2026-03-02T12:00:00.000Z' }] }),
      options,
    );
    expect(after.self_reviewed).toBe(false);
  });
  it('responsiveness: each feedback instant to the next author reply or push; unanswered feedback waits', () => {
    const m = measurePullRequest(
      pr({
        reviews: [
          review('bob', 'changes_requested', '2026-03-02T10:00:00.000Z'),
          review('bob', 'approved', '2026-03-02T16:00:00.000Z'),
        ],
        comments: [
          { author: 'bob', created_at: '2026-03-02T10:00:00.000Z' },
          { author: 'alice', created_at: '2026-03-02T10:30:00.000Z' },
          { author: 'carol', created_at: '2026-03-02T12:00:00.000Z' },
          { author: 'dan', created_at: '2026-03-02T18:00:00.000Z' },
        ],
        events: [ev('opened', '2026-03-02T09:00:00.000Z'), ev('synchronize', '2026-03-02T14:00:00.000Z')],
      }),
      options,
    );
    // 10:00 -> 10:30 (reply), 12:00 -> 14:00 (push); 18:00 unanswered.
    expect(m.response_seconds).toEqual([1800, 2 * H]);
  });
});

describe('branches, sizes, aggregates and workflow fit', () => {
  it('branch age from the first commit to the merge or deletion, or now; open past a week is long-lived', () => {
    const now = { now: '2026-03-09T00:00:00.000Z', max_age_hours: 168 };
    expect(
      measureBranch(
        {
          name: 'f',
          owner: 'alice',
          created_at: '2026-03-02T00:00:00.000Z',
          first_commit_at: '2026-03-01T00:00:00.000Z',
          merged_at: null,
          deleted_at: null,
        },
        now,
      ),
    ).toEqual({
      started_at: '2026-03-01T00:00:00.000Z',
      ended_at: null,
      open: true,
      age_seconds: 8 * 24 * H,
      long_lived: true,
    });
    expect(
      measureBranch(
        {
          name: 'g',
          owner: 'bob',
          created_at: null,
          first_commit_at: '2026-03-01T00:00:00.000Z',
          merged_at: '2026-03-03T00:00:00.000Z',
          deleted_at: '2026-03-03T01:00:00.000Z',
        },
        now,
      ),
    ).toMatchObject({
      open: false,
      age_seconds: 2 * 24 * H,
      long_lived: false,
      ended_at: '2026-03-03T00:00:00.000Z',
    });
  });
  it('size distribution around the 400-line threshold', () => {
    const d = sizeDistribution([10, 60, 400, 401, 2000], 400);
    expect(d.buckets.map((b) => [b.label, b.max_lines, b.count])).toEqual([
      ['XS', 50, 1],
      ['S', 100, 1],
      ['M', 400, 1],
      ['L', 1000, 1],
      ['XL', null, 1],
    ]);
    expect(d).toMatchObject({ small_count: 3, small_share: 0.6, median_lines: 400, p90_lines: 2000 });
  });
  it('median and nearest-rank p90', () => {
    expect(stats([4, 1, 3, 2])).toEqual({ count: 4, median_seconds: 2.5, p90_seconds: 4 });
    expect(stats([])).toEqual({ count: 0, median_seconds: null, p90_seconds: null });
  });
  it('workflow fit: small teams are advised trunk-based', () => {
    expect(
      workflowFit({ team_size: 3, small_team_max_size: 5, default_branch_pushes: 10, direct_pushes: 2 }),
    ).toEqual({
      advised: 'trunk-based',
      practice: 'feature-branches',
      direct_push_share: 0.2,
      fits: false,
    });
    expect(
      workflowFit({ team_size: 9, small_team_max_size: 5, default_branch_pushes: 0, direct_pushes: 0 }),
    ).toMatchObject({
      advised: 'feature-branches',
      fits: null,
    });
  });
});
