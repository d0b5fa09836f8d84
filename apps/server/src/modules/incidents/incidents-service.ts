import type { Db } from '../../db/database.ts';
import type { Principal } from '../../platform/access/permissions.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { JobQueue } from '../../platform/jobs.ts';
import { type Page, type PageQuery, pageById } from '../../platform/pagination.ts';
import type { CatalogService } from '../catalog/index.ts';
import {
  type IMPORT_STAMPS,
  type ImportItem,
  type ImportProblem,
  importedStatus,
  importProblems,
  importTimes,
} from './incident-import.ts';
import {
  type IncidentAction,
  type IncidentStatus,
  responseTimes,
  type Severity,
  skippedStates,
  stampOf,
  transition,
} from './incident-lifecycle.ts';
import type {
  IncidentFilter,
  IncidentRow,
  IncidentsRepository,
  TimelineRow,
} from './kysely-incidents-repository.ts';
import type { RepeatCounts } from './repeat-counts.ts';

export const PAGE_JOB = 'incidents.page';

/** Who did something to an incident: a person, a token, an integration or engops itself. */
export interface Actor {
  type: 'user' | 'token' | 'integration' | 'system';
  id: string | null;
  name: string;
}

export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  items: Array<{
    index: number;
    id: string;
    number: number;
    external_id: string | null;
    outcome: 'created' | 'updated' | 'unchanged';
  }>;
}

export function actorOf(principal: Principal): Actor {
  return { type: principal.kind, id: principal.userId ?? principal.id, name: principal.name };
}

export interface IncidentView {
  id: string;
  number: number;
  service_id: string;
  team_id: string;
  title: string;
  description: string | null;
  severity: Severity;
  status: IncidentStatus;
  source: string;
  suppressed: boolean;
  triggered_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  mitigated_at: string | null;
  mitigated_by: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  reviewed_at: string | null;
  commander_id: string | null;
  comms_lead_id: string | null;
  caused_by_deployment_id: string | null;
  alert_count: number;
  created_at: string;
  updated_at: string;
  external_id: string | null;
}

export interface TimelineEntry {
  id: string;
  at: string;
  kind: string;
  actor: Actor;
  text: string;
  data: unknown;
}

export function incidentView(row: IncidentRow): IncidentView {
  return {
    id: row.id,
    number: Number(row.number),
    service_id: row.service_id,
    team_id: row.team_id,
    title: row.title,
    description: row.description,
    severity: row.severity as Severity,
    status: row.status as IncidentStatus,
    source: row.source,
    suppressed: row.suppressed === 1,
    triggered_at: row.triggered_at,
    acknowledged_at: row.acknowledged_at,
    acknowledged_by: row.acknowledged_by,
    mitigated_at: row.mitigated_at,
    mitigated_by: row.mitigated_by,
    resolved_at: row.resolved_at,
    resolved_by: row.resolved_by,
    reviewed_at: row.reviewed_at,
    commander_id: row.commander_id,
    comms_lead_id: row.comms_lead_id,
    caused_by_deployment_id: row.caused_by_deployment_id,
    alert_count: Number(row.alert_count),
    created_at: row.created_at,
    updated_at: row.updated_at,
    external_id: row.external_id ?? null,
  };
}

