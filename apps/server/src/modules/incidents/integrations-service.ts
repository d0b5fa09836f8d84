import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/database.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { JobQueue } from '../../platform/jobs.ts';
import type { AlertIngest } from './alert-ingest.ts';
import type { IncidentsService } from './incidents-service.ts';
import type { IncidentsRepository, IntegrationRow, MaintenanceRow } from './kysely-incidents-repository.ts';

export const INTEGRATION_KINDS = ['events-v2', 'alertmanager', 'grafana', 'generic', 'heartbeat'] as const;
export type IntegrationKind = (typeof INTEGRATION_KINDS)[number];

export const HEARTBEAT_SWEEP_JOB = 'incidents.heartbeat-sweep';
export const HEARTBEAT_SWEEP_MS = 30_000;
export const HEARTBEAT_DEDUP_KEY = 'heartbeat-missed';

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
    if (!row || row.service_id !== serviceId) throw new AppError('INCIDENTS_INTEGRATION_NOT_FOUND');
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
    async remove(ctx: AuditContext, serviceId: string, id: string): Promise<void> {
      const service = await deps.incidents.serviceAndTeam(serviceId);
      await db.transaction().execute(async (tx) => {
        const row = await mustIntegration(tx, serviceId, id);
        await repo.deleteIntegration(tx, id);
        const { key: _secret, ...safe } = view(row);
        await audit.record(tx, ctx, {
          action: 'integration.delete',
          targetType: 'integration',
          targetId: id,
          teamId: service.team_id,
          before: safe,
        });
        ingest.forget(row.key);
      });
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
    },
  };
}

export type IntegrationsService = ReturnType<typeof createIntegrationsService>;
