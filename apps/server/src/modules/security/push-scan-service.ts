import type { UploadedFinding } from '@engops/contracts';
import { systemPrincipal } from '../../platform/access/permissions.ts';
import { newId } from '../../platform/ids.ts';
import { type CodeHostDelivery, repositoryKeys } from '../dora/index.ts';
import type { AdvisoriesService } from './advisories-service.ts';
import { isLockfile, parseLockfile } from './deps/lockfiles.ts';
import type { FindingsService } from './findings-service.ts';
import { DiffParser } from './secrets/git-history.ts';
import { type Finding, SecretScanner } from './secrets/scanner.ts';
import type { SecurityContext } from './security-deps.ts';

export const PUSH_SCAN_JOB = 'security.push_scan';
export const PUSH_SCAN_TOOL = 'engops-push-scan';
/** Commits of one push that are fetched and scanned (GitHub sends at most 20 in a push payload). */
const MAX_COMMITS = 100;

interface PushCommit {
  sha: string;
  author: string | null;
}
interface PushScanPayload {
  service_id: string;
  repository: string;
  delivery_id: string | null;
  commits: PushCommit[];
}
interface GithubCommit {
  sha?: string;
  commit?: { author?: { name?: string; email?: string } | null };
  files?: Array<{ filename?: string; status?: string; patch?: string }>;
}

