import type { Db } from '../../db/database.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/errors.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import type { PolicyService } from '../policy/index.ts';
import { ciPassed, fileFacts } from './workflow-measures.ts';

export const GATE_JOB = 'workflow.merge-gate';
export const CHECKLIST_JOB = 'workflow.checklist';
export const FILES_JOB = 'workflow.pr-files';
/** GitHub lists at most 3000 files of a pull request (30 pages of 100). */
const FILE_PAGES = 30;
/** The commit status engops posts; branch protection can require it. */
export const GATE_CONTEXT = 'engops/ci-required';

const SETTINGS_ID = 'org';

export type GateState = 'success' | 'failure' | 'pending';

/** The merge gate's verdict on a commit from its checks (engops' own status left out). */
export function gateState(
  checks: ReadonlyArray<{ kind: string; name: string; state: string; at: string }>,
  required: readonly string[],
): GateState {
  const others = checks.filter((c) => !(c.kind === 'status' && c.name === GATE_CONTEXT));
  const relevant = required.length ? others.filter((c) => required.includes(c.name)) : others;
  if (relevant.some((c) => c.state === 'failure')) return 'failure';
  const latest =
    others
      .map((c) => c.at)
      .sort()
      .at(-1) ?? '9999';
  return ciPassed(others, required, latest) ? 'success' : 'pending';
}

/** The reviewer checklist comment (the handbook's reviewer focus). */
export function checklistBody(items: readonly string[]): string {
  return [
    '**Reviewer checklist** (engops)',
    '',
    ...items.map((i) => `- [ ] ${i}`),
    '',
    '_Review target: first review within the team target. Authors: keep PRs small, describe why, self-review first._',
  ].join('\n');
}

/**
 * Calls to the GitHub REST API (a configurable root, for GitHub Enterprise): the
 * `engops/ci-required` commit status and the reviewer checklist comment, each a durable job.
 */
