import type { Db } from '../../db/database.ts';
import type { AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { policyRoutes } from './policy-routes.ts';
import { createPolicyService } from './policy-service.ts';

export type { PolicyService } from './policy-service.ts';
export { defaultPolicy } from './policy-service.ts';

export function createPolicyModule(deps: { db: Db; clock: Clock; audit: AuditLog }) {
  const service = createPolicyService(deps);
  return { service, routes: policyRoutes(service) };
}
