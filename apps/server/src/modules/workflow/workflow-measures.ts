import { type BusinessHours, businessSeconds } from './business-hours.ts';
import type { CheckState } from './github-events.ts';

/**
 * The development-workflow measures, pure: review time, time to approve, time to merge, the cycle
 * time split, PR size, description, self-review, responsiveness, CI and approval before merge,
 * branch age and workflow fit. Every input time comes from the code host's payloads; `now` is
 * injected (only open pull requests and branches use it).
 */

export interface PrEventFact {
  action: string;
  actor: string | null;
  subject: string | null;
  at: string;
}

export interface ReviewFact {
  reviewer: string;
  state: string;
  submitted_at: string;
  dismissed_at: string | null;
}

export interface CommentFact {
  author: string;
  created_at: string;
}

export interface CheckFact {
  kind: string;
  name: string;
  state: CheckState | string;
  at: string;
}

export interface PrFacts {
  author: string;
  state: 'open' | 'closed' | 'merged';
  draft: boolean;
  body: string | null;
  additions: number;
  deletions: number;
  opened_at: string;
  merged_at: string | null;
  events: PrEventFact[];
  reviews: ReviewFact[];
  comments: CommentFact[];
  /** Checks of the pull request's last head commit. */
  checks: CheckFact[];
  /** Pushes to the head branch (for responsiveness). */
  pushes: Array<{ at: string; pusher: string | null }>;
  /** The first commit on the head branch, when known. */
  first_commit_at: string | null;
  /** The first production deployment at or after the merge, when known. */
  deployed_at: string | null;
}

export interface MeasureOptions {
  now: string;
  review_target_hours: number;
  small_pr_max_lines: number;
  required_checks: readonly string[];
  description_min_chars: number;
  /** Count review and approval times in working hours of this zone (null: wall-clock time). */
  business_hours: BusinessHours | null;
}

export type DescriptionFlag = 'ok' | 'empty' | 'template_only';

export interface PrMeasures {
  review_start_at: string | null;
  first_review_at: string | null;
  first_reviewer: string | null;
  approved_at: string | null;
  review_time_seconds: number | null;
  approve_time_seconds: number | null;
  merge_time_seconds: number | null;
  within_review_target: boolean | null;
  waiting_for_review: boolean;
  waiting_since: string | null;
  /** Requested reviewers (logins, `team:<slug>`) who have not reviewed since their request. */
  pending_reviewers: string[];
  merged_without_review: boolean;
  merged_without_ci: boolean;
  size_lines: number;
  small: boolean;
  description: DescriptionFlag;
  self_reviewed: boolean;
  /** Seconds from each reviewer's feedback to the author's next reply or push. */
  response_seconds: number[];
  cycle: {
    coding_seconds: number | null;
    pickup_seconds: number | null;
    review_seconds: number | null;
    deploy_seconds: number | null;
  };
}

const ms = (iso: string) => Date.parse(iso);
const secs = (from: string, to: string) => Math.round((ms(to) - ms(from)) / 1000);

/** Median (mean of the two middle values for an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1]!;
}

export function stats(values: readonly number[]) {
  return { count: values.length, median_seconds: median(values), p90_seconds: percentile(values, 90) };
}

const UNCHECKED = /^\s*[-*]\s*\[ \]/;
const CHECKED = /^\s*[-*]\s*\[[xX]\]/;

/** Empty, only a template (headings, HTML comments, checkboxes, labels), or a real description. */
export function descriptionFlag(body: string | null, minChars: number): DescriptionFlag {
  if (!body || body.trim() === '') return 'empty';
  const withoutComments = body.replace(/<!--[\s\S]*?(-->|$)/g, '');
  let markup = withoutComments.length !== body.length;
  const kept: string[] = [];
  for (const line of withoutComments.split(/\r?\n/)) {
    if (/^\s*#{1,6}\s/.test(line) || UNCHECKED.test(line) || CHECKED.test(line)) {
      markup = true;
      continue;
    }
    // A bare label (`**Summary:**`, `Why:`) or an empty bullet carries no description.
    if (/^\s*([-*]\s*)?(\*\*[^*]*\*\*|[A-Za-z ]{1,30}:)\s*$/.test(line) || /^\s*[-*]\s*$/.test(line)) {
      markup = true;
      continue;
    }
    kept.push(line);
  }
  const text = kept.join(' ').replace(/\s+/g, ' ').trim();
  if (markup && text.length < minChars) return 'template_only';
  return 'ok';
}

/** A checklist in the description, every box ticked. */
export function checklistCompleted(body: string | null): boolean {
  if (!body) return false;
  const lines = body.replace(/<!--[\s\S]*?(-->|$)/g, '').split(/\r?\n/);
  return lines.some((l) => CHECKED.test(l)) && !lines.some((l) => UNCHECKED.test(l));
}

