import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

/**
 * Postmortems, second cut: action items exported to an issue tracker (GitHub), blameless-lint
 * dismissals kept per postmortem, the tracker settings, and full-text search over title and body
 * (SQLite: an FTS5 index kept in step by triggers; PostgreSQL: a GIN index on a weighted tsvector).
 */
export const m0014PostmortemTracking: Migration = {
  async up(db: Kysely<unknown>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;

    // One ALTER per column: SQLite adds one column per statement.
    for (const column of [
      'tracker_url', // the issue in the tracker, once exported
      'tracker_key', // e.g. "acme/api#12"
      'export_state', // null | 'pending' (a request is talking to the tracker) | 'unknown' (it may have created the issue)
      'export_claimed_at', // when the pending request started
      'export_started_at', // the first attempt whose outcome is unknown: look for its issue from here
      'export_error', // the last failure, in words
    ]) {
      await db.schema.alterTable('postmortem_action_items').addColumn(column, 'text').execute();
    }

    await db.schema
      .createTable('postmortem_lint_dismissals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('postmortem_id', 'text', (c) => c.notNull().references('postmortems.id').onDelete('cascade'))
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('dismissed_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('postmortem_lint_dismissals_key', ['postmortem_id', 'rule', 'text'])
      .execute();

    await db.schema
      .createTable('postmortem_trackers')
      .addColumn('provider', 'text', (c) => c.primaryKey())
      .addColumn('api_url', 'text', (c) => c.notNull())
      .addColumn('token', 'text', (c) => c.notNull())
      .addColumn('default_repo', 'text')
      .addColumn('labels', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    if (postgres) {
      await sql`create index postmortems_search_idx on postmortems using gin ((
        setweight(to_tsvector('english'::regconfig, title), 'A') ||
        setweight(to_tsvector('english'::regconfig, markdown), 'B')))`.execute(db);
    } else {
      // The index keeps its own copy of the text, keyed by the postmortem's id: an external-content
      // index keyed by rowid would go wrong after a VACUUM (which may renumber the rowids of a table
      // whose primary key is text).
      await sql`create virtual table postmortems_fts using fts5(
        pm_id unindexed, title, markdown, tokenize='porter unicode61')`.execute(db);
      await sql`create trigger postmortems_fts_ai after insert on postmortems begin
        insert into postmortems_fts(pm_id, title, markdown) values (new.id, new.title, new.markdown);
      end`.execute(db);
      await sql`create trigger postmortems_fts_ad after delete on postmortems begin
        delete from postmortems_fts where pm_id = old.id;
      end`.execute(db);
      await sql`create trigger postmortems_fts_au after update of title, markdown on postmortems begin
        delete from postmortems_fts where pm_id = old.id;
        insert into postmortems_fts(pm_id, title, markdown) values (new.id, new.title, new.markdown);
      end`.execute(db);
      await sql`insert into postmortems_fts(pm_id, title, markdown) select id, title, markdown from postmortems`.execute(
        db,
      );
    }
  },
  async down(db: Kysely<unknown>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    if (postgres) await sql`drop index if exists postmortems_search_idx`.execute(db);
    else {
      for (const trigger of ['postmortems_fts_ai', 'postmortems_fts_ad', 'postmortems_fts_au'])
        await sql`drop trigger if exists ${sql.raw(trigger)}`.execute(db);
      await sql`drop table if exists postmortems_fts`.execute(db);
    }
    await db.schema.dropTable('postmortem_trackers').ifExists().execute();
    await db.schema.dropTable('postmortem_lint_dismissals').ifExists().execute();
    for (const column of [
      'export_error',
      'export_started_at',
      'export_claimed_at',
      'export_state',
      'tracker_key',
      'tracker_url',
    ]) {
      await db.schema.alterTable('postmortem_action_items').dropColumn(column).execute();
    }
  },
};
