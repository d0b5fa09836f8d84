import type { Db } from '../../db/database.ts';
import type { AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import type { Notifier } from '../../platform/notifications/notifications-service.ts';
import type { Signer } from '../../platform/signing.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { IncidentsService } from '../incidents/index.ts';
import type { PolicyService } from '../policy/index.ts';
import { createOncallRepository } from './kysely-oncall-repository.ts';
import { oncallRoutes } from './oncall-routes.ts';
import { createOncallService } from './oncall-service.ts';

export type { OncallService } from './oncall-service.ts';
export { ESCALATION_STEP_JOB } from './oncall-service.ts';
export { shifts, whoIsOnCall } from './schedule-math.ts';

export function createOncallModule(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  worker: Worker;
  notifier: Notifier;
  signer: Signer;
  catalog: CatalogService;
  incidents: IncidentsService;
  policy: PolicyService;
  /** Signed acknowledge/resolve links (the incidents module's paging.actionLink). */
  actionLink: (incidentId: string, action: 'acknowledge' | 'resolve', userId: string) => Promise<string>;
  baseUrl: () => string;
}) {
  const service = createOncallService({ ...deps, repo: createOncallRepository() });
  return {
    service,
    /** Register with the incidents module: `incidents.paging.addPager(oncall.pager)`. */
    pager: service.pager,
    routes: oncallRoutes(service, deps.catalog),
  };
}
