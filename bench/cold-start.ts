/**
 * Cold start and idle memory: spawns `engops serve --no-web-build` on a fresh SQLite data directory
 * and a free port, polls /healthz every 10 ms, and reports the milliseconds from spawn to the first
 * 200 (migrations applied, ready to serve), then the resident memory (VmRSS) after 3 s idle.
 * The baseline, measured in the same run, is a bare `node -e` HTTP server. Targets: cold start
 * under 2 s, idle RSS under 200 MiB.
 *
 *   npm run bench:startup -- [--runs 5] [--idle 3] [--bundle-experiment]   (or BENCH_RUNS, BENCH_IDLE)
 *
 * Runs alternate (baseline, engops, engops with tsx's transform cache disabled, ...), so a change
 * in machine load affects all three alike. The third line shows the very first start of a fresh
 * clone, when tsx has not yet cached the TypeScript it compiles. Linux only (reads /proc).
 *
 * --bundle-experiment adds a fourth line: the same CLI and server bundled by esbuild into one file
 * in bench/results/dist/ (third-party packages left external) and run by plain node, without tsx's
 * loader. It shows what a build step for `npm start` would save; it is not how engops ships.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { RESULTS_DIR, writeResults } from './results-file.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const POLL_MS = 10;
const READY_TIMEOUT_MS = 30_000;
const TARGET_START_MS = 2000;
const TARGET_RSS_MIB = 200;

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One GET /healthz: its status, or 0 when nothing answers yet. */
function probe(port: number): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: 1000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) / 1024;
}

async function stop(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null || child.signalCode !== null) return 0;
  const started = performance.now();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  return performance.now() - started;
}

interface Variant {
  name: string;
  command: (port: number, dataDir: string) => { args: string[]; env: NodeJS.ProcessEnv };
}

interface Sample {
  variant: string;
  run: number;
  startMs: number;
  rssMiB: number;
  stopMs: number;
}

function engopsEnv(port: number, dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ENGOPS_DATA_DIR: dataDir,
    ENGOPS_PORT: String(port),
    ENGOPS_HOST: '127.0.0.1',
    ENGOPS_LOG_LEVEL: 'warn',
    ...extra,
  };
  // A fresh SQLite database every run, whatever the caller's environment says.
  delete env.ENGOPS_DATABASE_URL;
  delete env.ENGOPS_ADMIN_TOKEN;
  delete env.PORT;
  return env;
}

const VARIANTS: Variant[] = [
  {
    name: 'baseline (node -e http server)',
    command: (port) => ({
      args: ['-e', "require('http').createServer((q,s)=>s.end('ok')).listen(process.env.PORT,'127.0.0.1')"],
      env: { ...process.env, PORT: String(port) },
    }),
  },
  {
    name: 'engops serve',
    command: (port, dataDir) => ({
      args: [path.join(ROOT, 'apps/cli/bin/engops.js'), 'serve', '--no-web-build'],
      env: engopsEnv(port, dataDir),
    }),
  },
  {
    name: 'engops serve, no tsx cache',
    command: (port, dataDir) => ({
      args: [path.join(ROOT, 'apps/cli/bin/engops.js'), 'serve', '--no-web-build'],
      env: engopsEnv(port, dataDir, { TSX_DISABLE_CACHE: '1' }),
    }),
  },
];

const EXTERNAL = [
  '@fastify/static',
  'better-sqlite3',
  'cli-progress',
  'commander',
  'fastify',
  'kysely',
  'nodemailer',
  'pg',
  'pino',
  'prom-client',
  'tsx',
  'zod',
];

