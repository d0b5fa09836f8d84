import { ERROR_CATALOGUE } from '@engops/contracts';
import { z } from 'zod';
import { PERMISSIONS } from '../platform/access/permissions.ts';
import type { RouteSpec } from './route.ts';

type JsonSchema = Record<string, unknown>;

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function pathParams(url: string): string[] {
  return [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
}

const problemSchema: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: Object.keys(ERROR_CATALOGUE) },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
    request_id: { type: 'string' },
  },
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request (problem+json lists the fields at fault)',
  401: 'Not authenticated',
  403: 'Not permitted',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body too large',
  429: 'Rate limited',
};

/** OpenAPI 3.1 of every declared route, generated from the same schemas that validate requests. */
export function buildOpenApi(routes: RouteSpec[], version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    if (route.hide) continue;
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const parameters: unknown[] = pathParams(route.url).map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (route.query) {
      const q = toSchema(route.query, 'input') as {
        properties?: Record<string, unknown>;
        required?: string[];
      };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
      }
    }
    const status = String(route.status ?? 200);
    const responses: Record<string, unknown> = {
      [status]: route.response
        ? {
            description: 'Success',
            content: { 'application/json': { schema: toSchema(route.response, 'output') } },
          }
        : { description: 'Success (no body)' },
    };
    const errorStatuses = new Set<number>(route.errors ?? []);
    if (route.body || route.query || route.params) errorStatuses.add(400);
    if (route.auth !== 'public') {
      errorStatuses.add(401);
      if (route.auth !== 'authenticated') errorStatuses.add(403);
    }
    for (const s of [...errorStatuses].sort()) {
      responses[String(s)] = {
        description: STATUS_TEXT[s] ?? 'Error',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
    const permission = route.auth in PERMISSIONS ? route.auth : undefined;
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      summary: route.summary,
      tags: route.tags,
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: toSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses,
      ...(route.auth === 'public' ? { security: [] } : {}),
      ...(permission
        ? { 'x-permission': permission, description: `Requires the \`${permission}\` permission.` }
        : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'engops API',
      version,
      description:
        'Engineering operations: catalog, incidents, on-call, postmortems, DORA, workflow, releases, flags, security.',
    },
    servers: [{ url: '/' }],
    security: [{ bearerAuth: [] }, { sessionCookie: [] }],
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token (engops token create).' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'engops_session' },
      },
      schemas: { Problem: problemSchema },
    },
    paths,
  };
}
