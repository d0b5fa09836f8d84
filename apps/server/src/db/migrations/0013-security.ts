import type { Kysely, Migration } from 'kysely';

/**
 * Security basics: findings per service (dependency and secret scans), scan runs, access review
 * campaigns and their items, training courses and completions, response-plan exercises.
 */
export const m0013Security: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('security_findings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('service_id', 'text', (c) => c.notNull())
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('status_reason', 'text')
      .addColumn('status_changed_by', 'text')
      .addColumn('status_changed_at', 'text')
      .addColumn('file', 'text', (c) => c.notNull())
      .addColumn('line', 'integer')
      .addColumn('package', 'text')
      .addColumn('version', 'text')
      .addColumn('ecosystem', 'text')
      .addColumn('fixed_version', 'text')
      .addColumn('dependency_path', 'text', (c) => c.notNull())
      .addColumn('commit_sha', 'text')
      .addColumn('author', 'text')
      .addColumn('url', 'text')
      .addColumn('first_seen_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_at', 'text', (c) => c.notNull())
      .addColumn('fixed_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('security_findings_identity', ['service_id', 'kind', 'fingerprint'])
      .execute();
    await db.schema
      .createIndex('security_findings_team_idx')
      .on('security_findings')
      .columns(['team_id', 'status'])
      .execute();

    await db.schema
      .createTable('security_scans')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('service_id', 'text', (c) => c.notNull())
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('tool', 'text', (c) => c.notNull())
      .addColumn('findings', 'integer', (c) => c.notNull())
      .addColumn('scanned_by', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('security_scans_service_idx')
      .on('security_scans')
      .columns(['service_id', 'kind', 'at'])
      .execute();

    await db.schema
      .createTable('access_review_campaigns')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('close_policy', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('due_at', 'text', (c) => c.notNull())
      .addColumn('closed_at', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('access_review_items')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('campaign_id', 'text', (c) =>
        c.notNull().references('access_review_campaigns.id').onDelete('cascade'),
      )
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('subject_id', 'text', (c) => c.notNull())
      .addColumn('subject_name', 'text', (c) => c.notNull())
      .addColumn('team_id', 'text')
      .addColumn('team_name', 'text')
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text')
      .addColumn('stale_reason', 'text')
      .addColumn('decision', 'text')
      .addColumn('note', 'text')
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('outcome', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('access_review_items_campaign_idx')
      .on('access_review_items')
      .columns(['campaign_id', 'outcome'])
      .execute();

    await db.schema
      .createTable('training_courses')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text')
      .addColumn('validity_days', 'integer')
      .addColumn('required_team_ids', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('training_completions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('course_id', 'text', (c) =>
        c.notNull().references('training_courses.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('completed_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('recorded_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('training_completions_user_idx')
      .on('training_completions')
      .columns(['user_id', 'course_id', 'completed_at'])
      .execute();

    await db.schema
      .createTable('security_exercises')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('service_id', 'text', (c) => c.notNull())
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('exercised_at', 'text', (c) => c.notNull())
      .addColumn('notes', 'text')
      .addColumn('recorded_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('security_exercises_service_idx')
      .on('security_exercises')
      .columns(['service_id', 'exercised_at'])
      .execute();

    // OSV advisories kept by the server, and each service's dependency inventory (from uploads):
    // matched again whenever advisories are imported and once a day.
    await db.schema
      .createTable('security_advisories')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('modified', 'text', (c) => c.notNull())
      .addColumn('record', 'text', (c) => c.notNull())
      .addColumn('imported_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('security_advisory_packages')
      .addColumn('advisory_id', 'text', (c) =>
        c.notNull().references('security_advisories.id').onDelete('cascade'),
      )
      .addColumn('ecosystem', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('security_advisory_packages_pk', ['advisory_id', 'ecosystem', 'name'])
      .execute();
    await db.schema
      .createIndex('security_advisory_packages_name_idx')
      .on('security_advisory_packages')
      .columns(['ecosystem', 'name'])
      .execute();
    await db.schema
      .createTable('security_dependencies')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('service_id', 'text', (c) => c.notNull())
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('file', 'text', (c) => c.notNull())
      .addColumn('ecosystem', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('direct', 'integer', (c) => c.notNull())
      .addColumn('dev', 'integer', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('uploaded_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('security_dependencies_service_idx')
      .on('security_dependencies')
      .column('service_id')
      .execute();

    // Access held in other systems (imported from CSV/JSON), reviewed in the same campaigns.
    await db.schema
      .createTable('access_register')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('system', 'text', (c) => c.notNull())
      .addColumn('owner_team_id', 'text')
      .addColumn('person', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('access', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text')
      .addColumn('imported_at', 'text', (c) => c.notNull())
      .addColumn('removed_at', 'text')
      .addColumn('removed_by', 'text')
      .addColumn('removal_note', 'text')
      .execute();
    await db.schema
      .createIndex('access_register_system_idx')
      .on('access_register')
      .column('system')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const table of [
      'access_register',
      'security_dependencies',
      'security_advisory_packages',
      'security_advisories',
      'security_exercises',
      'training_completions',
      'training_courses',
      'access_review_items',
      'access_review_campaigns',
      'security_scans',
      'security_findings',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
