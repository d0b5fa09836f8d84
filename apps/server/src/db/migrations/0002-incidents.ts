import { type Kysely, type Migration, sql } from 'kysely';

export const m0002Incidents: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('integrations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull().unique())
      .addColumn('heartbeat_interval_seconds', 'integer')
      .addColumn('heartbeat_grace_seconds', 'integer')
      .addColumn('last_heartbeat_at', 'text')
      .addColumn('heartbeat_state', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('integrations_service_idx').on('integrations').column('service_id').execute();

    await db.schema
      .createTable('incidents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('number', 'integer', (c) => c.notNull().unique())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('group_key', 'text')
      .addColumn('integration_id', 'text')
      .addColumn('suppressed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('triggered_at', 'text', (c) => c.notNull())
      .addColumn('acknowledged_at', 'text')
      .addColumn('acknowledged_by', 'text')
      .addColumn('mitigated_at', 'text')
      .addColumn('mitigated_by', 'text')
      .addColumn('resolved_at', 'text')
      .addColumn('resolved_by', 'text')
      .addColumn('reviewed_at', 'text')
      .addColumn('commander_id', 'text')
      .addColumn('comms_lead_id', 'text')
      .addColumn('caused_by_deployment_id', 'text')
      .addColumn('alert_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('incidents_service_idx')
      .on('incidents')
      .columns(['service_id', 'triggered_at'])
      .execute();
    await db.schema
      .createIndex('incidents_status_idx')
      .on('incidents')
      .columns(['status', 'triggered_at'])
      .execute();
    // One open incident per integration group (Alertmanager groupKey) at a time.
    await db.schema
      .createIndex('incidents_open_group_uq')
      .on('incidents')
      .columns(['integration_id', 'group_key'])
      .unique()
      .where(sql.ref('status'), 'in', ['triggered', 'acknowledged', 'mitigated'])
      .execute();

    await db.schema
      .createTable('alerts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('integration_id', 'text', (c) =>
        c.notNull().references('integrations.id').onDelete('cascade'),
      )
      .addColumn('service_id', 'text', (c) => c.notNull())
      .addColumn('incident_id', 'text', (c) => c.references('incidents.id'))
      .addColumn('dedup_key', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('source', 'text')
      .addColumn('details_json', 'text')
      .addColumn('links_json', 'text')
      .addColumn('event_count', 'integer', (c) => c.notNull())
      .addColumn('suppressed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('first_seen_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_at', 'text', (c) => c.notNull())
      .addColumn('acknowledged_at', 'text')
      .addColumn('resolved_at', 'text')
      .execute();
    await db.schema.createIndex('alerts_incident_idx').on('alerts').column('incident_id').execute();
    // Dedup: one unresolved alert per integration and key.
    await db.schema
      .createIndex('alerts_open_dedup_uq')
      .on('alerts')
      .columns(['integration_id', 'dedup_key'])
      .unique()
      .where(sql.ref('status'), '<>', 'resolved')
      .execute();

    await db.schema
      .createTable('alert_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('integration_id', 'text', (c) => c.notNull())
      .addColumn('alert_id', 'text')
      .addColumn('incident_id', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('dedup_key', 'text')
      .addColumn('payload_json', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('alert_events_alert_idx').on('alert_events').column('alert_id').execute();

    await db.schema
      .createTable('incident_timeline')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('actor_type', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('actor_name', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('data_json', 'text')
      .execute();
    await db.schema
      .createIndex('incident_timeline_incident_idx')
      .on('incident_timeline')
      .columns(['incident_id', 'id'])
      .execute();

    await db.schema
      .createTable('maintenance_windows')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id').onDelete('cascade'))
      .addColumn('starts_at', 'text', (c) => c.notNull())
      .addColumn('ends_at', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('maintenance_service_idx')
      .on('maintenance_windows')
      .columns(['service_id', 'ends_at'])
      .execute();

    await db.schema
      .createTable('counters')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'integer', (c) => c.notNull())
      .execute();
  },
};
