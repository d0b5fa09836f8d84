import {
  createDeploymentSchema,
  createRepositoryMappingSchema,
  deploymentCommitsSchema,
  deploymentSchema,
  doraEvidenceQuerySchema,
  doraEvidenceSchema,
  doraQuerySchema,
  doraReportSchema,
  doraTrendQuerySchema,
  doraTrendSchema,
  GIT_IMPORT_BODY_LIMIT,
  githubIntegrationSchema,
  githubIntegrationViewSchema,
  gitImportBatchSchema,
  gitImportResultSchema,
  gitImportStateQuerySchema,
  gitImportStateSchema,
  idParamsSchema,
  listDeploymentsQuerySchema,
  pageSchema,
  repositoryKeyParamsSchema,
  repositoryMappingSchema,
  suspectedDeploymentSchema,
} from '@engops/contracts';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.ts';
import { AppError } from '../../platform/errors.ts';
import type { DoraService } from './dora-service.ts';

const tags = ['dora'];

export function doraRoutes(dora: DoraService): RouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/deployments',
      summary: 'Record a deployment (idempotent on external_id)',
      tags,
      auth: 'deployments.write',
      body: createDeploymentSchema,
      status: 201,
      response: deploymentSchema,
      errors: [400, 404, 409],
      handler: async ({ body, audit, authorize }) => {
        const service = await dora.findService(body.service_id);
        authorize('deployments.write', service.team_id);
        return dora.record(audit, body, service);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/deployments',
      summary: 'List deployments, newest first',
      tags,
      auth: 'dora.read',
      query: listDeploymentsQuerySchema,
      response: pageSchema(deploymentSchema),
      errors: [404],
      handler: ({ query, principal, authorize }) => dora.list(query, principal, authorize),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/deployments/:id',
      summary: 'Get a deployment',
      tags,
      auth: 'dora.read',
      params: idParamsSchema,
      response: deploymentSchema,
      errors: [404],
      handler: ({ params, authorize }) => dora.get(params.id, authorize),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/deployments/:id/commits',
      summary: 'The commits a deployment shipped, with the lead time of those it shipped first',
      tags,
      auth: 'dora.read',
      params: idParamsSchema,
      response: deploymentCommitsSchema,
      errors: [404],
      handler: ({ params, authorize }) => dora.commits(params.id, authorize),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/dora',
      summary: 'DORA metrics and tiers of a service, a team or the organisation over a window',
      tags,
      auth: 'dora.read',
      query: doraQuerySchema,
      response: doraReportSchema,
      errors: [404],
      handler: ({ query, principal, authorize }) => dora.report(query, principal, authorize),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/dora/trend',
      summary: 'DORA metrics per week or month',
      tags,
      auth: 'dora.read',
      query: doraTrendQuerySchema,
      response: doraTrendSchema,
      errors: [404],
      handler: ({ query, principal, authorize }) => dora.trend(query, principal, authorize),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/dora/evidence',
      summary: 'The deployments, commits or incidents a DORA figure was computed from',
      tags,
      auth: 'dora.read',
      query: doraEvidenceQuerySchema,
      response: doraEvidenceSchema,
      errors: [404],
      handler: ({ query, principal, authorize }) => dora.evidence(query, principal, authorize),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/:id/suspected-deployment',
      summary: "The service's last successful production deployment before the incident (a suggestion)",
      tags: ['dora', 'incidents'],
      auth: 'dora.read',
      params: idParamsSchema,
      response: suspectedDeploymentSchema,
      errors: [404],
      handler: ({ params, authorize }) => dora.suspectedDeployment(params.id, authorize),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/imports/git',
      summary: 'Where the last git import of a service stopped (for `engops import git`)',
      tags,
      auth: 'deployments.write',
      query: gitImportStateQuerySchema,
      response: gitImportStateSchema,
      errors: [404],
      handler: async ({ query, authorize }) => {
        const service = await dora.findService(query.service_id);
        authorize('deployments.write', service.team_id);
        return dora.gitImportState(service.id);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/imports/git',
      summary: 'Import a batch of git history: commits, tags as deployments, the tips reached',
      tags,
      auth: 'deployments.write',
      body: gitImportBatchSchema,
      bodyLimit: GIT_IMPORT_BODY_LIMIT,
      response: gitImportResultSchema,
      errors: [400, 404, 409],
      handler: async ({ body, audit, authorize }) => {
        const service = await dora.findService(body.service_id);
        authorize('deployments.write', service.team_id);
        return dora.importGit(audit, body, service);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/repositories',
      summary: 'Explicit repository -> service mappings (used before repository_url matching)',
      tags,
      auth: 'dora.read',
      query: z
        .strictObject({
          service_id: z.string().min(1).max(200).optional(),
          team_id: z.string().min(1).max(200).optional(),
        })
        .refine((q) => !(q.service_id && q.team_id), {
          path: ['team_id'],
          message: 'give service_id or team_id, not both',
        }),
      response: z.object({ items: z.array(repositoryMappingSchema) }),
      errors: [404],
      handler: ({ query, principal, authorize }) => dora.listRepositories(principal, authorize, query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/repositories',
      summary: 'Map a repository to a service (webhooks and imports use it before repository_url)',
      tags,
      auth: 'services.write',
      body: createRepositoryMappingSchema,
      status: 201,
      response: repositoryMappingSchema,
      errors: [400, 404, 409],
      handler: async ({ body, audit, authorize }) => {
        const service = await dora.findService(body.service_id);
        authorize('services.write', service.team_id);
        return dora.mapRepository(audit, body, service);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/repositories/:key',
      summary: 'Remove a repository mapping (key: host/owner/name, URL-encoded, or the URL)',
      tags,
      auth: 'services.write',
      params: repositoryKeyParamsSchema,
      status: 204,
      response: null,
      errors: [404],
      handler: async ({ params, audit, authorize }) => {
        const mapping = await dora.getRepositoryMapping(params.key);
        const service = await dora.findService(mapping.service_id);
        authorize('services.write', service.team_id);
        await dora.unmapRepository(audit, mapping.repository_key, service.team_id);
      },
    }),
    ...(['github', 'gitlab'] as const).flatMap((provider) => [
      defineRoute({
        method: 'GET',
        url: `/api/v1/integrations/${provider}`,
        summary: `${provider === 'github' ? 'GitHub' : 'GitLab'} webhook settings (the secret is never returned)`,
        tags,
        auth: 'dora.manage',
        response: githubIntegrationViewSchema,
        handler: () => dora.integrationSettings(provider),
      }),
      defineRoute({
        method: 'PUT',
        url: `/api/v1/integrations/${provider}`,
        summary: `Set the ${provider === 'github' ? 'GitHub webhook secret' : 'GitLab webhook token'}`,
        tags,
        auth: 'dora.manage',
        body: githubIntegrationSchema,
        response: githubIntegrationViewSchema,
        handler: ({ body, audit }) => dora.setWebhookSecret(audit, provider, body.webhook_secret),
      }),
    ]),
  ];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The body as received, for webhook signatures (set only under /webhooks/). */
    rawBody?: Buffer;
  }
}

