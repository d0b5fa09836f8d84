import type { Kysely, Migration } from 'kysely';

/**
 * Development workflow: pull requests, their events, reviews, comments, CI checks, branches and
 * pushes as the code host reported them (times from the payloads), plus the deliveries already
 * applied, the nudges already sent and the code-host logins of engops users.
 */
export const m0011Workflow: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('workflow_deliveries')
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('delivery_id', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('workflow_deliveries_pk', ['provider', 'delivery_id'])
      .execute();

    await db.schema
      .createTable('workflow_pull_requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('repository', 'text', (c) => c.notNull())
      .addColumn('repository_lc', 'text', (c) => c.notNull())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id').onDelete('cascade'))
      .addColumn('number', 'integer', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('author', 'text', (c) => c.notNull())
      .addColumn('body', 'text')
      .addColumn('url', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('draft', 'integer', (c) => c.notNull())
      .addColumn('base_ref', 'text', (c) => c.notNull())
      .addColumn('head_ref', 'text', (c) => c.notNull())
      .addColumn('head_sha', 'text', (c) => c.notNull())
      .addColumn('merge_commit_sha', 'text')
      .addColumn('additions', 'integer', (c) => c.notNull())
      .addColumn('deletions', 'integer', (c) => c.notNull())
      .addColumn('changed_files', 'integer', (c) => c.notNull())
      // From the REST file list (null until fetched): directories touched, tests touched, code changed.
      .addColumn('files_sha', 'text')
      .addColumn('directories_touched', 'integer')
      .addColumn('tests_touched', 'integer')
      .addColumn('code_changed', 'integer')
      .addColumn('opened_at', 'text', (c) => c.notNull())
      .addColumn('closed_at', 'text')
      .addColumn('merged_at', 'text')
      .addColumn('payload_updated_at', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('workflow_pull_requests_number_uq')
      .on('workflow_pull_requests')
      .columns(['provider', 'repository_lc', 'number'])
      .unique()
      .execute();
    await db.schema
      .createIndex('workflow_pull_requests_service_opened_idx')
      .on('workflow_pull_requests')
      .columns(['service_id', 'opened_at'])
      .execute();
    await db.schema
      .createIndex('workflow_pull_requests_state_idx')
      .on('workflow_pull_requests')
      .columns(['state', 'opened_at'])
      .execute();

    await db.schema
      .createTable('workflow_pr_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('pr_id', 'text', (c) =>
        c.notNull().references('workflow_pull_requests.id').onDelete('cascade'),
      )
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('actor', 'text')
      .addColumn('subject', 'text')
      .addColumn('sha', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('workflow_pr_events_pr_idx')
      .on('workflow_pr_events')
      .columns(['pr_id', 'at'])
      .execute();

    await db.schema
      .createTable('workflow_reviews')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('pr_id', 'text', (c) =>
        c.notNull().references('workflow_pull_requests.id').onDelete('cascade'),
      )
      .addColumn('reviewer', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('commit_sha', 'text')
      .addColumn('submitted_at', 'text', (c) => c.notNull())
      .addColumn('dismissed_at', 'text')
      .execute();
    await db.schema.createIndex('workflow_reviews_pr_idx').on('workflow_reviews').column('pr_id').execute();

    await db.schema
      .createTable('workflow_comments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('pr_id', 'text', (c) =>
        c.notNull().references('workflow_pull_requests.id').onDelete('cascade'),
      )
      .addColumn('author', 'text', (c) => c.notNull())
      .addColumn('in_reply_to', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('deleted', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('workflow_comments_pr_idx').on('workflow_comments').column('pr_id').execute();

    // The latest state of each check (check run, check suite or commit status) on each commit.
    await db.schema
      .createTable('workflow_checks')
      .addColumn('repository_lc', 'text', (c) => c.notNull())
      .addColumn('sha', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('workflow_checks_pk', ['repository_lc', 'sha', 'kind', 'name'])
      .execute();

    await db.schema
      .createTable('workflow_branches')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('repository', 'text', (c) => c.notNull())
      .addColumn('repository_lc', 'text', (c) => c.notNull())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('owner', 'text')
      .addColumn('created_at', 'text')
      .addColumn('first_commit_at', 'text')
      .addColumn('last_push_at', 'text')
      .addColumn('deleted_at', 'text')
      .addColumn('push_count', 'integer', (c) => c.notNull())
      .addColumn('force_push_count', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('workflow_branches_name_idx')
      .on('workflow_branches')
      .columns(['repository_lc', 'name'])
      .execute();

    await db.schema
      .createTable('workflow_pushes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('repository_lc', 'text', (c) => c.notNull())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id').onDelete('cascade'))
      .addColumn('branch', 'text', (c) => c.notNull())
      .addColumn('pusher', 'text')
      .addColumn('is_default', 'integer', (c) => c.notNull())
      .addColumn('forced', 'integer', (c) => c.notNull())
      .addColumn('after_sha', 'text', (c) => c.notNull())
      .addColumn('commit_count', 'integer', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('workflow_pushes_branch_idx')
      .on('workflow_pushes')
      .columns(['repository_lc', 'branch', 'at'])
      .execute();

    await db.schema
      .createTable('workflow_nudges')
      .addColumn('pr_id', 'text', (c) =>
        c.notNull().references('workflow_pull_requests.id').onDelete('cascade'),
      )
      .addColumn('stage', 'text', (c) => c.notNull())
      .addColumn('waiting_since', 'text', (c) => c.notNull())
      .addColumn('recipients', 'integer', (c) => c.notNull())
      .addColumn('sent_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('workflow_nudges_pk', ['pr_id', 'stage'])
      .execute();

    await db.schema
      .createTable('workflow_identities')
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('login', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('workflow_identities_pk', ['provider', 'login'])
      .execute();

    // Outbound GitHub calls: where and how (the token is never returned), and what engops posted.
    await db.schema
      .createTable('workflow_github_settings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('api_url', 'text', (c) => c.notNull())
      .addColumn('token', 'text', (c) => c.notNull())
      .addColumn('merge_gate', 'integer', (c) => c.notNull())
      .addColumn('checklist', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('workflow_gate_statuses')
      .addColumn('repository_lc', 'text', (c) => c.notNull())
      .addColumn('sha', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('posted_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('workflow_gate_statuses_pk', ['repository_lc', 'sha'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of [
      'workflow_gate_statuses',
      'workflow_github_settings',
      'workflow_identities',
      'workflow_nudges',
      'workflow_pushes',
      'workflow_branches',
      'workflow_checks',
      'workflow_comments',
      'workflow_reviews',
      'workflow_pr_events',
      'workflow_pull_requests',
      'workflow_deliveries',
    ])
      await db.schema.dropTable(table).ifExists().execute();
  },
};
