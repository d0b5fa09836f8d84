import type {
  CreateDeployment,
  Deployment,
  DeploymentCommits,
  DoraEvidence,
  DoraMetric,
  DoraReport,
  GitImportBatch,
  GitImportResult,
  GitImportState,
  RepositoryMapping,
  Service,
  SuspectedDeployment,
} from '@engops/contracts';
import type { Db } from '../../db/database.ts';
import type { Principal } from '../../platform/access/permissions.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError, isUniqueViolation } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { type Page, type PageQuery, pageById } from '../../platform/pagination.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { IncidentsService } from '../incidents/index.ts';
import type { PolicyService } from '../policy/index.ts';
import {
  type DoraFigures,
  type IncidentRecord,
  inWindow,
  median,
  restoreSeconds,
  type Window,
  windowDays,
} from './dora-metrics.ts';
import {
  changeFailureRateTier,
  deploymentFrequencyTier,
  leadTimeTier,
  overallTier,
  timeToRestoreTier,
} from './dora-tiers.ts';
import {
  deploymentOutcome,
  type GithubDeploymentOutcome,
  type PushedCommit,
  pushCommits,
  repositoryKey,
  repositoryKeys,
  verifyGithubSignature,
  workflowRunOutcome,
} from './github-webhooks.ts';
import {
  gitlabDeploymentOutcome,
  gitlabPushCommits,
  gitlabRepositoryKeys,
  verifyGitlabToken,
} from './gitlab-webhooks.ts';
import type { DeploymentRow, DoraRepository, MetricFilter } from './kysely-dora-repository.ts';

const DAY_MS = 86_400_000;
const EVIDENCE_LIMIT = 1000;
/** Commits a webhook deployment links at most (the rest of a huge range has no lead time). */
const LINK_LIMIT = 5000;

