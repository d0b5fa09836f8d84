import type { Db } from '../../db/database.ts';
import type { AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import type { Notifier } from '../../platform/notifications/notifications-service.ts';
import type { Signer } from '../../platform/signing.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { IncidentsService } from '../incidents/index.ts';
import type { PolicyService } from '../policy/index.ts';
import { contactRoutes } from './contact-routes.ts';
import { createContactsService } from './contacts-service.ts';
import { createHandoffNotices } from './handoff.ts';
import { createOncallRepository } from './kysely-oncall-repository.ts';
import { oncallRoutes } from './oncall-routes.ts';
import { createOncallService } from './oncall-service.ts';
import { reportsRoutes } from './reports-routes.ts';
import { createReportsService } from './reports-service.ts';

export type { OncallService } from './oncall-service.ts';
export { ESCALATION_STEP_JOB, NOTIFY_RULE_JOB } from './oncall-service.ts';
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
  const contacts = createContactsService(deps);
  const repo = createOncallRepository();
  const service = createOncallService({ ...deps, repo, contacts });
  const reports = createReportsService({ ...deps, repo });
  const handoff = createHandoffNotices({ ...deps, repo, contacts });
  // PATCH /api/v1/services/{id} {escalation_policy_id} is stored by this module.
  deps.catalog.onServicePatch(service.onServicePatch);
  return {
    service,
    contacts,
    reports,
    handoff,
    /** After migrations: make sure the recurring handoff-notice sweep is scheduled. */
    start: () => handoff.scheduleSweep(deps.clock.now()),
    /** Register with the incidents module: `incidents.paging.addPager(oncall.pager)`. */
    pager: service.pager,
    routes: [...oncallRoutes(service, deps.catalog), ...contactRoutes(contacts), ...reportsRoutes(reports)],
  };
}
