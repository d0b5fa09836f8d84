import {
  createdSdkTokenSchema,
  createdTokenSchema,
  createSdkTokenSchema,
  createTokenSchema,
  idParamsSchema,
  loginSchema,
  pageQuerySchema,
  pageSchema,
  sdkTokenSchema,
  setupSchema,
  tokenSchema,
  userSchema,
} from '@engops/contracts';
import { z } from 'zod';
import { clearSessionCookie, readCookie, SESSION_COOKIE, setSessionCookie } from '../../http/auth.ts';
import { defineRoute, type RouteSpec } from '../../http/route.ts';
import type { AuditContext } from '../../platform/audit.ts';
import { AppError } from '../../platform/errors.ts';
import { type AccessService, SESSION_TTL_SECONDS } from './access-service.ts';

/**
 * `POST /api/v1/tokens` takes two bodies: a platform API token `{name, role, team_id?, expires_at?}`,
 * or, with `type: client | frontend`, an SDK token `{name, type, environment}` that reads the flags
 * of one environment (the same as `POST /api/v1/sdk-tokens`). `type` picks the body, so a bad body
 * is reported field by field against the one it meant.
 */
export const createAnyTokenSchema = z
  .discriminatedUnion(
    'type',
    [
      createSdkTokenSchema,
      createTokenSchema.extend({
        type: z.undefined().optional().meta({ not: {}, description: 'Absent for a platform API token.' }),
      }),
    ],
    {
      error: (issue) =>
        issue.code === 'invalid_union'
          ? 'type must be "client" or "frontend" (an SDK token), or absent (a platform API token)'
          : undefined,
    },
  )
  .meta({ type: 'object' });
export const createdAnyTokenSchema = z
  .union([createdTokenSchema, createdSdkTokenSchema])
  .meta({ type: 'object' });

/** Creates SDK tokens (the flags module); provided once the container has built it. */
export interface SdkTokenIssuer {
  createSdkToken(
    ctx: AuditContext,
    input: z.output<typeof createSdkTokenSchema>,
  ): Promise<z.output<typeof createdSdkTokenSchema>>;
  revokeSdkToken(ctx: AuditContext, id: string): Promise<z.output<typeof sdkTokenSchema>>;
}

const sessionSchema = z.object({
  user: userSchema,
  csrf_token: z.string(),
  permissions: z.array(z.string()),
});

export function accessRoutes(
  access: AccessService,
  options: { secureCookies: boolean; sdkTokens?: () => SdkTokenIssuer | undefined },
): RouteSpec[] {
  const tags = ['access'];
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/setup',
      summary: 'Whether the one-time first-admin setup is still open',
      tags,
      auth: 'public',
      response: z.object({ required: z.boolean() }),
      handler: async () => ({ required: await access.setupRequired() }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/setup',
      summary: 'Create the first administrator (once) and log in',
      tags,
      auth: 'public',
      body: setupSchema,
      status: 201,
      response: sessionSchema,
      errors: [409],
      handler: async ({ body, reply }) => {
        const { user, sessionToken, csrfToken } = await access.setup(body);
        setSessionCookie(reply, sessionToken, SESSION_TTL_SECONDS, options.secureCookies);
        return {
          user,
          csrf_token: csrfToken,
          permissions: access.permissionsOf({
            kind: 'user',
            id: user.id,
            userId: user.id,
            name: user.name,
            orgRole: 'admin',
            teamRoles: new Map(),
          }),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/login',
      summary: 'Log in with email and password (sets an HTTP-only session cookie)',
      tags,
      auth: 'public',
      body: loginSchema,
      response: sessionSchema,
      errors: [401, 429],
      handler: async ({ body, reply, request }) => {
        const { user, sessionToken, csrfToken } = await access.login(body.email, body.password, request.ip);
        setSessionCookie(reply, sessionToken, SESSION_TTL_SECONDS, options.secureCookies);
        const teamRoles = new Map(user.teams.map((t) => [t.team_id, t.role] as const));
        return {
          user,
          csrf_token: csrfToken,
          permissions: access.permissionsOf({
            kind: 'user',
            id: user.id,
            userId: user.id,
            name: user.name,
            orgRole: user.role,
            teamRoles,
          }),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/logout',
      summary: 'End the current session',
      tags,
      auth: 'public',
      status: 204,
      response: null,
      handler: async ({ request, reply }) => {
        const session = readCookie(request.headers.cookie, SESSION_COOKIE);
        if (session) await access.logout(session);
        clearSessionCookie(reply, options.secureCookies);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/auth/session',
      summary: 'Who is calling: the user, their CSRF token and permissions',
      tags,
      auth: 'authenticated',
      response: sessionSchema.extend({
        csrf_token: z.string().nullable(),
        user: userSchema.nullable(),
        principal: z.object({ kind: z.string(), id: z.string(), name: z.string() }),
      }),
      handler: async ({ principal }) => ({
        user: (await access.sessionUser(principal)) ?? null,
        csrf_token: principal.csrfToken ?? null,
        permissions: access.permissionsOf(principal),
        principal: { kind: principal.kind, id: principal.id, name: principal.name },
      }),
    }),

    defineRoute({
      method: 'GET',
      url: '/api/v1/tokens',
      summary: 'List API tokens (never their secrets)',
      tags,
      auth: 'tokens.manage',
      query: pageQuerySchema.extend({
        include_revoked: z
          .enum(['true', 'false'])
          .transform((v) => v === 'true')
          .optional(),
      }),
      response: pageSchema(tokenSchema),
      handler: ({ query }) => access.listTokens(query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/tokens',
      summary:
        'Create an API token (needs tokens.manage), or with type client|frontend an SDK token that reads the flags of one environment (needs flags.manage); the secret is shown once',
      tags,
      // The lower of the two permissions; a platform API token is authorised below.
      auth: 'flags.manage',
      body: createAnyTokenSchema,
      status: 201,
      response: createdAnyTokenSchema,
      errors: [404],
      handler: async ({ body, audit, authorize }) => {
        if (body.type === undefined) {
          authorize('tokens.manage');
          const { type: _absent, ...input } = body;
          return access.createToken(audit, input);
        }
        const issuer = options.sdkTokens?.();
        if (!issuer) throw new AppError('HTTP_NOT_FOUND', 'SDK tokens are not available on this server.');
        return issuer.createSdkToken(audit, body);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/tokens/:id',
      summary: 'Revoke an API token (needs tokens.manage) or an SDK token (id sdkt_..., needs flags.manage)',
      tags,
      // The lower of the two permissions; a platform API token is authorised below.
      auth: 'flags.manage',
      params: idParamsSchema,
      response: z.union([tokenSchema, sdkTokenSchema]).meta({ type: 'object' }),
      errors: [404],
      handler: async ({ params, audit, authorize }) => {
        const issuer = options.sdkTokens?.();
        if (issuer && params.id.startsWith('sdkt_')) return issuer.revokeSdkToken(audit, params.id);
        authorize('tokens.manage');
        return access.revokeToken(audit, params.id);
      },
    }),
  ];
}
