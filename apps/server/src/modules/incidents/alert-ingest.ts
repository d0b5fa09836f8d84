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

/** An alert this transaction opened or counted, and the repeats counted on it since, not yet written. */
interface CountedAlert {
  id: string;
  incidentId: string | null;
  repeats: number;
  lastSeen: string;
}

/**
 * What one group-commit transaction writes just before its commit: the stored copies of its events
 * (one multi-row INSERT) and, per alert, the repeats after its first in the transaction (one UPDATE
 * however many: a batch of a thousand triggers of one key costs three statements, not a thousand).
 */
export interface IngestBatch {
  events: AlertEventRow[];
  /** By integration id and dedup key. */
  alerts: Map<string, CountedAlert>;
}

const alertKey = (integrationId: string, dedupKey: string) => `${integrationId}\u0000${dedupKey}`;

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
  /** Writes the repeats counted in memory on the alerts of `batch` (all, or the one at `key`). */
  async function flushCounts(tx: Db, batch: IngestBatch, key?: string): Promise<void> {
    const entries = key === undefined ? [...batch.alerts.values()] : [batch.alerts.get(key)];
    for (const a of entries) {
      if (!a || a.repeats === 0) continue;
      await repo.addAlertRepeats(tx, a.id, a.repeats, a.lastSeen);
      a.repeats = 0;
    }
  }
  // The stored copies of the events (alert_events) of one transaction are written together, in one
  // multi-row statement before its commit, and so are the repeats of each alert (IngestBatch).
  const commit = createGroupCommit<IngestBatch>(db, {
    retryAlone: isUniqueViolation,
    state: () => ({ events: [], alerts: new Map() }),
    beforeCommit: async (tx, batch) => {
      await flushCounts(tx, batch);
      await repo.insertAlertEvents(tx, batch.events);
    },
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

  const actorOf = (t: IngestTarget): Actor => ({
    type: 'integration',
    id: t.integration.id,
    name: `${t.integration.name} (${t.integration.kind})`,
  });

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
   * Applies one event inside `tx`. With `batch` (group commit), its stored copy and, for a repeat,
   * its count are written before the commit; without, at once.
   */
  async function apply(
    tx: Db,
    t: IngestTarget,
    event: AlertEvent,
    payloadJson: string,
    batch?: IngestBatch,
  ): Promise<{ dedupKey: string; outcome: IngestOutcome; incidentId: string | null }> {
    const at = clock.now().toISOString();
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
      if (batch) batch.events.push(row);
      else await repo.insertAlertEvents(tx, [row]);
    };
    const key = batch && event.dedupKey ? alertKey(t.integration.id, dedupKey) : undefined;

    if (event.action === 'trigger') {
      // A repeat of an alert this transaction already opened or counted: counted in memory, written
      // once before the commit (flushCounts).
      const counted = key === undefined ? undefined : batch?.alerts.get(key);
      if (counted) {
        counted.repeats++;
        if (at > counted.lastSeen) counted.lastSeen = at;
        await record(counted.id, counted.incidentId, 'trigger');
        return { dedupKey, outcome: 'appended', incidentId: counted.incidentId };
      }
      // Else a repeat (the usual case in a storm) is one statement: count it on the open alert.
      const repeated = event.dedupKey
        ? await repo.bumpOpenAlert(tx, t.integration.id, dedupKey, at)
        : undefined;
      if (repeated) {
        if (key !== undefined)
          batch?.alerts.set(key, {
            id: repeated.id,
            incidentId: repeated.incident_id,
            repeats: 0,
            lastSeen: at,
          });
        await record(repeated.id, repeated.incident_id, 'trigger');
        return { dedupKey, outcome: 'appended', incidentId: repeated.incident_id };
      }
      const actor = actorOf(t);
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
      if (key !== undefined)
        batch?.alerts.set(key, { id: alertId, incidentId: incident.id, repeats: 0, lastSeen: at });
      await record(alertId, incident.id, 'trigger');
      return { dedupKey, outcome: 'created', incidentId: incident.id };
    }

    // Acknowledge or resolve: the alert's counted repeats go first, and a trigger after a resolve
    // finds no open alert in memory.
    if (batch && key !== undefined) {
      await flushCounts(tx, batch, key);
      batch.alerts.delete(key);
    }
    const actor = actorOf(t);
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
    durably: <T>(work: (tx: Db) => Promise<T>): Promise<T> =>
      commit.submit(async (tx, batch) => {
        // The work may read alerts: their counts are written first.
        await flushCounts(tx, batch);
        return work(tx);
      }),
    forget(key: string) {
      cache.delete(key);
    },
    /** Stores the events of one request; resolves after they are committed (durably). */
    ingest(t: IngestTarget, events: AlertEvent[], raw: unknown) {
      // The stored copy leaves out the Events v2 routing_key: it is the integration's secret.
      const payloadJson = JSON.stringify(withoutRoutingKey(raw));
      return commit.submit(async (tx, batch) => {
        const out = [];
        for (const event of events) out.push(await apply(tx, t, event, payloadJson, batch));
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

/** The body to store: an Events v2 body without its top-level routing_key (the integration's secret). */
function withoutRoutingKey(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || !('routing_key' in raw)) return raw;
  const { routing_key: _secret, ...rest } = raw as Record<string, unknown>;
  return rest;
}
