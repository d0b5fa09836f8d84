import type { Db } from '../../db/database.ts';
import type {
  AccessReviewCampaignsTable,
  AccessReviewItemsTable,
  SecurityExercisesTable,
  SecurityFindingsTable,
  SecurityScansTable,
  TrainingCompletionsTable,
  TrainingCoursesTable,
} from '../../db/schema.ts';

export type FindingRow = SecurityFindingsTable;
export type CampaignRow = AccessReviewCampaignsTable;
export type ReviewItemRow = AccessReviewItemsTable;
export type CourseRow = TrainingCoursesTable;
export type CompletionRow = TrainingCompletionsTable;
export type ExerciseRow = SecurityExercisesTable;

/** The security module's tables; nothing else reads them. */
export function createSecurityRepository() {
  return {
    // ---- findings
    findingsOf: (db: Db, serviceId: string, kind: string) =>
      db
        .selectFrom('security_findings')
        .selectAll()
        .where('service_id', '=', serviceId)
        .where('kind', '=', kind)
        .execute(),
    insertFinding: (db: Db, row: FindingRow) => db.insertInto('security_findings').values(row).execute(),
    updateFinding: (db: Db, id: string, patch: Partial<FindingRow>) =>
      db.updateTable('security_findings').set(patch).where('id', '=', id).execute(),
    getFinding: (db: Db, id: string) =>
      db.selectFrom('security_findings').selectAll().where('id', '=', id).executeTakeFirst(),
    listFindings(
      db: Db,
      filter: {
        serviceId?: string | undefined;
        teamIds?: string[] | undefined;
        kind?: string | undefined;
        status?: string | undefined;
        severity?: string | undefined;
        after?: string | undefined;
        limit: number;
      },
    ) {
      let q = db.selectFrom('security_findings').selectAll();
      if (filter.serviceId) q = q.where('service_id', '=', filter.serviceId);
      if (filter.teamIds) q = q.where('team_id', 'in', filter.teamIds.length > 0 ? filter.teamIds : ['']);
      if (filter.kind) q = q.where('kind', '=', filter.kind);
      if (filter.status === 'unresolved') q = q.where('status', 'in', ['open', 'acknowledged']);
      else if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.severity) q = q.where('severity', '=', filter.severity);
      if (filter.after) q = q.where('id', '>', filter.after);
      return q.orderBy('id').limit(filter.limit).execute();
    },
    openFindings: (db: Db) =>
      db
        .selectFrom('security_findings')
        .select(['service_id', 'team_id', 'severity', 'status', 'first_seen_at'])
        .where('status', 'in', ['open', 'acknowledged'])
        .execute(),
    findingHistory: (db: Db, id: string) =>
      db
        .selectFrom('audit_log')
        .select(['at', 'actor_name', 'action', 'before_json', 'after_json'])
        .where('target_type', '=', 'security_finding')
        .where('target_id', '=', id)
        .orderBy('at')
        .orderBy('id')
        .execute(),

    // ---- scans
    insertScan: (db: Db, row: SecurityScansTable) => db.insertInto('security_scans').values(row).execute(),
    lastScans: (db: Db) =>
      db
        .selectFrom('security_scans')
        .select(['service_id', 'kind', (eb) => eb.fn.max('at').as('at')])
        .groupBy(['service_id', 'kind'])
        .execute(),

    // ---- exercises
    insertExercise: (db: Db, row: ExerciseRow) => db.insertInto('security_exercises').values(row).execute(),
    lastExercises: (db: Db) =>
      db
        .selectFrom('security_exercises')
        .select(['service_id', (eb) => eb.fn.max('exercised_at').as('at')])
        .groupBy('service_id')
        .execute(),

    // ---- access reviews
    insertCampaign: (db: Db, row: CampaignRow) =>
      db.insertInto('access_review_campaigns').values(row).execute(),
    insertItems: async (db: Db, rows: ReviewItemRow[]) => {
      for (let i = 0; i < rows.length; i += 200)
        await db
          .insertInto('access_review_items')
          .values(rows.slice(i, i + 200))
          .execute();
    },
    getCampaign: (db: Db, id: string) =>
      db.selectFrom('access_review_campaigns').selectAll().where('id', '=', id).executeTakeFirst(),
    listCampaigns: (db: Db) =>
      db.selectFrom('access_review_campaigns').selectAll().orderBy('id', 'desc').execute(),
    updateCampaign: (db: Db, id: string, patch: Partial<CampaignRow>) =>
      db.updateTable('access_review_campaigns').set(patch).where('id', '=', id).execute(),
    itemsOf: (db: Db, campaignId: string) =>
      db
        .selectFrom('access_review_items')
        .selectAll()
        .where('campaign_id', '=', campaignId)
        .orderBy('id')
        .execute(),
    getItem: (db: Db, campaignId: string, id: string) =>
      db
        .selectFrom('access_review_items')
        .selectAll()
        .where('campaign_id', '=', campaignId)
        .where('id', '=', id)
        .executeTakeFirst(),
    updateItem: (db: Db, id: string, patch: Partial<ReviewItemRow>) =>
      db.updateTable('access_review_items').set(patch).where('id', '=', id).execute(),

    // ---- training
    insertCourse: (db: Db, row: CourseRow) => db.insertInto('training_courses').values(row).execute(),
    getCourse: (db: Db, id: string) =>
      db.selectFrom('training_courses').selectAll().where('id', '=', id).executeTakeFirst(),
    listCourses: (db: Db) => db.selectFrom('training_courses').selectAll().orderBy('name').execute(),
    insertCompletion: (db: Db, row: CompletionRow) =>
      db.insertInto('training_completions').values(row).execute(),
    getCompletion: (db: Db, id: string) =>
      db.selectFrom('training_completions').selectAll().where('id', '=', id).executeTakeFirst(),
    listCompletions: (db: Db) =>
      db.selectFrom('training_completions').selectAll().orderBy('completed_at').execute(),
  };
}

export type SecurityRepository = ReturnType<typeof createSecurityRepository>;
