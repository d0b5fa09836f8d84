import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/database.ts';
import { type RouteSpec, registerRoutes } from '../../http/route.ts';
import type { AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/errors.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { IncidentsService } from '../incidents/index.ts';
import type { PolicyService } from '../policy/index.ts';
import { doraRoutes, doraWebhookRoutes } from './dora-routes.ts';
import { createDoraService, type DoraService } from './dora-service.ts';
import { createDoraRepository } from './kysely-dora-repository.ts';

export type { CodeHostDelivery, CodeHostSubscriber, DoraService } from './dora-service.ts';
export { repositoryKey, repositoryKeys } from './github-webhooks.ts';
export { gitlabRepositoryKeys, gitlabTime } from './gitlab-webhooks.ts';

export function createDoraModule(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  catalog: CatalogService;
  incidents: IncidentsService;
  policy: PolicyService;
  githubWebhookSecret?: string | undefined;
  gitlabWebhookToken?: string | undefined;
}) {
  const service: DoraService = createDoraService({ ...deps, repo: createDoraRepository() });
  const webhookRoutes = doraWebhookRoutes(service);
  return {
    service,
    routes: doraRoutes(service),
    /**
     * The /webhooks/ routes in their own Fastify scope, whose JSON and form parsers keep the raw
     * body for signature checks: `await app.register(container.dora.webhooks(registry))`.
     */
    webhooks(registry: RouteSpec[]) {
      return async (scope: FastifyInstance) => {
        const keepRaw =
          (kind: 'json' | 'form') =>
          (request: { rawBody?: Buffer }, body: Buffer, done: (e: Error | null, v?: unknown) => void) => {
            request.rawBody = body;
            try {
              const text = body.toString('utf8');
              done(null, kind === 'json' ? JSON.parse(text) : Object.fromEntries(new URLSearchParams(text)));
            } catch {
              done(new AppError('HTTP_MALFORMED_JSON'));
            }
          };
        scope.removeContentTypeParser(['application/json', 'application/x-www-form-urlencoded']);
        scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, keepRaw('json'));
        scope.addContentTypeParser(
          'application/x-www-form-urlencoded',
          { parseAs: 'buffer' },
          keepRaw('form'),
        );
        registerRoutes(scope, webhookRoutes, registry);
      };
    },
  };
}
