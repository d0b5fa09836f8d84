import type { Db } from '../../db/database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Worker } from '../../platform/jobs.ts';
import type { Notifier } from '../../platform/notifications/notifications-service.ts';
import type { Signer } from '../../platform/signing.ts';
import type { CatalogService } from '../catalog/index.ts';
import { type IncidentsService, type IncidentView, PAGE_JOB } from './incidents-service.ts';

/**
 * A pager decides who is woken for a new incident. It reads what it needs first, then returns the
 * writes to make in the paging transaction (notifications, timeline), or null when it does not
 * handle this incident. The on-call module registers one that follows escalation policies; when
 * none handles an incident, engops emails the owning team's responders.
 */
export type Pager = (
  incident: IncidentView,
  context: PageContext,
) => Promise<((tx: Db) => Promise<void>) | null>;

/** Which page this is: the page job's id, and 0 for the first page or N for the Nth reopen. */
export interface PageContext {
  job_id: string;
  reopen: number;
}

const ENGOPS = { type: 'system', id: null, name: 'engops' } as const;

const LINK_TTL_SECONDS = 24 * 3600;

export function createPaging(deps: {
  db: Db;
  clock: Clock;
  worker: Worker;
  notifier: Notifier;
  signer: Signer;
  catalog: CatalogService;
  incidents: IncidentsService;
  baseUrl: () => string;
  /** Commits a write (group commit with alert ingestion); a plain transaction by default. */
  durably?: <T>(work: (tx: Db) => Promise<T>) => Promise<T>;
}) {
  const durably = deps.durably ?? (<T>(work: (tx: Db) => Promise<T>) => deps.db.transaction().execute(work));
  const pagers: Pager[] = [];

  async function actionLink(
    incidentId: string,
    action: 'acknowledge' | 'resolve',
    userId: string,
  ): Promise<string> {
    const exp = Math.floor(deps.clock.now().getTime() / 1000) + LINK_TTL_SECONDS;
    const token = await deps.signer.sign({ i: incidentId, a: action, u: userId, exp });
    return `${deps.baseUrl()}/incident-actions/${token}`;
  }

  /** The default pager: email every responder and manager of the owning team. */
  const emailTeam: Pager = async (incident, context) => {
    if (!deps.notifier.isConfigured('email')) return null;
    // Viewers are not paged, nor people who left (disabled).
    const members = (await deps.catalog.listMembers(incident.team_id)).filter(
      (m) => m.role !== 'viewer' && !m.disabled,
    );
    if (members.length === 0) return null;
    const service = await deps.catalog.findService(incident.service_id);
    const links = new Map<string, { ack: string; resolve: string }>();
    for (const member of members) {
      links.set(member.user_id, {
        ack: await actionLink(incident.id, 'acknowledge', member.user_id),
        resolve: await actionLink(incident.id, 'resolve', member.user_id),
      });
    }
    return async (tx) => {
      for (const member of members) {
        const { ack, resolve } = links.get(member.user_id)!;
        const lines = [
          `[${incident.severity}] ${incident.title}`,
          `Service: ${service?.name ?? incident.service_id}`,
          `Triggered: ${incident.triggered_at}`,
          service?.runbook_url ? `Runbook: ${service.runbook_url}` : '',
          '',
          `Open: ${deps.baseUrl()}/incidents/${incident.id}`,
          `Acknowledge: ${ack}`,
          `Resolve: ${resolve}`,
        ].filter((l, i) => l !== '' || i === 4);
        // Once per page job and person: a re-run of this job (after a crash) emails nobody twice.
        const once = await deps.notifier.sendOnce(tx, `page:${context.job_id}:${member.user_id}`, {
          channel: 'email',
          target: member.email,
          subject: `[engops] #${incident.number} ${incident.severity}: ${incident.title}${context.reopen ? ' (reopened)' : ''}`,
          text: lines.join('\n'),
          data: { incident_id: incident.id },
          source: `incident:${incident.id}`,
        });
        if (!once.fresh) continue;
        await deps.incidents.addTimeline(
          tx,
          incident.id,
          deps.clock.now().toISOString(),
          'notification',
          ENGOPS,
          `Paged ${member.name} by email${context.reopen ? ' (reopened)' : ''}`,
          {
            user_id: member.user_id,
            channel: 'email',
            page_job_id: context.job_id,
            ...(context.reopen ? { reopen: context.reopen } : {}),
          },
        );
      }
    };
  };

  /**
   * Pages for a new incident (payload `{incident_id}`) or a reopened one (`{incident_id, reopen}`).
   * Idempotent per job id, since a job whose completion was lost runs again: the email fallback
   * sends once per job and person, the on-call pager once per page record, and the "nobody was
   * paged" line is written once per job. A reopen escalates again through the escalation policy;
   * one that the policy reaches nobody for (for example every target disabled) emails the team
   * instead, and says so.
   */
  deps.worker.register(PAGE_JOB, async (job) => {
    const { incident_id, reopen } = job.payload as { incident_id: string; reopen?: number };
    const incident = await deps.incidents.get(incident_id);
    // Someone already responded (or it is over): waking people now would only be noise.
    if (incident.status !== 'triggered' || incident.suppressed) return;
    // The page of an earlier reopen, run late (a worker backlog) after the incident was resolved
    // and reopened again: that newer reopen's own page job pages; this one would page twice.
    // (Only reopens write status.triggered, so their count is the incident's reopen number.)
    const current = (await deps.incidents.timelineOf(deps.db, incident_id, 'status.triggered')).length;
    if ((reopen ?? 0) < current) return;
    const context: PageContext = { job_id: job.id, reopen: reopen ?? 0 };
    let write: ((tx: Db) => Promise<void>) | null = null;
    for (const pager of pagers) {
      write = await pager(incident, context);
      if (write) break;
    }
    // Read before the transaction: the email fallback, and for a reopen also the safety net.
    const email = !write || context.reopen ? await emailTeam(incident, context) : null;
    await durably(async (tx) => {
      const notifications = () => deps.incidents.timelineOf(tx, incident.id, 'notification');
      const noted = async () =>
        (await notifications()).some(
          (e) => (e.data as { page_job_id?: unknown } | null)?.page_job_id === job.id,
        );
      const at = deps.clock.now().toISOString();
      if (write) {
        const before = context.reopen ? (await notifications()).length : 0;
        await write(tx);
        // Paged, or this job already ran (its page lines carry its id): nothing more to do.
        if (!context.reopen || (await notifications()).length > before || (await noted())) return;
        // The escalation policy reached nobody for the reopen: a reopened incident is a live
        // problem, so the team is emailed instead.
        if (!(await noted()))
          await deps.incidents.addTimeline(
            tx,
            incident.id,
            at,
            'notification',
            ENGOPS,
            `The escalation policy paged nobody again after reopen ${context.reopen}${email ? ': emailing the team' : ''}`,
            { page_job_id: job.id, reopen: context.reopen },
          );
        if (email) await email(tx);
        return;
      }
      if (email) return email(tx);
      if (await noted()) return;
      await deps.incidents.addTimeline(
        tx,
        incident.id,
        at,
        'notification',
        ENGOPS,
        'Nobody was paged: no escalation policy or email channel reaches this team',
        { page_job_id: job.id, ...(context.reopen ? { reopen: context.reopen } : {}) },
      );
    });
  });

  return {
    addPager(pager: Pager) {
      pagers.push(pager);
    },
    actionLink,
    async verifyAction(token: string) {
      const claims = await deps.signer.verify(token, deps.clock.now());
      if (!claims) return null;
      const action: 'acknowledge' | 'resolve' | null =
        claims.a === 'acknowledge' || claims.a === 'resolve' ? claims.a : null;
      if (!action || typeof claims.i !== 'string' || typeof claims.u !== 'string') return null;
      return { incidentId: claims.i, action, userId: claims.u };
    },
  };
}

export type Paging = ReturnType<typeof createPaging>;
