/**
 * The two calls of the GitHub REST API that exporting an action item needs: create an issue, and
 * list a repository's recent issues (to find one an earlier, interrupted export may have created).
 * `apiUrl` is https://api.github.com or a GitHub Enterprise Server's https://<host>/api/v3.
 */
const TIMEOUT_MS = 15_000;

export interface GithubTarget {
  apiUrl: string;
  token: string;
  /** owner/name */
  repo: string;
}

export interface GithubIssue {
  number: number;
  html_url: string;
  body?: string | null;
}

/**
 * A failed call. `definite` is true when GitHub answered that it did not create anything (4xx);
 * false when the outcome is unknown (network error, timeout, 5xx): the issue may exist.
 */
export class GithubError extends Error {
  override readonly name = 'GithubError';
  constructor(
    message: string,
    readonly definite: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The hidden line that ties an issue to its action item, so a retry can find it. */
export function exportMarker(itemId: string): string {
  return `<!-- engops-action-item: ${itemId} -->`;
}

function endpoint(target: GithubTarget, path: string): string {
  const [owner, name] = target.repo.split('/');
  return `${target.apiUrl.replace(/\/+$/, '')}/repos/${encodeURIComponent(owner ?? '')}/${encodeURIComponent(name ?? '')}${path}`;
}

async function call(target: GithubTarget, method: string, url: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${target.token}`,
        'x-github-api-version': '2022-11-28',
        'user-agent': 'engops',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (error) {
    const cause =
      error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : '';
    throw new GithubError(`GitHub could not be reached at ${new URL(url).host}: ${cause}`, false);
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    let detail = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { message?: unknown; errors?: Array<{ message?: string }> };
      if (typeof parsed.message === 'string') {
        const extra = (parsed.errors ?? []).map((e) => e.message).filter(Boolean);
        detail = [parsed.message, ...extra].join('; ');
      }
    } catch {
      // not JSON: keep the text
    }
    const hint =
      response.status === 401
        ? ' (check the token)'
        : response.status === 404
          ? ` (is ${target.repo} right, and may the token see it?)`
          : response.status === 403
            ? ' (the token lacks the Issues permission, or a rate limit applies)'
            : '';
    throw new GithubError(
      `GitHub answered ${response.status}: ${detail || response.statusText}${hint}`,
      response.status < 500,
      response.status,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GithubError(`GitHub answered ${response.status} with a body that is not JSON`, false);
  }
}

export async function createGithubIssue(
  target: GithubTarget,
  issue: { title: string; body: string; labels: string[] },
): Promise<GithubIssue> {
  const created = (await call(target, 'POST', endpoint(target, '/issues'), {
    title: issue.title,
    body: issue.body,
    ...(issue.labels.length ? { labels: issue.labels } : {}),
  })) as Partial<GithubIssue>;
  if (typeof created.number !== 'number' || typeof created.html_url !== 'string')
    throw new GithubError('GitHub created an issue but did not say which (no number or html_url)', false);
  return { number: created.number, html_url: created.html_url };
}

/** An issue in `repo` updated since `since` whose body carries `marker`, if any (first 3 pages). */
export async function findGithubIssue(
  target: GithubTarget,
  since: string,
  marker: string,
): Promise<GithubIssue | undefined> {
  for (let page = 1; page <= 3; page++) {
    const query = `?state=all&sort=created&direction=desc&per_page=100&page=${page}&since=${encodeURIComponent(since)}`;
    const issues = (await call(target, 'GET', endpoint(target, `/issues${query}`))) as GithubIssue[];
    if (!Array.isArray(issues)) return undefined;
    const hit = issues.find((i) => typeof i.body === 'string' && i.body.includes(marker));
    if (hit) return { number: hit.number, html_url: hit.html_url };
    if (issues.length < 100) return undefined;
  }
  return undefined;
}
