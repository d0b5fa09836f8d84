import {
  actionItemListQuerySchema,
  actionItemSchema,
  createActionItemSchema,
  idParamsSchema,
  lintRequestSchema,
  lintResponseSchema,
  missingPostmortemsQuerySchema,
  missingPostmortemsSchema,
  pageSchema,
  postmortemListQuerySchema,
  postmortemSchema,
  postmortemStatsQuerySchema,
  postmortemStatsSchema,
  postmortemSummarySchema,
  renderRequestSchema,
  renderResponseSchema,
  updateActionItemSchema,
  updatePostmortemSchema,
} from '@engops/contracts';
import { defineRoute, type RouteSpec } from '../../http/route.ts';
import { AppError } from '../../platform/errors.ts';
import type { IncidentsService } from '../incidents/index.ts';
import { renderMarkdown } from './markdown-render.ts';
import type { PostmortemsService } from './postmortems-service.ts';

const tags = ['postmortems'];

export function postmortemsRoutes(postmortems: PostmortemsService, incidents: IncidentsService): RouteSpec[] {
  /** Published postmortems are readable by every signed-in user; drafts by the team's readers. */
  const readable = async (
    id: string,
    authorize: (permission: 'postmortems.read', teamId?: string | null) => void,
  ) => {
    const pm = await postmortems.get(id);
    if (pm.status !== 'published') authorize('postmortems.read', pm.team_id);
    return pm;
  };

  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:id/postmortem',
      summary:
        'Create the postmortem of a mitigated or resolved incident from the template (200 if it exists)',
      tags,
      auth: 'postmortems.write',
      params: idParamsSchema,
      status: 201,
      response: postmortemSchema,
      errors: [200, 404, 409],
      handler: async ({ params, audit, authorize, reply }) => {
        const incident = await incidents.get(params.id);
        authorize('postmortems.write', incident.team_id);
        const { postmortem, created } = await postmortems.createForIncident(audit, params.id);
        if (!created) return reply.code(200).send(postmortem);
        return postmortem;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/:id/postmortem',
      summary: 'The postmortem of an incident',
      tags,
      auth: 'authenticated',
      params: idParamsSchema,
      response: postmortemSchema,
      errors: [404],
      handler: async ({ params, authorize }) => {
        const pm = await postmortems.findByIncident(params.id);
        if (!pm) {
          await incidents.get(params.id);
          throw new AppError('POSTMORTEMS_NOT_FOUND', `Incident ${params.id} has no postmortem yet.`);
        }
        if (pm.status !== 'published') authorize('postmortems.read', pm.team_id);
        return pm;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/postmortems',
      summary: 'List postmortems, newest first, with due dates, status and the overdue flag',
      tags,
      auth: 'postmortems.read',
      query: postmortemListQuerySchema,
      response: pageSchema(postmortemSummarySchema),
      handler: ({ query }) =>
        postmortems.list({
          limit: query.limit,
          cursor: query.cursor,
          teamId: query.team_id,
          status: query.status,
          overdue: query.overdue,
          q: query.q,
        }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/postmortems/missing',
      summary: 'Incidents that need a postmortem (policy: required severities) and have none',
      tags,
      auth: 'postmortems.read',
      query: missingPostmortemsQuerySchema,
      response: missingPostmortemsSchema,
      handler: ({ query }) => postmortems.missing(query.team_id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/postmortems/stats',
      summary: 'Share of postmortems published on time per team and month; overdue count',
      tags,
      auth: 'postmortems.read',
      query: postmortemStatsQuerySchema,
      response: postmortemStatsSchema,
      handler: ({ query }) => postmortems.stats(query.team_id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/postmortems/lint',
      summary: 'Blameless lint: findings for blaming language, with a systems framing to use instead',
      tags,
      auth: 'postmortems.read',
      body: lintRequestSchema,
      response: lintResponseSchema,
      handler: async ({ body }) => ({ findings: await postmortems.lint(body.markdown, body.dismissed) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/postmortems/render',
      summary: 'Render Markdown to sanitised HTML (the editor preview)',
      tags,
      auth: 'postmortems.read',
      body: renderRequestSchema,
      response: renderResponseSchema,
      handler: async ({ body }) => ({ html: renderMarkdown(body.markdown) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/postmortems/:id',
      summary: 'Get a postmortem: Markdown, version, status, action items',
      tags,
      auth: 'authenticated',
      params: idParamsSchema,
      response: postmortemSchema,
      errors: [403, 404],
      handler: ({ params, authorize }) => readable(params.id, authorize),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/postmortems/:id/html',
      summary: 'The postmortem as a standalone, sanitised HTML page',
      tags,
      auth: 'authenticated',
      params: idParamsSchema,
      response: null,
      errors: [403, 404],
      handler: async ({ params, authorize, reply }) => {
        await readable(params.id, authorize);
        const page = await postmortems.html(params.id);
        return reply
          .code(200)
          .header('content-type', 'text/html; charset=utf-8')
          .header(
            'content-security-policy',
            "default-src 'none'; img-src https: http:; style-src 'unsafe-inline'",
          )
          .header('x-content-type-options', 'nosniff')
          .send(page);
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/postmortems/:id',
      summary: 'Save the Markdown; send the version you edited (409 if it is stale)',
      tags,
      auth: 'postmortems.write',
      params: idParamsSchema,
      body: updatePostmortemSchema,
      response: postmortemSchema,
      errors: [404, 409],
      handler: async ({ params, body, audit, authorize }) => {
        const pm = await postmortems.get(params.id);
        authorize('postmortems.write', pm.team_id);
        return postmortems.update(audit, params.id, body.markdown, body.version);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/postmortems/:id/submit',
      summary: 'Submit a draft for review',
      tags,
      auth: 'postmortems.write',
      params: idParamsSchema,
      response: postmortemSchema,
      errors: [404, 409],
      handler: async ({ params, audit, authorize }) => {
        const pm = await postmortems.get(params.id);
        authorize('postmortems.write', pm.team_id);
        return postmortems.submit(audit, params.id);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/postmortems/:id/publish',
      summary: 'Publish, notify subscribers and mark the incident reviewed',
      tags,
      auth: 'postmortems.write',
      params: idParamsSchema,
      response: postmortemSchema,
      errors: [404, 409],
      handler: async ({ params, audit, authorize }) => {
        const pm = await postmortems.get(params.id);
        authorize('postmortems.write', pm.team_id);
        return postmortems.publish(audit, params.id);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/postmortems/:id/action-items',
      summary: 'Add a tracked action item (owner and due date required)',
      tags,
      auth: 'postmortems.write',
      params: idParamsSchema,
      body: createActionItemSchema,
      status: 201,
      response: actionItemSchema,
      errors: [400, 404],
      handler: async ({ params, body, audit, authorize }) => {
        const pm = await postmortems.get(params.id);
        authorize('postmortems.write', pm.team_id);
        return postmortems.addItem(audit, params.id, body);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/action-items',
      summary: 'List action items by owner, team, status or overdue',
      tags,
      auth: 'postmortems.read',
      query: actionItemListQuerySchema,
      response: pageSchema(actionItemSchema),
      handler: ({ query }) =>
        postmortems.listItems({
          limit: query.limit,
          cursor: query.cursor,
          ownerId: query.owner_id,
          teamId: query.team_id,
          status: query.status,
          overdue: query.overdue,
        }),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/action-items/:id',
      summary: 'Update an action item: status (wont_do needs a reason), owner, due date, title',
      tags,
      auth: 'postmortems.write',
      params: idParamsSchema,
      body: updateActionItemSchema,
      response: actionItemSchema,
      errors: [400, 404],
      handler: async ({ params, body, audit, authorize }) => {
        const item = await postmortems.getItem(params.id);
        authorize('postmortems.write', item.team_id);
        return postmortems.updateItem(audit, params.id, body);
      },
    }),
  ];
}
