import { repositoryKeys } from '../dora/index.ts';

/**
 * GitHub webhook payloads reduced to what the workflow measures need, pure. Every time comes from
 * the payload (`created_at`, `updated_at` of the action, review `submitted_at`, `merged_at`,
 * `closed_at`, commit timestamps), never from the moment of receipt.
 */

export interface RepoRef {
  full_name: string;
  keys: string[];
  default_branch: string | null;
}

export interface PrSnapshot {
  number: number;
  title: string;
  /** Null when the payload does not name the author (GitLab names only the actor). */
  author: string | null;
  body: string | null;
  url: string | null;
  state: 'open' | 'closed' | 'merged';
  draft: boolean;
  base_ref: string;
  head_ref: string;
  head_sha: string;
  merge_commit_sha: string | null;
  /** Absent from the smaller pull request objects of review and comment payloads. */
  size: { additions: number; deletions: number; changed_files: number } | null;
  opened_at: string;
  closed_at: string | null;
  merged_at: string | null;
  updated_at: string;
}

export interface PrEvent {
  action: string;
  actor: string | null;
  /** The requested reviewer's login, or `team:<slug>` for a team. */
  subject: string | null;
  sha: string | null;
  at: string;
}

export type CheckState = 'success' | 'failure' | 'pending' | 'neutral';

export interface CheckRecord {
  sha: string;
  kind: 'check_run' | 'check_suite' | 'status' | 'pipeline';
  name: string;
  state: CheckState;
  at: string;
}

export interface PushRecord {
  branch: string;
  pusher: string | null;
  forced: boolean;
  created: boolean;
  deleted: boolean;
  after_sha: string;
  commit_times: string[];
  at: string;
}

export type ParsedGithubEvent =
  | { kind: 'pull_request'; repo: RepoRef; pr: PrSnapshot; event: PrEvent }
  | {
      kind: 'review';
      repo: RepoRef;
      pr: PrSnapshot;
      /** `unapproved`: GitLab withdrew this reviewer's approval (their standing approval is dismissed). */
      action: 'submitted' | 'dismissed' | 'edited' | 'unapproved';
      review: {
        id: string;
        reviewer: string;
        state: string;
        commit_sha: string | null;
        submitted_at: string;
      };
      /** When the action happened: the review's submitted_at, or the pull request's updated_at. */
      at: string;
    }
  | {
      kind: 'review_comment';
      repo: RepoRef;
      pr: PrSnapshot;
      action: 'created' | 'edited' | 'deleted';
      comment: { id: string; author: string; in_reply_to: string | null; created_at: string };
    }
  | { kind: 'check'; repo: RepoRef; check: CheckRecord }
  | {
      kind: 'branch';
      repo: RepoRef;
      action: 'create' | 'delete';
      name: string;
      actor: string | null;
      at: string;
    }
  | { kind: 'push'; repo: RepoRef; push: PushRecord }
  | { kind: 'files'; repo: RepoRef; number: number; sha: string; paths: string[] };

/**
 * Not a GitHub event: `engops import github` sends a pull request's file list (from the REST API)
 * under this name, since no webhook carries it.
 */
export const FILES_EVENT = 'engops_pull_request_files';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const login = (v: unknown): string | null => str(obj(v)?.login);

/** An ISO-8601 or Unix-seconds time (push payloads use both) as ISO UTC; null when absent or bad. */
export function payloadTime(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v * 1000).toISOString();
  if (typeof v !== 'string') return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function repoRef(payload: Obj): RepoRef | null {
  const repo = obj(payload.repository);
  const fullName = str(repo?.full_name);
  if (!repo || !fullName) return null;
  return { full_name: fullName, keys: repositoryKeys(payload), default_branch: str(repo.default_branch) };
}

