import type { Problem } from '@engops/contracts';

/**
 * The one way the web UI talks to the server: same-origin fetch with the session cookie, the CSRF
 * token on every mutation, problem+json errors turned into ApiError, and 401 reported to the auth
 * context (which sends the user to the login page).
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A problem+json body; `code` is widened so the client can describe its own failures too. */
export type ApiProblem = Omit<Problem, 'code'> & { code: string };

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly problem: ApiProblem;

  constructor(problem: ApiProblem) {
    super(problem.detail || problem.title);
    this.status = problem.status;
    this.problem = problem;
  }
}

/** A failure found before anything is sent (for example, JSON that does not parse). */
export function clientError(title: string, detail: string, errors?: ApiProblem['errors']): ApiError {
  return new ApiError({
    type: 'about:blank',
    title,
    status: 400,
    detail,
    code: 'CLIENT_INVALID_INPUT',
    ...(errors ? { errors } : {}),
  });
}

let csrfToken: string | null = null;
let unauthorizedHandler: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function setUnauthorizedHandler(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, QueryValue>;
  /** A 401 is an expected answer here (login): do not end the session. */
  expectUnauthorized?: boolean;
}

export function withQuery(path: string, query?: Record<string, QueryValue>): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

async function readProblem(response: Response): Promise<ApiProblem> {
  const fallback: ApiProblem = {
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    detail: `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`,
    code: 'HTTP_UNEXPECTED_RESPONSE',
  };
  const text = await response.text().catch(() => '');
  if (!text) return fallback;
  try {
    const body = JSON.parse(text) as Partial<ApiProblem> | null;
    if (
      body &&
      typeof body === 'object' &&
      (typeof body.detail === 'string' || typeof body.title === 'string')
    ) {
      return {
        ...fallback,
        ...body,
        title: body.title ?? fallback.title,
        detail: body.detail ?? body.title ?? fallback.detail,
        status: typeof body.status === 'number' ? body.status : response.status,
      };
    }
  } catch {
    // not JSON: fall through to the plain-text detail
  }
  return { ...fallback, detail: text.slice(0, 500) };
}

export async function request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;

  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), init);
  } catch {
    throw new ApiError({
      type: 'about:blank',
      title: 'Network error',
      status: 0,
      detail: 'The server could not be reached. Check the connection and try again.',
      code: 'CLIENT_NETWORK_ERROR',
    });
  }
  if (response.status === 401 && !options.expectUnauthorized) unauthorizedHandler?.();
  if (!response.ok) throw new ApiError(await readProblem(response));
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(path: string, query?: Record<string, QueryValue>) =>
    request<T>('GET', path, query ? { query } : {}),
  post: <T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}) =>
    request<T>('POST', path, { ...options, body }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  delete: <T = void>(path: string) => request<T>('DELETE', path),
};

/** Every item of a paged list (bounded: lookups such as team names for a select). */
export async function fetchAll<T>(
  path: string,
  query: Record<string, QueryValue> = {},
  maxPages = 25,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const result: Page<T> = await api.get<Page<T>>(path, { ...query, limit: 200, cursor });
    items.push(...result.items);
    cursor = result.next_cursor;
    if (!cursor) break;
  }
  return items;
}

/** The per-field messages of a validation problem, keyed by field name (`body.name` -> `name`). */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || !error.problem.errors) return {};
  const out: Record<string, string> = {};
  for (const { path, message } of error.problem.errors) {
    const parts = path.split('.');
    if (parts.length > 1 && (parts[0] === 'body' || parts[0] === 'query')) parts.shift();
    const key = parts.join('.');
    out[key] = out[key] ? `${out[key]}; ${message}` : message;
  }
  return out;
}

export function problemOf(error: unknown): ApiProblem {
  if (error instanceof ApiError) return error.problem;
  const detail = error instanceof Error ? error.message : String(error);
  return { type: 'about:blank', title: 'Something went wrong', status: 0, detail, code: 'CLIENT_ERROR' };
}
