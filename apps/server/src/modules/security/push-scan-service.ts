import { createHash } from 'node:crypto';
import type { Service, UploadedFinding } from '@engops/contracts';
import { systemPrincipal } from '../../platform/access/permissions.ts';
import type { AuditContext } from '../../platform/audit.ts';
import { createGitlabApi, type GitlabApi, gitlabProjectId } from '../../platform/gitlab-api.ts';
import { newId } from '../../platform/ids.ts';
import { type CodeHostDelivery, gitlabRepositoryKeys, repositoryKey, repositoryKeys } from '../dora/index.ts';
import {
  ignoreCoverage,
  inventoryRow,
  matchStoredInventory,
  notIgnored,
  storeIgnores,
  toUploadedDependency,
} from './dependency-inventory.ts';
import { type Dependency, isLockfile, parseLockfile } from './deps/lockfiles.ts';
import { ecosystemOf, normalizeName } from './deps/osv.ts';
import { type DepFinding, type IgnoreEntry, parseIgnoreEntries } from './deps/scan-deps.ts';
import type { FindingsService } from './findings-service.ts';
import { REPOSITORY_SCAN_FILES } from './repository-files.ts';
import { applyBaseline, parseBaseline, parseIgnoreFile } from './secrets/baseline.ts';
import { scannerOptionsFromConfig } from './secrets/custom-rules.ts';
import { DiffParser } from './secrets/git-history.ts';
import { type Finding, type ScannerOptions, SecretScanner } from './secrets/scanner.ts';
import { allServices, type SecurityContext } from './security-deps.ts';

export const PUSH_SCAN_JOB = 'security.push_scan';
export const PUSH_SCAN_TOOL = 'engops-push-scan';
/** One service's repository read at its default branch (queued daily per service). */
export const REPOSITORY_SCAN_JOB = 'security.repository_scan';
export const DAILY_REPOSITORY_SCAN_JOB = 'security.repository_scan.daily';
const DAY_MS = 24 * 3600 * 1000;
/** Commits of one push that are fetched and scanned, the newest (a GitHub push webhook lists up to 2,048; GitLab the last 20, the rest read through its compare API). */
const MAX_COMMITS = 100;
/** Pages of a GitLab commit diff read (100 files a page). */
const MAX_DIFF_PAGES = 20;

/**
 * The rule of the finding that reports an invalid scanner file (the scan ran with the defaults
 * instead); it is marked fixed once a later scan reads that file valid or finds it gone.
 */
export const SCAN_CONFIG_RULE = 'engops-scan-config';

/** A repository scanner file that could not be used. */
interface ConfigProblem {
  file: string;
  kind: 'secret' | 'dependency';
  message: string;
}

interface PushCommit {
  sha: string;
  author: string | null;
}
interface PushScanPayload {
  /** Absent in jobs queued before GitLab pushes were scanned: GitHub. */
  provider?: 'github' | 'gitlab';
  service_id: string;
  /** GitHub's `owner/name`, or GitLab's `path_with_namespace`. */
  repository: string;
  /** GitLab's numeric project id, when the push named it (survives a project rename). */
  project_id?: number | null;
  delivery_id: string | null;
  commits: PushCommit[];
  /**
   * A push with more commits than its payload lists (GitLab lists the last 20): the range the job
   * reads the full commit list from (the host's compare API).
   */
  range?: { before: string; after: string } | null;
}

/** One file a pushed commit changed, as the scanner sees it whatever the code host. */
export interface ChangedFile {
  path: string;
  removed: boolean;
  /** The unified diff hunks (no file headers); null when the host sends none (binary, too large). */
  patch: string | null;
}
/** What a push scan reads from a code host: a commit's changes and a file at a commit. */
export interface CodeHostReader {
  /** The commit's author and changed files; null when the commit is gone. */
  commit(
    sha: string,
    knownAuthor: string | null,
  ): Promise<{ author: string | null; files: ChangedFile[] } | null>;
  /** A file's text at `sha`; null when it is not there. */
  file(path: string, sha: string): Promise<string | null>;
  /** The commits after `before` up to `after`, oldest first; null when the host cannot say. */
  between?(before: string, after: string): Promise<PushCommit[] | null>;
  /** The default branch's head commit and the lockfiles in its tree; null when the repository is gone. */
  head(): Promise<{ sha: string; lockfiles: string[] } | null>;
}

/** Lockfiles read from one tree by a scheduled repository scan. */
const MAX_TREE_LOCKFILES = 50;

