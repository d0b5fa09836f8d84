/**
 * OFREP bulk evaluation over HTTP: requests/s of the real `POST /ofrep/v1/evaluate/flags` (client
 * SDK token, 50 flags in production, SQLite) next to a bare Fastify route answering the same JSON
 * body to the same request, measured in the same run with autocannon. Target (issue 7): the real
 * route reaches at least 60% of the bare route.
 *
 *   node --import tsx bench/ofrep.ts [--duration 10] [--warmup 2] [--connections 20] [--rounds 2]
 *                                    [--from-sources]
 *   (npm run bench:ofrep)
 *
 * Each server runs in its own child process (the load generator never shares their event loop),
 * compiled as `engops serve` runs engops (`--from-sources`: through tsx's loader instead);
 * rounds alternate the order. The 50 flags mix what teams run: on/off, gradual rollouts, user ids,
 * constraints, segments and string/number/json variants; every request evaluates all of them for
 * the context `{targetingKey, country, plan, appVersion}`. Results go to bench/results/ (gitignored).
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlagStrategyInput } from '@engops/contracts';
import { compiledSelf, forkSelf } from './compiled-self.ts';
import { writeResults } from './results-file.ts';

const SELF = fileURLToPath(import.meta.url);
const ROUTE = '/ofrep/v1/evaluate/flags';
const TARGET_RATIO = 0.6;
const REQUEST = JSON.stringify({
  context: { targetingKey: 'user-4711', country: 'NO', plan: 'pro', appVersion: '2.4.1' },
});

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

type ChildMessage = { type: 'ready'; port: number; token?: string } | { type: 'cpu'; micros: number };

function ready(port: number, token?: string): void {
  process.send?.({ type: 'ready', port, ...(token ? { token } : {}) } satisfies ChildMessage);
}

function stopOnParent(stop: () => Promise<void>): void {
  const run = () => {
    stop().finally(() => process.exit(0));
  };
  process.on('message', (m) => {
    if (m === 'stop') run();
    if (m === 'cpu') {
      const u = process.cpuUsage();
      process.send?.({ type: 'cpu', micros: u.user + u.system } satisfies ChildMessage);
    }
  });
  process.on('disconnect', run);
}

/** The 50 flags: ten of each of five shapes. */
function flagDefinitions() {
  const defs: Array<{
    key: string;
    type: 'boolean' | 'string' | 'number' | 'json';
    variants?: Array<{
      name: string;
      weight: number;
      stickiness: string;
      payload: { type: string; value: string };
    }>;
    strategies: Array<Record<string, unknown>>;
  }> = [];
  for (let i = 0; i < 10; i++) {
    defs.push({ key: `bench.on-${i}`, type: 'boolean', strategies: [{ name: 'default', parameters: {} }] });
    defs.push({
      key: `bench.rollout-${i}`,
      type: 'boolean',
      strategies: [
        {
          name: 'flexibleRollout',
          parameters: { rollout: String(10 * i), stickiness: 'default', groupId: `g${i}` },
        },
      ],
    });
    defs.push({
      key: `bench.users-${i}`,
      type: 'boolean',
      strategies: [
        {
          name: 'userWithId',
          parameters: { userIds: Array.from({ length: 20 }, (_, j) => `user-${j * 97 + i}`).join(',') },
        },
      ],
    });
    defs.push({
      key: `bench.targeted-${i}`,
      type: 'string',
      variants: ['red', 'green', 'blue'].map((name) => ({
        name,
        weight: 333,
        stickiness: 'default',
        payload: { type: 'string', value: name },
      })),
      strategies: [
        {
          name: 'flexibleRollout',
          parameters: { rollout: '100', stickiness: 'default', groupId: `t${i}` },
          constraints: [
            { contextName: 'country', operator: 'IN', values: ['NO', 'SE', 'DK'] },
            { contextName: 'appVersion', operator: 'SEMVER_GT', value: `2.${i % 5}.0` },
          ],
          segments: [1],
        },
      ],
    });
    defs.push({
      key: `bench.config-${i}`,
      type: i % 2 === 0 ? 'number' : 'json',
      variants: [
        {
          name: 'v1',
          weight: 1000,
          stickiness: 'default',
          payload:
            i % 2 === 0
              ? { type: 'number', value: String(i * 10) }
              : { type: 'json', value: `{"limit":${i}}` },
        },
      ],
      strategies: [{ name: 'default', parameters: {} }],
    });
  }
  return defs;
}

