import type { CreateRolloutPlan, FlagStrategyInput, RolloutPlan } from '@engops/contracts';
import type { Db } from '../../db/database.ts';
import { prepareQuery } from '../../db/prepared-query.ts';
import type { FlagRolloutPlansTable } from '../../db/schema.ts';
import { systemPrincipal } from '../../platform/access/permissions.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import type { Notifier } from '../../platform/notifications/notifications-service.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { FlagsService } from './flags-service.ts';
import type { FlagStrategy } from './types.ts';

/** Applies one step of a plan: a job per step, fenced by the plan version it was made for. */
export const ROLLOUT_STEP_JOB = 'flags.rollout.step';
/** Pauses a plan and rolls its flag back to 0% after an incident on a linked service. */
export const ROLLOUT_INCIDENT_JOB = 'flags.rollout.incident';

const planActor: AuditContext = { principal: { ...systemPrincipal, name: 'engops rollout plan' } };

export interface StepJob {
  plan_id: string;
  version: number;
  step: number;
}

export interface IncidentJob {
  plan_id: string;
  incident_id: string;
  incident_number: number;
  title: string;
  service_id: string;
}

export function toRolloutPlan(row: FlagRolloutPlansTable): RolloutPlan {
  return {
    id: row.id,
    flag_key: row.flag_key,
    environment: row.environment,
    steps: JSON.parse(row.steps_json),
    interval_minutes: Math.round(row.interval_seconds / 60),
    service_ids: JSON.parse(row.service_ids_json),
    status: row.status as RolloutPlan['status'],
    current_step: row.current_step,
    current_percent: row.current_percent,
    strategy_id: row.strategy_id,
    stickiness: row.stickiness,
    next_step_at: row.next_step_at,
    paused_reason: row.paused_reason,
    paused_incident_id: row.paused_incident_id,
    created_by: row.created_by,
    created_at: row.created_at,
    updated_at: row.updated_at,
    finished_at: row.finished_at,
  };
}

/**
 * The strategies with the plan's own flexibleRollout strategy set to `percent` (added first when
 * missing). Other strategies (internal users, beta segment) are left as they are.
 */
export function withRolloutPercent(
  strategies: readonly FlagStrategy[],
  strategyId: string,
  percent: number,
  flagKey: string,
  stickiness: string,
): FlagStrategy[] {
  const index = strategies.findIndex((s) => s.id === strategyId);
  if (index < 0)
    return [
      {
        id: strategyId,
        name: 'flexibleRollout',
        title: 'Rollout plan',
        parameters: { rollout: String(percent), stickiness, groupId: flagKey },
        constraints: [],
      },
      ...strategies,
    ];
  return strategies.map((s, i) =>
    i === index ? { ...s, parameters: { ...s.parameters, rollout: String(percent) } } : s,
  );
}

/**
 * Gradual rollout plans: the plan's rollout strategy advances through its percentages, one durable
 * job per step (claimed with a lease by any worker; the plan version fences stale jobs, so a step
 * never applies twice nor after a pause). An incident opened on a linked service enqueues a job
 * that pauses the plan, rolls the flag back to 0% and emails the owning team.
 */