export function prSnapshot(v: unknown): PrSnapshot | null {
  const p = obj(v);
  if (!p) return null;
  const number = num(p.number);
  const openedAt = payloadTime(p.created_at);
  const head = obj(p.head);
  const base = obj(p.base);
  if (number === null || !openedAt || !head || !base) return null;
  const mergedAt = payloadTime(p.merged_at);
  const closedAt = payloadTime(p.closed_at);
  const additions = num(p.additions);
  const deletions = num(p.deletions);
  const changed = num(p.changed_files);
  return {
    number,
    title: str(p.title) ?? `#${number}`,
    author: login(p.user) ?? 'unknown',
    body: typeof p.body === 'string' ? p.body : null,
    url: str(p.html_url),
    state: mergedAt ? 'merged' : p.state === 'closed' ? 'closed' : 'open',
    draft: p.draft === true,
    base_ref: str(base.ref) ?? '',
    head_ref: str(head.ref) ?? '',
    head_sha: (str(head.sha) ?? '').toLowerCase(),
    merge_commit_sha: str(p.merge_commit_sha)?.toLowerCase() ?? null,
    size:
      additions !== null && deletions !== null && changed !== null
        ? { additions, deletions, changed_files: changed }
        : null,
    opened_at: openedAt,
    closed_at: closedAt,
    merged_at: mergedAt,
    updated_at: payloadTime(p.updated_at) ?? openedAt,
  };
}

/** The time a `pull_request` action happened, from the payload. */
function actionTime(action: string, pr: PrSnapshot): string {
  if (action === 'opened') return pr.opened_at;
  if (action === 'closed') return pr.merged_at ?? pr.closed_at ?? pr.updated_at;
  return pr.updated_at;
}

const PASSING = new Set(['success', 'neutral', 'skipped']);
const FAILING = new Set([
  'failure',
  'error',
  'cancelled',
  'timed_out',
  'action_required',
  'stale',
  'startup_failure',
]);

function checkState(status: unknown, conclusion: unknown): CheckState {
  if (status !== undefined && status !== 'completed') return 'pending';
  const c = typeof conclusion === 'string' ? conclusion : '';
  if (c === 'success') return 'success';
  if (PASSING.has(c)) return 'neutral';
  if (FAILING.has(c)) return 'failure';
  return 'pending';
}

