import {
  approveStageSchema,
  createFreezeSchema,
  createPipelineSchema,
  createReleaseSchema,
  freezeListQuerySchema,
  freezeSchema,
  idParamsSchema,
  judgementSchema,
  pageSchema,
  pipelineListQuerySchema,
  pipelineSchema,
  pushMetricsSchema,
  releaseEventSchema,
  releaseListQuerySchema,
  releaseMetricsSchema,
  releaseSchema,
  releaseSettingsInputSchema,
  releaseSettingsSchema,
  releaseStageParamsSchema,
  rollbackReleaseSchema,
  serviceIdParamsSchema,
  stageEventSchema,
} from '@engops/contracts';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.ts';
import type { ReleasesService } from './releases-service.ts';

const tags = ['releases'];

export function releasesRoutes(releases: ReleasesService): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/pipelines',
      summary: "List release pipelines: the handbook's default and each team's own",
      tags,
      auth: 'releases.read',
      query: pipelineListQuerySchema,
      response: z.object({ items: z.array(pipelineSchema) }),
      errors: [404],
      handler: async ({ query, authorize }) => {
        if (query.team_id) authorize('releases.read', query.team_id);
        return { items: await releases.listPipelines(query.team_id) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/pipelines',
      summary: "Define a team's release pipeline (its stages, their order and gates)",
      tags,
      auth: 'releases.manage',
      body: createPipelineSchema,
      status: 201,
      response: pipelineSchema,
      errors: [400, 404, 409],
      handler: async ({ body, audit, authorize }) => {
        authorize('releases.manage', body.team_id);
        return releases.createPipeline(audit, body);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/releases',
      summary: 'Create a release (the same version and commit again returns the existing one with 200)',
      tags,
      auth: 'releases.write',
      body: createReleaseSchema,
      status: 201,
      response: releaseSchema,
      errors: [400, 404, 409],
      handler: async ({ body, audit, authorize, reply }) => {
        const service = await releases.findService(body.service_id);
        authorize('releases.write', service.team_id);
        const { release, created } = await releases.create(audit, body, service);
        // An existing release answers 200 (route.ts sets the declared 201 otherwise).
        if (!created) return reply.code(200).send(release);
        return release;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/releases',
      summary: 'List releases, newest first (per service, per team, or all the caller may read)',
      tags,
      auth: 'releases.read',
      query: releaseListQuerySchema,
      response: pageSchema(releaseSchema),
      errors: [404],
      handler: ({ query, principal, authorize }) => releases.list(query, principal, authorize),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/releases/:id',
      summary: 'Get a release with its stages and latest canary judgement',
      tags,
      auth: 'releases.read',
      params: idParamsSchema,
      response: releaseSchema,
      errors: [404],
      handler: ({ params, authorize }) => releases.get(params.id, authorize),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/releases/:id/timeline',
      summary: 'The release timeline: stages, overrides, approvals, judgements, harm and rollback',
      tags,
      auth: 'releases.read',
      params: idParamsSchema,
      response: z.object({ items: z.array(releaseEventSchema) }),
      errors: [404],
      handler: async ({ params, authorize }) => ({ items: await releases.timeline(params.id, authorize) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/releases/:id/stages/:stage',
      summary: 'Report a stage event from CI/CD (stages in order, gates enforced; admins may override)',
      tags,
      auth: 'releases.write',
      params: releaseStageParamsSchema,
      body: stageEventSchema,
      response: releaseSchema,
      errors: [400, 404, 409],
      handler: async ({ params, body, audit, authorize }) => {
        await releases.get(params.id, authorize, 'releases.write');
        if (body.override) authorize('releases.admin');
        return releases.stageEvent(audit, params.id, params.stage, body);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/releases/:id/approvals',
      summary: 'Approve a stage of a release (not by whoever created it)',
      tags,
      auth: 'releases.write',
      params: idParamsSchema,
      body: approveStageSchema,
      response: releaseSchema,
      errors: [400, 404, 409],
      handler: async ({ params, body, audit, authorize }) => {
        await releases.get(params.id, authorize, 'releases.write');
        return releases.approve(audit, params.id, body.stage, body.comment);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/releases/:id/metrics',
      summary: 'Push canary or baseline samples of a metric',
      tags,
      auth: 'releases.write',
      params: idParamsSchema,
      body: pushMetricsSchema,
      status: 201,
      response: z.object({ metric: z.string(), group: z.string(), count: z.number().int() }),
      errors: [400, 404],
      handler: async ({ params, body, audit, authorize }) => {
        await releases.get(params.id, authorize, 'releases.write');
        return releases.pushMetrics(audit, params.id, body);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/releases/:id/metrics',
      summary: 'The canary and baseline samples of each metric',
      tags,
      auth: 'releases.read',
      params: idParamsSchema,
      response: releaseMetricsSchema,
      errors: [404],
      handler: async ({ params, authorize }) => {
        await releases.get(params.id, authorize);
        return releases.metrics(params.id);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/releases/:id/judge',
      summary: 'Judge the canary: Mann-Whitney per metric, weighted score, promote / hold / rollback',
      tags,
      auth: 'releases.write',
      params: idParamsSchema,
      response: judgementSchema,
      errors: [404],
      handler: async ({ params, audit, authorize }) => {
        await releases.get(params.id, authorize, 'releases.write');
        return releases.judge(audit, params.id);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/releases/:id/rollback',
      summary: 'Roll a release back: calls the rollback hook and records a rollback deployment',
      tags,
      auth: 'releases.write',
      params: idParamsSchema,
      body: rollbackReleaseSchema,
      status: 202,
      response: releaseSchema,
      errors: [400, 404, 409],
      handler: async ({ params, body, audit, authorize }) => {
        await releases.get(params.id, authorize, 'releases.write');
        return releases.rollback(audit, params.id, body.reason);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/release-settings/:service_id',
      summary: "A service's release settings: canary metrics, rollback hook, monitor window",
      tags,
      auth: 'releases.read',
      params: serviceIdParamsSchema,
      response: releaseSettingsSchema,
      errors: [404],
      handler: async ({ params, authorize }) => {
        const service = await releases.findService(params.service_id);
        authorize('releases.read', service.team_id);
        return releases.settings(service.id);
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/release-settings/:service_id',
      summary: "Set a service's release settings",
      tags,
      auth: 'releases.manage',
      params: serviceIdParamsSchema,
      body: releaseSettingsInputSchema,
      response: releaseSettingsSchema,
      errors: [400, 404],
      handler: async ({ params, body, audit, authorize }) => {
        const service = await releases.findService(params.service_id);
        authorize('releases.manage', service.team_id);
        return releases.putSettings(audit, service, body);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/freezes',
      summary: "The freeze calendar (a team's windows and the organisation's)",
      tags,
      auth: 'releases.read',
      query: freezeListQuerySchema,
      response: z.object({ items: z.array(freezeSchema) }),
      errors: [404],
      handler: async ({ query, authorize }) => {
        if (query.team_id) authorize('releases.read', query.team_id);
        return { items: await releases.listFreezes(query) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/freezes',
      summary: 'Declare a freeze window (no production releases); organisation-wide ones need an admin',
      tags,
      auth: 'releases.manage',
      body: createFreezeSchema,
      status: 201,
      response: freezeSchema,
      errors: [400, 404],
      handler: async ({ body, audit, authorize }) => {
        if (body.team_id) authorize('releases.manage', body.team_id);
        else authorize('releases.admin');
        return releases.createFreeze(audit, body);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/freezes/:id',
      summary: 'Remove a freeze window',
      tags,
      auth: 'releases.manage',
      params: idParamsSchema,
      status: 204,
      response: null,
      errors: [404],
      handler: async ({ params, audit, authorize }) => {
        const freeze = await releases.getFreeze(params.id);
        if (freeze.team_id) authorize('releases.manage', freeze.team_id);
        else authorize('releases.admin');
        await releases.deleteFreeze(audit, freeze);
      },
    }),
  ];
}
