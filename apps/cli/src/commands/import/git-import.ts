import { spawn } from 'node:child_process';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import {
  GIT_IMPORT_MAX_COLUMN_COMMITS,
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

/** Requests stay well under the route's body limit (GIT_IMPORT_BODY_LIMIT, 32 MiB). */
const BATCH_BYTES = 8_000_000;
const SHAS_PER_REQUEST = 50_000;
/** Commits per request unless --batch says otherwise. */
export const DEFAULT_GIT_BATCH = 10_000;

/** A batch's commits as one array per field (the route's columnar form). */
export interface GitCommitColumnsInput {
  sha: string[];
  committed_at: string[];
  authored_at: string[];
  message: string[];
}

export interface GitImportBatchInput {
  service_id: string;
  columns?: GitCommitColumnsInput;
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
  /** Progress; `total` is null while the commits are still being counted (only done when given). */
  onProgress?: ((p: { phase: 'commits' | 'tags'; done: number; total: number | null }) => void) | undefined;
}

export interface GitImportSummary {
  commits_read: number;
  commits_created: number;
  tags_matched: number;
  deployments_created: number;
  deployments_existing: number;
  already_imported: boolean;
}

/** `lowPriority`: the process gets only CPU time nothing else wants (nice 19). */
/**
 * git's environment here: fully buffered output (GIT_FLUSH=0). To a pipe, `git log` otherwise
 * writes each commit on its own (a 160-byte read, an event-loop turn, per commit).
 */
const GIT_ENV = { ...process.env, GIT_FLUSH: '0' };

function git(cwd: string, args: string[], input?: string, lowPriority = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: GIT_ENV,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (lowPriority && child.pid !== undefined)
      try {
        os.setPriority(child.pid, 19);
      } catch {
        // Not permitted here: it runs at normal priority.
      }
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

/**
 * A git command given `revisions` on stdin, its output to be streamed from `stdout`; `finished()`
 * waits for it to exit and throws its stderr when it failed.
 */
function gitReading(cwd: string, args: string[], revisions: string[]) {
  const child = spawn('git', args, { cwd, env: GIT_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
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
  return {
    stdout: child.stdout,
    async finished(): Promise<void> {
      const code = await closed;
      if (code !== 0) throw new CliError(`git ${args[0]} failed in ${cwd}: ${stderr.trim()}`);
    },
  };
}

/** The output lines of a git command given `revisions` on stdin, streamed. */
async function* gitLines(cwd: string, args: string[], revisions: string[]): AsyncGenerator<string> {
  const git = gitReading(cwd, args, revisions);
  yield* createInterface({ input: git.stdout, crlfDelay: Number.POSITIVE_INFINITY });
  await git.finished();
}

/**
 * Streams `git log` over revisions given on stdin into `onCommit`, one call per commit, without a
 * per-commit object: lines are cut from the decoded chunks and fields from the lines by index.
 * `onCommit` may return a promise (a full batch being handed over); reading waits for it.
 */
async function readLog(
  cwd: string,
  revisions: string[],
  onCommit: (sha: string, parents: string, committed: string, authored: string, message: string) => unknown,
): Promise<void> {
  const format = '--format=%H%x1f%P%x1f%cI%x1f%aI%x1f%s';
  const git = gitReading(cwd, ['log', '--stdin', '--no-color', format], revisions);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const line = (text: string) => {
    const a = text.indexOf('\x1f');
    const b = text.indexOf('\x1f', a + 1);
    const c = text.indexOf('\x1f', b + 1);
    const d = text.indexOf('\x1f', c + 1);
    if (a < 40 || d < 0) return undefined;
    const message = text.slice(d + 1);
    return onCommit(
      text.slice(0, a),
      text.slice(a + 1, b),
      text.slice(b + 1, c),
      text.slice(c + 1, d),
      message.length > 10_000 ? message.slice(0, 10_000) : message,
    );
  };
  for await (const chunk of git.stdout as AsyncIterable<Buffer>) {
    const text = rest + decoder.write(chunk);
    let from = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', from)) {
      const pending = line(text.slice(from, end));
      from = end + 1;
      if (pending instanceof Promise) await pending;
    }
    rest = text.slice(from);
  }
  rest += decoder.end();
  if (rest) await line(rest);
  await git.finished();
}

/** `git log`'s strict ISO time (`2024-01-01T00:00:00+00:00`) as UTC with milliseconds. */
function utc(strict: string): string {
  // The common case, a UTC time, needs no date arithmetic.
  if (strict.length === 25 && strict.endsWith('+00:00')) return `${strict.slice(0, 19)}.000Z`;
  if (strict.length === 20 && strict.endsWith('Z')) return `${strict.slice(0, 19)}.000Z`;
  return new Date(strict).toISOString();
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
  const batchSize = Math.max(
    1,
    Math.min(GIT_IMPORT_MAX_COLUMN_COMMITS, options.batchSize ?? DEFAULT_GIT_BATCH),
  );
  const ref = options.ref ?? 'HEAD';
  const head = (
    await git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => '')
  ).trim();
  if (!head) throw new CliError(`${ref} names no commit in ${cwd} (--ref)`);

  const [state, tags] = await Promise.all([
    sink.state(),
    options.deployTags ? matchingTags(cwd, options.deployTags) : Promise.resolve([]),
  ]);
  const recorded = new Set(state.tags);
  const reached = await existingCommits(cwd, state.tips);
  const heads = [...new Set([head, ...tags.map((t) => t.sha)])];
  const revisions = [...heads, ...reached.map((sha) => `^${sha}`)];
  const fresh = tags.map((tag, i) => ({ tag, i })).filter(({ tag }) => !recorded.has(tag.name));
  // A first import walks the whole history reachable from the ref and the tags: the tags' commit
  // lists then come from the parents read by that same walk (no second pass over the history).
  /** Each commit's parents as `git log` gives them (`%P`: space-separated, empty for a root). */
  const parents = new Map<string, string>();
  const parentsFromLog = reached.length === 0 && fresh.length > 0;

  // ---- commits
  // The progress bar's total is counted beside the walk (not before it), only when it is shown,
  // at the lowest priority: on a busy machine it takes only idle CPU from the import itself.
  let total: number | null = null;
  const counting = options.onProgress
    ? git(cwd, ['rev-list', '--stdin', '--count'], `${revisions.join('\n')}\n`, true).then(
        (out) => {
          total = Number(out.trim());
        },
        () => {},
      )
    : undefined;
  let read = 0;
  let created = 0;
  const commitSender = pipeline(async (columns: GitCommitColumnsInput) => {
    const result = await sink.send({ service_id: options.service, columns: bySha(columns), deployments: [] });
    created += result.commits_created;
  });
  const emptyColumns = (): GitCommitColumnsInput => ({
    sha: [],
    committed_at: [],
    authored_at: [],
    message: [],
  });
  let batch = emptyColumns();
  let batchBytes = 0;
  options.onProgress?.({ phase: 'commits', done: 0, total });
  await readLog(cwd, revisions, (sha, parentList, committed, authored, message) => {
    if (parentsFromLog) parents.set(sha, parentList);
    batch.sha.push(sha);
    batch.committed_at.push(utc(committed));
    batch.authored_at.push(utc(authored));
    batch.message.push(message);
    // JSON escapes make a message at most 6 bytes per character (\uXXXX).
    batchBytes += 120 + message.length * 6;
    read++;
    if (batch.sha.length < batchSize && batchBytes < BATCH_BYTES) return undefined;
    // The previous batch is being stored while this one was read; at most one waits behind it.
    const full = batch;
    batch = emptyColumns();
    batchBytes = 0;
    return commitSender.push(full).then(() => options.onProgress?.({ phase: 'commits', done: read, total }));
  });
  if (batch.sha.length) await commitSender.push(batch);
  await commitSender.drain();
  await counting;
  options.onProgress?.({ phase: 'commits', done: read, total: total ?? read });

  // ---- tags as deployments: sent in requests kept under the server's body limit (a tag with
  // more commits than fit is sent in parts), one stored while the next is prepared.
  let deploymentsCreated = 0;
  options.onProgress?.({ phase: 'tags', done: 0, total: fresh.length });
  let done = 0;
  const linksPerRequest = Math.min(SHAS_PER_REQUEST, batchSize * 3);
  const tagSender = pipeline(async (deployments: GitImportBatchInput['deployments']) => {
    const result = await sink.send({ service_id: options.service, deployments });
    deploymentsCreated += result.deployments_created;
  });
  let pending: GitImportBatchInput['deployments'] = [];
  let pendingShas = 0;
  const flush = async () => {
    if (!pending.length) return;
    const deployments = pending;
    pending = [];
    pendingShas = 0;
    await tagSender.push(deployments);
  };
  // Every commit reachable from a fresh tag (or a later recorded one) and not from the tags
  // before the first fresh one, with its parents: from the commit walk on a first import, else
  // from a walk of its own (an incremental import: only the new tags' history). Then, tag by tag
  // in date order, the commits not yet held by an earlier tag: exactly
  // `git rev-list <tag> --not <earlier tags>`, without a git process per tag.
  const first = parentsFromLog ? 0 : (fresh[0]?.i ?? tags.length);
  if (fresh.length && !parentsFromLog) {
    const walk = [...tags.slice(first).map((t) => t.sha), ...tags.slice(0, first).map((t) => `^${t.sha}`)];
    for await (const line of gitLines(cwd, ['log', '--stdin', '--format=%H %P'], walk)) {
      const space = line.indexOf(' ');
      const sha = space < 0 ? line : line.slice(0, space);
      if (sha.length >= 40) parents.set(sha, space < 0 ? '' : line.slice(space + 1).trim());
    }
  }
  const held = new Set<string>();
  for (const tag of fresh.length ? tags.slice(first) : []) {
    const shas: string[] = [];
    const stack = [tag.sha];
    while (stack.length) {
      const sha = stack.pop() as string;
      const up = parents.get(sha);
      if (up === undefined || held.has(sha)) continue;
      held.add(sha);
      shas.push(sha);
      if (up) for (const p of up.split(' ')) stack.push(p);
    }
    if (recorded.has(tag.name)) continue;
    const capped = (shas.length > GIT_IMPORT_MAX_LINKS ? shas.slice(0, GIT_IMPORT_MAX_LINKS) : shas).sort();
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
  await tagSender.drain();
  // Each tag once (parts after the first of a large tag come back as "existing"): the tags not
  // created now were recorded by an earlier, interrupted run.
  const deploymentsExisting = fresh.length - deploymentsCreated;

  // ---- where this import stopped (only once everything before it is stored)
  const tips = [...new Set([...heads, ...reached])].slice(0, 10_000);
  const unchanged = read === 0 && fresh.length === 0 && tips.every((t) => state.tips.includes(t));
  if (!unchanged) await sink.send({ service_id: options.service, deployments: [], tips });
  return {
    commits_read: read,
    commits_created: created,
    tags_matched: tags.length,
    deployments_created: deploymentsCreated,
    deployments_existing: deploymentsExisting,
    already_imported: unchanged,
  };
}

/**
 * The batch's commits in sha order: the server's inserts then walk the (sha-keyed) indexes in
 * order instead of jumping about them (a quarter less CPU for SQLite's inserts of 100,000 rows
 * sorted 10,000 at a time, in a micro-benchmark).
 */
function bySha(columns: GitCommitColumnsInput): GitCommitColumnsInput {
  const { sha } = columns;
  // Bucketed by the first two hex digits, then each (small) bucket sorted: half the comparisons.
  const buckets: number[][] = Array.from({ length: 256 }, () => []);
  for (let i = 0; i < sha.length; i++) {
    const key = Number.parseInt((sha[i] as string).slice(0, 2), 16);
    (buckets[Number.isNaN(key) ? 0 : key] as number[]).push(i);
  }
  const order: number[] = [];
  const compare = (a: number, b: number) => {
    const x = sha[a] as string;
    const y = sha[b] as string;
    return x < y ? -1 : x > y ? 1 : 0;
  };
  for (const bucket of buckets) for (const i of bucket.sort(compare)) order.push(i);
  const pick = <T>(values: T[]) => order.map((i) => values[i] as T);
  return {
    sha: pick(columns.sha),
    committed_at: pick(columns.committed_at),
    authored_at: pick(columns.authored_at),
    message: pick(columns.message),
  };
}

/**
 * Sends work items in order, one in flight: `push` returns once the item has been handed over
 * (the previous one stored), so the caller reads the next batch while this one is written;
 * `drain` waits for the last. A failure is thrown by the next `push` or by `drain`.
 */
function pipeline<T>(send: (item: T) => Promise<void>) {
  let inFlight: Promise<void> = Promise.resolve();
  return {
    async push(item: T): Promise<void> {
      await inFlight;
      inFlight = send(item);
      // Reported by the next push or drain; not an unhandled rejection meanwhile.
      inFlight.catch(() => {});
    },
    drain: () => inFlight,
  };
}
