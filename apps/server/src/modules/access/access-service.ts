import { createHash, randomBytes } from 'node:crypto';
import type { Role, User } from '@engops/contracts';
import type { Db } from '../../db/database.ts';
import type { Authenticator } from '../../http/auth.ts';
import { dummyHash, verifyPassword } from '../../platform/access/passwords.ts';
import {
  can,
  PERMISSIONS,
  type Permission,
  type Principal,
  systemPrincipal,
} from '../../platform/access/permissions.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError, isUniqueViolation } from '../../platform/errors.ts';
import { newId, newSecret } from '../../platform/ids.ts';
import { type Page, type PageQuery, pageById } from '../../platform/pagination.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { AccessRepository, TokenRow } from './kysely-access-repository.ts';
import { createRateLimiter } from './rate-limiter.ts';

export const TOKEN_CACHE_MS = 1_000;
export const SESSION_TTL_SECONDS = 7 * 24 * 3600;
const TOUCH_EVERY_MS = 60_000;
/** Login attempts allowed per window, per client address and per account (email). */
export const LOGIN_LIMIT_PER_IP = 30;
export const LOGIN_LIMIT_PER_EMAIL = 10;
export const LOGIN_WINDOW_MS = 5 * 60_000;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export interface TokenView {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  team_id: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_by: string | null;
  created_at: string;
}

function tokenView(row: TokenRow): TokenView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role as Role,
    team_id: row.team_id,
    expires_at: row.expires_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
    created_by: row.created_by,
    created_at: row.created_at,
  };
}

export function permissionsOf(principal: Principal): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((p) => can(principal, p));
}

