import { createAccessReviewService } from './access-review-service.ts';
import { createAdvisoriesService } from './advisories-service.ts';
import { createFindingsService } from './findings-service.ts';
import { createSecurityRepository } from './kysely-security-repository.ts';
import { createPlansService } from './plans-service.ts';
import { createPushScanService } from './push-scan-service.ts';
import { createRegisterService } from './register-service.ts';
import type { SecurityDeps } from './security-deps.ts';
import { securityRoutes } from './security-routes.ts';
import { createTrainingService } from './training-service.ts';

export { REVIEW_REMINDER_JOB, REVIEW_SCHEDULE_JOB, scheduledCampaignId } from './access-review-service.ts';
export { DAILY_RESCAN_JOB, RESCAN_JOB } from './advisories-service.ts';
export {
  DAILY_REPOSITORY_SCAN_JOB,
  PUSH_SCAN_JOB,
  PUSH_SCAN_TOOL,
  REPOSITORY_SCAN_JOB,
} from './push-scan-service.ts';
export type { OncallReader } from './security-deps.ts';
export { TRAINING_REMINDER_JOB } from './training-service.ts';

export interface SecurityServices {
  catalog: SecurityDeps['catalog'];
  findings: ReturnType<typeof createFindingsService>;
  plans: ReturnType<typeof createPlansService>;
  reviews: ReturnType<typeof createAccessReviewService>;
  training: ReturnType<typeof createTrainingService>;
  advisories: ReturnType<typeof createAdvisoriesService>;
  register: ReturnType<typeof createRegisterService>;
  pushScans: ReturnType<typeof createPushScanService>;
}

/** Security basics on the server: findings per service, access reviews, training, response plans. */
export function createSecurityModule(deps: SecurityDeps) {
  const ctx = { ...deps, repo: createSecurityRepository() };
  const findings = createFindingsService(ctx);
  const advisories = createAdvisoriesService(ctx, findings);
  const service: SecurityServices = {
    catalog: deps.catalog,
    findings,
    advisories,
    pushScans: createPushScanService(ctx, findings),
    register: createRegisterService(ctx),
    plans: createPlansService(ctx),
    reviews: createAccessReviewService(ctx),
    training: createTrainingService(ctx),
  };
  return {
    service,
    routes: securityRoutes(service),
    /** Start-up work once migrated: the next daily rescan and repository scan, and the next scheduled access review. */
    start: async () => {
      await service.advisories.start();
      await service.pushScans.start();
      await service.reviews.startSchedule();
    },
  };
}
