import type { Kysely, Migration } from 'kysely';

/**
 * On-call: schedules (layers as JSON, computed by modules/oncall/schedule-math.ts), overrides,
 * escalation policies, which policy each service follows, and the pages sent. Portable DDL only.
 */
export const m0005Oncall: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('oncall_schedules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
      .addColumn('time_zone', 'text', (c) => c.notNull())
      .addColumn('layers_json', 'text', (c) => c.notNull())
      // Part of the signed iCal URL: changing it revokes every URL handed out before.
      .addColumn('ical_key', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('oncall_schedules_team_idx')
      .on('oncall_schedules')
      .column('team_id')
      .execute();

    await db.schema
      .createTable('oncall_overrides')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('schedule_id', 'text', (c) =>
        c.notNull().references('oncall_schedules.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('start_at', 'text', (c) => c.notNull())
      .addColumn('end_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('oncall_overrides_schedule_idx')
      .on('oncall_overrides')
      .columns(['schedule_id', 'end_at'])
      .execute();

    await db.schema
      .createTable('escalation_policies')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
      .addColumn('steps_json', 'text', (c) => c.notNull())
      .addColumn('repeat', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('escalation_policies_team_idx')
      .on('escalation_policies')
      .column('team_id')
      .execute();

    await db.schema
      .createTable('service_escalation_policies')
      .addColumn('service_id', 'text', (c) => c.primaryKey().references('services.id').onDelete('cascade'))
      .addColumn('escalation_policy_id', 'text', (c) =>
        c.notNull().references('escalation_policies.id').onDelete('cascade'),
      )
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    // One row per person paged per escalation step: the load report counts them.
    await db.schema
      .createTable('oncall_pages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('incident_id', 'text', (c) => c.notNull())
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('escalation_policy_id', 'text', (c) => c.notNull())
      .addColumn('step', 'integer', (c) => c.notNull())
      .addColumn('round', 'integer', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('oncall_pages_user_uq')
      .on('oncall_pages')
      .columns(['incident_id', 'round', 'step', 'user_id'])
      .unique()
      .execute();
    await db.schema
      .createIndex('oncall_pages_team_at_idx')
      .on('oncall_pages')
      .columns(['team_id', 'at'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('oncall_pages').execute();
    await db.schema.dropTable('service_escalation_policies').execute();
    await db.schema.dropTable('escalation_policies').execute();
    await db.schema.dropTable('oncall_overrides').execute();
    await db.schema.dropTable('oncall_schedules').execute();
  },
};
