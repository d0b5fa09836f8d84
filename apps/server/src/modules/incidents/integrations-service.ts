import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/database.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { JobQueue } from '../../platform/jobs.ts';
import type { AlertIngest } from './alert-ingest.ts';
import { type IncidentStatus, isOpen } from './incident-lifecycle.ts';
import { type Actor, type IncidentsService, PAGE_JOB } from './incidents-service.ts';
import type { IncidentsRepository, IntegrationRow, MaintenanceRow } from './kysely-incidents-repository.ts';

export const INTEGRATION_KINDS = ['events-v2', 'alertmanager', 'grafana', 'generic', 'heartbeat'] as const;
export type IntegrationKind = (typeof INTEGRATION_KINDS)[number];

export const HEARTBEAT_SWEEP_JOB = 'incidents.heartbeat-sweep';
export const HEARTBEAT_SWEEP_MS = 30_000;
export const HEARTBEAT_DEDUP_KEY = 'heartbeat-missed';
/** Runs when a maintenance window ends: incidents it kept quiet that still fire are paged. */
export const MAINTENANCE_END_JOB = 'incidents.maintenance-end';

export interface IntegrationView {
  id: string;
  service_id: string;
  kind: IntegrationKind;
  name: string;
  key: string;
  url: string;
  heartbeat: {
    interval_seconds: number;
    grace_seconds: number;
    last_at: string | null;
    state: string;
  } | null;
  created_at: string;
}

/** Where each kind of integration sends: PagerDuty-style senders use the shared enqueue URL. */
export function integrationUrl(baseUrl: string, kind: IntegrationKind, key: string): string {
  if (kind === 'events-v2') return `${baseUrl}/v2/enqueue`;
  return `${baseUrl}/api/v1/integrations/${key}/${kind}`;
}

/** True when a heartbeat that last arrived at `last` is overdue at `now`. Pure. */
export function heartbeatOverdue(
  last: string,
  intervalSeconds: number,
  graceSeconds: number,
  now: Date,
): boolean {
  return Date.parse(last) + (intervalSeconds + graceSeconds) * 1000 < now.getTime();
}

