import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/**
 * Helpers for process-level tests: they run the real `engops serve` command as a child process
 * (exactly what an operator runs), talk to it over real HTTP, and kill it with real signals.
 */

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI_BIN = path.join(REPO_ROOT, 'apps/cli/bin/engops.js');

/** The PostgreSQL server for tests; undefined on SQLite-only runs (never in CI). */
export const PG_URL = process.env.ENGOPS_TEST_DATABASE_URL;
if (process.env.CI === 'true' && !PG_URL) {
  throw new Error(
    'CI=true but ENGOPS_TEST_DATABASE_URL is not set: PostgreSQL tests cannot be skipped in CI',
  );
}

/** A fresh admin secret per test file (ENGOPS_ADMIN_TOKEN needs 16+ characters; this has 48). */
export function newAdminToken(): string {
  return `engops-proc-test-${randomBytes(16).toString('hex')}`;
}

export function makeTempDir(prefix = 'engops-proc-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  url: string;
  port: number;
  proc: ChildProcess;
  pid: number;
  /** Resolves when the process has exited. */
  exited: Promise<ExitStatus>;
  /** Whether the process has exited. */
  hasExited(): boolean;
  /** The last 64 KiB of stdout and stderr, for assertion messages. */
  output(): string;
  /** SIGTERM, then wait (bounded) for the exit; SIGKILL if it does not come. */
  stop(timeoutMs?: number): Promise<ExitStatus>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<ExitStatus>;
}

const live = new Set<ServerProcess>();

/** SIGKILLs every server process still running (call in afterAll, whatever happened). */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((server) => server.kill()));
}

process.once('exit', () => {
  for (const server of live) server.proc.kill('SIGKILL');
});

const OUTPUT_LIMIT = 64 * 1024;
const NO_WEB_DIST = path.join(os.tmpdir(), `engops-proc-test-no-web-ui-${process.pid}`);

/**
 * Spawns `node apps/cli/bin/engops.js serve --no-web-build` with `env` over a clean environment
 * (inherited ENGOPS_* variables are dropped), listening on 127.0.0.1, without the web UI. Waits for
 * /healthz 200 unless `waitHealthy` is false.
 */
export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnOnce(options);
    } catch (error) {
      // Another test took the port between freePort() and the server's listen: pick another.
      const portTaken = error instanceof Error && error.message.includes('EADDRINUSE');
      if (!portTaken || options.port !== undefined || attempt >= 3) throw error;
    }
  }
}

export interface SpawnOptions {
  env: Record<string, string>;
  port?: number;
  waitHealthy?: boolean;
  healthTimeoutMs?: number;
}

async function spawnOnce(options: SpawnOptions): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('ENGOPS_')) env[key] = value;
  }
  Object.assign(env, {
    ENGOPS_HOST: '127.0.0.1',
    ENGOPS_LOG_LEVEL: 'warn',
    // These tests are about the API and its storage: keep them independent of whether the web UI
    // happens to be built (a directory without index.html means "no UI").
    ENGOPS_WEB_DIST: NO_WEB_DIST,
    ...options.env,
    ENGOPS_PORT: String(port),
  });
  const proc = spawn(process.execPath, [CLI_BIN, 'serve', '--no-web-build'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error('could not spawn the server process');
  let output = '';
  const capture = (stream: string) => (chunk: Buffer) => {
    output += `[${stream}] ${chunk.toString('utf8')}`;
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  proc.stdout?.on('data', capture('stdout'));
  proc.stderr?.on('data', capture('stderr'));
  let done = false;
  const exited = new Promise<ExitStatus>((resolve) => {
    proc.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
  });
  const server: ServerProcess = {
    url: `http://127.0.0.1:${port}`,
    port,
    proc,
    pid: proc.pid,
    exited,
    hasExited: () => done,
    output: () => output,
    async stop(timeoutMs = 20_000) {
      if (!done) proc.kill('SIGTERM');
      const status = await Promise.race([exited, sleep(timeoutMs).then(() => undefined)]);
      if (status) return status;
      return server.kill();
    },
    async kill() {
      if (!done) proc.kill('SIGKILL');
      return exited;
    },
  };
  live.add(server);
  void exited.then(() => live.delete(server));
  if (options.waitHealthy !== false) {
    try {
      await waitForHealthy(server.url, options.healthTimeoutMs ?? 30_000, server);
    } catch (error) {
      await server.kill();
      throw error;
    }
  }
  return server;
}

/** Polls GET /healthz until it answers 200; fails early if `server` exits. */
export async function waitForHealthy(url: string, timeoutMs: number, server?: ServerProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (server?.hasExited()) {
      const status = await server.exited;
      throw new Error(`server exited before it was healthy (${JSON.stringify(status)}):\n${server.output()}`);
    }
    try {
      const res = await request(`${url}/healthz`);
      if (res.status === 200) return;
      last = `HTTP ${res.status} ${res.body}`;
    } catch (error) {
      last = errorCode(error);
    }
    await sleep(100);
  }
  throw new Error(`${url}/healthz not 200 after ${timeoutMs} ms (last: ${last})\n${server?.output() ?? ''}`);
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are asserted field by field
  json: any;
}

/**
 * One HTTP request over node:http. Without `agent` it opens a connection for this request only, so
 * nothing is pooled across server restarts. Rejects on connection errors (see `errorCode`).
 */
export function request(
  url: string,
  options: { method?: string; token?: string; body?: unknown; agent?: http.Agent; timeoutMs?: number } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const req = http.request(url, {
      method: options.method ?? 'GET',
      headers,
      agent: options.agent ?? false,
      timeout: options.timeoutMs ?? 15_000,
    });
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('aborted', () => reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = body ? JSON.parse(body) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
    });
    req.end(payload);
  });
}

