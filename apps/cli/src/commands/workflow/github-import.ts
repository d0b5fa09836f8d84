import fs from 'node:fs';

/**
 * `engops import github`: a repository's pull request history read through the GitHub REST API
 * (any API root, for GitHub Enterprise) and rebuilt as the webhook deliveries engops already
 * understands. Delivery ids are stable, so re-running counts nothing twice; a state file records
 * the listing cursor and the pull requests done, so an interrupted import resumes where it stopped.
 */

export interface ImportDelivery {
  id: string;
  event: string;
  payload: Record<string, unknown>;
}

export interface ImportState {
  repo: string;
  /** The next list page to read, or null once every pull request number is listed. */
  next_page: string | null;
  numbers: number[];
  done: number[];
}

type Json = Record<string, unknown>;

export function createGithubClient(apiUrl: string, token: string | undefined) {
  const root = apiUrl.replace(/\/+$/, '');
  async function get(pathOrUrl: string): Promise<{ body: unknown; next: string | null }> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${root}${pathOrUrl}`;
    const res = await fetch(url, {
      headers: {
        accept: 'application/vnd.github+json',
        'user-agent': 'engops',
        'x-github-api-version': '2022-11-28',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new Error(`GitHub API ${new URL(url).pathname}: HTTP ${res.status}`);
    const link = res.headers.get('link') ?? '';
    const next = /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] ?? null;
    return { body: await res.json(), next };
  }
  async function all(path: string): Promise<Json[]> {
    const out: Json[] = [];
    let next: string | null = path;
    for (let pages = 0; next && pages < 100; pages++) {
      const page: { body: unknown; next: string | null } = await get(next);
      if (Array.isArray(page.body)) out.push(...(page.body as Json[]));
      next = page.next;
    }
    return out;
  }
  return { get, all };
}

/** The deliveries that tell engops one pull request's history. */
export function pullRequestDeliveries(
  repoKey: string,
  repository: Json,
  detail: Json,
  history: {
    events: Json[];
    reviews: Json[];
    comments: Json[];
    commits: Json[];
    checkRuns: Json[];
    statuses: Json[];
    files: Json[];
  },
): ImportDelivery[] {
  const n = detail.number as number;
  const id = (suffix: string) => `${repoKey}#${n}:${suffix}`;
  const author = (detail.user as Json | undefined) ?? { login: 'unknown' };
  const head = (detail.head as Json | undefined) ?? {};
  const out: ImportDelivery[] = [];
  const pr = (action: string, pullRequest: Json, extra: Json = {}): Json => ({
    action,
    number: n,
    pull_request: pullRequest,
    repository,
    sender: author,
    ...extra,
  });

  const commitTimes = history.commits
    .map((c) => ({
      id: c.sha,
      timestamp: ((c.commit as Json | undefined)?.committer as Json | undefined)?.date,
    }))
    .filter((c) => typeof c.id === 'string' && typeof c.timestamp === 'string');
  if (commitTimes.length)
    out.push({
      id: id('commits'),
      event: 'push',
      payload: {
        ref: `refs/heads/${head.ref}`,
        after: head.sha,
        created: false,
        deleted: false,
        forced: false,
        commits: commitTimes,
        head_commit: commitTimes.at(-1),
        repository,
        sender: author,
      },
    });
  out.push({ id: id('opened'), event: 'pull_request', payload: pr('opened', detail) });

  const mergedTimes = new Set(history.events.filter((e) => e.event === 'merged').map((e) => e.created_at));
  const ACTIONS: Record<string, string> = {
    review_requested: 'review_requested',
    review_request_removed: 'review_request_removed',
    ready_for_review: 'ready_for_review',
    convert_to_draft: 'converted_to_draft',
    reopened: 'reopened',
    closed: 'closed',
    merged: 'closed',
  };
  for (const e of history.events) {
    const action = ACTIONS[String(e.event)];
    const at = e.created_at;
    if (!action || typeof at !== 'string') continue;
    // A merge is also reported as "closed" at the same moment: once is enough.
    if (e.event === 'closed' && mergedTimes.has(at)) continue;
    const snapshot: Json = { ...detail, updated_at: at };
    if (e.event === 'closed') Object.assign(snapshot, { state: 'closed', merged_at: null, closed_at: at });
    out.push({
      id: id(`event:${e.id}`),
      event: 'pull_request',
      payload: pr(action, snapshot, {
        ...(e.requested_reviewer ? { requested_reviewer: e.requested_reviewer } : {}),
        ...(e.requested_team ? { requested_team: e.requested_team } : {}),
        sender: e.actor ?? author,
      }),
    });
  }
  for (const r of history.reviews) {
    if (typeof r.submitted_at !== 'string') continue;
    out.push({
      id: id(`review:${r.id}`),
      event: 'pull_request_review',
      payload: { action: 'submitted', review: r, pull_request: detail, repository, sender: r.user },
    });
  }
  for (const c of history.comments)
    out.push({
      id: id(`comment:${c.id}`),
      event: 'pull_request_review_comment',
      payload: { action: 'created', comment: c, pull_request: detail, repository, sender: c.user },
    });
  for (const c of history.checkRuns)
    out.push({
      id: id(`check:${c.id}`),
      event: 'check_run',
      payload: { action: 'completed', check_run: c, repository },
    });
  for (const s of history.statuses)
    out.push({
      id: id(`status:${s.id}`),
      event: 'status',
      payload: {
        sha: head.sha,
        context: s.context,
        state: s.state,
        created_at: s.created_at,
        updated_at: s.updated_at,
        repository,
      },
    });
  if (history.files.length)
    out.push({
      id: id(`files:${head.sha}`),
      event: 'engops_pull_request_files',
      payload: { number: n, head_sha: head.sha, files: history.files.map((f) => f.filename), repository },
    });
  return out;
}

