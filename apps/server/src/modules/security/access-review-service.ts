import { createHash } from 'node:crypto';
import type { Campaign, ReviewItem } from '@engops/contracts';
import type { Db } from '../../db/database.ts';
import { can, type Principal, systemPrincipal } from '../../platform/access/permissions.ts';
import type { AuditContext } from '../../platform/audit.ts';
import { AppError, isUniqueViolation } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { CampaignRow, ReviewItemRow } from './kysely-security-repository.ts';
import { allOf, allTeams, allUsers, type SecurityContext } from './security-deps.ts';
import { addDays, staleGrantReason, staleTokenReason, toCsv } from './security-rules.ts';
import { lastActivity } from './user-activity.ts';

/** A live grant as a review freezes it. */
type Grant = Pick<
  ReviewItemRow,
  'kind' | 'subject_id' | 'subject_name' | 'team_id' | 'team_name' | 'role' | 'last_used_at' | 'stale_reason'
>;
export type StaleGrant = Grant & { stale_reason: string };

export const REVIEW_REMINDER_JOB = 'security.access_review.reminder';
/** The recurring job that opens the next scheduled campaign when it is due. */
export const REVIEW_SCHEDULE_JOB = 'security.access_review.schedule';
const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;
/** Days after the due date (and the admins' escalation) that an open campaign is closed by its policy. */
export const AUTO_CLOSE_DAYS = 7;

/** A scheduled campaign's id comes from its due time, so two runs of one occurrence open one campaign. */
export const scheduledCampaignId = (due: Date) =>
  `arc_scheduled_${due.toISOString().replace(/[-:.]/g, '').slice(0, 15)}`;
const scheduleKey = (due: Date) => `security:access-review:schedule:${due.toISOString()}`;

/** May `principal` decide on this item? Team grants: managers of that team; org roles and tokens: admins. */
export function canReview(principal: Principal, item: Pick<ReviewItemRow, 'kind' | 'team_id'>): boolean {
  if ((item.kind === 'team_role' || item.kind === 'system_grant') && item.team_id)
    return can(principal, 'security.review', item.team_id);
  return can(principal, 'security.manage');
}

/**
 * Access review campaigns over engops' own grants: org roles, team roles and API tokens, frozen
 * when the campaign starts. Reviewers certify or revoke each with a note; a revoke takes the access
 * away at once (any revoke wins); closing handles what nobody reviewed by the campaign's policy.
 */
