import type { FastifyInstance } from 'fastify';
import type { Db, Engine } from '../../db/database.ts';
import { type RouteSpec, registerRoutes } from '../../http/route.ts';
import type { AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import type { Notifier } from '../../platform/notifications/notifications-service.ts';
import type { Signer } from '../../platform/signing.ts';
import type { CatalogService } from '../catalog/index.ts';
import { createAlertIngest } from './alert-ingest.ts';
import { incidentsRoutes } from './incidents-routes.ts';
import { createIncidentsService } from './incidents-service.ts';
import { ingestRoutes } from './ingest-routes.ts';
import {
  createIntegrationsService,
  HEARTBEAT_SWEEP_JOB,
  MAINTENANCE_END_JOB,
} from './integrations-service.ts';
import { createIncidentsRepository } from './kysely-incidents-repository.ts';
import { createPaging } from './paging.ts';
import { createRepeatCounts } from './repeat-counts.ts';

export type { IncidentsService, IncidentView } from './incidents-service.ts';
export type { PageContext, Pager } from './paging.ts';

export function createIncidentsModule(deps: {
  db: Db;
  engine: Engine;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  worker: Worker;
  notifier: Notifier;
  signer: Signer;
  catalog: CatalogService;
  baseUrl: () => string;
}) {
  const repo = createIncidentsRepository();
  // SQLite has one server process per database file: repeats are counted in memory (alert-ingest.ts).
  const repeats = deps.engine === 'sqlite' ? createRepeatCounts() : undefined;
  const service = createIncidentsService({ ...deps, repo, repeats });
  const ingest = createAlertIngest({ db: deps.db, clock: deps.clock, repo, incidents: service, repeats });
  const integrations = createIntegrationsService({ ...deps, repo, incidents: service, ingest });
  const paging = createPaging({ ...deps, incidents: service, durably: ingest.durably });
  // A storm's page jobs record their outcomes in ingestion's transactions, not in commits of their own.
  deps.worker.commitOutcomesThrough(ingest.durably);

  deps.worker.register(HEARTBEAT_SWEEP_JOB, async () => {
    try {
      await integrations.sweepHeartbeats();
      // Also a safety net for maintenance-window ends whose own job did not run.
      await integrations.releaseSuppressed();
    } finally {
      await integrations.scheduleSweep(new Date(deps.clock.now().getTime() + 1));
    }
  });
  deps.worker.register(MAINTENANCE_END_JOB, async (job) => {
    const { service_id } = job.payload as { service_id: string };
    await integrations.releaseSuppressed(service_id);
  });

  return {
    service,
    ingest,
    integrations,
    paging,
    routes: incidentsRoutes(service, integrations),
    /**
     * The ingest routes (Events v2, alert webhooks, heartbeats, action links) in their own Fastify
     * scope, whose JSON parser (Fastify's own) also keeps each body's text, so that the stored copy
     * of an event is the body as sent (stored-payload.ts):
     * `await app.register(container.incidents.ingestScope(registry))`.
     */
    ingestScope(registry: RouteSpec[]) {
      const routes = ingestRoutes({
        ingest,
        integrations,
        incidents: service,
        paging,
        catalog: deps.catalog,
      });
      return async (scope: FastifyInstance) => {
        const parse = scope.getDefaultJsonParser(
          scope.initialConfig.onProtoPoisoning ?? 'error',
          scope.initialConfig.onConstructorPoisoning ?? 'error',
        );
        scope.removeContentTypeParser('application/json');
        scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
          request.bodyText = body as string;
          parse(request, body as string, done);
        });
        registerRoutes(scope, routes, registry);
      };
    },
    /**
     * After migrations: repeat counts the last process held only in memory, and the recurring
     * heartbeat sweep.
     */
    async start() {
      await ingest.start();
      await integrations.scheduleSweep(deps.clock.now());
    },
  };
}

/**
 * The incidents service and alert ingestion bound to another clock, with no jobs registered:
 * for writing a plausible past (the demo organisation's incident history).
 */
export function createIncidentsHistoryWriter(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  catalog: CatalogService;
}) {
  const repo = createIncidentsRepository();
  const service = createIncidentsService({ ...deps, repo });
  const ingest = createAlertIngest({ db: deps.db, clock: deps.clock, repo, incidents: service });
  return { service, ingest };
}
