/**
 * Alert ingest: sustained PagerDuty Events v2 triggers per second into the real engops app on SQLite
 * (POST /v2/enqueue, each event committed before its 202), next to a bare Fastify route that parses
 * the same JSON body and answers 202 with the same JSON shape, measured in the same run with
 * autocannon. Targets (issue 3): at least 3,000 events/s on 2 cores, at least 40% of the bare route,
 * p99 under 50 ms.
 *
 *   node --import tsx bench/ingest.ts [--duration 10] [--connections 32] [--warmup 3] [--rounds 5]
 *                                     [--keys 1000] [--profile] [--no-worker] [--synchronous-normal]
 *                                     [--from-sources]
 *   (or BENCH_DURATION, BENCH_CONNECTIONS, BENCH_WARMUP, BENCH_ROUNDS, BENCH_KEYS)
 *   --profile writes a V8 CPU profile of the real server to bench/results/*.cpuprofile.
 *   --from-sources runs both servers from the TypeScript sources through tsx's loader (development
 *   mode) instead of compiled as `engops serve` runs them (see compiled-self.ts).
 *   --no-worker leaves the job worker off (no page jobs run): the cost of ingest alone.
 *   --synchronous-normal is an experiment, not how engops runs: PRAGMA synchronous = NORMAL instead
 *   of engops' FULL, i.e. no fsync per commit in WAL mode (still safe against kill -9, not against a
 *   power cut). Ingest batches already sync the WAL off the main thread (docs/adr/0005-*), so this
 *   mostly shows what the inline fsyncs of other writes (the job worker's claims and completions
 *   of page jobs) cost.
 *
 * The load is a mix of new alerts and repeats: each request picks one of `keys` (1,000) dedup keys
 * at random; the first event of a key opens an alert and an incident (and enqueues a page job), the
 * others are appended to it (count, last seen, stored event). Each phase (warm-up, measurement) uses
 * keys of its own, so every measurement starts with `keys` new alerts.
 *
 * Each round measures both servers back to back (alternating which goes first); the verdict on the
 * 40% target uses the median of the rounds' ratios, the table also shows the ratio of the medians.
 *
 * Each server runs in its own child process, so the load generator (this process) never shares an
 * event loop with the server it measures; both run this file compiled ahead, as `engops serve`
 * runs engops. The real server runs its job worker, as `engops serve` does. After the run the
 * real server reports how many events it stored, which must match the 202s. A hard deadline kills
 * the children and exits if anything hangs. Results go to bench/results/ (gitignored).
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from 'autocannon';
import { compiledSelf, forkSelf } from './compiled-self.ts';
import { RESULTS_DIR, writeResults } from './results-file.ts';

declare module 'autocannon' {
  interface RequestSpec {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    setupRequest?: (request: RequestSpec, context: Record<string, unknown>) => RequestSpec;
  }
  interface Options {
    requests?: RequestSpec[];
  }
}

const SELF = fileURLToPath(import.meta.url);
const ROUTE = '/v2/enqueue';
const TARGET_EVENTS_PER_SECOND = 3000;
const TARGET_RATIO = 0.4;
const TARGET_P99_MS = 50;

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

type ServerName = 'bare' | 'real';

interface StoredCounts {
  events: number;
  alerts: number;
  incidents: number;
  pageJobsDone: number;
}

type ChildMessage =
  | { type: 'ready'; port: number; routingKey: string }
  | { type: 'cpu'; micros: number }
  | { type: 'counts'; counts: StoredCounts }
  | { type: 'error'; message: string };

type ParentMessage = { type: 'cpu' } | { type: 'counts' } | 'stop';

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** Answers the parent's cpu/counts questions and stops the server when told (or orphaned). */
function serveChild(stop: () => Promise<void>, counts?: () => Promise<StoredCounts>): void {
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
    else if (m.type === 'cpu') {
      const u = process.cpuUsage();
      send({ type: 'cpu', micros: u.user + u.system });
    } else if (m.type === 'counts' && counts) {
      counts()
        .then((c) => send({ type: 'counts', counts: c }))
        .catch((error: unknown) => send({ type: 'error', message: String(error) }));
    }
  });
  process.on('disconnect', run);
}

// ---- child: the real engops app (createContainer + buildApp + listen), SQLite in a temp dir

