/**
 * DORA at scale: one organisation with many deployments and commits on SQLite, then the full
 * GET /api/v1/dora response for a one-year window (in-process inject), next to a baseline measured
 * in the same run on the same rows (raw SQL counts of the window's deployments and changes).
 * Target (issue 6): under 2 s for a one-year window with 1,000,000 deployments and 5,000,000 commits.
 *
 *   node --import tsx bench/dora.ts [--deployments 1000000] [--commits-per-deployment 5]
 *                                  [--services 50] [--years 2] [--runs 2] [--keep]
 *
 * Rows are generated with raw batched inserts in one transaction on a separate better-sqlite3
 * connection (the indexes of migration 0004 in place), spread evenly over `--years` ending now, so
 * a one-year window holds about 1/years of them. Every deployment ships its own commits; 1 in 20
 * fails, 1 in 50 is a rollback of the one before it, 1 in 100 a hotfix. The report breaks the
 * request down into the repository queries and the arithmetic, to show where the time goes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import { buildApp } from '../apps/server/src/app.ts';
import { loadConfig } from '../apps/server/src/config/config.ts';
import { createContainer } from '../apps/server/src/container.ts';
import { createDatabase } from '../apps/server/src/db/database.ts';
import { computeDora } from '../apps/server/src/modules/dora/dora-metrics.ts';
import { createDoraRepository } from '../apps/server/src/modules/dora/kysely-dora-repository.ts';
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

const DEPLOYMENTS = option('deployments', 1_000_000);
const PER_DEPLOYMENT = option('commits-per-deployment', 5);
const SERVICES = option('services', 50);
const YEARS = option('years', 2);
const RUNS = option('runs', 2);
const KEEP = process.argv.includes('--keep');
const DAY = 86_400_000;

const seconds = (ms: number) => Math.round(ms) / 1000;
async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-bench-dora-'));
  const file = path.join(dir, 'engops.sqlite');
  const config = loadConfig({
    ENGOPS_LOG_LEVEL: 'silent',
    ENGOPS_DATA_DIR: dir,
    ENGOPS_DATABASE_URL: `sqlite:${file}`,
  });
  const database = createDatabase({ kind: 'sqlite', file });
  const container = createContainer(config, {
    database,
    clock: systemClock,
    logger: createLogger('silent'),
    processMetrics: false,
  });
  await container.migrate();
  const app = await buildApp(container);
  await app.ready();
  const { token } = await container.access.service.createToken(
    { principal: systemPrincipal },
    { name: 'bench', role: 'admin' },
  );
  const call = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
    const res = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return JSON.parse(res.body) as Record<string, unknown>;
  };
  const team = await call('POST', '/api/v1/teams', { name: 'Bench', time_zone: 'UTC' });
  const serviceIds: string[] = [];
  for (let s = 0; s < SERVICES; s++) {
    const svc = await call('POST', '/api/v1/services', {
      name: `svc-${s}`,
      team_id: team.id,
      tier: 'tier-2',
    });
    serviceIds.push(String(svc.id));
  }

  // ---- generate
  const end = Math.floor(Date.now() / DAY) * DAY;
  const start = end - YEARS * 365 * DAY;
  const step = (end - start) / DEPLOYMENTS;
  const raw = new SQLite(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = OFF');
  raw.pragma('cache_size = -262144');
  const insertDeployment = raw.prepare(
    `insert into deployments (id, service_id, environment, version, commit_sha, status, kind, rollback_of,
       started_at, finished_at, source, external_id, commit_count, created_at)
     values (?, ?, 'production', ?, ?, ?, ?, ?, null, ?, 'bench', null, ?, ?)`,
  );
  const insertCommit = raw.prepare(
    'insert into commits (service_id, sha, committed_at, authored_at, message, created_at) values (?, ?, ?, null, null, ?)',
  );
  const insertLink = raw.prepare(
    'insert into deployment_commits (deployment_id, service_id, sha) values (?, ?, ?)',
  );
  const createdAt = new Date().toISOString();
  const lastOfService = new Map<string, string>();
  let sha = 0;
  const hex = (n: number) => n.toString(16).padStart(40, '0');
  const generate = raw.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const serviceId = serviceIds[i % SERVICES]!;
      const finished = start + i * step;
      const id = `dep_${i.toString(36).padStart(8, '0')}`;
      const kind = i % 50 === 49 ? 'rollback' : i % 100 === 7 ? 'hotfix' : 'normal';
      const status = i % 20 === 3 ? 'failure' : 'success';
      const head = hex(sha + PER_DEPLOYMENT - 1);
      insertDeployment.run(
        id,
        serviceId,
        `v${i}`,
        head,
        status,
        kind,
        kind === 'rollback' ? (lastOfService.get(serviceId) ?? null) : null,
        new Date(finished).toISOString(),
        PER_DEPLOYMENT,
        createdAt,
      );
      for (let c = 0; c < PER_DEPLOYMENT; c++) {
        const commit = hex(sha++);
        // Committed between 10 min and ~2 days before the deployment finished.
        const committed = finished - 600_000 - ((i * 7919 + c * 104_729) % (2 * DAY));
        insertCommit.run(serviceId, commit, new Date(committed).toISOString(), createdAt);
        insertLink.run(id, serviceId, commit);
      }
      lastOfService.set(serviceId, id);
    }
  });
  const genStart = performance.now();
  const BATCH = 50_000;
  for (let from = 0; from < DEPLOYMENTS; from += BATCH) {
    generate(from, Math.min(DEPLOYMENTS, from + BATCH));
    process.stderr.write(`\rgenerated ${Math.min(DEPLOYMENTS, from + BATCH)} / ${DEPLOYMENTS} deployments`);
  }
  raw.exec('analyze');
  raw.close();
  const generateMs = performance.now() - genStart;
  process.stderr.write(`\n`);

  // ---- measure
  const to = new Date(end).toISOString();
  const from = new Date(end - 365 * DAY).toISOString();
  const db = container.db;
  const repo = createDoraRepository();

  const [baseline, baselineMs] = await timed(() => {
    const conn = new SQLite(file, { readonly: true });
    const deployments = conn
      .prepare(
        `select count(*) as n, sum(status = 'failure') as failed from deployments
         where environment = 'production' and finished_at >= ? and finished_at < ?`,
      )
      .get(from, to) as { n: number; failed: number };
    const changes = conn
      .prepare(
        `select count(*) as n from deployment_commits dc join deployments d on d.id = dc.deployment_id
         where d.environment = 'production' and d.status = 'success' and d.finished_at >= ? and d.finished_at < ?`,
      )
      .get(from, to) as { n: number };
    conn.close();
    return { deployments: deployments.n, failed: deployments.failed, changes: changes.n };
  });

  const requests: number[] = [];
  let report: Record<string, unknown> = {};
  for (let r = 0; r < RUNS; r++) {
    const [body, ms] = await timed(() =>
      call('GET', `/api/v1/dora?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`),
    );
    requests.push(ms);
    report = body;
  }

  // Where the time goes: the same work as the route, step by step.
  const filter = { serviceIds: null, environment: 'production', from, to };
  const [deployments, windowDeploymentsMs] = await timed(() => repo.windowDeployments(db, filter));
  const [changes, windowChangesMs] = await timed(() => repo.windowChanges(db, filter));
  const [, computeMs] = await timed(() =>
    computeDora({
      window: { from, to },
      deployments: deployments.map((d) => ({
        ...d,
        status: d.status as 'success' | 'failure',
        kind: d.kind as 'normal' | 'rollback' | 'hotfix',
      })),
      changes,
      incidents: [],
    }),
  );

  // Experiment: the same figures by SQL aggregation, with only numbers leaving SQLite (the fix).
  const [experiment, experimentMs] = await timed(() => {
    const conn = new SQLite(file, { readonly: true });
    const agg = conn
      .prepare(
        `select count(*) as total, sum(d.status = 'success') as successful, sum(d.kind <> 'normal') as reworked,
           sum(d.status = 'failure' or exists (select 1 from deployments r where r.rollback_of = d.id and r.kind = 'rollback')) as failed
         from deployments d where d.environment = 'production' and d.finished_at >= ? and d.finished_at < ?`,
      )
      .get(from, to) as Record<string, number>;
    const leadStart = performance.now();
    const leads = conn
      .prepare(
        `select (julianday(d.finished_at) - julianday(c.committed_at)) * 86400
         from deployment_commits dc join deployments d on d.id = dc.deployment_id
         join commits c on c.service_id = dc.service_id and c.sha = dc.sha
         where d.environment = 'production' and d.status = 'success' and d.finished_at >= ? and d.finished_at < ?
           and not exists (select 1 from deployment_commits dc2 join deployments d2 on d2.id = dc2.deployment_id
             where dc2.service_id = dc.service_id and dc2.sha = dc.sha and d2.environment = 'production'
               and d2.status = 'success' and d2.finished_at < ?)`,
      )
      .pluck()
      .all(from, to, from) as number[];
    const leadQueryMs = performance.now() - leadStart;
    const sorted = Float64Array.from(leads).sort();
    const mid = Math.floor(sorted.length / 2);
    conn.close();
    return {
      ...agg,
      lead_query_seconds: seconds(leadQueryMs),
      changes: sorted.length,
      median_seconds: sorted.length % 2 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2,
    };
  });

  const result = {
    benchmark: 'dora',
    engine: 'sqlite',
    node: process.version,
    size: {
      deployments: DEPLOYMENTS,
      commits: DEPLOYMENTS * PER_DEPLOYMENT,
      services: SERVICES,
      years: YEARS,
      database_mib: Math.round(fs.statSync(file).size / 1048576),
    },
    window: { from, to },
    generate_seconds: seconds(generateMs),
    baseline_raw_sql_count_seconds: seconds(baselineMs),
    baseline_rows: baseline,
    dora_request_seconds: requests.map(seconds),
    breakdown_seconds: {
      window_deployments_query: seconds(windowDeploymentsMs),
      window_changes_query: seconds(windowChangesMs),
      compute_in_js: seconds(computeMs),
      rows_loaded: { deployments: deployments.length, changes: changes.length },
    },
    sql_aggregation_experiment_seconds: seconds(experimentMs),
    sql_aggregation_experiment: experiment,
    target_seconds: 2,
    report_summary: {
      deployment_frequency: report.deployment_frequency,
      lead_time: report.lead_time,
      change_failure_rate: report.change_failure_rate,
      rework_rate: report.rework_rate,
    },
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(`results: ${writeResults('dora', result)}`);
  await app.close();
  await container.close();
  if (!KEEP) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`database kept at ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
