import type { Db } from '../../db/database.ts';
import type { AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import type { CatalogService } from '../catalog/index.ts';
import { accessRoutes, type SdkTokenIssuer } from './access-routes.ts';
import { createAccessService } from './access-service.ts';
import { createAccessRepository } from './kysely-access-repository.ts';

export type { SdkTokenIssuer } from './access-routes.ts';
export type { AccessService } from './access-service.ts';
export { hashSecret } from './access-service.ts';

/** Expired sessions (logins not used for 7 days) are deleted once a day, at 03:30 UTC. */
export const SESSION_PURGE_JOB = 'access.purge_expired_sessions';
const DAY_MS = 86_400_000;
const PURGE_AT_MS = 3.5 * 3_600_000;

export function createAccessModule(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  catalog: CatalogService;
  secureCookies: boolean;
  jobs: JobQueue;
  worker: Worker;
}) {
  const service = createAccessService({ ...deps, repo: createAccessRepository() });
  let sdkTokens: SdkTokenIssuer | undefined;

  /** The next 03:30 UTC after `after`, once per day across every server process (dedupe key). */
  async function schedulePurge(after: Date): Promise<void> {
    const day = Math.floor((after.getTime() - PURGE_AT_MS) / DAY_MS) + 1;
    await deps.jobs.enqueue(deps.db, {
      kind: SESSION_PURGE_JOB,
      runAt: new Date(day * DAY_MS + PURGE_AT_MS),
      dedupeKey: `${SESSION_PURGE_JOB}:${day}`,
      maxAttempts: 3,
    });
  }
  deps.worker.register(SESSION_PURGE_JOB, async () => {
    try {
      await service.purgeExpiredSessions();
    } finally {
      await schedulePurge(deps.clock.now());
    }
  });

  return {
    service,
    /** Start-up work that needs the migrated database: the daily session purge. */
    start: () => schedulePurge(deps.clock.now()),
    routes: accessRoutes(service, { secureCookies: deps.secureCookies, sdkTokens: () => sdkTokens }),
    /** `POST /api/v1/tokens` with `type: client|frontend` creates SDK tokens through `issuer` (flags). */
    provideSdkTokens(issuer: SdkTokenIssuer): void {
      sdkTokens = issuer;
    },
  };
}