interface GithubCommit {
  sha?: string;
  commit?: { author?: { name?: string; email?: string } | null };
  files?: Array<{ filename?: string; status?: string; patch?: string }>;
}
/** One entry of GitLab's `GET /projects/:id/repository/commits/:sha/diff`. */
interface GitlabDiff {
  old_path?: string;
  new_path?: string;
  new_file?: boolean;
  renamed_file?: boolean;
  deleted_file?: boolean;
  diff?: string;
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

/** The added lines of a file patch (hunks only, no headers), with their new line numbers. */
export function addedLines(file: string, patch: string): Array<{ text: string; line: number }> {
  const out: Array<{ text: string; line: number }> = [];
  const parser = new DiffParser((_file, lines) => out.push(...lines));
  parser.push(`+++ b/${file}`);
  for (const line of patch.split('\n')) parser.push(line.replace(/\r$/, ''));
  parser.flush();
  return out;
}

const person = (name?: string | null, email?: string | null) =>
  name ? `${name}${email ? ` <${email}>` : ''}` : null;
const encodePath = (file: string) => file.split('/').map(encodeURIComponent).join('/');
const decodeContent = (body: { content?: string; encoding?: string } | null) =>
  !body || typeof body.content !== 'string'
    ? null
    : body.encoding === 'base64'
      ? Buffer.from(body.content, 'base64').toString('utf8')
      : body.content;

/** Reads commits through the GitHub REST API (`ENGOPS_GITHUB_API_URL`, `ENGOPS_GITHUB_TOKEN`). */
export function githubReader(api: { url: string; token?: string } | undefined, repository: string) {
  async function github<T>(path: string): Promise<T | null> {
    if (!api?.token) throw new GithubApiError(0, 'No GitHub token is configured (ENGOPS_GITHUB_TOKEN).');
    const response = await fetch(`${api.url}${path}`, {
      headers: {
        accept: 'application/vnd.github+json',
        'user-agent': 'engops',
        'x-github-api-version': '2022-11-28',
        authorization: `Bearer ${api.token}`,
      },
      signal: AbortSignal.timeout(30_000),
    });
    if (response.status === 404 || response.status === 422) return null;
    if (!response.ok)
      throw new GithubApiError(response.status, `GitHub API ${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  }
  const reader: CodeHostReader = {
    async commit(sha) {
      const commit = await github<GithubCommit>(`/repos/${repository}/commits/${encodeURIComponent(sha)}`);
      if (!commit) return null;
      return {
        author: person(commit.commit?.author?.name, commit.commit?.author?.email),
        files: (commit.files ?? [])
          .filter((f): f is typeof f & { filename: string } => typeof f.filename === 'string')
          .map((f) => ({ path: f.filename, removed: f.status === 'removed', patch: f.patch ?? null })),
      };
    },
    async head() {
      const repo = await github<{ default_branch?: string }>(`/repos/${repository}`);
      if (!repo?.default_branch) return null;
      const branch = await github<{ commit?: { sha?: string } }>(
        `/repos/${repository}/branches/${encodeURIComponent(repo.default_branch)}`,
      );
      const sha = branch?.commit?.sha;
      if (!sha) return null;
      const tree = await github<{ tree?: Array<{ path?: string; type?: string }> }>(
        `/repos/${repository}/git/trees/${encodeURIComponent(sha)}?recursive=1`,
      );
      const lockfiles = (tree?.tree ?? [])
        .filter((e) => e.type === 'blob' && typeof e.path === 'string' && isLockfile(e.path))
        .map((e) => e.path as string);
      return { sha: sha.toLowerCase(), lockfiles: lockfiles.slice(0, MAX_TREE_LOCKFILES) };
    },
    async file(path, sha) {
      return decodeContent(
        await github<{ content?: string; encoding?: string }>(
          `/repos/${repository}/contents/${encodePath(path)}?ref=${encodeURIComponent(sha)}`,
        ),
      );
    },
  };
  return reader;
}

/** Reads commits through the GitLab REST API (the shared client: `ENGOPS_GITLAB_API_URL`, `ENGOPS_GITLAB_TOKEN`). */
export function gitlabReader(api: GitlabApi, projectId: string) {
  const base = `/projects/${projectId}/repository`;
  const reader: CodeHostReader = {
    async commit(sha, knownAuthor) {
      const diffs = await api.list<GitlabDiff>(
        `${base}/commits/${encodeURIComponent(sha)}/diff`,
        MAX_DIFF_PAGES,
      );
      // Push payloads name each commit's author; the commit is read only when one does not.
      let author = knownAuthor;
      if (author === null) {
        const commit = await api.get<{ author_name?: string; author_email?: string }>(
          `${base}/commits/${encodeURIComponent(sha)}`,
        );
        author = person(commit?.author_name, commit?.author_email);
      }
      return {
        author,
        files: diffs
          .filter((d): d is GitlabDiff & { new_path: string } => typeof d.new_path === 'string')
          .map((d) => ({ path: d.new_path, removed: d.deleted_file === true, patch: d.diff || null })),
      };
    },
    async between(before, after) {
      const compare = await api.get<{
        commits?: Array<{ id?: string; author_name?: string; author_email?: string }>;
      }>(`${base}/compare?from=${encodeURIComponent(before)}&to=${encodeURIComponent(after)}`);
      if (!compare?.commits) return null;
      return compare.commits
        .filter(
          (c): c is typeof c & { id: string } => typeof c.id === 'string' && /^[0-9a-f]{7,64}$/i.test(c.id),
        )
        .map((c) => ({ sha: c.id.toLowerCase(), author: person(c.author_name, c.author_email) }));
    },
    async head() {
      const project = await api.get<{ default_branch?: string }>(`/projects/${projectId}`);
      if (!project?.default_branch) return null;
      const branch = await api.get<{ commit?: { id?: string } }>(
        `${base}/branches/${encodeURIComponent(project.default_branch)}`,
      );
      const sha = branch?.commit?.id;
      if (!sha) return null;
      const tree = await api.list<{ path?: string; type?: string }>(
        `${base}/tree?recursive=true&ref=${encodeURIComponent(sha)}`,
        MAX_DIFF_PAGES,
      );
      const lockfiles = tree
        .filter((e) => e.type === 'blob' && typeof e.path === 'string' && isLockfile(e.path))
        .map((e) => e.path as string);
      return { sha: sha.toLowerCase(), lockfiles: lockfiles.slice(0, MAX_TREE_LOCKFILES) };
    },
    async file(path, sha) {
      // The JSON form of "Get file from repository" (base64 content): the shared client reads JSON.
      return decodeContent(
        await api.get<{ content?: string; encoding?: string }>(
          `${base}/files/${encodeURIComponent(path)}?ref=${encodeURIComponent(sha)}`,
        ),
      );
    },
  };
  return reader;
}

/** An open dependency finding as the auto-resolution reads it. */
export interface OpenDependencyFinding {
  id: string;
  fingerprint: string;
  rule: string;
  file: string;
  package: string | null;
  ecosystem: string | null;
  fixed_version: string | null;
}

/**
 * Which open dependency findings a push fixed: those in a lockfile the push changed whose advisory
 * no longer matches any version of the package in that lockfile (upgraded past the fix, or gone).
 * A package still affected at another version keeps its finding open. Pure.
 */
export function resolvedByPush(
  open: readonly OpenDependencyFinding[],
  lockfiles: ReadonlyMap<string, { deps: readonly Dependency[]; commit: string; removed: boolean }>,
  stillMatched: ReadonlyArray<Pick<UploadedFinding, 'fingerprint' | 'rule' | 'package' | 'file'>>,
): Array<{ id: string; reason: string }> {
  const matched = new Set(stillMatched.map((f) => f.fingerprint));
  const affected = new Set(stillMatched.map((f) => `${f.rule}\u0000${f.package}\u0000${f.file}`));
  const out: Array<{ id: string; reason: string }> = [];
  for (const f of open) {
    const lock = lockfiles.get(f.file);
    if (!lock || !f.package || matched.has(f.fingerprint)) continue;
    if (affected.has(`${f.rule}\u0000${f.package}\u0000${f.file}`)) continue;
    const at = `commit ${lock.commit.slice(0, 12)}`;
    if (lock.removed) {
      out.push({ id: f.id, reason: `${f.file} was removed by ${at}` });
      continue;
    }
    const ecosystem = ecosystemOf(f.ecosystem ?? undefined);
    const name = ecosystem ? normalizeName(ecosystem, f.package) : f.package;
    const versions = [
      ...new Set(
        lock.deps
          .filter(
            (d) =>
              (ecosystem ? d.ecosystem === ecosystem : true) && normalizeName(d.ecosystem, d.name) === name,
          )
          .map((d) => d.version),
      ),
    ];
    out.push({
      id: f.id,
      reason:
        versions.length === 0
          ? `${f.package} is no longer in ${f.file} (${at})`
          : `${f.package} upgraded to ${versions.join(', ')} in ${f.file}${f.fixed_version ? `, past the fixed version ${f.fixed_version}` : ''}; ${f.rule} no longer applies (${at})`,
    });
  }
  return out;
}

/**
 * Scans pushed commits on the server: a verified GitHub or GitLab push to a mapped repository
 * queues a job (one per delivery) that reads each commit's changed files through the host's REST
 * API, runs the secret rules over the added lines and records redacted findings for the service; a
 * changed lockfile is read again, its dependencies re-matched against the stored advisories, and
 * dependency findings the push upgraded past their fix are resolved. Once a day each mapped
 * repository's default branch is read the same way (its lockfiles only). The repository's own
 * scanner files (`REPOSITORY_SCAN_FILES`: custom rules and allowlists, ignored fingerprints, a
 * baseline, dependency ignore entries) are read at the pushed commit and applied as the CLI applies
 * them; an invalid one is filed as an `engops-scan-config` finding and the defaults are used. Only
 * the reading differs between hosts (`CodeHostReader`); the scanning is shared.
 */
export function createPushScanService(ctx: SecurityContext, findings: FindingsService) {
  const { db, clock, jobs, catalog } = ctx;
  const defaultScanner = new SecretScanner();
  const github = ctx.github;
  const gitlab = ctx.gitlab ? createGitlabApi(ctx.gitlab) : undefined;

  function readerFor(payload: PushScanPayload): CodeHostReader {
    if (payload.provider === 'gitlab') {
      if (!gitlab) throw new Error('No GitLab API is configured (ENGOPS_GITLAB_TOKEN).');
      const project =
        typeof payload.project_id === 'number'
          ? String(payload.project_id)
          : gitlabProjectId(payload.repository);
      return gitlabReader(gitlab, project);
    }
    return githubReader(github, payload.repository);
  }

  /**
   * One of the repository's scanner files at `sha`, parsed by `parse`: null when it is not there
   * (the defaults apply) or does not parse (the problem is noted, the defaults apply).
   */
  async function readScanFile<T>(
    reader: CodeHostReader,
    sha: string,
    file: string,
    kind: ConfigProblem['kind'],
    parse: (text: string) => T,
    problems: ConfigProblem[],
  ): Promise<T | null> {
    const text = await reader.file(file, sha);
    if (text === null) return null;
    try {
      return parse(text);
    } catch (error) {
      problems.push({ file, kind, message: error instanceof Error ? error.message : String(error) });
      return null;
    }
  }

  /** The repository's secret-scanner settings at `sha`: config (custom rules, allowlists), ignore file, baseline. */
  async function secretSettings(reader: CodeHostReader, sha: string, problems: ConfigProblem[]) {
    const { secretsConfig, secretsIgnore, secretsBaseline } = REPOSITORY_SCAN_FILES;
    const options = await readScanFile<ScannerOptions>(
      reader,
      sha,
      secretsConfig,
      'secret',
      (text) => {
        let data: unknown;
        try {
          data = JSON.parse(text);
        } catch (error) {
          throw new Error(`config ${secretsConfig} is not JSON: ${(error as Error).message}`);
        }
        return scannerOptionsFromConfig(data, secretsConfig);
      },
      problems,
    );
    const known = new Set<string>();
    const ignored = await readScanFile(
      reader,
      sha,
      secretsIgnore,
      'secret',
      (text) => parseIgnoreFile(text, secretsIgnore),
      problems,
    );
    const baseline = await readScanFile(
      reader,
      sha,
      secretsBaseline,
      'secret',
      (text) => parseBaseline(text, secretsBaseline),
      problems,
    );
    for (const fp of ignored ?? []) known.add(fp);
    for (const fp of baseline ?? []) known.add(fp);
    return { scanner: options ? new SecretScanner(options) : defaultScanner, known };
  }

  /** The ignore entries of the repository's `.engops-deps-ignore.json` at `sha` (none when missing or invalid). */
  async function depsIgnores(reader: CodeHostReader, sha: string, problems: ConfigProblem[]) {
    const file = REPOSITORY_SCAN_FILES.depsIgnore;
    return (
      (await readScanFile(
        reader,
        sha,
        file,
        'dependency',
        (text) => parseIgnoreEntries(text, file),
        problems,
      )) ?? []
    );
  }

  /**
   * Makes invalid scanner files visible with the scan's results: one finding per file (rule
   * `engops-scan-config`, tool `engops-push-scan`) that says what is wrong and that the scan ran
   * with the defaults. The finding is marked fixed when a later scan reads the file valid or gone.
   */
  async function recordProblems(
    service: Service,
    kind: ConfigProblem['kind'],
    checked: readonly string[],
    problems: readonly ConfigProblem[],
    sha: string,
  ) {
    const mine = problems.filter((p) => p.kind === kind);
    if (mine.length > 0)
      await findings.upload(
        { principal: { ...systemPrincipal, name: PUSH_SCAN_TOOL } },
        {
          service_id: service.id,
          kind,
          tool: PUSH_SCAN_TOOL,
          complete: false,
          findings: mine.map((p) => ({
            fingerprint: createHash('sha256').update(`${SCAN_CONFIG_RULE}\u0000${p.file}`).digest('hex'),
            rule: SCAN_CONFIG_RULE,
            title: `Invalid scanner file, scanned with the defaults: ${p.message}`.slice(0, 500),
            severity: 'medium',
            file: p.file,
            line: null,
            commit: sha,
          })),
        },
        () => {},
      );
    const fine = checked.filter((file) => !mine.some((p) => p.file === file));
    if (fine.length === 0) return;
    const open = await db
      .selectFrom('security_findings')
      .select(['id', 'file'])
      .where('service_id', '=', service.id)
      .where('kind', '=', kind)
      .where('rule', '=', SCAN_CONFIG_RULE)
      .where('status', 'in', ['open', 'acknowledged'])
      .where('file', 'in', fine)
      .execute();
    await findings.resolve(
      { principal: { ...systemPrincipal, name: PUSH_SCAN_TOOL } },
      open.map((f) => ({ id: f.id, reason: `${f.file} is valid or gone at commit ${sha.slice(0, 12)}` })),
    );
  }

  /** Acknowledges the open findings `ignores` cover, and opens again those no entry covers now. */
  async function followIgnores(
    service: Service,
    matched: readonly DepFinding[],
    ignores: readonly IgnoreEntry[],
  ) {
    const { covered, uncovered } = ignoreCoverage(matched, ignores, clock.now());
    await findings.followIgnores(service.id, covered, uncovered);
  }

  /**
   * Matches the service's stored inventory against the stored advisories (as the advisories
   * service's rescan does), leaves out what the repository's ignore entries cover (an expired entry
   * covers nothing), files the rest, and keeps the entries for later rescans. Returns every match,
   * ignored ones included, so a finding that is only ignored is not taken for fixed.
   */
  async function matchInventory(service: Service, ignores: readonly IgnoreEntry[], source: string | null) {
    const matched = await matchStoredInventory(db, service.id);
    if (source) await storeIgnores(db, service.id, ignores, source, clock.now().toISOString());
    // Entries read now also set aside what they cover among the findings filed before them.
    if (source) await followIgnores(service, matched, ignores);
    await findings.upload(
      { principal: systemPrincipal },
      {
        service_id: service.id,
        kind: 'dependency',
        tool: PUSH_SCAN_TOOL,
        complete: false,
        findings: notIgnored(matched, ignores, clock.now()).map(toUploadedDependency),
      },
      () => {},
    );
    return matched.map(toUploadedDependency);
  }

  /**
   * Shared by push and repository scans: each read lockfile replaces its part of the service's
   * inventory (audited), the service is re-matched against the stored advisories (less what the
   * repository's ignore entries cover), and open dependency findings in those lockfiles that no
   * longer match are resolved. Returns how many.
   */
  async function applyLockfiles(
    service: Service,
    parsed: Map<string, { deps: Dependency[]; commit: string; removed: boolean }>,
    action: string,
    ignores: readonly IgnoreEntry[],
    /** Where the ignore entries were read (`push:<sha>`, `repository:<sha>`), kept with them; null: not read. */
    source: string | null,
  ): Promise<number> {
    if (parsed.size === 0) return 0;
    const actx = { principal: { ...systemPrincipal, name: PUSH_SCAN_TOOL } };
    await db.transaction().execute(async (tx) => {
      const at = clock.now().toISOString();
      for (const [file, { deps }] of parsed) {
        await tx
          .deleteFrom('security_dependencies')
          .where('service_id', '=', service.id)
          .where('file', '=', file)
          .execute();
        const rows = deps.map((d) => inventoryRow(service, { ...d, file }, newId('sd'), at));
        for (let i = 0; i < rows.length; i += 200)
          await tx
            .insertInto('security_dependencies')
            .values(rows.slice(i, i + 200))
            .execute();
      }
      await ctx.audit.record(tx, actx, {
        action,
        targetType: 'service',
        targetId: service.id,
        teamId: service.team_id,
        after: {
          files: Object.fromEntries(
            [...parsed].map(([file, l]) => [
              file,
              { commit: l.commit, removed: l.removed, dependencies: l.deps.length },
            ]),
          ),
        },
      });
    });
    const matched = await matchInventory(service, ignores, source);
    const open = await db
      .selectFrom('security_findings')
      .select(['id', 'fingerprint', 'rule', 'file', 'package', 'ecosystem', 'fixed_version'])
      .where('service_id', '=', service.id)
      .where('kind', '=', 'dependency')
      .where('status', 'in', ['open', 'acknowledged'])
      .where('file', 'in', [...parsed.keys()])
      .execute();
    return findings.resolve(actx, resolvedByPush(open, parsed, matched));
  }

  /** Reads a lockfile at `sha`; null when it is missing or does not parse (the inventory keeps it). */
  async function readLockfile(reader: CodeHostReader, file: string, sha: string) {
    const text = await reader.file(file, sha);
    if (text === null) return null;
    try {
      return parseLockfile(file, text);
    } catch {
      return null;
    }
  }

  async function scan(
    payload: PushScanPayload,
  ): Promise<{ secrets: number; lockfiles: number; resolved: number }> {
    const service = await catalog.findService(payload.service_id);
    if (!service) return { secrets: 0, lockfiles: 0, resolved: 0 };
    const reader = readerFor(payload);
    let commits = payload.commits;
    if (payload.range && reader.between) {
      // The payload listed only the last commits: read them all (the newest MAX_COMMITS).
      const all = await reader.between(payload.range.before, payload.range.after);
      if (all && all.length > commits.length) {
        const known = new Map(commits.map((c) => [c.sha, c.author]));
        commits = all.slice(-MAX_COMMITS).map((c) => ({ sha: c.sha, author: known.get(c.sha) ?? c.author }));
      }
    }
    // The added lines of each changed file, scanned once the repository's settings are read.
    const added: Array<{
      path: string;
      lines: ReturnType<typeof addedLines>;
      info: { commit: string; author?: string };
    }> = [];
    // The newest version of each lockfile the push touched.
    const lockfiles = new Map<string, { commit: string; removed: boolean }>();
    let depsIgnoreChanged = false;
    for (const pushed of commits) {
      const commit = await reader.commit(pushed.sha, pushed.author);
      if (!commit) continue;
      const author = pushed.author ?? commit.author;
      for (const file of commit.files) {
        const lines = file.patch ? addedLines(file.path, file.patch) : [];
        if (lines.length > 0)
          added.push({ path: file.path, lines, info: { commit: pushed.sha, ...(author ? { author } : {}) } });
        if (isLockfile(file.path)) lockfiles.set(file.path, { commit: pushed.sha, removed: file.removed });
        if (file.path === REPOSITORY_SCAN_FILES.depsIgnore) depsIgnoreChanged = true;
      }
    }
    // The repository's scanner files are read at the pushed (newest) commit.
    const head = commits.at(-1)?.sha;
    const problems: ConfigProblem[] = [];
    const found = new Map<string, Finding>();
    if (head && added.length > 0) {
      const { scanner, known } = await secretSettings(reader, head, problems);
      for (const { path, lines, info } of added)
        for (const f of scanner.scanLines(lines, path, info))
          if (!found.has(f.fingerprint)) found.set(f.fingerprint, f);
      // Fingerprints in the ignore file or the baseline are not filed (as with the CLI).
      for (const f of applyBaseline([...found.values()], known).suppressed) found.delete(f.fingerprint);
      const { secretsConfig, secretsIgnore, secretsBaseline } = REPOSITORY_SCAN_FILES;
      await recordProblems(
        service,
        'secret',
        [secretsConfig, secretsIgnore, secretsBaseline],
        problems,
        head,
      );
    }
    if (found.size > 0) {
      // Only the redacted form and the fingerprint are stored, never the secret. Secret findings are
      // never resolved by a later push: the secret stays in the history until it is rotated.
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
    let resolved = 0;
    let ignores: IgnoreEntry[] = [];
    if (head && (lockfiles.size > 0 || depsIgnoreChanged)) {
      ignores = await depsIgnores(reader, head, problems);
      await recordProblems(service, 'dependency', [REPOSITORY_SCAN_FILES.depsIgnore], problems, head);
    }
    if (lockfiles.size > 0) {
      const parsed = new Map<string, { deps: Dependency[]; commit: string; removed: boolean }>();
      for (const [file, { commit, removed }] of lockfiles) {
        if (removed) {
          parsed.set(file, { deps: [], commit, removed });
          continue;
        }
        // A lockfile that is missing or does not parse keeps the inventory (and the findings) it had.
        const deps = await readLockfile(reader, file, commit);
        if (deps) parsed.set(file, { deps, commit, removed });
      }
      resolved = await applyLockfiles(
        service,
        parsed,
        'security.inventory.push',
        ignores,
        head ? `push:${head}` : null,
      );
    } else if (head && depsIgnoreChanged) {
      // Only the ignore file changed: keep its entries for the rescans, and set aside (or bring
      // back) the findings they cover now.
      await storeIgnores(db, service.id, ignores, `push:${head}`, clock.now().toISOString());
      await followIgnores(service, await matchStoredInventory(db, service.id), ignores);
    }
    return { secrets: found.size, lockfiles: lockfiles.size, resolved };
  }

  ctx.worker?.register(PUSH_SCAN_JOB, async (job) => {
    await scan(job.payload as PushScanPayload);
  });

  /**
   * Which configured code host serves a service's repository_url: GitLab when its host is the
   * GitLab API's (gitlab.com, or a self-managed instance), GitHub when it is github.com (public API)
   * or the GitHub API's host (Enterprise Server). Null when neither is configured for it.
   */
  function readerForService(service: Service): CodeHostReader | null {
    const key = repositoryKey(service.repository_url);
    if (!key) return null;
    const [host, ...rest] = key.split('/');
    const apiHost = (url: string) => {
      try {
        return new URL(url).hostname.toLowerCase();
      } catch {
        return null;
      }
    };
    if (gitlab?.configured && ctx.gitlab && host === apiHost(ctx.gitlab.url))
      return gitlabReader(gitlab, gitlabProjectId(rest.join('/')));
    if (github?.token && rest.length === 2) {
      const ghHost = apiHost(github.url);
      if (host === ghHost || (host === 'github.com' && ghHost === 'api.github.com'))
        return githubReader(github, rest.join('/'));
    }
    return null;
  }

  /**
   * A scheduled scan of one service's repository: the lockfiles of the default branch's head are
   * read and replace their part of the inventory, so a repository whose lockfiles did not change
   * since it was mapped is scanned too. Lockfiles not in the tree are left alone (a CLI upload may
   * name them from another root); a push that removes one empties it.
   */
  async function scanRepository(serviceId: string): Promise<{ lockfiles: number; resolved: number } | null> {
    const service = await catalog.findService(serviceId);
    if (!service) return null;
    const reader = readerForService(service);
    if (!reader) return null;
    const head = await reader.head();
    if (!head) return null;
    const parsed = new Map<string, { deps: Dependency[]; commit: string; removed: boolean }>();
    for (const file of head.lockfiles) {
      const deps = await readLockfile(reader, file, head.sha);
      if (deps) parsed.set(file, { deps, commit: head.sha, removed: false });
    }
    const problems: ConfigProblem[] = [];
    const ignores = await depsIgnores(reader, head.sha, problems);
    await recordProblems(service, 'dependency', [REPOSITORY_SCAN_FILES.depsIgnore], problems, head.sha);
    const resolved = await applyLockfiles(
      service,
      parsed,
      'security.inventory.repository',
      ignores,
      `repository:${head.sha}`,
    );
    return { lockfiles: parsed.size, resolved };
  }

  ctx.worker?.register(REPOSITORY_SCAN_JOB, async (job) => {
    await scanRepository(String((job.payload as { service_id?: unknown } | null)?.service_id ?? ''));
  });

  const nextDaily = (from: Date) => {
    const next = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate(), 2, 0, 0));
    return next.getTime() <= from.getTime() ? new Date(next.getTime() + DAY_MS) : next;
  };
  async function scheduleDaily(from: Date) {
    const at = nextDaily(from);
    await jobs.enqueue(db, {
      kind: DAILY_REPOSITORY_SCAN_JOB,
      runAt: at,
      dedupeKey: `security:repository-scan:daily:${at.toISOString().slice(0, 10)}`,
    });
  }
  ctx.worker?.register(DAILY_REPOSITORY_SCAN_JOB, async (job) => {
    // Tomorrow's run first, so a failing run never ends the series; one job per service, each retried alone.
    await scheduleDaily(new Date(clock.now().getTime() + 60_000));
    if (!gitlab?.configured && !github?.token) return;
    const day = job.runAt.slice(0, 10);
    for (const service of await allServices(catalog)) {
      if (!readerForService(service)) continue;
      await jobs.enqueue(db, {
        kind: REPOSITORY_SCAN_JOB,
        payload: { service_id: service.id },
        dedupeKey: `security:repository-scan:${service.id}:${day}`,
      });
    }
  });

  type Result = { status: 'processed' | 'duplicate' | 'ignored'; detail: string };

  async function enqueue(dedupeKey: string, payload: PushScanPayload): Promise<Result> {
    const seen = await db
      .selectFrom('jobs')
      .select('id')
      .where('dedupe_key', '=', dedupeKey)
      .executeTakeFirst();
    if (seen) return { status: 'duplicate', detail: 'security: this push was already queued for scanning' };
    await jobs.enqueue(db, { kind: PUSH_SCAN_JOB, payload, dedupeKey });
    return {
      status: 'processed',
      detail: `security: ${payload.commits.length} commit(s) queued for scanning`,
    };
  }

  const pushCommits = (
    commits: Array<{ id?: unknown; author?: { name?: string; email?: string } }> | undefined,
  ) =>
    (commits ?? [])
      .filter(
        (c): c is { id: string; author?: { name?: string; email?: string } } =>
          typeof c.id === 'string' && /^[0-9a-f]{7,64}$/i.test(c.id),
      )
      .slice(-MAX_COMMITS)
      .map((c) => ({ sha: c.id.toLowerCase(), author: person(c.author?.name, c.author?.email) }));

  async function handleGithub(delivery: CodeHostDelivery): Promise<Result> {
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
    const commits = pushCommits(push.commits);
    if (commits.length === 0) return { status: 'ignored', detail: 'security: push has no commits to scan' };
    return enqueue(
      `security:push-scan:${delivery.deliveryId ?? `${repository}@${push.after ?? commits.at(-1)?.sha}`}`,
      { provider: 'github', service_id: service.id, repository, delivery_id: delivery.deliveryId, commits },
    );
  }

  async function handleGitlab(delivery: CodeHostDelivery): Promise<Result> {
    const push = delivery.payload as {
      object_kind?: string;
      before?: string;
      after?: string;
      total_commits_count?: unknown;
      checkout_sha?: string | null;
      project_id?: unknown;
      project?: { id?: unknown; path_with_namespace?: string };
      commits?: Array<{ id?: string; author?: { name?: string; email?: string } }>;
    } | null;
    const repository = push?.project?.path_with_namespace;
    const projectId = push?.project?.id ?? push?.project_id;
    // A deleted branch arrives with `after` all zeros and no checkout_sha.
    const deleted = !push?.checkout_sha && /^0+$/.test(push?.after ?? '');
    if (!push || !repository || !/^[\w.-]+(\/[\w.-]+)+$/.test(repository) || deleted)
      return { status: 'ignored', detail: 'security: push not scanned (no project or a deleted branch)' };
    const service = await ctx.repositories?.serviceForRepository(gitlabRepositoryKeys(push));
    if (!service) return { status: 'ignored', detail: 'security: no service has this repository_url' };
    const commits = pushCommits(push.commits);
    if (commits.length === 0) return { status: 'ignored', detail: 'security: push has no commits to scan' };
    return enqueue(
      `security:push-scan:gitlab:${delivery.deliveryId ?? `${repository}@${push.after ?? commits.at(-1)?.sha}`}`,
      {
        provider: 'gitlab',
        service_id: service.id,
        repository,
        project_id: typeof projectId === 'number' && Number.isSafeInteger(projectId) ? projectId : null,
        delivery_id: delivery.deliveryId,
        commits,
        // GitLab lists the last 20 commits; a longer push onto an existing branch is read in full.
        range:
          typeof push.total_commits_count === 'number' &&
          push.total_commits_count > commits.length &&
          /^[0-9a-f]{40,64}$/i.test(push.before ?? '') &&
          !/^0+$/.test(push.before ?? '') &&
          /^[0-9a-f]{40,64}$/i.test(push.after ?? '')
            ? { before: push.before!.toLowerCase(), after: push.after!.toLowerCase() }
            : null,
      },
    );
  }

  /**
   * Queues a scan of the service's repository now (the daily scan's job), audited; a second request
   * in the same minute reuses the queued job. Null when no configured code host serves the
   * repository (no `repository_url`, or no token for its host).
   */
  async function requestRepositoryScan(actx: AuditContext, service: Service) {
    if (!readerForService(service)) return null;
    const minute = clock.now().toISOString().slice(0, 16);
    return db.transaction().execute(async (tx) => {
      const jobId = await jobs.enqueue(tx, {
        kind: REPOSITORY_SCAN_JOB,
        payload: { service_id: service.id },
        dedupeKey: `security:repository-scan:${service.id}:now:${minute}`,
      });
      await ctx.audit.record(tx, actx, {
        action: 'security.repository_scan.request',
        targetType: 'service',
        targetId: service.id,
        teamId: service.team_id,
        after: { job_id: jobId, repository_url: service.repository_url },
      });
      return { service_id: service.id, job_id: jobId, repository_url: service.repository_url ?? '' };
    });
  }

  return {
    scan,
    scanRepository,
    requestRepositoryScan,
    /** Puts the next daily repository scan in the job queue (idempotent). */
    start: () => scheduleDaily(clock.now()),
    /** DORA's code-host subscriber: queues a scan of each verified push to a mapped service. */
    async handle(delivery: CodeHostDelivery): Promise<Result | null> {
      // Push scans read the code through the host's API: off until its token is configured.
      if (delivery.provider === 'github' && delivery.event === 'push' && github?.token)
        return handleGithub(delivery);
      const kind = (delivery.payload as { object_kind?: unknown } | null)?.object_kind;
      if (delivery.provider === 'gitlab' && kind === 'push' && gitlab?.configured)
        return handleGitlab(delivery);
      return null;
    },
  };
}

export type PushScanService = ReturnType<typeof createPushScanService>;
