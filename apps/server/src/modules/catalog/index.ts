import type { Db } from '../../db/database.ts';
import type { AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { catalogRoutes } from './catalog-routes.ts';
import { type CatalogService, createCatalogService } from './catalog-service.ts';
import { createCatalogRepository } from './kysely-catalog-repository.ts';

export type { CatalogService, UserGrants } from './catalog-service.ts';

export function createCatalogModule(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  externalWrites?: (() => number) | undefined;
}) {
  const service: CatalogService = createCatalogService({ ...deps, repo: createCatalogRepository() });
  return { service, routes: catalogRoutes(service) };
}
