import { type Selectable, sql, type Updateable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { PostmortemActionItemsTable, PostmortemsTable } from '../../db/schema.ts';

/** Every query of the postmortems tables; nothing outside this module touches them. */
export type PostmortemRow = Selectable<PostmortemsTable>;
export type ActionItemRow = Selectable<PostmortemActionItemsTable>;

export interface PostmortemFilter {
  teamId?: string | undefined;
  status?: string | undefined;
  q?: string | undefined;
  /** Overdue at this instant (not published, due_at passed), or not overdue. */
  overdue?: { at: string; value: boolean } | undefined;
}

export interface ActionItemFilter {
  ownerId?: string | undefined;
  teamId?: string | undefined;
  postmortemId?: string | undefined;
  status?: string | undefined;
  /** Overdue on this date (open or in progress, due date before it), or not overdue. */
  overdue?: { today: string; value: boolean } | undefined;
}

const OPEN_ITEM = ['open', 'in_progress'];

export function createPostmortemsRepository() {
  return {
    insertPostmortem: (db: Db, row: PostmortemRow) => db.insertInto('postmortems').values(row).execute(),
    getPostmortem: (db: Db, id: string) =>
      db.selectFrom('postmortems').selectAll().where('id', '=', id).executeTakeFirst(),
    byIncident: (db: Db, incidentId: string) =>
      db.selectFrom('postmortems').selectAll().where('incident_id', '=', incidentId).executeTakeFirst(),
    /** Updates only while the row still has `version`; returns whether it did. */
    async updatePostmortem(
      db: Db,
      id: string,
      version: number,
      patch: Updateable<PostmortemsTable>,
    ): Promise<boolean> {
      const result = await db
        .updateTable('postmortems')
        .set(patch)
        .where('id', '=', id)
        .where('version', '=', version)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    listPostmortems(db: Db, filter: PostmortemFilter, before: string | undefined, limit: number) {
      let q = db.selectFrom('postmortems').selectAll().orderBy('id', 'desc').limit(limit);
      if (before) q = q.where('id', '<', before);
      if (filter.teamId) q = q.where('team_id', '=', filter.teamId);
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.q) {
        const like = `%${filter.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q = q.where((eb) =>
          eb.or([
            eb(eb.fn('lower', ['title']), 'like', sql<string>`${like} escape '\\'`),
            eb(eb.fn('lower', ['markdown']), 'like', sql<string>`${like} escape '\\'`),
          ]),
        );
      }
      if (filter.overdue) {
        const { at, value } = filter.overdue;
        q = value
          ? q.where('status', '!=', 'published').where('due_at', '<', at)
          : q.where((eb) => eb.or([eb('status', '=', 'published'), eb('due_at', '>=', at)]));
      }
      return q.execute();
    },
    async incidentsWithPostmortem(db: Db, incidentIds: string[]): Promise<Set<string>> {
      if (incidentIds.length === 0) return new Set();
      const rows = await db
        .selectFrom('postmortems')
        .select('incident_id')
        .where('incident_id', 'in', incidentIds)
        .execute();
      return new Set(rows.map((r) => r.incident_id));
    },
    forStats(db: Db, teamId: string | undefined) {
      let q = db
        .selectFrom('postmortems')
        .select(['id', 'team_id', 'status', 'due_at', 'published_at'])
        .orderBy('due_at');
      if (teamId) q = q.where('team_id', '=', teamId);
      return q.execute();
    },

    insertItem: (db: Db, row: ActionItemRow) =>
      db.insertInto('postmortem_action_items').values(row).execute(),
    getItem: (db: Db, id: string) =>
      db.selectFrom('postmortem_action_items').selectAll().where('id', '=', id).executeTakeFirst(),
    updateItem: (db: Db, id: string, patch: Updateable<PostmortemActionItemsTable>) =>
      db.updateTable('postmortem_action_items').set(patch).where('id', '=', id).execute(),
    deleteItem: (db: Db, id: string) =>
      db.deleteFrom('postmortem_action_items').where('id', '=', id).execute(),
    itemsOf: (db: Db, postmortemId: string) =>
      db
        .selectFrom('postmortem_action_items')
        .selectAll()
        .where('postmortem_id', '=', postmortemId)
        .orderBy('id')
        .execute(),
    listItems(db: Db, filter: ActionItemFilter, after: string | undefined, limit: number) {
      let q = db.selectFrom('postmortem_action_items').selectAll().orderBy('id').limit(limit);
      if (after) q = q.where('id', '>', after);
      if (filter.ownerId) q = q.where('owner_id', '=', filter.ownerId);
      if (filter.teamId) q = q.where('team_id', '=', filter.teamId);
      if (filter.postmortemId) q = q.where('postmortem_id', '=', filter.postmortemId);
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.overdue) {
        const { today, value } = filter.overdue;
        q = value
          ? q.where('status', 'in', OPEN_ITEM).where('due_date', 'is not', null).where('due_date', '<', today)
          : q.where((eb) =>
              eb.or([
                eb('status', 'not in', OPEN_ITEM),
                eb('due_date', 'is', null),
                eb('due_date', '>=', today),
              ]),
            );
      }
      return q.execute();
    },
  };
}

export type PostmortemsRepository = ReturnType<typeof createPostmortemsRepository>;