function timelineView(row: TimelineRow): TimelineEntry {
  return {
    id: row.id,
    at: row.at,
    kind: row.kind,
    actor: { type: row.actor_type as Actor['type'], id: row.actor_id, name: row.actor_name },
    text: row.text,
    data: row.data_json ? (JSON.parse(row.data_json) as unknown) : null,
  };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

export function createIncidentsService(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  repo: IncidentsRepository;
  catalog: CatalogService;
  /** Repeats that alert ingestion counted in memory and has not written yet (added to views). */
  repeats?: RepeatCounts;
}) {
  const { db, clock, audit, jobs, repo, catalog } = deps;
  /**
   * Called inside the transaction that opens or reopens an incident (not for suppressed ones): see
   * onTriggered.
   */
  const triggeredListeners: Array<(tx: Db, incident: IncidentView) => Promise<void>> = [];

  async function must(tx: Db, id: string): Promise<IncidentRow> {
    const row = await repo.getIncident(tx, id);
    if (!row) throw new AppError('INCIDENTS_NOT_FOUND', `No incident has id ${id}.`);
    return row;
  }

  async function addTimeline(
    tx: Db,
    incidentId: string,
    at: string,
    kind: string,
    actor: Actor,
    text: string,
    data?: unknown,
  ) {
    await repo.insertTimeline(tx, {
      id: newId('tl'),
      incident_id: incidentId,
      at,
      kind,
      actor_type: actor.type,
      actor_id: actor.id,
      actor_name: actor.name,
      text,
      data_json: data === undefined ? null : JSON.stringify(data),
    });
  }

  /**
   * Moves an incident through the lifecycle inside `tx`, stamping time and actor and writing the
   * timeline. Resolving resolves its open alerts, so their dedup keys open new alerts afterwards.
   */
  async function applyTransition(
    tx: Db,
    row: IncidentRow,
    action: IncidentAction,
    actor: Actor,
    at: string,
  ): Promise<IncidentRow> {
    const result = transition(row.status as IncidentStatus, action);
    if (!result.ok)
      throw new AppError(
        'INCIDENTS_INVALID_TRANSITION',
        `Cannot ${action} incident #${row.number}: ${result.reason}.`,
      );
    const stamp = stampOf(action);
    const patch: Partial<IncidentRow> = { status: result.to, updated_at: at };
    if (stamp === 'acknowledged')
      Object.assign(patch, { acknowledged_at: at, acknowledged_by: actor.id ?? actor.name });
    if (stamp === 'mitigated')
      Object.assign(patch, { mitigated_at: at, mitigated_by: actor.id ?? actor.name });
    if (stamp === 'resolved') Object.assign(patch, { resolved_at: at, resolved_by: actor.id ?? actor.name });
    if (stamp === 'reviewed') Object.assign(patch, { reviewed_at: at });
    await repo.updateIncident(tx, row.id, patch);
    if (action === 'resolve') {
      await repo.setAlertsOfIncident(tx, row.id, { status: 'resolved', resolved_at: at }, [
        'triggered',
        'acknowledged',
      ]);
    } else if (action === 'acknowledge') {
      await repo.setAlertsOfIncident(tx, row.id, { status: 'acknowledged', acknowledged_at: at }, [
        'triggered',
      ]);
    }
    const skipped = skippedStates(row.status as IncidentStatus, result.to);
    await addTimeline(
      tx,
      row.id,
      at,
      `status.${result.to}`,
      actor,
      `${actor.name} ${action === 'reopen' ? 'reopened' : result.to} the incident`,
      {
        from: row.status,
        to: result.to,
        ...(skipped.length ? { skipped } : {}),
      },
    );
    return { ...row, ...patch } as IncidentRow;
  }

  async function createIncident(
    tx: Db,
    input: {
      service_id: string;
      team_id: string;
      title: string;
      description?: string | null;
      severity: Severity;
      source: string;
      group_key?: string | null;
      integration_id?: string | null;
      suppressed: boolean;
      triggered_at: string;
      /** An incident opened by an alert counts it from the start. */
      alert_count?: number;
    },
    actor: Actor,
  ): Promise<IncidentRow> {
    const at = clock.now().toISOString();
    const row: IncidentRow = {
      id: newId('inc'),
      number: await repo.nextNumber(tx, 'incident'),
      service_id: input.service_id,
      team_id: input.team_id,
      title: input.title,
      description: input.description ?? null,
      severity: input.severity,
      status: 'triggered',
      source: input.source,
      group_key: input.group_key ?? null,
      integration_id: input.integration_id ?? null,
      suppressed: input.suppressed ? 1 : 0,
      triggered_at: input.triggered_at,
      acknowledged_at: null,
      acknowledged_by: null,
      mitigated_at: null,
      mitigated_by: null,
      resolved_at: null,
      resolved_by: null,
      reviewed_at: null,
      commander_id: null,
      comms_lead_id: null,
      caused_by_deployment_id: null,
      alert_count: input.alert_count ?? 0,
      created_at: at,
      updated_at: at,
      external_id: null,
    };
    await repo.insertIncident(tx, row);
    await addTimeline(
      tx,
      row.id,
      input.triggered_at,
      'incident.triggered',
      actor,
      input.source === 'manual' ? `${actor.name} declared the incident` : `Incident opened by ${actor.name}`,
      {
        severity: row.severity,
        title: row.title,
      },
    );
    if (input.suppressed) {
      await addTimeline(
        tx,
        row.id,
        input.triggered_at,
        'incident.suppressed',
        { type: 'system', id: null, name: 'engops' },
        'No one paged: the service is in a maintenance window',
      );
    } else {
      await jobs.enqueue(tx, {
        kind: PAGE_JOB,
        payload: { incident_id: row.id },
        dedupeKey: `page:${row.id}`,
        maxAttempts: 5,
      });
      for (const listener of triggeredListeners) await listener(tx, incidentView(row));
    }
    return row;
  }

  /**
   * A reopened incident is a live problem again (in `tx`, after the reopen transition): unless a
   * maintenance window covers its service now, it pages the service again from the first
   * escalation level (one page job per reopen, so the next reopen pages again while a re-run of
   * the same job does not) and tells the triggered listeners. In a window it is recorded, not paged.
   */
  async function afterReopen(tx: Db, row: IncidentRow, at: string): Promise<IncidentRow> {
    const engops: Actor = { type: 'system', id: null, name: 'engops' };
    if (await repo.activeMaintenance(tx, row.service_id, at)) {
      await repo.updateIncident(tx, row.id, { suppressed: 1 });
      await addTimeline(
        tx,
        row.id,
        at,
        'incident.suppressed',
        engops,
        'No one paged: the service is in a maintenance window',
      );
      return { ...row, suppressed: 1 };
    }
    const reopened: IncidentRow = { ...row, suppressed: 0 };
    if (row.suppressed === 1) await repo.updateIncident(tx, row.id, { suppressed: 0 });
    // Only reopens write status.triggered (a new incident writes incident.triggered): this is reopen n.
    const reopen = await repo.countTimeline(tx, row.id, 'status.triggered');
    await jobs.enqueue(tx, {
      kind: PAGE_JOB,
      payload: { incident_id: row.id, reopen },
      dedupeKey: `page:${row.id}:reopen:${reopen}`,
      maxAttempts: 5,
    });
    for (const listener of triggeredListeners) await listener(tx, incidentView(reopened));
    return reopened;
  }

  async function serviceAndTeam(serviceId: string) {
    const service = await catalog.findService(serviceId);
    if (!service) throw new AppError('CATALOG_SERVICE_NOT_FOUND', `No service has id ${serviceId}.`);
    return service;
  }

  return {
    /**
     * Runs `listener` in the transaction of every incident that opens or is reopened unsuppressed
     * (the flags module enqueues its rollout-plan pause there; a reopen has a later updated_at).
     * Keep listeners to cheap writes: they share the ingest path's transaction.
     */
    onTriggered(listener: (tx: Db, incident: IncidentView) => Promise<void>) {
      triggeredListeners.push(listener);
    },
    applyTransition,
    createIncident,
    addTimeline,
    serviceAndTeam,

    async declare(
      ctx: AuditContext,
      input: { service_id: string; title: string; severity: Severity; description?: string | undefined },
    ) {
      const service = await serviceAndTeam(input.service_id);
      return db.transaction().execute(async (tx) => {
        const now = clock.now().toISOString();
        const row = await createIncident(
          tx,
          {
            service_id: service.id,
            team_id: service.team_id,
            title: input.title,
            description: input.description ?? null,
            severity: input.severity,
            source: 'manual',
            suppressed: false,
            triggered_at: now,
          },
          actorOf(ctx.principal),
        );
        const view = incidentView(row);
        await audit.record(tx, ctx, {
          action: 'incident.declare',
          targetType: 'incident',
          targetId: row.id,
          teamId: row.team_id,
          after: view,
        });
        return view;
      });
    },

    async act(ctx: AuditContext, id: string, action: IncidentAction): Promise<IncidentView> {
      return db.transaction().execute(async (tx) => {
        const before = await must(tx, id);
        const at = clock.now().toISOString();
        let after = await applyTransition(tx, before, action, actorOf(ctx.principal), at);
        if (action === 'reopen') after = await afterReopen(tx, after, at);
        await audit.record(tx, ctx, {
          action: `incident.${action}`,
          targetType: 'incident',
          targetId: id,
          teamId: before.team_id,
          before: { status: before.status },
          after: { status: after.status },
        });
        return incidentView(after);
      });
    },

    async addNote(ctx: AuditContext, id: string, text: string): Promise<TimelineEntry> {
      return db.transaction().execute(async (tx) => {
        const incident = await must(tx, id);
        const at = clock.now().toISOString();
        await addTimeline(tx, id, at, 'note', actorOf(ctx.principal), text);
        await audit.record(tx, ctx, {
          action: 'incident.note',
          targetType: 'incident',
          targetId: id,
          teamId: incident.team_id,
          after: { text },
        });
        const entries = await repo.listTimeline(tx, id);
        return timelineView(entries.at(-1)!);
      });
    },

    async update(
      ctx: AuditContext,
      id: string,
      patch: {
        title?: string | undefined;
        description?: string | null | undefined;
        severity?: Severity | undefined;
        commander_id?: string | null | undefined;
        comms_lead_id?: string | null | undefined;
        caused_by_deployment_id?: string | null | undefined;
      },
    ): Promise<IncidentView> {
      const deploymentId = patch.caused_by_deployment_id;
      if (deploymentId && !(await repo.existingDeployments(db, [deploymentId])).has(deploymentId))
        throw new AppError('HTTP_VALIDATION_FAILED', `No deployment has id ${deploymentId}.`, {
          errors: [{ path: 'body.caused_by_deployment_id', message: `no deployment has id ${deploymentId}` }],
        });
      // People are named in the timeline (and so in the postmortem), not identified by id.
      const names = new Map<string, string>();
      for (const key of ['commander_id', 'comms_lead_id'] as const) {
        const userId = patch[key];
        if (userId) names.set(userId, (await catalog.getUser(userId)).name);
      }
      return db.transaction().execute(async (tx) => {
        const before = await must(tx, id);
        const at = clock.now().toISOString();
        const changes = Object.fromEntries(
          Object.entries(patch).filter(([, v]) => v !== undefined),
        ) as Partial<IncidentRow>;
        await repo.updateIncident(tx, id, { ...changes, updated_at: at });
        const after = await must(tx, id);
        const actor = actorOf(ctx.principal);
        const labels: Record<string, string> = {
          commander_id: 'incident commander',
          comms_lead_id: 'communications lead',
          severity: 'severity',
          title: 'title',
          caused_by_deployment_id: 'suspected deployment',
        };
        for (const [key, label] of Object.entries(labels)) {
          const k = key as keyof IncidentRow;
          if (changes[k] !== undefined && before[k] !== after[k]) {
            const kind = key.endsWith('_id') && key !== 'caused_by_deployment_id' ? 'role' : 'update';
            await addTimeline(
              tx,
              id,
              at,
              kind,
              actor,
              `${actor.name} set the ${label} to ${after[k] == null ? 'nobody' : (names.get(String(after[k])) ?? after[k])}`,
              {
                field: key,
                from: before[k],
                to: after[k],
              },
            );
          }
        }
        await audit.record(tx, ctx, {
          action: 'incident.update',
          targetType: 'incident',
          targetId: id,
          teamId: before.team_id,
          before: incidentView(before),
          after: incidentView(after),
        });
        return incidentView(after);
      });
    },

    /**
     * Records past incidents with their real times (history from day one). All or nothing: any
     * invalid item fails the whole import with every problem listed. Idempotent on external_id: an
     * item whose external id is known updates that incident when it differs, else is skipped.
     * Pages nobody. `authorize` is called with each team the items touch.
     */
    async importIncidents(
      ctx: AuditContext,
      items: ImportItem[],
      options: { authorize?: (teamId: string) => void } = {},
    ): Promise<ImportResult> {
      const now = clock.now();
      const problems: ImportProblem[] = [];
      const services = new Map<string, Awaited<ReturnType<typeof catalog.findService>>>();
      for (const id of new Set(items.map((i) => i.service_id)))
        services.set(id, await catalog.findService(id));
      const externalIds = new Map<string, number>();
      const deployments = await repo.existingDeployments(db, [
        ...new Set(items.flatMap((i) => (i.caused_by_deployment_id ? [i.caused_by_deployment_id] : []))),
      ]);
      items.forEach((item, index) => {
        if (!services.get(item.service_id))
          problems.push({
            path: `body.incidents.${index}.service_id`,
            message: `no service has id or name ${item.service_id}`,
          });
        problems.push(...importProblems(item, index, now));
        if (item.caused_by_deployment_id && !deployments.has(item.caused_by_deployment_id))
          problems.push({
            path: `body.incidents.${index}.caused_by_deployment_id`,
            message: `no deployment has id ${item.caused_by_deployment_id}`,
          });
        if (item.external_id !== undefined) {
          const first = externalIds.get(item.external_id);
          if (first !== undefined)
            problems.push({
              path: `body.incidents.${index}.external_id`,
              message: `repeats incidents[${first}].external_id`,
            });
          else externalIds.set(item.external_id, index);
        }
      });
      const known = new Map<string, IncidentRow>();
      for (const [externalId, index] of externalIds) {
        const row = await repo.incidentByExternalId(db, externalId);
        if (!row) continue;
        known.set(externalId, row);
        const service = services.get(items[index]!.service_id);
        if (service && row.service_id !== service.id)
          problems.push({
            path: `body.incidents.${index}.external_id`,
            message: `already names incident #${row.number} of another service`,
          });
      }
      if (problems.length)
        throw new AppError(
          'HTTP_VALIDATION_FAILED',
          `${new Set(problems.map((p) => p.path.split('.')[2])).size} of ${items.length} incidents are invalid; nothing was imported.`,
          { errors: problems },
        );
      for (const teamId of new Set([...services.values()].map((s) => s!.team_id)))
        options.authorize?.(teamId);

      const actor = actorOf(ctx.principal);
      const at = now.toISOString();
      return db.transaction().execute(async (tx) => {
        const result: ImportResult = { created: 0, updated: 0, unchanged: 0, items: [] };
        for (const [index, item] of items.entries()) {
          const service = services.get(item.service_id)!;
          const times = Object.fromEntries(importTimes(item)) as Partial<
            Record<(typeof IMPORT_STAMPS)[number], string>
          >;
          const fields = {
            title: item.title,
            description: item.description ?? null,
            severity: item.severity,
            status: importedStatus(item),
            triggered_at: times.triggered_at!,
            acknowledged_at: times.acknowledged_at ?? null,
            mitigated_at: times.mitigated_at ?? null,
            resolved_at: times.resolved_at ?? null,
            caused_by_deployment_id: item.caused_by_deployment_id ?? null,
          };
          const existing = item.external_id ? known.get(item.external_id) : undefined;
          if (existing) {
            const changed = (Object.keys(fields) as Array<keyof typeof fields>).filter(
              (k) => existing[k] !== fields[k],
            );
            if (changed.length === 0) {
              result.unchanged++;
              result.items.push({
                index,
                id: existing.id,
                number: Number(existing.number),
                external_id: existing.external_id,
                outcome: 'unchanged',
              });
              continue;
            }
            await repo.updateIncident(tx, existing.id, { ...fields, updated_at: at });
            await addTimeline(
              tx,
              existing.id,
              at,
              'incident.imported',
              actor,
              `${actor.name} re-imported the incident (${changed.join(', ')} changed)`,
              {
                external_id: existing.external_id,
                changed: Object.fromEntries(changed.map((k) => [k, { from: existing[k], to: fields[k] }])),
              },
            );
            const after = { ...existing, ...fields, updated_at: at };
            await audit.record(tx, ctx, {
              action: 'incident.import',
              targetType: 'incident',
              targetId: existing.id,
              teamId: existing.team_id,
              before: incidentView(existing),
              after: incidentView(after),
            });
            result.updated++;
            result.items.push({
              index,
              id: existing.id,
              number: Number(existing.number),
              external_id: existing.external_id,
              outcome: 'updated',
            });
            continue;
          }
          const row: IncidentRow = {
            id: newId('inc'),
            number: await repo.nextNumber(tx, 'incident'),
            service_id: service.id,
            team_id: service.team_id,
            source: 'import',
            group_key: null,
            integration_id: null,
            suppressed: 0,
            acknowledged_by: null,
            mitigated_by: null,
            resolved_by: null,
            reviewed_at: null,
            commander_id: null,
            comms_lead_id: null,
            alert_count: 0,
            created_at: at,
            updated_at: at,
            external_id: item.external_id ?? null,
            ...fields,
          };
          await repo.insertIncident(tx, row);
          await addTimeline(
            tx,
            row.id,
            row.triggered_at,
            'incident.imported',
            actor,
            `Incident imported by ${actor.name}${row.external_id ? ` (external id ${row.external_id})` : ''}`,
            { severity: row.severity, title: row.title, external_id: row.external_id, imported_at: at },
          );
          let from: IncidentStatus = 'triggered';
          for (const [field, stampAt] of importTimes(item)) {
            if (field === 'triggered_at') continue;
            const to = field.replace('_at', '') as IncidentStatus;
            await addTimeline(
              tx,
              row.id,
              stampAt,
              `status.${to}`,
              actor,
              `The incident was ${to} (imported time)`,
              {
                from,
                to,
                imported: true,
              },
            );
            from = to;
          }
          await audit.record(tx, ctx, {
            action: 'incident.import',
            targetType: 'incident',
            targetId: row.id,
            teamId: row.team_id,
            after: incidentView(row),
          });
          result.created++;
          result.items.push({
            index,
            id: row.id,
            number: Number(row.number),
            external_id: row.external_id,
            outcome: 'created',
          });
        }
        return result;
      });
    },

    async get(id: string): Promise<IncidentView> {
      return incidentView(await must(db, id));
    },

    async list(page: PageQuery & IncidentFilter): Promise<Page<IncidentView>> {
      const result = await pageById(page, (before, limit) => repo.listIncidents(db, page, before, limit));
      return { items: result.items.map(incidentView), next_cursor: result.next_cursor };
    },

    /** The timeline of an incident read with `tx` (a transaction's own view), or its entries of one kind. */
    async timelineOf(tx: Db, id: string, kind?: TimelineEntry['kind']): Promise<TimelineEntry[]> {
      return (await repo.listTimeline(tx, id, kind)).map(timelineView);
    },

    async timeline(id: string): Promise<TimelineEntry[]> {
      await must(db, id);
      return (await repo.listTimeline(db, id)).map(timelineView);
    },

    async alerts(id: string) {
      await must(db, id);
      const rows = await repo.alertsOfIncident(db, id);
      return rows.map((a) => ({
        ...(deps.repeats?.view(a.id, Number(a.event_count), a.last_seen_at) ?? {
          event_count: Number(a.event_count),
          last_seen_at: a.last_seen_at,
        }),
        id: a.id,
        integration_id: a.integration_id,
        dedup_key: a.dedup_key,
        status: a.status,
        severity: a.severity,
        summary: a.summary,
        source: a.source,
        details: a.details_json ? (JSON.parse(a.details_json) as unknown) : {},
        links: a.links_json ? (JSON.parse(a.links_json) as unknown) : [],
        suppressed: a.suppressed === 1,
        first_seen_at: a.first_seen_at,
        acknowledged_at: a.acknowledged_at,
        resolved_at: a.resolved_at,
      }));
    },

    /** Response metrics over a window: MTTA, time to mitigate, MTTR (mean and median), counts. */
    async stats(filter: IncidentFilter) {
      const rows = await repo.incidentsInWindow(db, filter);
      const times = rows.map(responseTimes);
      const pick = (k: 'tta' | 'ttm' | 'ttr') =>
        times.map((t) => t[k]).filter((v): v is number => v !== null);
      const bySeverity: Record<string, number> = { SEV1: 0, SEV2: 0, SEV3: 0, SEV4: 0 };
      const byStatus: Record<string, number> = {};
      for (const r of rows) {
        bySeverity[r.severity] = (bySeverity[r.severity] ?? 0) + 1;
        byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      }
      const summary = (k: 'tta' | 'ttm' | 'ttr') => {
        const v = pick(k);
        return { count: v.length, mean_seconds: mean(v), median_seconds: median(v) };
      };
      return {
        from: filter.from ?? null,
        to: filter.to ?? null,
        count: rows.length,
        /** Open now in this scope, wherever in time they started. */
        open: await repo.countOpen(db, filter),
        by_severity: bySeverity,
        by_status: byStatus,
        time_to_acknowledge: summary('tta'),
        time_to_mitigate: summary('ttm'),
        time_to_resolve: summary('ttr'),
      };
    },
  };
}

export type IncidentsService = ReturnType<typeof createIncidentsService>;