export function createAccessService(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  repo: AccessRepository;
  catalog: CatalogService;
}) {
  const { db, clock, audit, repo, catalog } = deps;
  const lastTouched = new Map<string, number>();
  const clockMs = () => clock.now().getTime();
  const loginByIp = createRateLimiter({ limit: LOGIN_LIMIT_PER_IP, windowMs: LOGIN_WINDOW_MS, now: clockMs });
  const loginByEmail = createRateLimiter({
    limit: LOGIN_LIMIT_PER_EMAIL,
    windowMs: LOGIN_WINDOW_MS,
    now: clockMs,
  });

  /**
   * Records last use (of a token or session) at most once a minute per credential. Awaited, so a
   * response that used a credential is never observed before its last-use time; a failed write
   * does not fail the request.
   */
  async function touch(key: string, write: () => Promise<unknown>): Promise<void> {
    const t = clockMs();
    if (t - (lastTouched.get(key) ?? Number.NEGATIVE_INFINITY) < TOUCH_EVERY_MS) return;
    if (lastTouched.size > 10_000) {
      for (const [k, at] of lastTouched) if (t - at >= TOUCH_EVERY_MS) lastTouched.delete(k);
    }
    lastTouched.set(key, t);
    try {
      await write();
    } catch {
      lastTouched.delete(key);
    }
  }

  async function userPrincipal(userId: string, extra: Partial<Principal> = {}): Promise<Principal | null> {
    const grants = await catalog.grantsOf(userId);
    if (!grants || grants.disabled) return null;
    return {
      kind: 'user',
      id: userId,
      userId,
      name: grants.name,
      orgRole: grants.orgRole,
      teamRoles: grants.teamRoles,
      ...extra,
    };
  }

  async function createSession(userId: string): Promise<{ sessionToken: string; csrfToken: string }> {
    const sessionToken = newSecret('', 32);
    const csrfToken = randomBytes(24).toString('base64url');
    const at = clock.now();
    await repo.insertSession(db, {
      id: newId('ses'),
      token_hash: hashSecret(sessionToken),
      user_id: userId,
      csrf_token: csrfToken,
      expires_at: new Date(at.getTime() + SESSION_TTL_SECONDS * 1000).toISOString(),
      created_at: at.toISOString(),
      last_seen_at: at.toISOString(),
    });
    return { sessionToken, csrfToken };
  }

  /**
   * Token rows are read on every API call; keep each for a second (real time) so a busy client
   * costs one lookup a second. Revoking a token, or disabling or re-enabling the user who created
   * it, in this process drops the entry at once; another server process sees the change within
   * TOKEN_CACHE_MS. Expiry is checked on every call.
   */
  type CachedToken = { row: TokenRow; creatorDisabled: boolean } | undefined;
  const tokenCache = new Map<string, { entry: CachedToken; until: number }>();
  async function tokenRow(hash: string): Promise<CachedToken> {
    const hit = tokenCache.get(hash);
    const t = Date.now();
    if (hit && hit.until > t) return hit.entry;
    const entry = await repo.tokenWithCreatorByHash(db, hash);
    if (tokenCache.size >= 10_000) tokenCache.clear();
    tokenCache.set(hash, { entry, until: t + TOKEN_CACHE_MS });
    return entry;
  }
  const forgetTokens = (match: (row: TokenRow) => boolean) => {
    for (const [hash, { entry }] of tokenCache) if (!entry || match(entry.row)) tokenCache.delete(hash);
  };
  const forgetToken = (id: string) => forgetTokens((row) => row.id === id);

  /**
   * A user disabled: their sessions end and the tokens they created stop (re-enabling brings the
   * tokens back, not the sessions). A password changed: the person's other sessions end (their own
   * current one stays when they changed it themselves); an admin's reset ends all of them.
   */
  catalog.onUserUpdate(async (tx, ctx, { before, after, passwordChanged }) => {
    const self = ctx.principal.kind === 'user' && ctx.principal.userId === after.id;
    if (after.disabled && !before.disabled) {
      await repo.deleteSessionsOfUser(tx, after.id);
    } else if (passwordChanged) {
      await repo.deleteSessionsOfUser(tx, after.id, self ? ctx.principal.csrfToken : undefined);
    }
    if (after.disabled === before.disabled) return undefined;
    const drop = () => forgetTokens((row) => row.created_by === after.id);
    drop();
    return drop;
  });

  const authenticator: Authenticator = {
    async fromBearer(token) {
      const found = await tokenRow(hashSecret(token));
      const now = clock.now();
      if (!found) return new AppError('AUTH_INVALID_TOKEN', 'The bearer token is not known.');
      const { row } = found;
      if (row.revoked_at) return new AppError('AUTH_INVALID_TOKEN', 'The bearer token was revoked.');
      if (found.creatorDisabled)
        return new AppError('AUTH_INVALID_TOKEN', 'The user who created the bearer token is disabled.');
      if (row.expires_at && row.expires_at <= now.toISOString())
        return new AppError('AUTH_INVALID_TOKEN', 'The bearer token has expired.');
      await touch(row.id, () => repo.touchToken(db, row.id, now.toISOString()));
      const role = row.role as Role;
      return {
        kind: 'token',
        id: row.id,
        name: `token:${row.name}`,
        userId: row.created_by,
        orgRole: row.team_id ? null : role,
        teamRoles: row.team_id ? new Map([[row.team_id, role]]) : new Map(),
      };
    },
    async fromSession(sessionToken) {
      const row = await repo.sessionByHash(db, hashSecret(sessionToken));
      const now = clock.now();
      if (!row || row.expires_at <= now.toISOString()) return null;
      await touch(row.id, () => repo.touchSession(db, row.id, now.toISOString()));
      return userPrincipal(row.user_id, { csrfToken: row.csrf_token });
    },
  };

  return {
    authenticator,
    permissionsOf,

    async setupRequired(): Promise<boolean> {
      return !(await repo.setupDone(db)) && (await catalog.countUsers()) === 0;
    },

    /** One-time creation of the first administrator; returns a logged-in session. */
    async setup(input: { email: string; name: string; password: string; time_zone: string }) {
      if ((await catalog.countUsers()) > 0) throw new AppError('SETUP_ALREADY_DONE');
      const user = await db.transaction().execute(async (tx) => {
        if (!(await repo.claimSetup(tx, clock.now().toISOString()))) throw new AppError('SETUP_ALREADY_DONE');
        return catalog.createUser({ principal: systemPrincipal }, { ...input, role: 'admin' }, tx);
      });
      return { user, ...(await createSession(user.id)) };
    },

    async login(email: string, password: string, ip: string) {
      const wait = Math.max(loginByIp.hit(ip), loginByEmail.hit(email.toLowerCase()));
      if (wait > 0) {
        throw new AppError('AUTH_RATE_LIMITED', `Too many login attempts; retry in ${wait} s.`, {
          headers: { 'retry-after': String(wait) },
        });
      }
      const creds = await catalog.credentialsOf(email);
      const ok = await verifyPassword(password, creds?.passwordHash ?? (await dummyHash()));
      if (!creds?.passwordHash || !ok || creds.disabled) throw new AppError('AUTH_INVALID_CREDENTIALS');
      loginByEmail.reset(email.toLowerCase());
      const session = await createSession(creds.id);
      const user = await catalog.getUser(creds.id);
      await db.transaction().execute((tx) =>
        audit.record(
          tx,
          { principal: { ...systemPrincipal, kind: 'user', id: user.id, name: user.name, userId: user.id } },
          {
            action: 'auth.login',
            targetType: 'user',
            targetId: user.id,
          },
        ),
      );
      return { user, ...session };
    },

    async logout(sessionToken: string): Promise<void> {
      await repo.deleteSession(db, hashSecret(sessionToken));
    },

    async sessionUser(principal: Principal): Promise<User | undefined> {
      return principal.userId ? catalog.getUser(principal.userId) : undefined;
    },

    async listTokens(page: PageQuery & { include_revoked?: boolean }): Promise<Page<TokenView>> {
      const result = await pageById(page, (after, limit) =>
        repo.listTokens(db, after, limit, page.include_revoked ?? false),
      );
      return { items: result.items.map(tokenView), next_cursor: result.next_cursor };
    },

    async createToken(
      ctx: AuditContext,
      input: { name: string; role: Role; team_id?: string | undefined; expires_at?: string | undefined },
      secret?: string,
    ): Promise<TokenView & { token: string }> {
      if (input.team_id) {
        if (input.role === 'admin') {
          throw new AppError('HTTP_VALIDATION_FAILED', 'A team-scoped token cannot be admin.', {
            errors: [{ path: 'body.role', message: 'team-scoped tokens are viewer, responder or manager' }],
          });
        }
        if (!(await catalog.findTeam(input.team_id))) throw new AppError('CATALOG_TEAM_NOT_FOUND');
      }
      if (input.expires_at && new Date(input.expires_at).getTime() <= clock.now().getTime()) {
        throw new AppError('HTTP_VALIDATION_FAILED', 'A token cannot expire in the past.', {
          errors: [{ path: 'body.expires_at', message: 'must be in the future' }],
        });
      }
      const token = secret ?? newSecret('eo_', 32);
      const row: TokenRow = {
        id: newId('tok'),
        name: input.name,
        token_hash: hashSecret(token),
        // The prefix identifies generated tokens in lists and the audit log; an operator's own
        // secret (ENGOPS_ADMIN_TOKEN) shows none of its characters.
        prefix: secret === undefined ? token.slice(0, 8) : '',
        role: input.role,
        team_id: input.team_id ?? null,
        expires_at: input.expires_at ? new Date(input.expires_at).toISOString() : null,
        last_used_at: null,
        revoked_at: null,
        created_by: ctx.principal.userId,
        created_at: clock.now().toISOString(),
      };
      await db.transaction().execute(async (tx) => {
        await repo.insertToken(tx, row);
        await audit.record(tx, ctx, {
          action: 'token.create',
          targetType: 'token',
          targetId: row.id,
          teamId: row.team_id,
          after: tokenView(row),
        });
      });
      tokenCache.delete(row.token_hash);
      return { ...tokenView(row), token };
    },

    async revokeToken(ctx: AuditContext, id: string): Promise<TokenView> {
      return db.transaction().execute(async (tx) => {
        const before = await repo.tokenById(tx, id);
        if (!before) throw new AppError('TOKENS_NOT_FOUND');
        if (!before.revoked_at) {
          await repo.revokeToken(tx, id, clock.now().toISOString());
          forgetToken(id);
          const after = (await repo.tokenById(tx, id))!;
          await audit.record(tx, ctx, {
            action: 'token.revoke',
            targetType: 'token',
            targetId: id,
            before: tokenView(before),
            after: tokenView(after),
          });
          return tokenView(after);
        }
        return tokenView(before);
      });
    },

    /**
     * ENGOPS_ADMIN_TOKEN: make sure an org-wide admin token with exactly this secret exists. A token
     * an admin revoked stays revoked (reported, not silently restored).
     */
    async ensureAdminToken(secret: string): Promise<'created' | 'exists' | 'revoked'> {
      const existing = await repo.tokenByHash(db, hashSecret(secret));
      if (existing) return existing.revoked_at ? 'revoked' : 'exists';
      try {
        await this.createToken(
          { principal: systemPrincipal },
          { name: 'ENGOPS_ADMIN_TOKEN', role: 'admin' },
          secret,
        );
        return 'created';
      } catch (error) {
        if (isUniqueViolation(error)) return 'exists';
        throw error;
      }
    },

    purgeExpiredSessions: () => repo.deleteExpiredSessions(db, clock.now().toISOString()),
  };
}

export type AccessService = ReturnType<typeof createAccessService>;
