import { randomUUID } from 'node:crypto';
import { CompiledQuery, type Insertable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { AlertEventsTable } from '../../db/schema.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError, isUniqueViolation } from '../../platform/errors.ts';
import { idFloor, idTime, newId } from '../../platform/ids.ts';
import type { AlertEvent } from './alert-normalizers.ts';
import { createGroupCommit } from './group-commit.ts';
import { type IncidentStatus, isOpen, severityFromAlert } from './incident-lifecycle.ts';
import type { Actor, IncidentsService } from './incidents-service.ts';
import {
  alertWriteEpoch,
  type IncidentRow,
  type IncidentsRepository,
  type IntegrationRow,
  invalidateOpenAlerts,
} from './kysely-incidents-repository.ts';
import { createRepeatCounts, type RepeatCounts, type Repeats } from './repeat-counts.ts';
import { storedPayload } from './stored-payload.ts';

export type IngestOutcome = 'created' | 'appended' | 'acknowledged' | 'resolved' | 'dropped';

export interface IngestTarget {
  integration: IntegrationRow;
  teamId: string;
}

const CACHE_MS = 5_000;
/** How often repeats counted in memory are written (at most; and at least, by a timer). */
const FLUSH_MS = 1_000;
/**
 * Set (in the counters table) while some repeats are counted only in memory, in the transaction that
 * stores the first of them, and cleared by the one that writes them all: a process that stops
 * without clearing it leaves counts to recount from the stored events.
 */
const UNWRITTEN_FLAG = 'incidents.unwritten_repeats';
/**
 * Then alerts with a stored trigger this close to the newest event are recounted: the repeats that
 * were only in memory when the process stopped are among them.
 */
const RECOVERY_WINDOW_MS = 5 * 60_000;
/** And their stored triggers are read from their creation less this (a clock that went back). */
const RECOVERY_SLACK_MS = 60 * 60_000;
/** Open alerts remembered by dedup key, at most. */
const OPEN_ALERTS_MAX = 100_000;
const DATA_VERSION = CompiledQuery.raw('pragma data_version');

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
  /** In-memory counting: the alert write epoch when this transaction first looked up an alert. */
  epoch?: number;
  /** In-memory counting: this transaction recounted alerts after a restart. */
  recounted?: boolean;
  /** In-memory counting: the unwritten-repeats flag as this transaction set it. */
  flag?: boolean;
  /** In-memory counting: the pending repeats this transaction wrote, taken off once it commits. */
  wrote?: Map<string, Repeats>;
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
  /**
   * Count repeats in memory and write them about once a second (`RepeatCounts`), trusting the open
   * alert of each dedup key remembered from earlier transactions. Only where this process is the
   * only writer that matters (SQLite: one server per database file; another connection's writes
   * are noticed through `pragma data_version` and forget what was remembered). Without it, every
   * repeat is counted on its alert's row in its own transaction, as several processes sharing one
   * PostgreSQL database need.
   */
  repeats?: RepeatCounts;
}) {
  const { db, clock, repo, incidents, repeats } = deps;
  /** The open alert of each dedup key (by integration), as of an alert write epoch. */
  const openAlerts = new Map<string, { id: string; incidentId: string | null; epoch: number }>();
  let dataVersion: number | undefined;
  let recounted = false;
  /** The unwritten-repeats flag as committed (known once recounted). */
  let flagged = false;
  let lastWrite = Date.now();
  /** Write the repeats counted in memory in the next transaction, due or not. */
  let writeNow = false;
  let flushTimer: NodeJS.Timeout | undefined;
  let closed = false;
  /** Writes the repeats counted in memory on the alerts of `batch` (all, or the one at `key`). */
  async function flushCounts(tx: Db, batch: IngestBatch, key?: string): Promise<void> {
    const entries = key === undefined ? [...batch.alerts.values()] : [batch.alerts.get(key)];
    for (const a of entries) {
      if (!a || a.repeats === 0) continue;
      await repo.addAlertRepeats(tx, a.id, a.repeats, a.lastSeen);
      a.repeats = 0;
    }
  }

  /**
   * In-memory counting, once per transaction before its first lookup: the counts a stopped process
   * held only in memory (once after start), and whether another connection wrote since the last
   * transaction (then nothing remembered is trusted).
   */
  async function begin(tx: Db, batch: IngestBatch): Promise<void> {
    if (batch.epoch !== undefined) return;
    await recount(tx, batch);
    const version = Number(
      Object.values((await tx.executeQuery<Record<string, unknown>>(DATA_VERSION)).rows[0] ?? {})[0],
    );
    if (dataVersion !== undefined && version !== dataVersion) invalidateOpenAlerts();
    dataVersion = version;
    batch.epoch = alertWriteEpoch();
  }

  /** In-memory counting: once after start, the counts a stopped process held only in memory. */
  async function recount(tx: Db, batch: IngestBatch): Promise<void> {
    if (recounted || batch.recounted) return;
    batch.recounted = true;
    if (!(await repo.flag(tx, UNWRITTEN_FLAG))) return;
    const newest = await repo.newestAlertEventId(tx);
    const at = newest === undefined ? undefined : idTime(newest);
    if (at !== undefined)
      await repo.recountAlertsSince(tx, idFloor('evt', at - RECOVERY_WINDOW_MS), RECOVERY_SLACK_MS);
    await repo.setFlag(tx, UNWRITTEN_FLAG, false);
    batch.flag = false;
  }

  /** In-memory counting: writes the pending repeats and this transaction's, when due. */
  async function writeRepeats(tx: Db, batch: IngestBatch, pending: RepeatCounts): Promise<void> {
    if (pending.size === 0 && batch.alerts.size === 0) return;
    if (!writeNow && Date.now() - lastWrite < FLUSH_MS) {
      // Kept in memory: flagged on disk with the first such repeat's stored event.
      if (!flagged && (pending.size > 0 || [...batch.alerts.values()].some((a) => a.repeats > 0))) {
        await repo.setFlag(tx, UNWRITTEN_FLAG, true);
        batch.flag = true;
      }
      return;
    }
    const wrote = pending.snapshot();
    const all = createRepeatCounts();
    for (const [id, r] of wrote) all.add(id, r.repeats, r.lastSeen);
    for (const a of batch.alerts.values()) {
      all.add(a.id, a.repeats, a.lastSeen);
      a.repeats = 0;
    }
    for (const [id, r] of all.snapshot()) await repo.addAlertRepeats(tx, id, r.repeats, r.lastSeen);
    batch.wrote = wrote;
    // Nothing is left in memory once this commits (transactions run one at a time).
    if (flagged) {
      await repo.setFlag(tx, UNWRITTEN_FLAG, false);
      batch.flag = false;
    }
  }

  /** In-memory counting, after a commit: keep its repeats and its open alerts. */
  function committed(batch: IngestBatch, pending: RepeatCounts): void {
    if (batch.recounted) recounted = true;
    if (batch.flag !== undefined) flagged = batch.flag;
    if (batch.wrote) {
      pending.written(batch.wrote);
      lastWrite = Date.now();
    }
    for (const a of batch.alerts.values()) pending.add(a.id, a.repeats, a.lastSeen);
    // Remembered only if no alert was closed or moved since the transaction's first lookup.
    const epoch = batch.epoch;
    if (epoch !== undefined && epoch === alertWriteEpoch()) {
      if (openAlerts.size + batch.alerts.size > OPEN_ALERTS_MAX) openAlerts.clear();
      for (const [key, a] of batch.alerts) openAlerts.set(key, { id: a.id, incidentId: a.incidentId, epoch });
    }
    // Quiet after a burst: a timer writes what is left.
    if (pending.size > 0 && !flushTimer && !closed) {
      flushTimer = setTimeout(() => {
        flushTimer = undefined;
        if (pending.size > 0) commit.submit(async () => undefined).catch(() => undefined);
      }, FLUSH_MS);
      flushTimer.unref();
    }
  }

  // The stored copies of the events (alert_events) of one transaction are written together, in one
  // multi-row statement before its commit, and so are the repeats of each alert (IngestBatch); with
  // in-memory counting, the repeats of about a second of transactions together.
  const commit = createGroupCommit<IngestBatch>(db, {
    retryAlone: isUniqueViolation,
    state: () => ({ events: [], alerts: new Map() }),
    beforeCommit: async (tx, batch) => {
      if (repeats) await writeRepeats(tx, batch, repeats);
      else await flushCounts(tx, batch);
      await repo.insertAlertEvents(tx, batch.events);
    },
    ...(repeats ? { afterCommit: (batch: IngestBatch) => committed(batch, repeats) } : {}),
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
      if (repeats && batch && key !== undefined) await begin(tx, batch);
      const counted = key === undefined ? undefined : batch?.alerts.get(key);
      if (counted) {
        counted.repeats++;
        if (at > counted.lastSeen) counted.lastSeen = at;
        await record(counted.id, counted.incidentId, 'trigger');
        return { dedupKey, outcome: 'appended', incidentId: counted.incidentId };
      }
      // With in-memory counting, the open alert remembered from an earlier transaction, while no
      // alert was closed or moved since (the epoch).
      const known = repeats && key !== undefined ? openAlerts.get(key) : undefined;
      if (batch && key !== undefined && known && known.epoch === alertWriteEpoch()) {
        batch.alerts.set(key, { id: known.id, incidentId: known.incidentId, repeats: 1, lastSeen: at });
        await record(known.id, known.incidentId, 'trigger');
        return { dedupKey, outcome: 'appended', incidentId: known.incidentId };
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
    /**
     * At start-up, before events arrive: with in-memory counting, recounts the alerts whose repeats
     * the last process may have held only in memory when it stopped (from their stored events).
     */
    async start(): Promise<void> {
      if (repeats) await commit.submit((tx, batch) => recount(tx, batch));
    },
    /** Writes the repeats counted in memory now (readers of the alerts table itself need it). */
    async flush(): Promise<void> {
      if (!repeats || repeats.size === 0) return;
      writeNow = true;
      try {
        await commit.submit(async () => undefined);
      } finally {
        writeNow = false;
      }
    },
    /** Writes the repeats counted in memory, before the database closes. */
    async close(): Promise<void> {
      closed = true;
      clearTimeout(flushTimer);
      flushTimer = undefined;
      await this.flush();
    },
    /**
     * Stores the events of one request (`raw`, parsed from `text` when that is at hand); resolves
     * after they are committed (durably).
     */
    ingest(t: IngestTarget, events: AlertEvent[], raw: unknown, text?: string) {
      // The stored copy leaves out the Events v2 routing_key: it is the integration's secret.
      const payloadJson = storedPayload(raw, text);
      return commit.submit(async (tx, batch) => {
        const out = [];
        for (const event of events) out.push(await apply(tx, t, event, payloadJson, batch));
        return out;
      });
    },
    /** For callers that already hold a transaction (heartbeat sweeps). */
    processEvent: (tx: Db, t: IngestTarget, event: AlertEvent, raw: unknown) =>
      apply(tx, t, event, storedPayload(raw, undefined)),
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