/** Did the required checks (or, with none configured, every check) pass on the commit by `at`? */
export function ciPassed(checks: readonly CheckFact[], required: readonly string[], at: string): boolean {
  const known = checks.filter((c) => ms(c.at) <= ms(at));
  const passing = (c: CheckFact) => c.state === 'success' || c.state === 'neutral';
  if (required.length > 0) return required.every((name) => known.some((c) => c.name === name && passing(c)));
  return known.some((c) => c.state === 'success') && known.every(passing);
}

interface TimelineItem {
  at: number;
  order: number;
  event?: PrEventFact;
  review?: ReviewFact;
}

export function measurePullRequest(pr: PrFacts, options: MeasureOptions): PrMeasures {
  const duration = (from: string, to: string) =>
    options.business_hours ? businessSeconds(options.business_hours, ms(from), ms(to)) : secs(from, to);
  const targetSeconds = options.review_target_hours * 3600;
  const others = pr.reviews.filter((r) => r.reviewer !== pr.author);

  // Drafts: a PR whose first draft transition is ready_for_review was opened as a draft.
  const transitions = pr.events
    .filter((e) => e.action === 'ready_for_review' || e.action === 'converted_to_draft')
    .sort((a, b) => ms(a.at) - ms(b.at));
  const openedAsDraft = transitions.length > 0 ? transitions[0]!.action === 'ready_for_review' : pr.draft;

  const timeline: TimelineItem[] = [
    ...pr.events.map((event, order) => ({ at: ms(event.at), order, event })),
    ...others.map((review, i) => ({ at: ms(review.submitted_at), order: 10_000 + i, review })),
  ].sort((a, b) => a.at - b.at || a.order - b.order);

  // The review clock: runs while the PR is open and ready; starts at the later of opened, ready
  // for review, reopened and the first review request; stops at the first review.
  let draft = openedAsDraft;
  let closed = false;
  let start: string | null = draft ? null : pr.opened_at;
  let requested = false;
  let firstReview: ReviewFact | null = null;
  let reviewStart: string | null = null;
  for (const item of timeline) {
    if (firstReview) break;
    const e = item.event;
    if (e) {
      if (e.action === 'ready_for_review') {
        draft = false;
        if (!closed) start = e.at;
      } else if (e.action === 'converted_to_draft') {
        draft = true;
        start = null;
      } else if (e.action === 'closed' || e.action === 'merged') {
        closed = true;
        start = null;
      } else if (e.action === 'reopened') {
        closed = false;
        start = draft ? null : e.at;
      } else if (e.action === 'review_requested' && !requested && !draft && !closed && start) {
        requested = true;
        if (ms(e.at) > ms(start)) start = e.at;
      }
    } else if (item.review && start) {
      firstReview = item.review;
      reviewStart = start;
    }
  }
  if (!firstReview) reviewStart = start;

  const approval = firstReview
    ? others.find((r) => r.state === 'approved' && ms(r.submitted_at) >= ms(firstReview.submitted_at))
    : undefined;
  const reviewTime = firstReview && reviewStart ? duration(reviewStart, firstReview.submitted_at) : null;
  const approveTime = approval && reviewStart ? duration(reviewStart, approval.submitted_at) : null;

  // Waiting: no review yet on a ready open PR, or requests (re-requests) nobody answered yet.
  const pending = new Map<string, string>();
  for (const e of [...pr.events].sort((a, b) => ms(a.at) - ms(b.at))) {
    if (!e.subject) continue;
    if (e.action === 'review_requested') pending.set(e.subject, e.at);
    else if (e.action === 'review_request_removed') pending.delete(e.subject);
  }
  for (const [who, at] of pending)
    if (others.some((r) => r.reviewer === who && ms(r.submitted_at) >= ms(at))) pending.delete(who);
  const open = pr.state === 'open' && !pr.draft;
  let waitingSince: string | null = null;
  if (open) {
    if (!firstReview && start) waitingSince = start;
    else if (pending.size > 0) waitingSince = [...pending.values()].sort()[0]!;
    // A request made before the clock could run (on a draft) waits from the clock's start.
    if (waitingSince && start && ms(waitingSince) < ms(start)) waitingSince = start;
  }

  let within: boolean | null = null;
  if (reviewTime !== null) within = reviewTime <= targetSeconds;
  else if (!firstReview && waitingSince && duration(waitingSince, options.now) > targetSeconds)
    within = false;

  const merged = pr.state === 'merged' && pr.merged_at !== null;
  const mergedAt = pr.merged_at;
  const standingApproval =
    merged &&
    others.some(
      (r) =>
        r.state === 'approved' &&
        ms(r.submitted_at) <= ms(mergedAt!) &&
        (r.dismissed_at === null || ms(r.dismissed_at) > ms(mergedAt!)),
    );

  // Self-review: the author's own comments or review, or a ticked checklist, before review is requested.
  const firstRequest = pr.events
    .filter((e) => e.action === 'review_requested')
    .map((e) => e.at)
    .sort()[0];
  const selfBy = firstRequest ?? firstReview?.submitted_at ?? options.now;
  const selfReviewed =
    checklistCompleted(pr.body) ||
    pr.comments.some((c) => c.author === pr.author && ms(c.created_at) <= ms(selfBy)) ||
    pr.reviews.some((r) => r.reviewer === pr.author && ms(r.submitted_at) <= ms(selfBy));

  // Responsiveness: each instant of reviewer feedback to the author's next comment, review or push.
  const feedback = new Set<number>();
  for (const r of others)
    if (r.state === 'changes_requested' || r.state === 'commented') feedback.add(ms(r.submitted_at));
  for (const c of pr.comments) if (c.author !== pr.author) feedback.add(ms(c.created_at));
  const replies = [
    ...pr.comments.filter((c) => c.author === pr.author).map((c) => ms(c.created_at)),
    ...pr.reviews.filter((r) => r.reviewer === pr.author).map((r) => ms(r.submitted_at)),
    ...pr.pushes.filter((p) => p.pusher === null || p.pusher === pr.author).map((p) => ms(p.at)),
    ...pr.events.filter((e) => e.action === 'synchronize').map((e) => ms(e.at)),
  ].sort((a, b) => a - b);
  const responses: number[] = [];
  for (const at of [...feedback].sort((a, b) => a - b)) {
    const reply = replies.find((r) => r > at);
    if (reply !== undefined) responses.push(Math.round((reply - at) / 1000));
  }

  const size = pr.additions + pr.deletions;
  return {
    review_start_at: reviewStart,
    first_review_at: firstReview?.submitted_at ?? null,
    first_reviewer: firstReview?.reviewer ?? null,
    approved_at: approval?.submitted_at ?? null,
    review_time_seconds: reviewTime,
    approve_time_seconds: approveTime,
    merge_time_seconds: merged ? secs(pr.opened_at, mergedAt!) : null,
    within_review_target: within,
    waiting_for_review: waitingSince !== null,
    waiting_since: waitingSince,
    pending_reviewers: open ? [...pending.keys()].sort() : [],
    merged_without_review: merged && !standingApproval,
    merged_without_ci: merged && !ciPassed(pr.checks, options.required_checks, mergedAt!),
    size_lines: size,
    small: size <= options.small_pr_max_lines,
    description: descriptionFlag(pr.body, options.description_min_chars),
    self_reviewed: selfReviewed,
    response_seconds: responses,
    cycle: {
      coding_seconds:
        pr.first_commit_at !== null ? Math.max(0, secs(pr.first_commit_at, pr.opened_at)) : null,
      pickup_seconds: firstReview && reviewStart ? secs(reviewStart, firstReview.submitted_at) : null,
      review_seconds: firstReview && approval ? secs(firstReview.submitted_at, approval.submitted_at) : null,
      deploy_seconds: merged && pr.deployed_at ? Math.max(0, secs(mergedAt!, pr.deployed_at)) : null,
    },
  };
}

