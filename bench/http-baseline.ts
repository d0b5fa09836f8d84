/**
 * HTTP baseline: requests/s and latency of the real `GET /api/v1/services?limit=50` (bearer token,
 * 50 services, SQLite) next to a bare Fastify route that returns the very same JSON, measured in the
 * same run with autocannon. Target: the real route reaches at least 60% of the bare route.
 *
 *   npm run bench:http -- [--duration 10] [--connections 20] [--warmup 2] [--rounds 1] [--bare object|string]
 *                          [--no-floor] [--profile] [--experiment-stmt-cache] [--from-sources]
 *   (or BENCH_DURATION, BENCH_CONNECTIONS, BENCH_WARMUP, BENCH_ROUNDS, BENCH_BARE)
 *   --experiment-stmt-cache adds a second real server whose SQLite statements are cached (see
 *   cachePreparedStatements); --profile writes a V8 CPU profile of the real server to
 *   bench/results/*.cpuprofile; --from-sources runs the servers from the TypeScript sources through
 *   tsx's loader instead of compiled as `engops serve` runs them (compiled-self.ts).
 *
 * A third server, "floor", shows how much of the difference is the database itself: a bare Fastify
 * route that does the same two reads as the real one (the token by its hash, 51 services by id) with
 * prepared better-sqlite3 statements on the real app's database file, and nothing else. Leave it out
 * with --no-floor.
 *
 * Each server runs in its own child process, so the load generator (this process) never shares an
 * event loop with the server it measures. Rounds alternate the order (bare, floor, real; then real,
 * floor, bare; ...)
 * so a drift in machine load hits every server alike. The run stops itself: a hard deadline kills the
 * children and exits if anything hangs. Results go to bench/results/ (gitignored).
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from 'autocannon';
import { compiledSelf, forkSelf } from './compiled-self.ts';
import { RESULTS_DIR, writeResults } from './results-file.ts';

const SELF = fileURLToPath(import.meta.url);
const ROUTE = '/api/v1/services?limit=50';
const TARGET_RATIO = 0.6;

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function numberOption(name: string, env: string, fallback: number): number {
  const raw = flag(name) ?? process.env[env];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} (${env}) must be a positive number`);
  return n;
}

type ChildMessage =
  | { type: 'ready'; port: number; token?: string; dbFile?: string }
  | { type: 'cpu'; micros: number }
  | { type: 'error'; message: string };

type ParentMessage =
  | { type: 'body'; body: string; mode: 'object' | 'string'; dbFile?: string }
  | { type: 'cpu' }
  | 'stop';

type ServerName = 'bare' | 'floor' | 'real' | 'real-stmt-cache';

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** Stops the child's server when the parent says so, or when the parent goes away. */
function onStop(stop: () => Promise<void>): void {
  let stopping = false;
  const run = () => {
    if (stopping) return;
    stopping = true;
    stop()
      .catch((error: unknown) => console.error(error))
      .finally(() => process.exit(0));
  };
  process.on('message', (m: ParentMessage) => {
    if (m === 'stop') run();
    else if (typeof m === 'object' && m.type === 'cpu') {
      const u = process.cpuUsage();
      send({ type: 'cpu', micros: u.user + u.system });
    }
  });
  process.on('disconnect', run);
}

/** The first 'body' message from the parent (the captured JSON, and the database file). */
function firstBody(): Promise<Extract<ParentMessage, { type: 'body' }>> {
  return new Promise((resolve) => {
    const listener = (m: ParentMessage) => {
      if (typeof m === 'object' && m.type === 'body') {
        process.off('message', listener);
        resolve(m);
      }
    };
    process.on('message', listener);
  });
}

/**
 * Experiment (--experiment-stmt-cache): Kysely's SQLite driver calls better-sqlite3's `prepare` for
 * every query. This patch, in the benchmark's child process only, returns a cached statement for SQL
 * text it has prepared before (unless that statement is busy iterating), to measure what such a
 * cache in apps/server/src/db/database.ts would save.
 */
async function cachePreparedStatements(): Promise<void> {
  const { default: SQLite } = await import('better-sqlite3');
  const prepare = SQLite.prototype.prepare;
  const caches = new WeakMap<object, Map<string, ReturnType<typeof prepare>>>();
  SQLite.prototype.prepare = function cachedPrepare(this: InstanceType<typeof SQLite>, source: string) {
    let cache = caches.get(this);
    if (!cache) {
      cache = new Map();
      caches.set(this, cache);
    }
    const cached = cache.get(source);
    if (cached && !cached.busy) return cached;
    const statement = prepare.call(this, source);
    if (cache.size < 500) cache.set(source, statement);
    return statement;
  } as typeof prepare;
}

// ---- child: the real engops app (createContainer + buildApp + listen), SQLite in a temp dir

