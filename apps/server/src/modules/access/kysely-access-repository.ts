import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { ApiTokensTable, SessionsTable } from '../../db/schema.ts';

export type TokenRow = Selectable<ApiTokensTable>;
export type SessionRow = Selectable<SessionsTable>;

export function createAccessRepository() {
  return {
    insertToken: (db: Db, row: TokenRow) => db.insertInto('api_tokens').values(row).execute(),
    tokenByHash: (db: Db, hash: string) =>
      db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst(),
    /** A token row and whether the user who created it is disabled (a disabled creator's tokens stop). */
    async tokenWithCreatorByHash(
      db: Db,
      hash: string,
    ): Promise<{ row: TokenRow; creatorDisabled: boolean } | undefined> {
      const found = await db
        .selectFrom('api_tokens')
        .leftJoin('users', 'users.id', 'api_tokens.created_by')
        .selectAll('api_tokens')
        .select('users.disabled as creator_disabled')
        .where('api_tokens.token_hash', '=', hash)
        .executeTakeFirst();
      if (!found) return undefined;
      const { creator_disabled, ...row } = found;
      return { row, creatorDisabled: Number(creator_disabled ?? 0) === 1 };
    },
    tokenById: (db: Db, id: string) =>
      db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst(),
    listTokens(db: Db, after: string | undefined, limit: number, includeRevoked: boolean) {
      let q = db.selectFrom('api_tokens').selectAll().orderBy('id').limit(limit);
      if (after) q = q.where('id', '>', after);
      if (!includeRevoked) q = q.where('revoked_at', 'is', null);
      return q.execute();
    },
    revokeToken: (db: Db, id: string, at: string) =>
      db
        .updateTable('api_tokens')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute(),
    touchToken: (db: Db, id: string, at: string) =>
      db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute(),

    insertSession: (db: Db, row: SessionRow) => db.insertInto('sessions').values(row).execute(),
    sessionByHash: (db: Db, hash: string) =>
      db.selectFrom('sessions').selectAll().where('token_hash', '=', hash).executeTakeFirst(),
    deleteSession: (db: Db, hash: string) =>
      db.deleteFrom('sessions').where('token_hash', '=', hash).execute(),
    /** Ends a user's sessions, except the one with this CSRF token (the caller's own) when given. */
    deleteSessionsOfUser(db: Db, userId: string, exceptCsrfToken?: string) {
      let q = db.deleteFrom('sessions').where('user_id', '=', userId);
      if (exceptCsrfToken !== undefined) q = q.where('csrf_token', '!=', exceptCsrfToken);
      return q.execute();
    },
    deleteExpiredSessions: (db: Db, now: string) =>
      db.deleteFrom('sessions').where('expires_at', '<', now).execute(),
    touchSession: (db: Db, id: string, at: string) =>
      db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).execute(),

    async claimSetup(db: Db, at: string): Promise<boolean> {
      const result = await db
        .insertInto('instance_settings')
        .values({ key: 'setup_completed', value: at, updated_at: at })
        .onConflict((oc) => oc.column('key').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    setupDone: async (db: Db) =>
      (await db
        .selectFrom('instance_settings')
        .select('key')
        .where('key', '=', 'setup_completed')
        .executeTakeFirst()) !== undefined,
  };
}

export type AccessRepository = ReturnType<typeof createAccessRepository>;