export interface DoraScope {
  service_id?: string | undefined;
  team_id?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export interface DeploymentListQuery extends PageQuery {
  service_id?: string | undefined;
  team_id?: string | undefined;
  environment?: string | undefined;
  status?: 'success' | 'failure' | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

type Authorize = (permission: 'dora.read' | 'deployments.write', teamId?: string | null) => void;

const iso = (s: string) => new Date(s).toISOString();

function deploymentView(row: DeploymentRow): Deployment {
  return {
    id: row.id,
    service_id: row.service_id,
    environment: row.environment,
    version: row.version,
    commit_sha: row.commit_sha,
    status: row.status as Deployment['status'],
    kind: row.kind as Deployment['kind'],
    rollback_of: row.rollback_of,
    started_at: row.started_at,
    finished_at: row.finished_at,
    source: row.source,
    external_id: row.external_id,
    commit_count: Number(row.commit_count),
    created_at: row.created_at,
  };
}

export function createDoraService(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  repo: DoraRepository;
  catalog: CatalogService;
  incidents: IncidentsService;
  policy: PolicyService;
  githubWebhookSecret?: string | undefined;
  gitlabWebhookToken?: string | undefined;
}) {
  const { db, clock, audit, repo, catalog, incidents, policy } = deps;

  async function mustService(idOrName: string): Promise<Service> {
    const service = await catalog.findService(idOrName);
    if (!service) throw new AppError('CATALOG_SERVICE_NOT_FOUND', `No service has id or name ${idOrName}.`);
    return service;
  }

  async function teamServiceIds(teamId: string): Promise<string[]> {
    await catalog.getTeam(teamId);
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await catalog.listServices({ limit: 200, cursor, team_id: teamId });
      ids.push(...page.items.map((s) => s.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return ids;
  }

  async function allServices(): Promise<Service[]> {
    const out: Service[] = [];
    let cursor: string | undefined;
    do {
      const page = await catalog.listServices({ limit: 200, cursor });
      out.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return out;
  }

  /** The services a scope covers (null: the organisation), after checking the caller may read them. */
  async function resolveScope(
    scope: DoraScope,
    principal: Principal,
    authorize: Authorize,
  ): Promise<string[] | null> {
    if (scope.service_id) {
      const service = await mustService(scope.service_id);
      authorize('dora.read', service.team_id);
      return [service.id];
    }
    if (scope.team_id) {
      authorize('dora.read', scope.team_id);
      return teamServiceIds(scope.team_id);
    }
    if (!principal.orgRole)
      throw new AppError(
        'AUTH_FORBIDDEN',
        'An organisation-wide DORA report needs an org-wide role; give service_id or team_id.',
      );
    return null;
  }

  function windowOf(scope: DoraScope): Window {
    const to = scope.to ? iso(scope.to) : clock.now().toISOString();
    const from = scope.from ? iso(scope.from) : new Date(Date.parse(to) - 30 * DAY_MS).toISOString();
    if (Date.parse(from) >= Date.parse(to))
      throw new AppError('HTTP_VALIDATION_FAILED', 'The window is empty.', {
        errors: [{ path: 'query.to', message: 'must be after from' }],
      });
    return { from, to };
  }

  /** Incidents of the services triggered at or after `from` (a cause can only follow its deployment). */
  async function incidentsSince(serviceIds: string[] | null, from: string): Promise<IncidentRecord[]> {
    if (serviceIds?.length === 0) return [];
    const wanted = serviceIds ? new Set(serviceIds) : null;
    const filters = serviceIds?.length === 1 ? [{ serviceId: serviceIds[0] }] : [{}];
    const out: IncidentRecord[] = [];
    for (const filter of filters) {
      let cursor: string | undefined;
      do {
        const page = await incidents.list({ limit: 500, cursor, ...filter, from });
        for (const i of page.items)
          if (!wanted || wanted.has(i.service_id))
            out.push({
              id: i.id,
              service_id: i.service_id,
              triggered_at: i.triggered_at,
              mitigated_at: i.mitigated_at,
              resolved_at: i.resolved_at,
              caused_by_deployment_id: i.caused_by_deployment_id,
            });
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
    }
    return out;
  }

  async function thresholds() {
    return (await policy.current()).dora;
  }

  /** The lead time at 1-based rank `rank` among the window's changes, from the histogram. */
  function rankReader(f: MetricFilter, histogram: Array<{ bucket: number; n: number }>) {
    const cache = new Map<number, number[]>();
    return async (rank: number): Promise<number> => {
      let before = 0;
      for (const { bucket, n } of histogram) {
        if (before + n >= rank) {
          let values = cache.get(bucket);
          if (!values) {
            values = await repo.leadValues(db, f, bucket);
            cache.set(bucket, values);
          }
          const value = values[rank - before - 1];
          if (value === undefined) throw new Error(`lead bucket ${bucket} changed while being read`);
          return value;
        }
        before += n;
      }
      throw new Error(`no lead time at rank ${rank}`);
    };
  }

  /**
   * The figures of one window, aggregated in SQL: counts from the deployments' covering index,
   * the lead-time median and p90 from the per-bucket counts of dora_changes plus the few rows of
   * the buckets holding those ranks. Same definitions and arithmetic as computeDora (dora-metrics.ts).
   */
  async function figuresOf(
    serviceIds: string[] | null,
    window: Window,
    incidentRows: IncidentRecord[],
    caused: string[],
    environment: string,
  ): Promise<Omit<DoraFigures, 'evidence'>> {
    const f: MetricFilter = { serviceIds, environment, ...window };
    const days = windowDays(window);
    const [counts, causedOnly, histogram] = await Promise.all([
      repo.deploymentCounts(db, f),
      caused.length ? repo.countOtherwiseSound(db, f, caused) : Promise.resolve(0),
      repo.leadHistogram(db, f),
    ]);
    const n = histogram.reduce((sum, h) => sum + h.n, 0);
    let medianSeconds: number | null = null;
    let p90Seconds: number | null = null;
    if (n > 0) {
      const at = rankReader(f, histogram);
      const mid = Math.floor(n / 2);
      medianSeconds = n % 2 === 1 ? await at(mid + 1) : ((await at(mid)) + (await at(mid + 1))) / 2;
      p90Seconds = await at(Math.max(1, Math.ceil((90 / 100) * n)));
    }
    const restores = incidentRows
      .filter((i) => inWindow(i.triggered_at, window))
      .map(restoreSeconds)
      .filter((s): s is number => s !== null);
    const failed = counts.failed + causedOnly;
    const total = counts.total;
    return {
      window: { from: window.from, to: window.to, days },
      deployment_frequency: {
        per_day: days > 0 ? counts.successful / days : 0,
        deployments: counts.successful,
      },
      lead_time: { median_seconds: medianSeconds, p90_seconds: p90Seconds, changes: n },
      change_failure_rate: { value: total > 0 ? failed / total : null, failed, deployments: total },
      time_to_restore: { median_seconds: median(restores), incidents: restores.length },
      rework_rate: {
        value: total > 0 ? counts.reworked / total : null,
        reworked: counts.reworked,
        deployments: total,
      },
    };
  }

  function report(
    figures: Omit<DoraFigures, 'evidence'>,
    thresholds: Awaited<ReturnType<typeof policy.current>>['dora'],
  ): DoraReport {
    const df = deploymentFrequencyTier(
      figures.deployment_frequency.per_day,
      figures.change_failure_rate.deployments,
      thresholds.deployment_frequency_per_day,
    );
    const lt = leadTimeTier(figures.lead_time.median_seconds, thresholds.lead_time_hours);
    const cfr = changeFailureRateTier(figures.change_failure_rate.value, thresholds.change_failure_rate);
    const ttr = timeToRestoreTier(figures.time_to_restore.median_seconds, thresholds.time_to_restore_hours);
    return {
      window: figures.window,
      deployment_frequency: { ...figures.deployment_frequency, ...df },
      lead_time: { ...figures.lead_time, ...lt },
      change_failure_rate: { ...figures.change_failure_rate, ...cfr },
      time_to_restore: { ...figures.time_to_restore, ...ttr },
      rework_rate: figures.rework_rate,
      overall_tier: overallTier([df.tier, lt.tier, cfr.tier, ttr.tier]),
    };
  }

  /** Week buckets start on Monday 00:00 UTC, month buckets on the 1st; both are cut to the window. */
  function buckets(window: Window, bucket: 'week' | 'month'): Window[] {
    const out: Window[] = [];
    const end = Date.parse(window.to);
    let start = Date.parse(window.from);
    while (start < end) {
      const d = new Date(start);
      let next: number;
      if (bucket === 'week') {
        const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
        const sinceMonday = (d.getUTCDay() + 6) % 7;
        next = midnight + (7 - sinceMonday) * DAY_MS;
      } else next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      const stop = Math.min(next, end);
      out.push({ from: new Date(start).toISOString(), to: new Date(stop).toISOString() });
      start = stop;
      if (out.length > 1000)
        throw new AppError('HTTP_VALIDATION_FAILED', 'The window has more than 1000 buckets.', {
          errors: [{ path: 'query.from', message: 'window too long for this bucket' }],
        });
    }
    return out;
  }

  /** Links the commits a webhook deployment shipped: known commits after the previous one's, up to its own. */
  async function linkInferredCommits(tx: Db, row: DeploymentRow): Promise<string[]> {
    const head = await repo.getCommit(tx, row.service_id, row.commit_sha);
    const shas = new Set<string>([row.commit_sha]);
    if (head) {
      const previous = await repo.previousSuccessful(tx, row.service_id, row.environment, row.finished_at);
      const prevHead = previous ? await repo.getCommit(tx, row.service_id, previous.commit_sha) : undefined;
      const between = await repo.commitsBetween(
        tx,
        row.service_id,
        prevHead?.committed_at ?? null,
        head.committed_at,
        LINK_LIMIT,
      );
      for (const c of between) shas.add(c.sha);
    }
    await repo.linkCommits(tx, row.id, row.service_id, [...shas]);
    return [...shas];
  }

  /** More commits shipped by a deployment already recorded (a large tag sent in parts). */
  async function appendLinks(
    tx: Db,
    ctx: AuditContext,
    row: DeploymentRow,
    shas: string[],
    service: Service,
  ) {
    {
      await repo.linkCommits(tx, row.id, row.service_id, shas);
      if (row.status === 'success') await repo.recordChanges(tx, row, shas);
      const count = await repo.countLinks(tx, row.id);
      await tx.updateTable('deployments').set({ commit_count: count }).where('id', '=', row.id).execute();
      await audit.record(tx, ctx, {
        action: 'deployment.link',
        targetType: 'deployment',
        targetId: row.id,
        teamId: service.team_id,
        after: { commits_sent: shas.length, commit_count: count },
      });
    }
  }

  const sameDeployment = (row: DeploymentRow, input: CreateDeployment, serviceId: string) =>
    row.service_id === serviceId &&
    row.environment === input.environment &&
    row.commit_sha === input.commit_sha &&
    row.status === input.status &&
    row.kind === input.kind &&
    row.finished_at === iso(input.finished_at);

  async function recordDeployment(
    ctx: AuditContext,
    input: CreateDeployment,
    options: {
      source: string;
      service: Service;
      inferCommits?: boolean;
      link?: string[];
      /** Record it inside this transaction (a git import's batch) instead of one of its own. */
      tx?: Db;
      /** The caller links the commits shipped and records their changes (a git import's tags, at once). */
      deferShipped?: boolean;
    },
  ): Promise<Deployment> {
    const { source, service } = options;
    const q = options.tx ?? db;
    const inTransaction = <T>(fn: (tx: Db) => Promise<T>): Promise<T> =>
      options.tx ? fn(options.tx) : db.transaction().execute(fn);
    if (input.external_id) {
      const existing = await repo.findByExternalId(q, source, input.external_id);
      if (existing) {
        if (!sameDeployment(existing, input, service.id))
          throw new AppError(
            'DORA_EXTERNAL_ID_CONFLICT',
            `Deployment ${existing.id} already has external_id ${input.external_id} with other fields.`,
          );
        return deploymentView(existing);
      }
    }
    if (input.rollback_of) {
      const target = await repo.getDeployment(q, input.rollback_of);
      if (!target || target.service_id !== service.id)
        throw new AppError(
          'DORA_DEPLOYMENT_NOT_FOUND',
          `Service ${service.name} has no deployment ${input.rollback_of} to roll back.`,
        );
    }
    const at = clock.now().toISOString();
    const commits = input.commits ?? [];
    try {
      return await inTransaction(async (tx) => {
        const row: DeploymentRow = {
          id: newId('dep'),
          service_id: service.id,
          environment: input.environment,
          version: input.version ?? null,
          commit_sha: input.commit_sha,
          status: input.status,
          kind: input.kind,
          rollback_of: input.rollback_of ?? null,
          started_at: input.started_at ? iso(input.started_at) : null,
          finished_at: iso(input.finished_at),
          source,
          external_id: input.external_id ?? null,
          commit_count: 0,
          created_at: at,
          rolled_back: 0,
        };
        await repo.insertDeployment(tx, row);
        await repo.upsertCommits(
          tx,
          commits.map((c) => ({
            service_id: service.id,
            sha: c.sha,
            committed_at: iso(c.committed_at),
            authored_at: c.authored_at ? iso(c.authored_at) : null,
            message: c.message ?? null,
            created_at: at,
          })),
        );
        await repo.fillCommitTimes(
          tx,
          service.id,
          commits.map((c) => c.sha),
        );
        let shipped: string[];
        if (commits.length === 0 && options.inferCommits) shipped = await linkInferredCommits(tx, row);
        else {
          shipped = [...new Set([input.commit_sha, ...commits.map((c) => c.sha), ...(options.link ?? [])])];
          if (!options.deferShipped) await repo.linkCommits(tx, row.id, service.id, shipped);
        }
        const count = shipped.length;
        if (row.status === 'success' && !options.deferShipped) await repo.recordChanges(tx, row, shipped);
        if (row.rollback_of) await repo.markRolledBack(tx, row.rollback_of);
        await tx.updateTable('deployments').set({ commit_count: count }).where('id', '=', row.id).execute();
        const view = deploymentView({ ...row, commit_count: count });
        await audit.record(tx, ctx, {
          action: 'deployment.create',
          targetType: 'deployment',
          targetId: row.id,
          teamId: service.team_id,
          after: view,
        });
        return view;
      });
    } catch (error) {
      // Two deliveries of the same external id raced: the loser answers with the winner's row.
      if (input.external_id && !options.tx && isUniqueViolation(error)) {
        const existing = await repo.findByExternalId(db, source, input.external_id);
        if (existing && sameDeployment(existing, input, service.id)) return deploymentView(existing);
      }
      throw error;
    }
  }

  function mappingView(row: {
    repository_key: string;
    repository_url: string;
    service_id: string;
    deploy_workflows: string | null;
    created_at: string;
  }): RepositoryMapping {
    return {
      repository_key: row.repository_key,
      repository_url: row.repository_url,
      service_id: row.service_id,
      deploy_workflows: row.deploy_workflows ? (JSON.parse(row.deploy_workflows) as string[]) : null,
      created_at: row.created_at,
    };
  }

  type Provider = 'github' | 'gitlab';
  const envSecret: Record<Provider, string | undefined> = {
    github: deps.githubWebhookSecret,
    gitlab: deps.gitlabWebhookToken,
  };

  async function scmSecret(provider: Provider): Promise<{
    secret: string | null;
    source: 'settings' | 'environment' | 'none';
    updated_at: string | null;
  }> {
    const stored = await repo.getScmSecret(db, provider);
    if (stored) return { secret: stored.webhook_secret, source: 'settings', updated_at: stored.updated_at };
    const fromEnv = envSecret[provider];
    if (fromEnv) return { secret: fromEnv, source: 'environment', updated_at: null };
    return { secret: null, source: 'none', updated_at: null };
  }

  async function repositoryOwner(
    repositoryKeys: string[],
  ): Promise<{ service: Service; mapping: RepositoryMapping | null } | undefined> {
    const keys = new Set(repositoryKeys);
    if (!keys.size) return undefined;
    for (const key of keys) {
      const mapped = await repo.getRepositoryMapping(db, key);
      if (mapped)
        return { service: await catalog.getService(mapped.service_id), mapping: mappingView(mapped) };
    }
    const service = (await allServices()).find((s) => {
      const k = repositoryKey(s.repository_url);
      return k !== null && keys.has(k);
    });
    return service ? { service, mapping: null } : undefined;
  }

  async function serviceForRepository(repositoryKeys: string[]): Promise<Service | undefined> {
    return (await repositoryOwner(repositoryKeys))?.service;
  }

  type WebhookResult = { status: 'processed' | 'duplicate' | 'ignored'; detail: string };

  const subscribers: CodeHostSubscriber[] = [];

  /** Hands a verified delivery to every other module that listens (workflow, security, ...). */
  async function fanOut(delivery: CodeHostDelivery, own: WebhookResult): Promise<WebhookResult> {
    if (!subscribers.length) return own;
    const results = [own];
    for (const subscriber of subscribers) {
      const result = await subscriber(delivery);
      if (result) results.push(result);
    }
    const status = results.some((r) => r.status === 'processed')
      ? 'processed'
      : results.every((r) => r.status === 'duplicate')
        ? 'duplicate'
        : own.status;
    return { status, detail: results.map((r) => r.detail).join('; ') };
  }

  /** A verified delivery, already reduced to the repository, the commits or the deployment it reports. */
  async function applyDelivery(input: {
    provider: Provider;
    deliveryId: string | null;
    event: string;
    keys: string[];
    commits?: PushedCommit[];
    deployment?: GithubDeploymentOutcome | null;
    /** A workflow_run payload: a deployment when its workflow is a deploy workflow of the repository. */
    workflowRun?: unknown;
  }): Promise<WebhookResult> {
    const { provider, deliveryId, event } = input;
    const receivedAt = clock.now().toISOString();
    if (deliveryId && (await repo.getDelivery(db, provider, deliveryId)))
      return { status: 'duplicate', detail: `delivery ${deliveryId} was already processed` };
    const remember = (tx: Db, outcome: string) =>
      deliveryId
        ? repo.recordDelivery(tx, {
            source: provider,
            delivery_id: deliveryId,
            event,
            outcome,
            received_at: receivedAt,
          })
        : Promise.resolve(true);

    const owner = await repositoryOwner(input.keys);
    if (!owner) {
      await remember(db, 'no-service');
      return { status: 'ignored', detail: 'no service has this repository_url' };
    }
    const { service } = owner;
    if (input.workflowRun !== undefined) {
      const run = workflowRunOutcome(input.workflowRun, owner.mapping?.deploy_workflows ?? null);
      if ('ignored' in run) {
        await remember(db, 'not-a-deployment');
        return { status: 'ignored', detail: run.ignored };
      }
      const { dora } = await policy.current();
      input = { ...input, deployment: { ...run.deployment, environment: dora.production_environment } };
    }
    if (input.commits) {
      const commits = input.commits;
      await db.transaction().execute(async (tx) => {
        await repo.upsertCommits(
          tx,
          commits.map((c) => ({
            service_id: service.id,
            sha: c.sha,
            committed_at: c.committed_at,
            authored_at: null,
            message: c.message,
            created_at: receivedAt,
          })),
        );
        await repo.fillCommitTimes(
          tx,
          service.id,
          commits.map((c) => c.sha),
        );
        await remember(tx, `commits:${commits.length}`);
      });
      return { status: 'processed', detail: `${commits.length} commits of ${service.name}` };
    }
    if (input.deployment !== undefined) {
      const outcome = input.deployment;
      if (!outcome) {
        await remember(db, 'not-final');
        return { status: 'ignored', detail: 'deployment status is not final' };
      }
      const ctx: AuditContext = {
        principal: {
          kind: 'system',
          id: provider,
          name: provider === 'github' ? 'GitHub webhook' : 'GitLab webhook',
          userId: null,
          orgRole: null,
          teamRoles: new Map(),
        },
        ...(deliveryId ? { requestId: deliveryId } : {}),
      };
      const deployment = await recordDeployment(
        ctx,
        {
          service_id: service.id,
          environment: outcome.environment,
          commit_sha: outcome.commit_sha,
          status: outcome.status,
          finished_at: outcome.finished_at,
          ...(outcome.started_at ? { started_at: outcome.started_at } : {}),
          kind: 'normal',
          external_id: outcome.external_id,
        },
        { source: provider, service, inferCommits: true },
      ).catch((error: unknown) => {
        // A later final status of the same deployment (failure, then success on a re-run) keeps
        // the first outcome: engops records each deployment once.
        if (error instanceof AppError && error.code === 'DORA_EXTERNAL_ID_CONFLICT') return null;
        throw error;
      });
      await remember(db, deployment ? `deployment:${deployment.id}` : 'conflict');
      return deployment
        ? { status: 'processed', detail: `deployment ${deployment.id} of ${service.name}` }
        : { status: 'ignored', detail: 'deployment already recorded' };
    }
    await remember(db, 'ignored-event');
    return { status: 'ignored', detail: `event ${event} is not used` };
  }

  async function settings(provider: Provider) {
    const s = await scmSecret(provider);
    return { webhook_secret_set: s.secret !== null, source: s.source, updated_at: s.updated_at };
  }

  return {
    /**
     * Lets another module see every verified GitHub/GitLab delivery after DORA has applied it
     * (the composition root wires workflow and security here).
     */
    subscribeToCodeHost(subscriber: CodeHostSubscriber): void {
      subscribers.push(subscriber);
    },

    /** The service a deployment names (by id or name), for the route's permission check. */
    findService: mustService,

    async record(ctx: AuditContext, input: CreateDeployment, service: Service): Promise<Deployment> {
      return recordDeployment(ctx, input, { source: 'api', service });
    },

    /** Where the last git import of a service stopped (tips reached, tags recorded). */
    async gitImportState(serviceId: string): Promise<GitImportState> {
      const row = await repo.getGitImport(db, serviceId);
      const state = row ? (JSON.parse(row.tips) as { heads?: string[]; tags?: string[] }) : {};
      return {
        service_id: serviceId,
        tips: state.heads ?? [],
        tags: state.tags ?? [],
        commits: row?.commits ?? 0,
        updated_at: row?.updated_at ?? null,
      };
    },

    /**
     * One batch of `engops import git`: commits (new ones inserted, known ones left as they are),
     * tags as successful deployments (idempotent on the tag name), and with the last batch the
     * commits the import reached. Audited once per batch; each new deployment is audited too.
     */
    async importGit(ctx: AuditContext, input: GitImportBatch, service: Service): Promise<GitImportResult> {
      const at = clock.now().toISOString();
      const { dora } = await policy.current();
      // One transaction per batch: its commits, its tag deployments, the import state, the audit.
      const rows = input.commits.map((c) => ({
        service_id: service.id,
        sha: c.sha,
        committed_at: iso(c.committed_at),
        authored_at: c.authored_at ? iso(c.authored_at) : null,
        message: c.message ?? null,
        created_at: at,
      }));
      // The columnar form arrives checked and in stored form (contracts' gitCommitColumnsSchema).
      const columns = input.columns;
      if (columns)
        for (let i = 0; i < columns.sha.length; i++)
          rows.push({
            service_id: service.id,
            sha: columns.sha[i] as string,
            committed_at: columns.committed_at[i] as string,
            authored_at: columns.authored_at[i] ?? null,
            message: columns.message[i] ?? null,
            created_at: at,
          });
      const received = rows.length;
      return db.transaction().execute(async (tx) => {
        const n = await repo.upsertCommits(tx, rows);
        await repo.fillCommitTimes(
          tx,
          service.id,
          rows.map((c) => c.sha),
        );
        const previous = await repo.getGitImport(tx, service.id);
        const state = previous
          ? (JSON.parse(previous.tips) as { heads?: string[]; tags?: string[] })
          : { heads: [], tags: [] };
        await repo.putGitImport(tx, {
          service_id: service.id,
          tips: JSON.stringify({
            heads: input.tips ?? state.heads ?? [],
            tags: [...new Set([...(state.tags ?? []), ...input.deployments.map((d) => d.tag)])],
          }),
          commits: (previous?.commits ?? 0) + n,
          updated_at: at,
        });
        await audit.record(tx, ctx, {
          action: 'dora.import.git',
          targetType: 'service',
          targetId: service.id,
          teamId: service.team_id,
          after: {
            commits_received: received,
            commits_created: n,
            tags: input.deployments.map((d) => d.tag),
            ...(input.tips ? { tips: input.tips } : {}),
          },
        });
        let deploymentsCreated = 0;
        let deploymentsExisting = 0;
        // The new tags' commit links and changes (per environment), recorded together after the loop.
        const changes = new Map<string, Array<{ deployment: Deployment; shas: string[] }>>();
        for (const d of input.deployments) {
          // Tags are per repository, so the external id names the service (two services' v1.0.0
          // are two deployments); `tag:<name>` is the form of imports before it did.
          const externalId = `tag:${service.id}:${d.tag}`;
          const legacy = await repo.findByExternalId(tx, 'git', `tag:${d.tag}`);
          const existing =
            (await repo.findByExternalId(tx, 'git', externalId)) ??
            (legacy?.service_id === service.id ? legacy : undefined);
          if (existing) {
            // A tag whose commits did not fit one request: the rest of them, linked idempotently.
            if (d.shas.length) await appendLinks(tx, ctx, existing, d.shas, service);
            deploymentsExisting++;
            continue;
          }
          const environment = d.environment ?? dora.production_environment;
          const deployment = await recordDeployment(
            ctx,
            {
              service_id: service.id,
              environment,
              version: d.tag,
              commit_sha: d.commit_sha,
              status: 'success',
              kind: 'normal',
              finished_at: d.finished_at,
              external_id: externalId,
            },
            { source: 'git', service, link: d.shas, tx, deferShipped: true },
          );
          const group = changes.get(environment) ?? [];
          group.push({ deployment, shas: [d.commit_sha, ...d.shas] });
          changes.set(environment, group);
          deploymentsCreated++;
        }
        for (const [environment, items] of changes) {
          await repo.linkCommitsMany(
            tx,
            service.id,
            items.map((i) => ({ deploymentId: i.deployment.id, shas: i.shas })),
          );
          await repo.recordChangesMany(tx, service.id, environment, items);
        }
        return {
          commits_received: received,
          commits_created: n,
          deployments_created: deploymentsCreated,
          deployments_existing: deploymentsExisting,
        };
      });
    },

    // ---- explicit repository -> service mappings

    async listRepositories(
      principal: Principal,
      authorize: Authorize,
      scope: { service_id?: string | undefined; team_id?: string | undefined },
    ) {
      const serviceIds = await resolveScope(scope, principal, authorize);
      return { items: (await repo.listRepositoryMappings(db, serviceIds)).map(mappingView) };
    },

    async mapRepository(
      ctx: AuditContext,
      input: { repository_url: string; service_id: string; deploy_workflows?: string[] | undefined },
      service: Service,
    ) {
      const key = repositoryKey(input.repository_url);
      if (!key)
        throw new AppError(
          'HTTP_VALIDATION_FAILED',
          'The repository URL does not name host/owner/repository.',
          {
            errors: [{ path: 'body.repository_url', message: 'must name a host, an owner and a repository' }],
          },
        );
      const row = {
        repository_key: key,
        repository_url: input.repository_url,
        service_id: service.id,
        deploy_workflows: input.deploy_workflows ? JSON.stringify(input.deploy_workflows) : null,
        created_at: clock.now().toISOString(),
      };
      try {
        await db.transaction().execute(async (tx) => {
          await repo.insertRepositoryMapping(tx, row);
          await audit.record(tx, ctx, {
            action: 'dora.repository.map',
            targetType: 'repository',
            targetId: key,
            teamId: service.team_id,
            after: mappingView(row),
          });
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError('DORA_REPOSITORY_MAPPED', `Repository ${key} is already mapped to a service.`, {
            errors: [{ path: 'body.repository_url', message: 'already mapped' }],
          });
        throw error;
      }
      return mappingView(row);
    },

    async getRepositoryMapping(key: string) {
      const row = await repo.getRepositoryMapping(db, repositoryKey(key) ?? key);
      if (!row) throw new AppError('DORA_REPOSITORY_NOT_FOUND', `No mapping for repository ${key}.`);
      return mappingView(row);
    },

    async unmapRepository(ctx: AuditContext, key: string, teamId: string | null) {
      const row = await repo.getRepositoryMapping(db, key);
      if (!row) throw new AppError('DORA_REPOSITORY_NOT_FOUND', `No mapping for repository ${key}.`);
      await db.transaction().execute(async (tx) => {
        await repo.deleteRepositoryMapping(tx, key);
        await audit.record(tx, ctx, {
          action: 'dora.repository.unmap',
          targetType: 'repository',
          targetId: key,
          teamId,
          before: mappingView(row),
        });
      });
    },

    /** The service a repository belongs to: an explicit mapping first, then a matching repository_url. */
    serviceForRepository,

    async list(
      query: DeploymentListQuery,
      principal: Principal,
      authorize: Authorize,
    ): Promise<Page<Deployment>> {
      const serviceIds = await resolveScope(query, principal, authorize);
      const filter = {
        serviceIds,
        environment: query.environment,
        status: query.status,
        from: query.from ? iso(query.from) : undefined,
        to: query.to ? iso(query.to) : undefined,
      };
      const page = await pageById(query, (before, limit) => repo.listDeployments(db, filter, before, limit));
      return { items: page.items.map(deploymentView), next_cursor: page.next_cursor };
    },

    /**
     * The deployment engops suspects caused an incident: the service's last successful production
     * deployment finished before the incident was triggered. Only a responder's confirmed link
     * (caused_by_deployment_id) counts for the change failure rate.
     */
    async suspectedDeployment(incidentId: string, authorize: Authorize): Promise<SuspectedDeployment> {
      const incident = await incidents.get(incidentId);
      authorize('dora.read', incident.team_id);
      const { dora } = await policy.current();
      const row = await repo.previousSuccessful(
        db,
        incident.service_id,
        dora.production_environment,
        incident.triggered_at,
      );
      return {
        incident_id: incident.id,
        suggested_deployment_id: row?.id ?? null,
        suggested: row
          ? { id: row.id, version: row.version, commit_sha: row.commit_sha, finished_at: row.finished_at }
          : null,
        confirmed_deployment_id: incident.caused_by_deployment_id,
        confirmed: incident.caused_by_deployment_id !== null,
      };
    },

    /** The commits a deployment shipped, each with its first deployment there and lead time. */
    async commits(id: string, authorize: Authorize): Promise<DeploymentCommits> {
      const row = await repo.getDeployment(db, id);
      if (!row) throw new AppError('DORA_DEPLOYMENT_NOT_FOUND', `No deployment has id ${id}.`);
      const service = await catalog.getService(row.service_id);
      authorize('dora.read', service.team_id);
      const rows = await repo.deploymentCommits(db, row, EVIDENCE_LIMIT + 1);
      return {
        deployment_id: row.id,
        items: rows.slice(0, EVIDENCE_LIMIT).map((c) => {
          const first = c.first_deployment_id ?? null;
          return {
            sha: c.sha,
            committed_at: c.committed_at ?? null,
            authored_at: c.authored_at ?? null,
            message: c.message ?? null,
            first_deployment_id: first,
            lead_seconds: first === row.id && c.lead_seconds != null ? Number(c.lead_seconds) : null,
          };
        }),
        truncated: rows.length > EVIDENCE_LIMIT,
      };
    },

    async get(id: string, authorize: Authorize): Promise<Deployment> {
      const row = await repo.getDeployment(db, id);
      if (!row) throw new AppError('DORA_DEPLOYMENT_NOT_FOUND', `No deployment has id ${id}.`);
      const service = await catalog.getService(row.service_id);
      authorize('dora.read', service.team_id);
      return deploymentView(row);
    },

    async report(scope: DoraScope, principal: Principal, authorize: Authorize): Promise<DoraReport> {
      const serviceIds = await resolveScope(scope, principal, authorize);
      const window = windowOf(scope);
      const dora = await thresholds();
      const incidentRows = await incidentsSince(serviceIds, window.from);
      const caused = await repo.causedDeploymentIds(db, serviceIds);
      return report(
        await figuresOf(serviceIds, window, incidentRows, caused, dora.production_environment),
        dora,
      );
    },

    async trend(
      scope: DoraScope & { bucket: 'week' | 'month' },
      principal: Principal,
      authorize: Authorize,
    ): Promise<{ bucket: 'week' | 'month'; buckets: DoraReport[] }> {
      const serviceIds = await resolveScope(scope, principal, authorize);
      const window = windowOf(scope);
      const windows = buckets(window, scope.bucket);
      const dora = await thresholds();
      const incidentRows = await incidentsSince(serviceIds, window.from);
      const caused = await repo.causedDeploymentIds(db, serviceIds);
      const out: DoraReport[] = [];
      for (const w of windows)
        out.push(
          report(await figuresOf(serviceIds, w, incidentRows, caused, dora.production_environment), dora),
        );
      return { bucket: scope.bucket, buckets: out };
    },

    async evidence(
      scope: DoraScope & { metric: DoraMetric },
      principal: Principal,
      authorize: Authorize,
    ): Promise<DoraEvidence> {
      const serviceIds = await resolveScope(scope, principal, authorize);
      const window = windowOf(scope);
      const dora = await thresholds();
      const f: MetricFilter = { serviceIds, environment: dora.production_environment, ...window };
      const incidentRows = await incidentsSince(serviceIds, window.from);
      const caused = new Set(await repo.causedDeploymentIds(db, serviceIds));
      const metric = scope.metric;
      const deploymentRows =
        metric === 'deployment_frequency'
          ? await repo.evidenceDeployments(db, f, EVIDENCE_LIMIT + 1, { status: 'success' })
          : metric === 'change_failure_rate'
            ? await repo.evidenceDeployments(db, f, EVIDENCE_LIMIT + 1)
            : metric === 'rework_rate'
              ? await repo.evidenceDeployments(db, f, EVIDENCE_LIMIT + 1, { reworked: true })
              : [];
      const changeRows = metric === 'lead_time' ? await repo.evidenceChanges(db, f, EVIDENCE_LIMIT + 1) : [];
      const incidentEvidence =
        metric === 'time_to_restore'
          ? incidentRows
              .filter((i) => inWindow(i.triggered_at, window))
              .sort(
                (a, b) => Date.parse(a.triggered_at) - Date.parse(b.triggered_at) || a.id.localeCompare(b.id),
              )
              .map((i) => ({
                id: i.id,
                service_id: i.service_id,
                triggered_at: i.triggered_at,
                restored_at: i.mitigated_at ?? i.resolved_at,
                restore_seconds: restoreSeconds(i),
                caused_by_deployment_id: i.caused_by_deployment_id,
              }))
          : [];
      const judged = deploymentRows.map((d) => {
        const reasons: string[] = [];
        if (metric !== 'deployment_frequency') {
          if (d.status === 'failure') reasons.push('status');
          if (Number(d.rolled_back) === 1) reasons.push('rolled_back');
          if (caused.has(d.id)) reasons.push('incident');
        }
        return {
          id: d.id,
          service_id: d.service_id,
          status: d.status,
          kind: d.kind,
          version: d.version ?? null,
          commit_sha: d.commit_sha,
          finished_at: d.finished_at,
          failed: reasons.length > 0,
          failure_reasons: reasons,
        };
      });
      return {
        metric,
        window: { from: window.from, to: window.to, days: windowDays(window) },
        deployments: judged.slice(0, EVIDENCE_LIMIT),
        changes: changeRows.slice(0, EVIDENCE_LIMIT).map((c) => ({
          service_id: c.service_id,
          sha: c.sha,
          committed_at: c.committed_at ?? '',
          deployment_id: c.deployment_id,
          deployed_at: c.deployed_at,
          lead_seconds: Number(c.lead_seconds),
        })),
        incidents: incidentEvidence.slice(0, EVIDENCE_LIMIT),
        truncated:
          deploymentRows.length > EVIDENCE_LIMIT ||
          changeRows.length > EVIDENCE_LIMIT ||
          incidentEvidence.length > EVIDENCE_LIMIT,
      };
    },

    // ---- source-control integrations

    integrationSettings: settings,

    async setWebhookSecret(ctx: AuditContext, provider: Provider, secret: string) {
      await db.transaction().execute(async (tx) => {
        await repo.setScmSecret(tx, provider, secret, clock.now().toISOString());
        await audit.record(tx, ctx, {
          action: `integration.${provider}.update`,
          targetType: 'integration',
          targetId: provider,
          after: { webhook_secret: secret },
        });
      });
      return settings(provider);
    },

    /** One GitHub delivery: verified, deduplicated by delivery id, applied. Throws 401 before storing anything. */
    async githubWebhook(input: {
      rawBody: Buffer;
      signature: unknown;
      event: string;
      deliveryId: string;
      payload: unknown;
    }): Promise<WebhookResult> {
      const { secret } = await scmSecret('github');
      if (!secret) throw new AppError('DORA_WEBHOOK_NOT_CONFIGURED');
      if (!verifyGithubSignature(secret, input.rawBody, input.signature))
        throw new AppError('DORA_WEBHOOK_SIGNATURE_INVALID');
      const own = await applyDelivery({
        provider: 'github',
        deliveryId: input.deliveryId,
        event: input.event,
        keys: repositoryKeys(input.payload),
        ...(input.event === 'push' ? { commits: pushCommits(input.payload) } : {}),
        ...(input.event === 'deployment_status' ? { deployment: deploymentOutcome(input.payload) } : {}),
        ...(input.event === 'workflow_run' ? { workflowRun: input.payload } : {}),
      });
      return fanOut(
        {
          provider: 'github',
          deliveryId: input.deliveryId,
          event: input.event,
          payload: input.payload,
          receivedAt: clock.now().toISOString(),
        },
        own,
      );
    },

    /** One GitLab delivery (Push Hook, Deployment Hook), checked against X-Gitlab-Token. */
    async gitlabWebhook(input: {
      token: unknown;
      event: string;
      deliveryId: string | null;
      payload: unknown;
    }): Promise<WebhookResult> {
      const { secret } = await scmSecret('gitlab');
      if (!secret) throw new AppError('DORA_WEBHOOK_NOT_CONFIGURED');
      if (!verifyGitlabToken(secret, input.token)) throw new AppError('DORA_WEBHOOK_SIGNATURE_INVALID');
      const kind = (input.payload as { object_kind?: string } | null)?.object_kind;
      const own = await applyDelivery({
        provider: 'gitlab',
        deliveryId: input.deliveryId,
        event: input.event,
        keys: gitlabRepositoryKeys(input.payload),
        ...(kind === 'push' ? { commits: gitlabPushCommits(input.payload) } : {}),
        ...(kind === 'deployment' ? { deployment: gitlabDeploymentOutcome(input.payload) } : {}),
      });
      return fanOut(
        {
          provider: 'gitlab',
          deliveryId: input.deliveryId,
          event: input.event,
          payload: input.payload,
          receivedAt: clock.now().toISOString(),
        },
        own,
      );
    },
  };
}

export type DoraService = ReturnType<typeof createDoraService>;

/** A code-host delivery whose signature (GitHub) or token (GitLab) has been verified. */
export interface CodeHostDelivery {
  provider: 'github' | 'gitlab';
  /** X-GitHub-Delivery, or GitLab's event UUID when it sends one. */
  deliveryId: string | null;
  /** X-GitHub-Event (`pull_request`, `push`, ...) or X-Gitlab-Event (`Merge Request Hook`, ...). */
  event: string;
  payload: unknown;
  receivedAt: string;
}

/**
 * Another module's handler for verified deliveries. It deduplicates by delivery id itself and
 * returns what it did (or null when the event is not its business).
 */
export type CodeHostSubscriber = (
  delivery: CodeHostDelivery,
) => Promise<{ status: 'processed' | 'duplicate' | 'ignored'; detail: string } | null>;