export interface BranchFacts {
  name: string;
  owner: string | null;
  created_at: string | null;
  first_commit_at: string | null;
  merged_at: string | null;
  deleted_at: string | null;
}

export interface BranchMeasures {
  started_at: string | null;
  ended_at: string | null;
  open: boolean;
  age_seconds: number | null;
  /** Open and older than the limit (the handbook's one week by default). */
  long_lived: boolean;
}

/** Branch age: from the first commit (or the branch's creation) to its merge or deletion, or now. */
export function measureBranch(
  b: BranchFacts,
  options: { now: string; max_age_hours: number },
): BranchMeasures {
  const starts = [b.first_commit_at, b.created_at].filter((t): t is string => t !== null).sort();
  const started = starts[0] ?? null;
  const ends = [b.merged_at, b.deleted_at].filter((t): t is string => t !== null).sort();
  const ended = ends[0] ?? null;
  const open = ended === null;
  const age = started ? Math.max(0, secs(started, ended ?? options.now)) : null;
  return {
    started_at: started,
    ended_at: ended,
    open,
    age_seconds: age,
    long_lived: open && age !== null && age > options.max_age_hours * 3600,
  };
}

/** The share of small PRs and a size distribution whose middle bucket ends at the threshold. */
export function sizeDistribution(sizes: readonly number[], threshold: number) {
  const bounds = [
    { label: 'XS', max_lines: Math.round(threshold / 8) },
    { label: 'S', max_lines: Math.round(threshold / 4) },
    { label: 'M', max_lines: threshold },
    { label: 'L', max_lines: threshold * 2.5 },
    { label: 'XL', max_lines: null as number | null },
  ];
  const buckets = bounds.map((b) => ({ ...b, count: 0 }));
  for (const s of sizes) {
    const bucket = buckets.find((b) => b.max_lines === null || s <= b.max_lines)!;
    bucket.count += 1;
  }
  const small = sizes.filter((s) => s <= threshold).length;
  return {
    threshold_lines: threshold,
    median_lines: median(sizes),
    p90_lines: percentile(sizes, 90),
    small_count: small,
    small_share: sizes.length ? small / sizes.length : null,
    buckets,
  };
}

