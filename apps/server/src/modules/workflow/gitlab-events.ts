import { gitlabRepositoryKeys, gitlabTime } from '../dora/index.ts';
import type { CheckState, ParsedGithubEvent, PrEvent, PrSnapshot, RepoRef } from './github-events.ts';

/**
 * GitLab webhook payloads (Merge Request, Note, Pipeline and Push Hooks) in the same shape as the
 * GitHub events, pure. Times come from the payloads: `created_at`/`updated_at` of the merge
 * request and of notes, pipeline `finished_at`, commit `timestamp`s. An approval is a review with
 * state `approved` at the merge request's `updated_at`.
 */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const ZERO = /^0+$/;

function repoRef(payload: Obj): RepoRef | null {
  const project = obj(payload.project);
  const fullName = str(project?.path_with_namespace);
  if (!project || !fullName) return null;
  return {
    full_name: fullName,
    keys: gitlabRepositoryKeys(payload),
    default_branch: str(project.default_branch),
  };
}

function mrSnapshot(mr: Obj, author: string | null): PrSnapshot | null {
  const number = num(mr.iid);
  const openedAt = gitlabTime(mr.created_at);
  if (number === null || !openedAt) return null;
  const updatedAt = gitlabTime(mr.updated_at) ?? openedAt;
  const state = mr.state === 'merged' ? 'merged' : mr.state === 'closed' ? 'closed' : 'open';
  const mergedAt = state === 'merged' ? (gitlabTime(mr.merged_at) ?? updatedAt) : null;
  const closedAt = state === 'closed' ? (gitlabTime(mr.closed_at) ?? updatedAt) : mergedAt;
  const lastCommit = obj(mr.last_commit);
  const title = str(mr.title) ?? `!${number}`;
  return {
    number,
    title,
    author,
    body: typeof mr.description === 'string' ? mr.description : null,
    url: str(mr.url),
    state,
    draft: mr.draft === true || mr.work_in_progress === true || /^(draft:|\[draft\]|wip:)/i.test(title),
    base_ref: str(mr.target_branch) ?? '',
    head_ref: str(mr.source_branch) ?? '',
    head_sha: (str(lastCommit?.id) ?? '').toLowerCase(),
    merge_commit_sha: str(mr.merge_commit_sha)?.toLowerCase() ?? null,
    size: null,
    opened_at: openedAt,
    closed_at: closedAt,
    merged_at: mergedAt,
    updated_at: updatedAt,
  };
}

const usernames = (v: unknown): string[] =>
  Array.isArray(v) ? v.map((u) => str(obj(u)?.username)).filter((u): u is string => u !== null) : [];

const PIPELINE: Record<string, CheckState> = {
  success: 'success',
  failed: 'failure',
  canceled: 'failure',
  skipped: 'neutral',
  manual: 'pending',
  running: 'pending',
  pending: 'pending',
  created: 'pending',
};

/**
 * One GitLab delivery as a workflow record (or several: an update can request reviewers and leave
 * draft at once), or null when it is not used.
 */