/** Bundles apps/cli/src/main.ts (with the server and contracts) into bench/results/dist/engops-bundle.mjs. */
async function buildBundle(): Promise<string> {
  // Under a dist/ directory, which Biome ignores.
  const outfile = path.join(RESULTS_DIR, 'dist', 'engops-bundle.mjs');
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  // esbuild comes with tsx; the bundle is an experiment, not a dependency of engops.
  const { build } = await import('esbuild');
  await build({
    entryPoints: [path.join(ROOT, 'apps/cli/src/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    outfile,
    external: EXTERNAL,
  });
  return outfile;
}

async function measure(variant: Variant, run: number, idleMs: number): Promise<Sample> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-bench-start-'));
  const { args, env } = variant.command(port, dataDir);
  let stderr = '';
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  try {
    let startMs = Number.NaN;
    while (performance.now() - started < READY_TIMEOUT_MS) {
      if (child.exitCode !== null)
        throw new Error(`${variant.name} exited with ${child.exitCode}: ${stderr}`);
      if ((await probe(port)) === 200) {
        startMs = performance.now() - started;
        break;
      }
      await sleep(POLL_MS);
    }
    if (Number.isNaN(startMs)) throw new Error(`${variant.name} not healthy after ${READY_TIMEOUT_MS} ms`);
    await sleep(idleMs);
    const rss = rssMiB(child.pid!);
    const stopMs = await stop(child);
    return { variant: variant.name, run, startMs, rssMiB: rss, stopMs };
  } finally {
    await stop(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('cold-start reads /proc/<pid>/status: Linux only');
  const runs = Math.round(numberOption('runs', 'BENCH_RUNS', 5));
  const variants = [...VARIANTS];
  if (process.argv.includes('--bundle-experiment')) {
    const bundle = await buildBundle();
    variants.push({
      name: 'experiment: esbuild bundle',
      command: (port, dataDir) => ({
        args: [bundle, 'serve', '--no-web-build'],
        env: engopsEnv(port, dataDir),
      }),
    });
  }
  const idleMs = numberOption('idle', 'BENCH_IDLE', 3) * 1000;
  const deadline = setTimeout(
    () => {
      console.error('cold-start: took too long; stopping.');
      process.exit(2);
    },
    runs * variants.length * (READY_TIMEOUT_MS + idleMs + 10_000),
  );
  deadline.unref();

  console.log(
    `cold-start: spawn to first 200 from /healthz (polled every ${POLL_MS} ms), RSS after ${idleMs / 1000} s idle; ` +
      `${runs} runs each; node ${process.version}, ${os.cpus().length} CPUs, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
  );
  const samples: Sample[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const variant of variants) {
      const s = await measure(variant, run, idleMs);
      samples.push(s);
      console.log(
        `  run ${run} ${variant.name.padEnd(32)} ${s.startMs.toFixed(0).padStart(5)} ms to healthy  ` +
          `${s.rssMiB.toFixed(1).padStart(6)} MiB RSS  ${s.stopMs.toFixed(0).padStart(4)} ms to stop`,
      );
    }
  }

  const summary = variants.map((v) => {
    const mine = samples.filter((s) => s.variant === v.name);
    return {
      variant: v.name,
      medianStartMs: median(mine.map((s) => s.startMs)),
      minStartMs: Math.min(...mine.map((s) => s.startMs)),
      maxStartMs: Math.max(...mine.map((s) => s.startMs)),
      medianRssMiB: median(mine.map((s) => s.rssMiB)),
      medianStopMs: median(mine.map((s) => s.stopMs)),
    };
  });
  const base = summary[0]!;
  const row = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(32) : c.padStart(12))).join(' | ')} |`;
  console.log(
    `\n${row(['', 'start (ms)', 'min-max', 'vs baseline', 'RSS (MiB)', 'vs baseline', 'stop (ms)'])}`,
  );
  console.log(row(['-'.repeat(32), ...Array.from({ length: 6 }, () => '-'.repeat(12))]));
  for (const s of summary) {
    console.log(
      row([
        s.variant,
        s.medianStartMs.toFixed(0),
        `${s.minStartMs.toFixed(0)}-${s.maxStartMs.toFixed(0)}`,
        `${(s.medianStartMs / base.medianStartMs).toFixed(1)}x`,
        s.medianRssMiB.toFixed(1),
        `${(s.medianRssMiB / base.medianRssMiB).toFixed(1)}x`,
        s.medianStopMs.toFixed(0),
      ]),
    );
  }
  const engops = summary[1]!;
  console.log(
    `\nengops cold start ${engops.medianStartMs.toFixed(0)} ms (${engops.medianStartMs < TARGET_START_MS ? 'meets' : 'OVER'} the ${TARGET_START_MS} ms target); ` +
      `idle RSS ${engops.medianRssMiB.toFixed(1)} MiB (${engops.medianRssMiB < TARGET_RSS_MIB ? 'meets' : 'OVER'} the ${TARGET_RSS_MIB} MiB target)`,
  );

  const file = writeResults('cold-start', {
    benchmark: 'cold-start',
    at: new Date().toISOString(),
    options: { runs, idleMs, pollMs: POLL_MS },
    machine: { node: process.version, cpus: os.cpus().length, loadavg: os.loadavg() },
    targets: { startMs: TARGET_START_MS, rssMiB: TARGET_RSS_MIB },
    summary,
    samples,
  });
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  clearTimeout(deadline);
}

try {
  await main();
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
}
