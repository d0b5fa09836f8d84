import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { can, type Permission, type Principal } from '../platform/access/permissions.ts';
import type { AuditContext } from '../platform/audit.ts';
import { AppError, type FieldError } from '../platform/errors.ts';
import { rawJsonOf } from '../platform/raw-json.ts';

/**
 * Routes are declared, not hand-wired: method, path, the permission they need, zod schemas for
 * input and output, and a handler. `registerRoutes` enforces auth and validation the same way for
 * every route, and `buildOpenApi` documents them from the same declarations.
 */
export type RouteAuth = Permission | 'public' | 'authenticated';

export interface RouteContext<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  /** Null only on public routes. */
  principal: Principal;
  request: FastifyRequest;
  reply: FastifyReply;
  /** The audit context of this request (who, which request). */
  audit: AuditContext;
  /** Throws 403 unless the caller holds `permission` (on `teamId`, for team-scoped permissions). */
  authorize(permission: Permission, teamId?: string | null): void;
}

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<
  B extends Schema | undefined = Schema | undefined,
  Q extends Schema | undefined = Schema | undefined,
  P extends Schema | undefined = Schema | undefined,
> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  summary: string;
  tags: string[];
  auth: RouteAuth;
  body?: B;
  query?: Q;
  params?: P;
  /** Success status (default 200) and the schema of its body (null for an empty body). */
  status?: number;
  response: Schema | null;
  /** Other documented statuses and their error codes. */
  errors?: number[];
  /** Leave the route out of /openapi.json (it is still served and enforced). */
  hide?: boolean;
  /** A body limit for this route, in bytes (default: ENGOPS_BODY_LIMIT_BYTES). */
  bodyLimit?: number;
  /**
   * Compatibility routes that must answer in another API's error format (PagerDuty's) render
   * their own errors: return a reply to take over, or undefined for problem+json.
   */
  renderError?: (error: unknown, reply: FastifyReply) => FastifyReply | undefined;
  handler(ctx: RouteContext<Out<B>, Out<Q>, Out<P>>): Promise<unknown>;
}

export function defineRoute<
  B extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  P extends Schema | undefined = undefined,
>(spec: RouteSpec<B, Q, P>): RouteSpec {
  return spec as unknown as RouteSpec;
}

export function zodErrors(where: string, error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const base = [where, ...issue.path.map(String)].join('.');
    if (keys.length > 0)
      return {
        path: `${base}.${keys.join(',')}`,
        message: `unknown field${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}`,
      };
    return { path: base, message: issue.message };
  });
}

function parse(
  where: 'body' | 'query' | 'params',
  schema: Schema | undefined,
  value: unknown,
  errors: FieldError[],
): unknown {
  if (!schema) return undefined;
  const input = where === 'body' && value === undefined ? {} : value;
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  errors.push(...zodErrors(where, result.error));
  return undefined;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Compares two secrets in time independent of where they differ. */
function sameSecret(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(sent), digest(expected));
}

/** `application/json` with optional parameters (Fastify parses only these as JSON). */
function isJson(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/** By HTTP server, which an app and the scopes registered in it share. */
const declared = new WeakMap<object, RouteSpec[]>();

/**
 * Every route registered through `registerRoutes` on `app` or a scope within it, in registration
 * order.
 */
export function registeredRoutes(app: FastifyInstance): readonly RouteSpec[] {
  return declared.get(app.server) ?? [];
}

export function registerRoutes(app: FastifyInstance, routes: RouteSpec[], registry: RouteSpec[]): void {
  const all = declared.get(app.server) ?? [];
  declared.set(app.server, all);
  for (const route of routes) {
    registry.push(route);
    all.push(route);
    app.route({
      method: route.method,
      url: route.url,
      ...(route.bodyLimit ? { bodyLimit: route.bodyLimit } : {}),
      ...(route.renderError
        ? {
            errorHandler: (error, _request, reply) => {
              const rendered = route.renderError?.(error, reply);
              if (rendered) return rendered;
              throw error;
            },
          }
        : {}),
      handler: async (request, reply) => {
        const principal = request.principal;
        if (route.auth !== 'public') {
          if (!principal) throw request.authError ?? new AppError('AUTH_UNAUTHENTICATED');
          if (route.auth !== 'authenticated' && !can(principal, route.auth)) {
            throw new AppError('AUTH_FORBIDDEN', `This action needs the ${route.auth} permission.`);
          }
          if (MUTATING.has(route.method) && principal.csrfToken !== undefined) {
            if (!sameSecret(request.headers['x-csrf-token'], principal.csrfToken))
              throw new AppError('AUTH_CSRF_FAILED');
          }
        }
        // Fastify also parses text/plain; a route that takes a JSON body accepts JSON only.
        if (route.body && request.body !== undefined && !isJson(request.headers['content-type'])) {
          throw new AppError('HTTP_UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json.', {
            errors: [
              { path: 'body', message: `content type ${request.headers['content-type']} is not JSON` },
            ],
          });
        }
        const errors: FieldError[] = [];
        const params = parse('params', route.params, request.params, errors);
        const query = parse('query', route.query, request.query, errors);
        const body = parse('body', route.body, request.body, errors);
        if (errors.length > 0)
          throw new AppError('HTTP_VALIDATION_FAILED', 'The request has invalid fields.', { errors });
        const audit: AuditContext = { principal: principal as Principal, requestId: request.id };
        const result = await route.handler({
          body,
          query,
          params,
          principal: principal as Principal,
          request,
          reply,
          audit,
          authorize(permission, teamId) {
            if (!principal || !can(principal, permission, teamId)) {
              throw new AppError(
                'AUTH_FORBIDDEN',
                `This action needs the ${permission} permission${teamId ? ` on team ${teamId}` : ''}.`,
              );
            }
          },
        });
        if (reply.sent) return reply;
        reply.code(route.status ?? 200);
        if (route.response === null || result === undefined) return reply.send();
        const raw = rawJsonOf(result);
        if (raw !== undefined) return reply.type('application/json; charset=utf-8').send(raw);
        return reply.send(result);
      },
    });
  }
}