export function createIntegrationsService(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  repo: IncidentsRepository;
  incidents: IncidentsService;
  ingest: AlertIngest;
  baseUrl: () => string;
}) {
  const { db, clock, audit, repo, ingest } = deps;

  function view(row: IntegrationRow): IntegrationView {
    return {
      id: row.id,
      service_id: row.service_id,
      kind: row.kind as IntegrationKind,
      name: row.name,
      key: row.key,
      url: integrationUrl(deps.baseUrl(), row.kind as IntegrationKind, row.key),
      heartbeat:
        row.kind === 'heartbeat'
          ? {
              interval_seconds: Number(row.heartbeat_interval_seconds),
              grace_seconds: Number(row.heartbeat_grace_seconds),
              last_at: row.last_heartbeat_at,
              state: row.heartbeat_state ?? 'new',
            }
          : null,
      created_at: row.created_at,
    };
  }

  async function mustIntegration(tx: Db, serviceId: string, id: string): Promise<IntegrationRow> {
    const row = await repo.integrationById(tx, id);
    if (!row || row.service_id !== serviceId || row.disabled_at)
      throw new AppError('INCIDENTS_INTEGRATION_NOT_FOUND');
    return row;
  }

  async function scheduleSweep(at: Date): Promise<void> {
    const slot = Math.ceil(at.getTime() / HEARTBEAT_SWEEP_MS);
    await deps.jobs.enqueue(db, {
      kind: HEARTBEAT_SWEEP_JOB,
      runAt: new Date(slot * HEARTBEAT_SWEEP_MS),
      dedupeKey: `heartbeat-sweep:${slot}`,
      maxAttempts: 3,
    });
  }

  /**
   * Ends the silence of incidents opened or reopened in a maintenance window once no window covers
   * their service any more: those with alerts still firing, and those a person reopened (a live
   * problem by their word, whether or not an alert fires), stop being suppressed and, if nobody has
   * responded yet, page the on-call (a reopened one from level 1, as its reopen would have paged).
   * Runs when a window ends or is deleted, and in the recurring sweep. Returns the incidents released.
   */
  async function releaseSuppressed(serviceId?: string): Promise<number> {
    let released = 0;
    for (const candidate of await repo.suppressedOpenIncidents(db, serviceId)) {
      const done = await db.transaction().execute(async (tx) => {
        const now = clock.now().toISOString();
        const incident = await repo.getIncident(tx, candidate.id);
        if (incident?.suppressed !== 1 || !isOpen(incident.status as IncidentStatus)) return false;
        if (await repo.activeMaintenance(tx, incident.service_id, now)) return false;
        const firing = await repo.countOpenAlerts(tx, incident.id);
        // Only reopens write status.triggered (a new incident writes incident.triggered).
        const reopen = await repo.countTimeline(tx, incident.id, 'status.triggered');
        if (firing === 0 && reopen === 0) return false;
        const page = incident.status === 'triggered';
        await repo.updateIncident(tx, incident.id, { suppressed: 0, updated_at: now });
        await repo.setAlertsOfIncident(tx, incident.id, { suppressed: 0 }, ['triggered', 'acknowledged']);
        const engops: Actor = { type: 'system', id: null, name: 'engops' };
        await deps.incidents.addTimeline(
          tx,
          incident.id,
          now,
          'incident.unsuppressed',
          engops,
          firing > 0
            ? `The maintenance window ended with ${firing} alert${firing === 1 ? '' : 's'} still firing${page ? ': paging the on-call' : ''}`
            : `The maintenance window ended with the incident reopened${page ? ': paging the on-call' : ''}`,
          { firing_alerts: firing, paged: page },
        );
        if (page) {
          // The page of this reopen (keyed as afterReopen keys it), not the first trigger's,
          // which already ran and would swallow this one as a duplicate.
          await deps.jobs.enqueue(tx, {
            kind: PAGE_JOB,
            payload: reopen > 0 ? { incident_id: incident.id, reopen } : { incident_id: incident.id },
            dedupeKey: reopen > 0 ? `page:${incident.id}:reopen:${reopen}` : `page:${incident.id}`,
            maxAttempts: 5,
          });
        }
        return true;
      });
      if (done) released++;
    }
    return released;
  }

  return {
    view,
    async list(serviceId: string): Promise<IntegrationView[]> {
      return (await repo.integrationsOfService(db, serviceId)).map(view);
    },
    async create(
      ctx: AuditContext,
      serviceId: string,
      input: {
        kind: IntegrationKind;
        name: string;
        heartbeat_interval_seconds?: number | undefined;
        heartbeat_grace_seconds?: number | undefined;
      },
    ): Promise<IntegrationView> {
      const service = await deps.incidents.serviceAndTeam(serviceId);
      return db.transaction().execute(async (tx) => {
        const at = clock.now().toISOString();
        const heartbeat = input.kind === 'heartbeat';
        const row: IntegrationRow = {
          id: newId('int'),
          service_id: service.id,
          kind: input.kind,
          name: input.name,
          key: randomBytes(16).toString('hex'),
          heartbeat_interval_seconds: heartbeat ? (input.heartbeat_interval_seconds ?? 300) : null,
          heartbeat_grace_seconds: heartbeat ? (input.heartbeat_grace_seconds ?? 60) : null,
          last_heartbeat_at: null,
          heartbeat_state: heartbeat ? 'new' : null,
          created_at: at,
          updated_at: at,
          disabled_at: null,
        };
        await repo.insertIntegration(tx, row);
        const { key: _secret, ...safe } = view(row);
        await audit.record(tx, ctx, {
          action: 'integration.create',
          targetType: 'integration',
          targetId: row.id,
          teamId: service.team_id,
          after: safe,
        });
        return view(row);
      });
    },
    /**
     * Deletes an integration as far as anyone sending to it can tell: its key stops working at
     * once (with its own error), it leaves the service's list. The row stays, disabled, so the
     * alerts and events it brought in, and the incidents they opened, keep their history.
     */
    async remove(ctx: AuditContext, serviceId: string, id: string): Promise<void> {
      const service = await deps.incidents.serviceAndTeam(serviceId);
      const row = await db.transaction().execute(async (tx) => {
        const row = await mustIntegration(tx, serviceId, id);
        const at = clock.now().toISOString();
        await repo.disableIntegration(tx, id, at);
        const { key: _secret, ...safe } = view(row);
        await audit.record(tx, ctx, {
          action: 'integration.delete',
          targetType: 'integration',
          targetId: id,
          teamId: service.team_id,
          before: safe,
          after: { disabled_at: at },
        });
        return row;
      });
      // After the commit, so that no request can cache the integration as it was before.
      ingest.forget(row.key);
    },

    /** A heartbeat arrived: monitoring starts with the first one; one after a miss resolves the incident. */
    async heartbeat(key: string): Promise<{ state: string }> {
      const target = await ingest.resolveTarget(key, 'heartbeat');
      const at = clock.now();
      const fresh = await repo.integrationById(db, target.integration.id);
      if (!fresh) throw new AppError('INCIDENTS_UNKNOWN_INTEGRATION_KEY');
      await db.transaction().execute(async (tx) => {
        if (fresh.heartbeat_state === 'down') {
          await ingest.processEvent(
            tx,
            target,
            {
              action: 'resolve',
              dedupKey: HEARTBEAT_DEDUP_KEY,
              summary: 'Heartbeat received',
              severity: 'info',
              details: {},
              links: [],
            },
            { heartbeat: at.toISOString() },
          );
        }
        await repo.updateIntegration(tx, fresh.id, {
          last_heartbeat_at: at.toISOString(),
          heartbeat_state: 'up',
          updated_at: at.toISOString(),
        });
      });
      return { state: 'up' };
    },

    /** Opens an incident for every heartbeat that is overdue. Runs as a recurring job. */
    async sweepHeartbeats(): Promise<number> {
      const now = clock.now();
      let opened = 0;
      for (const row of await repo.overdueHeartbeats(db)) {
        if (!row.last_heartbeat_at) continue;
        if (
          !heartbeatOverdue(
            row.last_heartbeat_at,
            Number(row.heartbeat_interval_seconds),
            Number(row.heartbeat_grace_seconds),
            now,
          )
        )
          continue;
        const target = await ingest.target(row.key);
        if (!target) continue;
        await db.transaction().execute(async (tx) => {
          const current = await repo.integrationById(tx, row.id);
          if (current?.heartbeat_state !== 'up' || current.last_heartbeat_at !== row.last_heartbeat_at)
            return;
          await ingest.processEvent(
            tx,
            target,
            {
              action: 'trigger',
              dedupKey: HEARTBEAT_DEDUP_KEY,
              summary: `Heartbeat missed: ${row.name} (expected every ${row.heartbeat_interval_seconds} s, last at ${row.last_heartbeat_at})`,
              severity: 'critical',
              details: {
                last_heartbeat_at: row.last_heartbeat_at,
                interval_seconds: row.heartbeat_interval_seconds,
              },
              links: [],
            },
            { heartbeat_missed: row.last_heartbeat_at },
          );
          await repo.updateIntegration(tx, row.id, {
            heartbeat_state: 'down',
            updated_at: now.toISOString(),
          });
          opened++;
        });
      }
      return opened;
    },
    scheduleSweep,

    releaseSuppressed,

    async listMaintenance(serviceId: string) {
      await deps.incidents.serviceAndTeam(serviceId);
      return repo.maintenanceOfService(db, serviceId);
    },
    async createMaintenance(
      ctx: AuditContext,
      serviceId: string,
      input: { starts_at: string; ends_at: string; reason?: string | undefined },
    ): Promise<MaintenanceRow> {
      const service = await deps.incidents.serviceAndTeam(serviceId);
      const starts = new Date(input.starts_at).toISOString();
      const ends = new Date(input.ends_at).toISOString();
      if (ends <= starts) {
        throw new AppError('HTTP_VALIDATION_FAILED', 'A maintenance window must end after it starts.', {
          errors: [{ path: 'body.ends_at', message: 'must be after starts_at' }],
        });
      }
      return db.transaction().execute(async (tx) => {
        const row: MaintenanceRow = {
          id: newId('mw'),
          service_id: service.id,
          starts_at: starts,
          ends_at: ends,
          reason: input.reason ?? null,
          created_by: ctx.principal.name,
          created_at: clock.now().toISOString(),
        };
        await repo.insertMaintenance(tx, row);
        // When it ends, incidents it silenced that still fire are paged.
        await deps.jobs.enqueue(tx, {
          kind: MAINTENANCE_END_JOB,
          payload: { service_id: service.id, window_id: row.id },
          runAt: new Date(ends),
          dedupeKey: `maintenance-end:${row.id}`,
          maxAttempts: 5,
        });
        await audit.record(tx, ctx, {
          action: 'maintenance.create',
          targetType: 'maintenance_window',
          targetId: row.id,
          teamId: service.team_id,
          after: row,
        });
        return row;
      });
    },
    async deleteMaintenance(ctx: AuditContext, serviceId: string, id: string): Promise<void> {
      const service = await deps.incidents.serviceAndTeam(serviceId);
      await db.transaction().execute(async (tx) => {
        const row = await repo.maintenanceById(tx, id);
        if (!row || row.service_id !== serviceId) throw new AppError('INCIDENTS_MAINTENANCE_NOT_FOUND');
        await repo.deleteMaintenance(tx, id);
        await audit.record(tx, ctx, {
          action: 'maintenance.delete',
          targetType: 'maintenance_window',
          targetId: id,
          teamId: service.team_id,
          before: row,
        });
      });
      // A window deleted while it runs ends now.
      await releaseSuppressed(serviceId);
    },
  };
}

export type IntegrationsService = ReturnType<typeof createIntegrationsService>;
