import type { Db } from '../../db/database.ts';
import type {
  FlagEnvironmentConfigsTable,
  FlagEnvironmentsTable,
  FlagSdkTokensTable,
  FlagSegmentsTable,
  FlagsTable,
} from '../../db/schema.ts';

/** Row access for flags. Every function takes the Db or transaction to run on. */
export const flagsRepository = {
  listEnvironments: (db: Db): Promise<FlagEnvironmentsTable[]> =>
    db.selectFrom('flag_environments').selectAll().orderBy('sort_order').orderBy('key').execute(),
  findEnvironment: (db: Db, key: string) =>
    db.selectFrom('flag_environments').selectAll().where('key', '=', key).executeTakeFirst(),
  insertEnvironment: (db: Db, row: FlagEnvironmentsTable) =>
    db.insertInto('flag_environments').values(row).execute(),
  updateEnvironment: (db: Db, key: string, patch: Partial<FlagEnvironmentsTable>) =>
    db.updateTable('flag_environments').set(patch).where('key', '=', key).execute(),
  /** The revision of every environment (what the SSE stream polls). */
  revisions: (db: Db) => db.selectFrom('flag_environments').select(['key', 'revision']).execute(),
  /** Changes the ETag SDKs see: call on every change that alters what an environment serves. */
  async bumpRevision(db: Db, environments: string[] | 'all', at: string): Promise<void> {
    let q = db
      .updateTable('flag_environments')
      .set((eb) => ({ revision: eb('revision', '+', 1), updated_at: at }));
    if (environments !== 'all') {
      if (environments.length === 0) return;
      q = q.where('key', 'in', environments);
    }
    await q.execute();
  },

  listFlags: (db: Db): Promise<FlagsTable[]> =>
    db.selectFrom('flags').selectAll().where('archived_at', 'is', null).orderBy('key').execute(),
  findFlag: (db: Db, key: string) =>
    db
      .selectFrom('flags')
      .selectAll()
      .where('key', '=', key)
      .where('archived_at', 'is', null)
      .executeTakeFirst(),
  listArchived: (db: Db): Promise<FlagsTable[]> =>
    db
      .selectFrom('flags')
      .selectAll()
      .where('archived_at', 'is not', null)
      .orderBy('archived_at', 'desc')
      .execute(),
  findArchived: (db: Db, key: string) =>
    db
      .selectFrom('flags')
      .selectAll()
      .where('key', '=', key)
      .where('archived_at', 'is not', null)
      .executeTakeFirst(),
  insertFlag: (db: Db, row: FlagsTable) => db.insertInto('flags').values(row).execute(),
  updateFlag: (db: Db, key: string, patch: Partial<FlagsTable>) =>
    db.updateTable('flags').set(patch).where('key', '=', key).execute(),

  listConfigs: (db: Db, flagKeys?: string[]): Promise<FlagEnvironmentConfigsTable[]> => {
    let q = db.selectFrom('flag_environment_configs').selectAll();
    if (flagKeys) {
      if (flagKeys.length === 0) return Promise.resolve([]);
      q = q.where('flag_key', 'in', flagKeys);
    }
    return q.execute();
  },
  configsOfEnvironment: (db: Db, environment: string) =>
    db.selectFrom('flag_environment_configs').selectAll().where('environment', '=', environment).execute(),
  findConfig: (db: Db, flagKey: string, environment: string) =>
    db
      .selectFrom('flag_environment_configs')
      .selectAll()
      .where('flag_key', '=', flagKey)
      .where('environment', '=', environment)
      .executeTakeFirst(),
  async upsertConfig(db: Db, row: FlagEnvironmentConfigsTable): Promise<void> {
    await db
      .insertInto('flag_environment_configs')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['flag_key', 'environment']).doUpdateSet({
          enabled: row.enabled,
          strategies_json: row.strategies_json,
          variants_json: row.variants_json,
          updated_at: row.updated_at,
        }),
      )
      .execute();
  },

  listSegments: (db: Db): Promise<FlagSegmentsTable[]> =>
    db.selectFrom('flag_segments').selectAll().orderBy('id').execute(),
  findSegment: (db: Db, id: number) =>
    db.selectFrom('flag_segments').selectAll().where('id', '=', id).executeTakeFirst(),
  async nextSegmentId(db: Db): Promise<number> {
    const row = await db
      .selectFrom('flag_segments')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirst();
    return Number(row?.max ?? 0) + 1;
  },
  insertSegment: (db: Db, row: FlagSegmentsTable) => db.insertInto('flag_segments').values(row).execute(),
  updateSegment: (db: Db, id: number, patch: Partial<FlagSegmentsTable>) =>
    db.updateTable('flag_segments').set(patch).where('id', '=', id).execute(),

  insertToken: (db: Db, row: FlagSdkTokensTable) => db.insertInto('flag_sdk_tokens').values(row).execute(),
  listTokens: (db: Db) => db.selectFrom('flag_sdk_tokens').selectAll().orderBy('id').execute(),
  findToken: (db: Db, id: string) =>
    db.selectFrom('flag_sdk_tokens').selectAll().where('id', '=', id).executeTakeFirst(),
  findTokenByHash: (db: Db, hash: string) =>
    db.selectFrom('flag_sdk_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst(),
  updateToken: (db: Db, id: string, patch: Partial<FlagSdkTokensTable>) =>
    db.updateTable('flag_sdk_tokens').set(patch).where('id', '=', id).execute(),

  async upsertInstance(
    db: Db,
    row: {
      app_name: string;
      instance_id: string;
      environment: string;
      sdk_version: string | null;
      strategies_json: string;
      interval_ms: number | null;
      started_at: string | null;
      last_seen_at: string;
    },
  ): Promise<void> {
    await db
      .insertInto('flag_client_instances')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['app_name', 'instance_id', 'environment']).doUpdateSet({
          sdk_version: row.sdk_version,
          strategies_json: row.strategies_json,
          interval_ms: row.interval_ms,
          started_at: row.started_at,
          last_seen_at: row.last_seen_at,
        }),
      )
      .execute();
  },
  async addMetric(
    db: Db,
    row: {
      flag_key: string;
      environment: string;
      hour: string;
      app_name: string;
      variant: string;
      yes: number;
      no: number;
    },
  ): Promise<void> {
    await db
      .insertInto('flag_metrics_hourly')
      .values({
        flag_key: row.flag_key,
        environment: row.environment,
        hour: row.hour,
        app_name: row.app_name,
        variant: row.variant,
        yes_count: row.yes,
        no_count: row.no,
      })
      .onConflict((oc) =>
        oc.columns(['flag_key', 'environment', 'hour', 'app_name', 'variant']).doUpdateSet((eb) => ({
          yes_count: eb('flag_metrics_hourly.yes_count', '+', row.yes),
          no_count: eb('flag_metrics_hourly.no_count', '+', row.no),
        })),
      )
      .execute();
  },
  /** The last hour each flag was evaluated by an SDK (any environment), and its last exposure. */
  async lastEvaluated(db: Db): Promise<Map<string, string>> {
    const metrics = await db
      .selectFrom('flag_metrics_hourly')
      .select(['flag_key', (eb) => eb.fn.max('hour').as('last')])
      .groupBy('flag_key')
      .execute();
    const events = await db
      .selectFrom('flag_events')
      .select(['flag_key', (eb) => eb.fn.max('at').as('last')])
      .where('type', '=', 'exposure')
      .groupBy('flag_key')
      .execute();
    const out = new Map<string, string>();
    for (const row of [...metrics, ...events]) {
      const last = String(row.last);
      const seen = out.get(row.flag_key);
      if (!seen || seen < last) out.set(row.flag_key, last);
    }
    return out;
  },
  metricsOf: (db: Db, flagKey: string) =>
    db
      .selectFrom('flag_metrics_hourly')
      .selectAll()
      .where('flag_key', '=', flagKey)
      .orderBy('hour')
      .execute(),
};
