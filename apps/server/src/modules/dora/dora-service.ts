import type {
  CreateDeployment,
  Deployment,
  DoraEvidence,
  DoraMetric,
  DoraReport,
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
import { computeDora, type DoraFigures, type IncidentRecord, type Window } from './dora-metrics.ts';
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
} from './github-webhooks.ts';
import {
  gitlabDeploymentOutcome,
  gitlabPushCommits,
  gitlabRepositoryKeys,
  verifyGitlabToken,
} from './gitlab-webhooks.ts';
import type { DeploymentRow, DoraRepository } from './kysely-dora-repository.ts';

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

  async function load(serviceIds: string[] | null, window: Window) {
    const { dora } = await policy.current();
    const filter = { serviceIds, environment: dora.production_environment, ...window };
    const [deployments, changes, incidentRows] = await Promise.all([
      repo.windowDeployments(db, filter),
      repo.windowChanges(db, filter),
      incidentsSince(serviceIds, window.from),
    ]);
    return {
      thresholds: dora,
      deployments: deployments.map((d) => ({
        ...d,
        status: d.status as 'success' | 'failure',
        kind: d.kind as 'normal' | 'rollback' | 'hotfix',
      })),
      changes,
      incidents: incidentRows,
    };
  }

  function report(
    figures: DoraFigures,
    thresholds: Awaited<ReturnType<typeof load>>['thresholds'],
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
  async function linkInferredCommits(tx: Db, row: DeploymentRow): Promise<number> {
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
    return shas.size;
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
    options: { source: string; service: Service; inferCommits?: boolean },
  ): Promise<Deployment> {
    const { source, service } = options;
    if (input.external_id) {
      const existing = await repo.findByExternalId(db, source, input.external_id);
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
      const target = await repo.getDeployment(db, input.rollback_of);
      if (!target || target.service_id !== service.id)
        throw new AppError(
          'DORA_DEPLOYMENT_NOT_FOUND',
          `Service ${service.name} has no deployment ${input.rollback_of} to roll back.`,
        );
    }
    const at = clock.now().toISOString();
    const commits = input.commits ?? [];
    try {
      return await db.transaction().execute(async (tx) => {
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
        let count: number;
        if (commits.length === 0 && options.inferCommits) count = await linkInferredCommits(tx, row);
        else {
          const shas = [input.commit_sha, ...commits.map((c) => c.sha)];
          await repo.linkCommits(tx, row.id, service.id, shas);
          count = new Set(shas).size;
        }
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
      if (input.external_id && isUniqueViolation(error)) {
        const existing = await repo.findByExternalId(db, source, input.external_id);
        if (existing && sameDeployment(existing, input, service.id)) return deploymentView(existing);
      }
      throw error;
    }
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

    const keys = new Set(input.keys);
    const service = keys.size
      ? (await allServices()).find((s) => {
          const k = repositoryKey(s.repository_url);
          return k !== null && keys.has(k);
        })
      : undefined;
    if (!service) {
      await remember(db, 'no-service');
      return { status: 'ignored', detail: 'no service has this repository_url' };
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
      const data = await load(serviceIds, window);
      return report(computeDora({ window, ...data }), data.thresholds);
    },

    async trend(
      scope: DoraScope & { bucket: 'week' | 'month' },
      principal: Principal,
      authorize: Authorize,
    ): Promise<{ bucket: 'week' | 'month'; buckets: DoraReport[] }> {
      const serviceIds = await resolveScope(scope, principal, authorize);
      const window = windowOf(scope);
      const windows = buckets(window, scope.bucket);
      const data = await load(serviceIds, window);
      return {
        bucket: scope.bucket,
        buckets: windows.map((w) => report(computeDora({ window: w, ...data }), data.thresholds)),
      };
    },

    async evidence(
      scope: DoraScope & { metric: DoraMetric },
      principal: Principal,
      authorize: Authorize,
    ): Promise<DoraEvidence> {
      const serviceIds = await resolveScope(scope, principal, authorize);
      const window = windowOf(scope);
      const data = await load(serviceIds, window);
      const figures = computeDora({ window, ...data });
      const e = figures.evidence;
      const pick = {
        deployments:
          scope.metric === 'deployment_frequency'
            ? e.successful.map((d) => ({ ...d, failed: false, failure_reasons: [] as string[] }))
            : scope.metric === 'change_failure_rate'
              ? e.deployments
              : scope.metric === 'rework_rate'
                ? e.deployments.filter((d) => d.kind !== 'normal')
                : [],
        changes: scope.metric === 'lead_time' ? e.changes : [],
        incidents: scope.metric === 'time_to_restore' ? e.incidents : [],
      };
      const truncated =
        pick.deployments.length > EVIDENCE_LIMIT ||
        pick.changes.length > EVIDENCE_LIMIT ||
        pick.incidents.length > EVIDENCE_LIMIT;
      return {
        metric: scope.metric,
        window: figures.window,
        deployments: pick.deployments.slice(0, EVIDENCE_LIMIT).map((d) => ({
          id: d.id,
          service_id: d.service_id,
          status: d.status,
          kind: d.kind,
          version: d.version ?? null,
          commit_sha: d.commit_sha ?? '',
          finished_at: d.finished_at,
          failed: 'failed' in d ? Boolean(d.failed) : false,
          failure_reasons: [...d.failure_reasons],
        })),
        changes: pick.changes.slice(0, EVIDENCE_LIMIT),
        incidents: pick.incidents.slice(0, EVIDENCE_LIMIT),
        truncated,
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
