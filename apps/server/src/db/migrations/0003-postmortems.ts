import type { Kysely, Migration } from 'kysely';

/** Postmortems (one per incident) and their tracked action items. Portable DDL only. */
export const m0003Postmortems: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('postmortems')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('incident_id', 'text', (c) => c.notNull().unique().references('incidents.id'))
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('markdown', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('due_at', 'text', (c) => c.notNull())
      .addColumn('submitted_at', 'text')
      .addColumn('published_at', 'text')
      .addColumn('published_by', 'text')
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('postmortems_team_idx')
      .on('postmortems')
      .columns(['team_id', 'due_at'])
      .execute();
    await db.schema
      .createIndex('postmortems_status_idx')
      .on('postmortems')
      .columns(['status', 'due_at'])
      .execute();

    await db.schema
      .createTable('postmortem_action_items')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('postmortem_id', 'text', (c) => c.notNull().references('postmortems.id').onDelete('cascade'))
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('owner_id', 'text')
      .addColumn('owner_handle', 'text')
      .addColumn('due_date', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('source_key', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('completed_at', 'text')
      .execute();
    await db.schema
      .createIndex('postmortem_action_items_pm_idx')
      .on('postmortem_action_items')
      .column('postmortem_id')
      .execute();
    await db.schema
      .createIndex('postmortem_action_items_owner_idx')
      .on('postmortem_action_items')
      .columns(['owner_id', 'status'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('postmortem_action_items').execute();
    await db.schema.dropTable('postmortems').execute();
  },
};