/** `ECONNREFUSED`, `ECONNRESET`… for a connection error; the message otherwise. */
export function errorCode(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string')
    return error.code;
  return error instanceof Error ? error.message : String(error);
}

/** Errors a client may see when the server goes away: the request never got an answer. */
export const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'socket hang up']);

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every item of a paginated list endpoint (`{items, next_cursor}`), following cursors. */
export async function listAll<T>(url: string, token: string, pageLimit = 200): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const sep = url.includes('?') ? '&' : '?';
    const res: HttpResult = await request(
      `${url}${sep}limit=${pageLimit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { token },
    );
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${res.body}`);
    items.push(...(res.json.items as T[]));
    cursor = res.json.next_cursor as string | null;
    if (!cursor) return items;
  }
  throw new Error(`GET ${url}: more than 1000 pages`);
}

/** Creates a fresh PostgreSQL database next to ENGOPS_TEST_DATABASE_URL's and returns its URL. */
export async function createPgDatabase(prefix = 'proc'): Promise<string> {
  if (!PG_URL) throw new Error('ENGOPS_TEST_DATABASE_URL is not set');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database made by createPgDatabase, disconnecting whatever still holds it. */
export async function dropPgDatabase(databaseUrl: string): Promise<void> {
  if (!PG_URL) return;
  const name = new URL(databaseUrl).pathname.slice(1);
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`refusing to drop database ${name}`);
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`drop database if exists ${name} with (force)`);
  } finally {
    await client.end();
  }
}

/** The engines to run on: SQLite always, PostgreSQL when ENGOPS_TEST_DATABASE_URL is set. */
export const PROCESS_ENGINES: Array<'sqlite' | 'postgres'> = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface WriteOutcome {
  index: number;
  name: string;
  status?: number;
  /** The created resource's id for a 2xx. */
  id?: string;
  body?: string;
  contentType?: string;
  error?: string;
  /** Whether the response (or error) arrived after `signalAt` was set. */
  afterSignal: boolean;
}

/**
 * Fires POST /api/v1/services with `concurrency` requests in flight, at most `max` in all and for at
 * most `budgetMs`; no new request starts once `shouldStop()` is true. `onSettled` sees each outcome
 * as it arrives, with the number of requests still in flight. Outcomes that settle once `signalled()`
 * is true are marked afterSignal.
 */
export async function serviceWriteBurst(options: {
  url: string;
  token: string;
  teamId: string;
  max: number;
  concurrency: number;
  budgetMs: number;
  agent?: http.Agent;
  onSettled?: (outcome: WriteOutcome, outcomes: WriteOutcome[], inFlight: number) => void;
  shouldStop?: () => boolean;
  signalled?: () => boolean;
}): Promise<WriteOutcome[]> {
  const outcomes: WriteOutcome[] = [];
  const deadline = Date.now() + options.budgetMs;
  let next = 0;
  let inFlight = 0;
  const prefix = `svc-${randomBytes(3).toString('hex')}`;
  const lane = async () => {
    while (next < options.max && Date.now() < deadline && !options.shouldStop?.()) {
      const index = next++;
      const name = `${prefix}-${index}`;
      inFlight++;
      let outcome: WriteOutcome;
      try {
        const res = await request(`${options.url}/api/v1/services`, {
          method: 'POST',
          token: options.token,
          body: { name, team_id: options.teamId, description: `burst write ${index}` },
          ...(options.agent ? { agent: options.agent } : {}),
        });
        outcome = {
          index,
          name,
          status: res.status,
          body: res.body,
          afterSignal: options.signalled?.() ?? false,
          ...(typeof res.headers['content-type'] === 'string'
            ? { contentType: res.headers['content-type'] }
            : {}),
          ...(res.status >= 200 && res.status < 300 && typeof res.json?.id === 'string'
            ? { id: res.json.id }
            : {}),
        };
      } catch (error) {
        outcome = { index, name, error: errorCode(error), afterSignal: options.signalled?.() ?? false };
      }
      inFlight--;
      outcomes.push(outcome);
      options.onSettled?.(outcome, outcomes, inFlight);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  return outcomes;
}

/**
 * A team, a service and an Events v2 integration on a running server, through its API (throws with
 * the answer when a step is refused): what the ingest tests send their events to.
 */
export async function createEventsV2Target(
  url: string,
  token: string,
  name: string,
): Promise<{ serviceId: string; integrationId: string; routingKey: string }> {
  const created = async (path: string, body: unknown) => {
    const res = await request(`${url}${path}`, { method: 'POST', token, body });
    if (res.status !== 201) throw new Error(`POST ${path} answered ${res.status}: ${res.body}`);
    return res.json as { id: string; key?: string };
  };
  const team = await created('/api/v1/teams', { name, time_zone: 'UTC' });
  const service = await created('/api/v1/services', {
    name: `${name}-target`.toLowerCase().replace(/\s+/g, '-'),
    team_id: team.id,
  });
  const integration = await created(`/api/v1/services/${service.id}/integrations`, {
    kind: 'events-v2',
    name: `${name} events`,
  });
  return { serviceId: service.id, integrationId: integration.id, routingKey: integration.key ?? '' };
}
