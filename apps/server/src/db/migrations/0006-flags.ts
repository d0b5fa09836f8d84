import type { Kysely, Migration } from 'kysely';

/**
 * Feature flags: environments, flags, per-environment configuration (strategies and variants as
 * Unleash client-features JSON), reusable segments, SDK tokens (hashed), and what SDKs report
 * (registered instances, hourly yes/no and variant counts).
 */
export const m0006Flags: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('flag_environments')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('require_approval', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    const at = new Date().toISOString();
    await (db as Kysely<Record<string, Record<string, unknown>>>)
      .insertInto('flag_environments')
      .values(
        [
          ['development', 'Development'],
          ['staging', 'Staging'],
          ['production', 'Production'],
        ].map(([key, name], i) => ({
          key,
          name,
          sort_order: i,
          revision: 1,
          require_approval: 0,
          created_at: at,
          updated_at: at,
        })),
      )
      .execute();

    await db.schema
      .createTable('flags')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('description', 'text')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('owner_team_id', 'text', (c) => c.references('teams.id').onDelete('set null'))
      .addColumn('tags_json', 'text', (c) => c.notNull())
      .addColumn('variants_json', 'text', (c) => c.notNull())
      .addColumn('dependencies_json', 'text', (c) => c.notNull())
      .addColumn('impression_data', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('archived_at', 'text')
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('flags_owner_team_idx').on('flags').column('owner_team_id').execute();

    await db.schema
      .createTable('flag_environment_configs')
      .addColumn('flag_key', 'text', (c) => c.notNull().references('flags.key').onDelete('cascade'))
      .addColumn('environment', 'text', (c) =>
        c.notNull().references('flag_environments.key').onDelete('cascade'),
      )
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('strategies_json', 'text', (c) => c.notNull())
      // Null: the flag's own variants apply in this environment.
      .addColumn('variants_json', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('flag_environment_configs_pk', ['flag_key', 'environment'])
      .execute();
    await db.schema
      .createIndex('flag_environment_configs_env_idx')
      .on('flag_environment_configs')
      .column('environment')
      .execute();

    await db.schema
      .createTable('flag_segments')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text')
      .addColumn('constraints_json', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('flag_sdk_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) =>
        c.notNull().references('flag_environments.key').onDelete('cascade'),
      )
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();

    await db.schema
      .createTable('flag_client_instances')
      .addColumn('app_name', 'text', (c) => c.notNull())
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('sdk_version', 'text')
      .addColumn('strategies_json', 'text', (c) => c.notNull())
      .addColumn('interval_ms', 'integer')
      .addColumn('started_at', 'text')
      .addColumn('last_seen_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('flag_client_instances_pk', ['app_name', 'instance_id', 'environment'])
      .execute();

    await db.schema
      .createTable('flag_metrics_hourly')
      .addColumn('flag_key', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('hour', 'text', (c) => c.notNull())
      .addColumn('app_name', 'text', (c) => c.notNull())
      // The variant counted, or '' for the yes/no row.
      .addColumn('variant', 'text', (c) => c.notNull())
      .addColumn('yes_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('no_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('flag_metrics_hourly_pk', [
        'flag_key',
        'environment',
        'hour',
        'app_name',
        'variant',
      ])
      .execute();
    await db.schema
      .createIndex('flag_metrics_hourly_hour_idx')
      .on('flag_metrics_hourly')
      .columns(['environment', 'hour'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of [
      'flag_metrics_hourly',
      'flag_client_instances',
      'flag_sdk_tokens',
      'flag_segments',
      'flag_environment_configs',
      'flags',
      'flag_environments',
    ])
      await db.schema.dropTable(table).execute();
  },
};