export function parseGitlabEvent(payload: unknown): ParsedGithubEvent[] | null {
  const p = obj(payload);
  if (!p) return null;
  const repo = repoRef(p);
  if (!repo) return null;
  const actor = str(obj(p.user)?.username) ?? str(p.user_username);
  switch (p.object_kind) {
    case 'merge_request': {
      const mr = obj(p.object_attributes);
      const action = str(mr?.action) ?? '';
      if (!mr) return null;
      const pr = mrSnapshot(mr, action === 'open' ? actor : null);
      if (!pr) return null;
      const at = action === 'open' ? pr.opened_at : pr.updated_at;
      const event = (name: string, subject: string | null = null, when = at): ParsedGithubEvent => ({
        kind: 'pull_request',
        repo,
        pr,
        event: { action: name, actor, subject, sha: pr.head_sha, at: when } satisfies PrEvent,
      });
      const out: ParsedGithubEvent[] = [];
      if (action === 'approved' || action === 'approval')
        out.push({
          kind: 'review',
          repo,
          pr,
          action: 'submitted',
          review: {
            id: `mr:${repo.full_name.toLowerCase()}!${pr.number}:approval:${actor}:${pr.updated_at}`,
            reviewer: actor ?? 'unknown',
            state: 'approved',
            commit_sha: pr.head_sha,
            submitted_at: pr.updated_at,
          },
          at: pr.updated_at,
        });
      else if (action === 'unapproved' || action === 'unapproval')
        out.push({
          kind: 'review',
          repo,
          pr,
          action: 'unapproved',
          review: {
            id: '',
            reviewer: actor ?? 'unknown',
            state: 'approved',
            commit_sha: null,
            submitted_at: pr.updated_at,
          },
          at: pr.updated_at,
        });
      else if (action === 'open') out.push(event('opened'));
      else if (action === 'close') out.push(event('closed', null, pr.closed_at ?? at));
      else if (action === 'reopen') out.push(event('reopened'));
      else if (action === 'merge') out.push(event('merged', null, pr.merged_at ?? at));
      else if (action === 'update') {
        const changes = obj(p.changes);
        if (str(mr.oldrev)) out.push(event('synchronize'));
        const draft = obj(changes?.draft) ?? obj(changes?.work_in_progress);
        if (draft && draft.previous === true && draft.current === false) out.push(event('ready_for_review'));
        if (draft && draft.previous === false && draft.current === true)
          out.push(event('converted_to_draft'));
        const reviewers = obj(changes?.reviewers);
        if (reviewers) {
          const before = new Set(usernames(reviewers.previous));
          const after = new Set(usernames(reviewers.current));
          for (const r of after) if (!before.has(r)) out.push(event('review_requested', r));
          for (const r of before) if (!after.has(r)) out.push(event('review_request_removed', r));
        }
        if (out.length === 0) out.push(event('edited'));
      } else out.push(event(action || 'edited'));
      // Reviewers named when the merge request was opened are requested at its creation.
      if (action === 'open') for (const r of usernames(p.reviewers)) out.push(event('review_requested', r));
      return out;
    }
    case 'note': {
      const note = obj(p.object_attributes);
      const mr = obj(p.merge_request);
      const id = num(note?.id);
      const createdAt = gitlabTime(note?.created_at);
      if (!note || !mr || note.noteable_type !== 'MergeRequest' || note.system === true) return null;
      const pr = mrSnapshot(mr, null);
      if (!pr || id === null || !createdAt || !actor) return null;
      const out: ParsedGithubEvent[] = [
        {
          kind: 'review_comment',
          repo,
          pr,
          action: 'created',
          comment: { id: `note:${id}`, author: actor, in_reply_to: null, created_at: createdAt },
        },
      ];
      // GitLab has no review object: another person's comment on the merge request is a review.
      const noteAuthor = num(note.author_id);
      const mrAuthor = num(mr.author_id);
      if (noteAuthor !== null && mrAuthor !== null && noteAuthor !== mrAuthor)
        out.push({
          kind: 'review',
          repo,
          pr,
          action: 'submitted',
          review: {
            id: `note:${id}`,
            reviewer: actor,
            state: 'commented',
            commit_sha: pr.head_sha,
            submitted_at: createdAt,
          },
          at: createdAt,
        });
      return out;
    }
    case 'pipeline': {
      const a = obj(p.object_attributes);
      const sha = str(a?.sha);
      const status = str(a?.status) ?? '';
      const at = gitlabTime(a?.finished_at) ?? gitlabTime(a?.created_at);
      if (!a || !sha || !at) return null;
      return [
        {
          kind: 'check',
          repo,
          check: {
            sha: sha.toLowerCase(),
            kind: 'pipeline',
            name: str(a.name) ?? 'pipeline',
            state: PIPELINE[status] ?? 'pending',
            at,
          },
        },
      ];
    }
    case 'push': {
      const ref = str(p.ref);
      const after = str(p.after) ?? str(p.checkout_sha);
      if (!ref?.startsWith('refs/heads/') || !after) return null;
      const commits = Array.isArray(p.commits) ? p.commits : [];
      const times = commits.map((c) => gitlabTime(obj(c)?.timestamp)).filter((t): t is string => t !== null);
      const sorted = [...new Set(times)].sort();
      // A deletion carries no commit and so no time of its own: it is not recorded.
      const at = sorted.at(-1);
      if (!at || ZERO.test(after)) return null;
      return [
        {
          kind: 'push',
          repo,
          push: {
            branch: ref.slice('refs/heads/'.length),
            pusher: actor,
            forced: false,
            created: ZERO.test(str(p.before) ?? ''),
            deleted: false,
            after_sha: after.toLowerCase(),
            commit_times: sorted,
            at,
          },
        },
      ];
    }
    default:
      return null;
  }
}