// ---- child: the real engops app

async function serveReal(): Promise<void> {
  const { buildApp, createContainer, loadConfig, systemPrincipal } = await import('@engops/server');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-bench-ofrep-'));
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
  const flags = container.flags.service;
  await flags.upsertSegment(ctx, null, {
    name: 'paying',
    constraints: [{ contextName: 'plan', operator: 'IN', values: ['pro', 'enterprise'] }],
  });
  for (const def of flagDefinitions()) {
    await flags.createFlag(ctx, {
      key: def.key,
      type: def.type,
      ...(def.variants ? { variants: def.variants } : {}),
    });
    await flags.updateEnvironment(ctx, def.key, 'production', {
      enabled: true,
      strategies: def.strategies as FlagStrategyInput[],
    });
  }
  const { token } = await flags.createSdkToken(ctx, {
    name: 'bench',
    type: 'client',
    environment: 'production',
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  container.worker.start();
  const address = app.server.address();
  stopOnParent(async () => {
    await app.close();
    await container.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  ready(typeof address === 'object' && address ? address.port : 0, token);
}

// ---- child: a bare Fastify route answering the same body

async function serveBare(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const body = await new Promise<string>((resolve) => {
    process.once('message', (m) => resolve(String(m)));
  });
  const object = JSON.parse(body) as unknown;
  const app = Fastify({ logger: false });
  app.post(ROUTE, async () => object);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  stopOnParent(() => app.close());
  ready(typeof address === 'object' && address ? address.port : 0);
}

// ---- parent

type Ready = Extract<ChildMessage, { type: 'ready' }>;

/** This file compiled as `engops serve` runs (compiled-self.ts); undefined: its source, through tsx. */
let compiled: string | undefined;

function start(role: 'real' | 'bare', first?: string): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = forkSelf(SELF, compiled, ['--role', role]);
  if (first !== undefined) child.send(first);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${role} exited early (${code})`)));
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') resolve({ child, ready: m });
    });
  });
}

/** The child's CPU time so far (user + system), in microseconds. */
function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const listener = (m: ChildMessage) => {
      if (m.type !== 'cpu') return;
      child.off('message', listener);
      resolve(m.micros);
    };
    child.on('message', listener);
    child.send('cpu');
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.removeAllListeners('exit');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send('stop');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function main(): Promise<void> {
  const duration = option('duration', 10);
  const warmup = option('warmup', 2);
  const connections = Math.round(option('connections', 20));
  const rounds = Math.round(option('rounds', 2));
  const children: ChildProcess[] = [];
  const deadline = setTimeout(
    () => {
      console.error('ofrep bench: still running past its deadline; stopping.');
      for (const child of children) child.kill('SIGKILL');
      process.exit(2);
    },
    (rounds * 2 * (duration + warmup) + 120) * 1000,
  );
  deadline.unref();
  const { default: autocannon } = await import('autocannon');
  try {
    console.log(
      `ofrep: POST ${ROUTE} (50 flags), ${connections} connections, ${warmup} s warmup + ${duration} s, ` +
        `${rounds} round(s); node ${process.version}, ${os.cpus().length} CPUs, load average ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
    );
    compiled = await compiledSelf(SELF);
    const real = await start('real');
    children.push(real.child);
    const realUrl = `http://127.0.0.1:${real.ready.port}${ROUTE}`;
    const headers = { authorization: `Bearer ${real.ready.token}`, 'content-type': 'application/json' };
    const captured = await fetch(realUrl, { method: 'POST', headers, body: REQUEST });
    const body = await captured.text();
    if (captured.status !== 200) throw new Error(`real route answered ${captured.status}: ${body}`);
    const count = (JSON.parse(body) as { flags: unknown[] }).flags.length;
    if (count !== 50) throw new Error(`expected 50 flags, got ${count}`);
    const bare = await start('bare', body);
    children.push(bare.child);
    const bareUrl = `http://127.0.0.1:${bare.ready.port}${ROUTE}`;
    const answer = await (await fetch(bareUrl, { method: 'POST', headers, body: REQUEST })).text();
    if (answer !== body) throw new Error('the bare route does not answer the same JSON');
    console.log(`both answer the same ${Buffer.byteLength(body)} bytes (50 evaluations)\n`);

    const results: Record<'real' | 'bare', number[]> = { real: [], bare: [] };
    const p99: Record<'real' | 'bare', number[]> = { real: [], bare: [] };
    // CPU time per request of each server process: steadier than req/s on a busy machine.
    const cpuPerRequest: Record<'real' | 'bare', number[]> = { real: [], bare: [] };
    for (let round = 1; round <= rounds; round++) {
      const order: Array<'real' | 'bare'> = round % 2 === 1 ? ['bare', 'real'] : ['real', 'bare'];
      for (const name of order) {
        const url = name === 'real' ? realUrl : bareUrl;
        const run = (seconds: number) =>
          autocannon({
            url,
            method: 'POST',
            headers,
            connections,
            duration: seconds,
            // autocannon sends `body` (bench/types/autocannon.d.ts does not declare it).
            ...({ body: REQUEST } as object),
          });
        await run(warmup);
        const child = name === 'real' ? real.child : bare.child;
        const cpuBefore = await cpuOf(child);
        const result = await run(duration);
        const cpu = (await cpuOf(child)) - cpuBefore;
        if (result.non2xx > 0 || result.errors > 0)
          throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        results[name].push(result.requests.average);
        p99[name].push(result.latency.p99);
        cpuPerRequest[name].push(cpu / Math.max(1, result['2xx']));
        console.log(
          `  round ${round} ${name.padEnd(5)} ${result.requests.average.toFixed(0).padStart(7)} req/s  ` +
            `p50 ${result.latency.p50.toFixed(1)} ms  p99 ${result.latency.p99.toFixed(1)} ms  ` +
            `${(cpu / Math.max(1, result['2xx'])).toFixed(0)} µs CPU/request`,
        );
      }
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const ratio = mean(results.real) / mean(results.bare);
    const cpuRatio = mean(cpuPerRequest.bare) / mean(cpuPerRequest.real);
    console.log(
      `\nreal ${mean(results.real).toFixed(0)} req/s vs bare ${mean(results.bare).toFixed(0)} req/s: ratio ` +
        `${ratio.toFixed(2)} (target >= ${TARGET_RATIO}): ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'}\n` +
        `CPU per request: real ${mean(cpuPerRequest.real).toFixed(0)} µs, bare ${mean(cpuPerRequest.bare).toFixed(0)} µs: ` +
        `the real route does ${(cpuRatio * 100).toFixed(0)}% of the bare route's requests per CPU second`,
    );
    const file = writeResults('ofrep', {
      node: process.version,
      cpus: os.cpus().length,
      connections,
      duration,
      rounds,
      realRequestsPerSecond: results.real,
      bareRequestsPerSecond: results.bare,
      realP99Ms: p99.real,
      realCpuMicrosPerRequest: cpuPerRequest.real,
      bareCpuMicrosPerRequest: cpuPerRequest.bare,
      cpuRatio,
      bareP99Ms: p99.bare,
      ratio,
      targetRatio: TARGET_RATIO,
      met: ratio >= TARGET_RATIO,
    });
    console.log(`results: ${file}`);
  } finally {
    for (const child of children) await stop(child);
  }
}

const roleIndex = process.argv.indexOf('--role');
const role = roleIndex >= 0 ? process.argv[roleIndex + 1] : undefined;
if (role === 'real') void serveReal();
else if (role === 'bare') void serveBare();
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
