import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.ts';
import { AppError } from '../../platform/errors.ts';
import type { FlagsService, SdkPrincipal } from './flags-service.ts';
import { evaluateOfrep, OFREP_STATUS, type OfrepFailure, toUnleashContext } from './ofrep.ts';
import type { FlagContext } from './types.ts';

/**
 * What SDKs call: the Unleash client API (/api/client), the Unleash frontend API (/api/frontend)
 * and OFREP (/ofrep/v1). They authenticate with SDK tokens (raw or `Bearer`), not API tokens, so
 * the routes are public and check the token themselves.
 */
export function sdkRoutes(flags: FlagsService, isShuttingDown: () => boolean = () => false): RouteSpec[] {
  const tags = ['flags-sdk'];

  async function sdkAuth(request: FastifyRequest, types: Array<SdkPrincipal['type']>): Promise<SdkPrincipal> {
    const header = request.headers.authorization ?? (request.headers['x-api-key'] as string | undefined);
    const principal = await flags.authenticateSdk(header);
    if (!principal || !types.includes(principal.type))
      throw new AppError(
        'FLAGS_SDK_TOKEN_INVALID',
        `Send a ${types.join(' or ')} SDK token in Authorization.`,
      );
    return principal;
  }

  /** True (and a 304 sent) when the caller already holds this ETag. */
  function notModified(request: FastifyRequest, reply: FastifyReply, etag: string): boolean {
    reply.header('etag', etag);
    reply.header('cache-control', 'no-cache');
    const sent = request.headers['if-none-match'];
    if (sent?.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
      reply.code(304).send();
      return true;
    }
    return false;
  }

  const ofrepError = (reply: FastifyReply, failure: OfrepFailure) =>
    reply.code(OFREP_STATUS[failure.errorCode]).send(failure);

  /** OFREP answers errors in its own shape: a malformed body is PARSE_ERROR, bad auth 401. */
  const renderOfrepError = (key: string) => (error: unknown, reply: FastifyReply) => {
    if (error instanceof AppError && error.code === 'FLAGS_SDK_TOKEN_INVALID') return reply.code(401).send();
    const e = error as { statusCode?: number; code?: string; message?: string };
    if (
      e.statusCode === 400 ||
      e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
    )
      return reply
        .code(400)
        .send({ key, errorCode: 'PARSE_ERROR', errorDetails: e.message ?? 'malformed body' });
    return undefined;
  };

  function contextFromBody(body: unknown): FlagContext | string {
    if (body === undefined || body === null) return {};
    if (typeof body !== 'object' || Array.isArray(body)) return 'the body must be an object';
    return toUnleashContext((body as { context?: unknown }).context);
  }

  function frontendContext(request: FastifyRequest, query: Record<string, unknown>): FlagContext {
    const context: FlagContext = { remoteAddress: request.ip };
    const properties: Record<string, string> = {};
    for (const [key, raw] of Object.entries(query)) {
      const value = Array.isArray(raw) ? raw[0] : raw;
      if (typeof value !== 'string') continue;
      const prop = /^properties\[(.+)\]$/.exec(key);
      if (prop?.[1]) properties[prop[1]] = value;
      else if (
        ['userId', 'sessionId', 'remoteAddress', 'environment', 'appName', 'currentTime'].includes(key)
      )
        context[key] = value;
      else properties[key] = value;
    }
    context.properties = properties;
    return context;
  }

  return [
    defineRoute({
      method: 'GET',
      url: '/api/client/features',
      summary: 'Unleash client API: every flag of the token environment (ETag / If-None-Match)',
      tags,
      auth: 'public',
      response: null,
      errors: [401],
      handler: async ({ request, reply }) => {
        const principal = await sdkAuth(request, ['client']);
        const snapshot = await flags.snapshot(principal.environment);
        if (notModified(request, reply, snapshot.etag)) return reply;
        return reply.code(200).send(snapshot.document);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/client/streaming',
      summary:
        'Unleash client streaming (server-sent events): unleash-connected with every flag, then unleash-updated on each change',
      tags,
      auth: 'public',
      response: null,
      errors: [401],
      handler: async ({ request, reply }) => {
        const principal = await sdkAuth(request, ['client']);
        const environment = principal.environment;
        let first = await flags.snapshot(environment);
        reply.hijack();
        const out = reply.raw;
        out.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        let sent = 0;
        const send = (event: 'unleash-connected' | 'unleash-updated', snapshot: typeof first) => {
          if (snapshot.revision <= sent) return;
          sent = snapshot.revision;
          const events = [
            {
              type: 'hydration',
              eventId: snapshot.revision,
              features: snapshot.document.features,
              segments: snapshot.document.segments ?? [],
            },
          ];
          out.write(`event: ${event}\nid: ${snapshot.revision}\ndata: ${JSON.stringify({ events })}\n\n`);
        };
        send('unleash-connected', first);
        let closed = false;
        const unwatch = await flags.watch(environment, () => {
          void flags
            .snapshot(environment)
            .then((snapshot) => {
              if (!closed) send('unleash-updated', snapshot);
            })
            .catch(() => undefined);
        });
        // A change between the first snapshot and the watch: send it now.
        first = await flags.snapshot(environment);
        send('unleash-updated', first);
        // A comment every 15 s keeps proxies from closing the stream; a shutdown ends it.
        let ticks = 0;
        const ping = setInterval(() => {
          if (isShuttingDown()) {
            out.end();
            return;
          }
          if (++ticks % 15 === 0) out.write(': ping\n\n');
        }, 1000);
        ping.unref?.();
        const close = () => {
          if (closed) return;
          closed = true;
          clearInterval(ping);
          unwatch();
        };
        request.raw.on('close', close);
        out.on('close', close);
        return reply;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/client/register',
      summary: 'Unleash client API: an SDK instance registers',
      tags,
      auth: 'public',
      status: 202,
      response: null,
      errors: [401],
      handler: async ({ request }) => {
        const principal = await sdkAuth(request, ['client']);
        await flags.registerClient(principal.environment, (request.body ?? {}) as Record<string, unknown>);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/client/metrics',
      summary: 'Unleash client API: yes/no and variant counts per flag (kept per hour)',
      tags,
      auth: 'public',
      status: 202,
      response: null,
      errors: [401],
      handler: async ({ request }) => {
        const principal = await sdkAuth(request, ['client']);
        await flags.recordMetrics(principal.environment, (request.body ?? {}) as Record<string, unknown>);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/frontend',
      summary: 'Unleash frontend API: the flags enabled for a context given as query parameters',
      tags,
      auth: 'public',
      response: null,
      errors: [401],
      handler: async ({ request, reply }) => {
        const principal = await sdkAuth(request, ['frontend', 'client']);
        const snapshot = await flags.snapshot(principal.environment);
        const context = frontendContext(request, request.query as Record<string, unknown>);
        const toggles = [];
        for (const name of snapshot.engine.names()) {
          const evaluation = snapshot.engine.evaluate(name, context);
          if (!evaluation) continue;
          flags.countServed(
            principal.environment,
            'frontend',
            name,
            evaluation.enabled,
            evaluation.variant.enabled ? evaluation.variant.name : undefined,
          );
          if (!evaluation.enabled) continue;
          toggles.push({
            name,
            enabled: true,
            variant: evaluation.variant,
            impressionData: snapshot.engine.feature(name)?.impressionData ?? false,
          });
        }
        const body = { toggles };
        const etag = `"${createHash('sha1').update(JSON.stringify(body)).digest('base64url')}"`;
        if (notModified(request, reply, etag)) return reply;
        return reply.code(200).send(body);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags/:key',
      summary: 'OFREP: evaluate one flag for a context',
      tags,
      auth: 'public',
      params: z.strictObject({ key: z.string().min(1).max(200) }),
      response: null,
      errors: [400, 401, 404],
      renderError: (error, reply) =>
        renderOfrepError(decodeURIComponent(reply.request.url.split('?')[0]?.split('/').pop() ?? ''))(
          error,
          reply,
        ),
      handler: async ({ request, reply, params }) => {
        const principal = await sdkAuth(request, ['client', 'frontend']);
        const context = contextFromBody(request.body);
        if (typeof context === 'string')
          return ofrepError(reply, { key: params.key, errorCode: 'INVALID_CONTEXT', errorDetails: context });
        const snapshot = await flags.snapshot(principal.environment);
        const result = evaluateOfrep(
          snapshot.engine,
          snapshot.types,
          params.key,
          context,
          principal.environment,
        );
        if ('errorCode' in result) return ofrepError(reply, result);
        // evaluateOfrep names the variant, or on/off for a flag without variants.
        const on = result.variant !== 'off';
        const variant = result.variant === 'on' || result.variant === 'off' ? undefined : result.variant;
        flags.countServed(principal.environment, 'ofrep', params.key, on, variant);
        return reply.code(200).send(result);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags',
      summary: 'OFREP: evaluate every flag for a context (ETag / If-None-Match)',
      tags,
      auth: 'public',
      response: null,
      errors: [400, 401],
      renderError: (error, reply) => {
        if (error instanceof AppError && error.code === 'FLAGS_SDK_TOKEN_INVALID')
          return reply.code(401).send();
        const e = error as { statusCode?: number; message?: string };
        if (e.statusCode === 400)
          return reply
            .code(400)
            .send({ errorCode: 'PARSE_ERROR', errorDetails: e.message ?? 'malformed body' });
        return undefined;
      },
      handler: async ({ request, reply }) => {
        const principal = await sdkAuth(request, ['client', 'frontend']);
        const context = contextFromBody(request.body);
        if (typeof context === 'string')
          return reply.code(400).send({ errorCode: 'INVALID_CONTEXT', errorDetails: context });
        const snapshot = await flags.snapshot(principal.environment);
        const { json, tag } = snapshot.ofrepBulk(context);
        const etag = `"${principal.environment}-${snapshot.revision}-${tag}"`;
        if (notModified(request, reply, etag)) return reply;
        return reply.code(200).type('application/json; charset=utf-8').send(json);
      },
    }),
  ];
}
