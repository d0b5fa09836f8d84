import { type Insertable, type Selectable, sql, type Updateable } from 'kysely';
import type { Db } from '../../db/database.ts';
import { prepareInsert, prepareQuery } from '../../db/prepared-query.ts';
import type {
  AlertEventsTable,
  AlertsTable,
  IncidentsTable,
  IncidentTimelineTable,
  IntegrationsTable,
  MaintenanceWindowsTable,
} from '../../db/schema.ts';
import { idFloor, idTime } from '../../platform/ids.ts';

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

/**
 * Counts the writes that may close an alert or move it (status, incident), in this process: alert
 * ingestion keeps the open alert of each dedup key in memory and trusts an entry only while this
 * number has not changed since it was stored (see alert-ingest.ts). Process-wide, so that every
 * repository instance on the same database invalidates the others' entries.
 */
let alertWrites = 0;
export const alertWriteEpoch = (): number => alertWrites;
/** For writes outside this process (another connection to the same SQLite file). */
export const invalidateOpenAlerts = (): void => {
  alertWrites++;
};
const noteAlertWrite = (patch: Updateable<AlertsTable>) => {
  if (patch.status !== undefined || patch.incident_id !== undefined) alertWrites++;
};

/** Every query of the incidents module's tables. */
export function createIncidentsRepository() {
  // The statements alert ingestion runs for every event are compiled once (db/prepared-query.ts).
  const nextNumber = prepareQuery(
    (db, p) =>
      db
        .insertInto('counters')
        .values({ name: p(0), value: 1 })
        .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb('counters.value', '+', 1) })))
        .returning('value'),
    1,
  );
  // The page job's checks read the timeline of a new incident (all of it, or one kind).
  const timelineQuery = (db: Db, incidentId: string) =>
    db
      .selectFrom('incident_timeline')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('at')
      .orderBy('id');
  const timeline = prepareQuery((db, p) => timelineQuery(db, p(0)), 1);
  const timelineOfKind = prepareQuery((db, p) => timelineQuery(db, p(0)).where('kind', '=', p(1)), 2);
  const getIncident = prepareQuery(
    (db, p) => db.selectFrom('incidents').selectAll().where('id', '=', p(0)),
    1,
  );
  const openIncidentForGroup = prepareQuery(
    (db, p) =>
      db
        .selectFrom('incidents')
        .selectAll()
        .where('integration_id', '=', p(0))
        .where('group_key', '=', p(1))
        .where(INCIDENT_IS_OPEN),
    2,
  );
  const findOpenAlert = prepareQuery(
    (db, p) =>
      db
        .selectFrom('alerts')
        .selectAll()
        .where('integration_id', '=', p(0))
        .where('dedup_key', '=', p(1))
        .where(ALERT_IS_OPEN),
    2,
  );
  const bumpOpenAlert = prepareQuery(
    (db, p) =>
      db
        .updateTable('alerts')
        .set((eb) => ({ event_count: eb('event_count', '+', 1), last_seen_at: p(2) }))
        .where('integration_id', '=', p(0))
        .where('dedup_key', '=', p(1))
        .where(ALERT_IS_OPEN)
        .returning(['id', 'incident_id']),
    3,
  );
  const addAlertRepeats = prepareQuery(
    (db, p) =>
      db
        .updateTable('alerts')
        .set((eb) => ({ event_count: eb('event_count', '+', p(1)), last_seen_at: p(2) }))
        .where('id', '=', p(0)),
    3,
  );
  const activeMaintenance = prepareQuery(
    (db, p) =>
      db
        .selectFrom('maintenance_windows')
        .selectAll()
        .where('service_id', '=', p(0))
        .where('starts_at', '<=', p(1))
        .where('ends_at', '>', p(1))
        .limit(1),
    2,
  );
  const integrationByKey = prepareQuery(
    (db, p) => db.selectFrom('integrations').selectAll().where('key', '=', p(0)),
    1,
  );
  const insertIncident = prepareInsert('incidents');
  const insertTimeline = prepareInsert('incident_timeline');
  const insertAlert = prepareInsert('alerts');
  const insertAlertEvents = prepareInsert('alert_events');

  return {
    /** The next value of a counter (1 for a new one), in one upsert. */
    async nextNumber(db: Db, counter: string): Promise<number> {
      const [row] = await nextNumber(db, [counter]);
      return Number(row!.value);
    },

    insertIncident: (db: Db, row: Insertable<IncidentsTable>) => insertIncident(db, [row]),
    getIncident: async (db: Db, id: string) => (await getIncident(db, [id]))[0],
    incidentByExternalId: (db: Db, externalId: string) =>
      db.selectFrom('incidents').selectAll().where('external_id', '=', externalId).executeTakeFirst(),
    updateIncident: (db: Db, id: string, patch: Updateable<IncidentsTable>) =>
      db.updateTable('incidents').set(patch).where('id', '=', id).execute(),
    openIncidentForGroup: async (db: Db, integrationId: string, groupKey: string) =>
      (await openIncidentForGroup(db, [integrationId, groupKey]))[0],
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

    insertTimeline: (db: Db, row: Insertable<IncidentTimelineTable>) => insertTimeline(db, [row]),
    /** Which of these deployment ids exist (a suspected cause must name a real deployment). */
    async existingDeployments(db: Db, ids: readonly string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await db
        .selectFrom('deployments')
        .select('id')
        .where('id', 'in', [...ids])
        .execute();
      return new Set(rows.map((r) => r.id));
    },
    /** How many timeline entries of one kind an incident has (e.g. `status.triggered`: its reopens). */
    async countTimeline(db: Db, incidentId: string, kind: string): Promise<number> {
      const row = await db
        .selectFrom('incident_timeline')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('incident_id', '=', incidentId)
        .where('kind', '=', kind)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /** The incident's timeline, or only its entries of one kind. */
    listTimeline: (db: Db, incidentId: string, kind?: string) =>
      kind === undefined ? timeline(db, [incidentId]) : timelineOfKind(db, [incidentId, kind]),

    findOpenAlert: async (db: Db, integrationId: string, dedupKey: string) =>
      (await findOpenAlert(db, [integrationId, dedupKey]))[0],
    /** A repeated trigger: counts it on the open alert with this key, if any, in one statement. */
    bumpOpenAlert: async (db: Db, integrationId: string, dedupKey: string, at: string) =>
      (await bumpOpenAlert(db, [integrationId, dedupKey, at]))[0],
    /** `n` more repeats counted on an alert, the last seen at `lastSeen`. */
    addAlertRepeats: async (db: Db, id: string, n: number, lastSeen: string) => {
      await addAlertRepeats(db, [id, n, lastSeen]);
    },
    insertAlert: (db: Db, row: Insertable<AlertsTable>) => insertAlert(db, [row]),
    updateAlert: (db: Db, id: string, patch: Updateable<AlertsTable>) => {
      noteAlertWrite(patch);
      return db.updateTable('alerts').set(patch).where('id', '=', id).execute();
    },
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
    ) => {
      noteAlertWrite(patch);
      return db
        .updateTable('alerts')
        .set(patch)
        .where('incident_id', '=', incidentId)
        .where('status', 'in', onlyStatuses)
        .execute();
    },
    /**
     * Sets the count and last-seen time of every alert with a stored trigger at or after
     * `fromEventId` from all its stored triggers (each trigger is one stored `trigger` event): the
     * repeats that were counted only in memory when a process died. alert_events has no index by
     * alert, so the triggers are read in one pass over the ids (time-ordered) from the oldest such
     * alert's creation, less `slackMs` for a clock that went back. Returns how many alerts it set.
     */
    async recountAlertsSince(db: Db, fromEventId: string, slackMs: number): Promise<number> {
      const recent = await db
        .selectFrom('alert_events')
        .select('alert_id')
        .distinct()
        .where('id', '>=', fromEventId)
        .where('action', '=', 'trigger')
        .where('alert_id', 'is not', null)
        .execute();
      const ids = recent.map((r) => r.alert_id).filter((id): id is string => id !== null);
      const times = ids.map(idTime).filter((t): t is number => t !== undefined);
      if (ids.length === 0 || times.length === 0) return 0;
      const from = idFloor('evt', Math.min(...times) - slackMs);
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const counts = await db
          .selectFrom('alert_events')
          .select((eb) => [
            'alert_id',
            eb.fn.countAll<number>().as('n'),
            eb.fn.max('received_at').as('last_seen_at'),
          ])
          .where('id', '>=', from)
          .where('action', '=', 'trigger')
          .where('alert_id', 'in', chunk)
          .groupBy('alert_id')
          .execute();
        for (const c of counts) {
          await db
            .updateTable('alerts')
            .set({ event_count: Number(c.n), last_seen_at: c.last_seen_at })
            .where('id', '=', c.alert_id)
            .execute();
        }
      }
      return ids.length;
    },
    /** The newest stored event's id (ids are time-ordered). */
    newestAlertEventId: async (db: Db) =>
      (await db.selectFrom('alert_events').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst())
        ?.id,
    /** A flag kept in the counters table (0 when absent). */
    flag: async (db: Db, name: string) =>
      Number(
        (await db.selectFrom('counters').select('value').where('name', '=', name).executeTakeFirst())
          ?.value ?? 0,
      ) !== 0,
    setFlag: (db: Db, name: string, on: boolean) =>
      db
        .insertInto('counters')
        .values({ name, value: on ? 1 : 0 })
        .onConflict((oc) => oc.column('name').doUpdateSet({ value: on ? 1 : 0 }))
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
      for (let i = 0; i < rows.length; i += 500) await insertAlertEvents(db, rows.slice(i, i + 500));
    },

    insertIntegration: (db: Db, row: IntegrationRow) => db.insertInto('integrations').values(row).execute(),
    integrationByKey: async (db: Db, key: string) => (await integrationByKey(db, [key]))[0],
    integrationById: (db: Db, id: string) =>
      db.selectFrom('integrations').selectAll().where('id', '=', id).executeTakeFirst(),
    /** The service's integrations in use (deleted ones are kept, disabled, for their alerts' sake). */
    integrationsOfService: (db: Db, serviceId: string) =>
      db
        .selectFrom('integrations')
        .selectAll()
        .where('service_id', '=', serviceId)
        .where('disabled_at', 'is', null)
        .orderBy('id')
        .execute(),
    disableIntegration: (db: Db, id: string, at: string) =>
      db.updateTable('integrations').set({ disabled_at: at, updated_at: at }).where('id', '=', id).execute(),
    updateIntegration: (db: Db, id: string, patch: Updateable<IntegrationsTable>) =>
      db.updateTable('integrations').set(patch).where('id', '=', id).execute(),
    overdueHeartbeats: (db: Db) =>
      db
        .selectFrom('integrations')
        .selectAll()
        .where('kind', '=', 'heartbeat')
        .where('heartbeat_state', '=', 'up')
        .where('disabled_at', 'is', null)
        .execute(),
    /** Open incidents opened in a maintenance window (no one was paged), of one service or all. */
    suppressedOpenIncidents(db: Db, serviceId?: string) {
      let q = db
        .selectFrom('incidents')
        .select(['id', 'service_id'])
        .where('suppressed', '=', 1)
        .where(INCIDENT_IS_OPEN)
        .orderBy('id');
      if (serviceId) q = q.where('service_id', '=', serviceId);
      return q.execute();
    },

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
    activeMaintenance: async (db: Db, serviceId: string, at: string) =>
      (await activeMaintenance(db, [serviceId, at]))[0],
  };
}

export type IncidentsRepository = ReturnType<typeof createIncidentsRepository>;
