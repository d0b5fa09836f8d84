import {
  clientFeaturesSchema,
  createdSdkTokenSchema,
  createFlagEnvironmentSchema,
  createFlagSchema,
  createSdkTokenSchema,
  environmentQuerySchema,
  flagEnvironmentSchema,
  flagEnvParamsSchema,
  flagKeyParamsSchema,
  flagListQuerySchema,
  flagSchema,
  idParamsSchema,
  importResultSchema,
  sdkTokenSchema,
  segmentSchema,
  updateFlagEnvironmentSchema,
  updateFlagSchema,
  upsertSegmentSchema,
} from '@engops/contracts';
import { z } from 'zod';
import { defineRoute, type RouteContext, type RouteSpec } from '../../http/route.ts';
import type { FlagsService } from './flags-service.ts';

/** The admin API: environments, flags, per-environment targeting, segments, import/export, SDK tokens. */
export function flagsRoutes(flags: FlagsService): RouteSpec[] {
  const tags = ['flags'];
  const list = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
  /** Team flags need flags.write on the owner team; org-wide flags need the org-level flags.manage. */
  const authorizeFlag = (ctx: RouteContext<unknown, unknown, unknown>, ownerTeamId: string | null) => {
    if (ownerTeamId) ctx.authorize('flags.write', ownerTeamId);
    else ctx.authorize('flags.manage');
  };
  const segmentParams = z.strictObject({ id: z.coerce.number().int().min(1) });

  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/environments',
      summary: 'Flag environments',
      tags,
      auth: 'flags.read',
      response: list(flagEnvironmentSchema),
      handler: async () => ({ items: await flags.listEnvironments() }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/environments',
      summary: 'Add a flag environment',
      tags,
      auth: 'flags.manage',
      body: createFlagEnvironmentSchema,
      status: 201,
      response: flagEnvironmentSchema,
      errors: [409],
      handler: ({ body, audit }) => flags.createEnvironment(audit, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/flags',
      summary: 'Flags with their state in every environment',
      tags,
      auth: 'flags.read',
      query: flagListQuerySchema,
      response: list(flagSchema),
      handler: async ({ query }) => ({ items: await flags.listFlags(query) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/flags',
      summary: 'Create a flag (off in every environment)',
      tags,
      auth: 'flags.write',
      body: createFlagSchema,
      status: 201,
      response: flagSchema,
      errors: [400, 409],
      handler: (ctx) => {
        authorizeFlag(ctx, ctx.body.owner_team_id ?? null);
        return flags.createFlag(ctx.audit, ctx.body);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/flags/export',
      summary: "An environment's flags in the Unleash client-features format",
      tags,
      auth: 'flags.read',
      query: environmentQuerySchema,
      response: clientFeaturesSchema,
      errors: [404],
      handler: ({ query }) => flags.exportEnvironment(query.environment),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/flags/import',
      summary: 'Create or replace flags in an environment from an Unleash client-features document',
      tags,
      auth: 'flags.manage',
      query: environmentQuerySchema,
      body: clientFeaturesSchema,
      response: importResultSchema,
      errors: [400, 404],
      bodyLimit: 20 * 1024 * 1024,
      handler: ({ query, body, audit }) => flags.importEnvironment(audit, query.environment, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/flags/:key',
      summary: 'One flag',
      tags,
      auth: 'flags.read',
      params: flagKeyParamsSchema,
      response: flagSchema,
      errors: [404],
      handler: ({ params }) => flags.getFlag(params.key),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/flags/:key',
      summary: 'Change a flag (description, type, variants, owner, tags, dependencies)',
      tags,
      auth: 'flags.write',
      params: flagKeyParamsSchema,
      body: updateFlagSchema,
      response: flagSchema,
      errors: [400, 404],
      handler: async (ctx) => {
        const flag = await flags.getFlag(ctx.params.key);
        authorizeFlag(ctx, flag.owner_team_id);
        if (ctx.body.owner_team_id !== undefined) authorizeFlag(ctx, ctx.body.owner_team_id);
        return flags.updateFlag(ctx.audit, ctx.params.key, ctx.body);
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/flags/:key/environments/:env',
      summary: 'Change a flag in one environment (enabled, strategies, variants)',
      tags,
      auth: 'flags.write',
      params: flagEnvParamsSchema,
      body: updateFlagEnvironmentSchema,
      response: flagSchema,
      errors: [400, 404],
      handler: async (ctx) => {
        const flag = await flags.getFlag(ctx.params.key);
        authorizeFlag(ctx, flag.owner_team_id);
        return flags.updateEnvironment(ctx.audit, ctx.params.key, ctx.params.env, ctx.body);
      },
    }),
    ...(['on', 'off'] as const).map((state) =>
      defineRoute({
        method: 'POST',
        url: `/api/v1/flags/:key/environments/:env/${state}`,
        summary:
          state === 'on'
            ? 'Turn a flag on in an environment'
            : 'Kill switch: turn a flag off in an environment',
        tags,
        auth: 'flags.write',
        params: flagEnvParamsSchema,
        response: flagSchema,
        errors: [404],
        handler: async (ctx) => {
          const flag = await flags.getFlag(ctx.params.key);
          authorizeFlag(ctx, flag.owner_team_id);
          return flags.updateEnvironment(ctx.audit, ctx.params.key, ctx.params.env, {
            enabled: state === 'on',
          });
        },
      }),
    ),
    defineRoute({
      method: 'GET',
      url: '/api/v1/segments',
      summary: 'Reusable constraint segments',
      tags,
      auth: 'flags.read',
      response: list(segmentSchema),
      handler: async () => ({ items: await flags.listSegments() }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/segments',
      summary: 'Create a segment',
      tags,
      auth: 'flags.manage',
      body: upsertSegmentSchema,
      status: 201,
      response: segmentSchema,
      errors: [400, 409],
      handler: ({ body, audit }) => flags.upsertSegment(audit, null, body),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/segments/:id',
      summary: 'Replace a segment',
      tags,
      auth: 'flags.manage',
      params: segmentParams,
      body: upsertSegmentSchema,
      response: segmentSchema,
      errors: [400, 404, 409],
      handler: ({ params, body, audit }) => flags.upsertSegment(audit, params.id, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/sdk-tokens',
      summary: 'SDK tokens (Unleash client/frontend and OFREP)',
      tags,
      auth: 'flags.manage',
      response: list(sdkTokenSchema),
      handler: async () => ({ items: await flags.listSdkTokens() }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/sdk-tokens',
      summary: 'Create an SDK token that reads the flags of one environment (shown once)',
      tags,
      auth: 'flags.manage',
      body: createSdkTokenSchema,
      status: 201,
      response: createdSdkTokenSchema,
      errors: [404],
      handler: ({ body, audit }) => flags.createSdkToken(audit, body),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/sdk-tokens/:id',
      summary: 'Revoke an SDK token',
      tags,
      auth: 'flags.manage',
      params: idParamsSchema,
      response: sdkTokenSchema,
      errors: [404],
      handler: ({ params, audit }) => flags.revokeSdkToken(audit, params.id),
    }),
  ];
}
