/**
 * DORA at scale: one organisation with many deployments and commits, then the full
 * GET /api/v1/dora response for a one-year window (in-process inject), next to a baseline measured
 * in the same run on the same rows: raw SQL counts of the window's deployments and changes.
 * Target (issue 6): under 2 s for a one-year window with 1,000,000 deployments and 5,000,000
 * commits on SQLite; PostgreSQL is reported too.
 *
 *   node --import tsx bench/dora.ts [--engine sqlite|postgres] [--deployments 1000000]
 *        [--commits-per-deployment 5] [--services 50] [--years 2] [--runs 3] [--keep] [--backfill]
 *
 * PostgreSQL: ENGOPS_DATABASE_URL (or ENGOPS_TEST_DATABASE_URL) names the server; the bench works
 * in a schema of its own and drops it afterwards (unless --keep).
 *
 * Rows are spread evenly over `--years` ending today, so a one-year window holds about 1/years of
 * them. Every deployment ships its own commits; 1 in 20 fails, 1 in 50 is a rollback of the one
 * before it (of its service), 1 in 100 a hotfix.
 *
 * SQLite: raw batched inserts (the tables and indexes of the migrations in place), then migration
 * 0008's backfill derives each commit's first production deployment and lead time (timed: what
 * upgrading an existing installation costs), as the write path does for new deployments.
 *
 * PostgreSQL: the same rows generated inside the server with generate_series, chunk by chunk, the
 * secondary indexes dropped during the load and rebuilt after it, and dora_changes written
 * directly with the write path's arithmetic (each commit's only deployment is its first), which is
 * what the backfill would derive. `--backfill` runs and times migration 0008's backfill instead.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { buildApp } from '../apps/server/src/app.ts';
import { loadConfig } from '../apps/server/src/config/config.ts';
import { createContainer } from '../apps/server/src/container.ts';
import { createDatabase } from '../apps/server/src/db/database.ts';
import { backfillDoraChanges } from '../apps/server/src/db/migrations/0008-dora-changes.ts';
import { leadBucketSql } from '../apps/server/src/modules/dora/dora-lead.ts';
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
const engineArg = process.argv.indexOf('--engine');
const ENGINE = engineArg >= 0 ? process.argv[engineArg + 1] : 'sqlite';
if (ENGINE !== 'sqlite' && ENGINE !== 'postgres') throw new Error('--engine is sqlite or postgres');

const DEPLOYMENTS = option('deployments', 1_000_000);
const PER_DEPLOYMENT = option('commits-per-deployment', 5);
const SERVICES = option('services', 50);
const YEARS = option('years', 2);
const RUNS = option('runs', 3);
const KEEP = process.argv.includes('--keep');
const BACKFILL = ENGINE === 'sqlite' || process.argv.includes('--backfill');
const DAY = 86_400_000;
const BATCH = 20_000;

const seconds = (ms: number) => Math.round(ms) / 1000;
async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

interface Batch {
  deployments: unknown[][];
  commits: unknown[][];
  links: unknown[][];
}

/** Inserts generated rows: prepared statements on SQLite, unnest() batches on PostgreSQL. */
interface Loader {
  insert(batch: Batch): Promise<void>;
  /** PostgreSQL: generates the whole history in SQL (see generateInPostgres). */
  generate?(plan: Plan): Promise<void>;
  /** Raw counts of the window, the baseline. */
  baseline(from: string, to: string): Promise<{ deployments: number; failed: number; changes: number }>;
  close(): Promise<void>;
}

