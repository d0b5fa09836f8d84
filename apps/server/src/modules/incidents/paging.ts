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
export type Pager = (incident: IncidentView) => Promise<((tx: Db) => Promise<void>) | null>;

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
  const emailTeam: Pager = async (incident) => {
    if (!deps.notifier.isConfigured('email')) return null;
    const members = (await deps.catalog.listMembers(incident.team_id)).filter((m) => m.role !== 'viewer');
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
        await deps.notifier.send(tx, {
          channel: 'email',
          target: member.email,
          subject: `[engops] #${incident.number} ${incident.severity}: ${incident.title}`,
          text: lines.join('\n'),
          data: { incident_id: incident.id },
          source: `incident:${incident.id}`,
        });
        await deps.incidents.addTimeline(
          tx,
          incident.id,
          deps.clock.now().toISOString(),
          'notification',
          { type: 'system', id: null, name: 'engops' },
          `Paged ${member.name} by email`,
          {
            user_id: member.user_id,
            channel: 'email',
          },
        );
      }
    };
  };

  deps.worker.register(PAGE_JOB, async (job) => {
    const { incident_id } = job.payload as { incident_id: string };
    const incident = await deps.incidents.get(incident_id);
    // Someone already responded (or it is over): waking people now would only be noise.
    if (incident.status !== 'triggered') return;
    let write: ((tx: Db) => Promise<void>) | null = null;
    for (const pager of [...pagers, emailTeam]) {
      write = await pager(incident);
      if (write) break;
    }
    await durably(async (tx) => {
      if (write) return write(tx);
      await deps.incidents.addTimeline(
        tx,
        incident.id,
        deps.clock.now().toISOString(),
        'notification',
        { type: 'system', id: null, name: 'engops' },
        'Nobody was paged: no escalation policy or email channel reaches this team',
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
