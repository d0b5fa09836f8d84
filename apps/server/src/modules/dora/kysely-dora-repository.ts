import { PostgresAdapter, type RawBuilder, type Selectable, sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { CommitsTable, DeploymentsTable, DoraChangesTable } from '../../db/schema.ts';
import { changeLead, leadBucketSql, MAX_LEAD_BUCKET } from './dora-lead.ts';

export type DeploymentRow = Selectable<DeploymentsTable>;
export type CommitRow = Selectable<CommitsTable>;
export type ChangeRow = Selectable<DoraChangesTable>;

/** A metric window over one environment and a set of services (null: the organisation). */
export interface MetricFilter {
  serviceIds: string[] | null;
  environment: string;
  from: string;
  to: string;
}

/** Every lead bucket, as SQL literals: the index is walked bucket by bucket over the window. */
const ALL_BUCKETS = sql.raw(Array.from({ length: MAX_LEAD_BUCKET + 1 }, (_, i) => i).join(','));

export interface DeploymentFilter {
  /** null: every service (the organisation). */
  serviceIds: string[] | null;
  environment?: string | undefined;
  status?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

const CHUNK = 500;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Rows per bulk statement: one parameter (SQLite) or one array per column (PostgreSQL) each. */
const BULK = 10_000;

const isPostgres = (db: Db) => db.getExecutor().adapter instanceof PostgresAdapter;

/**
 * Many rows as one SQL source, whatever their number: on SQLite a single JSON parameter read by
 * json_each (no bound-variable limit, one statement text, so one cached prepared statement); on
 * PostgreSQL one array parameter per column, unnested. Columns are `(name, PostgreSQL type)`.
 */
function bulkRows(db: Db, columns: Array<[string, string]>, rows: unknown[][]): RawBuilder<unknown> {
  if (isPostgres(db)) {
    const arrays = columns.map((_, i) => rows.map((r) => r[i] ?? null));
    const args = columns.map(([, type], i) => sql`${arrays[i]}::${sql.raw(type)}[]`);
    return sql`select * from unnest(${sql.join(args)}) as t(${sql.raw(columns.map(([n]) => n).join(', '))})`;
  }
  const picks = columns.map(([name], i) => `value->>${i} as ${name}`).join(', ');
  return sql`select ${sql.raw(picks)} from json_each(${JSON.stringify(rows)})`;
}

export function createDoraRepository() {
  return {
    async insertDeployment(db: Db, row: DeploymentRow): Promise<void> {
      await db.insertInto('deployments').values(row).execute();
    },
    getDeployment(db: Db, id: string) {
      return db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
    },
    findByExternalId(db: Db, source: string, externalId: string) {
      return db
        .selectFrom('deployments')
        .selectAll()
        .where('source', '=', source)
        .where('external_id', '=', externalId)
        .executeTakeFirst();
    },
    /** Inserts commits it does not know yet (a commit's recorded time never changes); returns how many. */
    async upsertCommits(db: Db, rows: CommitRow[]): Promise<number> {
      let inserted = 0;
      for (const part of chunks(rows, BULK)) {
        const source = bulkRows(
          db,
          [
            ['service_id', 'text'],
            ['sha', 'text'],
            ['committed_at', 'text'],
            ['authored_at', 'text'],
            ['message', 'text'],
            ['created_at', 'text'],
          ],
          part.map((c) => [c.service_id, c.sha, c.committed_at, c.authored_at, c.message, c.created_at]),
        );
        const result =
          await sql`insert into commits (service_id, sha, committed_at, authored_at, message, created_at)
          select service_id, sha, committed_at, authored_at, message, created_at from (${source}) as s where true
          on conflict (service_id, sha) do nothing`.execute(db);
        inserted += Number(result.numAffectedRows ?? 0);
      }
      return inserted;
    },
    async linkCommits(db: Db, deploymentId: string, serviceId: string, shas: string[]): Promise<void> {
      for (const part of chunks([...new Set(shas)], BULK)) {
        const source = bulkRows(
          db,
          [['sha', 'text']],
          part.map((sha) => [sha]),
        );
        await sql`insert into deployment_commits (deployment_id, service_id, sha)
          select ${deploymentId}, ${serviceId}, sha from (${source}) as s where true
          on conflict (deployment_id, sha) do nothing`.execute(db);
      }
    },
    /**
     * `linkCommits` for several deployments of one service at once (a git import's tags): one
     * statement, the rows in sha order (the (service_id, sha) index is walked in order).
     */
    async linkCommitsMany(
      db: Db,
      serviceId: string,
      items: Array<{ deploymentId: string; shas: string[] }>,
    ): Promise<void> {
      const rows: Array<[string, string]> = [];
      for (const { deploymentId, shas } of items)
        for (const sha of new Set(shas)) rows.push([sha, deploymentId]);
      rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (const part of chunks(rows, BULK)) {
        const source = bulkRows(
          db,
          [
            ['sha', 'text'],
            ['deployment_id', 'text'],
          ],
          part,
        );
        await sql`insert into deployment_commits (deployment_id, service_id, sha)
          select deployment_id, ${serviceId}, sha from (${source}) as s where true
          on conflict (deployment_id, sha) do nothing`.execute(db);
      }
    },
    async countLinks(db: Db, deploymentId: string): Promise<number> {
      const row = await db
        .selectFrom('deployment_commits')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('deployment_id', '=', deploymentId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    getCommit(db: Db, serviceId: string, sha: string) {
      return db
        .selectFrom('commits')
        .selectAll()
        .where('service_id', '=', serviceId)
        .where('sha', '=', sha)
        .executeTakeFirst();
    },
    /** Commits of a service with committed_at in (after, upTo], oldest first (bounded). */
    commitsBetween(db: Db, serviceId: string, after: string | null, upTo: string, limit: number) {
      let q = db
        .selectFrom('commits')
        .select(['sha', 'committed_at'])
        .where('service_id', '=', serviceId)
        .where('committed_at', '<=', upTo)
        .orderBy('committed_at')
        .limit(limit);
      if (after) q = q.where('committed_at', '>', after);
      return q.execute();
    },
    /** The latest successful deployment of a service to an environment finishing before `before`. */
    previousSuccessful(db: Db, serviceId: string, environment: string, before: string) {
      return db
        .selectFrom('deployments')
        .selectAll()
        .where('service_id', '=', serviceId)
        .where('environment', '=', environment)
        .where('status', '=', 'success')
        .where('finished_at', '<', before)
        .orderBy('finished_at', 'desc')
        .limit(1)
        .executeTakeFirst();
    },
    /** Newest first by id (ids are time-ordered). */
    listDeployments(db: Db, filter: DeploymentFilter, before: string | undefined, limit: number) {
      let q = db.selectFrom('deployments').selectAll().orderBy('id', 'desc').limit(limit);
      if (before) q = q.where('id', '<', before);
      if (filter.serviceIds) {
        if (filter.serviceIds.length === 0) return Promise.resolve([] as DeploymentRow[]);
        q = q.where('service_id', 'in', filter.serviceIds);
      }
      if (filter.environment) q = q.where('environment', '=', filter.environment);
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.from) q = q.where('finished_at', '>=', filter.from);
      if (filter.to) q = q.where('finished_at', '<', filter.to);
      return q.execute();
    },
    /** Deployments to `environment` finishing in [from, to), each with "some rollback names it". */
    async windowDeployments(
      db: Db,
      filter: DeploymentFilter & { environment: string; from: string; to: string },
    ) {
      if (filter.serviceIds?.length === 0) return [];
      let q = db
        .selectFrom('deployments as d')
        .select([
          'd.id',
          'd.service_id',
          'd.status',
          'd.kind',
          'd.rollback_of',
          'd.finished_at',
          'd.version',
          'd.commit_sha',
        ])
        .select((eb) =>
          eb
            .exists(
              eb
                .selectFrom('deployments as r')
                .select(sql`1`.as('one'))
                .whereRef('r.rollback_of', '=', 'd.id')
                .where('r.kind', '=', 'rollback'),
            )
            .as('rolled_back'),
        )
        .where('d.environment', '=', filter.environment)
        .where('d.finished_at', '>=', filter.from)
        .where('d.finished_at', '<', filter.to)
        .orderBy('d.finished_at');
      if (filter.serviceIds) q = q.where('d.service_id', 'in', filter.serviceIds);
      const rows = await q.execute();
      return rows.map((r) => ({ ...r, rolled_back: Boolean(r.rolled_back) }));
    },
    /**
     * Commits shipped by successful deployments to `environment` finishing in [from, to), minus
     * those some successful deployment to it had already shipped before `from`: the lead-time
     * input computed from the raw links, the reference the stored dora_changes are tested against
     * (dora-sql.int.test.ts). Not indexed for large windows: the metrics read dora_changes.
     */
    async windowChanges(
      db: Db,
      filter: DeploymentFilter & { environment: string; from: string; to: string },
    ) {
      if (filter.serviceIds?.length === 0) return [];
      let q = db
        .selectFrom('deployment_commits as dc')
        .innerJoin('deployments as d', 'd.id', 'dc.deployment_id')
        .leftJoin('commits as c', (join) =>
          join.onRef('c.service_id', '=', 'dc.service_id').onRef('c.sha', '=', 'dc.sha'),
        )
        .select([
          'dc.service_id',
          'dc.sha',
          'c.committed_at',
          'd.id as deployment_id',
          'd.finished_at as deployed_at',
        ])
        .where('d.environment', '=', filter.environment)
        .where('d.status', '=', 'success')
        .where('d.finished_at', '>=', filter.from)
        .where('d.finished_at', '<', filter.to)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('deployment_commits as dc2')
                .innerJoin('deployments as d2', 'd2.id', 'dc2.deployment_id')
                .select(sql`1`.as('one'))
                .whereRef('dc2.service_id', '=', 'dc.service_id')
                .whereRef('dc2.sha', '=', 'dc.sha')
                .where('d2.environment', '=', filter.environment)
                .where('d2.status', '=', 'success')
                .where('d2.finished_at', '<', filter.from),
            ),
          ),
        );
      if (filter.serviceIds) q = q.where('d.service_id', 'in', filter.serviceIds);
      return q.execute();
    },
    /** Marks a deployment as rolled back (some rollback deployment names it). */
    async markRolledBack(db: Db, id: string): Promise<void> {
      await db.updateTable('deployments').set({ rolled_back: 1 }).where('id', '=', id).execute();
    },
    /**
     * A successful deployment shipped these commits: each becomes a change of its environment
     * unless an earlier-finishing successful deployment there already shipped it (then that one
     * stays; a backfilled older deployment takes over from a newer one).
     */
    async recordChanges(
      db: Db,
      deployment: { id: string; service_id: string; environment: string; finished_at: string },
      shas: string[],
    ): Promise<void> {
      // The lead of each change computed in SQL from whole milliseconds, exactly as dora-lead.ts
      // does in JavaScript (and the 0008 backfill in SQL): no round trip of commit times.
      const postgres = isPostgres(db);
      const epochMs = (column: string) =>
        postgres
          ? `(extract(epoch from ${column}::timestamptz) * 1000)::bigint`
          : `cast(round(unixepoch(${column}, 'subsec') * 1000) as integer)`;
      const deployedMs = Date.parse(deployment.finished_at);
      // An integer (better-sqlite3 binds every JavaScript number as a REAL).
      const deployed = postgres ? sql`${deployedMs}::bigint` : sql`cast(${deployedMs} as integer)`;
      for (const part of chunks([...new Set(shas)], BULK)) {
        const source = bulkRows(
          db,
          [['sha', 'text']],
          part.map((sha) => [sha]),
        );
        await sql`with w as materialized (
            select s.sha, c.committed_at, ${sql.raw(epochMs('c.committed_at'))} as committed_ms
            from (${source}) as s
            left join commits c on c.service_id = ${deployment.service_id} and c.sha = s.sha
          ), g as materialized (
            select w.sha, w.committed_at, case when w.committed_at is null then null
              when ${deployed} > w.committed_ms then ${deployed} - w.committed_ms else 0 end as lead_ms
            from w
          )
          insert into dora_changes
            (service_id, sha, environment, deployment_id, deployed_at, committed_at, lead_seconds, lead_bucket)
          select ${deployment.service_id}, g.sha, ${deployment.environment}, ${deployment.id},
            ${deployment.finished_at}, g.committed_at, g.lead_ms / 1000.0,
            case when g.lead_ms is null then null else ${sql.raw(leadBucketSql('(g.lead_ms / 1000)'))} end
          from g where true
          on conflict (service_id, sha, environment) do update set
            deployment_id = excluded.deployment_id, deployed_at = excluded.deployed_at,
            committed_at = excluded.committed_at, lead_seconds = excluded.lead_seconds,
            lead_bucket = excluded.lead_bucket
          where excluded.deployed_at < dora_changes.deployed_at`.execute(db);
      }
    },
    /**
     * `recordChanges` for several successful deployments of one service and environment at once
     * (a git import's tags): one statement per table for all of them, the rows in sha order so
     * that the sha-keyed indexes are walked in order. A commit two of them shipped stays with the
     * earlier-finishing one, as with `recordChanges` one at a time.
     */
    async recordChangesMany(
      db: Db,
      serviceId: string,
      environment: string,
      items: Array<{ deployment: { id: string; finished_at: string }; shas: string[] }>,
    ): Promise<void> {
      const rows: Array<[string, string, string, number]> = [];
      for (const { deployment, shas } of items) {
        const deployedMs = Date.parse(deployment.finished_at);
        for (const sha of new Set(shas)) rows.push([sha, deployment.id, deployment.finished_at, deployedMs]);
      }
      // Stable: of one sha, the earliest finish first, then the order given; only that one is
      // kept (one statement may not touch a row twice, and it is the one that would stay).
      rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[3] - b[3]));
      const firsts = rows.filter((r, i) => i === 0 || (rows[i - 1] as (typeof rows)[number])[0] !== r[0]);
      const postgres = isPostgres(db);
      const epochMs = (column: string) =>
        postgres
          ? `(extract(epoch from ${column}::timestamptz) * 1000)::bigint`
          : `cast(round(unixepoch(${column}, 'subsec') * 1000) as integer)`;
      for (const part of chunks(firsts, BULK)) {
        const source = bulkRows(
          db,
          [
            ['sha', 'text'],
            ['deployment_id', 'text'],
            ['deployed_at', 'text'],
            ['deployed_ms', 'bigint'],
          ],
          part,
        );
        const deployedMs = postgres ? 's.deployed_ms' : 'cast(s.deployed_ms as integer)';
        await sql`with w as materialized (
            select s.sha, s.deployment_id, s.deployed_at, ${sql.raw(deployedMs)} as deployed_ms,
              c.committed_at, ${sql.raw(epochMs('c.committed_at'))} as committed_ms
            from (${source}) as s
            left join commits c on c.service_id = ${serviceId} and c.sha = s.sha
          ), g as materialized (
            select w.sha, w.deployment_id, w.deployed_at, w.committed_at, case when w.committed_at is null
              then null when w.deployed_ms > w.committed_ms then w.deployed_ms - w.committed_ms else 0 end as lead_ms
            from w
          )
          insert into dora_changes
            (service_id, sha, environment, deployment_id, deployed_at, committed_at, lead_seconds, lead_bucket)
          select ${serviceId}, g.sha, ${environment}, g.deployment_id, g.deployed_at, g.committed_at,
            g.lead_ms / 1000.0,
            case when g.lead_ms is null then null else ${sql.raw(leadBucketSql('(g.lead_ms / 1000)'))} end
          from g where true
          on conflict (service_id, sha, environment) do update set
            deployment_id = excluded.deployment_id, deployed_at = excluded.deployed_at,
            committed_at = excluded.committed_at, lead_seconds = excluded.lead_seconds,
            lead_bucket = excluded.lead_bucket
          where excluded.deployed_at < dora_changes.deployed_at`.execute(db);
      }
    },
    /** Commits learnt after a deployment shipped them get their lead time now (from the commits table). */
    async fillCommitTimes(db: Db, serviceId: string, shas: string[]): Promise<void> {
      if (shas.length === 0) return;
      // A service without changes yet (a first git import) has nothing waiting: one index probe.
      const any = await db
        .selectFrom('dora_changes')
        .select('sha')
        .where('service_id', '=', serviceId)
        .limit(1)
        .executeTakeFirst();
      if (!any) return;
      for (const part of chunks([...new Set(shas)], BULK)) {
        const source = bulkRows(
          db,
          [['sha', 'text']],
          part.map((sha) => [sha]),
        );
        const waiting = await sql<{
          sha: string;
          environment: string;
          deployed_at: string;
          committed_at: string;
        }>`
          select x.sha, x.environment, x.deployed_at, c.committed_at
          from dora_changes x join commits c on c.service_id = x.service_id and c.sha = x.sha
          where x.service_id = ${serviceId} and x.committed_at is null
          and x.sha in (select sha from (${source}) as w)`.execute(db);
        for (const w of waiting.rows)
          await db
            .updateTable('dora_changes')
            .set(changeLead(w.committed_at, w.deployed_at))
            .where('service_id', '=', serviceId)
            .where('sha', '=', w.sha)
            .where('environment', '=', w.environment)
            .execute();
      }
    },
    /** The window's deployments counted in SQL (the covering index answers it). */
    async deploymentCounts(db: Db, f: MetricFilter) {
      if (f.serviceIds?.length === 0) return { total: 0, successful: 0, failed: 0, reworked: 0 };
      let q = db
        .selectFrom('deployments')
        .select((eb) => [
          eb.fn.countAll<number>().as('total'),
          sql<number>`coalesce(sum(case when status = 'success' then 1 else 0 end), 0)`.as('successful'),
          sql<number>`coalesce(sum(case when status = 'failure' or rolled_back = 1 then 1 else 0 end), 0)`.as(
            'failed',
          ),
          sql<number>`coalesce(sum(case when kind <> 'normal' then 1 else 0 end), 0)`.as('reworked'),
        ])
        .where('environment', '=', f.environment)
        .where('finished_at', '>=', f.from)
        .where('finished_at', '<', f.to);
      if (f.serviceIds) q = q.where('service_id', 'in', f.serviceIds);
      const row = await q.executeTakeFirstOrThrow();
      return {
        total: Number(row.total),
        successful: Number(row.successful),
        failed: Number(row.failed),
        reworked: Number(row.reworked),
      };
    },
    /**
     * Deployments of these services that some incident names as its cause (a responder's confirmed
     * link), whichever service the incident is on: a deployment of a shared service can break
     * another one, and it is the deployment's own change failure rate that it counts against.
     */
    async causedDeploymentIds(db: Db, serviceIds: string[] | null): Promise<string[]> {
      if (serviceIds?.length === 0) return [];
      let q = db
        .selectFrom('incidents')
        .innerJoin('deployments', 'deployments.id', 'incidents.caused_by_deployment_id')
        .select('deployments.id')
        .distinct();
      if (serviceIds) q = q.where('deployments.service_id', 'in', serviceIds);
      return (await q.execute()).map((r) => r.id);
    },
    /** Of these deployment ids, how many are in the window and not already failed by status or rollback. */
    async countOtherwiseSound(db: Db, f: MetricFilter, ids: string[]): Promise<number> {
      if (f.serviceIds?.length === 0) return 0;
      let n = 0;
      for (const part of chunks([...new Set(ids)])) {
        let q = db
          .selectFrom('deployments')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('id', 'in', part)
          .where('environment', '=', f.environment)
          .where('finished_at', '>=', f.from)
          .where('finished_at', '<', f.to)
          .where('status', '=', 'success')
          .where('rolled_back', '=', 0);
        if (f.serviceIds) q = q.where('service_id', 'in', f.serviceIds);
        n += Number((await q.executeTakeFirstOrThrow()).n);
      }
      return n;
    },
    /** How many changes with a lead time the window holds per lead bucket, smallest bucket first. */
    async leadHistogram(db: Db, f: MetricFilter): Promise<Array<{ bucket: number; n: number }>> {
      if (f.serviceIds?.length === 0) return [];
      let q = db
        .selectFrom('dora_changes')
        .select((eb) => ['lead_bucket', eb.fn.countAll<number>().as('n')])
        .where('environment', '=', f.environment)
        .where(sql<boolean>`lead_bucket in (${ALL_BUCKETS})`)
        .where('deployed_at', '>=', f.from)
        .where('deployed_at', '<', f.to)
        .groupBy('lead_bucket')
        .orderBy('lead_bucket');
      if (f.serviceIds) q = q.where('service_id', 'in', f.serviceIds);
      const rows = await q.execute();
      return rows.map((r) => ({ bucket: Number(r.lead_bucket), n: Number(r.n) }));
    },
    /** The lead times of one bucket in the window, ascending. */
    async leadValues(db: Db, f: MetricFilter, bucket: number): Promise<number[]> {
      if (f.serviceIds?.length === 0) return [];
      let q = db
        .selectFrom('dora_changes')
        .select('lead_seconds')
        .where('environment', '=', f.environment)
        .where('lead_bucket', '=', bucket)
        .where('deployed_at', '>=', f.from)
        .where('deployed_at', '<', f.to);
      if (f.serviceIds) q = q.where('service_id', 'in', f.serviceIds);
      const rows = await q.execute();
      return Float64Array.from(rows, (r) => Number(r.lead_seconds)).sort() as unknown as number[];
    },
    /** The window's deployments in finish order (at most `limit`), for evidence. */
    async evidenceDeployments(
      db: Db,
      f: MetricFilter,
      limit: number,
      only?: { status?: 'success'; reworked?: boolean; ids?: string[] },
    ) {
      if (f.serviceIds?.length === 0) return [];
      let q = db
        .selectFrom('deployments')
        .select([
          'id',
          'service_id',
          'status',
          'kind',
          'rollback_of',
          'finished_at',
          'version',
          'commit_sha',
          'rolled_back',
        ])
        .where('environment', '=', f.environment)
        .where('finished_at', '>=', f.from)
        .where('finished_at', '<', f.to)
        .orderBy('finished_at')
        .orderBy('id')
        .limit(limit);
      if (f.serviceIds) q = q.where('service_id', 'in', f.serviceIds);
      if (only?.status) q = q.where('status', '=', only.status);
      if (only?.reworked) q = q.where('kind', '<>', 'normal');
      return q.execute();
    },
    /** The window's changes with a lead time in deployment order (at most `limit`), for evidence. */
    async evidenceChanges(db: Db, f: MetricFilter, limit: number) {
      if (f.serviceIds?.length === 0) return [];
      let q = db
        .selectFrom('dora_changes')
        .select(['service_id', 'sha', 'committed_at', 'deployment_id', 'deployed_at', 'lead_seconds'])
        .where('environment', '=', f.environment)
        .where('deployed_at', '>=', f.from)
        .where('deployed_at', '<', f.to)
        .where('lead_seconds', 'is not', null)
        .orderBy('deployed_at')
        .orderBy('sha')
        .limit(limit);
      if (f.serviceIds) q = q.where('service_id', 'in', f.serviceIds);
      return q.execute();
    },
    /**
     * The commits a deployment shipped (at most `limit`, newest commit first), each with the
     * deployment that first shipped it to this environment and its lead time there.
     */
    async deploymentCommits(db: Db, deployment: { id: string; environment: string }, limit: number) {
      return db
        .selectFrom('deployment_commits as dc')
        .leftJoin('commits as c', (j) =>
          j.onRef('c.service_id', '=', 'dc.service_id').onRef('c.sha', '=', 'dc.sha'),
        )
        .leftJoin('dora_changes as ch', (j) =>
          j
            .onRef('ch.service_id', '=', 'dc.service_id')
            .onRef('ch.sha', '=', 'dc.sha')
            .on('ch.environment', '=', deployment.environment),
        )
        .select([
          'dc.sha as sha',
          'c.committed_at as committed_at',
          'c.authored_at as authored_at',
          'c.message as message',
          'ch.deployment_id as first_deployment_id',
          'ch.lead_seconds as lead_seconds',
        ])
        .where('dc.deployment_id', '=', deployment.id)
        .orderBy('c.committed_at', 'desc')
        .orderBy('dc.sha')
        .limit(limit)
        .execute();
    },
    getGitImport(db: Db, serviceId: string) {
      return db
        .selectFrom('dora_git_imports')
        .selectAll()
        .where('service_id', '=', serviceId)
        .executeTakeFirst();
    },
    async putGitImport(
      db: Db,
      row: { service_id: string; tips: string; commits: number; updated_at: string },
    ) {
      await db
        .insertInto('dora_git_imports')
        .values(row)
        .onConflict((oc) =>
          oc
            .column('service_id')
            .doUpdateSet({ tips: row.tips, commits: row.commits, updated_at: row.updated_at }),
        )
        .execute();
    },
    listRepositoryMappings(db: Db, serviceIds: string[] | null) {
      let q = db.selectFrom('dora_repositories').selectAll().orderBy('repository_key');
      if (serviceIds) {
        if (serviceIds.length === 0) return Promise.resolve([]);
        q = q.where('service_id', 'in', serviceIds);
      }
      return q.execute();
    },
    getRepositoryMapping(db: Db, key: string) {
      return db
        .selectFrom('dora_repositories')
        .selectAll()
        .where('repository_key', '=', key)
        .executeTakeFirst();
    },
    async insertRepositoryMapping(
      db: Db,
      row: { repository_key: string; repository_url: string; service_id: string; created_at: string },
    ) {
      await db.insertInto('dora_repositories').values(row).execute();
    },
    async deleteRepositoryMapping(db: Db, key: string) {
      await db.deleteFrom('dora_repositories').where('repository_key', '=', key).execute();
    },
    /** Records a webhook delivery; false when it was already recorded (a redelivery). */
    async recordDelivery(
      db: Db,
      row: { source: string; delivery_id: string; event: string; outcome: string; received_at: string },
    ): Promise<boolean> {
      const result = await db
        .insertInto('webhook_deliveries')
        .values(row)
        .onConflict((oc) => oc.columns(['source', 'delivery_id']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    getDelivery(db: Db, source: string, deliveryId: string) {
      return db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('source', '=', source)
        .where('delivery_id', '=', deliveryId)
        .executeTakeFirst();
    },
    getScmSecret(db: Db, provider: string) {
      return db
        .selectFrom('scm_integrations')
        .selectAll()
        .where('provider', '=', provider)
        .executeTakeFirst();
    },
    async setScmSecret(db: Db, provider: string, secret: string, at: string): Promise<void> {
      await db
        .insertInto('scm_integrations')
        .values({ provider, webhook_secret: secret, updated_at: at })
        .onConflict((oc) => oc.column('provider').doUpdateSet({ webhook_secret: secret, updated_at: at }))
        .execute();
    },
  };
}

export type DoraRepository = ReturnType<typeof createDoraRepository>;