function sqliteLoader(file: string): Loader {
  const raw = new SQLite(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = OFF');
  raw.pragma('cache_size = -262144');
  const d = raw.prepare(
    `insert into deployments (id, service_id, environment, version, commit_sha, status, kind, rollback_of,
       started_at, finished_at, source, external_id, commit_count, created_at)
     values (?, ?, 'production', ?, ?, ?, ?, ?, null, ?, 'bench', null, ?, ?)`,
  );
  const c = raw.prepare(
    'insert into commits (service_id, sha, committed_at, authored_at, message, created_at) values (?, ?, ?, null, null, ?)',
  );
  const l = raw.prepare('insert into deployment_commits (deployment_id, service_id, sha) values (?, ?, ?)');
  const tx = raw.transaction((b: Batch) => {
    for (const row of b.deployments) d.run(...row);
    for (const row of b.commits) c.run(...row);
    for (const row of b.links) l.run(...row);
  });
  return {
    async insert(b) {
      tx(b);
    },
    async baseline(from, to) {
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
    },
    async close() {
      raw.close();
    },
  };
}

interface Plan {
  serviceIds: string[];
  start: number;
  step: number;
  createdAt: string;
  withChanges: boolean;
}

/** An ISO-8601 UTC text of epoch milliseconds, exactly as Date.prototype.toISOString writes it. */
const isoSql = (ms: string) =>
  `to_char(('epoch'::timestamptz + (${ms}) * interval '1 millisecond') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The generator's rows, produced by PostgreSQL itself (generate_series, chunks of 50,000
 * deployments), with the secondary indexes and the child tables' primary keys dropped for the load
 * and rebuilt after it, and
 * foreign-key triggers off in the loading session (the rows are consistent by construction).
 */
async function generateInPostgres(pool: pg.Pool, schema: string, plan: Plan): Promise<void> {
  const client = await pool.connect();
  const CHUNK = 50_000;
  const S = plan.serviceIds.length;
  const P = PER_DEPLOYMENT;
  const N = DEPLOYMENTS;
  const depId = (i: string) => `'dep_' || lpad((${i})::text, 9, '0')`;
  const hexSql = (n: string) => `lpad(to_hex(${n}), 40, '0')`;
  const finishedMs = `(${plan.start}::bigint + floor(i * ${plan.step}::float8)::bigint)`;
  const committedMs = `(${finishedMs} - 600000 - ((i * 7919 + c * 104729) % ${2 * DAY}))`;
  try {
    const tables = ['deployments', 'commits', 'deployment_commits', 'dora_changes'];
    const indexes = (
      await client.query<{ indexname: string; indexdef: string }>(
        `select indexname, indexdef from pg_indexes where schemaname = $1 and tablename = any($2)
           and indexname not in (select conname from pg_constraint where connamespace = $1::regnamespace)`,
        [schema, tables],
      )
    ).rows;
    // Primary keys of the big child tables too (no foreign key points at them): built once by a
    // sort after the load instead of row by row.
    const keys = (
      await client.query<{ table: string; name: string; def: string }>(
        `select c.conrelid::regclass::text as table, c.conname as name, pg_get_constraintdef(c.oid) as def
         from pg_constraint c where c.connamespace = $1::regnamespace and c.contype = 'p'
           and c.conrelid::regclass::text = any($2)`,
        [schema, ['commits', 'deployment_commits', 'dora_changes']],
      )
    ).rows;
    for (const index of indexes) await client.query(`drop index ${index.indexname}`);
    for (const key of keys) await client.query(`alter table ${key.table} drop constraint ${key.name}`);
    await client.query('set session_replication_role = replica');
    const began = performance.now();
    for (let lo = 0; lo < N; lo += CHUNK) {
      const hi = Math.min(N, lo + CHUNK) - 1;
      const range = `generate_series(${lo}::bigint, ${hi}::bigint) as i`;
      const commitsOf = `${range} cross join generate_series(0::bigint, ${P - 1}::bigint) as c`;
      await client.query('begin');
      await client.query(
        `insert into deployments (id, service_id, environment, version, commit_sha, status, kind, rollback_of,
           started_at, finished_at, source, external_id, commit_count, created_at, rolled_back)
         select ${depId('i')}, ($1::text[])[(i % ${S})::int + 1], 'production', 'v' || i, ${hexSql(`i * ${P} + ${P - 1}`)},
           case when i % 20 = 3 then 'failure' else 'success' end,
           case when i % 50 = 49 then 'rollback' when i % 100 = 7 then 'hotfix' else 'normal' end,
           case when i % 50 = 49 and i >= ${S} then ${depId(`i - ${S}`)} end,
           null, ${isoSql(finishedMs)}, 'bench', null, ${P}, $2,
           case when (i + ${S}) % 50 = 49 and i + ${S} < ${N} then 1 else 0 end
         from ${range}`,
        [plan.serviceIds, plan.createdAt],
      );
      await client.query(
        `insert into commits (service_id, sha, committed_at, authored_at, message, created_at)
         select ($1::text[])[(i % ${S})::int + 1], ${hexSql(`i * ${P} + c`)}, ${isoSql(committedMs)}, null, null, $2
         from ${commitsOf}`,
        [plan.serviceIds, plan.createdAt],
      );
      await client.query(
        `insert into deployment_commits (deployment_id, service_id, sha)
         select ${depId('i')}, ($1::text[])[(i % ${S})::int + 1], ${hexSql(`i * ${P} + c`)} from ${commitsOf}`,
        [plan.serviceIds],
      );
      if (plan.withChanges)
        await client.query(
          `insert into dora_changes (service_id, sha, environment, deployment_id, deployed_at, committed_at,
             lead_seconds, lead_bucket)
           select service_id, sha, 'production', deployment_id, ${isoSql('f')}, ${isoSql('m')}, (f - m) / 1000.0,
             ${leadBucketSql('((f - m) / 1000)')}
           from (select ($1::text[])[(i % ${S})::int + 1] as service_id, ${hexSql(`i * ${P} + c`)} as sha,
                   ${depId('i')} as deployment_id, ${finishedMs} as f, ${committedMs} as m
                 from ${commitsOf} where i % 20 <> 3) as t`,
          [plan.serviceIds],
        );
      await client.query('commit');
      process.stderr.write(
        `\rgenerated ${hi + 1} / ${N} deployments (in SQL, ${seconds(performance.now() - began)} s)`,
      );
    }
    await client.query('set session_replication_role = origin');
    process.stderr.write('\nrebuilding indexes...\n');
    for (const key of keys)
      await client.query(`alter table ${key.table} add constraint ${key.name} ${key.def}`);
    for (const index of indexes) await client.query(index.indexdef);
    process.stderr.write(`indexes rebuilt at ${seconds(performance.now() - began)} s\n`);
  } finally {
    client.release();
  }
}

function postgresLoader(url: string, schema: string): Loader {
  const pool = new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema}` });
  const columns = (rows: unknown[][], n: number) =>
    Array.from({ length: n }, (_, i) => rows.map((r) => r[i]));
  return {
    async insert(b) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query(
          `insert into deployments (id, service_id, environment, version, commit_sha, status, kind, rollback_of,
             started_at, finished_at, source, external_id, commit_count, created_at)
           select id, service_id, 'production', version, commit_sha, status, kind, rollback_of, null, finished_at,
             'bench', null, commit_count, created_at
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::text[], $9::int[], $10::text[])
             as t(id, service_id, version, commit_sha, status, kind, rollback_of, finished_at, commit_count, created_at)`,
          columns(b.deployments, 10),
        );
        await client.query(
          `insert into commits (service_id, sha, committed_at, authored_at, message, created_at)
           select service_id, sha, committed_at, null, null, created_at
           from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as t(service_id, sha, committed_at, created_at)`,
          columns(b.commits, 4),
        );
        await client.query(
          `insert into deployment_commits (deployment_id, service_id, sha)
           select * from unnest($1::text[], $2::text[], $3::text[])`,
          columns(b.links, 3),
        );
        await client.query('commit');
      } finally {
        client.release();
      }
    },
    generate: (plan) => generateInPostgres(pool, schema, plan),
    async baseline(from, to) {
      const deployments = await pool.query(
        `select count(*)::int as n, sum(case when status = 'failure' then 1 else 0 end)::int as failed from deployments
         where environment = 'production' and finished_at >= $1 and finished_at < $2`,
        [from, to],
      );
      const changes = await pool.query(
        `select count(*)::int as n from deployment_commits dc join deployments d on d.id = dc.deployment_id
         where d.environment = 'production' and d.status = 'success' and d.finished_at >= $1 and d.finished_at < $2`,
        [from, to],
      );
      return {
        deployments: deployments.rows[0].n,
        failed: deployments.rows[0].failed,
        changes: changes.rows[0].n,
      };
    },
    close: () => pool.end(),
  };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-bench-dora-'));
  const file = path.join(dir, 'engops.sqlite');
  const pgUrl = process.env.ENGOPS_DATABASE_URL ?? process.env.ENGOPS_TEST_DATABASE_URL;
  const schema = `bench_dora_${randomBytes(4).toString('hex')}`;
  if (ENGINE === 'postgres') {
    if (!pgUrl?.startsWith('postgres')) throw new Error('--engine postgres needs ENGOPS_DATABASE_URL');
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
  }
  const config = loadConfig({
    ENGOPS_LOG_LEVEL: 'silent',
    ENGOPS_DATA_DIR: dir,
    ENGOPS_DATABASE_URL: ENGINE === 'postgres' ? (pgUrl as string) : `sqlite:${file}`,
  });
  const database = createDatabase(
    ENGINE === 'postgres' ? { kind: 'postgres', url: pgUrl as string, schema } : { kind: 'sqlite', file },
  );
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
  const loader = ENGINE === 'postgres' ? postgresLoader(pgUrl as string, schema) : sqliteLoader(file);
  const end = Math.floor(Date.now() / DAY) * DAY;
  const start = end - YEARS * 365 * DAY;
  const step = (end - start) / DEPLOYMENTS;
  const createdAt = new Date().toISOString();
  const lastOfService = new Map<string, string>();
  let sha = 0;
  const hex = (n: number) => n.toString(16).padStart(40, '0');
  const genStart = performance.now();
  if (loader.generate) await loader.generate({ serviceIds, start, step, createdAt, withChanges: !BACKFILL });
  else
    for (let from = 0; from < DEPLOYMENTS; from += BATCH) {
      const batch: Batch = { deployments: [], commits: [], links: [] };
      for (let i = from; i < Math.min(DEPLOYMENTS, from + BATCH); i++) {
        const serviceId = serviceIds[i % SERVICES]!;
        const finished = start + i * step;
        const id = `dep_${i.toString(36).padStart(8, '0')}`;
        const kind = i % 50 === 49 ? 'rollback' : i % 100 === 7 ? 'hotfix' : 'normal';
        const status = i % 20 === 3 ? 'failure' : 'success';
        batch.deployments.push([
          id,
          serviceId,
          `v${i}`,
          hex(sha + PER_DEPLOYMENT - 1),
          status,
          kind,
          kind === 'rollback' ? (lastOfService.get(serviceId) ?? null) : null,
          new Date(finished).toISOString(),
          PER_DEPLOYMENT,
          createdAt,
        ]);
        for (let c = 0; c < PER_DEPLOYMENT; c++) {
          const commit = hex(sha++);
          // Committed between 10 min and ~2 days before the deployment finished.
          const committed = finished - 600_000 - ((i * 7919 + c * 104_729) % (2 * DAY));
          batch.commits.push([serviceId, commit, new Date(committed).toISOString(), createdAt]);
          batch.links.push([id, serviceId, commit]);
        }
        lastOfService.set(serviceId, id);
      }
      await loader.insert(batch);
      process.stderr.write(`\rgenerated ${Math.min(DEPLOYMENTS, from + BATCH)} / ${DEPLOYMENTS} deployments`);
    }
  const generateMs = performance.now() - genStart;
  const db = container.db;
  if (BACKFILL) process.stderr.write('\nbackfilling (migration 0008)...\n');
  const [, backfillMs] = await timed(async () => {
    if (BACKFILL) {
      await sql`update deployments set rolled_back = 1 where id in
        (select rollback_of from deployments where kind = 'rollback' and rollback_of is not null)`.execute(
        db,
      );
      // As migration 0008 ran it: with deployment_commits' (service_id, sha) index, which its
      // "no earlier deployment shipped it" test probes (migration 0018 drops the index later).
      await sql`create index if not exists deployment_commits_service_sha_idx
        on deployment_commits (service_id, sha)`.execute(db);
      await backfillDoraChanges(db as never);
      await sql`drop index deployment_commits_service_sha_idx`.execute(db);
    }
  });
  const [, analyzeMs] = await timed(() =>
    sql.raw(ENGINE === 'postgres' ? 'vacuum analyze' : 'analyze').execute(db),
  );

  // ---- measure
  const to = new Date(end).toISOString();
  const from = new Date(end - 365 * DAY).toISOString();
  const window = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const [baseline, baselineMs] = await timed(() => loader.baseline(from, to));

  const requests: number[] = [];
  let report: Record<string, unknown> = {};
  for (let r = 0; r < RUNS; r++) {
    const [body, ms] = await timed(() => call('GET', `/api/v1/dora?${window}`));
    requests.push(ms);
    report = body;
  }
  const [trend, trendMs] = await timed(() => call('GET', `/api/v1/dora/trend?${window}&bucket=month`));
  const [evidence, evidenceMs] = await timed(() =>
    call('GET', `/api/v1/dora/evidence?${window}&metric=lead_time`),
  );
  const [serviceReport, serviceMs] = await timed(() =>
    call('GET', `/api/v1/dora?${window}&service_id=${serviceIds[0]}`),
  );

  const best = Math.min(...requests);
  const result = {
    benchmark: 'dora',
    engine: ENGINE,
    node: process.version,
    size: {
      deployments: DEPLOYMENTS,
      commits: DEPLOYMENTS * PER_DEPLOYMENT,
      services: SERVICES,
      years: YEARS,
      ...(ENGINE === 'sqlite' ? { database_mib: Math.round(fs.statSync(file).size / 1048576) } : {}),
    },
    window: { from, to },
    generate_seconds: seconds(generateMs),
    generated_in: loader.generate ? 'sql (generate_series)' : 'batched inserts',
    migration_backfill_seconds: BACKFILL ? seconds(backfillMs) : null,
    analyze_seconds: seconds(analyzeMs),
    baseline_raw_sql_count_seconds: seconds(baselineMs),
    baseline_rows: baseline,
    dora_request_seconds: requests.map(seconds),
    dora_best_over_baseline: Math.round((best / baselineMs) * 100) / 100,
    trend_month_request_seconds: seconds(trendMs),
    trend_buckets: (trend.buckets as unknown[]).length,
    evidence_lead_time_request_seconds: seconds(evidenceMs),
    evidence_changes: (evidence.changes as unknown[]).length,
    one_service_request_seconds: seconds(serviceMs),
    one_service_lead_changes: (serviceReport.lead_time as { changes: number }).changes,
    target_seconds: ENGINE === 'sqlite' ? 2 : null,
    meets_target: ENGINE === 'sqlite' ? best < 2000 : null,
    report_summary: {
      deployment_frequency: report.deployment_frequency,
      lead_time: report.lead_time,
      change_failure_rate: report.change_failure_rate,
      rework_rate: report.rework_rate,
      overall_tier: report.overall_tier,
    },
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(`results: ${writeResults('dora', result)}`);
  await app.close();
  await loader.close();
  await container.close();
  if (ENGINE === 'postgres' && !KEEP) {
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  }
  if (!KEEP) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(ENGINE === 'sqlite' ? `database kept at ${file}` : `schema kept: ${schema}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
