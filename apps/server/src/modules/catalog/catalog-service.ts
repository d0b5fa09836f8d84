import type {
  createServiceSchema,
  createTeamSchema,
  createUserSchema,
  Role,
  Service,
  Team,
  User,
  updateServiceSchema,
  updateTeamSchema,
  updateUserSchema,
} from '@engops/contracts';
import type { z } from 'zod';
import type { Db } from '../../db/database.ts';
import { hashPassword, verifyPassword } from '../../platform/access/passwords.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError, isUniqueViolation } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { type Page, type PageQuery, pageById } from '../../platform/pagination.ts';
import { withRawJson } from '../../platform/raw-json.ts';
import type { CatalogRepository, ServiceRow, TeamRow, UserRow } from './kysely-catalog-repository.ts';

export type CreateTeam = z.output<typeof createTeamSchema>;
export type UpdateTeam = z.output<typeof updateTeamSchema>;
export type CreateUser = z.output<typeof createUserSchema>;
export type UpdateUser = z.output<typeof updateUserSchema>;
export type CreateService = z.output<typeof createServiceSchema>;
export type UpdateService = z.output<typeof updateServiceSchema>;

export interface UserGrants {
  name: string;
  orgRole: Role | null;
  teamRoles: Map<string, Role>;
  disabled: boolean;
}

