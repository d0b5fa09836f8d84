/**
 * A small client for the GitLab REST API (v4), shared by the modules that read from GitLab: the
 * server-side scan of pushed commits and the merge request sizes of the workflow module. The base
 * URL is `ENGOPS_GITLAB_API_URL` (a self-managed instance is `https://HOST/api/v4`) and the token
 * `ENGOPS_GITLAB_TOKEN` (sent as `PRIVATE-TOKEN`, which takes personal, project and group tokens).
 */

export interface GitlabApiConfig {
  readonly url: string;
  readonly token?: string;
}

/** A GitLab REST API failure: `status` 0 when no request was made (no token, network error). */
export class GitlabApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'GitlabApiError';
  }
}

export interface GitlabApi {
  /** True when a token is configured: callers skip GitLab reads without one. */
  readonly configured: boolean;
  /** GET a JSON document; `null` when GitLab answers 404 (the project, commit or file is gone). */
  get<T>(path: string): Promise<T | null>;
  /** Every item of a paged list (`per_page=100`, following `X-Next-Page`), at most `maxPages` pages. */
  list<T>(path: string, maxPages?: number): Promise<T[]>;
}

/** `group/sub/project` as the single path segment GitLab expects in `/projects/:id`. */
export const gitlabProjectId = (pathWithNamespace: string): string => encodeURIComponent(pathWithNamespace);

export function createGitlabApi(config: GitlabApiConfig, timeoutMs = 30_000): GitlabApi {
  async function call(path: string): Promise<Response> {
    if (!config.token) throw new GitlabApiError(0, 'No GitLab token is configured (ENGOPS_GITLAB_TOKEN).');
    try {
      return await fetch(`${config.url}${path}`, {
        headers: { accept: 'application/json', 'user-agent': 'engops', 'private-token': config.token },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new GitlabApiError(0, `GitLab API ${path}: ${(error as Error).message}`);
    }
  }

  async function get<T>(path: string): Promise<T | null> {
    const response = await call(path);
    if (response.status === 404) return null;
    if (!response.ok)
      throw new GitlabApiError(response.status, `GitLab API ${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  }

  async function list<T>(path: string, maxPages = 100): Promise<T[]> {
    const items: T[] = [];
    const separator = path.includes('?') ? '&' : '?';
    let page: string | null = '1';
    for (let n = 0; page && n < maxPages; n++) {
      const response = await call(`${path}${separator}per_page=100&page=${encodeURIComponent(page)}`);
      if (response.status === 404) return items;
      if (!response.ok)
        throw new GitlabApiError(response.status, `GitLab API ${path}: HTTP ${response.status}`);
      const body = (await response.json()) as unknown;
      if (!Array.isArray(body)) throw new GitlabApiError(response.status, `GitLab API ${path}: not a list`);
      items.push(...(body as T[]));
      page = response.headers.get('x-next-page') || null;
    }
    return items;
  }

  return { configured: Boolean(config.token), get, list };
}
