import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import {
  GIT_IMPORT_MAX_COMMITS,
  GIT_IMPORT_MAX_LINKS,
  type GitImportResult,
  type GitImportState,
} from '@engops/contracts';
import { CliError } from '../../cli-error.ts';

/**
 * `engops import git`: a local repository's history into engops, streaming.
 *
 * 1. Ask where the last import stopped (the commits it reached, the tags it recorded).
 * 2. Stream `git log <ref> <tags> --not <reached>` and send the commits in batches, one request in
 *    flight while the next batch is read.
 * 3. Each matching tag not recorded yet becomes a successful deployment finished at the tag's date
 *    (tagger date; a lightweight tag's commit date) shipping the commits it holds that no earlier
 *    tag held (`git rev-list <tag> --not <earlier tags>`, merges and squashes included).
 * 4. Report the commits reached, so that a re-run reads only what is new.
 */

/** Requests stay well under the server's default 1 MiB body limit. */
const BATCH_BYTES = 700_000;
const SHAS_PER_REQUEST = 15_000;

export interface GitCommitBatchItem {
  sha: string;
  committed_at: string;
  authored_at: string;
  message: string;
}

export interface GitImportBatchInput {
  service_id: string;
  commits: GitCommitBatchItem[];
  deployments: Array<{
    tag: string;
    commit_sha: string;
    finished_at: string;
    environment?: string;
    shas: string[];
  }>;
  tips?: string[];
}

/** Where batches go: the API of a server, or the services on a local database. */
export interface GitImportSink {
  state(): Promise<GitImportState>;
  send(batch: GitImportBatchInput): Promise<GitImportResult>;
}

export interface GitImportOptions {
  path: string;
  service: string;
  /** fnmatch pattern of the tags that are deployments (`v*`); none: commits only. */
  deployTags?: string | undefined;
  /** The branch or ref whose history is imported (default HEAD). */
  ref?: string | undefined;
  environment?: string | undefined;
  batchSize?: number | undefined;
  onProgress?: ((p: { phase: 'commits' | 'tags'; done: number; total: number }) => void) | undefined;
}

export interface GitImportSummary {
  commits_read: number;
  commits_created: number;
  tags_matched: number;
  deployments_created: number;
  deployments_existing: number;
  already_imported: boolean;
}

function git(cwd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else
        reject(
          new CliError(`git ${args[0]} failed in ${cwd}: ${Buffer.concat(err).toString('utf8').trim()}`),
        );
    });
    if (input !== undefined) {
      // git may exit before reading all of it (an error); its exit code reports that.
      child.stdin?.on('error', () => {});
      child.stdin?.end(input);
    }
  });
}

interface Tag {
  name: string;
  sha: string;
  at: string;
}

async function matchingTags(cwd: string, pattern: string): Promise<Tag[]> {
  const out = await git(cwd, [
    'for-each-ref',
    '--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)%00%(creatordate:iso-strict)',
    `refs/tags/${pattern}`,
  ]);
  const tags: Tag[] = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [name = '', object = '', peeled = '', date = ''] = line.split('\0');
    const at = Date.parse(date);
    if (!name || Number.isNaN(at)) continue;
    tags.push({ name, sha: peeled || object, at: new Date(at).toISOString() });
  }
  // Deployments in the order they happened (then by name for tags of the same second).
  return tags.sort((a, b) => a.at.localeCompare(b.at) || a.name.localeCompare(b.name));
}

/** Which of these shas name commits in the repository (tips of another clone may not). */
async function existingCommits(cwd: string, shas: string[]): Promise<string[]> {
  if (!shas.length) return [];
  const out = await git(
    cwd,
    ['cat-file', '--batch-check=%(objectname) %(objecttype)'],
    `${shas.join('\n')}\n`,
  );
  return out
    .split('\n')
    .filter((line) => line.endsWith(' commit'))
    .map((line) => line.slice(0, line.indexOf(' ')));
}