/** The handbook's advice for a team of `size` against what its repositories do. */
export function workflowFit(input: {
  team_size: number;
  small_team_max_size: number;
  default_branch_pushes: number;
  direct_pushes: number;
}) {
  const advised = input.team_size <= input.small_team_max_size ? 'trunk-based' : 'feature-branches';
  const share = input.default_branch_pushes ? input.direct_pushes / input.default_branch_pushes : null;
  const practice = share === null ? null : share >= 0.5 ? 'trunk-based' : 'feature-branches';
  return {
    advised,
    practice,
    direct_push_share: share,
    fits: practice === null ? null : practice === advised,
  } as const;
}

/** Per person: what they authored (review time received, size, habits) and the first reviews they gave. */
export function byPerson(
  items: ReadonlyArray<{
    author: string;
    state: string;
    size_lines: number;
    changed_files: number;
    review_time_seconds: number | null;
    self_reviewed: boolean;
    response_seconds: readonly number[];
    first_reviewer: string | null;
  }>,
) {
  const people = new Map<
    string,
    {
      authored: number;
      merged: number;
      reviewTimes: number[];
      sizes: number[];
      self: number;
      responses: number[];
      firstReviews: number[];
    }
  >();
  const person = (login: string) => {
    let p = people.get(login);
    if (!p) {
      p = { authored: 0, merged: 0, reviewTimes: [], sizes: [], self: 0, responses: [], firstReviews: [] };
      people.set(login, p);
    }
    return p;
  };
  for (const i of items) {
    const a = person(i.author);
    a.authored += 1;
    if (i.state === 'merged') a.merged += 1;
    if (i.review_time_seconds !== null) a.reviewTimes.push(i.review_time_seconds);
    if (i.changed_files > 0) a.sizes.push(i.size_lines);
    if (i.self_reviewed) a.self += 1;
    a.responses.push(...i.response_seconds);
    if (i.first_reviewer && i.review_time_seconds !== null)
      person(i.first_reviewer).firstReviews.push(i.review_time_seconds);
  }
  return [...people.entries()]
    .map(([login, p]) => ({
      login,
      authored: p.authored,
      merged: p.merged,
      review_time_received_median_seconds: median(p.reviewTimes),
      median_size_lines: median(p.sizes),
      self_reviewed_share: p.authored ? p.self / p.authored : null,
      response_median_seconds: median(p.responses),
      first_reviews_given: p.firstReviews.length,
      pickup_given_median_seconds: median(p.firstReviews),
    }))
    .sort((a, b) => a.login.localeCompare(b.login));
}

const TEST_PATH = [
  /(^|\/)(tests?|__tests__|specs?|testing)\//i,
  /\.(test|spec|int\.test|e2e)\.[a-z0-9]+$/i,
  /_(test|spec)\.[a-z0-9]+$/i,
  /(^|\/)test_[^/]+\.py$/i,
  /Tests?\.(java|kt|cs|swift)$/,
];
const NOT_CODE = [
  /\.(md|mdx|txt|rst|adoc|png|jpe?g|gif|svg|ico|lock)$/i,
  /(^|\/)(docs?|\.github)\//i,
  /(^|\/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|go\.sum|LICENSE|CHANGELOG[^/]*)$/i,
];

/** What a pull request's file list says: directories touched, tests touched, code changed. */
export function fileFacts(paths: readonly string[]) {
  const tests = paths.filter((p) => TEST_PATH.some((r) => r.test(p)));
  const code = paths.filter((p) => !tests.includes(p) && !NOT_CODE.some((r) => r.test(p)));
  const dirs = new Set(paths.map((p) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '.')));
  return {
    files: paths.length,
    directories_touched: dirs.size,
    tests_touched: tests.length > 0,
    code_changed: code.length > 0,
  };
}
