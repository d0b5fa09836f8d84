import type {
  Service,
  WorkflowBranch,
  WorkflowBranchesQuery,
  WorkflowPullRequest,
  WorkflowPullRequestsQuery,
  WorkflowQuery,
  WorkflowReview,
  WorkflowReviewsQuery,
  WorkflowSummary,
} from '@engops/contracts';
import type { Db } from '../../db/database.ts';
import type { Principal } from '../../platform/access/permissions.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/errors.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import type { Notifier } from '../../platform/notifications/notifications-service.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { DoraService } from '../dora/index.ts';
import type { PolicyService } from '../policy/index.ts';
import { addBusinessSeconds } from './business-hours.ts';
import type { BranchRow, PullRequestRow, WorkflowRepository } from './kysely-workflow-repository.ts';
import {
  byPerson,
  type MeasureOptions,
  measureBranch,
  measurePullRequest,
  type PrMeasures,
  sizeDistribution,
  stats,
  workflowFit,
} from './workflow-measures.ts';

const DAY_MS = 86_400_000;
const DEPLOYMENT_PAGES = 20;
export const NUDGE_JOB = 'workflow.nudge';
/** Enqueued in the transaction of each pull request change: plans that PR's nudges afterwards. */
export const NUDGE_PLAN_JOB = 'workflow.nudge-plan';

type Authorize = (permission: 'workflow.read', teamId?: string | null) => void;
type Policy = Awaited<ReturnType<PolicyService['current']>>;

const iso = (s: string) => new Date(s).toISOString();
const bool = (v: 'true' | 'false' | undefined) => (v === undefined ? undefined : v === 'true');

