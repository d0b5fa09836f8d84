import os from 'node:os';
import type { Db } from '../../db/database.ts';
import type { AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import type { Notifier } from '../../platform/notifications/notifications-service.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { IncidentsService } from '../incidents/index.ts';
import { createChangeRequests } from './change-requests.ts';
import { createExperiments } from './experiments.ts';
import { flagsRoutes } from './flags-routes.ts';
import { createFlagsService } from './flags-service.ts';
import { releaseRoutes } from './release-routes.ts';
import { createRolloutPlans } from './rollout-plans.ts';
import { sdkRoutes } from './sdk-routes.ts';

export { createEngine, type Evaluation, type FlagEngine } from './evaluate.ts';
export type { FlagsService, SdkPrincipal } from './flags-service.ts';
export type { ClientFeatures, FlagContext, VariantResult } from './types.ts';

export function createFlagsModule(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  worker: Worker;
  notifier: Notifier;
  catalog: CatalogService;
  incidents: IncidentsService;
  /** True once the server is stopping: open SDK streams end. */
  isShuttingDown?: () => boolean;
}) {
  const service = createFlagsService({ ...deps, hostname: os.hostname() });
  const plans = createRolloutPlans({ ...deps, flags: service });
  const changeRequests = createChangeRequests({ ...deps, flags: service, plans });
  const experiments = createExperiments({ ...deps, flags: service });
  // An incident on a service linked to an active rollout plan pauses it and rolls it back.
  deps.incidents.onTriggered((tx, incident) => plans.onIncidentTriggered(tx, incident));
  return {
    service,
    plans,
    changeRequests,
    experiments,
    routes: [
      ...flagsRoutes(service),
      ...releaseRoutes({ flags: service, plans, changeRequests, experiments }),
      ...sdkRoutes(service, deps.isShuttingDown),
    ],
  };
}
