import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.ts';
import { can, type Principal } from '../../platform/access/permissions.ts';
import { AppError } from '../../platform/errors.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { AlertIngest } from './alert-ingest.ts';
import {
  type Normalised,
  normaliseAlertmanager,
  normaliseEventsV2,
  normaliseGeneric,
} from './alert-normalizers.ts';
import type { IncidentsService } from './incidents-service.ts';
import type { IntegrationsService } from './integrations-service.ts';
import type { Paging } from './paging.ts';

export const EVENTS_V2_BODY_LIMIT = 512 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    /** A JSON body's text as received (set only on the ingest routes: index.ts). */
    bodyText?: string;
  }
}

/** `{"status":"success","message":"Event processed","dedup_key":` + the key + `}`. */
const ACCEPTED_PREFIX = '{"status":"success","message":"Event processed","dedup_key":';

const invalidEvent = (reply: FastifyReply, errors: string[], status = 400) =>
  reply.code(status).send({ status: 'invalid event', message: 'Event object is invalid', errors });

/** PagerDuty answers in its own shape, including for bodies it cannot parse or that are too large. */
function eventsV2Error(error: unknown, reply: FastifyReply): FastifyReply | undefined {
  const e = error as { code?: string; statusCode?: number; message?: string };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
    return reply.code(413).send({
      status: 'invalid event',
      message: 'Request entity too large',
      errors: ['Body must be at most 512 KB'],
    });
  }
  if (error instanceof AppError && error.code === 'INCIDENTS_UNKNOWN_INTEGRATION_KEY') {
    return invalidEvent(reply, [
      "'routing_key' does not match any engops integration (copy the key from the service's integrations page)",
    ]);
  }
  if (error instanceof AppError && error.code === 'INCIDENTS_INTEGRATION_DISABLED') {
    return invalidEvent(reply, [
      "'routing_key' belongs to an engops integration that was deleted; it accepts no more events (create a new integration and use its key)",
    ]);
  }
  if (error instanceof AppError && error.code === 'INCIDENTS_WRONG_INTEGRATION_KIND')
    return invalidEvent(reply, [error.message]);
  if (e.code?.startsWith('FST_ERR_CTP') || error instanceof SyntaxError)
    return invalidEvent(reply, ['Body is not valid JSON']);
  return undefined;
}

