import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Principal } from '../platform/access/permissions.ts';
import type { AppError } from '../platform/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** Why a credential that was sent did not authenticate (unknown, revoked, expired). */
    authError: AppError | null;
  }
}

export const SESSION_COOKIE = 'engops_session';

export interface Authenticator {
  fromBearer(token: string): Promise<Principal | AppError>;
  fromSession(sessionToken: string): Promise<Principal | null>;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function setSessionCookie(
  reply: FastifyReply,
  value: string,
  maxAgeSeconds: number,
  secure: boolean,
): void {
  const attrs = [
    `${SESSION_COOKIE}=${encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${maxAgeSeconds}`,
  ];
  if (secure) attrs.push('Secure');
  reply.header('set-cookie', attrs.join('; '));
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  setSessionCookie(reply, '', 0, secure);
}

/** Resolves the caller of every /api request: a bearer token first, else the session cookie. */
export function registerAuth(app: FastifyInstance, auth: Authenticator): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('authError', null);
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/')) return;
    const header = request.headers.authorization;
    if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match?.[1]) return;
      const result = await auth.fromBearer(match[1]);
      if (result instanceof Error) request.authError = result;
      else request.principal = result;
      return;
    }
    const session = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (session) request.principal = await auth.fromSession(session);
  });
}
