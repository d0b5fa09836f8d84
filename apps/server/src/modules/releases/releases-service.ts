import type {
  CanarySettings,
  CreateDeployment,
  CreatePipeline,
  CreateRelease,
  Freeze,
  Judgement,
  MetricSetting,
  Pipeline,
  PipelineStage,
  Policy,
  PrometheusSettings,
  Release,
  ReleaseEvent,
  ReleaseSettings,
  ReleaseStageState,
  Service,
  SloSettings,
  StageEvent,
} from '@engops/contracts';
import { resolveStageKind } from '@engops/contracts';
import type { Db } from '../../db/database.ts';
import { type Permission, type Principal, systemPrincipal } from '../../platform/access/permissions.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError, type FieldError, isUniqueViolation } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import { signWebhook } from '../../platform/notifications/channels.ts';
import { type Page, type PageQuery, pageById } from '../../platform/pagination.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { DoraService } from '../dora/index.ts';
import type { FlagsService } from '../flags/index.ts';
import type { IncidentsService } from '../incidents/index.ts';
import type { PolicyService } from '../policy/index.ts';
import { evaluateBurnRate, type TimedSamples } from './burn-rate.ts';
import { judgeCanary, type MetricSamples } from './canary-judge.ts';
import type { ReleaseRow, ReleasesRepository, StageRow } from './kysely-releases-repository.ts';

export const MONITOR_JOB = 'releases.monitor';
export const ROLLBACK_JOB = 'releases.rollback';
export const CANARY_JOB = 'releases.canary';
/** The flexibleRollout strategy (by id) whose percentage carries a release's canary traffic. */
export const CANARY_STRATEGY_ID = 'release-canary';
const PULL_TIMEOUT_MS = 15_000;
const MAX_PULLED = 10_000;
const HOOK_TIMEOUT_MS = 10_000;
const OPEN_INCIDENT = ['triggered', 'acknowledged', 'mitigated'];

type Authorize = (permission: Permission, teamId?: string | null) => void;
type ReleasesPolicy = Policy['releases'];

export interface ReleaseListQuery extends PageQuery {
  service_id?: string | undefined;
  team_id?: string | undefined;
  status?: string | undefined;
}

/** The handbook's five stages (the policy's list), with their default gates. */
export function defaultPipeline(policy: ReleasesPolicy): Pipeline {
  return {
    id: 'default',
    team_id: null,
    name: 'Handbook release process',
    default: true,
    stages: policy.stages.map((name) =>
      resolveStage({
        name,
        required: true,
        approvals: name === 'production' ? policy.production_approvals : 0,
      }),
    ),
    created_at: null,
  };
}

function resolveStage(input: {
  name: string;
  kind?: PipelineStage['kind'] | undefined;
  required: boolean;
  approvals: number;
  freeze?: boolean | undefined;
  no_open_incidents?: boolean | undefined;
}): PipelineStage {
  const kind = resolveStageKind(input.name, input.kind);
  return {
    name: input.name,
    kind,
    required: input.required,
    approvals: input.approvals,
    freeze: input.freeze ?? kind === 'production',
    no_open_incidents: input.no_open_incidents ?? (kind === 'production' || kind === 'canary'),
  };
}

const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

