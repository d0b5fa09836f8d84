import type { Db } from '../../db/database.ts';
import type { AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import type { CatalogService } from '../catalog/index.ts';
import { accessRoutes, type SdkTokenIssuer } from './access-routes.ts';
import { createAccessService } from './access-service.ts';
import { createAccessRepository } from './kysely-access-repository.ts';

export type { SdkTokenIssuer } from './access-routes.ts';
export type { AccessService } from './access-service.ts';
export { hashSecret } from './access-service.ts';

export function createAccessModule(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  catalog: CatalogService;
  secureCookies: boolean;
}) {
  const service = createAccessService({ ...deps, repo: createAccessRepository() });
  let sdkTokens: SdkTokenIssuer | undefined;
  return {
    service,
    routes: accessRoutes(service, { secureCookies: deps.secureCookies, sdkTokens: () => sdkTokens }),
    /** `POST /api/v1/tokens` with `type: client|frontend` creates SDK tokens through `issuer` (flags). */
    provideSdkTokens(issuer: SdkTokenIssuer): void {
      sdkTokens = issuer;
    },
  };
}
