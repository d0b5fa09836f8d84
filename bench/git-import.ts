/**
 * `engops import git` throughput: commits per second imported from a large local repository (the
 * CLI's importer talking HTTP to a server on 127.0.0.1, SQLite), next to raw
 * `git log --format=%H%x1f%cI%x1f%aI%x1f%s` on the same repository in the same run (the baseline).
 * Target (issue 6): at least 50% of the raw `git log` throughput.
 *
 *   node --import tsx bench/git-import.ts [--commits 100000] [--tag-every 1000] [--merge-every 50] [--keep]
 *
 * The repository is generated with `git fast-import`: one file changed per commit, committer times
 * one minute apart, a side-branch commit merged back every --merge-every commits, an annotated
 * tag v<n> every --tag-every commits (so the import also records those tags as deployments).
 * Also timed: the re-run (incremental: nothing new, nothing sent).
 *
 * The server runs as its own process (`engops serve`, as in real use: the CLI and the server never
 * share a thread); `--in-process` runs it inside the benchmark's process instead (the importer and
 * the server then take turns on one thread).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createApiClient } from '../apps/cli/src/api-client.ts';
import { importGitHistory } from '../apps/cli/src/commands/import/git-import.ts';
import { buildApp } from '../apps/server/src/app.ts';
import { loadConfig } from '../apps/server/src/config/config.ts';
import { createContainer } from '../apps/server/src/container.ts';
import { createDatabase } from '../apps/server/src/db/database.ts';
import { systemPrincipal } from '../apps/server/src/platform/access/permissions.ts';
import { systemClock } from '../apps/server/src/platform/clock.ts';
import { createLogger } from '../apps/server/src/platform/logger.ts';
import { writeResults } from './results-file.ts';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}
const COMMITS = option('commits', 100_000);
const TAG_EVERY = option('tag-every', 1000);
const MERGE_EVERY = option('merge-every', 50);
const KEEP = process.argv.includes('--keep');
const IN_PROCESS = process.argv.includes('--in-process');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FORMAT = '--format=%H%x1f%cI%x1f%aI%x1f%s';

/** Writes a fast-import stream for COMMITS commits on main (merges and tags included). */
function generateRepository(dir: string): void {
  const init = spawnSync('git', ['init', '-q', '-b', 'main', dir]);
  if (init.status !== 0) throw new Error(init.stderr.toString());
  const start = Date.parse('2024-01-01T00:00:00Z') / 1000;
  const parts: string[] = [];
  let mark = 0;
  let mainMark = 0;
  let made = 0;
  const who = (t: number) => `Bench <bench@example.test> ${t} +0000`;
  const commit = (ref: string, t: number, message: string, from: number, merge?: number) => {
    const blob = ++mark;
    parts.push(`blob\nmark :${blob}\ndata ${String(t).length}\n${t}\n`);
    const m = ++mark;
    const msg = Buffer.byteLength(message);
    parts.push(
      `commit ${ref}\nmark :${m}\nauthor ${who(t)}\ncommitter ${who(t)}\ndata ${msg}\n${message}\n` +
        (from ? `from :${from}\n` : '') +
        (merge ? `merge :${merge}\n` : '') +
        `M 100644 :${blob} f${made % 100}.txt\n\n`,
    );
    made++;
    return m;
  };
  for (let i = 0; i < COMMITS; ) {
    const t = start + i * 60;
    if (i > 0 && i % MERGE_EVERY === 0 && i + 2 <= COMMITS) {
      const side = commit('refs/heads/side', t - 30, `side work ${i}`, mainMark);
      mainMark = commit('refs/heads/main', t, `merge side ${i}`, mainMark, side);
      i += 2;
    } else {
      mainMark = commit('refs/heads/main', t, `change ${i}`, mainMark);
      i++;
    }
    if (i % TAG_EVERY === 0) {
      const tag = `v${i / TAG_EVERY}`;
      parts.push(`tag ${tag}\nfrom :${mainMark}\ntagger ${who(t + 1800)}\ndata 7\nrelease\n`);
    }
  }
  parts.push('reset refs/heads/side\nfrom 0000000000000000000000000000000000000000\n\n');
  const result = spawnSync('git', ['fast-import', '--quiet'], {
    cwd: dir,
    input: parts.join(''),
    maxBuffer: 1 << 30,
  });
  if (result.status !== 0) throw new Error(result.stderr.toString());
  spawnSync('git', ['checkout', '-q', 'main'], { cwd: dir });
}

/** Raw `git log` over the same history, every byte read (the baseline). */
function gitLog(dir: string): Promise<{ commits: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const begin = performance.now();
    const child = spawn('git', ['log', FORMAT, 'main'], { cwd: dir });
    let lines = 0;
    child.stdout.on('data', (d: Buffer) => {
      for (const byte of d) if (byte === 10) lines++;
    });
    child.on('error', reject);
    child.on('close', () => resolve({ commits: lines, ms: performance.now() - begin }));
  });
}