export function readState(file: string, repo: string): ImportState {
  try {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as ImportState;
    if (state.repo === repo) return state;
  } catch {
    // No state yet: start from the first page.
  }
  return { repo, next_page: null, numbers: [], done: [] };
}

export function writeState(file: string, state: ImportState): void {
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state));
  fs.renameSync(`${file}.tmp`, file);
}

/** Lists the repository's pull requests (resumable), then sends each one's history. */
export async function importGithubRepository(input: {
  repo: string;
  apiUrl: string;
  token: string | undefined;
  stateFile: string;
  send: (deliveries: ImportDelivery[]) => Promise<{ processed: number; duplicate: number; ignored: number }>;
  onProgress?: (done: number, total: number) => void;
}): Promise<{ pull_requests: number; processed: number; duplicate: number; ignored: number }> {
  const gh = createGithubClient(input.apiUrl, input.token);
  const repoPath = `/repos/${input.repo}`;
  const repository = (await gh.get(repoPath)).body as Json;
  const repoKey = input.repo.toLowerCase();
  const state = readState(input.stateFile, input.repo);
  if (state.numbers.length === 0 && state.next_page === null)
    state.next_page = `${repoPath}/pulls?state=all&sort=created&direction=asc&per_page=100`;
  while (state.next_page) {
    const page = await gh.get(state.next_page);
    for (const p of page.body as Json[])
      if (!state.numbers.includes(p.number as number)) state.numbers.push(p.number as number);
    state.next_page = page.next;
    writeState(input.stateFile, state);
  }
  const totals = { processed: 0, duplicate: 0, ignored: 0 };
  const done = new Set(state.done);
  input.onProgress?.(done.size, state.numbers.length);
  for (const n of state.numbers) {
    if (done.has(n)) continue;
    const detail = (await gh.get(`${repoPath}/pulls/${n}`)).body as Json;
    const sha = String((detail.head as Json | undefined)?.sha ?? '');
    const [events, reviews, comments, commits, checks, statuses, files] = await Promise.all([
      gh.all(`${repoPath}/issues/${n}/events?per_page=100`),
      gh.all(`${repoPath}/pulls/${n}/reviews?per_page=100`),
      gh.all(`${repoPath}/pulls/${n}/comments?per_page=100`),
      gh.all(`${repoPath}/pulls/${n}/commits?per_page=100`),
      gh.get(`${repoPath}/commits/${sha}/check-runs?per_page=100`),
      gh.all(`${repoPath}/commits/${sha}/statuses?per_page=100`),
      gh.all(`${repoPath}/pulls/${n}/files?per_page=100`),
    ]);
    const checkRuns = ((checks.body as Json).check_runs as Json[] | undefined) ?? [];
    const deliveries = pullRequestDeliveries(repoKey, repository, detail, {
      events,
      reviews,
      comments,
      commits,
      checkRuns,
      statuses,
      files,
    });
    for (let i = 0; i < deliveries.length; i += 200) {
      const r = await input.send(deliveries.slice(i, i + 200));
      totals.processed += r.processed;
      totals.duplicate += r.duplicate;
      totals.ignored += r.ignored;
    }
    done.add(n);
    state.done = [...done];
    writeState(input.stateFile, state);
    input.onProgress?.(done.size, state.numbers.length);
  }
  return { pull_requests: state.numbers.length, ...totals };
}
