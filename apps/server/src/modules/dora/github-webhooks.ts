import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * GitHub webhooks, pure: signature check and payload reading. Times come from the payloads,
 * never from the moment of receipt, so redelivered and backfilled events give the same answer.
 */

/** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. */
export function verifyGithubSignature(secret: string, rawBody: Buffer, header: unknown): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const sent = Buffer.from(header.slice('sha256='.length), 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}

/**
 * A repository URL reduced to `host/owner/name` in lower case, so https, ssh and clone URLs of the
 * same repository match: `git@github.com:Acme/API.git` and `https://github.com/acme/api/` agree.
 */
export function repositoryKey(url: string | null | undefined): string | null {
  if (!url) return null;
  let s = url.trim().toLowerCase();
  const scp = /^[\w.-]+@([\w.-]+):(.+)$/.exec(s);
  if (scp) s = `${scp[1]}/${scp[2]}`;
  else s = s.replace(/^[a-z+]+:\/\//, '').replace(/^[^@/]*@/, '');
  s = s
    .replace(/:\d+\//, '/')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  const parts = s.split('/').filter(Boolean);
  return parts.length >= 3 ? parts.join('/') : null;
}

export interface GithubRepository {
  keys: string[];
}

interface RepositoryPayload {
  html_url?: string;
  clone_url?: string;
  ssh_url?: string;
  git_url?: string;
  url?: string;
}

export function repositoryKeys(payload: unknown): string[] {
  const repo = (payload as { repository?: RepositoryPayload } | null)?.repository;
  if (!repo) return [];
  const keys = [repo.html_url, repo.clone_url, repo.ssh_url, repo.git_url]
    .map((u) => repositoryKey(u))
    .filter((k): k is string => k !== null);
  return [...new Set(keys)];
}

export interface PushedCommit {
  sha: string;
  committed_at: string;
  message: string | null;
}

/** The commits of a `push` event (with their own timestamps). */
export function pushCommits(payload: unknown): PushedCommit[] {
  const p = payload as {
    commits?: Array<{ id?: string; timestamp?: string; message?: string }>;
    head_commit?: { id?: string; timestamp?: string; message?: string } | null;
  };
  const all = [...(p.commits ?? []), ...(p.head_commit ? [p.head_commit] : [])];
  const out = new Map<string, PushedCommit>();
  for (const c of all) {
    if (!c.id || !c.timestamp || !/^[0-9a-f]{4,64}$/i.test(c.id)) continue;
    const t = Date.parse(c.timestamp);
    // commits[] comes first and wins over head_commit for the same sha.
    if (Number.isNaN(t) || out.has(c.id.toLowerCase())) continue;
    out.set(c.id.toLowerCase(), {
      sha: c.id.toLowerCase(),
      committed_at: new Date(t).toISOString(),
      message: c.message ?? null,
    });
  }
  return [...out.values()];
}

export interface GithubDeploymentOutcome {
  external_id: string;
  environment: string;
  commit_sha: string;
  status: 'success' | 'failure';
  started_at: string | null;
  finished_at: string;
}

/** A `deployment_status` event in a final state; null for pending/in-progress/queued/inactive. */
export function deploymentOutcome(payload: unknown): GithubDeploymentOutcome | null {
  const p = payload as {
    deployment_status?: { state?: string; created_at?: string; updated_at?: string };
    deployment?: { id?: number | string; sha?: string; environment?: string; created_at?: string };
  };
  const state = p.deployment_status?.state;
  const status =
    state === 'success' ? 'success' : state === 'failure' || state === 'error' ? 'failure' : null;
  const d = p.deployment;
  if (!status || !d?.sha || d.id === undefined || !d.environment) return null;
  const finished = p.deployment_status?.updated_at ?? p.deployment_status?.created_at;
  if (!finished || Number.isNaN(Date.parse(finished))) return null;
  const started = d.created_at && !Number.isNaN(Date.parse(d.created_at)) ? d.created_at : null;
  return {
    external_id: `deployment:${d.id}`,
    environment: d.environment,
    commit_sha: d.sha.toLowerCase(),
    status,
    started_at: started ? new Date(started).toISOString() : null,
    finished_at: new Date(finished).toISOString(),
  };
}

/**
 * Is this workflow a deployment? With `deployWorkflows` (a repository mapping's list), its name or
 * path (`.github/workflows/deploy.yml`, or just `deploy.yml`) must be listed; without, "deploy"
 * must appear in its name or path.
 */
export function isDeployWorkflow(
  workflow: { name?: string | null; path?: string | null },
  deployWorkflows: readonly string[] | null,
): boolean {
  const name = (workflow.name ?? '').trim();
  const file = (workflow.path ?? '').trim();
  if (deployWorkflows)
    return deployWorkflows.some(
      (w) => w === name || w === file || (file !== '' && file.endsWith(`/${w.replace(/^\/+/, '')}`)),
    );
  return /deploy/i.test(name) || /deploy/i.test(file);
}

export type WorkflowRunOutcome =
  | { deployment: Omit<GithubDeploymentOutcome, 'environment'> }
  | { ignored: string };

/**
 * A `workflow_run` event: a completed run of a deploy workflow on the repository's default branch
 * is a production deployment (success; failure or timed_out: failure). Each attempt is its own
 * deployment (a failed run re-run to success is a failure, then a success).
 */
export function workflowRunOutcome(
  payload: unknown,
  deployWorkflows: readonly string[] | null,
): WorkflowRunOutcome {
  const p = payload as {
    action?: string;
    workflow_run?: {
      id?: number | string;
      name?: string | null;
      path?: string | null;
      head_branch?: string | null;
      head_sha?: string;
      status?: string;
      conclusion?: string | null;
      run_attempt?: number;
      run_started_at?: string;
      created_at?: string;
      updated_at?: string;
    };
    workflow?: { name?: string | null; path?: string | null };
    repository?: { default_branch?: string };
  };
  const run = p.workflow_run;
  if (p.action !== 'completed' || !run || run.status !== 'completed')
    return { ignored: 'workflow run is not completed' };
  const workflow = { name: run.name || p.workflow?.name, path: run.path || p.workflow?.path };
  if (!isDeployWorkflow(workflow, deployWorkflows))
    return { ignored: `workflow ${workflow.name || workflow.path} is not a deploy workflow` };
  if (!p.repository?.default_branch || run.head_branch !== p.repository.default_branch)
    return { ignored: `run on ${run.head_branch ?? 'no branch'}, not the default branch` };
  const status =
    run.conclusion === 'success'
      ? 'success'
      : run.conclusion === 'failure' || run.conclusion === 'timed_out'
        ? 'failure'
        : null;
  if (!status) return { ignored: `conclusion ${run.conclusion ?? 'none'} is not a deployment outcome` };
  const finished = run.updated_at;
  if (run.id === undefined || !run.head_sha || !finished || Number.isNaN(Date.parse(finished)))
    return { ignored: 'workflow run lacks id, head_sha or updated_at' };
  const started = run.run_started_at ?? run.created_at;
  return {
    deployment: {
      external_id: `workflow_run:${run.id}:${run.run_attempt ?? 1}`,
      commit_sha: run.head_sha.toLowerCase(),
      status,
      started_at: started && !Number.isNaN(Date.parse(started)) ? new Date(started).toISOString() : null,
      finished_at: new Date(finished).toISOString(),
    },
  };
}