/** One delivery as a workflow record, or null when the event is not used (or malformed). */
export function parseGithubEvent(event: string, payload: unknown): ParsedGithubEvent | null {
  const p = obj(payload);
  if (!p) return null;
  const repo = repoRef(p);
  if (!repo) return null;
  const action = str(p.action) ?? '';
  switch (event) {
    case 'pull_request': {
      const pr = prSnapshot(p.pull_request);
      if (!pr || !action) return null;
      const team = str(obj(p.requested_team)?.slug);
      const subject = login(p.requested_reviewer) ?? (team ? `team:${team}` : null);
      const merged = action === 'closed' && pr.merged_at !== null;
      return {
        kind: 'pull_request',
        repo,
        pr,
        event: {
          action: merged ? 'merged' : action,
          actor: login(p.sender),
          subject: action === 'review_requested' || action === 'review_request_removed' ? subject : null,
          sha: action === 'synchronize' ? (str(p.after)?.toLowerCase() ?? pr.head_sha) : pr.head_sha,
          at: actionTime(action, pr),
        },
      };
    }
    case 'pull_request_review': {
      const pr = prSnapshot(p.pull_request);
      const r = obj(p.review);
      const id = num(r?.id) ?? str(r?.id);
      const submittedAt = payloadTime(r?.submitted_at);
      const reviewer = login(r?.user);
      if (!pr || !r || id === null || !submittedAt || !reviewer) return null;
      if (action !== 'submitted' && action !== 'dismissed' && action !== 'edited') return null;
      return {
        kind: 'review',
        repo,
        pr,
        action,
        review: {
          id: String(id),
          reviewer,
          state: (str(r.state) ?? 'commented').toLowerCase(),
          commit_sha: str(r.commit_id)?.toLowerCase() ?? null,
          submitted_at: submittedAt,
        },
        at: action === 'submitted' ? submittedAt : pr.updated_at,
      };
    }
    case 'pull_request_review_comment': {
      const pr = prSnapshot(p.pull_request);
      const c = obj(p.comment);
      const id = num(c?.id) ?? str(c?.id);
      const createdAt = payloadTime(c?.created_at);
      const author = login(c?.user);
      if (!pr || !c || id === null || !createdAt || !author) return null;
      if (action !== 'created' && action !== 'edited' && action !== 'deleted') return null;
      const reply = num(c.in_reply_to_id);
      return {
        kind: 'review_comment',
        repo,
        pr,
        action,
        comment: {
          id: String(id),
          author,
          in_reply_to: reply === null ? null : String(reply),
          created_at: createdAt,
        },
      };
    }
    case 'check_run': {
      const r = obj(p.check_run);
      const sha = str(r?.head_sha);
      const name = str(r?.name);
      const at = payloadTime(r?.completed_at) ?? payloadTime(r?.started_at);
      if (!r || !sha || !name || !at) return null;
      return {
        kind: 'check',
        repo,
        check: {
          sha: sha.toLowerCase(),
          kind: 'check_run',
          name,
          state: checkState(r.status, r.conclusion),
          at,
        },
      };
    }
    case 'check_suite': {
      const s = obj(p.check_suite);
      const sha = str(s?.head_sha);
      const app = obj(s?.app);
      const name = str(app?.slug) ?? str(app?.name);
      const at = payloadTime(s?.updated_at) ?? payloadTime(s?.created_at);
      if (!s || !sha || !name || !at) return null;
      return {
        kind: 'check',
        repo,
        check: {
          sha: sha.toLowerCase(),
          kind: 'check_suite',
          name,
          state: checkState(s.status, s.conclusion),
          at,
        },
      };
    }
    case 'status': {
      const sha = str(p.sha);
      const name = str(p.context);
      const at = payloadTime(p.updated_at) ?? payloadTime(p.created_at);
      if (!sha || !name || !at) return null;
      const state: CheckState =
        p.state === 'success'
          ? 'success'
          : p.state === 'failure' || p.state === 'error'
            ? 'failure'
            : 'pending';
      return { kind: 'check', repo, check: { sha: sha.toLowerCase(), kind: 'status', name, state, at } };
    }
    case 'create':
    case 'delete': {
      const name = str(p.ref);
      // These payloads carry no time of their own: the repository's pushed_at is the push that did it.
      const at = payloadTime(obj(p.repository)?.pushed_at);
      if (p.ref_type !== 'branch' || !name || !at) return null;
      return { kind: 'branch', repo, action: event, name, actor: login(p.sender), at };
    }
    case 'push': {
      const ref = str(p.ref);
      if (!ref?.startsWith('refs/heads/')) return null;
      const commits = Array.isArray(p.commits) ? p.commits : [];
      const head = obj(p.head_commit);
      const times = [...commits, head]
        .map((c) => payloadTime(obj(c)?.timestamp))
        .filter((t): t is string => t !== null);
      const at = payloadTime(head?.timestamp) ?? payloadTime(obj(p.repository)?.pushed_at);
      const after = str(p.after);
      if (!at || !after) return null;
      return {
        kind: 'push',
        repo,
        push: {
          branch: ref.slice('refs/heads/'.length),
          pusher: login(p.sender) ?? str(obj(p.pusher)?.name),
          forced: p.forced === true,
          created: p.created === true,
          deleted: p.deleted === true,
          after_sha: after.toLowerCase(),
          commit_times: [...new Set(times)].sort(),
          at,
        },
      };
    }
    case FILES_EVENT: {
      const number = num(p.number);
      const sha = str(p.head_sha);
      if (number === null || !sha || !Array.isArray(p.files)) return null;
      const paths = p.files.filter((f): f is string => typeof f === 'string');
      return { kind: 'files', repo, number, sha: sha.toLowerCase(), paths };
    }
    default:
      return null;
  }
}
