import type { Db } from '../../db/database.ts';
import type { AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { DoraService } from '../dora/index.ts';
import type { FlagsService } from '../flags/index.ts';
import type { IncidentsService } from '../incidents/index.ts';
import type { PolicyService } from '../policy/index.ts';
import { createReleasesRepository } from './kysely-releases-repository.ts';
import { releasesRoutes } from './releases-routes.ts';
import { createReleasesService } from './releases-service.ts';

export { judgeCanary } from './canary-judge.ts';
export { mannWhitneyU } from './mann-whitney.ts';
export { CANARY_JOB, MONITOR_JOB, type ReleasesService, ROLLBACK_JOB } from './releases-service.ts';

export function createReleasesModule(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  worker: Worker;
  catalog: CatalogService;
  dora: DoraService;
  incidents: IncidentsService;
  policy: PolicyService;
  flags?: FlagsService;
}) {
  const service = createReleasesService({ ...deps, repo: createReleasesRepository() });
  return { service, routes: releasesRoutes(service) };
}
