import type { Kysely, Migration } from 'kysely';

/**
 * The dependency ignore entries (`.engops-deps-ignore.json`) a service's last scan read, from the
 * repository (push and repository scans) or from `engops scan deps --upload`: the server's rescans
 * of the stored inventory apply them as the scans do, so an ignored advisory is not filed again by
 * the next advisory import or daily rescan.
 */
export const m0016SecurityDependencyIgnores: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('security_dependency_ignores')
      .addColumn('service_id', 'text', (c) => c.primaryKey())
      .addColumn('entries_json', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('security_dependency_ignores').execute();
  },
};
