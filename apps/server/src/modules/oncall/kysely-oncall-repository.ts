import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type {
  EscalationPoliciesTable,
  OncallOverridesTable,
  OncallPagesTable,
  OncallSchedulesTable,
} from '../../db/schema.ts';

export type ScheduleRow = Selectable<OncallSchedulesTable>;
export type OverrideRow = Selectable<OncallOverridesTable>;
export type PolicyRow = Selectable<EscalationPoliciesTable>;

/** The on-call module's tables; every function takes the executor (db or a transaction). */
export function createOncallRepository() {
  return {
    getSchedule: (db: Db, id: string) =>
      db.selectFrom('oncall_schedules').selectAll().where('id', '=', id).executeTakeFirst(),
    listSchedules(db: Db, teamId?: string) {
      let q = db.selectFrom('oncall_schedules').selectAll().orderBy('name').orderBy('id');
      if (teamId) q = q.where('team_id', '=', teamId);
      return q.execute();
    },
    insertSchedule: (db: Db, row: Insertable<OncallSchedulesTable>) =>
      db.insertInto('oncall_schedules').values(row).execute(),
    updateSchedule: (
      db: Db,
      id: string,
      set: Pick<OncallSchedulesTable, 'name' | 'time_zone' | 'layers_json' | 'updated_at'>,
    ) => db.updateTable('oncall_schedules').set(set).where('id', '=', id).execute(),
    deleteSchedule: (db: Db, id: string) => db.deleteFrom('oncall_schedules').where('id', '=', id).execute(),

    /** Overrides of a schedule overlapping [from, to) (all when no window), by start. */
    listOverrides(db: Db, scheduleId: string, window?: { from: string; to: string }) {
      let q = db
        .selectFrom('oncall_overrides')
        .selectAll()
        .where('schedule_id', '=', scheduleId)
        .orderBy('start_at')
        .orderBy('id');
      if (window) q = q.where('end_at', '>', window.from).where('start_at', '<', window.to);
      return q.execute();
    },
    insertOverride: (db: Db, row: Insertable<OncallOverridesTable>) =>
      db.insertInto('oncall_overrides').values(row).execute(),

    getPolicy: (db: Db, id: string) =>
      db.selectFrom('escalation_policies').selectAll().where('id', '=', id).executeTakeFirst(),
    listPolicies(db: Db, teamId?: string) {
      let q = db.selectFrom('escalation_policies').selectAll().orderBy('name').orderBy('id');
      if (teamId) q = q.where('team_id', '=', teamId);
      return q.execute();
    },
    insertPolicy: (db: Db, row: Insertable<EscalationPoliciesTable>) =>
      db.insertInto('escalation_policies').values(row).execute(),
    updatePolicy: (
      db: Db,
      id: string,
      set: Pick<EscalationPoliciesTable, 'name' | 'steps_json' | 'repeat' | 'updated_at'>,
    ) => db.updateTable('escalation_policies').set(set).where('id', '=', id).execute(),
    deletePolicy: (db: Db, id: string) => db.deleteFrom('escalation_policies').where('id', '=', id).execute(),
    async servicesOfPolicy(db: Db, policyId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('service_escalation_policies')
        .select('service_id')
        .where('escalation_policy_id', '=', policyId)
        .orderBy('service_id')
        .execute();
      return rows.map((r) => r.service_id);
    },
    allServiceLinks: (db: Db) =>
      db.selectFrom('service_escalation_policies').selectAll().orderBy('service_id').execute(),
    clearServicePolicy: (db: Db, serviceId: string) =>
      db.deleteFrom('service_escalation_policies').where('service_id', '=', serviceId).execute(),
    getOverride: (db: Db, scheduleId: string, id: string) =>
      db
        .selectFrom('oncall_overrides')
        .selectAll()
        .where('id', '=', id)
        .where('schedule_id', '=', scheduleId)
        .executeTakeFirst(),
    deleteOverride: (db: Db, id: string) => db.deleteFrom('oncall_overrides').where('id', '=', id).execute(),

    servicePolicy: (db: Db, serviceId: string) =>
      db
        .selectFrom('service_escalation_policies')
        .selectAll()
        .where('service_id', '=', serviceId)
        .executeTakeFirst(),
    async setServicePolicy(db: Db, serviceId: string, policyId: string, at: string) {
      await db
        .insertInto('service_escalation_policies')
        .values({ service_id: serviceId, escalation_policy_id: policyId, updated_at: at })
        .onConflict((oc) =>
          oc.column('service_id').doUpdateSet({ escalation_policy_id: policyId, updated_at: at }),
        )
        .execute();
    },

    /**
     * Records a page; false when this person was already paged for this step of this reopen of the
     * incident (a job run twice).
     */
    async insertPage(db: Db, row: Insertable<OncallPagesTable>): Promise<boolean> {
      const inserted = await db
        .insertInto('oncall_pages')
        .values(row)
        .onConflict((oc) => oc.columns(['incident_id', 'reopen', 'round', 'step', 'user_id']).doNothing())
        .returning('id')
        .execute();
      return inserted.length > 0;
    },
    pagesByTeam: (db: Db, teamId: string, from: string, to: string) =>
      db
        .selectFrom('oncall_pages')
        .select(['user_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('team_id', '=', teamId)
        .where('at', '>=', from)
        .where('at', '<', to)
        .groupBy('user_id')
        .execute(),
  };
}

export type OncallRepository = ReturnType<typeof createOncallRepository>;