interface BenchServer {
  address: string;
  token: string;
  close(): Promise<void>;
}

async function inProcessServer(dir: string, file: string): Promise<BenchServer> {
  const config = loadConfig({
    ENGOPS_LOG_LEVEL: 'silent',
    ENGOPS_DATA_DIR: dir,
    ENGOPS_DATABASE_URL: `sqlite:${file}`,
  });
  const container = createContainer(config, {
    database: createDatabase({ kind: 'sqlite', file }),
    clock: systemClock,
    logger: createLogger('silent'),
    processMetrics: false,
  });
  await container.migrate();
  const app = await buildApp(container);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const { token } = await container.access.service.createToken(
    { principal: systemPrincipal },
    { name: 'bench', role: 'admin' },
  );
  return {
    address,
    token,
    close: async () => {
      await app.close();
      await container.close();
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const a = probe.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** `engops serve` on its own SQLite file and a free port, with an admin token; healthy when returned. */
async function serverProcess(dir: string, file: string): Promise<BenchServer> {
  const port = await freePort();
  const token = `bench-${randomBytes(24).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ENGOPS_')) env[k] = v;
  Object.assign(env, {
    ENGOPS_DATA_DIR: dir,
    ENGOPS_DATABASE_URL: `sqlite:${file}`,
    ENGOPS_PORT: String(port),
    ENGOPS_HOST: '127.0.0.1',
    ENGOPS_LOG_LEVEL: 'warn',
    ENGOPS_ADMIN_TOKEN: token,
    ENGOPS_WORKER: 'false',
  });
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(ROOT, 'apps/cli/bin/engops.js'), 'serve', '--no-web-build'],
    { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const address = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`engops serve exited with ${child.exitCode}: ${stderr}`);
    const status = await fetch(`${address}/healthz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (performance.now() > deadline) throw new Error(`engops serve not healthy: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    address,
    token,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-bench-git-'));
  const repo = path.join(dir, 'repo');
  const genStart = performance.now();
  generateRepository(repo);
  const generateMs = performance.now() - genStart;

  const file = path.join(dir, 'engops.sqlite');
  const server = IN_PROCESS ? await inProcessServer(dir, file) : await serverProcess(dir, file);
  const { address, token } = server;
  const client = createApiClient(address, token);
  const team = await client.request<{ id: string }>('POST', '/api/v1/teams', {
    name: 'Bench',
    time_zone: 'UTC',
  });
  await client.request('POST', '/api/v1/services', { name: 'api', team_id: team.id, tier: 'tier-2' });
  const sink = {
    state: () => client.request<never>('GET', '/api/v1/imports/git?service_id=api'),
    send: (batch: unknown) => client.request<never>('POST', '/api/v1/imports/git', batch),
  };

  // Warm the page cache for both: git's objects are read once before either is timed.
  await gitLog(repo);
  const baseline = await gitLog(repo);
  const importStart = performance.now();
  let tagsStart = 0;
  const summary = await importGitHistory(
    {
      path: repo,
      service: 'api',
      deployTags: 'v*',
      onProgress: (p) => {
        if (p.phase === 'tags' && !tagsStart) tagsStart = performance.now();
      },
    },
    sink,
  );
  const importMs = performance.now() - importStart;
  const commitsMs = (tagsStart || performance.now()) - importStart;
  const baselineAfter = await gitLog(repo);
  const rerunStart = performance.now();
  const rerun = await importGitHistory({ path: repo, service: 'api', deployTags: 'v*' }, sink);
  const rerunMs = performance.now() - rerunStart;

  const baselineMs = Math.min(baseline.ms, baselineAfter.ms);
  const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));
  const result = {
    benchmark: 'git-import',
    node: process.version,
    commits: baseline.commits,
    tags: summary.tags_matched,
    generate_seconds: Math.round(generateMs) / 1000,
    baseline_git_log_seconds: Math.round(baselineMs) / 1000,
    baseline_git_log_commits_per_second: rate(baseline.commits, baselineMs),
    import_seconds: Math.round(importMs) / 1000,
    import_commits_per_second: rate(summary.commits_read, importMs),
    import_over_git_log: Math.round((baselineMs / importMs) * 1000) / 1000,
    breakdown_seconds: {
      commits_phase: Math.round(commitsMs) / 1000,
      tag_deployments_phase: Math.round(importMs - commitsMs) / 1000,
    },
    target_ratio: 0.5,
    server: IN_PROCESS ? 'in-process' : 'own process',
    summary,
    rerun_seconds: Math.round(rerunMs) / 1000,
    rerun,
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(`results: ${writeResults('git-import', result)}`);
  await server.close();
  if (!KEEP) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
