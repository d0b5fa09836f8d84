import type { Kysely, Migration } from 'kysely';

/**
 * Incident history survives its integration: deleting an integration disables it (its key stops
 * working) instead of removing the row, whose alerts (and their events) would go with it.
 * Alert events are a write-only record of what was received; no query reads them by alert, so
 * their alert_id index only cost a random index write per ingested event.
 */
export const m0015IncidentHistory: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('integrations').addColumn('disabled_at', 'text').execute();
    await db.schema.dropIndex('alert_events_alert_idx').ifExists().execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.createIndex('alert_events_alert_idx').on('alert_events').column('alert_id').execute();
    await db.schema.alterTable('integrations').dropColumn('disabled_at').execute();
  },
};