async function serveReal(): Promise<void> {
  const { buildApp, createContainer, loadConfig, systemPrincipal } = await import('@engops/server');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-bench-ingest-'));
  const config = loadConfig({
    ENGOPS_DATA_DIR: dir,
    ENGOPS_LOG_LEVEL: 'warn',
    ENGOPS_HOST: '127.0.0.1',
    ENGOPS_PORT: '0',
  });
  const container = createContainer(config);
  await container.migrate();
  if (process.argv.includes('--synchronous-normal')) {
    const { sql } = await import('kysely');
    await sql`pragma synchronous = NORMAL`.execute(container.db);
  }
  await container.start();
  const app = await buildApp(container);
  const ctx = { principal: systemPrincipal };
  const team = await container.catalog.service.createTeam(ctx, { name: 'Bench', time_zone: 'UTC' });
  const service = await container.catalog.service.createService(ctx, {
    name: 'checkout-api',
    team_id: team.id,
    tier: 'tier-1',
    runbook_url: 'https://runbooks.example.test/checkout-api',
  });
  const integration = await container.incidents.integrations.create(ctx, service.id, {
    kind: 'events-v2',
    name: 'bench monitoring',
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  // As `engops serve` does: the worker runs the page jobs of new incidents in the background.
  if (!process.argv.includes('--no-worker')) container.worker.start();
  const address = app.server.address();
  serveChild(
    async () => {
      await app.close();
      await container.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    async () => {
      const count = async (table: 'alert_events' | 'alerts' | 'incidents') =>
        Number(
          (
            await container.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const pages = await container.db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('kind', '=', 'incidents.page')
        .where('status', '=', 'done')
        .executeTakeFirstOrThrow();
      return {
        events: await count('alert_events'),
        alerts: await count('alerts'),
        incidents: await count('incidents'),
        pageJobsDone: Number(pages.n),
      };
    },
  );
  send({
    type: 'ready',
    port: typeof address === 'object' && address ? address.port : 0,
    routingKey: integration.key,
  });
}

// ---- child: a bare Fastify route that parses the same body and answers the same shape

async function serveBare(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false, bodyLimit: 512 * 1024 });
  app.post(ROUTE, async (request, reply) => {
    const body = request.body as { dedup_key?: string };
    return reply.code(202).send({ status: 'success', message: 'Event processed', dedup_key: body.dedup_key });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  serveChild(() => app.close());
  send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0, routingKey: '' });
}

// ---- parent

interface Server {
  name: ServerName;
  child: ChildProcess;
  url: string;
  routingKey: string;
}

/** This file compiled as `engops serve` runs (compiled-self.ts); undefined: its source, through tsx. */
let compiled: string | undefined;

function startChild(role: ServerName, profileDir?: string, args: string[] = []): Promise<Server> {
  const child = forkSelf(
    SELF,
    compiled,
    ['--role', role, ...args],
    profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${role} server exited early (code ${code})`)));
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready')
        resolve({ name: role, child, url: `http://127.0.0.1:${m.port}`, routingKey: m.routingKey });
      if (m.type === 'error') reject(new Error(m.message));
    });
  });
}

