import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';
import { leadBucketSql } from '../../modules/dora/dora-lead.ts';

/**
 * DORA at scale (issue 6): the metric queries aggregate in SQL instead of loading every row.
 *
 * - `deployments.rolled_back`: 1 once some rollback deployment names it (kept at write time).
 *   The covering indexes let the window's counts come from the index alone.
 * - `dora_changes`: per (service, environment, commit), its first successful deployment there, with
 *   the commit time and the lead time in seconds and as a monotone bucket (see dora-lead.ts).
 *   Backfilled here from deployment_commits; kept at write time afterwards.
 * - an index on incidents.caused_by_deployment_id (any incident naming a deployment fails it).
 * - `dora_repositories`: explicit repository -> service mappings (before repository_url matching).
 * - `dora_git_imports`: the commits a git import last reached, so a re-run sends only what is new.
 */
export const m0008DoraChanges: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('deployments')
      .addColumn('rolled_back', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await sql`update deployments set rolled_back = 1 where id in
      (select rollback_of from deployments where kind = 'rollback' and rollback_of is not null)`.execute(db);
    await db.schema.dropIndex('deployments_service_env_finished_idx').ifExists().execute();
    await db.schema.dropIndex('deployments_env_finished_idx').ifExists().execute();
    await db.schema
      .createIndex('deployments_service_env_finished_idx')
      .on('deployments')
      .columns(['service_id', 'environment', 'finished_at', 'status', 'kind', 'rolled_back'])
      .execute();
    await db.schema
      .createIndex('deployments_env_finished_idx')
      .on('deployments')
      .columns(['environment', 'finished_at', 'status', 'kind', 'rolled_back'])
      .execute();

    await db.schema
      .createTable('dora_changes')
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id').onDelete('cascade'))
      .addColumn('sha', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('deployment_id', 'text', (c) => c.notNull())
      .addColumn('deployed_at', 'text', (c) => c.notNull())
      .addColumn('committed_at', 'text')
      .addColumn('lead_seconds', 'double precision')
      .addColumn('lead_bucket', 'integer')
      .addPrimaryKeyConstraint('dora_changes_pk', ['service_id', 'sha', 'environment'])
      .execute();
    await backfillDoraChanges(db);
    await db.schema
      .createIndex('dora_changes_env_bucket_idx')
      .on('dora_changes')
      .columns(['environment', 'lead_bucket', 'deployed_at', 'lead_seconds'])
      .execute();
    await db.schema
      .createIndex('dora_changes_service_bucket_idx')
      .on('dora_changes')
      .columns(['service_id', 'environment', 'lead_bucket', 'deployed_at', 'lead_seconds'])
      .execute();
    await db.schema
      .createIndex('dora_changes_env_deployed_idx')
      .on('dora_changes')
      .columns(['environment', 'deployed_at'])
      .execute();

    // Change failure rate: every incident naming a deployment counts, whenever it was triggered.
    await db.schema
      .createIndex('incidents_caused_by_deployment_idx')
      .on('incidents')
      .column('caused_by_deployment_id')
      .execute();

    await db.schema
      .createTable('dora_repositories')
      .addColumn('repository_key', 'text', (c) => c.primaryKey())
      .addColumn('repository_url', 'text', (c) => c.notNull())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id').onDelete('cascade'))
      // JSON array of workflow names or paths whose completed runs are deployments (null: "deploy" in them).
      .addColumn('deploy_workflows', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('dora_repositories_service_idx')
      .on('dora_repositories')
      .column('service_id')
      .execute();

    await db.schema
      .createTable('dora_git_imports')
      .addColumn('service_id', 'text', (c) => c.primaryKey().references('services.id').onDelete('cascade'))
      .addColumn('tips', 'text', (c) => c.notNull())
      .addColumn('commits', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of ['dora_git_imports', 'dora_repositories', 'dora_changes'])
      await db.schema.dropTable(table).ifExists().execute();
    await db.schema.dropIndex('incidents_caused_by_deployment_idx').ifExists().execute();
    await db.schema.dropIndex('deployments_service_env_finished_idx').ifExists().execute();
    await db.schema.dropIndex('deployments_env_finished_idx').ifExists().execute();
    await db.schema.alterTable('deployments').dropColumn('rolled_back').execute();
    await db.schema
      .createIndex('deployments_service_env_finished_idx')
      .on('deployments')
      .columns(['service_id', 'environment', 'finished_at'])
      .execute();
    await db.schema
      .createIndex('deployments_env_finished_idx')
      .on('deployments')
      .columns(['environment', 'finished_at'])
      .execute();
  },
};

/**
 * Fills dora_changes from deployment_commits: each commit's first successful deployment per
 * environment (earliest finish, then smallest id), with its lead time computed from whole
 * milliseconds exactly as the write path (dora-lead.ts) does. Exported for bench/dora.ts.
 */
export async function backfillDoraChanges(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const epochMs = (column: string) =>
    postgres
      ? `(extract(epoch from ${column}::timestamptz) * 1000)::bigint`
      : `cast(round(unixepoch(${column}, 'subsec') * 1000) as integer)`;
  // MATERIALIZED: computed once per row (inlined, the bucket's CASE would re-parse the times per arm).
  await sql
    .raw(
      `with f as materialized (
         select dc.service_id, dc.sha, d.environment, d.id as deployment_id, d.finished_at as deployed_at,
           c.committed_at, ${epochMs('d.finished_at')} as deployed_ms, ${epochMs('c.committed_at')} as committed_ms
         from deployment_commits dc
         join deployments d on d.id = dc.deployment_id
         left join commits c on c.service_id = dc.service_id and c.sha = dc.sha
         where d.status = 'success' and not exists (
           select 1 from deployment_commits dc2 join deployments d2 on d2.id = dc2.deployment_id
           where dc2.service_id = dc.service_id and dc2.sha = dc.sha and d2.environment = d.environment
             and d2.status = 'success'
             and (d2.finished_at < d.finished_at or (d2.finished_at = d.finished_at and d2.id < d.id)))
       ),
       g as materialized (
         select f.service_id, f.sha, f.environment, f.deployment_id, f.deployed_at, f.committed_at,
           case when f.committed_at is null then null
             when f.deployed_ms > f.committed_ms then f.deployed_ms - f.committed_ms else 0 end as lead_ms
         from f
       )
       insert into dora_changes (service_id, sha, environment, deployment_id, deployed_at, committed_at, lead_seconds, lead_bucket)
       select g.service_id, g.sha, g.environment, g.deployment_id, g.deployed_at, g.committed_at,
         g.lead_ms / 1000.0,
         case when g.lead_ms is null then null else ${leadBucketSql('(g.lead_ms / 1000)')} end
       from g`,
    )
    .execute(db);
}