function htmlPage(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}button{font:inherit;padding:.5rem 1.2rem}</style></head><body>${body}</body></html>`;
}

const escapeHtml = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function ingestRoutes(deps: {
  ingest: AlertIngest;
  integrations: IntegrationsService;
  incidents: IncidentsService;
  paging: Paging;
  catalog: CatalogService;
}): RouteSpec[] {
  const { ingest } = deps;
  const tags = ['ingest'];
  const keyParams = z.strictObject({ key: z.string().min(1).max(200) });
  // A wildcard, not `:token`: signed tokens (~180 characters) exceed the router's 100-character
  // limit for named parameters, which would turn every emailed link into a 400.
  const actionParams = z.strictObject({ '*': z.string().min(10).max(2000) });

  const webhook = (
    kind: 'alertmanager' | 'grafana' | 'generic',
    summary: string,
    normalise: (body: unknown) => Normalised,
  ) =>
    defineRoute({
      method: 'POST',
      url: `/api/v1/integrations/:key/${kind}`,
      summary,
      tags,
      auth: 'public',
      params: keyParams,
      status: 202,
      response: z.object({
        status: z.literal('success'),
        alerts: z.number().int(),
        dedup_keys: z.array(z.string()),
      }),
      errors: [400, 410],
      handler: async ({ params, request }) => {
        const target = await ingest.resolveTarget(params.key, kind);
        const normalised = normalise(request.body);
        if (!normalised.ok) {
          throw new AppError('HTTP_VALIDATION_FAILED', 'The payload is not valid.', {
            errors: normalised.errors.map((message) => ({ path: 'body', message })),
          });
        }
        const results = await ingest.ingest(target, normalised.events, request.body, request.bodyText);
        return {
          status: 'success' as const,
          alerts: results.length,
          dedup_keys: results.map((r) => r.dedupKey),
        };
      },
    });

  return [
    defineRoute({
      method: 'POST',
      url: '/v2/enqueue',
      summary:
        'PagerDuty Events API v2 compatible: trigger, acknowledge or resolve an alert (routing_key = integration key)',
      tags,
      auth: 'public',
      status: 202,
      bodyLimit: EVENTS_V2_BODY_LIMIT,
      renderError: eventsV2Error,
      response: z.object({
        status: z.literal('success'),
        message: z.literal('Event processed'),
        dedup_key: z.string(),
      }),
      errors: [400, 413],
      handler: async ({ request, reply }) => {
        const normalised = normaliseEventsV2(request.body);
        if (!normalised.ok) return invalidEvent(reply, normalised.errors);
        const target = await ingest.resolveTarget(normalised.routingKey!, 'events-v2');
        const [result] = await ingest.ingest(target, normalised.events, request.body, request.bodyText);
        // Serialised by hand: the answer's shape never changes, only the key.
        return reply
          .code(202)
          .type('application/json; charset=utf-8')
          .send(`${ACCEPTED_PREFIX}${JSON.stringify(result!.dedupKey)}}`);
      },
    }),
    webhook('alertmanager', 'Prometheus Alertmanager webhook (version 4): one incident per groupKey', (b) =>
      normaliseAlertmanager(b, 'alertmanager'),
    ),
    webhook('grafana', 'Grafana alerting webhook', (b) => normaliseAlertmanager(b, 'grafana')),
    webhook(
      'generic',
      'Generic JSON webhook: {action?, dedup_key?, summary, severity?, source?, details?, links?}',
      normaliseGeneric,
    ),
    defineRoute({
      method: 'POST',
      url: '/api/v1/integrations/:key/heartbeat',
      summary:
        'Heartbeat: a missing heartbeat (interval + grace) opens an incident, the next one resolves it',
      tags,
      auth: 'public',
      params: keyParams,
      status: 202,
      response: z.object({ status: z.literal('success'), state: z.string() }),
      errors: [400, 410],
      handler: async ({ params }) => ({
        status: 'success' as const,
        ...(await deps.integrations.heartbeat(params.key)),
      }),
    }),

    defineRoute({
      method: 'GET',
      url: '/incident-actions/*',
      summary: 'Confirmation page for a signed acknowledge/resolve link from a notification',
      tags,
      auth: 'public',
      hide: true,
      params: actionParams,
      response: null,
      handler: async ({ params, reply }) => {
        const claims = await deps.paging.verifyAction(params['*']);
        if (!claims) throw new AppError('INCIDENTS_ACTION_LINK_INVALID');
        const incident = await deps.incidents.get(claims.incidentId);
        reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
        return reply.send(
          htmlPage(
            `${claims.action} incident #${incident.number}`,
            `<h1>${claims.action === 'acknowledge' ? 'Acknowledge' : 'Resolve'} incident #${incident.number}?</h1>
<p><strong>${escapeHtml(incident.severity)}</strong> ${escapeHtml(incident.title)} (now ${escapeHtml(incident.status)})</p>
<form method="post"><button type="submit">${claims.action === 'acknowledge' ? 'Acknowledge' : 'Resolve'}</button></form>`,
          ),
        );
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/incident-actions/*',
      summary: 'Carry out a signed acknowledge/resolve link as the person it was sent to',
      tags,
      auth: 'public',
      hide: true,
      params: actionParams,
      response: null,
      handler: async ({ params, reply, request }) => {
        const claims = await deps.paging.verifyAction(params['*']);
        if (!claims) throw new AppError('INCIDENTS_ACTION_LINK_INVALID');
        const incident = await deps.incidents.get(claims.incidentId);
        const grants = await deps.catalog.grantsOf(claims.userId);
        if (!grants || grants.disabled)
          throw new AppError('AUTH_FORBIDDEN', 'This link belongs to a person who can no longer act.');
        const principal: Principal = {
          kind: 'user',
          id: claims.userId,
          userId: claims.userId,
          name: grants.name,
          orgRole: grants.orgRole,
          teamRoles: grants.teamRoles,
        };
        if (!can(principal, 'incidents.respond', incident.team_id)) throw new AppError('AUTH_FORBIDDEN');
        let message: string;
        try {
          const after = await deps.incidents.act(
            { principal, requestId: request.id },
            incident.id,
            claims.action,
          );
          message = `Incident #${after.number} is now ${after.status}.`;
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== 'INCIDENTS_INVALID_TRANSITION') throw error;
          message = `Nothing to do: incident #${incident.number} is already ${incident.status}.`;
        }
        reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
        return reply.send(
          htmlPage(
            'Done',
            `<h1>${escapeHtml(message)}</h1><p><a href="/incidents/${incident.id}">Open the incident</a></p>`,
          ),
        );
      },
    }),
  ];
}
