import type { Role } from '@engops/contracts';
import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { ServicesTable, TeamsTable, UsersTable } from '../../db/schema.ts';

/** Every query of the catalog's tables; nothing outside this module touches them. */
export type TeamRow = Selectable<TeamsTable> & { member_count: number; service_count: number };
export type UserRow = Selectable<UsersTable>;
export type ServiceRow = Selectable<ServicesTable>;

export function createCatalogRepository() {
  const teamColumns = (db: Db) =>
    db
      .selectFrom('teams')
      .selectAll('teams')
      .select((eb) => [
        eb
          .selectFrom('team_members')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('team_members.team_id', '=', 'teams.id')
          .as('member_count'),
        eb
          .selectFrom('services')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('services.team_id', '=', 'teams.id')
          .as('service_count'),
      ]);

  const normaliseTeam = (
    row: Omit<TeamRow, 'member_count' | 'service_count'> & { member_count: unknown; service_count: unknown },
  ): TeamRow => ({
    ...row,
    member_count: Number(row.member_count ?? 0),
    service_count: Number(row.service_count ?? 0),
  });

  return {
    async listTeams(db: Db, after: string | undefined, limit: number): Promise<TeamRow[]> {
      let q = teamColumns(db).orderBy('teams.id').limit(limit);
      if (after) q = q.where('teams.id', '>', after);
      return (await q.execute()).map(normaliseTeam);
    },
    async getTeam(db: Db, id: string): Promise<TeamRow | undefined> {
      const row = await teamColumns(db).where('teams.id', '=', id).executeTakeFirst();
      return row ? normaliseTeam(row) : undefined;
    },
    insertTeam: (db: Db, row: Selectable<TeamsTable>) => db.insertInto('teams').values(row).execute(),
    updateTeam: (db: Db, id: string, patch: Partial<Selectable<TeamsTable>>) =>
      db.updateTable('teams').set(patch).where('id', '=', id).execute(),
    deleteTeam: (db: Db, id: string) => db.deleteFrom('teams').where('id', '=', id).execute(),

    listMembers: (db: Db, teamId: string) =>
      db
        .selectFrom('team_members')
        .innerJoin('users', 'users.id', 'team_members.user_id')
        .select([
          'team_members.team_id',
          'team_members.user_id',
          'team_members.role',
          'team_members.created_at',
          'users.name',
          'users.email',
          'users.disabled',
        ])
        .where('team_members.team_id', '=', teamId)
        .orderBy('users.name')
        .execute(),
    getMember: (db: Db, teamId: string, userId: string) =>
      db
        .selectFrom('team_members')
        .selectAll()
        .where('team_id', '=', teamId)
        .where('user_id', '=', userId)
        .executeTakeFirst(),
    async upsertMember(db: Db, row: { team_id: string; user_id: string; role: string; created_at: string }) {
      await db
        .insertInto('team_members')
        .values(row)
        .onConflict((oc) => oc.columns(['team_id', 'user_id']).doUpdateSet({ role: row.role }))
        .execute();
    },
    deleteMember: (db: Db, teamId: string, userId: string) =>
      db.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', userId).execute(),
    teamsOfUser: (db: Db, userId: string) =>
      db
        .selectFrom('team_members')
        .select(['team_id', 'role'])
        .where('user_id', '=', userId)
        .orderBy('team_id')
        .execute(),
    teamsOfUsers: (db: Db, userIds: string[]) =>
      userIds.length === 0
        ? Promise.resolve([])
        : db
            .selectFrom('team_members')
            .select(['user_id', 'team_id', 'role'])
            .where('user_id', 'in', userIds)
            .execute(),

    async listUsers(
      db: Db,
      after: string | undefined,
      limit: number,
      filter: { teamId?: string; q?: string },
    ): Promise<UserRow[]> {
      let q = db.selectFrom('users').selectAll('users').orderBy('users.id').limit(limit);
      if (after) q = q.where('users.id', '>', after);
      if (filter.teamId) {
        q = q.where(
          'users.id',
          'in',
          db.selectFrom('team_members').select('user_id').where('team_id', '=', filter.teamId),
        );
      }
      if (filter.q) {
        const like = `%${filter.q.toLowerCase()}%`;
        q = q.where((eb) =>
          eb.or([eb(eb.fn('lower', ['users.name']), 'like', like), eb('users.email', 'like', like)]),
        );
      }
      return q.execute();
    },
    getUser: (db: Db, id: string) =>
      db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst(),
    getUserByEmail: (db: Db, email: string) =>
      db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst(),
    insertUser: (db: Db, row: UserRow) => db.insertInto('users').values(row).execute(),
    updateUser: (db: Db, id: string, patch: Partial<UserRow>) =>
      db.updateTable('users').set(patch).where('id', '=', id).execute(),
    /** Enabled users with the org-wide admin role. */
    async countActiveAdmins(db: Db): Promise<number> {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('role', '=', 'admin')
        .where('disabled', '=', 0)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async countUsers(db: Db): Promise<number> {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async orgRole(
      db: Db,
      userId: string,
    ): Promise<{ role: Role | null; disabled: boolean; name: string } | undefined> {
      const row = await db
        .selectFrom('users')
        .select(['role', 'disabled', 'name'])
        .where('id', '=', userId)
        .executeTakeFirst();
      return row
        ? { role: row.role as Role | null, disabled: row.disabled === 1, name: row.name }
        : undefined;
    },

    /** The catalog's data version: bumped by every catalog write, read before serving a cached list. */
    async version(db: Db): Promise<number> {
      const row = await db
        .selectFrom('counters')
        .select('value')
        .where('name', '=', 'catalog')
        .executeTakeFirst();
      return Number(row?.value ?? 0);
    },
    async bumpVersion(db: Db): Promise<void> {
      await db
        .insertInto('counters')
        .values({ name: 'catalog', value: 1 })
        .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb('counters.value', '+', 1) })))
        .execute();
    },

    async listServices(
      db: Db,
      after: string | undefined,
      limit: number,
      filter: { teamId?: string },
    ): Promise<ServiceRow[]> {
      let q = db.selectFrom('services').selectAll().orderBy('id').limit(limit);
      if (after) q = q.where('id', '>', after);
      if (filter.teamId) q = q.where('team_id', '=', filter.teamId);
      return q.execute();
    },
    getService: (db: Db, id: string) =>
      db.selectFrom('services').selectAll().where('id', '=', id).executeTakeFirst(),
    getServiceByName: (db: Db, name: string) =>
      db.selectFrom('services').selectAll().where('name', '=', name).executeTakeFirst(),
    insertService: (db: Db, row: ServiceRow) => db.insertInto('services').values(row).execute(),
    updateService: (db: Db, id: string, patch: Partial<ServiceRow>) =>
      db.updateTable('services').set(patch).where('id', '=', id).execute(),
    deleteService: (db: Db, id: string) => db.deleteFrom('services').where('id', '=', id).execute(),
  };
}

export type CatalogRepository = ReturnType<typeof createCatalogRepository>;