/** A GitHub REST API failure: the job is retried by the queue, except for commits that are gone. */
export class GithubApiError extends Error {
  override readonly name = 'GithubApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The added lines of a GitHub file patch (hunks only, no headers), with their new line numbers. */
export function addedLines(file: string, patch: string): Array<{ text: string; line: number }> {
  const out: Array<{ text: string; line: number }> = [];
  const parser = new DiffParser((_file, lines) => out.push(...lines));
  parser.push(`+++ b/${file}`);
  for (const line of patch.split('\n')) parser.push(line.replace(/\r$/, ''));
  parser.flush();
  return out;
}

/**
 * Scans pushed commits on the server: a verified GitHub push to a mapped repository queues a job
 * (one per delivery) that reads each commit's changed files through the GitHub REST API, runs the
 * secret rules over the added lines and records redacted findings for the service; a changed
 * lockfile is read again and its dependencies re-matched against the stored advisories.
 */
export function createPushScanService(
  ctx: SecurityContext,
  findings: FindingsService,
  advisories: AdvisoriesService,
) {
  const { db, clock, jobs, catalog } = ctx;
  const scanner = new SecretScanner();
  const api = ctx.github;

  async function github<T>(path: string, accept = 'application/vnd.github+json'): Promise<T | null> {
    if (!api?.token) throw new GithubApiError(0, 'No GitHub token is configured (ENGOPS_GITHUB_TOKEN).');
    const response = await fetch(`${api.url}${path}`, {
      headers: {
        accept,
        'user-agent': 'engops',
        'x-github-api-version': '2022-11-28',
        ...(api.token ? { authorization: `Bearer ${api.token}` } : {}),
      },
      signal: AbortSignal.timeout(30_000),
    });
    if (response.status === 404 || response.status === 422) return null;
    if (!response.ok)
      throw new GithubApiError(response.status, `GitHub API ${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  }

  const encodePath = (file: string) => file.split('/').map(encodeURIComponent).join('/');

  async function lockfileText(repository: string, file: string, sha: string): Promise<string | null> {
    const body = await github<{ content?: string; encoding?: string }>(
      `/repos/${repository}/contents/${encodePath(file)}?ref=${encodeURIComponent(sha)}`,
    );
    if (!body || typeof body.content !== 'string') return null;
    return body.encoding === 'base64' ? Buffer.from(body.content, 'base64').toString('utf8') : body.content;
  }

  async function scan(payload: PushScanPayload): Promise<{ secrets: number; lockfiles: number }> {
    const service = await catalog.findService(payload.service_id);
    if (!service) return { secrets: 0, lockfiles: 0 };
    const found = new Map<string, Finding>();
    // The newest version of each lockfile the push touched (null: removed).
    const lockfiles = new Map<string, string | null>();
    for (const pushed of payload.commits) {
      const commit = await github<GithubCommit>(
        `/repos/${payload.repository}/commits/${encodeURIComponent(pushed.sha)}`,
      );
      if (!commit) continue;
      const who = commit.commit?.author;
      const author = pushed.author ?? (who?.name ? `${who.name}${who.email ? ` <${who.email}>` : ''}` : null);
      for (const file of commit.files ?? []) {
        if (!file.filename) continue;
        if (file.patch) {
          const info = { commit: pushed.sha, ...(author ? { author } : {}) };
          for (const f of scanner.scanLines(addedLines(file.filename, file.patch), file.filename, info))
            if (!found.has(f.fingerprint)) found.set(f.fingerprint, f);
        }
        if (isLockfile(file.filename))
          lockfiles.set(file.filename, file.status === 'removed' ? null : pushed.sha);
      }
    }
    if (found.size > 0) {
      // Only the redacted form and the fingerprint are stored, never the secret.
      const uploaded: UploadedFinding[] = [...found.values()].map((f) => ({
        fingerprint: f.fingerprint,
        rule: f.rule,
        title: `${f.description}: ${f.redacted}`.slice(0, 500),
        severity: 'high',
        file: f.file,
        line: f.line,
        commit: f.commit ?? null,
        author: f.author?.slice(0, 300) ?? null,
      }));
      await findings.upload(
        { principal: systemPrincipal },
        { service_id: service.id, kind: 'secret', tool: PUSH_SCAN_TOOL, complete: false, findings: uploaded },
        () => {},
      );
    }
    if (lockfiles.size > 0) {
      const parsed = new Map<string, ReturnType<typeof parseLockfile>>();
      for (const [file, sha] of lockfiles) {
        if (sha === null) {
          parsed.set(file, []);
          continue;
        }
        const text = await lockfileText(payload.repository, file, sha);
        if (text === null) continue;
        try {
          parsed.set(file, parseLockfile(file, text));
        } catch {
          // A lockfile that does not parse keeps the inventory it had.
        }
      }
      await db.transaction().execute(async (tx) => {
        const at = clock.now().toISOString();
        for (const [file, deps] of parsed) {
          await tx
            .deleteFrom('security_dependencies')
            .where('service_id', '=', service.id)
            .where('file', '=', file)
            .execute();
          const rows = deps.map((d) => ({
            id: newId('sd'),
            service_id: service.id,
            team_id: service.team_id,
            file,
            ecosystem: d.ecosystem,
            name: d.name,
            version: d.version,
            direct: d.direct ? 1 : 0,
            dev: d.dev ? 1 : 0,
            path: JSON.stringify(d.path),
            uploaded_at: at,
          }));
          for (let i = 0; i < rows.length; i += 200)
            await tx
              .insertInto('security_dependencies')
              .values(rows.slice(i, i + 200))
              .execute();
        }
      });
      if (parsed.size > 0) await advisories.rescan([service.id]);
    }
    return { secrets: found.size, lockfiles: lockfiles.size };
  }

  ctx.worker?.register(PUSH_SCAN_JOB, async (job) => {
    await scan(job.payload as PushScanPayload);
  });

  return {
    scan,
    /** DORA's code-host subscriber: queues a scan of each verified GitHub push to a mapped service. */
    async handle(
      delivery: CodeHostDelivery,
    ): Promise<{ status: 'processed' | 'duplicate' | 'ignored'; detail: string } | null> {
      // Push scans read the code through the GitHub API: off until a token is configured.
      if (!api?.token || delivery.provider !== 'github' || delivery.event !== 'push') return null;
      const push = delivery.payload as {
        after?: string;
        deleted?: boolean;
        repository?: { full_name?: string };
        commits?: Array<{ id?: string; author?: { name?: string; email?: string } }>;
      } | null;
      const repository = push?.repository?.full_name;
      if (!push || !repository || !/^[\w.-]+\/[\w.-]+$/.test(repository) || push.deleted)
        return { status: 'ignored', detail: 'security: push not scanned (no repository or a deleted ref)' };
      const service = await ctx.repositories?.serviceForRepository(repositoryKeys(push));
      if (!service) return { status: 'ignored', detail: 'security: no service has this repository_url' };
      const commits: PushCommit[] = (push.commits ?? [])
        .filter(
          (c): c is { id: string; author?: { name?: string; email?: string } } =>
            typeof c.id === 'string' && /^[0-9a-f]{7,64}$/i.test(c.id),
        )
        .slice(-MAX_COMMITS)
        .map((c) => ({
          sha: c.id,
          author: c.author?.name ? `${c.author.name}${c.author.email ? ` <${c.author.email}>` : ''}` : null,
        }));
      if (commits.length === 0) return { status: 'ignored', detail: 'security: push has no commits to scan' };
      const dedupeKey = `security:push-scan:${delivery.deliveryId ?? `${repository}@${push.after ?? commits.at(-1)?.sha}`}`;
      const seen = await db
        .selectFrom('jobs')
        .select('id')
        .where('dedupe_key', '=', dedupeKey)
        .executeTakeFirst();
      if (seen) return { status: 'duplicate', detail: 'security: this push was already queued for scanning' };
      const payload: PushScanPayload = {
        service_id: service.id,
        repository,
        delivery_id: delivery.deliveryId,
        commits,
      };
      await jobs.enqueue(db, { kind: PUSH_SCAN_JOB, payload, dedupeKey });
      return { status: 'processed', detail: `security: ${commits.length} commit(s) queued for scanning` };
    },
  };
}

export type PushScanService = ReturnType<typeof createPushScanService>;
