import type { Kysely, Migration } from 'kysely';

/**
 * A reopened incident escalates again from level 1: on-call page records carry the incident's
 * reopen number (0 for the first trigger, n for the nth reopen), and their once-per-step key
 * includes it, so reopen n pages each level again while a step job run twice still pages nobody twice.
 */
export const m0017OncallPageReopen: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('oncall_pages')
      .addColumn('reopen', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.dropIndex('oncall_pages_user_uq').execute();
    await db.schema
      .createIndex('oncall_pages_user_uq')
      .on('oncall_pages')
      .columns(['incident_id', 'reopen', 'round', 'step', 'user_id'])
      .unique()
      .execute();
  },
  async down(db: Kysely<unknown>) {
    // The old key holds one page per step and person: the pages of reopens do not fit it.
    await db
      .withTables<{ oncall_pages: { reopen: number } }>()
      .deleteFrom('oncall_pages')
      .where('reopen', '>', 0)
      .execute();
    await db.schema.dropIndex('oncall_pages_user_uq').execute();
    await db.schema
      .createIndex('oncall_pages_user_uq')
      .on('oncall_pages')
      .columns(['incident_id', 'round', 'step', 'user_id'])
      .unique()
      .execute();
    await db.schema.alterTable('oncall_pages').dropColumn('reopen').execute();
  },
};