function ask<T extends ChildMessage['type']>(
  child: ChildProcess,
  question: ParentMessage,
  answer: T,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const listener = (m: ChildMessage) => {
      if (m.type === answer || m.type === 'error') {
        child.off('message', listener);
        if (m.type === 'error') reject(new Error(m.message));
        else resolve(m as Extract<ChildMessage, { type: T }>);
      }
    };
    child.on('message', listener);
    child.send(question);
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

/** The JSON bodies of one phase: `keys` triggers, each with its own dedup key. */
function bodies(routingKey: string, phase: string, keys: number): string[] {
  const severities = ['critical', 'error', 'warning', 'info'] as const;
  return Array.from({ length: keys }, (_, k) =>
    JSON.stringify({
      routing_key: routingKey,
      event_action: 'trigger',
      dedup_key: `${phase}-${String(k).padStart(4, '0')}`,
      payload: {
        summary: `High error rate on checkout-api pod ${k % 50} (${phase})`,
        source: `checkout-api-${k % 50}.prod.example.test`,
        severity: severities[k % severities.length],
        timestamp: '2026-11-28T10:00:00.000Z',
        component: 'checkout-api',
        group: 'payments',
        class: 'http_5xx',
        custom_details: { error_rate: 0.12, threshold: 0.05, region: 'eu-west-1' },
      },
      client: 'Prometheus Alertmanager',
      client_url: 'http://alertmanager.example.test:9093',
      links: [{ href: 'https://grafana.example.test/d/checkout', text: 'Dashboard' }],
    }),
  );
}

interface Measurement {
  server: ServerName;
  round: number;
  eventsPerSecond: number;
  accepted: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  errors: number;
  non2xx: number;
  cpuMicrosPerEvent: number;
}

async function load(
  server: Server,
  phase: string,
  keys: number,
  seconds: number,
  connections: number,
): Promise<{ result: Result; cpuMicros: number }> {
  // Imported here, so the server children never load the load generator.
  const { default: autocannon } = await import('autocannon');
  const pool = bodies(server.routingKey, phase, keys);
  const before = (await ask(server.child, { type: 'cpu' }, 'cpu')).micros;
  const result = await autocannon({
    url: server.url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: ROUTE,
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({
          ...request,
          body: pool[Math.floor(Math.random() * pool.length)]!,
        }),
      },
    ],
  });
  const after = (await ask(server.child, { type: 'cpu' }, 'cpu')).micros;
  return { result, cpuMicros: after - before };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const duration = numberOption('duration', 'BENCH_DURATION', 10);
  const connections = Math.round(numberOption('connections', 'BENCH_CONNECTIONS', 32));
  const warmup = numberOption('warmup', 'BENCH_WARMUP', 3);
  const rounds = Math.round(numberOption('rounds', 'BENCH_ROUNDS', 5));
  const keys = Math.round(numberOption('keys', 'BENCH_KEYS', 1000));
  const profile = process.argv.includes('--profile');
  const fromSources = process.argv.includes('--from-sources');

  const children: ChildProcess[] = [];
  const deadlineMs = (rounds * 2 * (duration + warmup + 5) + 120) * 1000;
  const deadline = setTimeout(() => {
    console.error(`ingest: still running after ${deadlineMs / 1000} s; stopping.`);
    for (const child of children) child.kill('SIGKILL');
    process.exit(2);
  }, deadlineMs);
  deadline.unref();

  try {
    console.log(
      `ingest: POST ${ROUTE} (PagerDuty Events v2 triggers, ${keys} dedup keys per phase, new and repeats), ` +
        `${connections} connections, ${warmup} s warmup + ${duration} s, ${rounds} round(s)` +
        `${process.argv.includes('--no-worker') ? ', worker off' : ''}` +
        `${fromSources ? ', servers run from sources (tsx)' : ''}` +
        `${process.argv.includes('--synchronous-normal') ? ', EXPERIMENT: synchronous=NORMAL' : ''}; node ${process.version}, ` +
        `${os.cpus().length} CPUs, load average ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
    );
    const worker = !process.argv.includes('--no-worker');
    const synchronousNormal = process.argv.includes('--synchronous-normal');
    const realArgs = [
      ...(worker ? [] : ['--no-worker']),
      ...(synchronousNormal ? ['--synchronous-normal'] : []),
    ];
    compiled = await compiledSelf(SELF);
    const real = await startChild('real', profile ? RESULTS_DIR : undefined, realArgs);
    children.push(real.child);
    const bare = await startChild('bare');
    children.push(bare.child);

    // Both answer one event alike: 202 and the same JSON.
    const probe = bodies(real.routingKey, 'probe', 1)[0]!;
    const answers: string[] = [];
    for (const server of [bare, real]) {
      const res = await fetch(`${server.url}${ROUTE}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: probe,
      });
      const text = await res.text();
      if (res.status !== 202) throw new Error(`${server.name} answered ${res.status}: ${text}`);
      answers.push(text);
    }
    if (answers[0] !== answers[1]) throw new Error(`different answers: ${answers[0]} vs ${answers[1]}`);
    console.log(`both answer 202 ${answers[0]}\n`);

    const measurements: Measurement[] = [];
    let realAccepted = 1;
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? [bare, real] : [real, bare];
      for (const server of order) {
        const warm = await load(server, `warm${round}`, keys, warmup, connections);
        const { result, cpuMicros } = await load(server, `run${round}`, keys, duration, connections);
        if (server.name === 'real') realAccepted += warm.result['2xx'] + result['2xx'];
        const m: Measurement = {
          server: server.name,
          round,
          eventsPerSecond: result['2xx'] / result.duration,
          accepted: result['2xx'],
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          meanMs: result.latency.average,
          errors: result.errors + result.timeouts,
          non2xx: result.non2xx,
          cpuMicrosPerEvent: result['2xx'] > 0 ? cpuMicros / result['2xx'] : Number.NaN,
        };
        measurements.push(m);
        console.log(
          `  round ${round} ${server.name.padEnd(4)} ${m.eventsPerSecond.toFixed(0).padStart(7)} events/s  ` +
            `p50 ${m.p50Ms.toFixed(1)} ms  p99 ${m.p99Ms.toFixed(1)} ms  ` +
            `${m.cpuMicrosPerEvent.toFixed(0)} µs server CPU/event` +
            (m.errors || m.non2xx ? `  (${m.errors} errors, ${m.non2xx} non-2xx)` : ''),
        );
      }
    }

    // Every 202 is a stored event. A few more may be stored: autocannon stops each phase with up to
    // `connections` requests in flight, whose answers it no longer counts.
    const { counts } = await ask(real.child, { type: 'counts' }, 'counts');
    const unanswered = counts.events - realAccepted;
    const storedOk = unanswered >= 0 && unanswered <= connections * 2 * rounds;

    const summary = (name: ServerName) => {
      const ms = measurements.filter((m) => m.server === name);
      return {
        eventsPerSecond: median(ms.map((m) => m.eventsPerSecond)),
        p50Ms: median(ms.map((m) => m.p50Ms)),
        p99Ms: median(ms.map((m) => m.p99Ms)),
        cpuMicrosPerEvent: median(ms.map((m) => m.cpuMicrosPerEvent)),
        errors: ms.reduce((n, m) => n + m.errors + m.non2xx, 0),
      };
    };
    const b = summary('bare');
    const r = summary('real');
    // The table's ratio: of the medians over all rounds.
    const ratio = r.eventsPerSecond / b.eventsPerSecond;
    // The verdict's ratio: each round measures both servers back to back, so its ratio is the least
    // exposed to the machine's speed changing between rounds (on shared machines the bare route
    // alone moves by a third from one round to the next); the median of those.
    const perRound = Array.from({ length: rounds }, (_, i) => {
      const of = (name: ServerName) => measurements.find((m) => m.round === i + 1 && m.server === name);
      return (of('real')?.eventsPerSecond ?? Number.NaN) / (of('bare')?.eventsPerSecond ?? Number.NaN);
    });
    const pairedRatio = median(perRound);
    const row = (cells: string[]) =>
      `| ${cells.map((c, i) => (i === 0 ? c.padEnd(22) : c.padStart(10))).join(' | ')} |`;
    const line = (label: string, pick: (s: typeof b) => number, digits: number) =>
      row([
        label,
        pick(b).toFixed(digits),
        pick(r).toFixed(digits),
        // autocannon reports whole milliseconds: a bare p50 of 0 ms has no ratio.
        pick(b) > 0 ? (pick(r) / pick(b)).toFixed(2) : '-',
      ]);
    console.log(`\n${row(['', 'bare', 'real', 'real/bare'])}`);
    console.log(row(['-'.repeat(22), '-'.repeat(10), '-'.repeat(10), '-'.repeat(10)]));
    console.log(line('events/s', (s) => s.eventsPerSecond, 0));
    console.log(line('p50 latency (ms)', (s) => s.p50Ms, 1));
    console.log(line('p99 latency (ms)', (s) => s.p99Ms, 1));
    console.log(line('server CPU/event (µs)', (s) => s.cpuMicrosPerEvent, 0));
    console.log(
      `real/bare per round: ${perRound.map((x) => x.toFixed(2)).join(', ')} (median ${pairedRatio.toFixed(2)})`,
    );
    const verdicts = [
      `${r.eventsPerSecond.toFixed(0)} events/s ${r.eventsPerSecond >= TARGET_EVENTS_PER_SECOND ? 'meets' : 'BELOW'} the target of ${TARGET_EVENTS_PER_SECOND}`,
      `real/bare = ${pairedRatio.toFixed(2)} (median per round; ${ratio.toFixed(2)} of the medians) ${pairedRatio >= TARGET_RATIO ? 'meets' : 'BELOW'} the target of ${TARGET_RATIO.toFixed(2)}`,
      `p99 ${r.p99Ms.toFixed(1)} ms ${r.p99Ms < TARGET_P99_MS ? 'meets' : 'ABOVE'} the target of < ${TARGET_P99_MS} ms`,
    ];
    console.log(`\n${verdicts.join('\n')}`);
    console.log(
      `stored: ${counts.events} events for ${realAccepted} answered 202 ` +
        `(${storedOk ? `all, plus ${unanswered} cut off in flight at the end of a phase` : 'MISMATCH'}), ` +
        `${counts.alerts} alerts, ${counts.incidents} incidents, ${counts.pageJobsDone} page jobs done`,
    );
    const failed = b.errors + r.errors;
    if (failed) console.log(`warning: ${failed} failed requests during the run`);

    const file = writeResults('ingest', {
      benchmark: 'ingest',
      at: new Date().toISOString(),
      route: ROUTE,
      options: {
        duration,
        connections,
        warmup,
        rounds,
        keys,
        profile,
        worker,
        servers: fromSources ? 'sources through tsx' : 'compiled, as engops serve runs',
        experiments: { synchronousNormal },
      },
      machine: { node: process.version, cpus: os.cpus().length, loadavg: os.loadavg() },
      bare: b,
      real: r,
      ratio,
      ratioPerRound: perRound,
      ratioPairedMedian: pairedRatio,
      targets: { eventsPerSecond: TARGET_EVENTS_PER_SECOND, ratio: TARGET_RATIO, p99Ms: TARGET_P99_MS },
      stored: { ...counts, answered202: realAccepted, match: storedOk },
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
  if (role === 'real') await serveReal();
  else if (role === 'bare') await serveBare();
  else await main();
} catch (error) {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (role) send({ type: 'error', message });
  console.error(message);
  process.exit(1);
}
