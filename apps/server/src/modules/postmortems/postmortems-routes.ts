import {
  actionItemListQuerySchema,
  actionItemSchema,
  createActionItemSchema,
  createLintDismissalSchema,
  dismissalParamsSchema,
  exportActionItemSchema,
  githubTrackerSchema,
  githubTrackerViewSchema,
  idParamsSchema,
  lintDismissalSchema,
  lintRequestSchema,
  lintResponseSchema,
  missingPostmortemsQuerySchema,
  missingPostmortemsSchema,
  pageSchema,
  postmortemLintSchema,
  postmortemListQuerySchema,
  postmortemSchema,
  postmortemSearchQuerySchema,
  postmortemSearchResultSchema,
  postmortemStatsQuerySchema,
  postmortemStatsSchema,
  postmortemSummarySchema,
  renderRequestSchema,
  renderResponseSchema,
  updateActionItemSchema,
  updatePostmortemSchema,
} from '@engops/contracts';
import { defineRoute, type RouteSpec } from '../../http/route.ts';
import type { Principal } from '../../platform/access/permissions.ts';
import { AppError } from '../../platform/errors.ts';
import type { IncidentsService } from '../incidents/index.ts';
import { renderMarkdown } from './markdown-render.ts';
import type { PostmortemsService } from './postmortems-service.ts';

const tags = ['postmortems'];

/**
 * Whose drafts a principal may see in lists and searches: every team's with an org-wide role,
 * else those of the teams it has a role in (published postmortems are everyone's).
 */
function draftTeamsOf(principal: Principal): string[] | undefined {
  return principal.orgRole ? undefined : [...principal.teamRoles.keys()];
}

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
      handler: ({ query, principal }) =>
        postmortems.list({
          limit: query.limit,
          cursor: query.cursor,
          teamId: query.team_id,
          incidentId: query.incident_id,
          status: query.status,
          overdue: query.overdue,
          q: query.q,
          draftTeams: draftTeamsOf(principal),
        }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/postmortems/search',
      summary:
        'Full-text search over title and body, best match first, with snippets (web-search syntax: words, "phrase", or, -word)',
      tags,
      auth: 'postmortems.read',
      query: postmortemSearchQuerySchema,
      response: postmortemSearchResultSchema,
      handler: ({ query, principal }) =>
        postmortems.search(query.q, {
          limit: query.limit,
          cursor: query.cursor,
          teamId: query.team_id,
          status: query.status,
          overdue: query.overdue,
          draftTeams: draftTeamsOf(principal),
        }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/postmortems/settings/github',
      summary: 'Where action items are exported as GitHub issues (the token is never returned)',
      tags,
      auth: 'policy.read',
      response: githubTrackerViewSchema,
      handler: () => postmortems.githubSettings(),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/postmortems/settings/github',
      summary: 'Set the GitHub (or GitHub Enterprise) API URL, token, default repository and labels',
      tags,
      auth: 'policy.write',
      body: githubTrackerSchema,
      response: githubTrackerViewSchema,
      handler: ({ body, audit }) => postmortems.setGithubSettings(audit, body),
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
      errors: [403, 404],
      handler: async ({ body, authorize }) => {
        if (body.postmortem_id) await readable(body.postmortem_id, authorize);
        return { findings: await postmortems.lint(body.markdown, body.dismissed, body.postmortem_id) };
      },
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
      url: '/api/v1/postmortems/:id/lint',
      summary: "Blameless lint of the saved Markdown, the postmortem's dismissals applied",
      tags,
      auth: 'authenticated',
      params: idParamsSchema,
      response: postmortemLintSchema,
      errors: [403, 404],
      handler: async ({ params, authorize }) => {
        await readable(params.id, authorize);
        return postmortems.lintPostmortem(params.id);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/postmortems/:id/lint-dismissals',
      summary: 'Dismiss a lint finding as a false positive; it stays dismissed across edits (200 if it was)',
      tags,
      auth: 'postmortems.write',
      params: idParamsSchema,
      body: createLintDismissalSchema,
      status: 201,
      response: lintDismissalSchema,
      errors: [200, 403, 404],
      handler: async ({ params, body, audit, authorize, reply }) => {
        const pm = await postmortems.get(params.id);
        authorize('postmortems.write', pm.team_id);
        const { dismissal, created } = await postmortems.dismiss(audit, params.id, body);
        if (!created) return reply.code(200).send(dismissal);
        return dismissal;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/postmortems/:id/lint-dismissals/:dismissal_id',
      summary: 'Undo a dismissal: the finding shows again',
      tags,
      auth: 'postmortems.write',
      params: dismissalParamsSchema,
      status: 204,
      response: null,
      errors: [403, 404],
      handler: async ({ params, audit, authorize }) => {
        const pm = await postmortems.get(params.id);
        authorize('postmortems.write', pm.team_id);
        await postmortems.undismiss(audit, params.id, params.dismissal_id);
      },
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
      method: 'GET',
      url: '/api/v1/postmortems/:id/markdown',
      summary: 'The postmortem as a Markdown file (action items showing their live status)',
      tags,
      auth: 'authenticated',
      params: idParamsSchema,
      response: null,
      errors: [403, 404],
      handler: async ({ params, authorize, reply }) => {
        const pm = await readable(params.id, authorize);
        const name =
          pm.title
            .replace(/[^\w.-]+/g, '-')
            .replace(/^-+|-+$/g, '')
            .slice(0, 80) || 'postmortem';
        return reply
          .code(200)
          .header('content-type', 'text/markdown; charset=utf-8')
          .header('content-disposition', `attachment; filename="postmortem-${name}.md"`)
          .header('x-content-type-options', 'nosniff')
          .send(pm.markdown.endsWith('\n') ? pm.markdown : `${pm.markdown}\n`);
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
      handler: ({ query, principal }) => {
        let ownerId = query.owner_id;
        if (ownerId === 'me') {
          if (!principal.userId)
            throw new AppError('HTTP_VALIDATION_FAILED', 'owner_id=me needs a user behind the credentials.', {
              errors: [{ path: 'query.owner_id', message: 'no user behind this token' }],
            });
          ownerId = principal.userId;
        }
        return postmortems.listItems({
          limit: query.limit,
          cursor: query.cursor,
          ownerId,
          teamId: query.team_id,
          status: query.status,
          overdue: query.overdue,
        });
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/action-items/:id/export',
      summary:
        "Export an action item as a GitHub issue (once: again answers 200 with the same issue); 502 with GitHub's answer on failure",
      tags,
      auth: 'postmortems.write',
      params: idParamsSchema,
      body: exportActionItemSchema,
      status: 201,
      response: actionItemSchema,
      errors: [200, 403, 404, 409, 502],
      handler: async ({ params, body, audit, authorize, reply }) => {
        const item = await postmortems.getItem(params.id);
        authorize('postmortems.write', item.team_id);
        const { item: exported, created } = await postmortems.exportItem(audit, params.id, body ?? {});
        if (!created) return reply.code(200).send(exported);
        return exported;
      },
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
