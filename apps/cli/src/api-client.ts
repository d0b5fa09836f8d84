import { ERROR_CATALOGUE, type ErrorCode, type Problem } from '@engops/contracts';
import { CliError } from './cli-error.ts';

/** The engops REST API of a running server, as ENGOPS_URL and ENGOPS_TOKEN name it. */
export interface ApiClient {
  readonly url: string;
  request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

function isProblem(value: unknown): value is Problem {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.status === 'number';
}

/** A problem for an error response that is not problem+json (a proxy's 502 page, say). */
function syntheticProblem(status: number, text: string): Problem {
  const byStatus: Record<number, ErrorCode> = {
    401: 'AUTH_UNAUTHENTICATED',
    403: 'AUTH_FORBIDDEN',
    404: 'HTTP_NOT_FOUND',
    503: 'HTTP_SERVICE_UNAVAILABLE',
  };
  const code = byStatus[status] ?? 'HTTP_INTERNAL';
  return {
    type: 'about:blank',
    title: ERROR_CATALOGUE[code].title,
    status,
    code,
    detail: `The server answered HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}.`,
  };
}

export function createApiClient(url: string, token: string | undefined): ApiClient {
  const base = url.replace(/\/+$/, '');
  return {
    url: base,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      let response: Response;
      try {
        response = await fetch(`${base}${path}`, {
          method,
          headers,
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      } catch (error) {
        const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new CliError(`cannot reach the engops server at ${base} (ENGOPS_URL): ${reason}`, { cause });
      }
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      if (!response.ok) {
        const problem = isProblem(json) ? json : syntheticProblem(response.status, text);
        throw new CliError(`${problem.code}: ${problem.detail}`, { problem });
      }
      if (response.status !== 204 && json === undefined) {
        throw new CliError(`${method} ${path} answered HTTP ${response.status} without a JSON body`);
      }
      return json as T;
    },
  };
}

/**
 * The API client when ENGOPS_URL is set (commands then talk to that server), else undefined
 * (commands act on the local database). ENGOPS_URL without ENGOPS_TOKEN is an error.
 */
export function apiClientFromEnv(
  env: Record<string, string | undefined> = process.env,
): ApiClient | undefined {
  const url = env.ENGOPS_URL?.trim();
  if (!url) return undefined;
  if (!/^https?:\/\//i.test(url)) throw new CliError(`ENGOPS_URL must be an http(s) URL, not ${url}`);
  const token = env.ENGOPS_TOKEN?.trim();
  if (!token) {
    throw new CliError(
      'ENGOPS_URL is set but ENGOPS_TOKEN is not: set ENGOPS_TOKEN to an API token (or unset ENGOPS_URL to act on the local database)',
    );
  }
  return createApiClient(url, token);
}
