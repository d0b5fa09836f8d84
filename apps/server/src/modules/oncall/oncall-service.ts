import { randomBytes } from 'node:crypto';
import type {
  CreateSchedule,
  createEscalationPolicySchema,
  EscalationPolicy,
  Override,
  Schedule,
  updateEscalationPolicySchema,
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
import type { ContactStep, ContactsService } from './contacts-service.ts';
import { feedWindow, renderIcal } from './ical.ts';
import type { OncallRepository, OverrideRow, PolicyRow, ScheduleRow } from './kysely-oncall-repository.ts';
import {
  coverageGaps,
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
type UpdatePolicy = z.output<typeof updateEscalationPolicySchema>;
type Level = EscalationPolicy['levels'][number];

/** Levels as stored; rows written before levels had `steps[].delay_minutes`. */
function parseLevels(json: string): Level[] {
  const raw = JSON.parse(json) as Array<{
    delay_seconds?: number;
    delay_minutes?: number;
    targets: Level['targets'];
  }>;
  return raw.map((l) => ({
    delay_seconds: l.delay_seconds ?? (l.delay_minutes ?? 0) * 60,
    targets: l.targets,
  }));
}

export const NOTIFY_RULE_JOB = 'oncall.notify-rule';
export const PAGE_WATCH_JOB = 'oncall.page-watch';

interface StepPayload {
  incident_id: string;
  policy_id: string;
  step: number;
  round: number;
  /**
   * The incident's reopen number this escalation runs for (0 for the first trigger, n for the nth
   * reopen; absent in jobs written before reopens escalated, meaning 0).
   */
  reopen?: number;
}

/** The deliveries of one person's page at one step, watched until one arrives or all fail. */
interface WatchPayload extends StepPayload {
  user_id: string;
  notification_ids: string[];
}

/** A notification rule with a delay: one contact method of one person paged at one step. */
interface NotifyPayload extends StepPayload {
  user_id: string;
  via: string;
  contact_method_id: string;
  delay_seconds: number;
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
  contacts: ContactsService;
}) {
  const { db, clock, audit, repo, catalog, contacts } = deps;
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

  /** Every target exists; schedules belong to the policy's team. */
  async function checkTargets(levels: Level[], teamId: string) {
    for (const [i, level] of levels.entries()) {
      for (const [j, target] of level.targets.entries()) {
        const path = `body.levels.${i}.targets.${j}.id`;
        if (target.type === 'user') {
          await checkUsers([target.id], path);
          continue;
        }
        const schedule = await repo.getSchedule(db, target.id);
        if (!schedule)
          throw new AppError('ONCALL_INVALID_PARTICIPANT', `No schedule has id ${target.id}.`, {
            errors: [{ path, message: `unknown schedule ${target.id}` }],
          });
        if (schedule.team_id !== teamId)
          throw new AppError('ONCALL_TEAM_MISMATCH', `Schedule ${schedule.name} belongs to another team.`, {
            errors: [{ path, message: 'schedule of another team' }],
          });
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

  function policyView(row: PolicyRow, serviceIds: string[] = []): EscalationPolicy {
    return {
      id: row.id,
      name: row.name,
      team_id: row.team_id,
      levels: parseLevels(row.steps_json),
      repeat: Number(row.repeat),
      service_ids: serviceIds,
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  /**
   * The incident's reopen number now, derived as the incidents module derives it for its page job:
   * only a reopen writes a `status.triggered` timeline entry (a new incident writes `incident.triggered`).
   */
  async function reopenOf(incidentId: string): Promise<number> {
    return (await deps.incidents.timelineOf(db, incidentId, 'status.triggered')).length;
  }

  /**
   * A job of an earlier reopen, left over from before a resolve (a step due later, a delayed
   * notification rule, a delivery watch), pages nobody: the reopen escalates again from level 1.
   */
  async function stale(payload: StepPayload): Promise<boolean> {
    return (payload.reopen ?? 0) !== (await reopenOf(payload.incident_id));
  }

  /** Dedupe keys name the incident, and after the first trigger its reopen: each reopen escalates anew. */
  const scope = (incidentId: string, reopen: number) =>
    reopen > 0 ? `${incidentId}:reopen:${reopen}` : incidentId;

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
    for (const target of policy.levels[step]?.targets ?? []) {
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

  /** The page one person gets: text for email, the same fields as data for webhooks. */
  async function pageMessage(
    incident: IncidentView,
    policyName: string,
    step: number,
    round: number,
    reopen: number,
    person: Recipient,
  ) {
    const service = await catalog.findService(incident.service_id);
    const ack = await deps.actionLink(incident.id, 'acknowledge', person.user_id);
    const resolve = await deps.actionLink(incident.id, 'resolve', person.user_id);
    const url = `${deps.baseUrl()}/incidents/${incident.id}`;
    const text = [
      `[${incident.severity}] ${incident.title}`,
      `Service: ${service?.name ?? incident.service_id}`,
      `Triggered: ${incident.triggered_at}`,
      `Escalation: ${policyName}, level ${step + 1}${round > 0 ? ` (repeat ${round})` : ''}${reopen > 0 ? ` after reopen ${reopen}` : ''}, via ${person.via}`,
      ...(service?.runbook_url ? [`Runbook: ${service.runbook_url}`] : []),
      '',
      `Open: ${url}`,
      `Acknowledge: ${ack}`,
      `Resolve: ${resolve}`,
    ].join('\n');
    return {
      subject: `[engops] #${incident.number} ${incident.severity}: ${incident.title}${reopen > 0 ? ' (reopened)' : ''}`,
      text,
      data: {
        kind: 'page',
        incident_id: incident.id,
        incident_number: incident.number,
        title: incident.title,
        severity: incident.severity,
        service: service?.name ?? incident.service_id,
        runbook_url: service?.runbook_url ?? null,
        url,
        acknowledge_url: ack,
        resolve_url: resolve,
        escalation_level: step + 1,
        round,
        reopen,
        user_id: person.user_id,
      },
    };
  }

  /** Sends one page now on one contact method and logs it on the timeline (in `tx`). */
  async function sendPage(
    tx: Db,
    incident: IncidentView,
    meta: { policy_id: string; step: number; round: number; reopen?: number; page_job_id?: string },
    person: Recipient,
    contact: ContactStep,
    message: Awaited<ReturnType<typeof pageMessage>>,
    /** Once-only key: a second call with it (a re-run job) sends and logs nothing. */
    key?: string,
  ) {
    const at = now();
    const reopen = meta.reopen ?? 0;
    const where = `escalation level ${meta.step + 1}, via ${person.via}${reopen > 0 ? `, reopen ${reopen}` : ''}`;
    const after = contact.delay_seconds > 0 ? ` after ${contact.delay_seconds} s` : '';
    const ready = deps.notifier.isConfigured(contact.channel);
    const input = {
      channel: contact.channel,
      target: contact.address,
      subject: message.subject,
      text: message.text,
      data: message.data,
      source: `incident:${incident.id}`,
    };
    let id: string | null = null;
    if (ready && key) {
      const once = await deps.notifier.sendOnce(tx, key, input);
      if (!once.fresh) return null;
      id = once.id;
    } else if (ready) id = await deps.notifier.send(tx, input);
    await deps.incidents.addTimeline(
      tx,
      incident.id,
      at,
      'notification',
      ENGOPS,
      ready
        ? `Paged ${person.name} by ${contact.channel}${after} (${where})`
        : `Could not page ${person.name}: ${contact.channel} is not configured (escalation level ${meta.step + 1})`,
      {
        user_id: person.user_id,
        channel: contact.channel,
        contact_method_id: contact.contact_method_id,
        policy_id: meta.policy_id,
        step: meta.step + 1,
        round: meta.round,
        ...(reopen > 0 ? { reopen } : {}),
        // The incidents module's page job that started this escalation (level 1 only).
        ...(meta.page_job_id ? { page_job_id: meta.page_job_id } : {}),
      },
    );
    return id;
  }

  /** The level after (step, round) of a policy, or null after the last repeat. */
  function nextOf(policy: EscalationPolicy, step: number, round: number) {
    return step + 1 < policy.levels.length
      ? { step: step + 1, round }
      : round < policy.repeat
        ? { step: 0, round: round + 1 }
        : null;
  }

  /**
   * Everything one escalation step does, prepared outside the transaction: returns the writes
   * (pages now, delayed notification-rule jobs, timeline, page records, the next step's job).
   */
  async function prepareStep(
    incident: IncidentView,
    policy: EscalationPolicy,
    step: number,
    round: number,
    reopen: number,
    pageJobId?: string,
  ) {
    const { people, notes } = await recipients(policy, step);
    const prepared: Array<{
      person: Recipient;
      plan: ContactStep[];
      message: Awaited<ReturnType<typeof pageMessage>>;
    }> = [];
    for (const person of people) {
      prepared.push({
        person,
        plan: await contacts.plan(person.user_id, person.email),
        message: await pageMessage(incident, policy.name, step, round, reopen, person),
      });
    }
    const at = now();
    const delayMs = (policy.levels[step]?.delay_seconds ?? 0) * 1000;
    const next = nextOf(policy, step, round);
    const meta = { policy_id: policy.id, step, round, reopen };
    const pageMeta = pageJobId ? { ...meta, page_job_id: pageJobId } : meta;
    const key = scope(incident.id, reopen);
    const reopenData = reopen > 0 ? { reopen } : {};

    return async (tx: Db) => {
      for (const note of notes)
        await deps.incidents.addTimeline(tx, incident.id, at, 'escalation', ENGOPS, note, {
          policy_id: policy.id,
          step: step + 1,
          round,
          ...reopenData,
        });
      for (const { person, plan, message } of prepared) {
        // One page record per person, reopen and step: a step job run twice pages nobody twice.
        const fresh = await repo.insertPage(tx, {
          id: newId('page'),
          incident_id: incident.id,
          team_id: incident.team_id,
          user_id: person.user_id,
          escalation_policy_id: policy.id,
          step,
          round,
          reopen,
          at,
        });
        if (!fresh) continue;
        if (plan.length === 0)
          await deps.incidents.addTimeline(
            tx,
            incident.id,
            at,
            'notification',
            ENGOPS,
            `Could not page ${person.name}: no verified contact method (escalation level ${step + 1})`,
            {
              user_id: person.user_id,
              policy_id: policy.id,
              step: step + 1,
              round,
              ...reopenData,
              ...(pageJobId ? { page_job_id: pageJobId } : {}),
            },
          );
        const sent: string[] = [];
        for (const contact of plan) {
          if (contact.delay_seconds === 0 || !contact.contact_method_id) {
            const id = await sendPage(tx, incident, pageMeta, person, contact, message);
            if (id) sent.push(id);
            continue;
          }
          const payload: NotifyPayload = {
            ...meta,
            incident_id: incident.id,
            user_id: person.user_id,
            contact_method_id: contact.contact_method_id,
            delay_seconds: contact.delay_seconds,
            via: person.via,
          };
          await deps.jobs.enqueue(tx, {
            kind: NOTIFY_RULE_JOB,
            payload,
            runAt: new Date(Date.parse(at) + contact.delay_seconds * 1000),
            dedupeKey: `notify:${key}:${round}:${step}:${person.user_id}:${contact.rule_id}`,
            maxAttempts: 10,
          });
        }
        // A page whose every delivery fails for good escalates at once rather than disappearing.
        if (sent.length > 0) {
          const watch: WatchPayload = {
            ...meta,
            incident_id: incident.id,
            user_id: person.user_id,
            notification_ids: sent,
          };
          await deps.jobs.enqueue(tx, {
            kind: PAGE_WATCH_JOB,
            payload: watch,
            runAt: new Date(Date.parse(at) + 30_000),
            dedupeKey: `page-watch:${key}:${round}:${step}:${person.user_id}`,
            maxAttempts: 12,
          });
        }
      }
      if (next) {
        const payload: StepPayload = { incident_id: incident.id, policy_id: policy.id, ...next, reopen };
        await deps.jobs.enqueue(tx, {
          kind: ESCALATION_STEP_JOB,
          payload,
          runAt: new Date(Date.parse(at) + delayMs),
          dedupeKey: `escalate:${key}:${next.round}:${next.step}`,
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
          { policy_id: policy.id, ...reopenData },
        );
      }
    };
  }

  /**
   * The incidents module's pager: follow the service's escalation policy, if it has one, from level
   * 1, for the first trigger and again for each reopen (`context.reopen`).
   */
  const pager: Pager = async (incident, context) => {
    const link = await repo.servicePolicy(db, incident.service_id);
    if (!link) return null;
    const row = await repo.getPolicy(db, link.escalation_policy_id);
    if (!row) return null;
    if (context.reopen > 0) {
      // This reopen's page job ran before (its completion was lost) and its level-1 pages are
      // recorded: page nobody twice, and say so. The incidents module emails the team when a
      // reopen's pager adds no notification line, which here would be a second page.
      const earlier = (await deps.incidents.timelineOf(db, incident.id)).some(
        (e) => (e.data as { page_job_id?: unknown } | null)?.page_job_id === context.job_id,
      );
      if (earlier)
        return async (tx) => {
          await deps.incidents.addTimeline(
            tx,
            incident.id,
            now(),
            'notification',
            ENGOPS,
            `The page for reopen ${context.reopen} ran again after a lost completion; nobody is paged twice`,
            { policy_id: row.id, page_job_id: context.job_id, reopen: context.reopen },
          );
        };
    }
    return prepareStep(incident, policyView(row), 0, 0, context.reopen, context.job_id);
  };

  deps.worker.register(ESCALATION_STEP_JOB, async (job) => {
    const payload = job.payload as StepPayload;
    const incident = await deps.incidents.get(payload.incident_id);
    // Acknowledge stops escalation; mitigate and resolve stop everything.
    if (incident.status !== 'triggered') return;
    // Resolved and reopened since: the reopen's own escalation (from level 1) replaces this one.
    if (await stale(payload)) return;
    const row = await repo.getPolicy(db, payload.policy_id);
    if (!row) return;
    const write = await prepareStep(
      incident,
      policyView(row),
      payload.step,
      payload.round,
      payload.reopen ?? 0,
    );
    await db.transaction().execute(write);
  });

  // Every delivery of a page failed for good (retries exhausted): escalate to the next level now.
  deps.worker.register(PAGE_WATCH_JOB, async (job) => {
    const p = job.payload as WatchPayload;
    const incident = await deps.incidents.get(p.incident_id);
    if (incident.status !== 'triggered' || (await stale(p))) return;
    const rows = await db
      .selectFrom('notifications')
      .select(['id', 'status'])
      .where('id', 'in', p.notification_ids)
      .execute();
    if (rows.some((r) => r.status === 'delivered')) return;
    // Still retrying: look again later (the job's own backoff).
    if (rows.some((r) => r.status === 'pending' || r.status === 'sending'))
      throw new Error('page deliveries are still being retried');
    const row = await repo.getPolicy(db, p.policy_id);
    if (!row) return;
    const policy = policyView(row);
    const next = nextOf(policy, p.step, p.round);
    const user = await catalog.getUser(p.user_id).catch(() => null);
    const at = now();
    await db.transaction().execute(async (tx) => {
      await deps.incidents.addTimeline(
        tx,
        incident.id,
        at,
        'escalation',
        ENGOPS,
        next
          ? `Every delivery to ${user?.name ?? p.user_id} failed; escalating to level ${next.step + 1} now`
          : `Every delivery to ${user?.name ?? p.user_id} failed, and the policy has no further level`,
        {
          user_id: p.user_id,
          policy_id: p.policy_id,
          step: p.step + 1,
          round: p.round,
          ...(p.reopen ? { reopen: p.reopen } : {}),
        },
      );
      if (!next) return;
      const reopen = p.reopen ?? 0;
      const payload: StepPayload = { incident_id: incident.id, policy_id: policy.id, ...next, reopen };
      // Its own key: the regular step job still runs later and pages nobody twice.
      await deps.jobs.enqueue(tx, {
        kind: ESCALATION_STEP_JOB,
        payload,
        runAt: new Date(at),
        dedupeKey: `escalate-early:${scope(incident.id, reopen)}:${next.round}:${next.step}`,
        maxAttempts: 10,
      });
    });
  });

  // A notification rule's later contact ("again by email after 5 minutes"), unless acknowledged.
  deps.worker.register(NOTIFY_RULE_JOB, async (job) => {
    const payload = job.payload as NotifyPayload;
    const incident = await deps.incidents.get(payload.incident_id);
    if (incident.status !== 'triggered' || (await stale(payload))) return;
    const method = await contacts.verifiedMethod(payload.contact_method_id);
    const user = await catalog.getUser(payload.user_id).catch(() => null);
    if (!method || !user || user.disabled) return;
    const policy = await repo.getPolicy(db, payload.policy_id);
    const person: Recipient = { user_id: user.id, name: user.name, email: user.email, via: payload.via };
    const message = await pageMessage(
      incident,
      policy?.name ?? payload.policy_id,
      payload.step,
      payload.round,
      payload.reopen ?? 0,
      person,
    );
    const contact: ContactStep = {
      channel: method.type as ContactStep['channel'],
      address: method.address,
      delay_seconds: payload.delay_seconds,
      contact_method_id: method.id,
      rule_id: null,
    };
    // Keyed by this rule's job: a re-run (its server died after sending, before recording the job
    // as done) finds the delivery recorded and pages nobody again.
    await db
      .transaction()
      .execute((tx) => sendPage(tx, incident, payload, person, contact, message, `rule-page:${job.id}`));
  });

  // A page delivery whose server stopped mid-send goes out again under the same id; say so on the
  // incident's timeline (same transaction as the new attempt's claim).
  deps.notifier.onPossibleRepeat(async (tx, repeat) => {
    const source = repeat.notification.source ?? '';
    if (!source.startsWith('incident:')) return;
    const incidentId = source.slice('incident:'.length);
    const exists = await tx
      .selectFrom('incidents')
      .select('id')
      .where('id', '=', incidentId)
      .executeTakeFirst();
    if (!exists) return;
    const n = repeat.notification;
    await deps.incidents.addTimeline(
      tx,
      incidentId,
      repeat.at,
      'notification',
      ENGOPS,
      `The ${n.channel} page to ${n.target} may have been sent already: a server stopped while sending it (attempt ${repeat.interrupted_attempt}). Sending it again under the same delivery id ${n.id}, marked as a possible repeat`,
      { notification_id: n.id, channel: n.channel, interrupted_attempt: repeat.interrupted_attempt },
    );
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

    async deleteOverride(ctx: AuditContext, id: string, overrideId: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const schedule = await mustSchedule(tx, id);
        const row = await repo.getOverride(tx, id, overrideId);
        if (!row)
          throw new AppError('ONCALL_OVERRIDE_NOT_FOUND', `Schedule ${id} has no override ${overrideId}.`);
        await repo.deleteOverride(tx, overrideId);
        await audit.record(tx, ctx, {
          action: 'schedule.override_delete',
          targetType: 'schedule',
          targetId: id,
          teamId: schedule.team_id,
          before: { override_id: row.id, user_id: row.user_id, start: row.start_at, end: row.end_at },
        });
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
      const { render, keep } = feedWindow(clock.now());
      const def = await definition(row, render);
      const users = new Map<string, string>();
      const list = renderShifts(def, render.from, render.to).filter(keep);
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
      await checkTargets(input.levels, input.team_id);
      const at = now();
      const row: PolicyRow = {
        id: newId('esc'),
        name: input.name,
        team_id: input.team_id,
        steps_json: JSON.stringify(input.levels),
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
          after: { name: row.name, levels: input.levels, repeat: input.repeat },
        });
      });
      return policyView(row);
    },

    async updatePolicy(ctx: AuditContext, id: string, input: UpdatePolicy): Promise<EscalationPolicy> {
      const current = await mustPolicy(db, id);
      if (input.levels) await checkTargets(input.levels, current.team_id);
      const row = await db.transaction().execute(async (tx) => {
        const before = await mustPolicy(tx, id);
        const set = {
          name: input.name ?? before.name,
          steps_json: input.levels ? JSON.stringify(input.levels) : before.steps_json,
          repeat: input.repeat ?? Number(before.repeat),
          updated_at: now(),
        };
        await repo.updatePolicy(tx, id, set);
        await audit.record(tx, ctx, {
          action: 'escalation_policy.update',
          targetType: 'escalation_policy',
          targetId: id,
          teamId: before.team_id,
          before: {
            name: before.name,
            levels: parseLevels(before.steps_json),
            repeat: Number(before.repeat),
          },
          after: { name: set.name, levels: parseLevels(set.steps_json), repeat: set.repeat },
        });
        return { ...before, ...set };
      });
      // Escalations under way pick up the new levels at their next step.
      return policyView(row, await repo.servicesOfPolicy(db, id));
    },

    async deletePolicy(ctx: AuditContext, id: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const before = await mustPolicy(tx, id);
        const services = await repo.servicesOfPolicy(tx, id);
        if (services.length > 0)
          throw new AppError(
            'ONCALL_POLICY_IN_USE',
            `${services.length} service(s) page through this policy: ${services.join(', ')}.`,
          );
        await repo.deletePolicy(tx, id);
        await audit.record(tx, ctx, {
          action: 'escalation_policy.delete',
          targetType: 'escalation_policy',
          targetId: id,
          teamId: before.team_id,
          before: {
            name: before.name,
            levels: parseLevels(before.steps_json),
            repeat: Number(before.repeat),
          },
        });
      });
    },

    async getPolicy(id: string): Promise<EscalationPolicy> {
      return policyView(await mustPolicy(db, id), await repo.servicesOfPolicy(db, id));
    },

    async listPolicies(teamId?: string): Promise<EscalationPolicy[]> {
      const links = await repo.allServiceLinks(db);
      const byPolicy = new Map<string, string[]>();
      for (const l of links)
        byPolicy.set(l.escalation_policy_id, [...(byPolicy.get(l.escalation_policy_id) ?? []), l.service_id]);
      return (await repo.listPolicies(db, teamId)).map((r) => policyView(r, byPolicy.get(r.id) ?? []));
    },

    /**
     * PATCH /api/v1/services/{id} `{escalation_policy_id}` (the catalog's transaction): links the
     * service to a policy of its own team, or unlinks it with null.
     */
    async onServicePatch(
      tx: Db,
      ctx: AuditContext,
      service: { id: string; team_id: string; name: string },
      patch: { escalation_policy_id?: string | null | undefined },
    ): Promise<void> {
      const policyId = patch.escalation_policy_id;
      const before = await repo.servicePolicy(tx, service.id);
      if (policyId === undefined) {
        // A service moved to another team keeps no policy of its old team.
        if (before) {
          const policy = await repo.getPolicy(tx, before.escalation_policy_id);
          if (policy && policy.team_id !== service.team_id) await repo.clearServicePolicy(tx, service.id);
        }
        return;
      }
      if (policyId !== null) {
        const policy = await repo.getPolicy(tx, policyId);
        if (!policy)
          throw new AppError(
            'ONCALL_ESCALATION_POLICY_NOT_FOUND',
            `No escalation policy has id ${policyId}.`,
            {
              errors: [{ path: 'body.escalation_policy_id', message: 'unknown escalation policy' }],
            },
          );
        if (policy.team_id !== service.team_id)
          throw new AppError(
            'ONCALL_TEAM_MISMATCH',
            `Escalation policy ${policy.name} belongs to another team than service ${service.name}.`,
            { errors: [{ path: 'body.escalation_policy_id', message: 'belongs to another team' }] },
          );
        await repo.setServicePolicy(tx, service.id, policyId, now());
      } else await repo.clearServicePolicy(tx, service.id);
      await audit.record(tx, ctx, {
        action: 'service.escalation_policy',
        targetType: 'service',
        targetId: service.id,
        teamId: service.team_id,
        before: { escalation_policy_id: before?.escalation_policy_id ?? null },
        after: { escalation_policy_id: policyId },
      });
    },

    /** GET /api/v1/services/{id}/escalation-policy: null policy = the service is flagged. */
    async servicePolicy(serviceId: string) {
      const service = await catalog.getService(serviceId);
      const link = await repo.servicePolicy(db, service.id);
      const row = link ? await repo.getPolicy(db, link.escalation_policy_id) : undefined;
      return {
        service_id: service.id,
        escalation_policy_id: row?.id ?? null,
        policy: row ? policyView(row, await repo.servicesOfPolicy(db, row.id)) : null,
        updated_at: link?.updated_at ?? null,
      };
    },
  };
}

export type OncallService = ReturnType<typeof createOncallService>;
