import type { Kysely, Migration } from 'kysely';

/**
 * On-call, second part: how each person is reached (contact methods, verified by a code, and
 * notification rules), per-person calendar feeds, and each team's off-hours pay policy.
 * Portable DDL only.
 */
export const m0009OncallContacts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('oncall_contact_methods')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('label', 'text')
      .addColumn('verified', 'integer', (c) => c.notNull().defaultTo(0))
      // SHA-256 of the verification code sent to the address; null once verified.
      .addColumn('code_hash', 'text')
      .addColumn('code_expires_at', 'text')
      .addColumn('code_attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('oncall_contact_methods_uq')
      .on('oncall_contact_methods')
      .columns(['user_id', 'type', 'address'])
      .unique()
      .execute();

    await db.schema
      .createTable('oncall_notification_rules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('contact_method_id', 'text', (c) =>
        c.notNull().references('oncall_contact_methods.id').onDelete('cascade'),
      )
      .addColumn('delay_seconds', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('oncall_notification_rules_uq')
      .on('oncall_notification_rules')
      .columns(['contact_method_id', 'delay_seconds'])
      .unique()
      .execute();
    await db.schema
      .createIndex('oncall_notification_rules_user_idx')
      .on('oncall_notification_rules')
      .column('user_id')
      .execute();

    // Part of each person's signed iCal URL: changing it revokes the URLs handed out before.
    await db.schema
      .createTable('oncall_user_feeds')
      .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
      .addColumn('ical_key', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    // One JSON policy per team (rates, multipliers, working days and hours, holidays).
    await db.schema
      .createTable('oncall_pay_policies')
      .addColumn('team_id', 'text', (c) => c.primaryKey().references('teams.id').onDelete('cascade'))
      .addColumn('policy_json', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('oncall_pay_policies').execute();
    await db.schema.dropTable('oncall_user_feeds').execute();
    await db.schema.dropTable('oncall_notification_rules').execute();
    await db.schema.dropTable('oncall_contact_methods').execute();
  },
};