export function createWorkflowService(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  worker?: Worker;
  notifier: Notifier;
  repo: WorkflowRepository;
  catalog: CatalogService;
  policy: PolicyService;
  dora: DoraService;
  baseUrl: () => string;
  /** A GitHub team's logins (through the GitHub settings' token); null when not available. */
  githubTeamMembers?: (org: string, slug: string) => Promise<string[] | null>;
}) {
  const { db, clock, audit, repo, catalog, policy, notifier, jobs } = deps;
  const now = () => clock.now().toISOString();

  async function allServices(teamId?: string): Promise<Service[]> {
    const out: Service[] = [];
    let cursor: string | undefined;
    do {
      const page = await catalog.listServices({ limit: 200, cursor, ...(teamId ? { team_id: teamId } : {}) });
      out.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return out;
  }

  /** The services a read covers (null: all), after checking the caller may read them. */
  async function resolveScope(
    scope: WorkflowQuery,
    principal: Principal,
    authorize: Authorize,
  ): Promise<string[] | null> {
    if (scope.service_id) {
      const service = await catalog.findService(scope.service_id);
      if (!service)
        throw new AppError('CATALOG_SERVICE_NOT_FOUND', `No service has id or name ${scope.service_id}.`);
      authorize('workflow.read', service.team_id);
      return [service.id];
    }
    if (scope.team_id) {
      authorize('workflow.read', scope.team_id);
      await catalog.getTeam(scope.team_id);
      return (await allServices(scope.team_id)).map((s) => s.id);
    }
    if (!principal.orgRole)
      throw new AppError(
        'AUTH_FORBIDDEN',
        'An organisation-wide report needs an org-wide role; give service_id or team_id.',
      );
    return null;
  }

  function windowOf(scope: WorkflowQuery) {
    const to = scope.to ? iso(scope.to) : now();
    const from = scope.from ? iso(scope.from) : new Date(Date.parse(to) - 30 * DAY_MS).toISOString();
    return { from, to };
  }

  const zoneCache = new Map<string, string>();
  async function teamZone(serviceId: string): Promise<string> {
    const cached = zoneCache.get(serviceId);
    if (cached) return cached;
    const service = await catalog.getService(serviceId);
    const team = await catalog.getTeam(service.team_id);
    zoneCache.set(serviceId, team.time_zone);
    return team.time_zone;
  }

  async function optionsFor(p: Policy, serviceId: string): Promise<MeasureOptions> {
    const bh = p.workflow.business_hours;
    return {
      now: now(),
      review_target_hours: p.code_review.review_target_hours,
      small_pr_max_lines: p.code_review.small_pr_max_lines,
      required_checks: p.workflow.required_checks,
      description_min_chars: p.workflow.description_min_chars,
      business_hours: bh.enabled
        ? { time_zone: await teamZone(serviceId), start: bh.start, end: bh.end }
        : null,
    };
  }

  /** First successful production deployment at or after each merge (DORA's deployments). */
  async function deploymentsAfter(rows: PullRequestRow[], p: Policy): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const byService = new Map<string, PullRequestRow[]>();
    for (const r of rows)
      if (r.merged_at) byService.set(r.service_id, [...(byService.get(r.service_id) ?? []), r]);
    for (const [serviceId, merged] of byService) {
      const from = merged.map((r) => r.merged_at!).sort()[0]!;
      const finished: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await deps.dora.list(
          {
            limit: 200,
            cursor,
            service_id: serviceId,
            environment: p.dora.production_environment,
            status: 'success',
            from,
          },
          {
            kind: 'system',
            id: 'workflow',
            name: 'workflow',
            userId: null,
            orgRole: 'viewer',
            teamRoles: new Map(),
          },
          () => {},
        );
        finished.push(...page.items.map((d) => d.finished_at));
        cursor = page.next_cursor ?? undefined;
      } while (cursor && ++pages < DEPLOYMENT_PAGES);
      finished.sort();
      for (const r of merged) {
        const hit = finished.find((f) => f >= r.merged_at!);
        if (hit) out.set(r.id, hit);
      }
    }
    return out;
  }

  /** Every fact the measures need, loaded in bulk for these pull requests. */
  async function measureRows(
    tx: Db,
    rows: PullRequestRow[],
  ): Promise<Array<{ row: PullRequestRow; m: PrMeasures }>> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const p = await policy.current();
    const [events, reviews, comments, checks, pushes, branches, deployed] = await Promise.all([
      repo.eventsOf(tx, ids),
      repo.reviewsOf(tx, ids),
      repo.commentsOf(tx, ids),
      repo.checksOf(tx, [...new Set(rows.map((r) => r.head_sha))]),
      repo.pushesTo(tx, [...new Set(rows.map((r) => r.head_ref))]),
      repo.branchesNamed(tx, [...new Set(rows.map((r) => r.head_ref))]),
      deploymentsAfter(rows, p),
    ]);
    const group = <T>(items: T[], key: (t: T) => string) => {
      const m = new Map<string, T[]>();
      for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i]);
      return m;
    };
    const eventsBy = group(events, (e) => e.pr_id);
    const reviewsBy = group(reviews, (r) => r.pr_id);
    const commentsBy = group(comments, (c) => c.pr_id);
    const checksBy = group(checks, (c) => `${c.repository_lc}|${c.sha}`);
    const pushesBy = group(pushes, (x) => `${x.repository_lc}|${x.branch}`);
    const branchesBy = group(branches, (b) => `${b.repository_lc}|${b.name}`);
    const out = [];
    for (const row of rows) {
      const options = await optionsFor(p, row.service_id);
      // The head branch's row that was live when the PR was opened (names are reused).
      const branch = (branchesBy.get(`${row.repository_lc}|${row.head_ref}`) ?? [])
        .filter((b) => !b.deleted_at || b.deleted_at >= row.opened_at)
        .sort((a, b) => a.id.localeCompare(b.id))[0];
      const m = measurePullRequest(
        {
          author: row.author,
          state: row.state as 'open' | 'closed' | 'merged',
          draft: row.draft === 1,
          body: row.body,
          additions: row.additions,
          deletions: row.deletions,
          opened_at: row.opened_at,
          merged_at: row.merged_at,
          events: eventsBy.get(row.id) ?? [],
          reviews: reviewsBy.get(row.id) ?? [],
          comments: commentsBy.get(row.id) ?? [],
          checks: checksBy.get(`${row.repository_lc}|${row.head_sha}`) ?? [],
          pushes: (pushesBy.get(`${row.repository_lc}|${row.head_ref}`) ?? []).filter(
            (x) => x.at >= row.opened_at,
          ),
          first_commit_at: branch?.first_commit_at ?? null,
          deployed_at: deployed.get(row.id) ?? null,
        },
        options,
      );
      out.push({ row, m });
    }
    return out;
  }

  function prView({ row, m }: { row: PullRequestRow; m: PrMeasures }): WorkflowPullRequest {
    const responses = [...m.response_seconds].sort((a, b) => a - b);
    return {
      id: row.id,
      service_id: row.service_id,
      repository: row.repository,
      number: Number(row.number),
      title: row.title,
      author: row.author,
      url: row.url,
      state: row.state as WorkflowPullRequest['state'],
      draft: row.draft === 1,
      additions: Number(row.additions),
      deletions: Number(row.deletions),
      changed_files: Number(row.changed_files),
      size_lines: m.size_lines,
      small: m.small,
      directories_touched: row.directories_touched === null ? null : Number(row.directories_touched),
      tests_touched: row.tests_touched === null ? null : Number(row.tests_touched) === 1,
      code_without_tests:
        row.code_changed === null ? null : Number(row.code_changed) === 1 && Number(row.tests_touched) !== 1,
      opened_at: row.opened_at,
      review_start_at: m.review_start_at,
      first_review_at: m.first_review_at,
      first_reviewer: m.first_reviewer,
      approved_at: m.approved_at,
      merged_at: row.merged_at,
      closed_at: row.closed_at,
      review_time_seconds: m.review_time_seconds,
      approve_time_seconds: m.approve_time_seconds,
      merge_time_seconds: m.merge_time_seconds,
      within_review_target: m.within_review_target,
      waiting_for_review: m.waiting_for_review,
      waiting_since: m.waiting_since,
      pending_reviewers: m.pending_reviewers,
      merged_without_review: m.merged_without_review,
      merged_without_ci: m.merged_without_ci,
      description: m.description,
      self_reviewed: m.self_reviewed,
      response_time_seconds: stats(responses).median_seconds,
      cycle: m.cycle,
    };
  }

  async function branchViews(rows: BranchRow[], p: Policy): Promise<WorkflowBranch[]> {
    const merged = await repo.mergedByHead(db, [...new Set(rows.map((r) => r.name))]);
    return rows.map((b) => {
      const start = b.first_commit_at ?? b.created_at;
      const mergedAt =
        merged
          .filter(
            (m) =>
              m.repository_lc === b.repository_lc &&
              m.head_ref === b.name &&
              m.merged_at &&
              (!start || m.merged_at >= start),
          )
          .map((m) => m.merged_at!)
          .sort()[0] ?? null;
      const m = measureBranch(
        {
          name: b.name,
          owner: b.owner,
          created_at: b.created_at,
          first_commit_at: b.first_commit_at,
          merged_at: mergedAt,
          deleted_at: b.deleted_at,
        },
        { now: now(), max_age_hours: p.code_review.branch_max_age_hours },
      );
      return {
        id: b.id,
        service_id: b.service_id,
        repository: b.repository,
        name: b.name,
        owner: b.owner,
        created_at: b.created_at,
        first_commit_at: b.first_commit_at,
        last_push_at: b.last_push_at,
        merged_at: mergedAt,
        deleted_at: b.deleted_at,
        open: m.open,
        age_seconds: m.age_seconds,
        long_lived: m.long_lived,
        push_count: Number(b.push_count),
        force_push_count: Number(b.force_push_count),
      };
    });
  }

  async function pullRequests(q: WorkflowPullRequestsQuery, principal: Principal, authorize: Authorize) {
    const serviceIds = await resolveScope(q, principal, authorize);
    const waiting = bool(q.waiting);
    // The waiting queue is every open PR, whenever it was opened.
    const window = waiting ? { from: undefined, to: undefined } : windowOf(q);
    const rows = await repo.listPrs(
      db,
      {
        serviceIds,
        repository: q.repository,
        ...window,
        state: waiting ? 'open' : q.state,
        author: q.author,
      },
      q.limit,
    );
    const items = (await measureRows(db, rows)).map(prView);
    return { items: waiting === undefined ? items : items.filter((i) => i.waiting_for_review === waiting) };
  }

  async function nudgeRecipients(
    row: PullRequestRow,
    m: PrMeasures,
    stage: 'reviewers' | 'team',
  ): Promise<string[]> {
    const emails = new Set<string>();
    const authorIdentity = await repo.identity(db, row.provider, row.author);
    const owningTeam = async () => {
      const service = await catalog.getService(row.service_id);
      for (const member of await catalog.listMembers(service.team_id))
        if (member.user_id !== authorIdentity?.user_id && !member.disabled) emails.add(member.email);
    };
    const person = async (login: string) => {
      const identity = await repo.identity(db, row.provider, login);
      if (!identity || identity.user_id === authorIdentity?.user_id) return;
      const user = await catalog.getUser(identity.user_id).catch(() => undefined);
      if (user && !user.disabled) emails.add(user.email);
    };
    if (stage === 'reviewers') {
      for (const login of m.pending_reviewers) {
        if (!login.startsWith('team:')) {
          await person(login);
          continue;
        }
        // A review requested from a GitHub team (CODEOWNERS often does this): its members, read
        // from GitHub; without GitHub settings (or access), the service's owning team stands in.
        const org = row.repository.split('/')[0] ?? '';
        const logins =
          row.provider === 'github' && deps.githubTeamMembers
            ? await deps.githubTeamMembers(org, login.slice('team:'.length))
            : null;
        if (logins) for (const member of logins) await person(member);
        else await owningTeam();
      }
    } else await owningTeam();
    return [...emails].sort();
  }

  /** Schedules the nudges of a PR waiting for review (one job per threshold and waiting period). */
  async function scheduleNudges(prId: string): Promise<void> {
    const row = await repo.prById(db, prId);
    if (row?.state !== 'open' || row.draft === 1) return;
    const [{ m }] = (await measureRows(db, [row])) as [{ row: PullRequestRow; m: PrMeasures }];
    if (!m.waiting_since) return;
    const p = await policy.current();
    const target = p.code_review.review_target_hours * 3_600_000;
    for (const [stage, share] of [
      ['reviewers', p.workflow.nudge_reviewers_at_share],
      ['team', p.workflow.nudge_team_at_share],
    ] as const) {
      // With business hours on, the share of the target is working time in the team's zone.
      const options = await optionsFor(p, row.service_id);
      const due = options.business_hours
        ? addBusinessSeconds(options.business_hours, Date.parse(m.waiting_since), (share * target) / 1000)
        : Date.parse(m.waiting_since) + share * target;
      await jobs.enqueue(db, {
        kind: NUDGE_JOB,
        payload: { pr_id: prId, stage, waiting_since: m.waiting_since },
        runAt: new Date(Math.max(due, clock.now().getTime())),
        dedupeKey: `workflow-nudge:${prId}:${stage}:${m.waiting_since}`,
        maxAttempts: 5,
      });
    }
  }

  /** Sends one nudge if the PR still waits since the same moment; never twice for a threshold. */
  async function nudge(prId: string, stage: 'reviewers' | 'team', waitingSince: string): Promise<number> {
    const row = await repo.prById(db, prId);
    if (row?.state !== 'open' || row.draft === 1 || !notifier.isConfigured('email')) return 0;
    const [{ m }] = (await measureRows(db, [row])) as [{ row: PullRequestRow; m: PrMeasures }];
    if (m.waiting_since !== waitingSince) return 0;
    const key = `${stage}@${waitingSince}`;
    if (await repo.nudgeSent(db, prId, key)) return 0;
    const recipients = await nudgeRecipients(row, m, stage);
    const p = await policy.current();
    const hours = p.code_review.review_target_hours;
    const waited = Math.round((clock.now().getTime() - Date.parse(waitingSince)) / 360_000) / 10;
    const subject =
      stage === 'team'
        ? `Review overdue: ${row.repository}#${row.number} ${row.title}`
        : `Review waiting: ${row.repository}#${row.number} ${row.title}`;
    const text = [
      `${row.repository}#${row.number} "${row.title}" by ${row.author} has waited ${waited} h for review (target ${hours} h).`,
      m.pending_reviewers.length
        ? `Requested reviewers: ${m.pending_reviewers.join(', ')}.`
        : 'No reviewer is requested.',
      ...(row.url ? [`Review it: ${row.url}`] : []),
      `Queue: ${deps.baseUrl()}/workflow`,
    ].join('\n');
    await db.transaction().execute(async (tx) => {
      await repo.recordNudge(tx, {
        pr_id: prId,
        stage: key,
        waiting_since: waitingSince,
        recipients: recipients.length,
        sent_at: now(),
      });
      for (const target of recipients)
        await notifier.send(tx, {
          channel: 'email',
          target,
          subject,
          text,
          source: `workflow:${prId}`,
          data: { pull_request_id: prId, stage },
        });
    });
    return recipients.length;
  }

  deps.worker?.register(NUDGE_PLAN_JOB, async (job) => {
    await scheduleNudges((job.payload as { pr_id: string }).pr_id);
  });

  deps.worker?.register(NUDGE_JOB, async (job) => {
    const { pr_id, stage, waiting_since } = job.payload as {
      pr_id: string;
      stage: 'reviewers' | 'team';
      waiting_since: string;
    };
    try {
      await nudge(pr_id, stage, waiting_since);
    } catch (error) {
      // Another worker recorded the same nudge first: nothing more to do.
      if (await repo.nudgeSent(db, pr_id, `${stage}@${waiting_since}`)) return;
      throw error;
    }
  });

  return {
    scheduleNudges,
    nudge,
    /** For the ingest transaction: plan the nudges of a changed pull request once it commits. */
    planNudges: (tx: Db, prId: string) =>
      jobs.enqueue(tx, { kind: NUDGE_PLAN_JOB, payload: { pr_id: prId } }).then(() => {}),
    pullRequests,

    async reviews(
      q: WorkflowReviewsQuery,
      principal: Principal,
      authorize: Authorize,
    ): Promise<{ items: WorkflowReview[] }> {
      const serviceIds = await resolveScope(q, principal, authorize);
      const rows = await repo.listReviews(
        db,
        { serviceIds, repository: q.repository, ...windowOf(q), reviewer: q.reviewer },
        q.limit,
      );
      return {
        items: rows.map((r) => ({
          id: r.id,
          pull_request_id: r.pr_id,
          repository: r.repository,
          number: Number(r.number),
          title: r.title,
          author: r.author,
          reviewer: r.reviewer,
          state: r.state,
          submitted_at: r.submitted_at,
          dismissed_at: r.dismissed_at,
        })),
      };
    },

    async branches(
      q: WorkflowBranchesQuery,
      principal: Principal,
      authorize: Authorize,
    ): Promise<{ items: WorkflowBranch[] }> {
      const serviceIds = await resolveScope(q, principal, authorize);
      const p = await policy.current();
      const rows = await repo.listBranches(
        db,
        { serviceIds, repository: q.repository, ...windowOf(q) },
        q.limit,
      );
      const items = await branchViews(rows, p);
      const longLived = bool(q.long_lived);
      return { items: longLived === undefined ? items : items.filter((b) => b.long_lived === longLived) };
    },

    async summary(q: WorkflowQuery, principal: Principal, authorize: Authorize): Promise<WorkflowSummary> {
      const serviceIds = await resolveScope(q, principal, authorize);
      const window = windowOf(q);
      const p = await policy.current();
      const rows = await repo.listPrs(db, { serviceIds, repository: q.repository, ...window }, 100_000);
      const measured = await measureRows(db, rows);
      const items = measured.map(prView);
      const openRows = await repo.listPrs(
        db,
        { serviceIds, repository: q.repository, state: 'open' },
        10_000,
      );
      const waiting = (await measureRows(db, openRows))
        .map(prView)
        .filter((i) => i.waiting_for_review)
        .sort((a, b) => (a.waiting_since ?? '').localeCompare(b.waiting_since ?? ''));
      const values = (pick: (i: WorkflowPullRequest) => number | null) =>
        items.map(pick).filter((v): v is number => v !== null);
      const reviewed = items.filter((i) => i.within_review_target !== null && i.first_review_at !== null);
      const merged = items.filter((i) => i.state === 'merged');
      const withoutCi = merged.filter((i) => i.merged_without_ci);
      const withoutReview = merged.filter((i) => i.merged_without_review);
      const allResponses = measured.flatMap(({ m }) => m.response_seconds);
      const branchRows = await repo.listBranches(
        db,
        { serviceIds, repository: q.repository, ...window },
        10_000,
      );
      const branches = await branchViews(branchRows, p);
      const closedLifetimes = branches
        .filter((b) => !b.open && b.age_seconds !== null)
        .map((b) => b.age_seconds!);

      // Workflow fit per team of the services in scope.
      const services = (await allServices()).filter((s) => !serviceIds || serviceIds.includes(s.id));
      const byTeam = new Map<string, Service[]>();
      for (const s of services) byTeam.set(s.team_id, [...(byTeam.get(s.team_id) ?? []), s]);
      const fit: WorkflowSummary['workflow_fit'] = [];
      for (const [teamId, teamServices] of byTeam) {
        const ids = teamServices.map((s) => s.id);
        const pushes = await repo.defaultBranchPushes(db, ids, window.from, window.to);
        const mergedShas = new Set(
          (await repo.mergedShas(db, ids))
            .flatMap((r) => [r.head_sha, r.merge_commit_sha])
            .filter((s): s is string => !!s),
        );
        const direct = pushes.filter((x) => !mergedShas.has(x.after_sha)).length;
        const teamBranches = branches.filter(
          (b) => ids.includes(b.service_id) && !b.open && b.age_seconds !== null,
        );
        if (
          pushes.length === 0 &&
          teamBranches.length === 0 &&
          !items.some((i) => ids.includes(i.service_id))
        )
          continue;
        const team = await catalog.getTeam(teamId);
        fit.push({
          team_id: teamId,
          team_name: team.name,
          team_size: team.member_count,
          ...workflowFit({
            team_size: team.member_count,
            small_team_max_size: p.workflow.small_team_max_size,
            default_branch_pushes: pushes.length,
            direct_pushes: direct,
          }),
          median_branch_lifetime_seconds: stats(teamBranches.map((b) => b.age_seconds!)).median_seconds,
        });
      }

      return {
        window,
        targets: {
          review_target_hours: p.code_review.review_target_hours,
          branch_max_age_hours: p.code_review.branch_max_age_hours,
          small_pr_max_lines: p.code_review.small_pr_max_lines,
          business_hours: p.workflow.business_hours.enabled,
        },
        pull_requests: {
          opened: items.length,
          merged: merged.length,
          open: items.filter((i) => i.state === 'open').length,
        },
        review_time: stats(values((i) => i.review_time_seconds)),
        approve_time: stats(values((i) => i.approve_time_seconds)),
        merge_time: stats(values((i) => i.merge_time_seconds)),
        within_review_target: {
          reviewed: reviewed.length,
          within: reviewed.filter((i) => i.within_review_target).length,
          share: reviewed.length
            ? reviewed.filter((i) => i.within_review_target).length / reviewed.length
            : null,
        },
        cycle_time: {
          coding: stats(values((i) => i.cycle.coding_seconds)),
          pickup: stats(values((i) => i.cycle.pickup_seconds)),
          review: stats(values((i) => i.cycle.review_seconds)),
          deploy: stats(values((i) => i.cycle.deploy_seconds)),
        },
        // Pull requests without a known size (GitLab diffs not read yet, or no token) are left out.
        size: sizeDistribution(
          items.filter((i) => i.changed_files > 0).map((i) => i.size_lines),
          p.code_review.small_pr_max_lines,
        ),
        merged_without_ci: { count: withoutCi.length, items: withoutCi.slice(0, 100) },
        merged_without_review: { count: withoutReview.length, items: withoutReview.slice(0, 100) },
        code_without_tests: {
          count: items.filter((i) => i.code_without_tests).length,
          items: items.filter((i) => i.code_without_tests).slice(0, 100),
        },
        descriptions_flagged: items.filter((i) => i.description !== 'ok').length,
        self_reviewed_share: items.length ? items.filter((i) => i.self_reviewed).length / items.length : null,
        response_time: stats(allResponses),
        waiting_for_review: waiting.slice(0, 200),
        branches: {
          lifetime: stats(closedLifetimes),
          long_lived: branches.filter((b) => b.long_lived).slice(0, 200),
        },
        workflow_fit: fit,
        people: byPerson(
          measured.map(({ row, m }) => ({
            author: row.author,
            state: row.state,
            size_lines: m.size_lines,
            changed_files: Number(row.changed_files),
            review_time_seconds: m.review_time_seconds,
            self_reviewed: m.self_reviewed,
            response_seconds: m.response_seconds,
            first_reviewer: m.first_reviewer,
          })),
        ),
      };
    },

    /** The audit entry of one imported delivery, in its transaction. */
    auditImport(tx: Db, ctx: AuditContext, deliveryId: string, detail: string) {
      return audit.record(tx, ctx, {
        action: 'workflow.import',
        targetType: 'workflow_delivery',
        targetId: deliveryId,
        after: { detail },
      });
    },

    // ---- code-host logins of engops users (who gets the reviewer nudges)

    async identities() {
      return { items: await repo.identities(db) };
    },
    async setIdentity(
      ctx: AuditContext,
      input: { provider: 'github' | 'gitlab'; login: string; user_id: string },
    ) {
      await catalog.getUser(input.user_id).catch((error: unknown) => {
        if (!(error instanceof AppError) || error.code !== 'CATALOG_USER_NOT_FOUND') throw error;
        throw new AppError('CATALOG_USER_NOT_FOUND', `No person has id ${input.user_id}.`, {
          errors: [{ path: 'body.user_id', message: 'no such person' }],
        });
      });
      return db.transaction().execute(async (tx) => {
        const before = await repo.identity(tx, input.provider, input.login);
        const row = { ...input, login: input.login.toLowerCase(), created_at: before?.created_at ?? now() };
        await repo.putIdentity(tx, row);
        await audit.record(tx, ctx, {
          action: 'workflow.identity.set',
          targetType: 'workflow_identity',
          targetId: `${input.provider}:${row.login}`,
          before: before ?? null,
          after: row,
        });
        return row;
      });
    },
    async deleteIdentity(ctx: AuditContext, provider: 'github' | 'gitlab', login: string) {
      await db.transaction().execute(async (tx) => {
        const before = await repo.identity(tx, provider, login);
        if (!before) return;
        await repo.deleteIdentity(tx, provider, login);
        await audit.record(tx, ctx, {
          action: 'workflow.identity.delete',
          targetType: 'workflow_identity',
          targetId: `${provider}:${before.login}`,
          before,
        });
      });
    },
  };
}

export type WorkflowService = ReturnType<typeof createWorkflowService>;
