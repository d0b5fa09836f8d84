import type { Db } from '../../db/database.ts';
import type {
  WorkflowBranchesTable,
  WorkflowChecksTable,
  WorkflowCommentsTable,
  WorkflowPrEventsTable,
  WorkflowPullRequestsTable,
  WorkflowPushesTable,
  WorkflowReviewsTable,
} from '../../db/schema.ts';

export type PullRequestRow = WorkflowPullRequestsTable;
export type BranchRow = WorkflowBranchesTable;

const CHUNK = 500;

async function chunked<T, R>(values: readonly T[], run: (part: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < values.length; i += CHUNK) out.push(...(await run(values.slice(i, i + CHUNK))));
  return out;
}

export interface PrFilter {
  serviceIds: string[] | null;
  repository?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  state?: string | undefined;
  /** Lower-case author login. */
  author?: string | undefined;
}

/** Storage of the workflow module; every method takes the executor (db or a transaction). */
export function createWorkflowRepository() {
  return {
    async deliverySeen(db: Db, provider: string, deliveryId: string): Promise<boolean> {
      const row = await db
        .selectFrom('workflow_deliveries')
        .select('delivery_id')
        .where('provider', '=', provider)
        .where('delivery_id', '=', deliveryId)
        .executeTakeFirst();
      return row !== undefined;
    },
    async recordDelivery(
      db: Db,
      row: { provider: string; delivery_id: string; event: string; outcome: string; received_at: string },
    ) {
      await db.insertInto('workflow_deliveries').values(row).execute();
    },

    findPr(db: Db, provider: string, repositoryLc: string, number: number) {
      return db
        .selectFrom('workflow_pull_requests')
        .selectAll()
        .where('provider', '=', provider)
        .where('repository_lc', '=', repositoryLc)
        .where('number', '=', number)
        .executeTakeFirst();
    },
    async insertPr(db: Db, row: PullRequestRow) {
      await db.insertInto('workflow_pull_requests').values(row).execute();
    },
    async updatePr(db: Db, id: string, patch: Partial<PullRequestRow>) {
      await db.updateTable('workflow_pull_requests').set(patch).where('id', '=', id).execute();
    },
    async insertEvent(db: Db, row: WorkflowPrEventsTable) {
      await db.insertInto('workflow_pr_events').values(row).execute();
    },
    async insertReview(db: Db, row: WorkflowReviewsTable) {
      await db
        .insertInto('workflow_reviews')
        .values(row)
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    },
    /** GitLab: a reviewer withdrew their approval; their standing approvals end at `at`. */
    async withdrawApproval(db: Db, prId: string, reviewer: string, at: string) {
      await db
        .updateTable('workflow_reviews')
        .set({ dismissed_at: at })
        .where('pr_id', '=', prId)
        .where('reviewer', '=', reviewer)
        .where('state', '=', 'approved')
        .where('dismissed_at', 'is', null)
        .execute();
    },
    async dismissReview(db: Db, id: string, at: string) {
      await db.updateTable('workflow_reviews').set({ dismissed_at: at }).where('id', '=', id).execute();
    },
    async insertComment(db: Db, row: WorkflowCommentsTable) {
      await db
        .insertInto('workflow_comments')
        .values(row)
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    },
    async deleteComment(db: Db, id: string) {
      await db.updateTable('workflow_comments').set({ deleted: 1 }).where('id', '=', id).execute();
    },
    /** Keeps the newest state of each check (by the payload's time). */
    async upsertCheck(db: Db, row: WorkflowChecksTable) {
      const existing = await db
        .selectFrom('workflow_checks')
        .select('at')
        .where('repository_lc', '=', row.repository_lc)
        .where('sha', '=', row.sha)
        .where('kind', '=', row.kind)
        .where('name', '=', row.name)
        .executeTakeFirst();
      if (!existing) await db.insertInto('workflow_checks').values(row).execute();
      // Newer wins; at the same instant a finished state is not undone by a late "queued" delivery.
      else if (existing.at < row.at || (existing.at === row.at && row.state !== 'pending'))
        await db
          .updateTable('workflow_checks')
          .set({ state: row.state, at: row.at })
          .where('repository_lc', '=', row.repository_lc)
          .where('sha', '=', row.sha)
          .where('kind', '=', row.kind)
          .where('name', '=', row.name)
          .execute();
    },
    /** The branch of that name not deleted yet (branch names are reused after deletion). */
    openBranch(db: Db, repositoryLc: string, name: string) {
      return db
        .selectFrom('workflow_branches')
        .selectAll()
        .where('repository_lc', '=', repositoryLc)
        .where('name', '=', name)
        .where('deleted_at', 'is', null)
        .orderBy('id', 'desc')
        .executeTakeFirst();
    },
    async insertBranch(db: Db, row: BranchRow) {
      await db.insertInto('workflow_branches').values(row).execute();
    },
    async updateBranch(db: Db, id: string, patch: Partial<BranchRow>) {
      await db.updateTable('workflow_branches').set(patch).where('id', '=', id).execute();
    },
    async insertPush(db: Db, row: WorkflowPushesTable) {
      await db
        .insertInto('workflow_pushes')
        .values(row)
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    },

    // ---- reads

    listPrs(db: Db, f: PrFilter, limit: number) {
      let q = db.selectFrom('workflow_pull_requests').selectAll();
      if (f.serviceIds) q = q.where('service_id', 'in', f.serviceIds.length ? f.serviceIds : ['']);
      if (f.repository) q = q.where('repository_lc', '=', f.repository.toLowerCase());
      if (f.from) q = q.where('opened_at', '>=', f.from);
      if (f.to) q = q.where('opened_at', '<', f.to);
      if (f.state) q = q.where('state', '=', f.state);
      if (f.author) q = q.where((eb) => eb(eb.fn('lower', ['author']), '=', f.author!.toLowerCase()));
      return q.orderBy('opened_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    },
    prById(db: Db, id: string) {
      return db.selectFrom('workflow_pull_requests').selectAll().where('id', '=', id).executeTakeFirst();
    },
    eventsOf(db: Db, prIds: string[]) {
      return chunked(prIds, (part) =>
        db
          .selectFrom('workflow_pr_events')
          .selectAll()
          .where('pr_id', 'in', part)
          .orderBy('at')
          .orderBy('id')
          .execute(),
      );
    },
    reviewsOf(db: Db, prIds: string[]) {
      return chunked(prIds, (part) =>
        db
          .selectFrom('workflow_reviews')
          .selectAll()
          .where('pr_id', 'in', part)
          .orderBy('submitted_at')
          .execute(),
      );
    },
    commentsOf(db: Db, prIds: string[]) {
      return chunked(prIds, (part) =>
        db
          .selectFrom('workflow_comments')
          .selectAll()
          .where('pr_id', 'in', part)
          .where('deleted', '=', 0)
          .orderBy('created_at')
          .execute(),
      );
    },
    checksOf(db: Db, shas: string[]) {
      return chunked(shas, (part) =>
        db.selectFrom('workflow_checks').selectAll().where('sha', 'in', part).execute(),
      );
    },
    pushesTo(db: Db, branches: string[]) {
      return chunked(branches, (part) =>
        db.selectFrom('workflow_pushes').selectAll().where('branch', 'in', part).execute(),
      );
    },
    branchesNamed(db: Db, names: string[]) {
      return chunked(names, (part) =>
        db.selectFrom('workflow_branches').selectAll().where('name', 'in', part).execute(),
      );
    },
    listBranches(db: Db, f: PrFilter, limit: number) {
      let q = db.selectFrom('workflow_branches').selectAll();
      if (f.serviceIds) q = q.where('service_id', 'in', f.serviceIds.length ? f.serviceIds : ['']);
      if (f.repository) q = q.where('repository_lc', '=', f.repository.toLowerCase());
      // Active in the window: started before its end, not deleted before its start.
      if (f.to) q = q.where((eb) => eb.or([eb('first_commit_at', '<', f.to!), eb('created_at', '<', f.to!)]));
      if (f.from) q = q.where((eb) => eb.or([eb('deleted_at', 'is', null), eb('deleted_at', '>=', f.from!)]));
      return q.orderBy('id', 'desc').limit(limit).execute();
    },
    /** Merged PRs by head branch, for branch ends. */
    mergedByHead(db: Db, names: string[]) {
      return chunked(names, (part) =>
        db
          .selectFrom('workflow_pull_requests')
          .select(['repository_lc', 'head_ref', 'merged_at', 'head_sha', 'merge_commit_sha'])
          .where('head_ref', 'in', part)
          .where('merged_at', 'is not', null)
          .execute(),
      );
    },
    listReviews(db: Db, f: PrFilter & { reviewer?: string | undefined }, limit: number) {
      let q = db
        .selectFrom('workflow_reviews as r')
        .innerJoin('workflow_pull_requests as p', 'p.id', 'r.pr_id')
        .select([
          'r.id',
          'r.pr_id',
          'r.reviewer',
          'r.state',
          'r.submitted_at',
          'r.dismissed_at',
          'p.repository',
          'p.number',
          'p.title',
          'p.author',
        ]);
      if (f.serviceIds) q = q.where('p.service_id', 'in', f.serviceIds.length ? f.serviceIds : ['']);
      if (f.repository) q = q.where('p.repository_lc', '=', f.repository.toLowerCase());
      if (f.from) q = q.where('r.submitted_at', '>=', f.from);
      if (f.to) q = q.where('r.submitted_at', '<', f.to);
      // Code-host logins are case-insensitive.
      if (f.reviewer) q = q.where((eb) => eb(eb.fn('lower', ['r.reviewer']), '=', f.reviewer!.toLowerCase()));
      return q.orderBy('r.submitted_at', 'desc').limit(limit).execute();
    },
    defaultBranchPushes(db: Db, serviceIds: string[], from: string, to: string) {
      return chunked(serviceIds, (part) =>
        db
          .selectFrom('workflow_pushes')
          .select(['service_id', 'after_sha'])
          .where('service_id', 'in', part)
          .where('is_default', '=', 1)
          .where('at', '>=', from)
          .where('at', '<', to)
          .execute(),
      );
    },
    mergedShas(db: Db, serviceIds: string[]) {
      return chunked(serviceIds, (part) =>
        db
          .selectFrom('workflow_pull_requests')
          .select(['head_sha', 'merge_commit_sha'])
          .where('service_id', 'in', part)
          .where('merged_at', 'is not', null)
          .execute(),
      );
    },

    // ---- identities and nudges

    identities(db: Db) {
      return db.selectFrom('workflow_identities').selectAll().orderBy('provider').orderBy('login').execute();
    },
    identity(db: Db, provider: string, login: string) {
      return db
        .selectFrom('workflow_identities')
        .selectAll()
        .where('provider', '=', provider)
        .where('login', '=', login.toLowerCase())
        .executeTakeFirst();
    },
    async putIdentity(db: Db, row: { provider: string; login: string; user_id: string; created_at: string }) {
      await db
        .insertInto('workflow_identities')
        .values({ ...row, login: row.login.toLowerCase() })
        .onConflict((oc) => oc.columns(['provider', 'login']).doUpdateSet({ user_id: row.user_id }))
        .execute();
    },
    async deleteIdentity(db: Db, provider: string, login: string): Promise<boolean> {
      const r = await db
        .deleteFrom('workflow_identities')
        .where('provider', '=', provider)
        .where('login', '=', login.toLowerCase())
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    nudgeSent(db: Db, prId: string, stage: string) {
      return db
        .selectFrom('workflow_nudges')
        .select('sent_at')
        .where('pr_id', '=', prId)
        .where('stage', '=', stage)
        .executeTakeFirst();
    },
    async recordNudge(
      db: Db,
      row: { pr_id: string; stage: string; waiting_since: string; recipients: number; sent_at: string },
    ) {
      await db.insertInto('workflow_nudges').values(row).execute();
    },
    openPrs(db: Db) {
      return db
        .selectFrom('workflow_pull_requests')
        .selectAll()
        .where('state', '=', 'open')
        .where('draft', '=', 0)
        .execute();
    },
  };
}

export type WorkflowRepository = ReturnType<typeof createWorkflowRepository>;
