import { randomBytes } from 'node:crypto';
import type {
  CreateSchedule,
  createEscalationPolicySchema,
  EscalationPolicy,
  Override,
  Schedule,
  updateScheduleSchema,
} from '@engops/contracts';
import type { z } from 'zod';
import type { Db } from '../../db/database.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import type { Notifier } from '../../platform/notifications/notifications-service.ts';
import type { Signer } from '../../platform/signing.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { IncidentsService, IncidentView, Pager } from '../incidents/index.ts';
import type { PolicyService } from '../policy/index.ts';
import { renderIcal } from './ical.ts';
import type { OncallRepository, OverrideRow, PolicyRow, ScheduleRow } from './kysely-oncall-repository.ts';
import {
  coverageGaps,
  offHoursMs,
  shifts as renderShifts,
  type ScheduleDefinition,
  type ScheduleLayer,
  type Shift,
  whoIsOnCall,
} from './schedule-math.ts';

export const ESCALATION_STEP_JOB = 'oncall.escalation-step';
/** Calendar URLs are long-lived; rotating the schedule's key revokes them. */
const ICAL_TOKEN_TTL_SECONDS = 10 * 365 * 24 * 3600;
const ENGOPS = { type: 'system' as const, id: null, name: 'engops' };

type UpdateSchedule = z.output<typeof updateScheduleSchema>;
type CreatePolicy = z.output<typeof createEscalationPolicySchema>;

interface StepPayload {
  incident_id: string;
  policy_id: string;
  step: number;
  round: number;
}

