import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { AlertEventsTable } from '../../db/schema.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError, isUniqueViolation } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { AlertEvent } from './alert-normalizers.ts';
import { createGroupCommit } from './group-commit.ts';
import { type IncidentStatus, isOpen, severityFromAlert } from './incident-lifecycle.ts';
import type { Actor, IncidentsService } from './incidents-service.ts';
import type { IncidentRow, IncidentsRepository, IntegrationRow } from './kysely-incidents-repository.ts';

export type IngestOutcome = 'created' | 'appended' | 'acknowledged' | 'resolved' | 'dropped';

export interface IngestTarget {
  integration: IntegrationRow;
  teamId: string;
}

const CACHE_MS = 5_000;

type AlertEventRow = Insertable<AlertEventsTable>;

/**
 * Turns normalised alert events into alerts and incidents. Dedup: one unresolved alert per
 * integration and key (a unique index backs it across processes); repeats bump the count and
 * last-seen time and page nobody. Every accepted event is stored in alert_events, and the caller's
 * promise resolves only once that is committed.
 */
export function createAlertIngest(deps: {
  db: Db;
  clock: Clock;
  repo: IncidentsRepository;
  incidents: IncidentsService;
}) {
  const { db, clock, repo, incidents } = deps;
  // The stored copies of the events (alert_events) of one transaction are written together, in one
  // multi-row statement before its commit: a repeated trigger then costs one statement of its own.
  const commit = createGroupCommit<AlertEventRow[]>(db, {
    retryAlone: isUniqueViolation,
    state: () => [],
    beforeCommit: (tx, rows) => repo.insertAlertEvents(tx, rows),
  });
  const cache = new Map<string, { target: IngestTarget; expires: number }>();

  async function target(key: string): Promise<IngestTarget | undefined> {
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && hit.expires > now) return hit.target;
    const integration = await repo.integrationByKey(db, key);
    if (!integration) {
      cache.delete(key);
      return undefined;
    }
    const service = await incidents.serviceAndTeam(integration.service_id);
    const value = { integration, teamId: service.team_id };
    cache.set(key, { target: value, expires: now + CACHE_MS });
    return value;
  }

  /** The open incident of the event's group, or a new incident that already counts this alert. */
  async function openIncident(
    tx: Db,
    t: IngestTarget,
    event: AlertEvent,
    at: string,
    actor: Actor,
  ): Promise<{ incident: IncidentRow; created: boolean }> {
    if (event.groupKey) {
      const existing = await repo.openIncidentForGroup(tx, t.integration.id, event.groupKey);
      if (existing) return { incident: existing, created: false };
    }
    const suppressed = (await repo.activeMaintenance(tx, t.integration.service_id, at)) !== undefined;
    const occurred = event.occurredAt && event.occurredAt < at ? event.occurredAt : at;
    const incident = await incidents.createIncident(
      tx,
      {
        service_id: t.integration.service_id,
        team_id: t.teamId,
        title: event.summary.slice(0, 500),
        severity: severityFromAlert(event.severity),
        source: t.integration.kind,
        group_key: event.groupKey ?? null,
        integration_id: t.integration.id,
        suppressed,
        triggered_at: occurred,
        alert_count: 1,
      },
      actor,
    );
    return { incident, created: true };
  }

  /**
   * Applies one event inside `tx`. Its stored copy goes to `pending` when the caller writes those
   * before committing (group commit), else it is inserted at once.
   */
  async function apply(
    tx: Db,
    t: IngestTarget,
    event: AlertEvent,
    payloadJson: string,
    pending?: AlertEventRow[],
  ): Promise<{ dedupKey: string; outcome: IngestOutcome; incidentId: string | null }> {
    const at = clock.now().toISOString();
    const actor: Actor = {
      type: 'integration',
      id: t.integration.id,
      name: `${t.integration.name} (${t.integration.kind})`,
    };
    const dedupKey = event.dedupKey ?? randomUUID().replace(/-/g, '');
    const record = async (alertId: string | null, incidentId: string | null, action: string) => {
      const row: AlertEventRow = {
        id: newId('evt'),
        integration_id: t.integration.id,
        alert_id: alertId,
        incident_id: incidentId,
        action,
        dedup_key: dedupKey,
        payload_json: payloadJson,
        received_at: at,
      };
      if (pending) pending.push(row);
      else await repo.insertAlertEvents(tx, [row]);
    };

    if (event.action === 'trigger') {
      // A repeat (the usual case in a storm) is one statement: count it on the open alert.
      const repeated = event.dedupKey
        ? await repo.bumpOpenAlert(tx, t.integration.id, dedupKey, at)
        : undefined;
      if (repeated) {
        await record(repeated.id, repeated.incident_id, 'trigger');
        return { dedupKey, outcome: 'appended', incidentId: repeated.incident_id };
      }
      const { incident, created } = await openIncident(tx, t, event, at, actor);
      const alertId = newId('alr');
      await repo.insertAlert(tx, {
        id: alertId,
        integration_id: t.integration.id,
        service_id: t.integration.service_id,
        incident_id: incident.id,
        dedup_key: dedupKey,
        status: 'triggered',
        severity: event.severity,
        summary: event.summary,
        source: event.source ?? null,
        details_json: JSON.stringify({
          ...event.details,
          ...(event.runbookUrl ? { runbook_url: event.runbookUrl } : {}),
        }),
        links_json: JSON.stringify(event.links),
        event_count: 1,
        suppressed: incident.suppressed,
        first_seen_at: at,
        last_seen_at: at,
        acknowledged_at: null,
        resolved_at: null,
      });
      if (!created) {
        await repo.updateIncident(tx, incident.id, {
          alert_count: Number(incident.alert_count) + 1,
          updated_at: at,
        });
      }
      await incidents.addTimeline(
        tx,
        incident.id,
        at,
        'alert.triggered',
        actor,
        `Alert triggered: ${event.summary}`,
        {
          alert_id: alertId,
          dedup_key: dedupKey,
          severity: event.severity,
          ...(event.source ? { source: event.source } : {}),
        },
      );
      await record(alertId, incident.id, 'trigger');
      return { dedupKey, outcome: 'created', incidentId: incident.id };
    }

    const open = await repo.findOpenAlert(tx, t.integration.id, dedupKey);
    if (!open) {
      // PagerDuty semantics: acknowledge/resolve of a key with no open alert is accepted and dropped.
      await record(null, null, event.action);
      return { dedupKey, outcome: 'dropped', incidentId: null };
    }
    const incident = open.incident_id ? await repo.getIncident(tx, open.incident_id) : undefined;
    if (event.action === 'acknowledge') {
      if (open.status === 'triggered')
        await repo.updateAlert(tx, open.id, { status: 'acknowledged', acknowledged_at: at });
      if (incident?.status === 'triggered')
        await incidents.applyTransition(tx, incident, 'acknowledge', actor, at);
      await record(open.id, open.incident_id, 'acknowledge');
      return { dedupKey, outcome: 'acknowledged', incidentId: open.incident_id };
    }
    await repo.updateAlert(tx, open.id, { status: 'resolved', resolved_at: at });
    if (incident) {
      await incidents.addTimeline(
        tx,
        incident.id,
        at,
        'alert.resolved',
        actor,
        `Alert resolved: ${open.summary}`,
        { alert_id: open.id, dedup_key: dedupKey },
      );
      if (isOpen(incident.status as IncidentStatus) && (await repo.countOpenAlerts(tx, incident.id)) === 0) {
        await incidents.applyTransition(tx, incident, 'resolve', actor, at);
      }
    }
    await record(open.id, open.incident_id, 'resolve');
    return { dedupKey, outcome: 'resolved', incidentId: open.incident_id };
  }

  return {
    target,
    /**
     * Runs `work` in the next group-commit transaction, with the ingested events; resolves once
     * that is durable. For other small writes on the ingest path (the page job's timeline entry).
     */
    durably: <T>(work: (tx: Db) => Promise<T>): Promise<T> => commit.submit((tx) => work(tx)),
    forget(key: string) {
      cache.delete(key);
    },
    /** Stores the events of one request; resolves after they are committed. */
    ingest(t: IngestTarget, events: AlertEvent[], raw: unknown) {
      const payloadJson = JSON.stringify(raw);
      return commit.submit(async (tx, pending) => {
        const out = [];
        for (const event of events) out.push(await apply(tx, t, event, payloadJson, pending));
        return out;
      });
    },
    /** For callers that already hold a transaction (heartbeat sweeps). */
    processEvent: (tx: Db, t: IngestTarget, event: AlertEvent, raw: unknown) =>
      apply(tx, t, event, JSON.stringify(raw)),
    async resolveTarget(key: string, kind: string): Promise<IngestTarget> {
      const t = await target(key);
      if (!t) throw new AppError('INCIDENTS_UNKNOWN_INTEGRATION_KEY', 'No integration has this key.');
      if (t.integration.disabled_at) {
        throw new AppError(
          'INCIDENTS_INTEGRATION_DISABLED',
          `The integration "${t.integration.name}" this key belonged to was deleted at ${t.integration.disabled_at}; it accepts no more events (its alerts and incidents are kept).`,
        );
      }
      if (t.integration.kind !== kind) {
        throw new AppError(
          'INCIDENTS_WRONG_INTEGRATION_KIND',
          `This key belongs to a ${t.integration.kind} integration, not ${kind}.`,
        );
      }
      return t;
    },
  };
}

export type AlertIngest = ReturnType<typeof createAlertIngest>;
