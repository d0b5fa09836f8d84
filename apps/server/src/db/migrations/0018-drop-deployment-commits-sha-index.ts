import type { Kysely, Migration } from 'kysely';

/**
 * deployment_commits' (service_id, sha) index served only the lead-time query that dora_changes
 * (0008) replaced: every read of the table since goes by deployment (its primary key). Each
 * commit a deployment ships wrote an entry into it at a random place (a tenth of a git import's
 * index writes).
 */
export const m0018DropDeploymentCommitsShaIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('deployment_commits_service_sha_idx').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema
      .createIndex('deployment_commits_service_sha_idx')
      .on('deployment_commits')
      .columns(['service_id', 'sha'])
      .execute();
  },
};
