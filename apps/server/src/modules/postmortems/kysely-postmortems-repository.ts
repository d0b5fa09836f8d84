import { type ExpressionBuilder, PostgresAdapter, type Selectable, sql, type Updateable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type {
  Database,
  PostmortemActionItemsTable,
  PostmortemLintDismissalsTable,
  PostmortemsTable,
  PostmortemTrackersTable,
} from '../../db/schema.ts';
import { hasPositiveTerm, MARK_END, MARK_START, toFts5Query } from './search-query.ts';

/** Every query of the postmortems tables; nothing outside this module touches them. */
export type PostmortemRow = Selectable<PostmortemsTable>;
export type ActionItemRow = Selectable<PostmortemActionItemsTable>;
export type DismissalRow = Selectable<PostmortemLintDismissalsTable>;
export type TrackerRow = Selectable<PostmortemTrackersTable>;

export interface PostmortemFilter {
  teamId?: string | undefined;
  incidentId?: string | undefined;
  status?: string | undefined;
  q?: string | undefined;
  /** Overdue at this instant (not published, due_at passed), or not overdue. */
  overdue?: { at: string; value: boolean } | undefined;
  /** Drafts of these teams only (published postmortems are everyone's); undefined = every team. */
  draftTeams?: readonly string[] | undefined;
}

export interface SearchHit extends PostmortemRow {
  rank: number;
  marked: string;
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

const isPostgres = (db: Db) => db.getExecutor().adapter instanceof PostgresAdapter;

/** The weighted document of a postmortem (PostgreSQL): the expression the GIN index is built on. */
const PG_VECTOR = sql`(setweight(to_tsvector('english'::regconfig, postmortems.title), 'A') || setweight(to_tsvector('english'::regconfig, postmortems.markdown), 'B'))`;

type PmEb = ExpressionBuilder<Database, 'postmortems'>;

/** The filters both the list and the search apply. */
function filtered(eb: PmEb, filter: PostmortemFilter) {
  const conditions = [];
  if (filter.teamId) conditions.push(eb('postmortems.team_id', '=', filter.teamId));
  if (filter.incidentId) conditions.push(eb('postmortems.incident_id', '=', filter.incidentId));
  if (filter.status) conditions.push(eb('postmortems.status', '=', filter.status));
  if (filter.overdue) {
    const { at, value } = filter.overdue;
    conditions.push(
      value
        ? eb.and([eb('postmortems.status', '!=', 'published'), eb('postmortems.due_at', '<', at)])
        : eb.or([eb('postmortems.status', '=', 'published'), eb('postmortems.due_at', '>=', at)]),
    );
  }
  if (filter.draftTeams) {
    const teams = [...filter.draftTeams];
    conditions.push(
      teams.length
        ? eb.or([eb('postmortems.status', '=', 'published'), eb('postmortems.team_id', 'in', teams)])
        : eb('postmortems.status', '=', 'published'),
    );
  }
  return eb.and(conditions);
}

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
      let q = db
        .selectFrom('postmortems')
        .selectAll()
        .where((eb) => filtered(eb, filter))
        .orderBy('id', 'desc')
        .limit(limit);
      if (before) q = q.where('id', '<', before);
      if (filter.q) {
        if (!hasPositiveTerm(filter.q)) return Promise.resolve([]);
        if (isPostgres(db))
          q = q.where(sql<boolean>`${PG_VECTOR} @@ websearch_to_tsquery('english', ${filter.q})`);
        else {
          const match = toFts5Query(filter.q);
          if (match === null) return Promise.resolve([]);
          q = q.where(
            sql<boolean>`postmortems.id in (select pm_id from postmortems_fts where postmortems_fts match ${match})`,
          );
        }
      }
      return q.execute();
    },
    /**
     * Full-text search, best match first: title weighs more than body. Each hit carries a snippet
     * with MARK_START/MARK_END around the matched words.
     */
    async search(db: Db, query: string, filter: PostmortemFilter, offset: number, limit: number) {
      if (!hasPositiveTerm(query)) return [];
      if (isPostgres(db)) {
        const tsq = sql`websearch_to_tsquery('english', ${query})`;
        const options = `StartSel="${MARK_START}", StopSel="${MARK_END}", MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`;
        return db
          .selectFrom('postmortems')
          .selectAll('postmortems')
          .select([
            sql<number>`ts_rank(${PG_VECTOR}, ${tsq})`.as('rank'),
            sql<string>`ts_headline('english', postmortems.markdown, ${tsq}, ${options})`.as('marked'),
          ])
          .where(sql<boolean>`${PG_VECTOR} @@ ${tsq}`)
          .where((eb) => filtered(eb, filter))
          .orderBy('rank', 'desc')
          .orderBy('postmortems.id', 'desc')
          .offset(offset)
          .limit(limit)
          .execute() as Promise<SearchHit[]>;
      }
      const match = toFts5Query(query);
      if (match === null) return [];
      // bm25 is lower for better matches; it is negated so that, on both engines, higher is better.
      return db
        .selectFrom('postmortems')
        .innerJoin(sql<{ pm_id: string }>`postmortems_fts`.as('postmortems_fts'), (join) =>
          join.on(sql<boolean>`postmortems_fts.pm_id = postmortems.id`),
        )
        .selectAll('postmortems')
        .select([
          sql<number>`-bm25(postmortems_fts, 0.0, 10.0, 1.0)`.as('rank'),
          sql<string>`snippet(postmortems_fts, 2, ${MARK_START}, ${MARK_END}, '…', 24)`.as('marked'),
        ])
        .where(sql<boolean>`postmortems_fts match ${match}`)
        .where((eb) => filtered(eb, filter))
        .orderBy('rank', 'desc')
        .orderBy('postmortems.id', 'desc')
        .offset(offset)
        .limit(limit)
        .execute() as Promise<SearchHit[]>;
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
    /**
     * Takes the export of an item: only one request talks to the tracker at a time. A pending claim
     * older than `staleBefore` belongs to a request that died and may be taken over.
     */
    async claimExport(db: Db, id: string, at: string, staleBefore: string): Promise<boolean> {
      const result = await db
        .updateTable('postmortem_action_items')
        .set((eb) => ({
          export_state: 'pending',
          export_claimed_at: at,
          export_started_at: eb.fn.coalesce('export_started_at', eb.val(at)),
        }))
        .where('id', '=', id)
        .where('tracker_url', 'is', null)
        .where((eb) =>
          eb.or([
            eb('export_state', 'is', null),
            eb('export_state', '!=', 'pending'),
            eb('export_claimed_at', '<', staleBefore),
          ]),
        )
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    dismissalsOf: (db: Db, postmortemId: string) =>
      db
        .selectFrom('postmortem_lint_dismissals')
        .selectAll()
        .where('postmortem_id', '=', postmortemId)
        .orderBy('id')
        .execute(),
    findDismissal: (db: Db, postmortemId: string, rule: string, text: string) =>
      db
        .selectFrom('postmortem_lint_dismissals')
        .selectAll()
        .where('postmortem_id', '=', postmortemId)
        .where('rule', '=', rule)
        .where('text', '=', text)
        .executeTakeFirst(),
    getDismissal: (db: Db, id: string) =>
      db.selectFrom('postmortem_lint_dismissals').selectAll().where('id', '=', id).executeTakeFirst(),
    insertDismissal: (db: Db, row: DismissalRow) =>
      db.insertInto('postmortem_lint_dismissals').values(row).execute(),
    deleteDismissal: (db: Db, id: string) =>
      db.deleteFrom('postmortem_lint_dismissals').where('id', '=', id).execute(),

    getTracker: (db: Db, provider: string) =>
      db.selectFrom('postmortem_trackers').selectAll().where('provider', '=', provider).executeTakeFirst(),
    async putTracker(db: Db, row: TrackerRow) {
      const { provider, ...rest } = row;
      await db
        .insertInto('postmortem_trackers')
        .values(row)
        .onConflict((oc) => oc.column('provider').doUpdateSet(rest))
        .execute();
    },

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
