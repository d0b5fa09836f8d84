import {
  icalParamsSchema,
  icalQuerySchema,
  icalUrlResponseSchema,
  idParamsSchema,
  loadQuerySchema,
  loadReportSchema,
  payPolicyResponseSchema,
  payPolicySchema,
  payQuerySchema,
  payReportCsv,
  payReportSchema,
  rotationCheckSchema,
  shiftsQuerySchema,
  userParamsSchema,
  userShiftsResponseSchema,
} from '@engops/contracts';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.ts';
import { can } from '../../platform/access/permissions.ts';
import { sendCalendar } from './oncall-routes.ts';
import type { ReportsService } from './reports-service.ts';

const tags = ['on-call'];

export function reportsRoutes(reports: ReportsService): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/users/:id/shifts',
      summary:
        "A person's final shifts across every schedule you may read (overrides applied), and their iCal URL",
      tags,
      auth: 'oncall.read',
      params: userParamsSchema,
      query: shiftsQuerySchema,
      response: userShiftsResponseSchema,
      errors: [400, 404],
      handler: async ({ params, query, principal }) => {
        const shifts = (await reports.personShifts(params.id, query.from, query.to)).filter((s) =>
          can(principal, 'oncall.read', s.team_id),
        );
        const own = principal.userId === params.id || can(principal, 'users.write');
        return {
          user_id: params.id,
          from: new Date(query.from).toISOString(),
          to: new Date(query.to).toISOString(),
          shifts,
          ical_url: own ? await reports.userIcalUrl(params.id) : null,
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/users/:id/ical-url/rotate',
      summary: "Revoke every iCal URL of a person's own feed and issue a new one (yourself, or users.write)",
      tags,
      auth: 'incidents.respond',
      params: userParamsSchema,
      response: icalUrlResponseSchema,
      errors: [403, 404],
      handler: async ({ params, principal, audit, authorize }) => {
        if (principal.userId !== params.id) authorize('users.write');
        return { ical_url: await reports.rotateUserIcal(audit, params.id) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/ical/users/:id',
      summary:
        "iCalendar feed (RFC 5545) of one person's shifts on every schedule: subscribe with the signed URL",
      tags,
      auth: 'public',
      params: icalParamsSchema,
      query: icalQuerySchema,
      response: z.string(),
      errors: [400, 401],
      handler: async ({ params, query, reply }) => {
        return sendCalendar(reply, await reports.userIcal(params.id.replace(/\.ics$/, ''), query.token));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/oncall/teams/:id/rotation-check',
      summary:
        "The handbook's rotation structure for the team's size (policy on_call.rotation_by_team_size) against its schedules",
      tags,
      auth: 'oncall.read',
      params: idParamsSchema,
      response: rotationCheckSchema,
      errors: [403, 404],
      handler: async ({ params, authorize }) => {
        authorize('oncall.read', params.id);
        return reports.rotationCheck(params.id);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/oncall/teams/:id/pay-policy',
      summary: "The team's off-hours pay policy (rates, multipliers, working days and hours, holidays)",
      tags,
      auth: 'oncall.manage',
      params: idParamsSchema,
      response: payPolicyResponseSchema,
      errors: [403, 404],
      handler: async ({ params, authorize }) => {
        authorize('oncall.manage', params.id);
        return reports.getPayPolicy(params.id);
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/oncall/teams/:id/pay-policy',
      summary: "Replace the team's off-hours pay policy",
      tags,
      auth: 'oncall.manage',
      params: idParamsSchema,
      body: payPolicySchema,
      response: payPolicyResponseSchema,
      errors: [400, 403, 404],
      handler: async ({ params, body, audit, authorize }) => {
        authorize('oncall.manage', params.id);
        return reports.setPayPolicy(audit, params.id, body);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/oncall/load',
      summary:
        'On-call load per person of a team: hours on call and off-hours, pages (at night too), incidents per shift, flags, and fairness per rotation',
      tags,
      auth: 'oncall.read',
      query: loadQuerySchema,
      response: loadReportSchema,
      errors: [400, 403, 404],
      handler: async ({ query, authorize }) => {
        authorize('oncall.read', query.team_id);
        return reports.load(query.team_id, query.from, query.to, query.max_on_call_share);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/oncall/pay',
      summary:
        'Off-hours pay per person for a period: off-hours on-call hours and pages in the team time zone, priced by its pay policy',
      tags,
      auth: 'oncall.manage',
      query: payQuerySchema,
      response: payReportSchema,
      errors: [400, 403, 404],
      handler: async ({ query, authorize }) => {
        authorize('oncall.manage', query.team_id);
        return reports.payReport(query.team_id, query.from, query.to);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/oncall/pay.csv',
      summary: 'The off-hours pay report as CSV (one row per person)',
      tags,
      auth: 'oncall.manage',
      query: payQuerySchema,
      response: z.string(),
      errors: [400, 403, 404],
      handler: async ({ query, authorize, reply }) => {
        authorize('oncall.manage', query.team_id);
        const report = await reports.payReport(query.team_id, query.from, query.to);
        const name = `oncall-pay-${report.from.slice(0, 10)}-${report.to.slice(0, 10)}.csv`;
        return reply
          .code(200)
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}"`)
          .send(payReportCsv(report));
      },
    }),
  ];
}
