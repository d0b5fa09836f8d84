import { type Insertable, type Selectable, sql, type Updateable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type {
  AlertEventsTable,
  AlertsTable,
  IncidentsTable,
  IncidentTimelineTable,
  IntegrationsTable,
  MaintenanceWindowsTable,
} from '../../db/schema.ts';

export type IncidentRow = Selectable<IncidentsTable>;
export type AlertRow = Selectable<AlertsTable>;
export type IntegrationRow = Selectable<IntegrationsTable>;
export type TimelineRow = Selectable<IncidentTimelineTable>;
export type MaintenanceRow = Selectable<MaintenanceWindowsTable>;

export interface IncidentFilter {
  serviceId?: string | undefined;
  teamId?: string | undefined;
  statuses?: string[] | undefined;
  severity?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/*
 * The open-alert and open-incident lookups are served by partial unique indexes (alerts_open_dedup_uq,
 * incidents_open_group_uq). SQLite can match a partial index's WHERE clause against a bound
 * parameter only by preparing the statement again once the value is bound (a statement with
 * `status <> ?` plans as a table scan), which costs a second compilation on every ingested event.
 * Written as SQL literals, exactly as in the migration, the conditions match the index at once.
 */
const ALERT_IS_OPEN = sql<boolean>`"status" <> 'resolved'`;
const INCIDENT_IS_OPEN = sql<boolean>`"status" in ('triggered', 'acknowledged', 'mitigated')`;

/** Every query of the incidents module's tables. */
export function createIncidentsRepository() {
  return {
    /** The next value of a counter (1 for a new one), in one upsert. */
    async nextNumber(db: Db, counter: string): Promise<number> {
      const row = await db
        .insertInto('counters')
        .values({ name: counter, value: 1 })
        .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb('counters.value', '+', 1) })))
        .returning('value')
        .executeTakeFirstOrThrow();
      return Number(row.value);
    },

    insertIncident: (db: Db, row: Insertable<IncidentsTable>) =>
      db.insertInto('incidents').values(row).execute(),
    getIncident: (db: Db, id: string) =>
      db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst(),
    incidentByExternalId: (db: Db, externalId: string) =>
      db.selectFrom('incidents').selectAll().where('external_id', '=', externalId).executeTakeFirst(),
    updateIncident: (db: Db, id: string, patch: Updateable<IncidentsTable>) =>
      db.updateTable('incidents').set(patch).where('id', '=', id).execute(),
    openIncidentForGroup: (db: Db, integrationId: string, groupKey: string) =>
      db
        .selectFrom('incidents')
        .selectAll()
        .where('integration_id', '=', integrationId)
        .where('group_key', '=', groupKey)
        .where(INCIDENT_IS_OPEN)
        .executeTakeFirst(),
    listIncidents(db: Db, filter: IncidentFilter, before: string | undefined, limit: number) {
      let q = db.selectFrom('incidents').selectAll().orderBy('id', 'desc').limit(limit);
      if (before) q = q.where('id', '<', before);
      if (filter.serviceId) q = q.where('service_id', '=', filter.serviceId);
      if (filter.teamId) q = q.where('team_id', '=', filter.teamId);
      if (filter.statuses?.length) q = q.where('status', 'in', filter.statuses);
      if (filter.severity) q = q.where('severity', '=', filter.severity);
      if (filter.from) q = q.where('triggered_at', '>=', filter.from);
      if (filter.to) q = q.where('triggered_at', '<', filter.to);
      return q.execute();
    },
    /** Incidents open right now in the scope, whenever they were triggered. */
    async countOpen(db: Db, filter: IncidentFilter): Promise<number> {
      let q = db
        .selectFrom('incidents')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where(INCIDENT_IS_OPEN);
      if (filter.serviceId) q = q.where('service_id', '=', filter.serviceId);
      if (filter.teamId) q = q.where('team_id', '=', filter.teamId);
      return Number((await q.executeTakeFirstOrThrow()).n);
    },
    incidentsInWindow(db: Db, filter: IncidentFilter) {
      let q = db.selectFrom('incidents').selectAll().orderBy('triggered_at');
      if (filter.serviceId) q = q.where('service_id', '=', filter.serviceId);
      if (filter.teamId) q = q.where('team_id', '=', filter.teamId);
      if (filter.from) q = q.where('triggered_at', '>=', filter.from);
      if (filter.to) q = q.where('triggered_at', '<', filter.to);
      return q.execute();
    },

    insertTimeline: (db: Db, row: Insertable<IncidentTimelineTable>) =>
      db.insertInto('incident_timeline').values(row).execute(),
    listTimeline: (db: Db, incidentId: string) =>
      db
        .selectFrom('incident_timeline')
        .selectAll()
        .where('incident_id', '=', incidentId)
        .orderBy('at')
        .orderBy('id')
        .execute(),

    findOpenAlert: (db: Db, integrationId: string, dedupKey: string) =>
      db
        .selectFrom('alerts')
        .selectAll()
        .where('integration_id', '=', integrationId)
        .where('dedup_key', '=', dedupKey)
        .where(ALERT_IS_OPEN)
        .executeTakeFirst(),
    /** A repeated trigger: counts it on the open alert with this key, if any, in one statement. */
    bumpOpenAlert: (db: Db, integrationId: string, dedupKey: string, at: string) =>
      db
        .updateTable('alerts')
        .set((eb) => ({ event_count: eb('event_count', '+', 1), last_seen_at: at }))
        .where('integration_id', '=', integrationId)
        .where('dedup_key', '=', dedupKey)
        .where(ALERT_IS_OPEN)
        .returning(['id', 'incident_id'])
        .executeTakeFirst(),
    insertAlert: (db: Db, row: Insertable<AlertsTable>) => db.insertInto('alerts').values(row).execute(),
    updateAlert: (db: Db, id: string, patch: Updateable<AlertsTable>) =>
      db.updateTable('alerts').set(patch).where('id', '=', id).execute(),
    countOpenAlerts: async (db: Db, incidentId: string) =>
      Number(
        (
          await db
            .selectFrom('alerts')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('incident_id', '=', incidentId)
            .where('status', '<>', 'resolved')
            .executeTakeFirstOrThrow()
        ).n,
      ),
    setAlertsOfIncident: (
      db: Db,
      incidentId: string,
      patch: Updateable<AlertsTable>,
      onlyStatuses: string[],
    ) =>
      db
        .updateTable('alerts')
        .set(patch)
        .where('incident_id', '=', incidentId)
        .where('status', 'in', onlyStatuses)
        .execute(),
    alertsOfIncident: (db: Db, incidentId: string) =>
      db
        .selectFrom('alerts')
        .selectAll()
        .where('incident_id', '=', incidentId)
        .orderBy('first_seen_at')
        .execute(),
    /** Stored copies of accepted events, in multi-row statements of at most 500 rows. */
    async insertAlertEvents(db: Db, rows: Array<Insertable<AlertEventsTable>>): Promise<void> {
      for (let i = 0; i < rows.length; i += 500) {
        await db
          .insertInto('alert_events')
          .values(rows.slice(i, i + 500))
          .execute();
      }
    },

    insertIntegration: (db: Db, row: IntegrationRow) => db.insertInto('integrations').values(row).execute(),
    integrationByKey: (db: Db, key: string) =>
      db.selectFrom('integrations').selectAll().where('key', '=', key).executeTakeFirst(),
    integrationById: (db: Db, id: string) =>
      db.selectFrom('integrations').selectAll().where('id', '=', id).executeTakeFirst(),
    integrationsOfService: (db: Db, serviceId: string) =>
      db.selectFrom('integrations').selectAll().where('service_id', '=', serviceId).orderBy('id').execute(),
    deleteIntegration: (db: Db, id: string) => db.deleteFrom('integrations').where('id', '=', id).execute(),
    updateIntegration: (db: Db, id: string, patch: Updateable<IntegrationsTable>) =>
      db.updateTable('integrations').set(patch).where('id', '=', id).execute(),
    overdueHeartbeats: (db: Db) =>
      db
        .selectFrom('integrations')
        .selectAll()
        .where('kind', '=', 'heartbeat')
        .where('heartbeat_state', '=', 'up')
        .execute(),

    insertMaintenance: (db: Db, row: MaintenanceRow) =>
      db.insertInto('maintenance_windows').values(row).execute(),
    maintenanceOfService: (db: Db, serviceId: string) =>
      db
        .selectFrom('maintenance_windows')
        .selectAll()
        .where('service_id', '=', serviceId)
        .orderBy('starts_at', 'desc')
        .execute(),
    maintenanceById: (db: Db, id: string) =>
      db.selectFrom('maintenance_windows').selectAll().where('id', '=', id).executeTakeFirst(),
    deleteMaintenance: (db: Db, id: string) =>
      db.deleteFrom('maintenance_windows').where('id', '=', id).execute(),
    activeMaintenance: (db: Db, serviceId: string, at: string) =>
      db
        .selectFrom('maintenance_windows')
        .selectAll()
        .where('service_id', '=', serviceId)
        .where('starts_at', '<=', at)
        .where('ends_at', '>', at)
        .executeTakeFirst(),
  };
}

export type IncidentsRepository = ReturnType<typeof createIncidentsRepository>;
