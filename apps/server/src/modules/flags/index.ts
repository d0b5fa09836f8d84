import os from 'node:os';
import type { Db } from '../../db/database.ts';
import type { AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { flagsRoutes } from './flags-routes.ts';
import { createFlagsService } from './flags-service.ts';
import { sdkRoutes } from './sdk-routes.ts';

export { createEngine, type Evaluation, type FlagEngine } from './evaluate.ts';
export type { FlagsService, SdkPrincipal } from './flags-service.ts';
export type { ClientFeatures, FlagContext, VariantResult } from './types.ts';

export function createFlagsModule(deps: { db: Db; clock: Clock; audit: AuditLog }) {
  const service = createFlagsService({ ...deps, hostname: os.hostname() });
  return { service, routes: [...flagsRoutes(service), ...sdkRoutes(service)] };
}
