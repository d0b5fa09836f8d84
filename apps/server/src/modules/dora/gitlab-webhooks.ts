import { createHash, timingSafeEqual } from 'node:crypto';
import type { GithubDeploymentOutcome, PushedCommit } from './github-webhooks.ts';
import { repositoryKey } from './github-webhooks.ts';

/**
 * GitLab webhooks, pure: the X-Gitlab-Token check and payload reading (Push Hook and Deployment
 * Hook). Times come from the payloads.
 */

export function verifyGitlabToken(secret: string, header: unknown): boolean {
  if (typeof header !== 'string' || header.length === 0) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(header), digest(secret));
}

/** GitLab writes "2021-04-28 21:50:00 +0200" or "2021-04-28 19:50:00 UTC" as well as ISO-8601. */
export function gitlabTime(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?) ?(?:([+-]\d{2}):?(\d{2})|UTC|Z)?$/.exec(
    value.trim(),
  );
  const normalized = m ? `${m[1]}T${m[2]}${m[3] ? `${m[3]}:${m[4]}` : 'Z'}` : value;
  const t = Date.parse(normalized);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

export function gitlabRepositoryKeys(payload: unknown): string[] {
  const p = payload as {
    project?: { web_url?: string; git_http_url?: string; git_ssh_url?: string; http_url?: string };
    repository?: { homepage?: string; git_http_url?: string; git_ssh_url?: string; url?: string };
  } | null;
  const urls = [
    p?.project?.web_url,
    p?.project?.git_http_url,
    p?.project?.git_ssh_url,
    p?.project?.http_url,
    p?.repository?.homepage,
    p?.repository?.git_http_url,
    p?.repository?.git_ssh_url,
  ];
  return [...new Set(urls.map((u) => repositoryKey(u)).filter((k): k is string => k !== null))];
}

export function gitlabPushCommits(payload: unknown): PushedCommit[] {
  const p = payload as { commits?: Array<{ id?: string; timestamp?: string; message?: string }> };
  const out = new Map<string, PushedCommit>();
  for (const c of p.commits ?? []) {
    const at = gitlabTime(c.timestamp);
    if (!c.id || !at || !/^[0-9a-f]{4,64}$/i.test(c.id)) continue;
    out.set(c.id.toLowerCase(), { sha: c.id.toLowerCase(), committed_at: at, message: c.message ?? null });
  }
  return [...out.values()];
}

/** A Deployment Hook in a final state (success, failed); null for running/canceled. */
export function gitlabDeploymentOutcome(payload: unknown): GithubDeploymentOutcome | null {
  const p = payload as {
    status?: string;
    status_changed_at?: string;
    deployment_id?: number | string;
    environment?: string;
    short_sha?: string;
    commit_url?: string;
  };
  const status = p.status === 'success' ? 'success' : p.status === 'failed' ? 'failure' : null;
  const finished = gitlabTime(p.status_changed_at);
  // The full sha is the last segment of commit_url; short_sha is the fallback.
  const fromUrl = /\/commit\/([0-9a-f]{7,64})\/?$/i.exec(p.commit_url ?? '')?.[1];
  const sha = (fromUrl ?? p.short_sha ?? '').toLowerCase();
  if (
    !status ||
    !finished ||
    p.deployment_id === undefined ||
    !p.environment ||
    !/^[0-9a-f]{4,64}$/.test(sha)
  )
    return null;
  return {
    external_id: `deployment:${p.deployment_id}`,
    environment: p.environment,
    commit_sha: sha,
    status,
    started_at: null,
    finished_at: finished,
  };
}
