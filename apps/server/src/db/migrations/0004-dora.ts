import type { Kysely, Migration } from 'kysely';

/**
 * DORA: deployments, commits and which commits each deployment shipped. Sized for 1M deployments
 * and 5M commits: the metric queries read deployments by (service_id, environment, finished_at)
 * and commits by (service_id, sha).
 */
export const m0004Dora: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('deployments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id').onDelete('cascade'))
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('version', 'text')
      .addColumn('commit_sha', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('rollback_of', 'text')
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('external_id', 'text')
      .addColumn('commit_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
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
    await db.schema
      .createIndex('deployments_rollback_of_idx')
      .on('deployments')
      .column('rollback_of')
      .execute();
    // Idempotency: one deployment per external id and source (NULL external ids never collide).
    await db.schema
      .createIndex('deployments_external_uq')
      .on('deployments')
      .columns(['source', 'external_id'])
      .unique()
      .execute();

    await db.schema
      .createTable('commits')
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id').onDelete('cascade'))
      .addColumn('sha', 'text', (c) => c.notNull())
      .addColumn('committed_at', 'text', (c) => c.notNull())
      .addColumn('authored_at', 'text')
      .addColumn('message', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('commits_pk', ['service_id', 'sha'])
      .execute();

    await db.schema
      .createTable('deployment_commits')
      .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id').onDelete('cascade'))
      .addColumn('service_id', 'text', (c) => c.notNull())
      .addColumn('sha', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('deployment_commits_pk', ['deployment_id', 'sha'])
      .execute();
    await db.schema
      .createIndex('deployment_commits_service_sha_idx')
      .on('deployment_commits')
      .columns(['service_id', 'sha'])
      .execute();

    // Webhook deliveries already processed (X-GitHub-Delivery), for idempotent redelivery.
    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('delivery_id', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('webhook_deliveries_pk', ['source', 'delivery_id'])
      .execute();

    // Per-provider settings of the source-control integrations (the webhook secret).
    await db.schema
      .createTable('scm_integrations')
      .addColumn('provider', 'text', (c) => c.primaryKey())
      .addColumn('webhook_secret', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of [
      'scm_integrations',
      'webhook_deliveries',
      'deployment_commits',
      'commits',
      'deployments',
    ])
      await db.schema.dropTable(table).ifExists().execute();
  },
};