export function createReleasesService(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  worker: Worker;
  repo: ReleasesRepository;
  catalog: CatalogService;
  dora: DoraService;
  incidents: IncidentsService;
  policy: PolicyService;
  /** For canaries driven through a flag's rollout percentage. */
  flags?: FlagsService | undefined;
}) {
  const { db, clock, audit, jobs, repo, catalog, dora, incidents, policy } = deps;
  const systemCtx: AuditContext = {
    principal: { ...systemPrincipal, id: 'releases', name: 'engops releases' },
  };
  const now = () => clock.now().toISOString();
  const releasesPolicy = async () => (await policy.current()).releases;

  async function mustService(idOrName: string): Promise<Service> {
    const service = await catalog.findService(idOrName);
    if (!service) throw new AppError('CATALOG_SERVICE_NOT_FOUND', `No service has id or name ${idOrName}.`);
    return service;
  }

  async function mustRelease(tx: Db, id: string): Promise<ReleaseRow> {
    const row = await repo.getRelease(tx, id);
    if (!row) throw new AppError('RELEASES_NOT_FOUND', `No release has id ${id}.`);
    return row;
  }

  function pipelineView(row: {
    id: string;
    team_id: string;
    name: string;
    is_default: number;
    stages: string;
    created_at: string;
  }): Pipeline {
    return {
      id: row.id,
      team_id: row.team_id,
      name: row.name,
      default: row.is_default === 1,
      stages: JSON.parse(row.stages) as PipelineStage[],
      created_at: row.created_at,
    };
  }

  async function views(tx: Db, rows: ReleaseRow[]): Promise<Release[]> {
    const ids = rows.map((r) => r.id);
    const [stageRows, approvals] = await Promise.all([repo.stages(tx, ids), repo.approvalCounts(tx, ids)]);
    const given = new Map(approvals.map((a) => [`${a.release_id}\u0000${a.stage}`, Number(a.n)]));
    return rows.map((row) => ({
      id: row.id,
      service_id: row.service_id,
      team_id: row.team_id,
      version: row.version,
      commit_sha: row.commit_sha,
      pipeline_id: row.pipeline_id,
      status: row.status as Release['status'],
      current_stage: row.current_stage,
      stages: stageRows
        .filter((s) => s.release_id === row.id)
        .map((s) => stageState(s, given.get(`${row.id}\u0000${s.name}`) ?? 0)),
      judgement: parse<Judgement>(row.judgement),
      deployment_id: row.deployment_id,
      rollback_deployment_id: row.rollback_deployment_id,
      harmful_reason: row.harmful_reason,
      monitor_until: row.monitor_until,
      created_by: row.created_by,
      created_at: row.created_at,
      updated_at: row.updated_at,
    }));
  }

  function stageState(s: StageRow, approvalsGiven: number): ReleaseStageState {
    const def = JSON.parse(s.definition) as PipelineStage;
    return {
      ...def,
      status: s.status as ReleaseStageState['status'],
      attempts: Number(s.attempts),
      approvals_given: approvalsGiven,
      started_at: s.started_at,
      finished_at: s.finished_at,
    };
  }

  async function view(tx: Db, row: ReleaseRow): Promise<Release> {
    return (await views(tx, [row]))[0]!;
  }

  async function event(
    tx: Db,
    releaseId: string,
    actor: string,
    e: { kind: ReleaseEvent['kind']; stage?: string | null; status?: string | null; details?: unknown },
  ) {
    await repo.insertEvent(tx, {
      id: newId('rev'),
      release_id: releaseId,
      at: now(),
      kind: e.kind,
      stage: e.stage ?? null,
      status: e.status ?? null,
      actor,
      details: e.details === undefined ? null : JSON.stringify(e.details),
    });
  }

  /** The gates of `stage` that are closed right now, one entry per gate. */
  async function closedGates(
    release: ReleaseRow,
    stage: ReleaseStageState,
    service: Service,
  ): Promise<FieldError[]> {
    const closed: FieldError[] = [];
    if (stage.approvals > stage.approvals_given)
      closed.push({
        path: 'gate.approvals',
        message: `stage ${stage.name} needs ${stage.approvals} approval(s), has ${stage.approvals_given}`,
      });
    if (stage.freeze) {
      const freezes = await repo.activeFreezes(db, release.team_id, now());
      for (const f of freezes)
        closed.push({
          path: 'gate.freeze',
          message: `freeze ${f.id} (${f.reason}) runs until ${f.ends_at}`,
        });
    }
    if (stage.no_open_incidents) {
      const open = await incidents.list({ limit: 200, serviceId: service.id, statuses: OPEN_INCIDENT });
      for (const i of open.items)
        if ((i.severity === 'SEV1' || i.severity === 'SEV2') && !i.suppressed)
          closed.push({
            path: 'gate.incidents',
            message: `${i.severity} incident #${i.number} (${i.title}) is open on ${service.name}`,
          });
    }
    return closed;
  }

  /** Records the DORA deployment of a production stage outcome; the external id makes it happen once. */
  async function recordProduction(release: ReleaseRow, stage: StageRow): Promise<string | null> {
    if (!stage.finished_at || (stage.status !== 'succeeded' && stage.status !== 'failed')) return null;
    const service = await catalog.getService(release.service_id);
    const { dora: doraPolicy } = await policy.current();
    const ctx = systemCtx;
    const deployment = await dora.record(
      ctx,
      {
        service_id: service.id,
        environment: doraPolicy.production_environment,
        version: release.version,
        commit_sha: release.commit_sha,
        status: stage.status === 'succeeded' ? 'success' : 'failure',
        kind: 'normal',
        ...(stage.started_at ? { started_at: stage.started_at } : {}),
        finished_at: stage.finished_at,
        external_id: `release:${release.id}:${stage.name}:${stage.attempts}`,
        ...(release.commits ? { commits: JSON.parse(release.commits) as CreateDeployment['commits'] } : {}),
      },
      service,
    );
    return deployment.status === 'success' ? deployment.id : null;
  }

  async function afterProduction(releaseId: string) {
    const release = await mustRelease(db, releaseId);
    const stage = (await repo.stages(db, [releaseId])).find(
      (s) => (JSON.parse(s.definition) as PipelineStage).kind === 'production',
    );
    if (!stage) return;
    const deploymentId = await recordProduction(release, stage);
    if (deploymentId && release.deployment_id !== deploymentId)
      await repo.updateRelease(db, releaseId, { deployment_id: deploymentId, updated_at: now() });
  }

  async function monitorWindowMs(serviceId: string, rp: ReleasesPolicy): Promise<number> {
    const settings = await repo.getSettings(db, serviceId);
    return (settings?.monitor_window_minutes ?? rp.monitor_window_minutes) * 60_000;
  }

  async function scheduleMonitor(tx: Db, releaseId: string, at: Date) {
    await jobs.enqueue(tx, {
      kind: MONITOR_JOB,
      payload: { release_id: releaseId },
      runAt: at,
      dedupeKey: `${MONITOR_JOB}:${releaseId}:${at.toISOString()}`,
      maxAttempts: 10,
    });
  }

  function settingsView(
    serviceId: string,
    row: Awaited<ReturnType<typeof repo.getSettings>>,
  ): ReleaseSettings {
    return {
      service_id: serviceId,
      metrics: row ? (JSON.parse(row.metrics) as MetricSetting[]) : [],
      rollback_hook_url: row?.rollback_hook_url ?? null,
      rollback_hook_secret_set: Boolean(row?.rollback_hook_secret),
      monitor_window_minutes: row?.monitor_window_minutes ?? null,
      canary: parse<CanarySettings>(row?.canary ?? null),
      prometheus: parse<PrometheusSettings>(row?.prometheus ?? null),
      slo: parse<SloSettings>(row?.slo ?? null),
      updated_at: row?.updated_at ?? null,
    };
  }

  function freezeView(row: Awaited<ReturnType<typeof repo.getFreeze>> & object): Freeze {
    return { ...row };
  }

  /** Marks a release harmful (monitor window or a person) and queues its rollback. */
  async function markHarmful(
    tx: Db,
    ctx: AuditContext,
    release: ReleaseRow,
    reason: string,
    rollback: boolean,
  ): Promise<void> {
    const at = now();
    await repo.updateRelease(tx, release.id, { status: 'harmful', harmful_reason: reason, updated_at: at });
    await event(tx, release.id, ctx.principal.name, { kind: 'harm', details: { reason } });
    if (rollback)
      await jobs.enqueue(tx, {
        kind: ROLLBACK_JOB,
        payload: { release_id: release.id, reason, requested_at: at },
        dedupeKey: `${ROLLBACK_JOB}:${release.id}`,
        maxAttempts: 8,
      });
    await audit.record(tx, ctx, {
      action: 'release.harmful',
      targetType: 'release',
      targetId: release.id,
      teamId: release.team_id,
      after: { reason, rollback },
    });
  }

  /** One run of the monitor window: harm if an incident was triggered, done once the window has passed. */
  async function monitorTick(releaseId: string): Promise<void> {
    const release = await repo.getRelease(db, releaseId);
    if (release?.status !== 'in_progress' || !release.monitor_until) return;
    const stageRows = await repo.stages(db, [releaseId]);
    const defs = stageRows.map((s) => ({ row: s, def: JSON.parse(s.definition) as PipelineStage }));
    const monitor = defs.find((d) => d.def.kind === 'monitor');
    const production = defs.find((d) => d.def.kind === 'production');
    if (monitor?.row.status !== 'started' || !production?.row.finished_at) return;
    const from = production.row.finished_at;
    const until = release.monitor_until;
    const found = await incidents.list({ limit: 50, serviceId: release.service_id, from });
    const harm = found.items
      .filter((i) => !i.suppressed && i.triggered_at >= from && i.triggered_at <= until)
      .sort((a, b) => a.triggered_at.localeCompare(b.triggered_at))[0];
    const ctx: AuditContext = { principal: { ...systemPrincipal, id: 'releases', name: 'engops monitor' } };
    const at = clock.now();
    const settings = await repo.getSettings(db, release.service_id);
    let reason: string | null = null;
    let details: Record<string, unknown> = {};
    if (harm) {
      reason = `${harm.severity} incident #${harm.number} "${harm.title}" triggered at ${harm.triggered_at} during the monitor window`;
      details = { incident_id: harm.id };
    } else {
      const slo = parse<SloSettings>(settings?.slo ?? null);
      const prom = parse<PrometheusSettings>(settings?.prometheus ?? null);
      if (slo) {
        let samples: TimedSamples[];
        if (slo.query && prom) {
          // Pulled over the long window, each point at its own time.
          const from = new Date(at.getTime() - slo.long_window_minutes * 60_000);
          const points = await queryRange(prom, slo.query, from, at, `${slo.metric} (SLO)`);
          samples = points.map(([t, v]) => ({ at: new Date(t * 1000).toISOString(), values: [v] }));
        } else {
          const rows = (await repo.samples(db, releaseId)).filter(
            (r) => r.sample_group === 'production' && r.metric === slo.metric,
          );
          samples = rows.map((r) => ({ at: r.at, values: JSON.parse(r.sample_values) as number[] }));
        }
        const burn = evaluateBurnRate(samples, at, slo);
        if (burn.breached) {
          reason =
            `SLO burn rate ${burn.long?.toFixed(1)}x over ${slo.long_window_minutes} min and ` +
            `${burn.short?.toFixed(1)}x over ${slo.short_window_minutes} min (alert at ${slo.burn_rate}x, ` +
            `objective ${Math.round(slo.objective * 1e5) / 1e3}% for ${slo.metric})`;
          details = { slo: slo.metric, burn_long: burn.long, burn_short: burn.short };
        }
      }
    }
    if (reason) {
      const harmReason = reason;
      await db.transaction().execute(async (tx) => {
        const current = await mustRelease(tx, releaseId);
        if (current.status !== 'in_progress') return;
        await repo.updateStage(tx, releaseId, monitor.row.name, {
          status: 'failed',
          finished_at: at.toISOString(),
        });
        await event(tx, releaseId, ctx.principal.name, {
          kind: 'stage',
          stage: monitor.row.name,
          status: 'failed',
          details,
        });
        await markHarmful(tx, ctx, current, harmReason, Boolean(settings?.rollback_hook_url));
      });
      return;
    }
    if (at.toISOString() >= until) {
      await db.transaction().execute(async (tx) => {
        const current = await mustRelease(tx, releaseId);
        if (current.status !== 'in_progress') return;
        await repo.updateStage(tx, releaseId, monitor.row.name, {
          status: 'succeeded',
          finished_at: at.toISOString(),
        });
        await event(tx, releaseId, ctx.principal.name, {
          kind: 'monitor',
          stage: monitor.row.name,
          status: 'succeeded',
          details: { window_until: until },
        });
        await finishIfDone(tx, releaseId, at.toISOString());
      });
      return;
    }
    const rp = await releasesPolicy();
    const next = Math.min(at.getTime() + rp.monitor_check_seconds * 1000, Date.parse(until));
    await scheduleMonitor(db, releaseId, new Date(next));
  }

  /** A release whose required stages all succeeded (or were skipped) is released. */
  async function finishIfDone(tx: Db, releaseId: string, at: string) {
    const rows = await repo.stages(tx, [releaseId]);
    const done = rows.every((s) => {
      const def = JSON.parse(s.definition) as PipelineStage;
      return s.status === 'succeeded' || s.status === 'skipped' || (!def.required && s.status === 'pending');
    });
    if (done) await repo.updateRelease(tx, releaseId, { status: 'released', updated_at: at });
  }

  async function callRollbackHook(release: ReleaseRow, target: ReleaseRow | undefined, reason: string) {
    const settings = await repo.getSettings(db, release.service_id);
    if (!settings?.rollback_hook_url) return false;
    const service = await catalog.getService(release.service_id);
    const body = JSON.stringify({
      event: 'release.rollback',
      release_id: release.id,
      service_id: service.id,
      service: service.name,
      version: release.version,
      commit_sha: release.commit_sha,
      rollback_to: target
        ? { release_id: target.id, version: target.version, commit_sha: target.commit_sha }
        : null,
      reason,
    });
    const timestamp = String(Math.floor(clock.now().getTime() / 1000));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'engops',
      'x-engops-delivery': `rollback-${release.id}`,
      'idempotency-key': `rollback-${release.id}`,
      'x-engops-timestamp': timestamp,
    };
    if (settings.rollback_hook_secret)
      headers['x-engops-signature'] = signWebhook(settings.rollback_hook_secret, timestamp, body);
    const response = await fetch(settings.rollback_hook_url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(HOOK_TIMEOUT_MS),
      redirect: 'error',
    });
    const text = await response.text().catch(() => '');
    if (!response.ok)
      throw new Error(`rollback hook answered HTTP ${response.status}: ${text.slice(0, 200)}`);
    return true;
  }

  /** The rollback job: call the hook (retried until it answers 2xx), then record the rollback deployment. */
  async function rollbackRun(payload: { release_id: string; reason: string; requested_at: string }) {
    const release = await repo.getRelease(db, payload.release_id);
    if (!release || release.status === 'rolled_back' || !release.deployment_id) return;
    const target = await repo.previousReleased(db, release.service_id, release.id);
    const hooked = await callRollbackHook(release, target, payload.reason);
    const service = await catalog.getService(release.service_id);
    const { dora: doraPolicy } = await policy.current();
    const ctx = systemCtx;
    const deployment = await dora.record(
      ctx,
      {
        service_id: service.id,
        environment: doraPolicy.production_environment,
        ...(target ? { version: target.version } : {}),
        commit_sha: target?.commit_sha ?? release.commit_sha,
        status: 'success',
        kind: 'rollback',
        rollback_of: release.deployment_id,
        finished_at: payload.requested_at,
        external_id: `release:${release.id}:rollback`,
      },
      service,
    );
    await db.transaction().execute(async (tx) => {
      const current = await mustRelease(tx, release.id);
      if (current.status === 'rolled_back') return;
      const at = now();
      await repo.updateRelease(tx, release.id, {
        status: 'rolled_back',
        rollback_deployment_id: deployment.id,
        updated_at: at,
      });
      await event(tx, release.id, ctx.principal.name, {
        kind: 'rollback',
        status: 'succeeded',
        details: {
          reason: payload.reason,
          deployment_id: deployment.id,
          hook_called: hooked,
          rollback_to: target?.version ?? null,
        },
      });
      await audit.record(tx, ctx, {
        action: 'release.rollback',
        targetType: 'release',
        targetId: release.id,
        teamId: release.team_id,
        after: { deployment_id: deployment.id, hook_called: hooked, reason: payload.reason },
      });
    });
  }

  deps.worker.register(MONITOR_JOB, async (job) => {
    await monitorTick((job.payload as { release_id: string }).release_id);
  });
  deps.worker.register(ROLLBACK_JOB, async (job) => {
    await rollbackRun(job.payload as { release_id: string; reason: string; requested_at: string });
  });

  /** Pulls each configured query over [from, to] from the Prometheus-compatible API; replaces earlier pulls. */
  /**
   * One query_range call: every point of every series of the matrix (at most MAX_PULLED), as
   * [unix seconds, value]. Anything but a successful matrix is RELEASES_METRICS_SOURCE_FAILED.
   */
  async function queryRange(
    prom: PrometheusSettings,
    query: string,
    from: Date,
    to: Date,
    label: string,
  ): Promise<Array<[number, number]>> {
    const base = prom.url.endsWith('/') ? prom.url : `${prom.url}/`;
    const start = Math.floor(from.getTime() / 1000);
    const end = Math.max(start + 1, Math.floor(to.getTime() / 1000));
    const url = new URL('api/v1/query_range', base);
    url.searchParams.set('query', query);
    url.searchParams.set('start', String(start));
    url.searchParams.set('end', String(end));
    url.searchParams.set('step', String(prom.step_seconds));
    const fail = (why: string) =>
      new AppError('RELEASES_METRICS_SOURCE_FAILED', `${label} from ${url.host}: ${why}`);
    let body: unknown;
    try {
      const response = await fetch(url, {
        headers: { accept: 'application/json', 'user-agent': 'engops' },
        signal: AbortSignal.timeout(PULL_TIMEOUT_MS),
        redirect: 'error',
      });
      const text = await response.text();
      if (!response.ok) throw fail(`HTTP ${response.status} ${text.slice(0, 200)}`);
      body = JSON.parse(text);
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw fail(error instanceof Error ? error.message : String(error));
    }
    const data = body as {
      status?: string;
      error?: string;
      data?: { resultType?: string; result?: Array<{ values?: Array<[number, string]> }> };
    };
    if (data.status !== 'success' || data.data?.resultType !== 'matrix' || !Array.isArray(data.data.result))
      throw fail(data.error ?? 'not a successful matrix result');
    const points: Array<[number, number]> = [];
    for (const series of data.data.result)
      for (const point of series.values ?? []) {
        const v = Number(point[1]);
        if (Number.isFinite(v) && points.length < MAX_PULLED) points.push([Number(point[0]), v]);
      }
    return points;
  }

  /** Pulls each configured query over [from, to] from the Prometheus-compatible API; replaces earlier pulls. */
  async function pullMetrics(release: ReleaseRow, prom: PrometheusSettings, from: Date, to: Date) {
    const pulled: Array<{ metric: string; group: 'canary' | 'baseline'; values: number[] }> = [];
    for (const q of prom.queries)
      for (const group of ['canary', 'baseline'] as const) {
        const points = await queryRange(prom, q[group], from, to, `${q.metric} (${group})`);
        const values = points.map((p) => p[1]);
        pulled.push({ metric: q.metric, group, values });
      }
    await db.transaction().execute(async (tx) => {
      for (const p of pulled) {
        await repo.deletePulled(tx, release.id, p.metric, p.group);
        if (p.values.length)
          await repo.insertSample(tx, {
            id: newId('rsm'),
            release_id: release.id,
            sample_group: p.group,
            metric: p.metric,
            sample_values: JSON.stringify(p.values),
            source: 'prometheus',
            at: now(),
          });
      }
    });
  }

  /** Sets the rollout percentage of the canary flag's release-canary strategy (added when missing). */
  async function setCanaryPercent(release: ReleaseRow, canary: CanarySettings, percent: number) {
    const flags = deps.flags;
    if (!canary.flag_key || !flags) return;
    const key = canary.flag_key;
    const environment = canary.flag_environment;
    try {
      const flag = await flags.getFlag(key);
      const strategies = flag.environments[environment]?.strategies ?? [];
      const rollout = String(Math.round(percent * 100) / 100);
      const next = strategies.some((x) => x.id === CANARY_STRATEGY_ID)
        ? strategies.map((x) =>
            x.id === CANARY_STRATEGY_ID ? { ...x, parameters: { ...x.parameters, rollout } } : x,
          )
        : [
            {
              id: CANARY_STRATEGY_ID,
              name: 'flexibleRollout',
              title: 'Release canary',
              parameters: { rollout, stickiness: 'default', groupId: key },
              constraints: [],
            },
            ...strategies,
          ];
      await flags.updateEnvironment(systemCtx, key, environment, { strategies: next as never });
      await event(db, release.id, systemCtx.principal.name, {
        kind: 'canary',
        status: 'traffic',
        details: { flag: key, environment, percent },
      });
    } catch (error) {
      await event(db, release.id, systemCtx.principal.name, {
        kind: 'canary',
        status: 'flag_failed',
        details: {
          flag: key,
          environment,
          percent,
          error: error instanceof Error ? error.message : String(error),
        },
      });
    }
  }

  async function scheduleCanary(tx: Db, releaseId: string, step: number, attempt: number, at: Date) {
    await jobs.enqueue(tx, {
      kind: CANARY_JOB,
      payload: { release_id: releaseId, step, attempt },
      runAt: at,
      dedupeKey: `${CANARY_JOB}:${releaseId}:${attempt}:${step}`,
      maxAttempts: 5,
    });
  }

  /**
   * The end of a canary interval: judge (after pulling metrics), then promote to the next step,
   * succeed the canary after the last step, hold for a person, or fail it and take its traffic away.
   */
  async function canaryTick(payload: { release_id: string; step: number; attempt: number }) {
    const release = await repo.getRelease(db, payload.release_id);
    if (release?.status !== 'in_progress') return;
    const stage = (await repo.stages(db, [release.id])).find(
      (x) => (JSON.parse(x.definition) as PipelineStage).kind === 'canary',
    );
    if (stage?.status !== 'started' || Number(stage.attempts) !== payload.attempt) return;
    const settings = await repo.getSettings(db, release.service_id);
    const canary = parse<CanarySettings>(settings?.canary ?? null);
    if (!canary?.auto_judge) return;
    const judgement = await api.judge(systemCtx, release.id);
    const details = { score: judgement.score, verdict: judgement.verdict, step: payload.step };
    if (judgement.verdict === 'promote') {
      const nextStep = payload.step + 1;
      if (nextStep < canary.steps.length) {
        await setCanaryPercent(release, canary, canary.steps[nextStep]!);
        const at = new Date(clock.now().getTime() + canary.interval_minutes * 60_000);
        await scheduleCanary(db, release.id, nextStep, payload.attempt, at);
        return;
      }
      if (canary.steps.length) await setCanaryPercent(release, canary, 100);
      await api.stageEvent(systemCtx, release.id, stage.name, { status: 'succeeded', details });
      return;
    }
    if (judgement.verdict === 'rollback') {
      if (canary.steps.length) await setCanaryPercent(release, canary, 0);
      await api.stageEvent(systemCtx, release.id, stage.name, { status: 'failed', details });
      return;
    }
    await event(db, release.id, systemCtx.principal.name, {
      kind: 'canary',
      stage: stage.name,
      status: 'held',
      details,
    });
  }

  deps.worker.register(CANARY_JOB, async (job) => {
    await canaryTick(job.payload as { release_id: string; step: number; attempt: number });
  });

  async function samplesOf(
    releaseId: string,
  ): Promise<Map<string, { canary: number[]; baseline: number[] }>> {
    const rows = await repo.samples(db, releaseId);
    const out = new Map<string, { canary: number[]; baseline: number[] }>();
    for (const r of rows) {
      const entry = out.get(r.metric) ?? { canary: [], baseline: [] };
      const values = JSON.parse(r.sample_values) as number[];
      if (r.sample_group === 'canary') entry.canary.push(...values);
      else if (r.sample_group === 'baseline') entry.baseline.push(...values);
      else continue;
      out.set(r.metric, entry);
    }
    return out;
  }

  const api = {
    findService: mustService,

    // ---- pipelines

    async listPipelines(teamId: string | undefined): Promise<Pipeline[]> {
      if (teamId) await catalog.getTeam(teamId);
      const rows = await repo.listPipelines(db, teamId);
      return [defaultPipeline(await releasesPolicy()), ...rows.map(pipelineView)];
    },

    async createPipeline(ctx: AuditContext, input: CreatePipeline): Promise<Pipeline> {
      await catalog.getTeam(input.team_id);
      const row = {
        id: newId('pip'),
        team_id: input.team_id,
        name: input.name,
        is_default: input.default ? 1 : 0,
        stages: JSON.stringify(input.stages.map(resolveStage)),
        created_at: now(),
      };
      try {
        return await db.transaction().execute(async (tx) => {
          await repo.insertPipeline(tx, row);
          const view = pipelineView(row);
          await audit.record(tx, ctx, {
            action: 'pipeline.create',
            targetType: 'pipeline',
            targetId: row.id,
            teamId: row.team_id,
            after: view,
          });
          return view;
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError(
            'RELEASES_PIPELINE_NAME_TAKEN',
            `Team ${input.team_id} has a pipeline ${input.name}.`,
            {
              errors: [{ path: 'body.name', message: 'already used by this team' }],
            },
          );
        throw error;
      }
    },

    // ---- releases

    /** Creates a release; the same version and commit again returns the existing one (`created: false`). */
    async create(
      ctx: AuditContext,
      input: CreateRelease,
      service: Service,
    ): Promise<{ release: Release; created: boolean }> {
      const existing = await repo.findVersion(db, service.id, input.version);
      if (existing) {
        if (existing.commit_sha !== input.commit_sha)
          throw new AppError(
            'RELEASES_VERSION_EXISTS',
            `${service.name} ${input.version} is release ${existing.id} of commit ${existing.commit_sha}.`,
            {
              errors: [
                { path: 'body.commit_sha', message: 'differs from the existing release of this version' },
              ],
            },
          );
        return { release: await view(db, existing), created: false };
      }
      let pipeline: Pipeline;
      if (input.pipeline_id && input.pipeline_id !== 'default') {
        const row = await repo.getPipeline(db, input.pipeline_id);
        if (!row || row.team_id !== service.team_id)
          throw new AppError(
            'RELEASES_PIPELINE_NOT_FOUND',
            `Team of ${service.name} has no pipeline ${input.pipeline_id}.`,
            {
              errors: [{ path: 'body.pipeline_id', message: 'no such pipeline for this team' }],
            },
          );
        pipeline = pipelineView(row);
      } else {
        const row = input.pipeline_id ? undefined : await repo.defaultPipeline(db, service.team_id);
        pipeline = row ? pipelineView(row) : defaultPipeline(await releasesPolicy());
      }
      const at = now();
      const row: ReleaseRow = {
        id: newId('rel'),
        service_id: service.id,
        team_id: service.team_id,
        pipeline_id: pipeline.id,
        version: input.version,
        commit_sha: input.commit_sha,
        commits: input.commits?.length ? JSON.stringify(input.commits) : null,
        status: 'in_progress',
        current_stage: null,
        judgement: null,
        deployment_id: null,
        rollback_deployment_id: null,
        harmful_reason: null,
        monitor_until: null,
        created_by_id: ctx.principal.userId ?? ctx.principal.id,
        created_by: ctx.principal.name,
        created_at: at,
        updated_at: at,
      };
      try {
        return await db.transaction().execute(async (tx) => {
          await repo.insertRelease(tx, row);
          await repo.insertStages(
            tx,
            pipeline.stages.map((s, position) => ({
              release_id: row.id,
              name: s.name,
              position,
              definition: JSON.stringify(s),
              status: 'pending',
              attempts: 0,
              started_at: null,
              finished_at: null,
            })),
          );
          await event(tx, row.id, ctx.principal.name, {
            kind: 'created',
            details: { version: row.version, commit_sha: row.commit_sha, pipeline: pipeline.name },
          });
          const v = await view(tx, row);
          await audit.record(tx, ctx, {
            action: 'release.create',
            targetType: 'release',
            targetId: row.id,
            teamId: row.team_id,
            after: v,
          });
          return { release: v, created: true };
        });
      } catch (error) {
        // Two CI jobs created the same version at once: the loser answers with the winner's.
        if (isUniqueViolation(error)) {
          const winner = await repo.findVersion(db, service.id, input.version);
          if (winner && winner.commit_sha === input.commit_sha)
            return { release: await view(db, winner), created: false };
        }
        throw error;
      }
    },

    /** Loads a release after checking `permission` on its team. */
    async get(id: string, authorize: Authorize, permission: Permission = 'releases.read'): Promise<Release> {
      const row = await mustRelease(db, id);
      authorize(permission, row.team_id);
      return view(db, row);
    },

    async list(query: ReleaseListQuery, principal: Principal, authorize: Authorize): Promise<Page<Release>> {
      let teamIds: string[] | undefined;
      let serviceId: string | undefined;
      if (query.service_id) {
        const service = await mustService(query.service_id);
        authorize('releases.read', service.team_id);
        serviceId = service.id;
      } else if (query.team_id) {
        authorize('releases.read', query.team_id);
        teamIds = [query.team_id];
      } else if (!principal.orgRole) teamIds = [...principal.teamRoles.keys()];
      const page = await pageById(query, (before, limit) =>
        repo.listReleases(db, { serviceId, teamIds, status: query.status }, before, limit),
      );
      return { items: await views(db, page.items), next_cursor: page.next_cursor };
    },

    async timeline(id: string, authorize: Authorize): Promise<ReleaseEvent[]> {
      const row = await mustRelease(db, id);
      authorize('releases.read', row.team_id);
      const rows = await repo.events(db, id);
      return rows.map((r) => ({
        id: r.id,
        at: r.at,
        kind: r.kind as ReleaseEvent['kind'],
        stage: r.stage,
        status: r.status,
        actor: r.actor,
        details: parse<Record<string, unknown>>(r.details),
      }));
    },

    /**
     * A stage event from CI/CD. Stages run in pipeline order: entering a stage needs every earlier
     * required stage succeeded and the stage's gates open, unless an admin overrides with a reason.
     */
    async stageEvent(ctx: AuditContext, id: string, stageName: string, input: StageEvent): Promise<Release> {
      const release = await mustRelease(db, id);
      const service = await catalog.getService(release.service_id);
      const states = (await view(db, release)).stages;
      const index = states.findIndex((s) => s.name === stageName);
      const stage = states[index];
      if (!stage)
        throw new AppError(
          'RELEASES_STAGE_NOT_FOUND',
          `The pipeline of release ${id} has no stage ${stageName}; its stages are ${states.map((s) => s.name).join(', ')}.`,
        );
      if (release.status === 'rolled_back')
        throw new AppError('RELEASES_RELEASE_CLOSED', `Release ${id} was rolled back.`);
      const from = stage.status;
      const to = input.status;
      // Repeats of the current status are idempotent (CI retries); a repeated production success
      // makes sure its DORA deployment exists.
      if (from === to) {
        if (stage.kind === 'production' && to !== 'started') await afterProduction(id);
        return view(db, await mustRelease(db, id));
      }
      const allowed: Record<string, string[]> = {
        pending: ['started', 'succeeded', 'failed'],
        started: ['succeeded', 'failed'],
        failed: ['started', 'succeeded'],
        succeeded: [],
        skipped: [],
      };
      if (!allowed[from]?.includes(to))
        throw new AppError(
          'RELEASES_INVALID_STAGE_TRANSITION',
          `Stage ${stageName} of release ${id} is ${from}; it cannot become ${to}.`,
          { errors: [{ path: 'body.status', message: `not allowed after ${from}` }] },
        );
      const entering = from === 'pending' || from === 'failed';
      const skipped: string[] = [];
      let closed: FieldError[] = [];
      if (entering) {
        const later = states.slice(index + 1).find((s) => s.status !== 'pending');
        if (later)
          throw new AppError(
            'RELEASES_INVALID_STAGE_TRANSITION',
            `Stage ${later.name}, after ${stageName}, is already ${later.status}.`,
            { errors: [{ path: 'params.stage', message: `a later stage (${later.name}) has begun` }] },
          );
        const blocking = states
          .slice(0, index)
          .filter((s) => s.required && s.status !== 'succeeded' && s.status !== 'skipped');
        if (blocking.length && !input.override) {
          const first = blocking[0]!;
          throw new AppError(
            'RELEASES_STAGE_OUT_OF_ORDER',
            `Stage ${stageName} needs ${first.name} to succeed first (${first.name} is ${first.status}).`,
            {
              errors: blocking.map((b) => ({
                path: `stages.${b.name}`,
                message: `required stage is ${b.status}`,
              })),
            },
          );
        }
        skipped.push(...blocking.map((b) => b.name));
        closed = await closedGates(release, stage, service);
        if (closed.length && !input.override)
          throw new AppError(
            'RELEASES_GATE_BLOCKED',
            `Stage ${stageName} is gated: ${closed.map((c) => c.message).join('; ')}.`,
            { errors: closed },
          );
      }
      const rp = await releasesPolicy();
      const windowMs = stage.kind === 'production' ? await monitorWindowMs(service.id, rp) : 0;
      const canary =
        stage.kind === 'canary' && to === 'started'
          ? parse<CanarySettings>((await repo.getSettings(db, service.id))?.canary ?? null)
          : null;
      const result = await db.transaction().execute(async (tx) => {
        const at = clock.now();
        const atIso = at.toISOString();
        const current = await mustRelease(tx, id);
        const row = (await repo.stages(tx, [id])).find((s) => s.name === stageName)!;
        if (row.status !== from)
          throw new AppError(
            'RELEASES_INVALID_STAGE_TRANSITION',
            `Stage ${stageName} changed meanwhile (now ${row.status}); send the event again.`,
          );
        if (input.override && (skipped.length || closed.length)) {
          for (const name of skipped)
            await repo.updateStage(tx, id, name, { status: 'skipped', finished_at: atIso });
          const details = { reason: input.override.reason, skipped, gates: closed.map((c) => c.message) };
          await event(tx, id, ctx.principal.name, { kind: 'override', stage: stageName, details });
          await audit.record(tx, ctx, {
            action: 'release.override',
            targetType: 'release',
            targetId: id,
            teamId: current.team_id,
            after: { stage: stageName, ...details },
          });
        }
        const patch: Partial<StageRow> = { status: to };
        if (entering) {
          patch.attempts = Number(row.attempts) + 1;
          patch.started_at = atIso;
          patch.finished_at = null;
        }
        if (to !== 'started') patch.finished_at = atIso;
        await repo.updateStage(tx, id, stageName, patch);
        await event(tx, id, ctx.principal.name, {
          kind: 'stage',
          stage: stageName,
          status: to,
          ...(input.details ? { details: input.details } : {}),
        });
        const releasePatch: Partial<ReleaseRow> = {
          current_stage: stageName,
          status: to === 'failed' ? 'failed' : current.status === 'failed' ? 'in_progress' : current.status,
          updated_at: atIso,
        };
        await repo.updateRelease(tx, id, releasePatch);
        // Production done: the monitor window opens on the monitor stage, if the pipeline has one.
        const monitor = states.find((s) => s.kind === 'monitor');
        if (stage.kind === 'production' && to === 'succeeded' && monitor) {
          const until = new Date(at.getTime() + windowMs);
          await repo.updateStage(tx, id, monitor.name, { status: 'started', attempts: 1, started_at: atIso });
          await repo.updateRelease(tx, id, {
            current_stage: monitor.name,
            monitor_until: until.toISOString(),
          });
          await event(tx, id, 'engops monitor', {
            kind: 'stage',
            stage: monitor.name,
            status: 'started',
            details: { window_until: until.toISOString() },
          });
          const first = Math.min(at.getTime() + rp.monitor_check_seconds * 1000, until.getTime());
          await scheduleMonitor(tx, id, new Date(first));
        }
        if (canary?.auto_judge) {
          const attempt = entering ? Number(row.attempts) + 1 : Number(row.attempts);
          await scheduleCanary(tx, id, 0, attempt, new Date(at.getTime() + canary.interval_minutes * 60_000));
        }
        if (to === 'succeeded') await finishIfDone(tx, id, atIso);
        const after = await view(tx, await mustRelease(tx, id));
        await audit.record(tx, ctx, {
          action: `release.stage.${to}`,
          targetType: 'release',
          targetId: id,
          teamId: current.team_id,
          after: { stage: stageName, status: to, details: input.details ?? null },
        });
        return after;
      });
      if (stage.kind === 'production' && to !== 'started') {
        await afterProduction(id);
        return view(db, await mustRelease(db, id));
      }
      if (canary?.steps.length) {
        await setCanaryPercent(await mustRelease(db, id), canary, canary.steps[0]!);
        return view(db, await mustRelease(db, id));
      }
      return result;
    },

    async approve(
      ctx: AuditContext,
      id: string,
      stageName: string,
      comment: string | undefined,
    ): Promise<Release> {
      return db.transaction().execute(async (tx) => {
        const release = await mustRelease(tx, id);
        const stages = (await view(tx, release)).stages;
        const stage = stages.find((s) => s.name === stageName);
        if (!stage)
          throw new AppError('RELEASES_STAGE_NOT_FOUND', `Release ${id} has no stage ${stageName}.`, {
            errors: [{ path: 'body.stage', message: 'not a stage of this release' }],
          });
        const actorId = ctx.principal.userId ?? ctx.principal.id;
        if (actorId === release.created_by_id)
          throw new AppError('RELEASES_SELF_APPROVAL', `${ctx.principal.name} created release ${id}.`);
        const added = await repo.insertApproval(tx, {
          release_id: id,
          stage: stageName,
          actor_id: actorId,
          actor: ctx.principal.name,
          comment: comment ?? null,
          at: now(),
        });
        if (added) {
          await event(tx, id, ctx.principal.name, {
            kind: 'approval',
            stage: stageName,
            ...(comment ? { details: { comment } } : {}),
          });
          await audit.record(tx, ctx, {
            action: 'release.approve',
            targetType: 'release',
            targetId: id,
            teamId: release.team_id,
            after: { stage: stageName, comment: comment ?? null },
          });
        }
        return view(tx, await mustRelease(tx, id));
      });
    },

    // ---- canary metrics and judgement

    async pushMetrics(
      ctx: AuditContext,
      id: string,
      input: { group: 'canary' | 'baseline' | 'production'; metric: string; values: number[] },
    ): Promise<{ metric: string; group: string; count: number }> {
      return db.transaction().execute(async (tx) => {
        const release = await mustRelease(tx, id);
        await repo.insertSample(tx, {
          id: newId('rsm'),
          release_id: id,
          sample_group: input.group,
          metric: input.metric,
          sample_values: JSON.stringify(input.values),
          source: 'push',
          at: now(),
        });
        await audit.record(tx, ctx, {
          action: 'release.metrics',
          targetType: 'release',
          targetId: id,
          teamId: release.team_id,
          after: { group: input.group, metric: input.metric, values: input.values.length },
        });
        const all = (await repo.samples(tx, id)).filter(
          (r) => r.metric === input.metric && r.sample_group === input.group,
        );
        const count = all.reduce((n, r) => n + (JSON.parse(r.sample_values) as number[]).length, 0);
        return { metric: input.metric, group: input.group, count };
      });
    },

    async metrics(id: string) {
      const samples = await samplesOf(id);
      return {
        metrics: [...samples.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([metric, s]) => ({ metric, canary: s.canary, baseline: s.baseline })),
      };
    },

    async judge(ctx: AuditContext, id: string): Promise<Judgement> {
      const release = await mustRelease(db, id);
      const settings = await repo.getSettings(db, release.service_id);
      const prom = parse<PrometheusSettings>(settings?.prometheus ?? null);
      if (prom) {
        const canaryStage = (await repo.stages(db, [id])).find(
          (x) => (JSON.parse(x.definition) as PipelineStage).kind === 'canary',
        );
        await pullMetrics(
          release,
          prom,
          new Date(canaryStage?.started_at ?? release.created_at),
          clock.now(),
        );
      }
      const [samples, rp] = await Promise.all([samplesOf(id), releasesPolicy()]);
      const judgement = judgeCanary({
        settings: settings ? (JSON.parse(settings.metrics) as MetricSetting[]) : [],
        samples: samples as Map<string, MetricSamples>,
        policy: rp,
        at: clock.now(),
      });
      await db.transaction().execute(async (tx) => {
        await repo.updateRelease(tx, id, { judgement: JSON.stringify(judgement), updated_at: now() });
        const canary = (await repo.stages(tx, [id])).find(
          (s) => (JSON.parse(s.definition) as PipelineStage).kind === 'canary',
        );
        await event(tx, id, ctx.principal.name, {
          kind: 'judgement',
          stage: canary?.name ?? null,
          status: judgement.verdict,
          details: {
            score: judgement.score,
            metrics: judgement.metrics.map((m) => ({ metric: m.metric, classification: m.classification })),
          },
        });
        await audit.record(tx, ctx, {
          action: 'release.judge',
          targetType: 'release',
          targetId: id,
          teamId: release.team_id,
          after: { score: judgement.score, verdict: judgement.verdict },
        });
      });
      return judgement;
    },

    // ---- rollback

    /** A person (or the deploy system) rolls the release back: the hook is called and DORA records it. */
    async rollback(ctx: AuditContext, id: string, reason: string): Promise<Release> {
      await db.transaction().execute(async (tx) => {
        const release = await mustRelease(tx, id);
        if (release.status === 'rolled_back')
          throw new AppError('RELEASES_RELEASE_CLOSED', `Release ${id} was rolled back already.`);
        if (!release.deployment_id)
          throw new AppError(
            'RELEASES_NO_PRODUCTION_DEPLOYMENT',
            `Release ${id} has no successful production deployment to roll back.`,
          );
        await markHarmful(tx, ctx, release, reason, true);
      });
      return view(db, await mustRelease(db, id));
    },

    // ---- per-service settings

    async settings(serviceId: string): Promise<ReleaseSettings> {
      return settingsView(serviceId, await repo.getSettings(db, serviceId));
    },

    async putSettings(
      ctx: AuditContext,
      service: Service,
      input: {
        metrics: MetricSetting[];
        rollback_hook_url: string | null;
        rollback_hook_secret?: string | null | undefined;
        monitor_window_minutes: number | null;
        canary?: CanarySettings | null | undefined;
        prometheus?: PrometheusSettings | null | undefined;
        slo?: SloSettings | null | undefined;
      },
    ): Promise<ReleaseSettings> {
      return db.transaction().execute(async (tx) => {
        const before = await repo.getSettings(tx, service.id);
        const row = {
          service_id: service.id,
          metrics: JSON.stringify(input.metrics),
          rollback_hook_url: input.rollback_hook_url,
          rollback_hook_secret:
            input.rollback_hook_secret === undefined
              ? (before?.rollback_hook_secret ?? null)
              : input.rollback_hook_secret,
          monitor_window_minutes: input.monitor_window_minutes,
          canary: input.canary ? JSON.stringify(input.canary) : null,
          prometheus: input.prometheus ? JSON.stringify(input.prometheus) : null,
          slo: input.slo ? JSON.stringify(input.slo) : null,
          updated_at: now(),
        };
        await repo.putSettings(tx, row);
        const after = settingsView(service.id, row);
        await audit.record(tx, ctx, {
          action: 'release.settings.update',
          targetType: 'service',
          targetId: service.id,
          teamId: service.team_id,
          before: before ? settingsView(service.id, before) : null,
          after,
        });
        return after;
      });
    },

    // ---- freeze calendar

    async listFreezes(filter: {
      team_id?: string | undefined;
      from?: string | undefined;
      to?: string | undefined;
    }) {
      const rows = await repo.listFreezes(db, {
        teamId: filter.team_id,
        from: filter.from ? new Date(filter.from).toISOString() : undefined,
        to: filter.to ? new Date(filter.to).toISOString() : undefined,
      });
      return rows.map(freezeView);
    },

    async createFreeze(
      ctx: AuditContext,
      input: { team_id: string | null; starts_at: string; ends_at: string; reason: string },
    ): Promise<Freeze> {
      if (input.team_id) await catalog.getTeam(input.team_id);
      const row = {
        id: newId('frz'),
        team_id: input.team_id,
        starts_at: new Date(input.starts_at).toISOString(),
        ends_at: new Date(input.ends_at).toISOString(),
        reason: input.reason,
        created_by: ctx.principal.name,
        created_at: now(),
      };
      return db.transaction().execute(async (tx) => {
        await repo.insertFreeze(tx, row);
        await audit.record(tx, ctx, {
          action: 'freeze.create',
          targetType: 'freeze',
          targetId: row.id,
          teamId: row.team_id,
          after: row,
        });
        return freezeView(row);
      });
    },

    async getFreeze(id: string): Promise<Freeze> {
      const row = await repo.getFreeze(db, id);
      if (!row) throw new AppError('RELEASES_FREEZE_NOT_FOUND', `No freeze has id ${id}.`);
      return freezeView(row);
    },

    async deleteFreeze(ctx: AuditContext, freeze: Freeze): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await repo.deleteFreeze(tx, freeze.id);
        await audit.record(tx, ctx, {
          action: 'freeze.delete',
          targetType: 'freeze',
          targetId: freeze.id,
          teamId: freeze.team_id,
          before: freeze,
        });
      });
    },

    /** For tests and the CLI: one monitor check now. */
    monitorTick,
  };
  return api;
}

export type ReleasesService = ReturnType<typeof createReleasesService>;