async function serveReal(statementCache: boolean): Promise<void> {
  const { buildApp, createContainer, loadConfig, systemPrincipal } = await import('@engops/server');
  if (statementCache) await cachePreparedStatements();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-bench-http-'));
  const config = loadConfig({
    ENGOPS_DATA_DIR: dir,
    ENGOPS_LOG_LEVEL: 'warn',
    ENGOPS_HOST: '127.0.0.1',
    ENGOPS_PORT: '0',
  });
  const container = createContainer(config);
  await container.migrate();
  const app = await buildApp(container);

  const ctx = { principal: systemPrincipal };
  const team = await container.catalog.service.createTeam(ctx, { name: 'Bench', time_zone: 'UTC' });
  const tiers = ['tier-1', 'tier-2', 'tier-3', 'tier-4'] as const;
  for (let i = 1; i <= 50; i++) {
    const name = `service-${String(i).padStart(2, '0')}`;
    await container.catalog.service.createService(ctx, {
      name,
      team_id: team.id,
      description: `The ${name} service: handles part of the checkout flow for the benchmark.`,
      tier: tiers[i % tiers.length]!,
      runbook_url: `https://runbooks.example.test/${name}`,
      repository_url: `git@git.example.test:bench/${name}.git`,
    });
  }
  const { token } = await container.access.service.createToken(ctx, { name: 'bench-admin', role: 'admin' });

  await app.listen({ host: '127.0.0.1', port: 0 });
  // As `engops serve` does: the worker polls the jobs table in the background.
  container.worker.start();
  const address = app.server.address();
  onStop(async () => {
    await app.close();
    await container.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  send({
    type: 'ready',
    port: typeof address === 'object' && address ? address.port : 0,
    token,
    dbFile: config.database.kind === 'sqlite' ? config.database.file : '',
  });
}

// ---- child: a bare Fastify route returning the same JSON

async function serveBare(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const message = await firstBody();
  const text = message.body;
  const object = JSON.parse(text) as unknown;
  const app = Fastify({ logger: false });
  // 'object': Fastify serialises it, as the real route's result is; 'string': pre-serialised bytes.
  app.get('/api/v1/services', async (_request, reply) =>
    message.mode === 'string' ? reply.type('application/json; charset=utf-8').send(text) : object,
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  onStop(() => app.close());
  send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
}

// ---- child: the floor, the same two reads with prepared statements and no framework around them

async function serveFloor(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const { default: SQLite } = await import('better-sqlite3');
  const { createHash } = await import('node:crypto');
  const message = await firstBody();
  const sqlite = new SQLite(message.dbFile ?? '', { readonly: true, fileMustExist: true });
  const tokenByHash = sqlite.prepare('select * from api_tokens where token_hash = ?');
  const services = sqlite.prepare('select * from services order by id limit ?');
  const app = Fastify({ logger: false });
  app.get('/api/v1/services', async (request, reply) => {
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const row = tokenByHash.get(createHash('sha256').update(token).digest('hex')) as
      | { revoked_at: string | null }
      | undefined;
    if (!row || row.revoked_at) return reply.code(401).send({ code: 'AUTH_INVALID_TOKEN' });
    const limit = 50;
    const rows = services.all(limit + 1) as unknown[];
    return { items: rows.slice(0, limit), next_cursor: rows.length > limit ? 'more' : null };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  onStop(async () => {
    await app.close();
    sqlite.close();
  });
  send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
}

// ---- parent: start both, check the bodies match, load them alternately

interface Server {
  name: ServerName;
  child: ChildProcess;
  url: string;
  headers: Record<string, string>;
}

/** This file compiled as `engops serve` runs (compiled-self.ts); undefined: its source, through tsx. */
let compiled: string | undefined;

function startChild(
  role: ServerName,
  first?: ParentMessage,
  profileDir?: string,
): Promise<{ child: ChildProcess; ready: ChildMessage & { type: 'ready' } }> {
  const child = forkSelf(
    SELF,
    compiled,
    ['--role', role],
    profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
  );
  if (first) child.send(first);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${role} server exited early (code ${code})`)));
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') resolve({ child, ready: m });
      if (m.type === 'error') reject(new Error(m.message));
    });
  });
}

function cpuMicros(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const listener = (m: ChildMessage) => {
      if (m.type === 'cpu') {
        child.off('message', listener);
        resolve(m.micros);
      }
    };
    child.on('message', listener);
    child.send({ type: 'cpu' } satisfies ParentMessage);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.removeAllListeners('exit');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send('stop');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

interface Measurement {
  server: ServerName;
  round: number;
  requestsPerSecond: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  errors: number;
  non2xx: number;
  cpuMicrosPerRequest: number;
}

async function load(
  server: Server,
  seconds: number,
  connections: number,
): Promise<{ result: Result; cpuMicros: number }> {
  // Imported here, so the server children never load the load generator.
  const { default: autocannon } = await import('autocannon');
  const before = await cpuMicros(server.child);
  const result = await autocannon({
    url: server.url,
    connections,
    duration: seconds,
    headers: server.headers,
  });
  return { result, cpuMicros: (await cpuMicros(server.child)) - before };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const duration = numberOption('duration', 'BENCH_DURATION', 10);
  const connections = Math.round(numberOption('connections', 'BENCH_CONNECTIONS', 20));
  const warmup = numberOption('warmup', 'BENCH_WARMUP', 2);
  const rounds = Math.round(numberOption('rounds', 'BENCH_ROUNDS', 1));
  const bareMode = (flag('bare') ?? process.env.BENCH_BARE ?? 'object') as 'object' | 'string';
  if (bareMode !== 'object' && bareMode !== 'string') throw new Error('--bare must be object or string');
  // --profile: the real server writes a V8 CPU profile (.cpuprofile) to bench/results/ when it stops.
  const profile = process.argv.includes('--profile');
  const withFloor = !process.argv.includes('--no-floor');
  const withCacheExperiment = process.argv.includes('--experiment-stmt-cache');

  const children: ChildProcess[] = [];
  const deadlineMs = (rounds * 4 * (duration + warmup) + 120) * 1000;
  const deadline = setTimeout(() => {
    console.error(`http-baseline: still running after ${deadlineMs / 1000} s; stopping.`);
    for (const child of children) child.kill('SIGKILL');
    process.exit(2);
  }, deadlineMs);
  deadline.unref();

  try {
    console.log(
      `http-baseline: GET ${ROUTE}, ${connections} connections, ${warmup} s warmup + ${duration} s, ` +
        `${rounds} round(s), bare route returns the ${bareMode}; node ${process.version}, ` +
        `${os.cpus().length} CPUs, load average ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
    );
    compiled = await compiledSelf(SELF);
    const real = await startChild('real', undefined, profile ? RESULTS_DIR : undefined);
    children.push(real.child);
    const realUrl = `http://127.0.0.1:${real.ready.port}${ROUTE}`;
    const headers = { authorization: `Bearer ${real.ready.token}` };
    const captured = await fetch(realUrl, { headers });
    const body = await captured.text();
    if (captured.status !== 200) throw new Error(`real route answered ${captured.status}: ${body}`);
    const items = (JSON.parse(body) as { items: unknown[] }).items.length;
    if (items !== 50) throw new Error(`expected 50 services, got ${items}`);

    const dbFile = real.ready.dbFile ?? '';
    const servers = new Map<ServerName, Server>([
      ['real', { name: 'real', child: real.child, url: realUrl, headers }],
    ]);
    for (const name of withFloor ? (['bare', 'floor'] as const) : (['bare'] as const)) {
      const started = await startChild(name, { type: 'body', body, mode: bareMode, dbFile });
      children.push(started.child);
      const url = `http://127.0.0.1:${started.ready.port}${ROUTE}`;
      const answer = await (await fetch(url, { headers })).text();
      if (answer !== body) throw new Error(`the ${name} route does not return the same JSON as the real one`);
      servers.set(name, { name, child: started.child, url, headers: name === 'floor' ? headers : {} });
    }
    if (withCacheExperiment) {
      const started = await startChild('real-stmt-cache');
      children.push(started.child);
      const url = `http://127.0.0.1:${started.ready.port}${ROUTE}`;
      const own = { authorization: `Bearer ${started.ready.token}` };
      const answer = await (await fetch(url, { headers: own })).text();
      // Its own database: other ids and times, the same shape and size.
      if (Buffer.byteLength(answer) !== Buffer.byteLength(body)) throw new Error('real-stmt-cache differs');
      servers.set('real-stmt-cache', { name: 'real-stmt-cache', child: started.child, url, headers: own });
    }
    console.log(
      `${[...servers.keys()].join(', ')}: the same ${Buffer.byteLength(body)} bytes of JSON (50 services).\n`,
    );

    const measurements: Measurement[] = [];
    for (let round = 1; round <= rounds; round++) {
      const names = [...servers.keys()].sort();
      const order = round % 2 === 1 ? names : names.reverse();
      for (const name of order) {
        const server = servers.get(name)!;
        await load(server, warmup, connections);
        const { result, cpuMicros: cpu } = await load(server, duration, connections);
        const m: Measurement = {
          server: name,
          round,
          requestsPerSecond: result.requests.average,
          requests: result['2xx'],
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          meanMs: result.latency.average,
          errors: result.errors + result.timeouts,
          non2xx: result.non2xx,
          cpuMicrosPerRequest: result['2xx'] > 0 ? cpu / result['2xx'] : Number.NaN,
        };
        measurements.push(m);
        console.log(
          `  round ${round} ${name.padEnd(15)} ${m.requestsPerSecond.toFixed(0).padStart(7)} req/s  ` +
            `p50 ${m.p50Ms.toFixed(1)} ms  p99 ${m.p99Ms.toFixed(1)} ms  ` +
            `${m.cpuMicrosPerRequest.toFixed(0)} µs CPU/request` +
            (m.errors || m.non2xx ? `  (${m.errors} errors, ${m.non2xx} non-2xx)` : ''),
        );
      }
    }

    const summary = (name: ServerName) => {
      const ms = measurements.filter((m) => m.server === name);
      return {
        requestsPerSecond: median(ms.map((m) => m.requestsPerSecond)),
        p50Ms: median(ms.map((m) => m.p50Ms)),
        p99Ms: median(ms.map((m) => m.p99Ms)),
        cpuMicrosPerRequest: median(ms.map((m) => m.cpuMicrosPerRequest)),
        errors: ms.reduce((n, m) => n + m.errors + m.non2xx, 0),
      };
    };
    const b = summary('bare');
    const r = summary('real');
    const f = withFloor ? summary('floor') : undefined;
    const ratio = r.requestsPerSecond / b.requestsPerSecond;
    const columns = f ? ['bare', 'floor', 'real', 'real/bare', 'real/floor'] : ['bare', 'real', 'real/bare'];
    const row = (cells: string[]) =>
      `| ${cells.map((c, i) => (i === 0 ? c.padEnd(23) : c.padStart(10))).join(' | ')} |`;
    const line = (label: string, pick: (s: typeof b) => number, digits: number) => {
      const cells = [label, pick(b).toFixed(digits)];
      if (f) cells.push(pick(f).toFixed(digits));
      cells.push(pick(r).toFixed(digits), (pick(r) / pick(b)).toFixed(2));
      if (f) cells.push((pick(r) / pick(f)).toFixed(2));
      return row(cells);
    };
    console.log(`\n${row(['', ...columns])}`);
    console.log(row(['-'.repeat(23), ...columns.map(() => '-'.repeat(10))]));
    console.log(line('requests/s', (s) => s.requestsPerSecond, 0));
    console.log(line('p50 latency (ms)', (s) => s.p50Ms, 1));
    console.log(line('p99 latency (ms)', (s) => s.p99Ms, 1));
    console.log(line('server CPU/request (µs)', (s) => s.cpuMicrosPerRequest, 0));
    const verdict = ratio >= TARGET_RATIO ? 'meets' : 'BELOW';
    console.log(
      `\nreal/bare requests/s = ${ratio.toFixed(2)} (${verdict} the target of ${TARGET_RATIO.toFixed(2)})`,
    );
    const x = withCacheExperiment ? summary('real-stmt-cache') : undefined;
    if (x) {
      console.log(
        `\nexperiment, real with a prepared-statement cache: ${x.requestsPerSecond.toFixed(0)} req/s ` +
          `(${(x.requestsPerSecond / r.requestsPerSecond).toFixed(2)}x real, ${(x.requestsPerSecond / b.requestsPerSecond).toFixed(2)} of bare), ` +
          `p99 ${x.p99Ms.toFixed(1)} ms, ${x.cpuMicrosPerRequest.toFixed(0)} µs CPU/request`,
      );
    }
    const failed = b.errors + r.errors + (f?.errors ?? 0) + (x?.errors ?? 0);
    if (failed) console.log(`warning: ${failed} failed requests during the run`);

    const file = writeResults('http-baseline', {
      benchmark: 'http-baseline',
      at: new Date().toISOString(),
      route: ROUTE,
      bodyBytes: Buffer.byteLength(body),
      options: { duration, connections, warmup, rounds, bareMode, floor: withFloor, withCacheExperiment },
      machine: { node: process.version, cpus: os.cpus().length, loadavg: os.loadavg() },
      bare: b,
      ...(f ? { floor: f, realToFloor: r.requestsPerSecond / f.requestsPerSecond } : {}),
      real: r,
      ...(x ? { experimentStatementCache: x } : {}),
      ratio,
      target: TARGET_RATIO,
      measurements,
    });
    console.log(`results: ${path.relative(process.cwd(), file)}`);
  } finally {
    for (const child of children) await stopChild(child);
    clearTimeout(deadline);
  }
}

const role = flag('role');
try {
  if (role === 'real') await serveReal(false);
  else if (role === 'real-stmt-cache') await serveReal(true);
  else if (role === 'bare') await serveBare();
  else if (role === 'floor') await serveFloor();
  else await main();
} catch (error) {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (role) send({ type: 'error', message });
  console.error(message);
  process.exit(1);
}