/** The output lines of a git command given `revisions` on stdin, streamed. */
async function* gitLines(cwd: string, args: string[], revisions: string[]): AsyncGenerator<string> {
  const child = spawn('git', args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const closed = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  child.stdin.on('error', () => {});
  child.stdin.end(`${revisions.join('\n')}\n`);
  yield* createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
  const code = await closed;
  if (code !== 0) throw new CliError(`git ${args[0]} failed in ${cwd}: ${stderr.trim()}`);
}

/** Streams `git log` over revisions given on stdin, one parsed commit at a time. */
async function* logCommits(cwd: string, revisions: string[]): AsyncGenerator<GitCommitBatchItem> {
  const format = '--format=%H%x1f%cI%x1f%aI%x1f%s';
  for await (const line of gitLines(cwd, ['log', '--stdin', '--no-color', format], revisions)) {
    const [sha = '', committed = '', authored = '', message = ''] = line.split('\x1f');
    if (sha.length < 40) continue;
    yield {
      sha,
      committed_at: new Date(committed).toISOString(),
      authored_at: new Date(authored).toISOString(),
      message: message.slice(0, 10_000),
    };
  }
}

export async function importGitHistory(
  options: GitImportOptions,
  sink: GitImportSink,
): Promise<GitImportSummary> {
  const cwd = options.path;
  try {
    await git(cwd, ['rev-parse', '--git-dir']);
  } catch {
    throw new CliError(`${cwd} is not a git repository`);
  }
  const batchSize = Math.min(GIT_IMPORT_MAX_COMMITS, options.batchSize ?? GIT_IMPORT_MAX_COMMITS);
  const ref = options.ref ?? 'HEAD';
  const head = (
    await git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => '')
  ).trim();
  if (!head) throw new CliError(`${ref} names no commit in ${cwd} (--ref)`);

  const state = await sink.state();
  const tags = options.deployTags ? await matchingTags(cwd, options.deployTags) : [];
  const recorded = new Set(state.tags);
  const reached = await existingCommits(cwd, state.tips);
  const heads = [...new Set([head, ...tags.map((t) => t.sha)])];
  const revisions = [...heads, ...reached.map((sha) => `^${sha}`)];

  // ---- commits
  const total = Number(
    (await git(cwd, ['rev-list', '--stdin', '--count'], `${revisions.join('\n')}\n`)).trim(),
  );
  let read = 0;
  let created = 0;
  let inFlight: Promise<void> | null = null;
  const send = (commits: GitCommitBatchItem[]) => {
    const previous = inFlight;
    inFlight = (async () => {
      if (previous) await previous;
      const result = await sink.send({ service_id: options.service, commits, deployments: [] });
      created += result.commits_created;
    })();
  };
  let batch: GitCommitBatchItem[] = [];
  let batchBytes = 0;
  options.onProgress?.({ phase: 'commits', done: 0, total });
  for await (const commit of logCommits(cwd, revisions)) {
    batch.push(commit);
    batchBytes += 160 + Buffer.byteLength(commit.message) * 2;
    read++;
    if (batch.length >= batchSize || batchBytes >= BATCH_BYTES) {
      batchBytes = 0;
      // At most one request in flight: the previous batch is stored before this one is sent.
      const pending: Promise<void> | null = inFlight;
      if (pending) await pending;
      send(batch);
      batch = [];
      options.onProgress?.({ phase: 'commits', done: read, total });
    }
  }
  if (batch.length) send(batch);
  if (inFlight) await inFlight;
  options.onProgress?.({ phase: 'commits', done: read, total });

  // ---- tags as deployments: their commit lists read a few at a time, sent in requests kept
  // under the server's body limit (a tag with more commits than fit is sent in parts).
  let deploymentsCreated = 0;
  const fresh = tags.map((tag, i) => ({ tag, i })).filter(({ tag }) => !recorded.has(tag.name));
  options.onProgress?.({ phase: 'tags', done: 0, total: fresh.length });
  let done = 0;
  const linksPerRequest = Math.min(SHAS_PER_REQUEST, batchSize * 3);
  let pending: GitImportBatchInput['deployments'] = [];
  let pendingShas = 0;
  const flush = async () => {
    if (!pending.length) return;
    const deployments = pending;
    pending = [];
    pendingShas = 0;
    const result = await sink.send({ service_id: options.service, commits: [], deployments });
    deploymentsCreated += result.deployments_created;
  };
  // One walk over the history the fresh tags add: every commit reachable from a fresh tag (or a
  // later recorded one) and not from the tags before the first fresh one, with its parents. Then,
  // tag by tag in date order, the commits not yet held by an earlier tag: exactly
  // `git rev-list <tag> --not <earlier tags>`, without a git process per tag.
  const first = fresh[0]?.i ?? tags.length;
  const parents = new Map<string, string[]>();
  if (fresh.length) {
    const walk = [...tags.slice(first).map((t) => t.sha), ...tags.slice(0, first).map((t) => `^${t.sha}`)];
    for await (const line of gitLines(cwd, ['log', '--stdin', '--format=%H %P'], walk)) {
      const [sha, ...rest] = line.split(' ');
      if (sha) parents.set(sha, rest.filter(Boolean));
    }
  }
  const held = new Set<string>();
  for (const tag of tags.slice(first)) {
    const shas: string[] = [];
    const stack = [tag.sha];
    while (stack.length) {
      const sha = stack.pop() as string;
      const up = parents.get(sha);
      if (!up || held.has(sha)) continue;
      held.add(sha);
      shas.push(sha);
      stack.push(...up);
    }
    if (recorded.has(tag.name)) continue;
    const capped = shas.slice(0, GIT_IMPORT_MAX_LINKS);
    for (let from = 0; from === 0 || from < capped.length; from += linksPerRequest) {
      const part = capped.slice(from, from + linksPerRequest);
      if (pending.length >= 100 || pendingShas + part.length > linksPerRequest) await flush();
      pending.push({
        tag: tag.name,
        commit_sha: tag.sha,
        finished_at: tag.at,
        ...(options.environment ? { environment: options.environment } : {}),
        shas: part,
      });
      pendingShas += part.length;
    }
    options.onProgress?.({ phase: 'tags', done: ++done, total: fresh.length });
  }
  await flush();
  // Each tag once (parts after the first of a large tag come back as "existing"): the tags not
  // created now were recorded by an earlier, interrupted run.
  const deploymentsExisting = fresh.length - deploymentsCreated;

  // ---- where this import stopped
  const tips = [...new Set([...heads, ...reached])].slice(0, 10_000);
  const unchanged = read === 0 && fresh.length === 0 && tips.every((t) => state.tips.includes(t));
  if (!unchanged) await sink.send({ service_id: options.service, commits: [], deployments: [], tips });
  return {
    commits_read: read,
    commits_created: created,
    tags_matched: tags.length,
    deployments_created: deploymentsCreated,
    deployments_existing: deploymentsExisting,
    already_imported: unchanged,
  };
}
