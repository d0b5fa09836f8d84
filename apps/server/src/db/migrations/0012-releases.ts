import type { Kysely, Migration } from 'kysely';

/**
 * Releases: per-team pipelines, releases moving through their stages (a snapshot of the pipeline
 * is kept on the release), the timeline, approvals, pushed canary/baseline samples, per-service
 * release settings (metric settings, rollback hook) and freeze windows.
 */
export const m0012Releases: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('release_pipelines')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('is_default', 'integer', (c) => c.notNull())
      .addColumn('stages', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('release_pipelines_team_name_uq')
      .on('release_pipelines')
      .columns(['team_id', 'name'])
      .unique()
      .execute();

    await db.schema
      .createTable('releases')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id').onDelete('cascade'))
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('pipeline_id', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('commit_sha', 'text', (c) => c.notNull())
      // JSON: the commits shipped, handed to DORA with the production deployment.
      .addColumn('commits', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('current_stage', 'text')
      .addColumn('judgement', 'text')
      .addColumn('deployment_id', 'text')
      .addColumn('rollback_deployment_id', 'text')
      .addColumn('harmful_reason', 'text')
      .addColumn('monitor_until', 'text')
      .addColumn('created_by_id', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('releases_service_version_uq')
      .on('releases')
      .columns(['service_id', 'version'])
      .unique()
      .execute();
    await db.schema.createIndex('releases_team_idx').on('releases').columns(['team_id', 'id']).execute();

    await db.schema
      .createTable('release_stages')
      .addColumn('release_id', 'text', (c) => c.notNull().references('releases.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .addPrimaryKeyConstraint('release_stages_pk', ['release_id', 'name'])
      .execute();

    await db.schema
      .createTable('release_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('release_id', 'text', (c) => c.notNull().references('releases.id').onDelete('cascade'))
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('stage', 'text')
      .addColumn('status', 'text')
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('details', 'text')
      .execute();
    await db.schema
      .createIndex('release_events_release_idx')
      .on('release_events')
      .columns(['release_id', 'id'])
      .execute();

    await db.schema
      .createTable('release_approvals')
      .addColumn('release_id', 'text', (c) => c.notNull().references('releases.id').onDelete('cascade'))
      .addColumn('stage', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('comment', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('release_approvals_pk', ['release_id', 'stage', 'actor_id'])
      .execute();

    await db.schema
      .createTable('release_samples')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('release_id', 'text', (c) => c.notNull().references('releases.id').onDelete('cascade'))
      .addColumn('sample_group', 'text', (c) => c.notNull())
      .addColumn('metric', 'text', (c) => c.notNull())
      .addColumn('sample_values', 'text', (c) => c.notNull())
      // push (the API) or prometheus (pulled; replaced on every pull).
      .addColumn('source', 'text', (c) => c.notNull().defaultTo('push'))
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('release_samples_release_idx')
      .on('release_samples')
      .columns(['release_id', 'metric'])
      .execute();

    await db.schema
      .createTable('release_settings')
      .addColumn('service_id', 'text', (c) => c.primaryKey().references('services.id').onDelete('cascade'))
      .addColumn('metrics', 'text', (c) => c.notNull())
      .addColumn('rollback_hook_url', 'text')
      .addColumn('rollback_hook_secret', 'text')
      .addColumn('monitor_window_minutes', 'integer')
      .addColumn('canary', 'text')
      .addColumn('prometheus', 'text')
      .addColumn('slo', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('release_freezes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('team_id', 'text', (c) => c.references('teams.id').onDelete('cascade'))
      .addColumn('starts_at', 'text', (c) => c.notNull())
      .addColumn('ends_at', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('release_freezes_ends_idx')
      .on('release_freezes')
      .columns(['ends_at'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of [
      'release_freezes',
      'release_settings',
      'release_samples',
      'release_approvals',
      'release_events',
      'release_stages',
      'releases',
      'release_pipelines',
    ])
      await db.schema.dropTable(table).ifExists().execute();
  },
};
