import type { Db } from '../../db/database.ts';
import type { AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import type { Notifier } from '../../platform/notifications/notifications-service.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { IncidentsService } from '../incidents/index.ts';
import type { PolicyService } from '../policy/index.ts';
import { createPostmortemsRepository } from './kysely-postmortems-repository.ts';
import { postmortemsRoutes } from './postmortems-routes.ts';
import { createPostmortemsService } from './postmortems-service.ts';

export type { PostmortemsService } from './postmortems-service.ts';
export { ACTION_ITEM_REMINDER_JOB, POSTMORTEM_REMINDER_JOB } from './postmortems-service.ts';

export function createPostmortemsModule(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  worker: Worker;
  notifier: Notifier;
  catalog: CatalogService;
  incidents: IncidentsService;
  policy: PolicyService;
  baseUrl: () => string;
  github?: { readonly url: string; readonly token?: string } | undefined;
}) {
  const service = createPostmortemsService({ ...deps, repo: createPostmortemsRepository() });
  return { service, routes: postmortemsRoutes(service, deps.incidents) };
}

/**
 * The postmortems service bound to another clock, with no job handlers registered: for writing a
 * plausible past (the demo organisation's postmortems). Pass incidents bound to the same clock.
 */
export function createPostmortemsHistoryWriter(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  notifier: Notifier;
  catalog: CatalogService;
  incidents: IncidentsService;
  policy: PolicyService;
  baseUrl: () => string;
}) {
  return createPostmortemsService({ ...deps, repo: createPostmortemsRepository() });
}