export function createRolloutPlans(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  worker: Worker;
  notifier: Notifier;
  catalog: CatalogService;
  flags: FlagsService;
}) {
  const { db, clock, audit, jobs, flags } = deps;
  const now = () => clock.now().toISOString();
  const find = (tx: Db, id: string) =>
    tx.selectFrom('flag_rollout_plans').selectAll().where('id', '=', id).executeTakeFirst();

  async function must(tx: Db, id: string): Promise<FlagRolloutPlansTable> {
    const row = await find(tx, id);
    if (!row) throw new AppError('FLAGS_ROLLOUT_PLAN_NOT_FOUND', `No rollout plan ${id}.`);
    return row;
  }

  async function update(tx: Db, row: FlagRolloutPlansTable, patch: Partial<FlagRolloutPlansTable>) {
    const next = { ...row, ...patch, version: row.version + 1, updated_at: now() };
    await tx.updateTable('flag_rollout_plans').set(next).where('id', '=', row.id).execute();
    return next;
  }

  async function scheduleStep(tx: Db, plan: FlagRolloutPlansTable, step: number, runAt: Date) {
    await jobs.enqueue(tx, {
      kind: ROLLOUT_STEP_JOB,
      payload: { plan_id: plan.id, version: plan.version, step } satisfies StepJob,
      runAt,
      dedupeKey: `rollout:${plan.id}:v${plan.version}`,
      maxAttempts: 10,
    });
  }

  /** Sets the plan's strategy to `percent` in its environment (approved: the plan was). */
  async function setPercent(tx: Db, plan: FlagRolloutPlansTable, percent: number, action: string) {
    const flag = await flags.getFlagIn(tx, plan.flag_key);
    const current = flag.environments[plan.environment];
    await flags.updateEnvironmentIn(
      tx,
      planActor,
      plan.flag_key,
      plan.environment,
      {
        enabled: percent > 0 ? true : (current?.enabled ?? false),
        strategies: withRolloutPercent(
          (current?.strategies ?? []) as FlagStrategy[],
          plan.strategy_id,
          percent,
          plan.flag_key,
          plan.stickiness,
        ) as FlagStrategyInput[],
      },
      { approved: true, action },
    );
  }

  /** Creates a plan inside `tx` (from the API, or when a change request is approved); see checkServices. */
  async function createIn(
    tx: Db,
    ctx: AuditContext,
    flagKey: string,
    input: Omit<CreateRolloutPlan, 'environment'> & { environment: string },
    options: { approved?: boolean } = {},
  ): Promise<RolloutPlan> {
    const flag = await flags.getFlagIn(tx, flagKey);
    const env = await flags.requireEnvironmentIn(tx, input.environment);
    if (env.require_approval === 1 && !options.approved)
      throw new AppError(
        'FLAGS_APPROVAL_REQUIRED',
        `Rollout plans in ${input.environment} need approval: submit a change request of kind rollout_plan.`,
      );
    const open = await tx
      .selectFrom('flag_rollout_plans')
      .select('id')
      .where('flag_key', '=', flagKey)
      .where('environment', '=', input.environment)
      .where('status', 'in', ['active', 'paused'])
      .executeTakeFirst();
    if (open)
      throw new AppError(
        'FLAGS_ROLLOUT_PLAN_CONFLICT',
        `${flagKey} already has rollout plan ${open.id} in ${input.environment}; cancel it first.`,
      );
    const at = now();
    const id = newId('rp');
    const row: FlagRolloutPlansTable = {
      id,
      flag_key: flagKey,
      environment: input.environment,
      steps_json: JSON.stringify(input.steps),
      interval_seconds: input.interval_minutes * 60,
      service_ids_json: JSON.stringify(input.service_ids ?? []),
      status: 'active',
      current_step: -1,
      current_percent: 0,
      strategy_id: id,
      stickiness: input.stickiness ?? 'default',
      version: 1,
      next_step_at: at,
      paused_reason: null,
      paused_incident_id: null,
      created_by: ctx.principal.name,
      created_at: at,
      updated_at: at,
      finished_at: null,
    };
    await tx.insertInto('flag_rollout_plans').values(row).execute();
    await scheduleStep(tx, row, 0, clock.now());
    const view = toRolloutPlan(row);
    await audit.record(tx, ctx, {
      action: 'flags.rollout_plan.create',
      targetType: 'flag_rollout_plan',
      targetId: id,
      teamId: flag.owner_team_id,
      after: view,
    });
    return view;
  }

  /**
   * Checks that linked services exist. Call it before the transaction: the catalog reads with its
   * own connection, which a SQLite transaction would keep waiting.
   */
  async function checkServices(serviceIds: readonly string[] | undefined, path: string): Promise<void> {
    for (const [i, id] of (serviceIds ?? []).entries())
      if (!(await deps.catalog.findService(id)))
        throw new AppError('HTTP_VALIDATION_FAILED', `No service ${id}.`, {
          errors: [{ path: `${path}.${i}`, message: `no service ${id}` }],
        });
  }

  /**
   * An incident on a linked service that was reopened (resolved -> triggered) after the plan last
   * moved (a step, or a resume), and is still open. A step finds it before it advances: the plan is
   * then paused and rolled back as for a new incident.
   */
  async function reopenedSince(plan: FlagRolloutPlansTable): Promise<IncidentJob | undefined> {
    const services = JSON.parse(plan.service_ids_json) as string[];
    if (services.length === 0) return undefined;
    const row = await db
      .selectFrom('incident_timeline as t')
      .innerJoin('incidents as i', 'i.id', 't.incident_id')
      .select(['i.id', 'i.number', 'i.title', 'i.service_id'])
      .where('t.kind', '=', 'status.triggered')
      .where('t.at', '>', plan.updated_at)
      .where('i.service_id', 'in', services)
      .where('i.suppressed', '=', 0)
      .where('i.status', 'in', ['triggered', 'acknowledged', 'mitigated'])
      .orderBy('t.at')
      .executeTakeFirst();
    return row
      ? {
          plan_id: plan.id,
          incident_id: row.id,
          incident_number: row.number,
          title: row.title,
          service_id: row.service_id,
        }
      : undefined;
  }

  async function runStep(job: StepJob): Promise<void> {
    const current = await find(db, job.plan_id);
    if (current?.status === 'active' && current.version === job.version) {
      const reopened = await reopenedSince(current);
      if (reopened) return pauseForIncident(reopened);
    }
    await flags.transact(async (tx) => {
      const plan = await find(tx, job.plan_id);
      // Paused, cancelled or moved on since this job was made: nothing to do.
      if (plan?.status !== 'active' || plan.version !== job.version) return;
      const steps = JSON.parse(plan.steps_json) as number[];
      const percent = steps[job.step];
      if (percent === undefined) return;
      await setPercent(tx, plan, percent, 'flags.rollout_plan.step');
      const last = job.step === steps.length - 1;
      const nextAt = new Date(clock.now().getTime() + plan.interval_seconds * 1000);
      const after = await update(tx, plan, {
        current_step: job.step,
        current_percent: percent,
        status: last ? 'completed' : 'active',
        next_step_at: last ? null : nextAt.toISOString(),
        finished_at: last ? now() : null,
      });
      if (!last) await scheduleStep(tx, after, job.step + 1, nextAt);
      const flag = await flags.getFlagIn(tx, plan.flag_key);
      await audit.record(tx, planActor, {
        action: last ? 'flags.rollout_plan.complete' : 'flags.rollout_plan.advance',
        targetType: 'flag_rollout_plan',
        targetId: plan.id,
        teamId: flag.owner_team_id,
        before: toRolloutPlan(plan),
        after: toRolloutPlan(after),
      });
    });
  }

  /** The owning team's responders and managers (read before the transaction: see checkServices). */
  async function ownersOf(flagKey: string) {
    const flag = await flags.getFlag(flagKey).catch(() => undefined);
    if (!flag?.owner_team_id || !deps.notifier.isConfigured('email')) return [];
    return (await deps.catalog.listMembers(flag.owner_team_id)).filter(
      (m) => m.role !== 'viewer' && !m.disabled,
    );
  }

  async function notifyOwner(
    tx: Db,
    members: Array<{ email: string }>,
    plan: FlagRolloutPlansTable,
    subject: string,
    text: string,
  ) {
    for (const member of members)
      await deps.notifier.send(tx, {
        channel: 'email',
        target: member.email,
        subject,
        text,
        data: { flag_key: plan.flag_key, rollout_plan_id: plan.id },
        source: `flag:${plan.flag_key}`,
      });
    return members.length;
  }

  async function pauseForIncident(job: IncidentJob): Promise<void> {
    const service = await deps.catalog.findService(job.service_id);
    const planRow = await find(db, job.plan_id);
    const members = planRow ? await ownersOf(planRow.flag_key) : [];
    await flags.transact(async (tx) => {
      const plan = await find(tx, job.plan_id);
      if (plan?.status !== 'active') return;
      const reason = `Incident #${job.incident_number} on ${service?.name ?? job.service_id}: ${job.title}`;
      await setPercent(tx, plan, 0, 'flags.rollout_plan.rollback');
      const after = await update(tx, plan, {
        status: 'paused',
        current_percent: 0,
        next_step_at: null,
        paused_reason: reason,
        paused_incident_id: job.incident_id,
      });
      const notified = await notifyOwner(
        tx,
        members,
        plan,
        `[engops] Rollout of ${plan.flag_key} paused and rolled back to 0% in ${plan.environment}`,
        [
          `The rollout plan of ${plan.flag_key} in ${plan.environment} was at ${plan.current_percent}%.`,
          `${reason}`,
          '',
          'engops paused the plan and set the rollout to 0%. Resume it once the incident is over.',
        ].join('\n'),
      );
      const flag = await flags.getFlagIn(tx, plan.flag_key);
      await audit.record(tx, planActor, {
        action: 'flags.rollout_plan.pause',
        targetType: 'flag_rollout_plan',
        targetId: plan.id,
        teamId: flag.owner_team_id,
        before: toRolloutPlan(plan),
        after: { ...toRolloutPlan(after), notified },
      });
    });
  }

  deps.worker.register(ROLLOUT_STEP_JOB, (job) => runStep(job.payload as StepJob));
  deps.worker.register(ROLLOUT_INCIDENT_JOB, (job) => pauseForIncident(job.payload as IncidentJob));

  // Read in the transaction of every incident an alert opens: compiled once.
  const activePlans = prepareQuery(
    (db) =>
      db.selectFrom('flag_rollout_plans').select(['id', 'service_ids_json']).where('status', '=', 'active'),
    0,
  );

  /** For the incidents module's onTriggered: inside the incident's transaction, cheap. */
  async function onIncidentTriggered(
    tx: Db,
    incident: { id: string; number: number; title: string; service_id: string; updated_at?: string },
  ): Promise<void> {
    const active = await activePlans(tx, []);
    for (const plan of active) {
      if (!(JSON.parse(plan.service_ids_json) as string[]).includes(incident.service_id)) continue;
      await jobs.enqueue(tx, {
        kind: ROLLOUT_INCIDENT_JOB,
        payload: {
          plan_id: plan.id,
          incident_id: incident.id,
          incident_number: incident.number,
          title: incident.title,
          service_id: incident.service_id,
        } satisfies IncidentJob,
        // A reopened incident (same id, later updated_at) pauses the plan again.
        dedupeKey: `rollout-incident:${plan.id}:${incident.id}:${incident.updated_at ?? ''}`,
        maxAttempts: 10,
      });
    }
  }

  async function transition(
    ctx: AuditContext,
    id: string,
    action: 'pause' | 'resume' | 'cancel',
    options: { rollback?: boolean } = {},
  ): Promise<RolloutPlan> {
    return flags.transact(async (tx) => {
      const plan = await must(tx, id);
      const allowed =
        action === 'resume' ? plan.status === 'paused' : ['active', 'paused'].includes(plan.status);
      if (!allowed || (action === 'pause' && plan.status === 'paused' && !options.rollback))
        throw new AppError('FLAGS_ROLLOUT_PLAN_CONFLICT', `Cannot ${action} a ${plan.status} rollout plan.`);
      let after: FlagRolloutPlansTable;
      if (action === 'pause') {
        if (options.rollback) await setPercent(tx, plan, 0, 'flags.rollout_plan.rollback');
        after = await update(tx, plan, {
          status: 'paused',
          next_step_at: null,
          current_percent: options.rollback ? 0 : plan.current_percent,
          paused_reason: `Paused by ${ctx.principal.name}${options.rollback ? ' (rolled back to 0%)' : ''}`,
          paused_incident_id: null,
        });
      } else if (action === 'cancel') {
        after = await update(tx, plan, { status: 'cancelled', next_step_at: null, finished_at: now() });
      } else {
        // Resume: re-apply the current step at once when it was rolled back, else go on after the interval.
        const steps = JSON.parse(plan.steps_json) as number[];
        const rolledBack = plan.current_step < 0 || plan.current_percent < (steps[plan.current_step] ?? 0);
        const step = rolledBack ? Math.max(plan.current_step, 0) : plan.current_step + 1;
        const runAt = rolledBack
          ? clock.now()
          : new Date(clock.now().getTime() + plan.interval_seconds * 1000);
        after = await update(tx, plan, {
          status: 'active',
          next_step_at: runAt.toISOString(),
          paused_reason: null,
          paused_incident_id: null,
        });
        await scheduleStep(tx, after, step, runAt);
      }
      const flag = await flags.getFlagIn(tx, plan.flag_key);
      await audit.record(tx, ctx, {
        action: `flags.rollout_plan.${action}`,
        targetType: 'flag_rollout_plan',
        targetId: id,
        teamId: flag.owner_team_id,
        before: toRolloutPlan(plan),
        after: toRolloutPlan(after),
      });
      return toRolloutPlan(after);
    });
  }

  return {
    createIn,
    checkServices,
    async create(ctx: AuditContext, flagKey: string, input: CreateRolloutPlan) {
      await checkServices(input.service_ids, 'body.service_ids');
      return flags.transact((tx) => createIn(tx, ctx, flagKey, input));
    },
    async get(id: string): Promise<RolloutPlan> {
      return toRolloutPlan(await must(db, id));
    },
    /** The flag a plan belongs to (for authorisation). */
    async flagOf(id: string): Promise<string> {
      return (await must(db, id)).flag_key;
    },
    async list(filter: { flag_key?: string | undefined; status?: string | undefined } = {}) {
      let q = db.selectFrom('flag_rollout_plans').selectAll().orderBy('created_at', 'desc').orderBy('id');
      if (filter.flag_key) q = q.where('flag_key', '=', filter.flag_key);
      if (filter.status) q = q.where('status', '=', filter.status);
      return (await q.limit(500).execute()).map(toRolloutPlan);
    },
    pause: (ctx: AuditContext, id: string, rollback: boolean) => transition(ctx, id, 'pause', { rollback }),
    resume: (ctx: AuditContext, id: string) => transition(ctx, id, 'resume'),
    cancel: (ctx: AuditContext, id: string) => transition(ctx, id, 'cancel'),
    onIncidentTriggered,
  };
}

export type RolloutPlans = ReturnType<typeof createRolloutPlans>;
