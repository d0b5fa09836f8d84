import {
  changeRequestListQuerySchema,
  changeRequestSchema,
  createChangeRequestSchema,
  createRolloutPlanSchema,
  decideChangeRequestSchema,
  experimentQuerySchema,
  experimentResultSchema,
  type FlagEvent,
  flagEnvironmentSchema,
  flagKeyParamsSchema,
  flagSchema,
  idParamsSchema,
  postFlagEventsResultSchema,
  postFlagEventsSchema,
  rolloutPlanListQuerySchema,
  rolloutPlanSchema,
  staleFlagSchema,
  staleFlagsQuerySchema,
  updateFlagEnvironmentSettingsSchema,
} from '@engops/contracts';
import { z } from 'zod';
import { defineRoute, type RouteContext, type RouteSpec } from '../../http/route.ts';
import { can } from '../../platform/access/permissions.ts';
import { AppError } from '../../platform/errors.ts';
import type { ChangeRequests } from './change-requests.ts';
import type { Experiments } from './experiments.ts';
import type { FlagsService } from './flags-service.ts';
import type { RolloutPlans } from './rollout-plans.ts';

/**
 * Release controls: environment approval settings, rollout plans, change requests (four-eyes),
 * archiving flags.
 */
export function releaseRoutes(deps: {
  flags: FlagsService;
  plans: RolloutPlans;
  changeRequests: ChangeRequests;
  experiments: Experiments;
}): RouteSpec[] {
  const { flags, plans, changeRequests, experiments } = deps;
  const tags = ['flags'];
  const list = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
  /** Team flags need flags.write on the owner team; org-wide flags need the org-level flags.manage. */
  const authorizeFlagKey = async (ctx: RouteContext<unknown, unknown, unknown>, key: string) => {
    const flag = await flags.getFlag(key);
    if (flag.owner_team_id) ctx.authorize('flags.write', flag.owner_team_id);
    else ctx.authorize('flags.manage');
  };
  const envParams = z.strictObject({ key: z.string().min(1).max(100) });
  const pauseBody = z.strictObject({ rollback: z.boolean().default(false) });

  return [
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/environments/:key',
      summary: 'Rename an environment or require approval (change requests) for its changes',
      tags,
      auth: 'flags.manage',
      params: envParams,
      body: updateFlagEnvironmentSettingsSchema,
      response: flagEnvironmentSchema,
      errors: [404],
      handler: ({ params, body, audit }) => flags.updateEnvironmentSettings(audit, params.key, body),
    }),

    // ---- rollout plans
    defineRoute({
      method: 'GET',
      url: '/api/v1/rollout-plans',
      summary: 'Rollout plans (newest first)',
      tags,
      auth: 'flags.read',
      query: rolloutPlanListQuerySchema,
      response: list(rolloutPlanSchema),
      handler: async ({ query }) => ({ items: await plans.list(query) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/flags/:key/rollout-plans',
      summary:
        'Start a gradual rollout plan: the first step applies now, each next one after the interval; incidents on linked services pause it and roll back to 0%',
      tags,
      auth: 'flags.write',
      params: flagKeyParamsSchema,
      body: createRolloutPlanSchema,
      status: 201,
      response: rolloutPlanSchema,
      errors: [400, 404, 409],
      handler: async (ctx) => {
        await authorizeFlagKey(ctx, ctx.params.key);
        return plans.create(ctx.audit, ctx.params.key, ctx.body);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/rollout-plans/:id',
      summary: 'One rollout plan',
      tags,
      auth: 'flags.read',
      params: idParamsSchema,
      response: rolloutPlanSchema,
      errors: [404],
      handler: ({ params }) => plans.get(params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/rollout-plans/:id/pause',
      summary: 'Pause a rollout plan where it is, or with rollback=true also set its rollout to 0%',
      tags,
      auth: 'flags.write',
      params: idParamsSchema,
      body: pauseBody,
      response: rolloutPlanSchema,
      errors: [404, 409],
      handler: async (ctx) => {
        await authorizeFlagKey(ctx, await plans.flagOf(ctx.params.id));
        return plans.pause(ctx.audit, ctx.params.id, ctx.body.rollback);
      },
    }),
    ...(['resume', 'cancel'] as const).map((action) =>
      defineRoute({
        method: 'POST',
        url: `/api/v1/rollout-plans/:id/${action}`,
        summary:
          action === 'resume'
            ? 'Resume a paused rollout plan (a rolled-back step applies again at once)'
            : 'Cancel a rollout plan (the rollout stays where it is)',
        tags,
        auth: 'flags.write',
        params: idParamsSchema,
        response: rolloutPlanSchema,
        errors: [404, 409],
        handler: async (ctx) => {
          await authorizeFlagKey(ctx, await plans.flagOf(ctx.params.id));
          return action === 'resume'
            ? plans.resume(ctx.audit, ctx.params.id)
            : plans.cancel(ctx.audit, ctx.params.id);
        },
      }),
    ),

    // ---- change requests
    defineRoute({
      method: 'GET',
      url: '/api/v1/change-requests',
      summary: 'Flag change requests (newest first)',
      tags,
      auth: 'flags.read',
      query: changeRequestListQuerySchema,
      response: list(changeRequestSchema),
      handler: async ({ query }) => ({ items: await changeRequests.list(query) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/change-requests',
      summary: 'Request a change (or a rollout plan) in an environment that requires approval',
      tags,
      auth: 'flags.write',
      body: createChangeRequestSchema,
      status: 201,
      response: changeRequestSchema,
      errors: [400, 404],
      handler: async (ctx) => {
        await authorizeFlagKey(ctx, ctx.body.flag_key);
        return changeRequests.create(ctx.audit, ctx.body);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/change-requests/:id',
      summary: 'One change request',
      tags,
      auth: 'flags.read',
      params: idParamsSchema,
      response: changeRequestSchema,
      errors: [404],
      handler: ({ params }) => changeRequests.get(params.id),
    }),
    ...(['approve', 'reject'] as const).map((action) =>
      defineRoute({
        method: 'POST',
        url: `/api/v1/change-requests/:id/${action}`,
        summary:
          action === 'approve'
            ? 'Approve and apply a change request (not by the person who requested it)'
            : 'Reject a change request',
        tags,
        auth: 'flags.write',
        params: idParamsSchema,
        body: decideChangeRequestSchema,
        response: changeRequestSchema,
        errors: [403, 404, 409],
        handler: async (ctx) => {
          const request = await changeRequests.get(ctx.params.id);
          await authorizeFlagKey(ctx, request.flag_key);
          return action === 'approve'
            ? changeRequests.approve(ctx.audit, ctx.params.id, ctx.body.comment)
            : changeRequests.reject(ctx.audit, ctx.params.id, ctx.body.comment);
        },
      }),
    ),
    defineRoute({
      method: 'POST',
      url: '/api/v1/change-requests/:id/cancel',
      summary: 'Withdraw your own change request',
      tags,
      auth: 'flags.write',
      params: idParamsSchema,
      response: changeRequestSchema,
      errors: [403, 404, 409],
      handler: async (ctx) => {
        const request = await changeRequests.get(ctx.params.id);
        await authorizeFlagKey(ctx, request.flag_key);
        return changeRequests.cancel(ctx.audit, ctx.params.id);
      },
    }),

    defineRoute({
      method: 'GET',
      url: '/api/v1/stale-flags',
      summary:
        'Flags ready for cleanup: fully on or off for after_days (default 30), or not evaluated for unused_days (30)',
      tags,
      auth: 'flags.read',
      query: staleFlagsQuerySchema,
      response: list(staleFlagSchema),
      errors: [404],
      handler: async ({ query }) => ({
        items: await flags.staleReport(query.environment, {
          afterDays: query.after_days,
          unusedDays: query.unused_days,
        }),
      }),
    }),

    // ---- experiments
    defineRoute({
      method: 'POST',
      url: '/api/v1/events',
      summary:
        'Record experiment exposures and conversions (one event or a batch of up to 1,000; idempotent). Authorization: an SDK token, or an API token with flags.write',
      tags,
      auth: 'public',
      body: postFlagEventsSchema,
      status: 202,
      response: postFlagEventsResultSchema,
      errors: [400, 401, 403],
      handler: async ({ request, body }) => {
        const sdk = await flags.authenticateSdk(request.headers.authorization);
        if (!sdk) {
          const principal = request.principal;
          if (principal?.kind !== 'token')
            throw (
              request.authError ??
              new AppError('AUTH_UNAUTHENTICATED', 'Send an SDK token or an API token in Authorization.')
            );
          if (!can(principal, 'flags.write'))
            throw new AppError('AUTH_FORBIDDEN', 'Recording events needs the flags.write permission.');
        }
        const { events, ...single } = body;
        return events ? experiments.record(events) : experiments.record([single as FlagEvent], '');
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/flags/:key/experiment',
      summary:
        'Experiment results per variant: users, rate or mean, lift with 95% CI, p-value, chance to beat control, sample-ratio check',
      tags,
      auth: 'flags.read',
      params: flagKeyParamsSchema,
      query: experimentQuerySchema,
      response: experimentResultSchema,
      errors: [400, 404],
      handler: ({ params, query }) => experiments.results(params.key, query),
    }),

    defineRoute({
      method: 'GET',
      url: '/api/v1/flags/:key/usage',
      summary:
        'SDK usage: yes/no and variant counts reported by SDKs, per environment, and the last hour seen',
      tags,
      auth: 'flags.read',
      params: flagKeyParamsSchema,
      response: list(
        z.object({
          environment: z.string(),
          yes: z.number().int(),
          no: z.number().int(),
          variants: z.record(z.string(), z.number().int()),
          apps: z.array(z.string()),
          last_hour: z.string(),
        }),
      ),
      errors: [404],
      handler: async ({ params }) => {
        await flags.getFlag(params.key);
        const byEnv = new Map<
          string,
          {
            environment: string;
            yes: number;
            no: number;
            variants: Record<string, number>;
            apps: string[];
            last_hour: string;
          }
        >();
        for (const m of await flags.metricsOf(params.key)) {
          let row = byEnv.get(m.environment);
          if (!row) {
            row = { environment: m.environment, yes: 0, no: 0, variants: {}, apps: [], last_hour: m.hour };
            byEnv.set(m.environment, row);
          }
          if (m.variant === '') {
            row.yes += m.yes_count;
            row.no += m.no_count;
          } else row.variants[m.variant] = (row.variants[m.variant] ?? 0) + m.yes_count;
          if (!row.apps.includes(m.app_name)) row.apps.push(m.app_name);
          if (m.hour > row.last_hour) row.last_hour = m.hour;
        }
        return { items: [...byEnv.values()] };
      },
    }),

    // ---- archive
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/flags/:key',
      summary: 'Archive a flag: SDKs stop seeing it (refused while on in an environment requiring approval)',
      tags,
      auth: 'flags.write',
      params: flagKeyParamsSchema,
      response: flagSchema,
      errors: [400, 404, 409],
      handler: async (ctx) => {
        await authorizeFlagKey(ctx, ctx.params.key);
        return flags.archiveFlag(ctx.audit, ctx.params.key);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/archived-flags',
      summary: 'Archived flags (newest first)',
      tags,
      auth: 'flags.read',
      response: list(
        z.object({ key: z.string(), description: z.string().nullable(), archived_at: z.string() }),
      ),
      handler: async () => ({ items: await flags.listArchived() }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/archived-flags/:key/revive',
      summary: 'Bring an archived flag back (off in every environment)',
      tags,
      auth: 'flags.manage',
      params: flagKeyParamsSchema,
      response: flagSchema,
      errors: [404],
      handler: ({ params, audit }) => flags.reviveFlag(audit, params.key),
    }),
  ];
}
