import {
  createdTokenSchema,
  createTokenSchema,
  idParamsSchema,
  loginSchema,
  pageQuerySchema,
  pageSchema,
  setupSchema,
  tokenSchema,
  userSchema,
} from '@engops/contracts';
import { z } from 'zod';
import { clearSessionCookie, readCookie, SESSION_COOKIE, setSessionCookie } from '../../http/auth.ts';
import { defineRoute, type RouteSpec } from '../../http/route.ts';
import { type AccessService, SESSION_TTL_SECONDS } from './access-service.ts';

const sessionSchema = z.object({
  user: userSchema,
  csrf_token: z.string(),
  permissions: z.array(z.string()),
});

export function accessRoutes(access: AccessService, options: { secureCookies: boolean }): RouteSpec[] {
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
      summary: 'Create an API token; the secret is shown once',
      tags,
      auth: 'tokens.manage',
      body: createTokenSchema,
      status: 201,
      response: createdTokenSchema,
      errors: [404],
      handler: ({ body, audit }) => access.createToken(audit, body),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/tokens/:id',
      summary: 'Revoke an API token',
      tags,
      auth: 'tokens.manage',
      params: idParamsSchema,
      response: tokenSchema,
      errors: [404],
      handler: ({ params, audit }) => access.revokeToken(audit, params.id),
    }),
  ];
}
