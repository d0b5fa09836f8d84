/**
 * Hand-built GitHub webhook payloads in the shape GitHub sends (the fields engops reads, plus the
 * usual envelope). The @octokit/webhooks-examples set has no merged pull request and no approving
 * review; tests and the demo organisation build them here.
 */

export interface RepoInput {
  owner: string;
  name: string;
  default_branch?: string;
  /** github.com unless GitHub Enterprise (or the demo's host). */
  host?: string;
}

export interface PrInput {
  number: number;
  title: string;
  author: string;
  body?: string | null;
  head_ref: string;
  head_sha: string;
  base_ref?: string;
  additions: number;
  deletions: number;
  changed_files: number;
  created_at: string;
  updated_at?: string;
  closed_at?: string | null;
  merged_at?: string | null;
  merge_commit_sha?: string | null;
  draft?: boolean;
}

const user = (login: string) => ({ login, id: login.length, type: 'User' });

export function repository(r: RepoInput, pushedAt?: string | number) {
  const full = `${r.owner}/${r.name}`;
  const host = r.host ?? 'github.com';
  return {
    id: 1,
    name: r.name,
    full_name: full,
    owner: user(r.owner),
    html_url: `https://${host}/${full}`,
    clone_url: `https://${host}/${full}.git`,
    ssh_url: `git@${host}:${full}.git`,
    git_url: `git://${host}/${full}.git`,
    default_branch: r.default_branch ?? 'main',
    ...(pushedAt !== undefined ? { pushed_at: pushedAt } : {}),
  };
}

export function pullRequestObject(r: RepoInput, pr: PrInput) {
  const closed = pr.closed_at ?? pr.merged_at ?? null;
  return {
    number: pr.number,
    title: pr.title,
    user: user(pr.author),
    body: pr.body ?? null,
    html_url: `https://${r.host ?? 'github.com'}/${r.owner}/${r.name}/pull/${pr.number}`,
    state: closed ? 'closed' : 'open',
    draft: pr.draft ?? false,
    merged: Boolean(pr.merged_at),
    head: { ref: pr.head_ref, sha: pr.head_sha },
    base: { ref: pr.base_ref ?? r.default_branch ?? 'main', sha: '0'.repeat(40) },
    merge_commit_sha: pr.merge_commit_sha ?? null,
    additions: pr.additions,
    deletions: pr.deletions,
    changed_files: pr.changed_files,
    created_at: pr.created_at,
    updated_at: pr.updated_at ?? pr.created_at,
    closed_at: closed,
    merged_at: pr.merged_at ?? null,
  };
}

export function pullRequestEvent(
  r: RepoInput,
  action: string,
  pr: PrInput,
  extra: { requested_reviewer?: string; requested_team?: string; sender?: string; after?: string } = {},
) {
  return {
    action,
    number: pr.number,
    pull_request: pullRequestObject(r, pr),
    ...(extra.requested_reviewer ? { requested_reviewer: user(extra.requested_reviewer) } : {}),
    ...(extra.requested_team
      ? { requested_team: { id: 7001, name: extra.requested_team, slug: extra.requested_team } }
      : {}),
    ...(extra.after ? { before: '0'.repeat(40), after: extra.after } : {}),
    repository: repository(r),
    sender: user(extra.sender ?? pr.author),
  };
}

export function reviewEvent(
  r: RepoInput,
  pr: PrInput,
  review: {
    id: number;
    reviewer: string;
    state: 'approved' | 'changes_requested' | 'commented';
    submitted_at: string;
  },
) {
  const { additions: _a, deletions: _d, changed_files: _c, ...small } = pullRequestObject(r, pr);
  return {
    action: 'submitted',
    review: {
      id: review.id,
      user: user(review.reviewer),
      body: null,
      commit_id: pr.head_sha,
      submitted_at: review.submitted_at,
      state: review.state,
    },
    pull_request: small,
    repository: repository(r),
    sender: user(review.reviewer),
  };
}

export function reviewCommentEvent(
  r: RepoInput,
  pr: PrInput,
  comment: { id: number; author: string; created_at: string; in_reply_to?: number },
) {
  const { additions: _a, deletions: _d, changed_files: _c, ...small } = pullRequestObject(r, pr);
  return {
    action: 'created',
    comment: {
      id: comment.id,
      user: user(comment.author),
      body: 'Could this retry forever?',
      created_at: comment.created_at,
      updated_at: comment.created_at,
      ...(comment.in_reply_to ? { in_reply_to_id: comment.in_reply_to } : {}),
    },
    pull_request: small,
    repository: repository(r),
    sender: user(comment.author),
  };
}

export function checkRunEvent(
  r: RepoInput,
  check: { id: number; name: string; sha: string; conclusion: 'success' | 'failure'; completed_at: string },
) {
  return {
    action: 'completed',
    check_run: {
      id: check.id,
      name: check.name,
      head_sha: check.sha,
      status: 'completed',
      conclusion: check.conclusion,
      started_at: check.completed_at,
      completed_at: check.completed_at,
    },
    repository: repository(r),
    sender: user('github-actions'),
  };
}

export function pushEvent(
  r: RepoInput,
  push: {
    branch: string;
    pusher: string;
    after: string;
    commits: string[];
    created?: boolean;
    forced?: boolean;
  },
) {
  const commits = push.commits.map((timestamp, i) => ({
    id: `${push.after.slice(0, 30)}${String(i).padStart(10, '0')}`,
    message: `commit ${i + 1}`,
    timestamp,
  }));
  const head = commits.at(-1);
  return {
    ref: `refs/heads/${push.branch}`,
    before: '0'.repeat(40),
    after: push.after,
    created: push.created ?? false,
    deleted: false,
    forced: push.forced ?? false,
    commits,
    head_commit: head ? { ...head, id: push.after } : null,
    pusher: { name: push.pusher },
    repository: repository(r, head ? Math.floor(Date.parse(head.timestamp) / 1000) : undefined),
    sender: user(push.pusher),
  };
}
