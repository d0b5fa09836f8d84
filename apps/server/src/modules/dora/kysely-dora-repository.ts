import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { CommitsTable, DeploymentsTable } from '../../db/schema.ts';

export type DeploymentRow = Selectable<DeploymentsTable>;
export type CommitRow = Selectable<CommitsTable>;

export interface DeploymentFilter {
  /** null: every service (the organisation). */
  serviceIds: string[] | null;
  environment?: string | undefined;
  status?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

const CHUNK = 500;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function createDoraRepository() {
  return {
    async insertDeployment(db: Db, row: DeploymentRow): Promise<void> {
      await db.insertInto('deployments').values(row).execute();
    },
    getDeployment(db: Db, id: string) {
      return db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
    },
    findByExternalId(db: Db, source: string, externalId: string) {
      return db
        .selectFrom('deployments')
        .selectAll()
        .where('source', '=', source)
        .where('external_id', '=', externalId)
        .executeTakeFirst();
    },
    /** Inserts commits it does not know yet (a commit's recorded time never changes). */
    async upsertCommits(db: Db, rows: CommitRow[]): Promise<void> {
      for (const part of chunks(rows)) {
        await db
          .insertInto('commits')
          .values(part)
          .onConflict((oc) => oc.columns(['service_id', 'sha']).doNothing())
          .execute();
      }
    },
    async linkCommits(db: Db, deploymentId: string, serviceId: string, shas: string[]): Promise<void> {
      const unique = [...new Set(shas)];
      for (const part of chunks(unique)) {
        await db
          .insertInto('deployment_commits')
          .values(part.map((sha) => ({ deployment_id: deploymentId, service_id: serviceId, sha })))
          .onConflict((oc) => oc.columns(['deployment_id', 'sha']).doNothing())
          .execute();
      }
    },
    getCommit(db: Db, serviceId: string, sha: string) {
      return db
        .selectFrom('commits')
        .selectAll()
        .where('service_id', '=', serviceId)
        .where('sha', '=', sha)
        .executeTakeFirst();
    },
    /** Commits of a service with committed_at in (after, upTo], oldest first (bounded). */
    commitsBetween(db: Db, serviceId: string, after: string | null, upTo: string, limit: number) {
      let q = db
        .selectFrom('commits')
        .select(['sha', 'committed_at'])
        .where('service_id', '=', serviceId)
        .where('committed_at', '<=', upTo)
        .orderBy('committed_at')
        .limit(limit);
      if (after) q = q.where('committed_at', '>', after);
      return q.execute();
    },
    /** The latest successful deployment of a service to an environment finishing before `before`. */
    previousSuccessful(db: Db, serviceId: string, environment: string, before: string) {
      return db
        .selectFrom('deployments')
        .selectAll()
        .where('service_id', '=', serviceId)
        .where('environment', '=', environment)
        .where('status', '=', 'success')
        .where('finished_at', '<', before)
        .orderBy('finished_at', 'desc')
        .limit(1)
        .executeTakeFirst();
    },
    /** Newest first by id (ids are time-ordered). */
    listDeployments(db: Db, filter: DeploymentFilter, before: string | undefined, limit: number) {
      let q = db.selectFrom('deployments').selectAll().orderBy('id', 'desc').limit(limit);
      if (before) q = q.where('id', '<', before);
      if (filter.serviceIds) {
        if (filter.serviceIds.length === 0) return Promise.resolve([] as DeploymentRow[]);
        q = q.where('service_id', 'in', filter.serviceIds);
      }
      if (filter.environment) q = q.where('environment', '=', filter.environment);
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.from) q = q.where('finished_at', '>=', filter.from);
      if (filter.to) q = q.where('finished_at', '<', filter.to);
      return q.execute();
    },
    /** Deployments to `environment` finishing in [from, to), each with "some rollback names it". */
    async windowDeployments(
      db: Db,
      filter: DeploymentFilter & { environment: string; from: string; to: string },
    ) {
      if (filter.serviceIds?.length === 0) return [];
      let q = db
        .selectFrom('deployments as d')
        .select([
          'd.id',
          'd.service_id',
          'd.status',
          'd.kind',
          'd.rollback_of',
          'd.finished_at',
          'd.version',
          'd.commit_sha',
        ])
        .select((eb) =>
          eb
            .exists(
              eb
                .selectFrom('deployments as r')
                .select(sql`1`.as('one'))
                .whereRef('r.rollback_of', '=', 'd.id')
                .where('r.kind', '=', 'rollback'),
            )
            .as('rolled_back'),
        )
        .where('d.environment', '=', filter.environment)
        .where('d.finished_at', '>=', filter.from)
        .where('d.finished_at', '<', filter.to)
        .orderBy('d.finished_at');
      if (filter.serviceIds) q = q.where('d.service_id', 'in', filter.serviceIds);
      const rows = await q.execute();
      return rows.map((r) => ({ ...r, rolled_back: Boolean(r.rolled_back) }));
    },
    /**
     * Commits shipped by successful deployments to `environment` finishing in [from, to), minus
     * those some successful deployment to it had already shipped before `from`.
     */
    async windowChanges(
      db: Db,
      filter: DeploymentFilter & { environment: string; from: string; to: string },
    ) {
      if (filter.serviceIds?.length === 0) return [];
      let q = db
        .selectFrom('deployment_commits as dc')
        .innerJoin('deployments as d', 'd.id', 'dc.deployment_id')
        .leftJoin('commits as c', (join) =>
          join.onRef('c.service_id', '=', 'dc.service_id').onRef('c.sha', '=', 'dc.sha'),
        )
        .select([
          'dc.service_id',
          'dc.sha',
          'c.committed_at',
          'd.id as deployment_id',
          'd.finished_at as deployed_at',
        ])
        .where('d.environment', '=', filter.environment)
        .where('d.status', '=', 'success')
        .where('d.finished_at', '>=', filter.from)
        .where('d.finished_at', '<', filter.to)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('deployment_commits as dc2')
                .innerJoin('deployments as d2', 'd2.id', 'dc2.deployment_id')
                .select(sql`1`.as('one'))
                .whereRef('dc2.service_id', '=', 'dc.service_id')
                .whereRef('dc2.sha', '=', 'dc.sha')
                .where('d2.environment', '=', filter.environment)
                .where('d2.status', '=', 'success')
                .where('d2.finished_at', '<', filter.from),
            ),
          ),
        );
      if (filter.serviceIds) q = q.where('d.service_id', 'in', filter.serviceIds);
      return q.execute();
    },
    /** Records a webhook delivery; false when it was already recorded (a redelivery). */
    async recordDelivery(
      db: Db,
      row: { source: string; delivery_id: string; event: string; outcome: string; received_at: string },
    ): Promise<boolean> {
      const result = await db
        .insertInto('webhook_deliveries')
        .values(row)
        .onConflict((oc) => oc.columns(['source', 'delivery_id']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    getDelivery(db: Db, source: string, deliveryId: string) {
      return db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('source', '=', source)
        .where('delivery_id', '=', deliveryId)
        .executeTakeFirst();
    },
    getScmSecret(db: Db, provider: string) {
      return db
        .selectFrom('scm_integrations')
        .selectAll()
        .where('provider', '=', provider)
        .executeTakeFirst();
    },
    async setScmSecret(db: Db, provider: string, secret: string, at: string): Promise<void> {
      await db
        .insertInto('scm_integrations')
        .values({ provider, webhook_secret: secret, updated_at: at })
        .onConflict((oc) => oc.column('provider').doUpdateSet({ webhook_secret: secret, updated_at: at }))
        .execute();
    },
  };
}

export type DoraRepository = ReturnType<typeof createDoraRepository>;
