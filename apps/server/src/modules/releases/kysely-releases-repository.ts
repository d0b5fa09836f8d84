import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type {
  ReleaseEventsTable,
  ReleaseFreezesTable,
  ReleasePipelinesTable,
  ReleaseSamplesTable,
  ReleaseSettingsTable,
  ReleaseStagesTable,
  ReleasesTable,
} from '../../db/schema.ts';

export type ReleaseRow = Selectable<ReleasesTable>;
export type StageRow = Selectable<ReleaseStagesTable>;
export type EventRow = Selectable<ReleaseEventsTable>;
export type PipelineRow = Selectable<ReleasePipelinesTable>;
export type FreezeRow = Selectable<ReleaseFreezesTable>;
export type SettingsRow = Selectable<ReleaseSettingsTable>;
export type SampleRow = Selectable<ReleaseSamplesTable>;

/** Every query of the releases module's tables. */
export function createReleasesRepository() {
  return {
    listPipelines(db: Db, teamId: string | undefined) {
      let q = db.selectFrom('release_pipelines').selectAll().orderBy('team_id').orderBy('name');
      if (teamId) q = q.where('team_id', '=', teamId);
      return q.execute();
    },
    getPipeline: (db: Db, id: string) =>
      db.selectFrom('release_pipelines').selectAll().where('id', '=', id).executeTakeFirst(),
    defaultPipeline: (db: Db, teamId: string) =>
      db
        .selectFrom('release_pipelines')
        .selectAll()
        .where('team_id', '=', teamId)
        .where('is_default', '=', 1)
        .executeTakeFirst(),
    async insertPipeline(db: Db, row: PipelineRow) {
      if (row.is_default)
        await db
          .updateTable('release_pipelines')
          .set({ is_default: 0 })
          .where('team_id', '=', row.team_id)
          .execute();
      await db.insertInto('release_pipelines').values(row).execute();
    },

    getRelease: (db: Db, id: string) =>
      db.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirst(),
    findVersion: (db: Db, serviceId: string, version: string) =>
      db
        .selectFrom('releases')
        .selectAll()
        .where('service_id', '=', serviceId)
        .where('version', '=', version)
        .executeTakeFirst(),
    insertRelease: (db: Db, row: ReleaseRow) => db.insertInto('releases').values(row).execute(),
    updateRelease: (db: Db, id: string, patch: Partial<ReleaseRow>) =>
      db.updateTable('releases').set(patch).where('id', '=', id).execute(),
    listReleases(
      db: Db,
      filter: { serviceId?: string | undefined; teamIds?: string[] | undefined; status?: string | undefined },
      before: string | undefined,
      limit: number,
    ) {
      let q = db.selectFrom('releases').selectAll().orderBy('id', 'desc').limit(limit);
      if (filter.serviceId) q = q.where('service_id', '=', filter.serviceId);
      if (filter.teamIds) q = q.where('team_id', 'in', filter.teamIds.length ? filter.teamIds : ['']);
      if (filter.status) q = q.where('status', '=', filter.status);
      if (before) q = q.where('id', '<', before);
      return q.execute();
    },
    /** The newest release of a service before `id` whose production stage succeeded (what a rollback returns to). */
    previousReleased: (db: Db, serviceId: string, beforeId: string) =>
      db
        .selectFrom('releases')
        .selectAll()
        .where('service_id', '=', serviceId)
        .where('id', '<', beforeId)
        .where('deployment_id', 'is not', null)
        .where('status', '!=', 'rolled_back')
        .orderBy('id', 'desc')
        .executeTakeFirst(),

    stages: (db: Db, releaseIds: string[]) =>
      releaseIds.length
        ? db
            .selectFrom('release_stages')
            .selectAll()
            .where('release_id', 'in', releaseIds)
            .orderBy('release_id')
            .orderBy('position')
            .execute()
        : Promise.resolve([] as StageRow[]),
    insertStages: (db: Db, rows: StageRow[]) => db.insertInto('release_stages').values(rows).execute(),
    updateStage: (db: Db, releaseId: string, name: string, patch: Partial<StageRow>) =>
      db
        .updateTable('release_stages')
        .set(patch)
        .where('release_id', '=', releaseId)
        .where('name', '=', name)
        .execute(),

    insertEvent: (db: Db, row: EventRow) => db.insertInto('release_events').values(row).execute(),
    events: (db: Db, releaseId: string) =>
      db.selectFrom('release_events').selectAll().where('release_id', '=', releaseId).orderBy('id').execute(),

    approvalCounts: (db: Db, releaseIds: string[]) =>
      releaseIds.length
        ? db
            .selectFrom('release_approvals')
            .select(['release_id', 'stage', (eb) => eb.fn.countAll<number>().as('n')])
            .where('release_id', 'in', releaseIds)
            .groupBy(['release_id', 'stage'])
            .execute()
        : Promise.resolve([]),
    /** False when this actor had already approved the stage. */
    async insertApproval(
      db: Db,
      row: {
        release_id: string;
        stage: string;
        actor_id: string;
        actor: string;
        comment: string | null;
        at: string;
      },
    ): Promise<boolean> {
      const result = await db
        .insertInto('release_approvals')
        .values(row)
        .onConflict((oc) => oc.columns(['release_id', 'stage', 'actor_id']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    insertSample: (db: Db, row: SampleRow) => db.insertInto('release_samples').values(row).execute(),
    /** Drops what an earlier pull stored for this metric and group (a pull replaces it). */
    deletePulled: (db: Db, releaseId: string, metric: string, group: string) =>
      db
        .deleteFrom('release_samples')
        .where('release_id', '=', releaseId)
        .where('metric', '=', metric)
        .where('sample_group', '=', group)
        .where('source', '=', 'prometheus')
        .execute(),
    samples: (db: Db, releaseId: string) =>
      db
        .selectFrom('release_samples')
        .selectAll()
        .where('release_id', '=', releaseId)
        .orderBy('id')
        .execute(),

    getSettings: (db: Db, serviceId: string) =>
      db.selectFrom('release_settings').selectAll().where('service_id', '=', serviceId).executeTakeFirst(),
    async putSettings(db: Db, row: SettingsRow) {
      await db
        .insertInto('release_settings')
        .values(row)
        .onConflict((oc) =>
          oc.column('service_id').doUpdateSet({
            metrics: row.metrics,
            rollback_hook_url: row.rollback_hook_url,
            rollback_hook_secret: row.rollback_hook_secret,
            monitor_window_minutes: row.monitor_window_minutes,
            canary: row.canary,
            prometheus: row.prometheus,
            slo: row.slo,
            updated_at: row.updated_at,
          }),
        )
        .execute();
    },

    listFreezes(
      db: Db,
      filter: { teamId?: string | undefined; from?: string | undefined; to?: string | undefined },
    ) {
      let q = db.selectFrom('release_freezes').selectAll().orderBy('starts_at').orderBy('id');
      if (filter.teamId) {
        const teamId = filter.teamId;
        q = q.where((eb) => eb.or([eb('team_id', '=', teamId), eb('team_id', 'is', null)]));
      }
      if (filter.from) q = q.where('ends_at', '>', filter.from);
      if (filter.to) q = q.where('starts_at', '<', filter.to);
      return q.limit(1000).execute();
    },
    /** Freezes covering `at` for this team (team freezes and organisation-wide ones). */
    activeFreezes: (db: Db, teamId: string, at: string) =>
      db
        .selectFrom('release_freezes')
        .selectAll()
        .where((eb) => eb.or([eb('team_id', '=', teamId), eb('team_id', 'is', null)]))
        .where('starts_at', '<=', at)
        .where('ends_at', '>', at)
        .orderBy('starts_at')
        .execute(),
    getFreeze: (db: Db, id: string) =>
      db.selectFrom('release_freezes').selectAll().where('id', '=', id).executeTakeFirst(),
    insertFreeze: (db: Db, row: FreezeRow) => db.insertInto('release_freezes').values(row).execute(),
    deleteFreeze: (db: Db, id: string) => db.deleteFrom('release_freezes').where('id', '=', id).execute(),
  };
}

export type ReleasesRepository = ReturnType<typeof createReleasesRepository>;
