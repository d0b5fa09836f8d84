import type { Kysely, Migration } from 'kysely';

/**
 * Feature-flag release controls: rollout plans (a flag's rollout percentage advanced by durable
 * jobs, paused and rolled back by incidents on linked services), change requests (four-eyes
 * approval in protected environments) and experiment events (exposures and conversions).
 */
export const m0010FlagReleaseControls: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('flag_rollout_plans')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('flag_key', 'text', (c) => c.notNull().references('flags.key').onDelete('cascade'))
      .addColumn('environment', 'text', (c) =>
        c.notNull().references('flag_environments.key').onDelete('cascade'),
      )
      // Percentages in order, e.g. [1, 5, 25, 50, 100].
      .addColumn('steps_json', 'text', (c) => c.notNull())
      .addColumn('interval_seconds', 'integer', (c) => c.notNull())
      .addColumn('service_ids_json', 'text', (c) => c.notNull())
      // active | paused | completed | cancelled
      .addColumn('status', 'text', (c) => c.notNull())
      // Index into steps of the step applied last; -1 before the first.
      .addColumn('current_step', 'integer', (c) => c.notNull())
      .addColumn('current_percent', 'integer', (c) => c.notNull())
      // The id of the flexibleRollout strategy the plan owns in that environment.
      .addColumn('strategy_id', 'text', (c) => c.notNull())
      .addColumn('stickiness', 'text', (c) => c.notNull())
      // Bumped on every state change: a step job carries the version it was made for (fencing).
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('next_step_at', 'text')
      .addColumn('paused_reason', 'text')
      .addColumn('paused_incident_id', 'text')
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text')
      .execute();
    await db.schema
      .createIndex('flag_rollout_plans_flag_idx')
      .on('flag_rollout_plans')
      .columns(['flag_key', 'environment'])
      .execute();
    await db.schema
      .createIndex('flag_rollout_plans_status_idx')
      .on('flag_rollout_plans')
      .column('status')
      .execute();

    await db.schema
      .createTable('flag_change_requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('flag_key', 'text', (c) => c.notNull().references('flags.key').onDelete('cascade'))
      .addColumn('environment', 'text', (c) =>
        c.notNull().references('flag_environments.key').onDelete('cascade'),
      )
      // environment (a configuration change) | rollout_plan (start a plan)
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('change_json', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      // pending | applied | rejected | cancelled
      .addColumn('status', 'text', (c) => c.notNull())
      // The flag version the change was asked against: applying refuses a flag changed since.
      .addColumn('base_version', 'integer', (c) => c.notNull())
      .addColumn('requested_by_id', 'text', (c) => c.notNull())
      .addColumn('requested_by_name', 'text', (c) => c.notNull())
      .addColumn('requested_at', 'text', (c) => c.notNull())
      .addColumn('decided_by_id', 'text')
      .addColumn('decided_by_name', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('decision_comment', 'text')
      .execute();
    await db.schema
      .createIndex('flag_change_requests_status_idx')
      .on('flag_change_requests')
      .columns(['status', 'requested_at'])
      .execute();

    await db.schema
      .createTable('flag_events')
      // The caller's event id, or a hash of the event's fields: sending it again is a no-op.
      .addColumn('id', 'text', (c) => c.primaryKey())
      // exposure | conversion
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('flag_key', 'text', (c) => c.notNull())
      .addColumn('variant', 'text', (c) => c.notNull())
      .addColumn('user_key', 'text', (c) => c.notNull())
      .addColumn('metric', 'text', (c) => c.notNull())
      .addColumn('value', 'real')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('flag_events_flag_idx')
      .on('flag_events')
      .columns(['flag_key', 'type', 'metric'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of ['flag_events', 'flag_change_requests', 'flag_rollout_plans'])
      await db.schema.dropTable(table).execute();
  },
};
