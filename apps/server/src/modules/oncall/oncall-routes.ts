import {
  createEscalationPolicySchema,
  createOverrideResponseSchema,
  createOverrideSchema,
  createScheduleSchema,
  escalationPolicyListQuerySchema,
  escalationPolicySchema,
  icalParamsSchema,
  icalQuerySchema,
  idParamsSchema,
  oncallQuerySchema,
  oncallResponseSchema,
  overrideParamsSchema,
  scheduleListQuerySchema,
  scheduleSchema,
  serviceEscalationPolicyResponseSchema,
  shiftsQuerySchema,
  shiftsResponseSchema,
  updateEscalationPolicySchema,
  updateScheduleSchema,
} from '@engops/contracts';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.ts';
import { can } from '../../platform/access/permissions.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { OncallService } from './oncall-service.ts';

const tags = ['on-call'];

export function oncallRoutes(oncall: OncallService, catalog: CatalogService): RouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/schedules',
      summary: 'Create an on-call schedule (layers of rotations in the schedule time zone)',
      tags,
      auth: 'oncall.manage',
      body: createScheduleSchema,
      status: 201,
      response: scheduleSchema,
      errors: [400, 403, 404],
      handler: async ({ body, audit, authorize }) => {
        authorize('oncall.manage', body.team_id);
        return oncall.createSchedule(audit, body);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/schedules',
      summary: 'List on-call schedules',
      tags,
      auth: 'oncall.read',
      query: scheduleListQuerySchema,
      response: z.object({ items: z.array(scheduleSchema) }),
      // Only the teams the caller may read: schedules carry their secret calendar URL.
      handler: async ({ query, principal }) => ({
        items: (await oncall.list(query.team_id)).filter((s) => can(principal, 'oncall.read', s.team_id)),
      }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/schedules/:id',
      summary: 'A schedule with its layers, overrides and iCal URL',
      tags,
      auth: 'oncall.read',
      params: idParamsSchema,
      response: scheduleSchema,
      errors: [403, 404],
      handler: async ({ params, authorize }) => {
        const schedule = await oncall.get(params.id);
        authorize('oncall.read', schedule.team_id);
        return schedule;
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/schedules/:id',
      summary: 'Replace a schedule (name, time zone, layers); overrides are kept',
      tags,
      auth: 'oncall.manage',
      params: idParamsSchema,
      body: updateScheduleSchema,
      response: scheduleSchema,
      errors: [400, 403, 404],
      handler: async ({ params, body, audit, authorize }) => {
        authorize('oncall.manage', await oncall.teamOf(params.id));
        return oncall.updateSchedule(audit, params.id, body);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/schedules/:id',
      summary: 'Delete a schedule and its overrides',
      tags,
      auth: 'oncall.manage',
      params: idParamsSchema,
      status: 204,
      response: null,
      errors: [403, 404],
      handler: async ({ params, audit, authorize }) => {
        authorize('oncall.manage', await oncall.teamOf(params.id));
        await oncall.deleteSchedule(audit, params.id);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/schedules/:id/overrides',
      summary: 'Put someone on call for a window; with `swap`, two overrides in one request (a shift swap)',
      tags,
      auth: 'oncall.manage',
      params: idParamsSchema,
      body: createOverrideSchema,
      status: 201,
      response: createOverrideResponseSchema,
      errors: [400, 403, 404],
      handler: async ({ params, body, audit, authorize }) => {
        authorize('oncall.manage', await oncall.teamOf(params.id));
        const list = [{ user_id: body.user_id, start: body.start, end: body.end }];
        if (body.swap) list.push(body.swap);
        return { overrides: await oncall.addOverrides(audit, params.id, list) };
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/schedules/:id/overrides/:override_id',
      summary: 'Remove an override (the layers decide again for its window)',
      tags,
      auth: 'oncall.manage',
      params: overrideParamsSchema,
      status: 204,
      response: null,
      errors: [403, 404],
      handler: async ({ params, audit, authorize }) => {
        authorize('oncall.manage', await oncall.teamOf(params.id));
        await oncall.deleteOverride(audit, params.id, params.override_id);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/schedules/:id/ical-url/rotate',
      summary: 'Revoke every iCal URL of a schedule and issue a new one',
      tags,
      auth: 'oncall.manage',
      params: idParamsSchema,
      response: scheduleSchema,
      errors: [403, 404],
      handler: async ({ params, audit, authorize }) => {
        authorize('oncall.manage', await oncall.teamOf(params.id));
        return oncall.rotateIcal(audit, params.id);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/schedules/:id/oncall',
      summary: 'Who is on call at an instant (default now), with their shift',
      tags,
      auth: 'oncall.read',
      params: idParamsSchema,
      query: oncallQuerySchema,
      response: oncallResponseSchema,
      errors: [400, 403, 404],
      handler: async ({ params, query, authorize }) => {
        authorize('oncall.read', await oncall.teamOf(params.id));
        return oncall.oncall(params.id, query.at ? new Date(query.at) : undefined);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/schedules/:id/shifts',
      summary: 'The final rendered shifts in a window (layers stacked, overrides applied) and the gaps',
      tags,
      auth: 'oncall.read',
      params: idParamsSchema,
      query: shiftsQuerySchema,
      response: shiftsResponseSchema,
      errors: [400, 403, 404],
      handler: async ({ params, query, authorize }) => {
        authorize('oncall.read', await oncall.teamOf(params.id));
        return oncall.shifts(params.id, query.from, query.to);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/ical/schedules/:id',
      summary: 'iCalendar feed (RFC 5545) of a schedule: subscribe with the signed ical_url',
      tags,
      auth: 'public',
      params: icalParamsSchema,
      query: icalQuerySchema,
      response: z.string(),
      errors: [400, 401],
      handler: async ({ params, query, reply }) => {
        return sendCalendar(reply, await oncall.ical(params.id.replace(/\.ics$/, ''), query.token));
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/escalation-policies',
      summary: 'Create an escalation policy: levels of targets, each notified after the previous delay',
      tags,
      auth: 'oncall.manage',
      body: createEscalationPolicySchema,
      status: 201,
      response: escalationPolicySchema,
      errors: [400, 403, 404],
      handler: async ({ body, audit, authorize }) => {
        authorize('oncall.manage', body.team_id);
        return oncall.createPolicy(audit, body);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/escalation-policies',
      summary: 'List escalation policies',
      tags,
      auth: 'oncall.read',
      query: escalationPolicyListQuerySchema,
      response: z.object({ items: z.array(escalationPolicySchema) }),
      handler: async ({ query, principal }) => ({
        items: (await oncall.listPolicies(query.team_id)).filter((p) =>
          can(principal, 'oncall.read', p.team_id),
        ),
      }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/escalation-policies/:id',
      summary: 'An escalation policy',
      tags,
      auth: 'oncall.read',
      params: idParamsSchema,
      response: escalationPolicySchema,
      errors: [403, 404],
      handler: async ({ params, authorize }) => {
        const policy = await oncall.getPolicy(params.id);
        authorize('oncall.read', policy.team_id);
        return policy;
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/escalation-policies/:id',
      summary:
        'Change an escalation policy (name, levels, repeat); escalations under way use it from their next step',
      tags,
      auth: 'oncall.manage',
      params: idParamsSchema,
      body: updateEscalationPolicySchema,
      response: escalationPolicySchema,
      errors: [400, 403, 404],
      handler: async ({ params, body, audit, authorize }) => {
        authorize('oncall.manage', (await oncall.getPolicy(params.id)).team_id);
        return oncall.updatePolicy(audit, params.id, body);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/escalation-policies/:id',
      summary: 'Delete an escalation policy no service pages through (409 otherwise)',
      tags,
      auth: 'oncall.manage',
      params: idParamsSchema,
      status: 204,
      response: null,
      errors: [403, 404, 409],
      handler: async ({ params, audit, authorize }) => {
        authorize('oncall.manage', (await oncall.getPolicy(params.id)).team_id);
        await oncall.deletePolicy(audit, params.id);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/services/:id/escalation-policy',
      summary:
        "A service's escalation policy (set it with PATCH /api/v1/services/{id} {escalation_policy_id}); null when it has none",
      tags,
      auth: 'oncall.read',
      params: idParamsSchema,
      response: serviceEscalationPolicyResponseSchema,
      errors: [403, 404],
      handler: async ({ params, authorize }) => {
        const service = await catalog.getService(params.id);
        authorize('oncall.read', service.team_id);
        return oncall.servicePolicy(service.id);
      },
    }),
  ];
}

/** Sends an iCalendar feed, cacheable by the subscriber for five minutes. */
export function sendCalendar(reply: FastifyReply, body: string): FastifyReply {
  return reply
    .code(200)
    .header('cache-control', 'private, max-age=300')
    .type('text/calendar; charset=utf-8')
    .send(body);
}
