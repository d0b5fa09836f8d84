import type { Db } from '../../db/database.ts';
import { type GitlabApi, gitlabProjectId } from '../../platform/gitlab-api.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import { fileFacts } from './workflow-measures.ts';

export const GITLAB_DIFFS_JOB = 'workflow.gitlab-mr-diffs';
/** GitLab pages the diffs of a merge request; 30 pages of 100 files is far past a reviewable size. */
const DIFF_PAGES = 30;

/** One file of `GET /projects/:id/merge_requests/:iid/diffs` (or of `changes` in `/changes`). */
export interface GitlabDiffFile {
  old_path?: string;
  new_path?: string;
  diff?: string;
  new_file?: boolean;
  renamed_file?: boolean;
  deleted_file?: boolean;
  too_large?: boolean;
  collapsed?: boolean;
}

/** Lines added and deleted in one unified diff (GitLab's `diff` text: hunks without file headers). */
export function countDiffLines(diff: string): { additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  let inHunk = false;
  for (const line of diff.split('\n')) {
    if (line.startsWith('@@')) inHunk = true;
    // File headers (`--- a/x`, `+++ b/x`) only come before the first hunk.
    else if (!inHunk) continue;
    else if (line.startsWith('+')) additions++;
    else if (line.startsWith('-')) deletions++;
  }
  return { additions, deletions };
}

/**
 * A merge request's size and file facts from its diffs, pure: additions and deletions counted from
 * the diff text (a file GitLab left out as too large or collapsed adds no lines), one changed file
 * per diff entry, and the paths (a deleted file by its old path) for directories and tests.
 */
export function gitlabDiffFacts(files: readonly GitlabDiffFile[]) {
  let additions = 0;
  let deletions = 0;
  const paths: string[] = [];
  for (const f of files) {
    const lines = countDiffLines(typeof f.diff === 'string' ? f.diff : '');
    additions += lines.additions;
    deletions += lines.deletions;
    const path = f.deleted_file ? (f.old_path ?? f.new_path) : (f.new_path ?? f.old_path);
    if (path) paths.push(path);
  }
  const facts = fileFacts(paths);
  return {
    additions,
    deletions,
    changed_files: files.length,
    directories_touched: facts.directories_touched,
    tests_touched: facts.tests_touched,
    code_changed: facts.code_changed,
  };
}

/**
 * GitLab merge request sizes: webhooks carry no line counts or file list, so each new head commit
 * of a merge request queues a job that reads its diffs through the GitLab REST API (only when
 * `ENGOPS_GITLAB_TOKEN` is set) and stores additions, deletions, files changed, directories and
 * the tests-focus flag on the pull request row, as GitHub's payloads and file lists do.
 */
export function createGitlabDiffs(deps: { db: Db; jobs: JobQueue; worker?: Worker; api: GitlabApi }) {
  const { db, jobs, api } = deps;

  /** `/diffs` (GitLab 15.7+), else the older `/changes`; null when the merge request is gone. */
  async function readDiffs(repository: string, number: number): Promise<GitlabDiffFile[] | null> {
    const base = `/projects/${gitlabProjectId(repository)}/merge_requests/${number}`;
    const diffs = await api.list<GitlabDiffFile>(`${base}/diffs`, DIFF_PAGES);
    if (diffs.length > 0) return diffs;
    const changes = await api.get<{ changes?: GitlabDiffFile[] }>(`${base}/changes`);
    if (!changes) return null;
    return Array.isArray(changes.changes) ? changes.changes : [];
  }

  deps.worker?.register(GITLAB_DIFFS_JOB, async (job) => {
    const { repository, number, pr_id, sha } = job.payload as {
      repository: string;
      number: number;
      pr_id: string;
      sha: string;
    };
    const files = await readDiffs(repository, number);
    if (!files) return;
    const facts = gitlabDiffFacts(files);
    // The author is named only by the open event's actor: when that event was missed, ask GitLab.
    const row = await db
      .selectFrom('workflow_pull_requests')
      .select('author')
      .where('id', '=', pr_id)
      .executeTakeFirst();
    if (row?.author === 'unknown') {
      const mr = await api.get<{ author?: { username?: unknown } }>(
        `/projects/${gitlabProjectId(repository)}/merge_requests/${number}`,
      );
      const username = mr?.author?.username;
      if (typeof username === 'string' && username)
        await db
          .updateTable('workflow_pull_requests')
          .set({ author: username })
          .where('id', '=', pr_id)
          .where('author', '=', 'unknown')
          .execute();
    }
    // A later push moved the head: that commit's own job writes its size.
    await db
      .updateTable('workflow_pull_requests')
      .set({
        additions: facts.additions,
        deletions: facts.deletions,
        changed_files: facts.changed_files,
        files_sha: sha,
        directories_touched: facts.directories_touched,
        tests_touched: facts.tests_touched ? 1 : 0,
        code_changed: facts.code_changed ? 1 : 0,
      })
      .where('id', '=', pr_id)
      .where('head_sha', '=', sha)
      .execute();
  });

  return {
    /** In the ingest transaction of a GitLab merge request event: fetch this head's diffs once. */
    async onMergeRequest(tx: Db, change: { repository: string; number: number; prId: string; sha: string }) {
      if (!api.configured || !change.sha) return;
      await jobs.enqueue(tx, {
        kind: GITLAB_DIFFS_JOB,
        payload: {
          repository: change.repository,
          number: change.number,
          pr_id: change.prId,
          sha: change.sha,
        },
        dedupeKey: `workflow-gitlab-diffs:${change.prId}:${change.sha}`,
        maxAttempts: 6,
      });
    },
  };
}