export function createAccessReviewService(ctx: SecurityContext) {
  const { db, clock, audit, repo, catalog, access, policy, signer, jobs, notifier } = ctx;
  const now = () => clock.now().toISOString();

  function itemView(r: ReviewItemRow): ReviewItem {
    return {
      id: r.id,
      campaign_id: r.campaign_id,
      kind: r.kind as ReviewItem['kind'],
      subject_id: r.subject_id,
      subject_name: r.subject_name,
      team_id: r.team_id,
      team_name: r.team_name,
      role: r.role,
      last_used_at: r.last_used_at,
      stale: r.stale_reason !== null,
      stale_reason: r.stale_reason,
      decision: r.decision as ReviewItem['decision'],
      note: r.note,
      decided_by: r.decided_by,
      decided_at: r.decided_at,
      outcome: r.outcome as ReviewItem['outcome'],
    };
  }

  function campaignView(c: CampaignRow, items: ReviewItemRow[]): Campaign {
    return {
      id: c.id,
      name: c.name,
      status: c.status as Campaign['status'],
      close_policy: c.close_policy as Campaign['close_policy'],
      started_at: c.started_at,
      due_at: c.due_at,
      closed_at: c.closed_at,
      created_by: c.created_by,
      total: items.length,
      reviewed: items.filter((i) => i.decision !== null).length,
      revoked: items.filter((i) => i.outcome === 'revoked' || i.outcome === 'revoked_on_close').length,
      stale: items.filter((i) => i.stale_reason !== null).length,
    };
  }

  async function mustCampaign(tx: Db, id: string): Promise<CampaignRow> {
    const row = await repo.getCampaign(tx, id);
    if (!row) throw new AppError('SECURITY_CAMPAIGN_NOT_FOUND');
    return row;
  }

  /** Takes the grant away through the module that owns it (each audits its own change). */
  async function revokeGrant(actx: AuditContext, item: ReviewItemRow): Promise<void> {
    if (item.kind === 'token') {
      await access.revokeToken(actx, item.subject_id).catch((e: unknown) => {
        if (!(e instanceof AppError && e.code === 'TOKENS_NOT_FOUND')) throw e;
      });
    } else if (item.kind === 'team_role' && item.team_id) {
      await catalog.removeMember(actx, item.team_id, item.subject_id).catch((e: unknown) => {
        if (
          !(
            e instanceof AppError &&
            (e.code === 'CATALOG_USER_NOT_FOUND' || e.code === 'CATALOG_TEAM_NOT_FOUND')
          )
        )
          throw e;
      });
    } else if (item.kind === 'system_grant') {
      // engops cannot reach into the other system: the register marks it removed for its owners.
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('access_register')
          .set({
            removed_at: now(),
            removed_by: actx.principal.name,
            removal_note: `revoked in access review ${item.campaign_id}`,
          })
          .where('id', '=', item.subject_id)
          .where('removed_at', 'is', null)
          .execute();
        await audit.record(tx, actx, {
          action: 'security.access_register.revoke',
          targetType: 'access_register',
          targetId: item.subject_id,
          teamId: item.team_id,
          after: { subject: item.subject_name, access: item.role },
        });
      });
    } else if (item.kind === 'org_role') {
      const user = await catalog.getUser(item.subject_id).catch(() => undefined);
      // Only the role under review: a role changed since the campaign started is left alone.
      if (user && user.role === item.role) await catalog.updateUser(actx, item.subject_id, { role: null });
    }
  }

  async function reviewerEmails(campaignId: string): Promise<string[]> {
    const items = (await repo.itemsOf(db, campaignId)).filter((i) => i.outcome === 'pending');
    const users = await allUsers(catalog);
    const emails = new Set<string>();
    const byTeam = (i: ReviewItemRow) =>
      (i.kind === 'team_role' || i.kind === 'system_grant') && i.team_id !== null;
    if (items.some((i) => !byTeam(i)))
      for (const u of users) if (u.role === 'admin' && !u.disabled) emails.add(u.email);
    const teams = new Set(items.filter(byTeam).map((i) => i.team_id!));
    for (const u of users) {
      if (u.disabled) continue;
      if (u.role === 'admin' && teams.size > 0) emails.add(u.email);
      if (u.teams.some((t) => teams.has(t.team_id) && t.role === 'manager')) emails.add(u.email);
    }
    return [...emails].sort();
  }

  ctx.worker?.register(REVIEW_REMINDER_JOB, async (job) => {
    const { campaign_id, stage } = job.payload as {
      campaign_id: string;
      stage: 'reminder' | 'escalation' | 'close';
    };
    const campaign = await repo.getCampaign(db, campaign_id);
    if (stage === 'close') {
      // Nobody closed it after the escalation: the campaign's policy handles what is still pending.
      if (campaign?.status === 'open')
        await service.close({ principal: systemPrincipal }, campaign_id).catch((e: unknown) => {
          if (!(e instanceof AppError && e.code === 'SECURITY_CAMPAIGN_CLOSED')) throw e;
        });
      return;
    }
    if (campaign?.status !== 'open' || !notifier.isConfigured('email')) return;
    const pending = (await repo.itemsOf(db, campaign_id)).filter((i) => i.outcome === 'pending');
    if (pending.length === 0) return;
    const recipients =
      stage === 'escalation'
        ? (await allUsers(catalog)).filter((u) => u.role === 'admin' && !u.disabled).map((u) => u.email)
        : await reviewerEmails(campaign_id);
    const link = `${ctx.baseUrl()}/security/access-reviews/${campaign.id}`;
    const subject =
      stage === 'escalation'
        ? `Access review overdue: ${campaign.name} (${pending.length} unreviewed)`
        : `Access review due ${campaign.due_at.slice(0, 10)}: ${campaign.name}`;
    const text = [
      stage === 'escalation'
        ? `The access review "${campaign.name}" was due at ${campaign.due_at}; ${pending.length} grant(s) are still unreviewed. Closing it will ${campaign.close_policy === 'revoke' ? 'revoke' : 'keep'} them; engops closes it on ${addDays(campaign.due_at, AUTO_CLOSE_DAYS)} if nobody does before.`
        : `The access review "${campaign.name}" is due at ${campaign.due_at}; ${pending.length} grant(s) wait for a decision.`,
      `Review here: ${link}`,
    ].join('\n');
    await db.transaction().execute(async (tx) => {
      for (const target of recipients) {
        await notifier.send(tx, {
          channel: 'email',
          target,
          subject,
          text,
          source: `access-review:${campaign.id}`,
          data: { campaign_id: campaign.id, stage },
        });
      }
    });
  });

  async function latestCampaignStart(): Promise<number | null> {
    const row = await db
      .selectFrom('access_review_campaigns')
      .select('started_at')
      .orderBy('started_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? Date.parse(row.started_at) : null;
  }

  /** Queues the occurrence due at `due` (idempotent: one job per due time). */
  const scheduleAt = (due: Date) =>
    jobs.enqueue(db, {
      kind: REVIEW_SCHEDULE_JOB,
      payload: { due_at: due.toISOString() },
      runAt: due,
      dedupeKey: scheduleKey(due),
    });

  /**
   * One occurrence of the schedule. The next occurrence is queued first (so a failing run, retried
   * by the queue, never ends the series); a campaign started within the current period (by hand, or
   * by an earlier run of this very occurrence) moves the schedule instead of opening another one.
   */
  ctx.worker?.register(REVIEW_SCHEDULE_JOB, async (job) => {
    const due = new Date(String((job.payload as { due_at?: unknown } | null)?.due_at ?? job.runAt));
    const settings = (await policy.current()).security;
    const period = settings.access_review_interval_days * DAY_MS;
    const latest = await latestCampaignStart();
    if (latest !== null && latest > due.getTime() - period) {
      await scheduleAt(new Date(latest + period));
      return;
    }
    await scheduleAt(new Date(due.getTime() + period));
    if (!settings.access_review_scheduled) return;
    try {
      await service.start(
        { principal: systemPrincipal },
        {
          name: `Scheduled access review ${due.toISOString().slice(0, 10)}`,
          close_policy: settings.access_review_close_policy,
        },
        { id: scheduledCampaignId(due) },
      );
    } catch (error) {
      // Another worker opened this occurrence's campaign first.
      if (!(isUniqueViolation(error) && (await repo.getCampaign(db, scheduledCampaignId(due))))) throw error;
    }
  });

  async function detail(id: string, principal: Principal) {
    const campaign = await mustCampaign(db, id);
    const items = await repo.itemsOf(db, id);
    const visible = items.filter((i) => canReview(principal, i));
    return { ...campaignView(campaign, items), items: visible.map(itemView) };
  }

  /**
   * Every live grant right now, with its last use and why it is stale: each user's org role and
   * team roles (last use: the person's last sign-in or session use, or use of a token they
   * created), each live API token, and each grant in the access register.
   */
  async function currentGrants(staleDays: number): Promise<Grant[]> {
    const [users, teams, tokens, activity] = await Promise.all([
      allUsers(catalog),
      allTeams(catalog),
      allOf((p) => access.listTokens(p)),
      lastActivity(db),
    ]);
    const at = clock.now();
    const iso = at.toISOString();
    const teamName = new Map(teams.map((t) => [t.id, t.name]));
    const grants: Grant[] = [];
    for (const u of users) {
      if (u.disabled) continue;
      const who = `${u.name} <${u.email}>`;
      const last = activity.get(u.id) ?? null;
      const stale = staleGrantReason(u, last, at, staleDays);
      if (u.role)
        grants.push({
          kind: 'org_role',
          subject_id: u.id,
          subject_name: who,
          team_id: null,
          team_name: null,
          role: u.role,
          last_used_at: last,
          stale_reason: stale,
        });
      for (const t of u.teams)
        grants.push({
          kind: 'team_role',
          subject_id: u.id,
          subject_name: who,
          team_id: t.team_id,
          team_name: teamName.get(t.team_id) ?? null,
          role: t.role,
          last_used_at: last,
          stale_reason: stale,
        });
    }
    for (const t of tokens) {
      if (t.revoked_at || (t.expires_at && t.expires_at <= iso)) continue;
      grants.push({
        kind: 'token',
        subject_id: t.id,
        subject_name: t.prefix ? `${t.name} (${t.prefix}…)` : t.name,
        team_id: t.team_id,
        team_name: t.team_id ? (teamName.get(t.team_id) ?? null) : null,
        role: t.role,
        last_used_at: t.last_used_at,
        stale_reason: staleTokenReason(t, at, staleDays),
      });
    }
    const register = await db
      .selectFrom('access_register')
      .selectAll()
      .where('removed_at', 'is', null)
      .execute();
    const limit = at.getTime() - staleDays * DAY_MS;
    for (const g of register)
      grants.push({
        kind: 'system_grant',
        subject_id: g.id,
        subject_name: `${g.person}${g.email ? ` <${g.email}>` : ''} on ${g.system}`,
        team_id: g.owner_team_id,
        team_name: g.owner_team_id ? (teamName.get(g.owner_team_id) ?? null) : null,
        role: g.access,
        last_used_at: g.last_used_at,
        stale_reason:
          g.last_used_at && Date.parse(g.last_used_at) <= limit
            ? `unused since ${g.last_used_at.slice(0, 10)}`
            : null,
      });
    return grants;
  }

  const service = {
    /** The grants flagged stale right now (live, not frozen in a campaign). */
    async staleGrants(): Promise<StaleGrant[]> {
      const days = (await policy.current()).security.stale_access_days;
      return (await currentGrants(days)).filter((g): g is StaleGrant => g.stale_reason !== null);
    },

    /**
     * Puts the schedule's next occurrence in the job queue unless one is already there: a period
     * after the latest campaign, or after now when there is none yet.
     */
    async startSchedule() {
      // Campaigns opened before they were closed on their own get their close job (idempotent).
      for (const c of await repo.listCampaigns(db))
        if (c.status === 'open')
          await jobs.enqueue(db, {
            kind: REVIEW_REMINDER_JOB,
            payload: { campaign_id: c.id, stage: 'close' },
            runAt: new Date(Date.parse(c.due_at) + AUTO_CLOSE_DAYS * DAY_MS),
            dedupeKey: `access-review:${c.id}:close`,
          });
      const queued = await db
        .selectFrom('jobs')
        .select('id')
        .where('kind', '=', REVIEW_SCHEDULE_JOB)
        .where('status', 'in', ['pending', 'running'])
        .executeTakeFirst();
      if (queued) return;
      const period = (await policy.current()).security.access_review_interval_days * DAY_MS;
      const latest = await latestCampaignStart();
      const at = clock.now().getTime();
      await scheduleAt(new Date(Math.max(at, (latest ?? at) + period)));
    },

    async start(
      actx: AuditContext,
      input: { name?: string | undefined; due_at?: string | undefined; close_policy: 'revoke' | 'keep' },
      options: { id?: string } = {},
    ) {
      const settings = (await policy.current()).security;
      const at = now();
      const dueAt = input.due_at
        ? new Date(input.due_at).toISOString()
        : addDays(at, settings.access_review_duration_days);
      if (dueAt <= at) {
        throw new AppError('HTTP_VALIDATION_FAILED', 'A review cannot be due in the past.', {
          errors: [{ path: 'body.due_at', message: 'must be in the future' }],
        });
      }
      const grants = await currentGrants(settings.stale_access_days);
      const campaign: CampaignRow = {
        id: options.id ?? newId('arc'),
        name: input.name ?? `Access review ${at.slice(0, 10)}`,
        status: 'open',
        close_policy: input.close_policy,
        started_at: at,
        due_at: dueAt,
        closed_at: null,
        created_by: actx.principal.name,
      };
      const items: ReviewItemRow[] = grants.map((g) => ({
        ...g,
        id: newId('ari'),
        campaign_id: campaign.id,
        decision: null,
        note: null,
        decided_by: null,
        decided_at: null,
        outcome: 'pending',
      }));
      await db.transaction().execute(async (tx) => {
        await repo.insertCampaign(tx, campaign);
        await repo.insertItems(tx, items);
        const dueMs = Date.parse(dueAt);
        await jobs.enqueue(tx, {
          kind: REVIEW_REMINDER_JOB,
          payload: { campaign_id: campaign.id, stage: 'reminder' },
          runAt: new Date(Math.max(dueMs - 48 * HOUR_MS, clock.now().getTime())),
          dedupeKey: `access-review:${campaign.id}:reminder`,
        });
        await jobs.enqueue(tx, {
          kind: REVIEW_REMINDER_JOB,
          payload: { campaign_id: campaign.id, stage: 'escalation' },
          runAt: new Date(dueMs),
          dedupeKey: `access-review:${campaign.id}:escalation`,
        });
        await jobs.enqueue(tx, {
          kind: REVIEW_REMINDER_JOB,
          payload: { campaign_id: campaign.id, stage: 'close' },
          runAt: new Date(dueMs + AUTO_CLOSE_DAYS * DAY_MS),
          dedupeKey: `access-review:${campaign.id}:close`,
        });
        await audit.record(tx, actx, {
          action: 'security.access_review.start',
          targetType: 'access_review',
          targetId: campaign.id,
          after: {
            name: campaign.name,
            due_at: dueAt,
            close_policy: campaign.close_policy,
            items: items.length,
          },
        });
      });
      return { ...campaignView(campaign, items), items: items.map(itemView) };
    },

    async list(): Promise<Campaign[]> {
      const out: Campaign[] = [];
      for (const c of await repo.listCampaigns(db)) out.push(campaignView(c, await repo.itemsOf(db, c.id)));
      return out;
    },

    detail,

    async decide(
      actx: AuditContext,
      campaignId: string,
      itemId: string,
      input: { decision: 'certify' | 'revoke'; note: string },
    ) {
      const campaign = await mustCampaign(db, campaignId);
      const item = await repo.getItem(db, campaignId, itemId);
      if (!item)
        throw new AppError('SECURITY_CAMPAIGN_NOT_FOUND', `Campaign ${campaignId} has no item ${itemId}.`);
      if (!canReview(actx.principal, item))
        throw new AppError(
          'AUTH_FORBIDDEN',
          item.kind === 'team_role'
            ? 'Only managers of the team (or admins) review its grants.'
            : 'Only admins review org roles and tokens.',
        );
      if (campaign.status !== 'open') throw new AppError('SECURITY_CAMPAIGN_CLOSED');
      if (item.outcome === 'revoked') {
        if (input.decision === 'certify') throw new AppError('SECURITY_GRANT_REVOKED');
        return itemView(item);
      }
      if (input.decision === 'revoke') await revokeGrant(actx, item);
      const patch = {
        decision: input.decision,
        note: input.note,
        decided_by: actx.principal.name,
        decided_at: now(),
        outcome: input.decision === 'revoke' ? 'revoked' : 'kept',
      };
      await db.transaction().execute(async (tx) => {
        await repo.updateItem(tx, item.id, patch);
        await audit.record(tx, actx, {
          action: `security.access_review.${input.decision}`,
          targetType: 'access_review',
          targetId: campaign.id,
          teamId: item.team_id,
          before: { item_id: item.id, decision: item.decision, outcome: item.outcome },
          after: { item_id: item.id, kind: item.kind, subject: item.subject_name, role: item.role, ...patch },
        });
      });
      return itemView({ ...item, ...patch });
    },

    async close(actx: AuditContext, campaignId: string) {
      const campaign = await mustCampaign(db, campaignId);
      if (campaign.status !== 'open') throw new AppError('SECURITY_CAMPAIGN_CLOSED');
      const pending = (await repo.itemsOf(db, campaignId)).filter((i) => i.outcome === 'pending');
      const outcome = campaign.close_policy === 'revoke' ? 'revoked_on_close' : 'kept_on_close';
      const outcomes = new Map<string, string>();
      if (campaign.close_policy === 'revoke')
        for (const item of pending) {
          try {
            await revokeGrant(actx, item);
            outcomes.set(item.id, outcome);
          } catch (error) {
            // The organisation's last admin keeps the role: closing must not lock everyone out.
            if (!(error instanceof AppError && error.code === 'CATALOG_LAST_ADMIN')) throw error;
            outcomes.set(item.id, 'kept_on_close');
          }
        }
      await db.transaction().execute(async (tx) => {
        for (const item of pending)
          await repo.updateItem(tx, item.id, { outcome: outcomes.get(item.id) ?? outcome });
        await repo.updateCampaign(tx, campaignId, { status: 'closed', closed_at: now() });
        await audit.record(tx, actx, {
          action: 'security.access_review.close',
          targetType: 'access_review',
          targetId: campaignId,
          before: { status: 'open' },
          after: { status: 'closed', unreviewed: pending.length, unreviewed_outcome: outcome },
        });
      });
      return detail(campaignId, actx.principal);
    },

    /** The evidence: every item with its decision, signed so a later copy can be checked. */
    async evidence(campaignId: string) {
      const campaign = await mustCampaign(db, campaignId);
      const items = await repo.itemsOf(db, campaignId);
      const report = {
        campaign: campaignView(campaign, items),
        items: items.map(itemView),
        generated_at: now(),
      };
      const digest = createHash('sha256').update(JSON.stringify(report)).digest('hex');
      const signature = await signer.sign({
        k: 'access-review-evidence',
        c: campaignId,
        sha256: digest,
        exp: 4102444800,
      });
      return { report, signature, algorithm: 'engops-signed-sha256' as const };
    },

    async verifyEvidence(
      report: unknown,
      signature: string,
    ): Promise<{ valid: boolean; campaign_id: string | null }> {
      const claims = await signer.verify(signature, clock.now());
      if (claims?.k !== 'access-review-evidence') return { valid: false, campaign_id: null };
      const digest = createHash('sha256').update(JSON.stringify(report)).digest('hex');
      return { valid: claims.sha256 === digest, campaign_id: String(claims.c) };
    },

    evidenceCsv(report: { items: ReviewItem[] }): string {
      return toCsv(
        [
          'item_id',
          'kind',
          'subject',
          'team',
          'role',
          'last_used_at',
          'stale',
          'decision',
          'note',
          'decided_by',
          'decided_at',
          'outcome',
        ],
        report.items.map((i) => [
          i.id,
          i.kind,
          i.subject_name,
          i.team_name,
          i.role,
          i.last_used_at,
          i.stale_reason,
          i.decision,
          i.note,
          i.decided_by,
          i.decided_at,
          i.outcome,
        ]),
      );
    },
  };
  return service;
}

export type AccessReviewService = ReturnType<typeof createAccessReviewService>;
