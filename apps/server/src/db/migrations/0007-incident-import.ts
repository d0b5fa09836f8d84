import type { Kysely, Migration } from 'kysely';

/**
 * Incident import (history from day one): the id an incident had in the tool it came from
 * (a PagerDuty incident id, say), unique, so that re-importing the same export is idempotent.
 */
export const m0007IncidentImport: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('incidents').addColumn('external_id', 'text').execute();
    // NULL external ids (incidents opened in engops) never collide.
    await db.schema
      .createIndex('incidents_external_uq')
      .on('incidents')
      .column('external_id')
      .unique()
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('incidents_external_uq').ifExists().execute();
    await db.schema.alterTable('incidents').dropColumn('external_id').execute();
  },
};