export function createGithubOutbound(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  worker?: Worker;
  policy: PolicyService;
  baseUrl: () => string;
}) {
  const { db, clock, jobs } = deps;

  const settingsRow = (tx: Db = db) =>
    tx.selectFrom('workflow_github_settings').selectAll().where('id', '=', SETTINGS_ID).executeTakeFirst();

  /**
   * Every item of a paged GitHub list (100 a page, at most `pages` pages); null without settings.
   */
  async function getPages<T>(path: string, pages: number): Promise<T[] | null> {
    const s = await settingsRow();
    if (!s) return null;
    const out: T[] = [];
    for (let page = 1; page <= pages; page++) {
      const response = await fetch(`${s.api_url.replace(/\/+$/, '')}${path}?per_page=100&page=${page}`, {
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${s.token}`,
          'user-agent': 'engops',
          'x-github-api-version': '2022-11-28',
        },
        signal: AbortSignal.timeout(15_000),
      });
      if (!response.ok) throw new Error(`GitHub GET ${path}: HTTP ${response.status}`);
      const items = (await response.json()) as T[];
      out.push(...items);
      if (items.length < 100) break;
    }
    return out;
  }

  async function getFiles(path: string): Promise<string[]> {
    const files = (await getPages<{ filename?: unknown }>(path, FILE_PAGES)) ?? [];
    return files.map((f) => f.filename).filter((f): f is string => typeof f === 'string');
  }

  async function call(method: 'POST', path: string, body: unknown): Promise<void> {
    const s = await settingsRow();
    if (!s) return;
    const response = await fetch(`${s.api_url.replace(/\/+$/, '')}${path}`, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${s.token}`,
        'content-type': 'application/json',
        'user-agent': 'engops',
        'x-github-api-version': '2022-11-28',
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    if (!response.ok) throw new Error(`GitHub ${method} ${path}: HTTP ${response.status}`);
  }

  deps.worker?.register(GATE_JOB, async (job) => {
    const { repository, repository_lc, sha } = job.payload as {
      repository: string;
      repository_lc: string;
      sha: string;
    };
    const s = await settingsRow();
    if (s?.merge_gate !== 1) return;
    const checks = await db
      .selectFrom('workflow_checks')
      .selectAll()
      .where('repository_lc', '=', repository_lc)
      .where('sha', '=', sha)
      .execute();
    const { workflow } = await deps.policy.current();
    const state = gateState(checks, workflow.required_checks);
    const last = await db
      .selectFrom('workflow_gate_statuses')
      .select('state')
      .where('repository_lc', '=', repository_lc)
      .where('sha', '=', sha)
      .executeTakeFirst();
    if (last?.state === state) return;
    const description =
      state === 'success'
        ? 'Required checks passed'
        : state === 'failure'
          ? 'A required check failed'
          : 'Waiting for required checks';
    await call('POST', `/repos/${repository}/statuses/${sha}`, {
      state,
      context: GATE_CONTEXT,
      description,
      target_url: `${deps.baseUrl()}/workflow`,
    });
    const row = { repository_lc, sha, state, posted_at: clock.now().toISOString() };
    await db
      .insertInto('workflow_gate_statuses')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['repository_lc', 'sha']).doUpdateSet({ state, posted_at: row.posted_at }),
      )
      .execute();
  });

  deps.worker?.register(FILES_JOB, async (job) => {
    const { repository, number, pr_id, sha } = job.payload as {
      repository: string;
      number: number;
      pr_id: string;
      sha: string;
    };
    const facts = fileFacts(await getFiles(`/repos/${repository}/pulls/${number}/files`));
    await db
      .updateTable('workflow_pull_requests')
      .set({
        files_sha: sha,
        directories_touched: facts.directories_touched,
        tests_touched: facts.tests_touched ? 1 : 0,
        code_changed: facts.code_changed ? 1 : 0,
      })
      .where('id', '=', pr_id)
      // A retried job of an older head never overwrites the newer head's file facts.
      .where('head_sha', '=', sha)
      .execute();
  });

  deps.worker?.register(CHECKLIST_JOB, async (job) => {
    const { repository, number } = job.payload as { repository: string; number: number };
    const s = await settingsRow();
    if (s?.checklist !== 1) return;
    const { workflow } = await deps.policy.current();
    await call('POST', `/repos/${repository}/issues/${number}/comments`, {
      body: checklistBody(workflow.review_checklist),
    });
  });

  function view(row: Awaited<ReturnType<typeof settingsRow>>) {
    return {
      configured: row !== undefined,
      api_url: row?.api_url ?? null,
      token_set: row !== undefined,
      merge_gate: row?.merge_gate === 1,
      checklist: row?.checklist === 1,
      updated_at: row?.updated_at ?? null,
    };
  }

  return {
    /**
     * The logins of a GitHub team (`GET /orgs/{org}/teams/{slug}/members`, at most 1,000): who a
     * review requested from the team waits on. Null without GitHub settings, or when GitHub does
     * not answer (no access to the organisation's teams, say).
     */
    async teamMembers(org: string, slug: string): Promise<string[] | null> {
      const path = `/orgs/${encodeURIComponent(org)}/teams/${encodeURIComponent(slug)}/members`;
      const members = await getPages<{ login?: unknown }>(path, 10).catch(() => null);
      if (!members) return null;
      return members.map((m) => m.login).filter((l): l is string => typeof l === 'string');
    },
    async settings() {
      return view(await settingsRow());
    },
    async setSettings(
      ctx: AuditContext,
      input: { api_url: string; token?: string | undefined; merge_gate: boolean; checklist: boolean },
    ) {
      return db.transaction().execute(async (tx) => {
        const before = await settingsRow(tx);
        const token = input.token ?? before?.token;
        if (!token)
          throw new AppError('HTTP_VALIDATION_FAILED', 'A token is needed the first time.', {
            errors: [{ path: 'body.token', message: 'required: no token is stored yet' }],
          });
        const row = {
          id: SETTINGS_ID,
          api_url: input.api_url.replace(/\/+$/, ''),
          token,
          merge_gate: input.merge_gate ? 1 : 0,
          checklist: input.checklist ? 1 : 0,
          updated_at: clock.now().toISOString(),
        };
        if (before)
          await tx.updateTable('workflow_github_settings').set(row).where('id', '=', SETTINGS_ID).execute();
        else await tx.insertInto('workflow_github_settings').values(row).execute();
        await deps.audit.record(tx, ctx, {
          action: 'workflow.settings.github.update',
          targetType: 'integration',
          targetId: 'workflow-github',
          before: before ? { ...before } : null,
          after: { ...row, token_changed: token !== before?.token },
        });
        return view(row);
      });
    },
    /** In the ingest transaction: a GitHub PR was opened (checklist) or its head/checks changed (gate). */
    async onChange(
      tx: Db,
      change:
        | { kind: 'opened'; repository: string; number: number; prId: string }
        | { kind: 'head'; repository: string; sha: string }
        | { kind: 'files'; repository: string; number: number; prId: string; sha: string },
    ) {
      const s = await settingsRow(tx);
      if (!s) return;
      if (change.kind === 'files')
        await jobs.enqueue(tx, {
          kind: FILES_JOB,
          payload: {
            repository: change.repository,
            number: change.number,
            pr_id: change.prId,
            sha: change.sha,
          },
          dedupeKey: `workflow-files:${change.prId}:${change.sha}`,
          maxAttempts: 6,
        });
      if (change.kind === 'opened' && s.checklist === 1)
        await jobs.enqueue(tx, {
          kind: CHECKLIST_JOB,
          payload: { repository: change.repository, number: change.number },
          dedupeKey: `workflow-checklist:${change.prId}`,
          maxAttempts: 6,
        });
      if (change.kind === 'head' && s.merge_gate === 1) {
        // Only commits that are the head of an open pull request get the status.
        const lc = change.repository.toLowerCase();
        const open = await tx
          .selectFrom('workflow_pull_requests')
          .select('id')
          .where('repository_lc', '=', lc)
          .where('head_sha', '=', change.sha)
          .where('state', '=', 'open')
          .executeTakeFirst();
        if (!open) return;
        await jobs.enqueue(tx, {
          kind: GATE_JOB,
          payload: { repository: change.repository, repository_lc: lc, sha: change.sha },
          maxAttempts: 6,
        });
      }
    },
  };
}

export type GithubOutbound = ReturnType<typeof createGithubOutbound>;