export function createOncallService(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  worker: Worker;
  notifier: Notifier;
  signer: Signer;
  catalog: CatalogService;
  incidents: IncidentsService;
  policy: PolicyService;
  actionLink: (incidentId: string, action: 'acknowledge' | 'resolve', userId: string) => Promise<string>;
  baseUrl: () => string;
  repo: OncallRepository;
}) {
  const { db, clock, audit, repo, catalog } = deps;
  const now = () => clock.now().toISOString();

  async function mustSchedule(executor: Db, id: string): Promise<ScheduleRow> {
    const row = await repo.getSchedule(executor, id);
    if (!row) throw new AppError('ONCALL_SCHEDULE_NOT_FOUND', `No schedule has id ${id}.`);
    return row;
  }

  async function mustPolicy(executor: Db, id: string): Promise<PolicyRow> {
    const row = await repo.getPolicy(executor, id);
    if (!row) throw new AppError('ONCALL_ESCALATION_POLICY_NOT_FOUND', `No escalation policy has id ${id}.`);
    return row;
  }

  async function checkUsers(ids: Iterable<string>, path: string) {
    for (const id of new Set(ids)) {
      try {
        await catalog.getUser(id);
      } catch (error) {
        if (error instanceof AppError && error.code === 'CATALOG_USER_NOT_FOUND')
          throw new AppError('ONCALL_INVALID_PARTICIPANT', `No user has id ${id}.`, {
            errors: [{ path, message: `unknown user ${id}` }],
          });
        throw error;
      }
    }
  }

  async function icalUrl(row: ScheduleRow): Promise<string> {
    const exp = Math.floor(clock.now().getTime() / 1000) + ICAL_TOKEN_TTL_SECONDS;
    const token = await deps.signer.sign({ s: row.id, k: row.ical_key, exp });
    return `${deps.baseUrl()}/ical/schedules/${row.id}.ics?token=${encodeURIComponent(token)}`;
  }

  function overrideView(row: OverrideRow): Override {
    return {
      id: row.id,
      schedule_id: row.schedule_id,
      user_id: row.user_id,
      start: row.start_at,
      end: row.end_at,
      created_by: row.created_by,
      created_at: row.created_at,
    };
  }

  async function view(row: ScheduleRow, overrides?: OverrideRow[]): Promise<Schedule> {
    return {
      id: row.id,
      name: row.name,
      team_id: row.team_id,
      time_zone: row.time_zone,
      layers: JSON.parse(row.layers_json) as Schedule['layers'],
      overrides: (overrides ?? (await repo.listOverrides(db, row.id))).map(overrideView),
      ical_url: await icalUrl(row),
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  async function definition(
    row: ScheduleRow,
    window?: { from: string; to: string },
  ): Promise<ScheduleDefinition> {
    const overrides = await repo.listOverrides(db, row.id, window);
    return {
      time_zone: row.time_zone,
      layers: JSON.parse(row.layers_json) as ScheduleLayer[],
      overrides: overrides.map((o) => ({ id: o.id, user_id: o.user_id, start: o.start_at, end: o.end_at })),
    };
  }

  function policyView(row: PolicyRow): EscalationPolicy {
    return {
      id: row.id,
      name: row.name,
      team_id: row.team_id,
      steps: JSON.parse(row.steps_json) as EscalationPolicy['steps'],
      repeat: Number(row.repeat),
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  async function onCallNow(scheduleId: string, at: Date): Promise<Shift[]> {
    const row = await repo.getSchedule(db, scheduleId);
    if (!row) return [];
    const day = 24 * 3600 * 1000;
    const window = {
      from: new Date(at.getTime() - 400 * day).toISOString(),
      to: new Date(at.getTime() + day).toISOString(),
    };
    return whoIsOnCall(await definition(row, window), at);
  }

  // -------------------------------------------------------------------------------------------
  // Escalation

  interface Recipient {
    user_id: string;
    name: string;
    email: string;
    via: string;
  }

  /** The people a step reaches now: users, and whoever is on call on its schedules. */
  async function recipients(
    policy: EscalationPolicy,
    step: number,
  ): Promise<{ people: Recipient[]; notes: string[] }> {
    const at = clock.now();
    const people = new Map<string, Recipient>();
    const notes: string[] = [];
    for (const target of policy.steps[step]?.targets ?? []) {
      const userIds: Array<{ id: string; via: string }> = [];
      if (target.type === 'user') userIds.push({ id: target.id, via: 'user' });
      else {
        const schedule = await repo.getSchedule(db, target.id);
        if (!schedule) {
          notes.push(`Schedule ${target.id} no longer exists`);
          continue;
        }
        const onCall = await onCallNow(target.id, at);
        if (onCall.length === 0) notes.push(`Nobody is on call on schedule ${schedule.name}`);
        for (const shift of onCall) userIds.push({ id: shift.user_id, via: `schedule ${schedule.name}` });
      }
      for (const { id, via } of userIds) {
        if (people.has(id)) continue;
        try {
          const user = await catalog.getUser(id);
          if (user.disabled) {
            notes.push(`${user.name} is disabled and was not paged`);
            continue;
          }
          people.set(id, { user_id: id, name: user.name, email: user.email, via });
        } catch {
          notes.push(`User ${id} no longer exists`);
        }
      }
    }
    return { people: [...people.values()], notes };
  }

  /**
   * Everything one escalation step does, prepared outside the transaction: returns the writes
   * (emails, timeline, page records, the next step's job).
   */
  async function prepareStep(incident: IncidentView, policy: EscalationPolicy, step: number, round: number) {
    const { people, notes } = await recipients(policy, step);
    const service = await catalog.findService(incident.service_id);
    const emailReady = deps.notifier.isConfigured('email');
    const messages: Array<{ person: Recipient; subject: string; text: string }> = [];
    for (const person of people) {
      const ack = await deps.actionLink(incident.id, 'acknowledge', person.user_id);
      const resolve = await deps.actionLink(incident.id, 'resolve', person.user_id);
      const text = [
        `[${incident.severity}] ${incident.title}`,
        `Service: ${service?.name ?? incident.service_id}`,
        `Triggered: ${incident.triggered_at}`,
        `Escalation: ${policy.name}, level ${step + 1}${round > 0 ? ` (repeat ${round})` : ''}, via ${person.via}`,
        ...(service?.runbook_url ? [`Runbook: ${service.runbook_url}`] : []),
        '',
        `Open: ${deps.baseUrl()}/incidents/${incident.id}`,
        `Acknowledge: ${ack}`,
        `Resolve: ${resolve}`,
      ].join('\n');
      messages.push({
        person,
        subject: `[engops] #${incident.number} ${incident.severity}: ${incident.title}`,
        text,
      });
    }
    const at = now();
    const delayMs = (policy.steps[step]?.delay_minutes ?? 0) * 60_000;
    const next =
      step + 1 < policy.steps.length
        ? { step: step + 1, round }
        : round < policy.repeat
          ? { step: 0, round: round + 1 }
          : null;

    return async (tx: Db) => {
      for (const note of notes)
        await deps.incidents.addTimeline(tx, incident.id, at, 'escalation', ENGOPS, note, {
          policy_id: policy.id,
          step: step + 1,
          round,
        });
      for (const { person, subject, text } of messages) {
        const fresh = await repo.insertPage(tx, {
          id: newId('page'),
          incident_id: incident.id,
          team_id: incident.team_id,
          user_id: person.user_id,
          escalation_policy_id: policy.id,
          step,
          round,
          at,
        });
        if (!fresh) continue;
        if (emailReady) {
          await deps.notifier.send(tx, {
            channel: 'email',
            target: person.email,
            subject,
            text,
            data: { incident_id: incident.id },
            source: `incident:${incident.id}`,
          });
        }
        await deps.incidents.addTimeline(
          tx,
          incident.id,
          at,
          'notification',
          ENGOPS,
          emailReady
            ? `Paged ${person.name} by email (escalation level ${step + 1}, via ${person.via})`
            : `Could not page ${person.name}: email is not configured (escalation level ${step + 1})`,
          { user_id: person.user_id, channel: 'email', policy_id: policy.id, step: step + 1, round },
        );
      }
      if (next) {
        const payload: StepPayload = { incident_id: incident.id, policy_id: policy.id, ...next };
        await deps.jobs.enqueue(tx, {
          kind: ESCALATION_STEP_JOB,
          payload,
          runAt: new Date(Date.parse(at) + delayMs),
          dedupeKey: `escalate:${incident.id}:${next.round}:${next.step}`,
          maxAttempts: 10,
        });
      } else {
        await deps.incidents.addTimeline(
          tx,
          incident.id,
          at,
          'escalation',
          ENGOPS,
          `Escalation policy ${policy.name} has no further levels`,
          { policy_id: policy.id },
        );
      }
    };
  }

  /** The incidents module's pager: follow the service's escalation policy, if it has one. */
  const pager: Pager = async (incident) => {
    const link = await repo.servicePolicy(db, incident.service_id);
    if (!link) return null;
    const row = await repo.getPolicy(db, link.escalation_policy_id);
    if (!row) return null;
    return prepareStep(incident, policyView(row), 0, 0);
  };

  deps.worker.register(ESCALATION_STEP_JOB, async (job) => {
    const payload = job.payload as StepPayload;
    const incident = await deps.incidents.get(payload.incident_id);
    // Acknowledge stops escalation; mitigate and resolve stop everything.
    if (incident.status !== 'triggered') return;
    const row = await repo.getPolicy(db, payload.policy_id);
    if (!row) return;
    const write = await prepareStep(incident, policyView(row), payload.step, payload.round);
    await db.transaction().execute(write);
  });

  return {
    pager,

    async createSchedule(ctx: AuditContext, input: CreateSchedule): Promise<Schedule> {
      await catalog.getTeam(input.team_id);
      await checkUsers(
        input.layers.flatMap((l) => l.participants),
        'body.layers.participants',
      );
      const at = now();
      const row: ScheduleRow = {
        id: newId('sched'),
        name: input.name,
        team_id: input.team_id,
        time_zone: input.time_zone,
        layers_json: JSON.stringify(input.layers),
        ical_key: randomBytes(9).toString('base64url'),
        created_at: at,
        updated_at: at,
      };
      await db.transaction().execute(async (tx) => {
        await repo.insertSchedule(tx, row);
        await audit.record(tx, ctx, {
          action: 'schedule.create',
          targetType: 'schedule',
          targetId: row.id,
          teamId: row.team_id,
          after: { name: row.name, time_zone: row.time_zone, layers: input.layers },
        });
      });
      return view(row, []);
    },

    async get(id: string): Promise<Schedule> {
      return view(await mustSchedule(db, id));
    },

    async teamOf(id: string): Promise<string> {
      return (await mustSchedule(db, id)).team_id;
    },

    async list(teamId?: string): Promise<Schedule[]> {
      const rows = await repo.listSchedules(db, teamId);
      return Promise.all(rows.map((r) => view(r)));
    },

    async updateSchedule(ctx: AuditContext, id: string, input: UpdateSchedule): Promise<Schedule> {
      await checkUsers(
        input.layers.flatMap((l) => l.participants),
        'body.layers.participants',
      );
      const row = await db.transaction().execute(async (tx) => {
        const before = await mustSchedule(tx, id);
        const set = {
          name: input.name,
          time_zone: input.time_zone,
          layers_json: JSON.stringify(input.layers),
          updated_at: now(),
        };
        await repo.updateSchedule(tx, id, set);
        await audit.record(tx, ctx, {
          action: 'schedule.update',
          targetType: 'schedule',
          targetId: id,
          teamId: before.team_id,
          before: { name: before.name, time_zone: before.time_zone, layers: JSON.parse(before.layers_json) },
          after: { name: input.name, time_zone: input.time_zone, layers: input.layers },
        });
        return { ...before, ...set };
      });
      return view(row);
    },

    async deleteSchedule(ctx: AuditContext, id: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const before = await mustSchedule(tx, id);
        await repo.deleteSchedule(tx, id);
        await audit.record(tx, ctx, {
          action: 'schedule.delete',
          targetType: 'schedule',
          targetId: id,
          teamId: before.team_id,
          before: { name: before.name },
        });
      });
    },

    /** Adds overrides in one transaction (a swap is two). */
    async addOverrides(
      ctx: AuditContext,
      id: string,
      list: Array<{ user_id: string; start: string; end: string }>,
    ): Promise<Override[]> {
      await checkUsers(
        list.map((o) => o.user_id),
        'body.user_id',
      );
      return db.transaction().execute(async (tx) => {
        const schedule = await mustSchedule(tx, id);
        const rows: OverrideRow[] = list.map((o) => ({
          id: newId('ovr'),
          schedule_id: id,
          user_id: o.user_id,
          start_at: new Date(o.start).toISOString(),
          end_at: new Date(o.end).toISOString(),
          created_by: ctx.principal.userId,
          created_at: now(),
        }));
        for (const row of rows) {
          await repo.insertOverride(tx, row);
          await audit.record(tx, ctx, {
            action: 'schedule.override',
            targetType: 'schedule',
            targetId: id,
            teamId: schedule.team_id,
            after: { override_id: row.id, user_id: row.user_id, start: row.start_at, end: row.end_at },
          });
        }
        return rows.map(overrideView);
      });
    },

    async oncall(id: string, when?: Date) {
      const at = when ?? clock.now();
      await mustSchedule(db, id);
      return { at: at.toISOString(), on_call: await onCallNow(id, at) };
    },

    async shifts(id: string, from: string, to: string) {
      const row = await mustSchedule(db, id);
      const def = await definition(row, { from, to });
      return {
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        shifts: renderShifts(def, from, to),
        gaps: coverageGaps(def, from, to),
      };
    },

    /** The schedule's iCalendar feed (30 days back, 180 ahead) if the token is valid for it. */
    async ical(id: string, token: string): Promise<string> {
      const claims = await deps.signer.verify(token, clock.now());
      const row = claims ? await repo.getSchedule(db, id) : undefined;
      if (!claims || !row || claims.s !== id || claims.k !== row.ical_key)
        throw new AppError('ONCALL_ICAL_TOKEN_INVALID', 'This calendar link is not valid for this schedule.');
      const day = 24 * 3600 * 1000;
      const t = clock.now().getTime();
      const from = new Date(t - 30 * day).toISOString();
      const to = new Date(t + 180 * day).toISOString();
      const def = await definition(row, { from, to });
      const users = new Map<string, string>();
      const list = renderShifts(def, from, to);
      for (const s of list) {
        if (users.has(s.user_id)) continue;
        users.set(
          s.user_id,
          await catalog.getUser(s.user_id).then(
            (u) => u.name,
            () => s.user_id,
          ),
        );
      }
      return renderIcal({
        calendarName: `engops on-call: ${row.name}`,
        scheduleId: row.id,
        stamp: clock.now(),
        shifts: list.map((s) => ({ ...s, summary: `On call: ${users.get(s.user_id)} (${s.layer})` })),
      });
    },

    /** Revokes every calendar URL of the schedule and returns the new one. */
    async rotateIcal(ctx: AuditContext, id: string): Promise<Schedule> {
      const row = await db.transaction().execute(async (tx) => {
        const before = await mustSchedule(tx, id);
        const key = randomBytes(9).toString('base64url');
        await tx.updateTable('oncall_schedules').set({ ical_key: key }).where('id', '=', id).execute();
        await audit.record(tx, ctx, {
          action: 'schedule.ical_rotate',
          targetType: 'schedule',
          targetId: id,
          teamId: before.team_id,
        });
        return { ...before, ical_key: key };
      });
      return view(row);
    },

    async createPolicy(ctx: AuditContext, input: CreatePolicy): Promise<EscalationPolicy> {
      await catalog.getTeam(input.team_id);
      for (const [i, step] of input.steps.entries()) {
        for (const [j, target] of step.targets.entries()) {
          const path = `body.steps.${i}.targets.${j}.id`;
          if (target.type === 'user') await checkUsers([target.id], path);
          else if (!(await repo.getSchedule(db, target.id)))
            throw new AppError('ONCALL_INVALID_PARTICIPANT', `No schedule has id ${target.id}.`, {
              errors: [{ path, message: `unknown schedule ${target.id}` }],
            });
        }
      }
      const at = now();
      const row: PolicyRow = {
        id: newId('esc'),
        name: input.name,
        team_id: input.team_id,
        steps_json: JSON.stringify(input.steps),
        repeat: input.repeat,
        created_at: at,
        updated_at: at,
      };
      await db.transaction().execute(async (tx) => {
        await repo.insertPolicy(tx, row);
        await audit.record(tx, ctx, {
          action: 'escalation_policy.create',
          targetType: 'escalation_policy',
          targetId: row.id,
          teamId: row.team_id,
          after: { name: row.name, steps: input.steps, repeat: input.repeat },
        });
      });
      return policyView(row);
    },

    async getPolicy(id: string): Promise<EscalationPolicy> {
      return policyView(await mustPolicy(db, id));
    },

    async listPolicies(teamId?: string): Promise<EscalationPolicy[]> {
      return (await repo.listPolicies(db, teamId)).map(policyView);
    },

    async setServicePolicy(ctx: AuditContext, serviceId: string, policyId: string) {
      const service = await catalog.getService(serviceId);
      const policy = await mustPolicy(db, policyId);
      if (policy.team_id !== service.team_id)
        throw new AppError(
          'ONCALL_TEAM_MISMATCH',
          `Escalation policy ${policyId} belongs to another team than service ${service.name}.`,
        );
      const at = now();
      await db.transaction().execute(async (tx) => {
        await repo.setServicePolicy(tx, service.id, policyId, at);
        await audit.record(tx, ctx, {
          action: 'service.escalation_policy',
          targetType: 'service',
          targetId: service.id,
          teamId: service.team_id,
          after: { escalation_policy_id: policyId },
        });
      });
      return { service_id: service.id, escalation_policy_id: policyId, updated_at: at };
    },

    async servicePolicy(serviceId: string) {
      return (await repo.servicePolicy(db, serviceId)) ?? null;
    },

    /** Hours on call, off-hours hours (policy.on_call.off_hours, each person's zone) and pages. */
    async load(teamId: string, from: string, to: string) {
      await catalog.getTeam(teamId);
      const policy = await deps.policy.current();
      const { weekday_start, weekday_end } = policy.on_call.off_hours;
      const f = Date.parse(from);
      const t = Date.parse(to);
      const byUser = new Map<string, Array<{ start: number; end: number }>>();
      for (const row of await repo.listSchedules(db, teamId)) {
        const def = await definition(row, { from, to });
        for (const s of renderShifts(def, from, to)) {
          const list = byUser.get(s.user_id) ?? [];
          list.push({ start: Date.parse(s.start), end: Date.parse(s.end) });
          byUser.set(s.user_id, list);
        }
      }
      const pages = new Map(
        (await repo.pagesByTeam(db, teamId, new Date(f).toISOString(), new Date(t).toISOString())).map(
          (p) => [p.user_id, Number(p.n)],
        ),
      );
      const people = [];
      for (const userId of new Set([...byUser.keys(), ...pages.keys()])) {
        // Overlapping shifts (two schedules) count once.
        const merged: Array<{ start: number; end: number }> = [];
        for (const i of (byUser.get(userId) ?? []).sort((a, b) => a.start - b.start)) {
          const last = merged[merged.length - 1];
          if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
          else merged.push({ ...i });
        }
        const zone = await catalog.getUser(userId).then(
          (u) => u.time_zone,
          () => 'UTC',
        );
        let onCall = 0;
        let off = 0;
        for (const i of merged) {
          onCall += i.end - i.start;
          off += offHoursMs(zone, i.start, i.end, weekday_start, weekday_end);
        }
        people.push({
          user_id: userId,
          hours_on_call: Math.round((onCall / 3_600_000) * 100) / 100,
          off_hours_hours: Math.round((off / 3_600_000) * 100) / 100,
          pages: pages.get(userId) ?? 0,
        });
      }
      people.sort((a, b) => b.hours_on_call - a.hours_on_call || a.user_id.localeCompare(b.user_id));
      return {
        team_id: teamId,
        from: new Date(f).toISOString(),
        to: new Date(t).toISOString(),
        working_hours: { start: weekday_start, end: weekday_end },
        people,
      };
    },
  };
}

export type OncallService = ReturnType<typeof createOncallService>;