/** Webhook routes: public, verified by signature over the raw body (see index.ts for the parser). */
export function doraWebhookRoutes(dora: DoraService): RouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/webhooks/github',
      summary: 'GitHub webhook (push, deployment_status), verified by X-Hub-Signature-256',
      tags,
      auth: 'public',
      // Served from the webhook scope (raw-body parser), outside /api; described in docs/guides/dora.md.
      hide: true,
      response: z.object({ status: z.enum(['processed', 'duplicate', 'ignored']), detail: z.string() }),
      errors: [400, 401],
      handler: ({ request }) => {
        const event = request.headers['x-github-event'];
        const delivery = request.headers['x-github-delivery'];
        if (typeof event !== 'string' || typeof delivery !== 'string' || !delivery)
          throw new AppError(
            'HTTP_VALIDATION_FAILED',
            'GitHub deliveries carry X-GitHub-Event and X-GitHub-Delivery.',
            {
              errors: [{ path: 'headers', message: 'X-GitHub-Event and X-GitHub-Delivery are required' }],
            },
          );
        let payload = request.body;
        // "application/x-www-form-urlencoded" deliveries wrap the JSON in a payload field.
        if (
          payload &&
          typeof payload === 'object' &&
          'payload' in payload &&
          typeof payload.payload === 'string'
        ) {
          try {
            payload = JSON.parse(payload.payload);
          } catch {
            throw new AppError('HTTP_MALFORMED_JSON', 'The payload field is not JSON.');
          }
        }
        return dora.githubWebhook({
          rawBody: request.rawBody ?? Buffer.alloc(0),
          signature: request.headers['x-hub-signature-256'],
          event,
          deliveryId: delivery,
          payload,
        });
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/webhooks/gitlab',
      summary: 'GitLab webhook (Push Hook, Deployment Hook), checked against X-Gitlab-Token',
      tags,
      auth: 'public',
      hide: true,
      response: z.object({ status: z.enum(['processed', 'duplicate', 'ignored']), detail: z.string() }),
      errors: [401],
      handler: ({ request }) => {
        const event = request.headers['x-gitlab-event'];
        const uuid = request.headers['x-gitlab-event-uuid'] ?? request.headers['idempotency-key'];
        return dora.gitlabWebhook({
          token: request.headers['x-gitlab-token'],
          event: typeof event === 'string' ? event : 'unknown',
          deliveryId: typeof uuid === 'string' && uuid ? uuid : null,
          payload: request.body,
        });
      },
    }),
  ];
}
