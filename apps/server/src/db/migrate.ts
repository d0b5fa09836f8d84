import { type Migration, type MigrationProvider, Migrator, PostgresAdapter, sql } from 'kysely';
import type { Db } from './database.ts';
import { m0001Platform } from './migrations/0001-platform.ts';
import { m0002Incidents } from './migrations/0002-incidents.ts';
import { m0003Postmortems } from './migrations/0003-postmortems.ts';
import { m0004Dora } from './migrations/0004-dora.ts';
import { m0005Oncall } from './migrations/0005-oncall.ts';
import { m0006Flags } from './migrations/0006-flags.ts';
import { m0007IncidentImport } from './migrations/0007-incident-import.ts';
import { m0008DoraChanges } from './migrations/0008-dora-changes.ts';
import { m0009OncallContacts } from './migrations/0009-oncall-contacts.ts';
import { m0010FlagReleaseControls } from './migrations/0010-flag-release-controls.ts';
import { m0011Workflow } from './migrations/0011-workflow.ts';
import { m0012Releases } from './migrations/0012-releases.ts';
import { m0013Security } from './migrations/0013-security.ts';
import { m0014PostmortemTracking } from './migrations/0014-postmortem-tracking.ts';
import { m0015IncidentHistory } from './migrations/0015-incident-history.ts';
import { m0016SecurityDependencyIgnores } from './migrations/0016-security-dependency-ignores.ts';
import { m0017OncallPageReopen } from './migrations/0017-oncall-page-reopen.ts';
import { m0018DropDeploymentCommitsShaIndex } from './migrations/0018-drop-deployment-commits-sha-index.ts';

/** Every migration, in order. Names sort lexically; never rename or edit one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001-platform': m0001Platform,
  '0002-incidents': m0002Incidents,
  '0003-postmortems': m0003Postmortems,
  '0004-dora': m0004Dora,
  '0005-oncall': m0005Oncall,
  '0006-flags': m0006Flags,
  '0007-incident-import': m0007IncidentImport,
  '0008-dora-changes': m0008DoraChanges,
  '0009-oncall-contacts': m0009OncallContacts,
  '0010-flag-release-controls': m0010FlagReleaseControls,
  '0011-workflow': m0011Workflow,
  '0012-releases': m0012Releases,
  '0013-security': m0013Security,
  '0014-postmortem-tracking': m0014PostmortemTracking,
  '0015-incident-history': m0015IncidentHistory,
  '0016-security-dependency-ignores': m0016SecurityDependencyIgnores,
  '0017-oncall-page-reopen': m0017OncallPageReopen,
  '0018-drop-deployment-commits-sha-index': m0018DropDeploymentCommitsShaIndex,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export interface MigrationReport {
  readonly applied: string[];
}

export async function migrateToLatest(db: Db): Promise<MigrationReport> {
  // On PostgreSQL, name the schema: Kysely otherwise looks for its tables in every schema and can
  // mistake another schema's migration table (another engops on the same database) for ours.
  const schema =
    db.getExecutor().adapter instanceof PostgresAdapter
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
      : undefined;
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'engops_migrations',
    migrationLockTableName: 'engops_migrations_lock',
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