function teamView(row: TeamRow): Team {
  return {
    id: row.id,
    name: row.name,
    time_zone: row.time_zone,
    description: row.description,
    member_count: row.member_count,
    service_count: row.service_count,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function userView(row: UserRow, teams: Array<{ team_id: string; role: string }>): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    time_zone: row.time_zone,
    role: row.role as Role | null,
    disabled: row.disabled === 1,
    has_password: row.password_hash !== null,
    teams: teams.map((t) => ({ team_id: t.team_id, role: t.role as 'viewer' | 'responder' | 'manager' })),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function serviceView(row: ServiceRow): Service {
  return {
    id: row.id,
    name: row.name,
    team_id: row.team_id,
    description: row.description,
    tier: row.tier as Service['tier'],
    runbook_url: row.runbook_url,
    repository_url: row.repository_url,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Stores a PATCH /services/{id} field another module owns, in the catalog's transaction. */
export type ServicePatchHook = (
  tx: Db,
  ctx: AuditContext,
  service: Service,
  patch: { escalation_policy_id?: string | null | undefined },
) => Promise<void>;

/**
 * Runs in the transaction of every user update (the access module ends sessions and drops cached
 * tokens); a returned function runs after the commit.
 */
export type UserUpdateHook = (
  tx: Db,
  ctx: AuditContext,
  change: { before: User; after: User; passwordChanged: boolean },
) => Promise<(() => void) | undefined>;

export function createCatalogService(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  repo: CatalogRepository;
  externalWrites?: (() => number) | undefined;
}) {
  const { db, clock, audit, repo } = deps;
  const now = () => clock.now().toISOString();
  const servicePatchHooks: ServicePatchHook[] = [];
  const userUpdateHooks: UserUpdateHook[] = [];

  /** Catalog writes committed by this process (see `dataVersion`). */
  let localWrites = 0;
  /** A catalog write: one transaction that also bumps the catalog version (see `cachedList`). */
  const write = async <T>(fn: (tx: Db) => Promise<T>): Promise<T> => {
    const result = await db.transaction().execute(async (tx) => {
      const value = await fn(tx);
      await repo.bumpVersion(tx);
      return value;
    });
    localWrites++;
    return result;
  };

  /**
   * Which catalog the caches hold. On SQLite: this process's writes plus PRAGMA data_version (which
   * moves when any other process commits), with no query. On PostgreSQL: the catalog version row,
   * bumped in every catalog write transaction, so every server process sees every write at once.
   */
  const dataVersion = async (): Promise<string> =>
    deps.externalWrites ? `${deps.externalWrites()}:${localWrites}` : String(await repo.version(db));

  /**
   * Lists are read far more often than the catalog changes (every page, every CI call), so a list
   * answer is kept, serialised once, until the catalog version moves.
   */
  const listCache = new Map<string, { version: string; value: unknown }>();
  async function cachedList<T extends object>(key: string, load: () => Promise<T>): Promise<T> {
    const version = await dataVersion();
    const hit = listCache.get(key);
    if (hit && hit.version === version) return hit.value as T;
    const value = withRawJson(await load());
    if (listCache.size >= 500) listCache.delete(listCache.keys().next().value as string);
    listCache.set(key, { version, value });
    return value;
  }

  async function mustTeam(tx: Db, id: string): Promise<TeamRow> {
    const team = await repo.getTeam(tx, id);
    if (!team) throw new AppError('CATALOG_TEAM_NOT_FOUND', `No team has id ${id}.`);
    return team;
  }
  async function mustUser(tx: Db, id: string): Promise<UserRow> {
    const user = await repo.getUser(tx, id);
    if (!user) throw new AppError('CATALOG_USER_NOT_FOUND', `No user has id ${id}.`);
    return user;
  }
  async function mustService(tx: Db, id: string): Promise<ServiceRow> {
    const service = await repo.getService(tx, id);
    if (!service) throw new AppError('CATALOG_SERVICE_NOT_FOUND', `No service has id ${id}.`);
    return service;
  }
  async function userWithTeams(tx: Db, row: UserRow): Promise<User> {
    return userView(row, await repo.teamsOfUser(tx, row.id));
  }

  /** Unique-name races lose with a clear 409 on both engines. */
  async function unique<T>(
    code: 'CATALOG_TEAM_NAME_TAKEN' | 'CATALOG_USER_EMAIL_TAKEN' | 'CATALOG_SERVICE_NAME_TAKEN',
    fn: () => Promise<T>,
  ): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError(code, undefined, { cause: error });
      throw error;
    }
  }

  return {
    /** Another module takes a PATCH /services/{id} field (see ServicePatchHook). */
    onServicePatch(hook: ServicePatchHook) {
      servicePatchHooks.push(hook);
    },
    /** Another module reacts to user updates in the same transaction (see UserUpdateHook). */
    onUserUpdate(hook: UserUpdateHook) {
      userUpdateHooks.push(hook);
    },
    // ---- teams
    listTeams(page: PageQuery): Promise<Page<Team>> {
      return cachedList(`teams:${page.limit}:${page.cursor ?? ''}`, async () => {
        const result = await pageById(page, (after, limit) => repo.listTeams(db, after, limit));
        return { items: result.items.map(teamView), next_cursor: result.next_cursor };
      });
    },
    async getTeam(id: string): Promise<Team> {
      return teamView(await mustTeam(db, id));
    },
    async findTeam(id: string): Promise<Team | undefined> {
      const row = await repo.getTeam(db, id);
      return row ? teamView(row) : undefined;
    },
    createTeam(ctx: AuditContext, input: CreateTeam): Promise<Team> {
      return unique('CATALOG_TEAM_NAME_TAKEN', () =>
        write(async (tx) => {
          const at = now();
          const row = {
            id: newId('team'),
            name: input.name,
            time_zone: input.time_zone,
            description: input.description ?? null,
            created_at: at,
            updated_at: at,
          };
          await repo.insertTeam(tx, row);
          const team = teamView({ ...row, member_count: 0, service_count: 0 });
          await audit.record(tx, ctx, {
            action: 'team.create',
            targetType: 'team',
            targetId: row.id,
            teamId: row.id,
            after: team,
          });
          return team;
        }),
      );
    },
    updateTeam(ctx: AuditContext, id: string, patch: UpdateTeam): Promise<Team> {
      return unique('CATALOG_TEAM_NAME_TAKEN', () =>
        write(async (tx) => {
          const before = teamView(await mustTeam(tx, id));
          await repo.updateTeam(tx, id, { ...definedOnly(patch), updated_at: now() });
          const after = teamView(await mustTeam(tx, id));
          await audit.record(tx, ctx, {
            action: 'team.update',
            targetType: 'team',
            targetId: id,
            teamId: id,
            before,
            after,
          });
          return after;
        }),
      );
    },
    deleteTeam(ctx: AuditContext, id: string): Promise<void> {
      return write(async (tx) => {
        const before = teamView(await mustTeam(tx, id));
        if (before.service_count > 0) {
          throw new AppError(
            'CATALOG_TEAM_HAS_SERVICES',
            `Team ${before.name} still owns ${before.service_count} service(s).`,
          );
        }
        await repo.deleteTeam(tx, id);
        await audit.record(tx, ctx, {
          action: 'team.delete',
          targetType: 'team',
          targetId: id,
          teamId: id,
          before,
        });
      });
    },
    /** The team's members; `disabled` ones can no longer sign in or be notified. */
    async listMembers(teamId: string) {
      await mustTeam(db, teamId);
      return (await repo.listMembers(db, teamId)).map((m) => ({ ...m, disabled: m.disabled === 1 }));
    },
    addMember(ctx: AuditContext, teamId: string, userId: string, role: 'viewer' | 'responder' | 'manager') {
      return write(async (tx) => {
        await mustTeam(tx, teamId);
        const user = await mustUser(tx, userId);
        const before = await repo.getMember(tx, teamId, userId);
        const row = { team_id: teamId, user_id: userId, role, created_at: before?.created_at ?? now() };
        await repo.upsertMember(tx, row);
        await audit.record(tx, ctx, {
          action: 'team.member.put',
          targetType: 'team',
          targetId: teamId,
          teamId,
          before: before ?? null,
          after: row,
        });
        return { ...row, name: user.name, email: user.email, disabled: user.disabled === 1 };
      });
    },
    removeMember(ctx: AuditContext, teamId: string, userId: string): Promise<void> {
      return write(async (tx) => {
        await mustTeam(tx, teamId);
        const before = await repo.getMember(tx, teamId, userId);
        if (!before)
          throw new AppError('CATALOG_USER_NOT_FOUND', `User ${userId} is not a member of team ${teamId}.`);
        await repo.deleteMember(tx, teamId, userId);
        await audit.record(tx, ctx, {
          action: 'team.member.remove',
          targetType: 'team',
          targetId: teamId,
          teamId,
          before,
        });
      });
    },

    // ---- users
    async listUsers(
      page: PageQuery & { team_id?: string | undefined; q?: string | undefined },
    ): Promise<Page<User>> {
      const result = await pageById(page, (after, limit) =>
        repo.listUsers(db, after, limit, {
          ...(page.team_id ? { teamId: page.team_id } : {}),
          ...(page.q ? { q: page.q } : {}),
        }),
      );
      const memberships = await repo.teamsOfUsers(
        db,
        result.items.map((u) => u.id),
      );
      return {
        items: result.items.map((u) =>
          userView(
            u,
            memberships.filter((m) => m.user_id === u.id),
          ),
        ),
        next_cursor: result.next_cursor,
      };
    },
    async getUser(id: string): Promise<User> {
      return userWithTeams(db, await mustUser(db, id));
    },
    async findUserByEmail(email: string): Promise<User | undefined> {
      const row = await repo.getUserByEmail(db, email);
      return row ? userWithTeams(db, row) : undefined;
    },
    /** For the access module's login: the stored hash, never exposed over HTTP. */
    async credentialsOf(
      email: string,
    ): Promise<{ id: string; passwordHash: string | null; disabled: boolean } | undefined> {
      const row = await repo.getUserByEmail(db, email);
      return row ? { id: row.id, passwordHash: row.password_hash, disabled: row.disabled === 1 } : undefined;
    },
    async grantsOf(userId: string): Promise<UserGrants | undefined> {
      const [user, teams] = await Promise.all([repo.orgRole(db, userId), repo.teamsOfUser(db, userId)]);
      if (!user) return undefined;
      return {
        name: user.name,
        orgRole: user.role,
        disabled: user.disabled,
        teamRoles: new Map(teams.map((t) => [t.team_id, t.role as Role])),
      };
    },
    countUsers: () => repo.countUsers(db),
    async createUser(ctx: AuditContext, input: CreateUser, tx?: Db): Promise<User> {
      const passwordHash = input.password ? await hashPassword(input.password) : null;
      const run = async (t: Db) => {
        const at = now();
        const row: UserRow = {
          id: newId('usr'),
          email: input.email,
          name: input.name,
          time_zone: input.time_zone,
          role: input.role,
          password_hash: passwordHash,
          disabled: 0,
          created_at: at,
          updated_at: at,
        };
        await repo.insertUser(t, row);
        const user = userView(row, []);
        await audit.record(t, ctx, {
          action: 'user.create',
          targetType: 'user',
          targetId: row.id,
          after: user,
        });
        return user;
      };
      return unique('CATALOG_USER_EMAIL_TAKEN', () => (tx ? run(tx) : write(run)));
    },
    /**
     * People changing their own password (a user session, not a token) must give the current one.
     * The last enabled org admin cannot be demoted or disabled.
     */
    async updateUser(
      ctx: AuditContext,
      id: string,
      patch: UpdateUser,
      options: { currentPassword?: string | undefined } = {},
    ): Promise<User> {
      const { password, disabled, ...rest } = patch;
      if (password && ctx.principal.kind === 'user' && ctx.principal.userId === id) {
        const stored = (await mustUser(db, id)).password_hash;
        const ok =
          options.currentPassword !== undefined &&
          stored !== null &&
          (await verifyPassword(options.currentPassword, stored));
        if (!ok) {
          throw new AppError(
            'CATALOG_CURRENT_PASSWORD_INVALID',
            options.currentPassword === undefined
              ? 'Changing your own password needs your current password.'
              : 'The current password is wrong.',
            { errors: [{ path: 'body.current_password', message: 'must be your current password' }] },
          );
        }
      }
      const passwordHash = password ? await hashPassword(password) : undefined;
      const afterCommit: Array<() => void> = [];
      const user = await unique('CATALOG_USER_EMAIL_TAKEN', () =>
        write(async (tx) => {
          const before = await userWithTeams(tx, await mustUser(tx, id));
          const losesAdmin =
            before.role === 'admin' &&
            !before.disabled &&
            ((rest.role !== undefined && rest.role !== 'admin') || disabled === true);
          if (losesAdmin) {
            // Take the catalog version row's lock first: concurrent demotions of two admins queue
            // here, and the second one counts after the first committed.
            await repo.bumpVersion(tx);
            if ((await repo.countActiveAdmins(tx)) <= 1) {
              throw new AppError(
                'CATALOG_LAST_ADMIN',
                `${before.name} is the last enabled admin; make someone else admin first.`,
              );
            }
          }
          await repo.updateUser(tx, id, {
            ...definedOnly(rest),
            ...(disabled === undefined ? {} : { disabled: disabled ? 1 : 0 }),
            ...(passwordHash ? { password_hash: passwordHash } : {}),
            updated_at: now(),
          });
          const after = await userWithTeams(tx, await mustUser(tx, id));
          for (const hook of userUpdateHooks) {
            const then = await hook(tx, ctx, { before, after, passwordChanged: passwordHash !== undefined });
            if (then) afterCommit.push(then);
          }
          await audit.record(tx, ctx, {
            action: password ? 'user.update.password' : 'user.update',
            targetType: 'user',
            targetId: id,
            before,
            after,
          });
          return after;
        }),
      );
      for (const then of afterCommit) then();
      return user;
    },

    // ---- services
    listServices(page: PageQuery & { team_id?: string | undefined }): Promise<Page<Service>> {
      return cachedList(`services:${page.limit}:${page.cursor ?? ''}:${page.team_id ?? ''}`, async () => {
        const result = await pageById(page, (after, limit) =>
          repo.listServices(db, after, limit, page.team_id ? { teamId: page.team_id } : {}),
        );
        return { items: result.items.map(serviceView), next_cursor: result.next_cursor };
      });
    },
    async getService(id: string): Promise<Service> {
      return serviceView(await mustService(db, id));
    },
    async findService(idOrName: string): Promise<Service | undefined> {
      const row = (await repo.getService(db, idOrName)) ?? (await repo.getServiceByName(db, idOrName));
      return row ? serviceView(row) : undefined;
    },
    createService(ctx: AuditContext, input: CreateService): Promise<Service> {
      return unique('CATALOG_SERVICE_NAME_TAKEN', () =>
        write(async (tx) => {
          await mustTeam(tx, input.team_id);
          const at = now();
          const row: ServiceRow = {
            id: newId('svc'),
            name: input.name,
            team_id: input.team_id,
            description: input.description ?? null,
            tier: input.tier ?? null,
            runbook_url: input.runbook_url ?? null,
            repository_url: input.repository_url ?? null,
            created_at: at,
            updated_at: at,
          };
          await repo.insertService(tx, row);
          const service = serviceView(row);
          await audit.record(tx, ctx, {
            action: 'service.create',
            targetType: 'service',
            targetId: row.id,
            teamId: row.team_id,
            after: service,
          });
          return service;
        }),
      );
    },
    updateService(ctx: AuditContext, id: string, patch: UpdateService): Promise<Service> {
      return unique('CATALOG_SERVICE_NAME_TAKEN', () =>
        write(async (tx) => {
          const before = serviceView(await mustService(tx, id));
          if (patch.team_id) await mustTeam(tx, patch.team_id);
          const { escalation_policy_id, ...fields } = patch;
          await repo.updateService(tx, id, { ...definedOnly(fields), updated_at: now() });
          const after = serviceView(await mustService(tx, id));
          // Fields another module stores (the on-call module: escalation_policy_id), same transaction.
          for (const hook of servicePatchHooks) await hook(tx, ctx, after, { escalation_policy_id });
          await audit.record(tx, ctx, {
            action: 'service.update',
            targetType: 'service',
            targetId: id,
            teamId: after.team_id,
            before,
            after,
          });
          return after;
        }),
      );
    },
    deleteService(ctx: AuditContext, id: string): Promise<void> {
      return write(async (tx) => {
        const before = serviceView(await mustService(tx, id));
        await repo.deleteService(tx, id);
        await audit.record(tx, ctx, {
          action: 'service.delete',
          targetType: 'service',
          targetId: id,
          teamId: before.team_id,
          before,
        });
      });
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
