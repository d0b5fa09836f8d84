import type {
  ActionItem,
  LintDismissal,
  Postmortem,
  PostmortemSearchHit,
  PostmortemSummary,
} from '@engops/contracts';
import type { Db } from '../../db/database.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError, isUniqueViolation } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import type { Notifier } from '../../platform/notifications/notifications-service.ts';
import {
  decodeCursor,
  encodeCursor,
  type Page,
  type PageQuery,
  pageById,
} from '../../platform/pagination.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { IncidentsService } from '../incidents/index.ts';
import type { PolicyService } from '../policy/index.ts';
import { type ParsedActionItem, parseActionItems, withLiveStatus } from './action-item-parser.ts';
import { type LintFinding, lintBlameless, normaliseFindingText } from './blameless-lint.ts';
import {
  createGithubIssue,
  exportMarker,
  findGithubIssue,
  GithubError,
  type GithubTarget,
} from './github-issues.ts';
import type {
  ActionItemFilter,
  ActionItemRow,
  DismissalRow,
  PostmortemFilter,
  PostmortemRow,
  PostmortemsRepository,
} from './kysely-postmortems-repository.ts';
import { renderStandalonePage } from './markdown-render.ts';
import { buildPostmortemTemplate } from './postmortem-template.ts';
import { splitHighlights } from './search-query.ts';

export const POSTMORTEM_REMINDER_JOB = 'postmortems.remind';
export const ACTION_ITEM_REMINDER_JOB = 'postmortems.action-item.remind';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const OPEN_ITEM = new Set(['open', 'in_progress']);

export type PostmortemStatus = 'draft' | 'in_review' | 'published';
export type ActionItemStatus = 'open' | 'in_progress' | 'done' | 'wont_do';

function summaryView(row: PostmortemRow, now: Date): PostmortemSummary {
  return {
    id: row.id,
    incident_id: row.incident_id,
    team_id: row.team_id,
    title: row.title,
    status: row.status as PostmortemStatus,
    version: Number(row.version),
    due_at: row.due_at,
    overdue: row.status !== 'published' && row.due_at < now.toISOString(),
    submitted_at: row.submitted_at,
    published_at: row.published_at,
    published_on_time: row.published_at ? row.published_at <= row.due_at : null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function itemView(row: ActionItemRow, now: Date): ActionItem {
  const today = now.toISOString().slice(0, 10);
  return {
    id: row.id,
    postmortem_id: row.postmortem_id,
    team_id: row.team_id,
    title: row.title,
    owner_id: row.owner_id,
    owner_handle: row.owner_handle,
    due_date: row.due_date,
    status: row.status as ActionItemStatus,
    reason: row.reason,
    source: row.source as 'markdown' | 'api',
    overdue: OPEN_ITEM.has(row.status) && row.due_date !== null && row.due_date < today,
    created_at: row.created_at,
    updated_at: row.updated_at,
    completed_at: row.completed_at,
    tracker_issue: row.tracker_url ? { url: row.tracker_url, key: row.tracker_key ?? row.tracker_url } : null,
    export_error: row.export_error,
  };
}

function dismissalView(row: DismissalRow): LintDismissal {
  return { ...row };
}

/** The columns of an action item that only an export sets. */
const NOT_EXPORTED = {
  tracker_url: null,
  tracker_key: null,
  export_state: null,
  export_claimed_at: null,
  export_started_at: null,
  export_error: null,
} as const;

/** A pending export older than this belongs to a request that died. */
const EXPORT_STALE_MS = 2 * 60_000;

/** The stored Markdown with the checkboxes of tracked items showing their current status. */
function liveMarkdown(markdown: string, items: ActionItemRow[]): string {
  const byKey = new Map(
    items.filter((i) => i.source === 'markdown' && i.source_key).map((i) => [i.source_key!, i.status]),
  );
  return byKey.size ? withLiveStatus(markdown, byKey) : markdown;
}

/** The `# Incident: <title>` heading of the Markdown, if the writer kept it. */
function titleOf(markdown: string): string | null {
  const m = /^#\s+Incident:\s*(.+?)\s*$/m.exec(markdown);
  return m ? m[1]!.slice(0, 500) : null;
}

export function createPostmortemsService(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  /** Absent for a history writer (demo data): then no job handlers are registered. */
  worker?: Worker | undefined;
  notifier: Notifier;
  catalog: CatalogService;
  incidents: IncidentsService;
  policy: PolicyService;
  repo: PostmortemsRepository;
  baseUrl: () => string;
  /** ENGOPS_GITHUB_API_URL / ENGOPS_GITHUB_TOKEN: used when no settings were saved through the API. */
  github?: { readonly url: string; readonly token?: string } | undefined;
}) {
  const { db, clock, audit, jobs, notifier, catalog, incidents, policy, repo } = deps;

  /** Saved settings first, else the token from the configuration (no default repository, no labels). */
  async function trackerSettings(conn: Db) {
    const row = await repo.getTracker(conn, 'github');
    if (row) return row;
    if (!deps.github?.token) return undefined;
    return {
      provider: 'github',
      api_url: deps.github.url,
      token: deps.github.token,
      default_repo: null,
      labels: '[]',
      updated_by: null,
      updated_at: null,
    };
  }
  const now = () => clock.now();
  const link = (id: string) => `${deps.baseUrl().replace(/\/$/, '')}/postmortems/${id}`;

  async function must(tx: Db, id: string): Promise<PostmortemRow> {
    const row = await repo.getPostmortem(tx, id);
    if (!row) throw new AppError('POSTMORTEMS_NOT_FOUND', `No postmortem has id ${id}.`);
    return row;
  }

  async function mustItem(tx: Db, id: string): Promise<ActionItemRow> {
    const row = await repo.getItem(tx, id);
    if (!row) throw new AppError('POSTMORTEMS_ACTION_ITEM_NOT_FOUND', `No action item has id ${id}.`);
    return row;
  }

  async function full(tx: Db, row: PostmortemRow): Promise<Postmortem> {
    const at = now();
    const [items, dismissals] = await Promise.all([repo.itemsOf(tx, row.id), repo.dismissalsOf(tx, row.id)]);
    return {
      ...summaryView(row, at),
      markdown: liveMarkdown(row.markdown, items),
      action_items: items.map((i) => itemView(i, at)),
      lint_dismissals: dismissals.map(dismissalView),
    };
  }

  /** A user id for an @handle: a user id, an email, or the local part of an email. */
  async function resolveHandle(handle: string, cache: Map<string, string | null>): Promise<string | null> {
    const key = handle.toLowerCase();
    if (cache.has(key)) return cache.get(key) ?? null;
    let id: string | null = null;
    const byEmail = handle.includes('@') ? await catalog.findUserByEmail(handle) : undefined;
    if (byEmail) id = byEmail.id;
    else {
      const page = await catalog.listUsers({ limit: 50, q: handle });
      const hit = page.items.find(
        (u) =>
          u.id === handle || u.email.toLowerCase().split('@')[0] === key || u.email.toLowerCase() === key,
      );
      id = hit?.id ?? null;
    }
    cache.set(key, id);
    return id;
  }

  async function scheduleItemReminders(tx: Db, item: { id: string; due_date: string | null }) {
    if (!item.due_date) return;
    const dueStart = Date.parse(`${item.due_date}T00:00:00.000Z`);
    const stages: Array<['before' | 'after', number]> = [
      ['before', dueStart - DAY],
      ['after', dueStart + DAY],
    ];
    for (const [stage, runAt] of stages) {
      if (stage === 'before' && runAt + DAY <= now().getTime()) continue;
      await jobs.enqueue(tx, {
        kind: ACTION_ITEM_REMINDER_JOB,
        payload: { item_id: item.id, stage, due_date: item.due_date },
        runAt: new Date(Math.max(runAt, now().getTime())),
        dedupeKey: `action-item:${item.id}:${item.due_date}:${stage}`,
        maxAttempts: 5,
      });
    }
  }

  /** Makes the tracked items match the `## Action Items` lines (handles resolved beforehand). */
  async function syncItems(
    tx: Db,
    pm: PostmortemRow,
    parsed: Array<ParsedActionItem & { owner_id: string | null }>,
  ): Promise<void> {
    const at = now().toISOString();
    const existing = (await repo.itemsOf(tx, pm.id)).filter((i) => i.source === 'markdown');
    const byKey = new Map(existing.map((i) => [i.source_key, i]));
    const seen = new Set<string>();
    for (const p of parsed) {
      if (seen.has(p.key)) continue;
      seen.add(p.key);
      const current = byKey.get(p.key);
      if (current) {
        const patch = {
          title: p.title,
          owner_handle: p.owner,
          owner_id: p.owner_id,
          due_date: p.due_date,
          ...(p.checked && OPEN_ITEM.has(current.status) ? { status: 'done', completed_at: at } : {}),
        };
        const changed = Object.entries(patch).some(([k, v]) => current[k as keyof ActionItemRow] !== v);
        if (changed) await repo.updateItem(tx, current.id, { ...patch, updated_at: at });
        if (p.due_date !== current.due_date)
          await scheduleItemReminders(tx, { id: current.id, due_date: p.due_date });
        continue;
      }
      const row: ActionItemRow = {
        id: newId('ai'),
        postmortem_id: pm.id,
        team_id: pm.team_id,
        title: p.title,
        owner_id: p.owner_id,
        owner_handle: p.owner,
        due_date: p.due_date,
        status: p.checked ? 'done' : 'open',
        reason: null,
        source: 'markdown',
        source_key: p.key,
        created_at: at,
        updated_at: at,
        completed_at: p.checked ? at : null,
        ...NOT_EXPORTED,
      };
      await repo.insertItem(tx, row);
      await scheduleItemReminders(tx, row);
    }
    // A line that was removed takes its item with it, unless work on it has started.
    for (const item of existing) {
      if (!seen.has(item.source_key ?? '') && item.status === 'open') await repo.deleteItem(tx, item.id);
    }
  }

  async function resolveParsed(markdown: string) {
    const cache = new Map<string, string | null>();
    const parsed = parseActionItems(markdown);
    return Promise.all(
      parsed.map(async (p) => ({ ...p, owner_id: p.owner ? await resolveHandle(p.owner, cache) : null })),
    );
  }

  /** Email addresses of the people to remind about a postmortem: its commander, else the team's responders. */
  async function responsibleEmails(pm: PostmortemRow): Promise<string[]> {
    const incident = await incidents.get(pm.incident_id).catch(() => undefined);
    if (incident?.commander_id) {
      const user = await catalog.getUser(incident.commander_id).catch(() => undefined);
      if (user && !user.disabled) return [user.email];
    }
    const members = await catalog.listMembers(pm.team_id).catch(() => []);
    return members
      .filter((m) => (m.role === 'responder' || m.role === 'manager') && !m.disabled)
      .map((m) => m.email);
  }

  deps.worker?.register(POSTMORTEM_REMINDER_JOB, async (job) => {
    const { postmortem_id, stage } = job.payload as { postmortem_id: string; stage: 'before' | 'overdue' };
    const pm = await repo.getPostmortem(db, postmortem_id);
    if (!pm || pm.status === 'published' || !notifier.isConfigured('email')) return;
    const overdue = now().toISOString() >= pm.due_at;
    if (stage === 'before' && overdue) return;
    const recipients = [...new Set(await responsibleEmails(pm))];
    const subject =
      stage === 'overdue' ? `Postmortem overdue: ${pm.title}` : `Postmortem due ${pm.due_at}: ${pm.title}`;
    const text = [
      stage === 'overdue'
        ? `The postmortem of "${pm.title}" was due at ${pm.due_at} and is not published yet.`
        : `The postmortem of "${pm.title}" is due at ${pm.due_at}.`,
      `Status: ${pm.status}.`,
      `Write it here: ${link(pm.id)}`,
    ].join('\n');
    await db.transaction().execute(async (tx) => {
      for (const target of recipients) {
        await notifier.send(tx, {
          channel: 'email',
          target,
          subject,
          text,
          source: `postmortem:${pm.id}`,
          data: { postmortem_id: pm.id, stage },
        });
      }
    });
  });

  deps.worker?.register(ACTION_ITEM_REMINDER_JOB, async (job) => {
    const { item_id, stage, due_date } = job.payload as {
      item_id: string;
      stage: 'before' | 'after';
      due_date: string;
    };
    const item = await repo.getItem(db, item_id);
    if (!item || !OPEN_ITEM.has(item.status) || item.due_date !== due_date || !item.owner_id) return;
    if (!notifier.isConfigured('email')) return;
    const owner = await catalog.getUser(item.owner_id).catch(() => undefined);
    if (!owner || owner.disabled) return;
    await db.transaction().execute(async (tx) => {
      await notifier.send(tx, {
        channel: 'email',
        target: owner.email,
        subject:
          stage === 'after'
            ? `Action item overdue: ${item.title}`
            : `Action item due ${due_date}: ${item.title}`,
        text: [
          stage === 'after'
            ? `Your action item "${item.title}" was due on ${due_date} and is still ${item.status}.`
            : `Your action item "${item.title}" is due on ${due_date}.`,
          `Postmortem: ${link(item.postmortem_id)}`,
        ].join('\n'),
        source: `action-item:${item.id}`,
        data: { action_item_id: item.id, stage },
      });
    });
  });

  async function lintOptions() {
    const p = (await policy.current()).postmortems;
    const names = new Set<string>();
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await catalog.listUsers({ limit: 200, ...(cursor ? { cursor } : {}) });
      for (const u of page.items) {
        names.add(u.name);
        const first = u.name.split(/\s+/)[0];
        if (first && first.length >= 3) names.add(first);
      }
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    return {
      names: [...names],
      extraPhrases: p.blameless_extra_phrases,
      disabledRules: p.blameless_disabled_rules,
    };
  }

  /** The GitHub settings without the token. */
  async function githubSettings() {
    const row = await trackerSettings(db);
    return {
      configured: row !== undefined,
      api_url: row?.api_url ?? null,
      default_repo: row?.default_repo ?? null,
      labels: row ? (JSON.parse(row.labels) as string[]) : [],
      token_set: row !== undefined,
      updated_at: row?.updated_at ?? null,
    };
  }

  return {
    /** The postmortem of an incident, created from the template on first call. */
    async createForIncident(
      ctx: AuditContext,
      incidentId: string,
    ): Promise<{ postmortem: Postmortem; created: boolean }> {
      const incident = await incidents.get(incidentId);
      const existing = await repo.byIncident(db, incidentId);
      if (existing) return { postmortem: await full(db, existing), created: false };
      const endedAt = incident.resolved_at ?? incident.mitigated_at;
      if (!endedAt || !['mitigated', 'resolved', 'reviewed'].includes(incident.status)) {
        throw new AppError(
          'POSTMORTEMS_INCIDENT_NOT_READY',
          `Incident #${incident.number} is ${incident.status}; write its postmortem once it is mitigated or resolved.`,
        );
      }
      const [timeline, team, service, settings] = await Promise.all([
        incidents.timeline(incidentId),
        catalog.getTeam(incident.team_id),
        catalog.findService(incident.service_id),
        policy.current(),
      ]);
      const markdown = buildPostmortemTemplate(
        { ...incident, service_name: service?.name },
        timeline,
        team.time_zone,
      );
      const dueMs = Date.parse(endedAt) + settings.postmortems.deadline_hours * HOUR;
      const at = now().toISOString();
      const row: PostmortemRow = {
        id: newId('pm'),
        incident_id: incident.id,
        team_id: incident.team_id,
        title: incident.title,
        markdown,
        version: 1,
        status: 'draft',
        due_at: new Date(dueMs).toISOString(),
        submitted_at: null,
        published_at: null,
        published_by: null,
        created_by: ctx.principal.userId ?? ctx.principal.name,
        created_at: at,
        updated_at: at,
      };
      try {
        await db.transaction().execute(async (tx) => {
          await repo.insertPostmortem(tx, row);
          const beforeMs = dueMs - settings.postmortems.reminder_before_hours * HOUR;
          if (dueMs > now().getTime()) {
            await jobs.enqueue(tx, {
              kind: POSTMORTEM_REMINDER_JOB,
              payload: { postmortem_id: row.id, stage: 'before' },
              runAt: new Date(Math.max(beforeMs, now().getTime())),
              dedupeKey: `postmortem:${row.id}:before`,
            });
          }
          await jobs.enqueue(tx, {
            kind: POSTMORTEM_REMINDER_JOB,
            payload: { postmortem_id: row.id, stage: 'overdue' },
            runAt: new Date(Math.max(dueMs, now().getTime())),
            dedupeKey: `postmortem:${row.id}:overdue`,
          });
          await audit.record(tx, ctx, {
            action: 'postmortem.create',
            targetType: 'postmortem',
            targetId: row.id,
            teamId: row.team_id,
            after: { incident_id: row.incident_id, due_at: row.due_at },
          });
        });
      } catch (error) {
        // Two first POSTs at once: the loser reads the winner's postmortem.
        if (isUniqueViolation(error)) {
          const winner = await repo.byIncident(db, incidentId);
          if (winner) return { postmortem: await full(db, winner), created: false };
        }
        throw error;
      }
      return { postmortem: await full(db, row), created: true };
    },

    async get(id: string): Promise<Postmortem> {
      return full(db, await must(db, id));
    },

    async findByIncident(incidentId: string): Promise<Postmortem | undefined> {
      const row = await repo.byIncident(db, incidentId);
      return row ? full(db, row) : undefined;
    },

    async update(ctx: AuditContext, id: string, markdown: string, version: number): Promise<Postmortem> {
      const parsed = await resolveParsed(markdown);
      return db.transaction().execute(async (tx) => {
        const before = await must(tx, id);
        if (before.status === 'published')
          throw new AppError('POSTMORTEMS_INVALID_TRANSITION', 'A published postmortem is final.');
        if (Number(before.version) !== version) {
          throw new AppError(
            'POSTMORTEMS_VERSION_CONFLICT',
            `You edited version ${version}; the current version is ${before.version}.`,
          );
        }
        const at = now().toISOString();
        const patch = {
          markdown,
          title: titleOf(markdown) ?? before.title,
          version: version + 1,
          updated_at: at,
        };
        if (!(await repo.updatePostmortem(tx, id, version, patch)))
          throw new AppError('POSTMORTEMS_VERSION_CONFLICT', 'The postmortem was saved meanwhile.');
        const after = { ...before, ...patch };
        await syncItems(tx, after, parsed);
        await audit.record(tx, ctx, {
          action: 'postmortem.update',
          targetType: 'postmortem',
          targetId: id,
          teamId: before.team_id,
          before: { version: before.version },
          after: { version: after.version, action_items: parsed.length },
        });
        return full(tx, after);
      });
    },

    async submit(ctx: AuditContext, id: string): Promise<Postmortem> {
      return db.transaction().execute(async (tx) => {
        const before = await must(tx, id);
        if (before.status !== 'draft')
          throw new AppError(
            'POSTMORTEMS_INVALID_TRANSITION',
            `The postmortem is ${before.status}, not a draft.`,
          );
        const at = now().toISOString();
        const patch = { status: 'in_review', submitted_at: at, updated_at: at };
        if (!(await repo.updatePostmortem(tx, id, Number(before.version), patch)))
          throw new AppError('POSTMORTEMS_VERSION_CONFLICT');
        await audit.record(tx, ctx, {
          action: 'postmortem.submit',
          targetType: 'postmortem',
          targetId: id,
          teamId: before.team_id,
          before: { status: before.status },
          after: { status: 'in_review' },
        });
        return full(tx, { ...before, ...patch });
      });
    },

    /**
     * Publishes, notifies the team and the organisation's lists, then marks the incident reviewed
     * (when it is resolved; a mitigated incident is reviewed by publishing after it resolves).
     */
    async publish(ctx: AuditContext, id: string): Promise<Postmortem> {
      const settings = (await policy.current()).postmortems;
      const pre = await must(db, id);
      const teamEmails = (await catalog.listMembers(pre.team_id).catch(() => []))
        .filter((m) => !m.disabled)
        .map((m) => m.email);
      const published = await db.transaction().execute(async (tx) => {
        const before = await must(tx, id);
        if (before.status === 'published')
          throw new AppError('POSTMORTEMS_INVALID_TRANSITION', 'The postmortem is already published.');
        const items = await repo.itemsOf(tx, id);
        const incomplete = items.filter((i) => i.status !== 'wont_do' && (!i.owner_id || !i.due_date));
        if (incomplete.length > 0) {
          throw new AppError(
            'POSTMORTEMS_ACTION_ITEMS_INCOMPLETE',
            `${incomplete.length} action item(s) need an owner and a due date.`,
            {
              errors: incomplete.map((i) => ({
                path: `action_items.${i.id}`,
                message: `"${i.title}" has no ${[!i.owner_id && 'owner', !i.due_date && 'due date'].filter(Boolean).join(' and no ')}${
                  i.owner_handle && !i.owner_id ? ` (@${i.owner_handle} is not a known user)` : ''
                }`,
              })),
            },
          );
        }
        const at = now().toISOString();
        const patch = {
          status: 'published',
          published_at: at,
          published_by: ctx.principal.userId ?? ctx.principal.name,
          updated_at: at,
        };
        if (!(await repo.updatePostmortem(tx, id, Number(before.version), patch)))
          throw new AppError('POSTMORTEMS_VERSION_CONFLICT');
        const after = { ...before, ...patch };
        const subject = `Postmortem published: ${after.title}`;
        const onTime = at <= after.due_at ? 'on time' : `late (due ${after.due_at})`;
        const text = [
          `The postmortem of "${after.title}" was published ${onTime} by ${ctx.principal.name}.`,
          `${items.length} action item(s).`,
          `Read it: ${link(id)}`,
        ].join('\n');
        const emails = notifier.isConfigured('email')
          ? [...new Set([...teamEmails, ...settings.publish_email_list])]
          : [];
        for (const target of emails) {
          await notifier.send(tx, {
            channel: 'email',
            target,
            subject,
            text,
            source: `postmortem:${id}`,
            data: { postmortem_id: id },
          });
        }
        if (settings.publish_slack_webhook_url) {
          await notifier.send(tx, {
            channel: 'slack',
            target: settings.publish_slack_webhook_url,
            subject,
            text,
            source: `postmortem:${id}`,
            data: { postmortem_id: id },
          });
        }
        await audit.record(tx, ctx, {
          action: 'postmortem.publish',
          targetType: 'postmortem',
          targetId: id,
          teamId: before.team_id,
          before: { status: before.status },
          after: { status: 'published', published_at: at, notified: emails.length },
        });
        return after;
      });
      const incident = await incidents.get(published.incident_id);
      if (incident.status === 'resolved') {
        try {
          await incidents.act(ctx, incident.id, 'review');
        } catch (error) {
          // Someone marked it reviewed meanwhile: that is the state we wanted.
          if (!(error instanceof AppError && error.code === 'INCIDENTS_INVALID_TRANSITION')) throw error;
        }
      }
      return full(db, published);
    },

    async list(
      page: PageQuery & Omit<PostmortemFilter, 'overdue'> & { overdue?: boolean | undefined },
    ): Promise<Page<PostmortemSummary>> {
      const at = now();
      const filter: PostmortemFilter = {
        teamId: page.teamId,
        incidentId: page.incidentId,
        status: page.status,
        q: page.q,
        draftTeams: page.draftTeams,
        ...(page.overdue !== undefined ? { overdue: { at: at.toISOString(), value: page.overdue } } : {}),
      };
      const result = await pageById(page, (before, limit) => repo.listPostmortems(db, filter, before, limit));
      return { items: result.items.map((r) => summaryView(r, at)), next_cursor: result.next_cursor };
    },

    /** Incidents that need a postmortem (policy: required_severities) and have none. */
    async missing(teamId?: string) {
      const settings = (await policy.current()).postmortems;
      const required = new Set<string>(settings.required_severities);
      const at = now().toISOString();
      const candidates = [];
      let cursor: string | undefined;
      for (let i = 0; i < 25; i++) {
        const page = await incidents.list({
          limit: 200,
          ...(cursor ? { cursor } : {}),
          teamId,
          statuses: ['mitigated', 'resolved', 'reviewed'],
        });
        candidates.push(...page.items.filter((inc) => required.has(inc.severity)));
        if (!page.next_cursor) break;
        cursor = page.next_cursor;
      }
      const have = await repo.incidentsWithPostmortem(
        db,
        candidates.map((c) => c.id),
      );
      return {
        items: candidates
          .filter((c) => !have.has(c.id))
          .map((c) => {
            const ended = c.resolved_at ?? c.mitigated_at;
            const due = ended
              ? new Date(Date.parse(ended) + settings.deadline_hours * HOUR).toISOString()
              : null;
            return {
              incident_id: c.id,
              number: c.number,
              title: c.title,
              severity: c.severity,
              team_id: c.team_id,
              status: c.status,
              ended_at: ended,
              due_at: due,
              overdue: due !== null && due < at,
            };
          }),
      };
    },

    /** On-time publishing per team and month of the due date (UTC), and what is overdue now. */
    async stats(teamId?: string) {
      const at = now().toISOString();
      const rows = await repo.forStats(db, teamId);
      const groups = new Map<
        string,
        {
          team_id: string;
          month: string;
          due: number;
          published: number;
          published_on_time: number;
          overdue: number;
        }
      >();
      let overdue = 0;
      for (const r of rows) {
        const isPublished = r.status === 'published';
        const isOverdue = !isPublished && r.due_at < at;
        if (isOverdue) overdue++;
        // Counted once its deadline has passed, or once it is published (whichever comes first).
        if (!isPublished && r.due_at >= at) continue;
        const month = r.due_at.slice(0, 7);
        const key = `${r.team_id}\u0000${month}`;
        const g = groups.get(key) ?? {
          team_id: r.team_id,
          month,
          due: 0,
          published: 0,
          published_on_time: 0,
          overdue: 0,
        };
        g.due++;
        if (isPublished) g.published++;
        if (isPublished && r.published_at && r.published_at <= r.due_at) g.published_on_time++;
        if (isOverdue) g.overdue++;
        groups.set(key, g);
      }
      return {
        overdue,
        by_team_month: [...groups.values()]
          .sort((a, b) => a.team_id.localeCompare(b.team_id) || a.month.localeCompare(b.month))
          .map((g) => ({ ...g, on_time_share: g.due === 0 ? null : g.published_on_time / g.due })),
      };
    },

    /** Lint any Markdown; with `postmortemId`, that postmortem's stored dismissals apply too. */
    async lint(
      markdown: string,
      dismissed?: Array<{ rule: string; text: string }>,
      postmortemId?: string,
    ): Promise<LintFinding[]> {
      const stored = postmortemId ? await repo.dismissalsOf(db, postmortemId) : [];
      const all = [...(dismissed ?? []), ...stored.map((d) => ({ rule: d.rule, text: d.text }))];
      return lintBlameless(markdown, { ...(await lintOptions()), dismissed: all });
    },

    /** The findings of a postmortem's current Markdown, its dismissals left out, and the dismissals. */
    async lintPostmortem(id: string): Promise<{ findings: LintFinding[]; dismissed: LintDismissal[] }> {
      const row = await must(db, id);
      const dismissals = await repo.dismissalsOf(db, id);
      const findings = lintBlameless(row.markdown, {
        ...(await lintOptions()),
        dismissed: dismissals.map((d) => ({ rule: d.rule, text: d.text })),
      });
      return { findings, dismissed: dismissals.map(dismissalView) };
    },

    /**
     * Dismisses a finding as a false positive for this postmortem: every finding of `rule` whose
     * text is `text` (case and spacing aside) is left out from now on, whatever else is edited.
     */
    async dismiss(
      ctx: AuditContext,
      postmortemId: string,
      input: { rule: string; text: string; reason?: string | undefined },
    ): Promise<{ dismissal: LintDismissal; created: boolean }> {
      const text = normaliseFindingText(input.text);
      return db.transaction().execute(async (tx) => {
        const pm = await must(tx, postmortemId);
        const existing = await repo.findDismissal(tx, pm.id, input.rule, text);
        if (existing) return { dismissal: dismissalView(existing), created: false };
        const row: DismissalRow = {
          id: newId('lintd'),
          postmortem_id: pm.id,
          rule: input.rule,
          text,
          reason: input.reason ?? null,
          dismissed_by: ctx.principal.userId ?? ctx.principal.name,
          created_at: now().toISOString(),
        };
        await repo.insertDismissal(tx, row);
        await audit.record(tx, ctx, {
          action: 'postmortem.lint.dismiss',
          targetType: 'postmortem',
          targetId: pm.id,
          teamId: pm.team_id,
          after: row,
        });
        return { dismissal: dismissalView(row), created: true };
      });
    },

    async undismiss(ctx: AuditContext, postmortemId: string, dismissalId: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const pm = await must(tx, postmortemId);
        const row = await repo.getDismissal(tx, dismissalId);
        if (!row || row.postmortem_id !== pm.id)
          throw new AppError(
            'POSTMORTEMS_DISMISSAL_NOT_FOUND',
            `Postmortem ${pm.id} has no dismissal ${dismissalId}.`,
          );
        await repo.deleteDismissal(tx, row.id);
        await audit.record(tx, ctx, {
          action: 'postmortem.lint.undismiss',
          targetType: 'postmortem',
          targetId: pm.id,
          teamId: pm.team_id,
          before: row,
        });
      });
    },

    /** Full-text search over title and body, best match first, with the usual filters. */
    async search(
      query: string,
      page: PageQuery & Omit<PostmortemFilter, 'overdue' | 'q'> & { overdue?: boolean | undefined },
    ): Promise<{ items: PostmortemSearchHit[]; next_cursor: string | null }> {
      const at = now();
      const offset = page.cursor ? Number.parseInt(decodeCursor(page.cursor) ?? '', 10) : 0;
      if (!Number.isSafeInteger(offset) || offset < 0)
        throw new AppError('HTTP_VALIDATION_FAILED', 'The cursor is not one this API returned.', {
          errors: [{ path: 'query.cursor', message: 'invalid cursor' }],
        });
      const filter: PostmortemFilter = {
        teamId: page.teamId,
        status: page.status,
        draftTeams: page.draftTeams,
        ...(page.overdue !== undefined ? { overdue: { at: at.toISOString(), value: page.overdue } } : {}),
      };
      const rows = await repo.search(db, query, filter, offset, page.limit + 1);
      const items = rows.slice(0, page.limit).map((r) => ({
        ...summaryView(r, at),
        rank: Number(r.rank),
        ...splitHighlights(r.marked ?? ''),
      }));
      return {
        items,
        next_cursor: rows.length > page.limit ? encodeCursor(String(offset + page.limit)) : null,
      };
    },

    githubSettings,

    async setGithubSettings(
      ctx: AuditContext,
      input: {
        api_url: string;
        token?: string | undefined;
        default_repo?: string | null | undefined;
        labels?: string[] | undefined;
      },
    ) {
      await db.transaction().execute(async (tx) => {
        const before = await repo.getTracker(tx, 'github');
        const token = input.token ?? before?.token;
        if (!token)
          throw new AppError('HTTP_VALIDATION_FAILED', 'A token is needed the first time.', {
            errors: [{ path: 'body.token', message: 'required: no token is stored yet' }],
          });
        const row = {
          provider: 'github',
          api_url: input.api_url.replace(/\/+$/, ''),
          token,
          default_repo:
            input.default_repo === undefined ? (before?.default_repo ?? null) : input.default_repo,
          labels: JSON.stringify(input.labels ?? (before ? (JSON.parse(before.labels) as string[]) : [])),
          updated_by: ctx.principal.userId ?? ctx.principal.name,
          updated_at: now().toISOString(),
        };
        await repo.putTracker(tx, row);
        const visible = (r: typeof row | undefined) =>
          r && {
            api_url: r.api_url,
            default_repo: r.default_repo,
            labels: r.labels,
            token_changed: r.token !== before?.token,
          };
        await audit.record(tx, ctx, {
          action: 'postmortem.tracker.update',
          targetType: 'postmortem_tracker',
          targetId: 'github',
          before: before
            ? { api_url: before.api_url, default_repo: before.default_repo, labels: before.labels }
            : null,
          after: visible(row),
        });
      });
      return githubSettings();
    },

    /**
     * Exports an action item to a GitHub issue, once: an item that has its issue answers with it
     * (created = false) and calls nothing. Only one request talks to GitHub per item at a time; an
     * attempt whose outcome is unknown (network error, 5xx) is followed up by looking for its issue
     * (the body carries a marker) before creating one.
     */
    async exportItem(
      ctx: AuditContext,
      id: string,
      input: { repo?: string | undefined },
    ): Promise<{ item: ActionItem; created: boolean }> {
      const item = await mustItem(db, id);
      if (item.tracker_url) return { item: itemView(item, now()), created: false };
      const settings = await trackerSettings(db);
      const repoName = input.repo ?? settings?.default_repo ?? null;
      if (!settings || !repoName)
        throw new AppError(
          'POSTMORTEMS_TRACKER_NOT_CONFIGURED',
          settings
            ? 'No repository: send {"repo": "owner/name"} or set default_repo in the GitHub settings.'
            : 'GitHub is not configured: PUT /api/v1/postmortems/settings/github with api_url and token.',
        );
      const target: GithubTarget = { apiUrl: settings.api_url, token: settings.token, repo: repoName };
      const claimedAt = now();
      const claimed = await repo.claimExport(
        db,
        id,
        claimedAt.toISOString(),
        new Date(claimedAt.getTime() - EXPORT_STALE_MS).toISOString(),
      );
      if (!claimed) {
        const current = await mustItem(db, id);
        if (current.tracker_url) return { item: itemView(current, now()), created: false };
        throw new AppError(
          'POSTMORTEMS_EXPORT_IN_PROGRESS',
          `Action item ${id} is being exported right now.`,
        );
      }
      const claim = await mustItem(db, id);
      const pm = await must(db, item.postmortem_id);
      const owner = item.owner_id ? await catalog.getUser(item.owner_id).catch(() => undefined) : undefined;
      const marker = exportMarker(item.id);
      const body = [
        `Action item from the postmortem **${pm.title}**: ${link(pm.id)}`,
        '',
        `- Owner: ${owner?.name ?? (item.owner_handle ? `@${item.owner_handle}` : 'none')}`,
        `- Due: ${item.due_date ?? 'none'}`,
        `- Status in engops: ${item.status}`,
        '',
        marker,
      ].join('\n');

      let issue: { number: number; html_url: string } | undefined;
      let failure: GithubError | undefined;
      try {
        // An earlier attempt may have created the issue without us learning of it.
        // Look from a few minutes before it: GitHub's clock is not ours.
        if (item.export_started_at) {
          const since = new Date(Date.parse(item.export_started_at) - 5 * 60_000).toISOString();
          issue = await findGithubIssue(target, since, marker);
        }
        issue ??= await createGithubIssue(target, {
          title: item.title,
          body,
          labels: JSON.parse(settings.labels) as string[],
        });
      } catch (error) {
        failure = error instanceof GithubError ? error : new GithubError(String(error), false);
      }

      return db
        .transaction()
        .execute(async (tx) => {
          const at = now().toISOString();
          if (!issue) {
            const message = failure?.message ?? 'unknown failure';
            const patch = failure?.definite
              ? // GitHub refused: nothing was created, the next attempt starts afresh.
                {
                  export_state: null,
                  export_claimed_at: null,
                  export_started_at: null,
                  export_error: message,
                }
              : { export_state: 'unknown', export_claimed_at: null, export_error: message };
            await repo.updateItem(tx, id, patch);
            await audit.record(tx, ctx, {
              action: 'postmortem.action_item.export_failed',
              targetType: 'action_item',
              targetId: id,
              teamId: item.team_id,
              after: { repo: repoName, error: message, outcome: failure?.definite ? 'refused' : 'unknown' },
            });
            return { failed: message };
          }
          const patch = {
            tracker_url: issue.html_url,
            tracker_key: `${repoName}#${issue.number}`,
            export_state: null,
            export_claimed_at: null,
            export_started_at: null,
            export_error: null,
            updated_at: at,
          };
          await repo.updateItem(tx, id, patch);
          await audit.record(tx, ctx, {
            action: 'postmortem.action_item.export',
            targetType: 'action_item',
            targetId: id,
            teamId: item.team_id,
            after: { tracker_url: patch.tracker_url, tracker_key: patch.tracker_key },
          });
          return { item: itemView({ ...claim, ...patch }, now()) };
        })
        .then((result) => {
          if ('failed' in result)
            throw new AppError(
              'POSTMORTEMS_EXPORT_FAILED',
              `Exporting to ${repoName} failed: ${result.failed}`,
            );
          return { item: result.item, created: true };
        });
    },

    async html(id: string): Promise<string> {
      const row = await must(db, id);
      const markdown = liveMarkdown(row.markdown, await repo.itemsOf(db, id));
      return renderStandalonePage(`Postmortem: ${row.title}`, markdown);
    },

    async addItem(
      ctx: AuditContext,
      postmortemId: string,
      input: { title: string; owner_id: string; due_date: string },
    ): Promise<ActionItem> {
      await catalog.getUser(input.owner_id);
      return db.transaction().execute(async (tx) => {
        const pm = await must(tx, postmortemId);
        const at = now().toISOString();
        const row: ActionItemRow = {
          id: newId('ai'),
          postmortem_id: pm.id,
          team_id: pm.team_id,
          title: input.title,
          owner_id: input.owner_id,
          owner_handle: null,
          due_date: input.due_date,
          status: 'open',
          reason: null,
          source: 'api',
          source_key: null,
          created_at: at,
          updated_at: at,
          completed_at: null,
          ...NOT_EXPORTED,
        };
        await repo.insertItem(tx, row);
        await scheduleItemReminders(tx, row);
        await audit.record(tx, ctx, {
          action: 'postmortem.action_item.create',
          targetType: 'action_item',
          targetId: row.id,
          teamId: pm.team_id,
          after: row,
        });
        return itemView(row, now());
      });
    },

    async getItem(id: string): Promise<ActionItem> {
      return itemView(await mustItem(db, id), now());
    },

    async updateItem(
      ctx: AuditContext,
      id: string,
      patch: {
        title?: string | undefined;
        owner_id?: string | undefined;
        due_date?: string | undefined;
        status?: ActionItemStatus | undefined;
        reason?: string | undefined;
      },
    ): Promise<ActionItem> {
      if (patch.owner_id) await catalog.getUser(patch.owner_id);
      return db.transaction().execute(async (tx) => {
        const before = await mustItem(tx, id);
        const at = now().toISOString();
        const changes: Partial<ActionItemRow> = { updated_at: at };
        if (patch.title !== undefined) changes.title = patch.title;
        if (patch.owner_id !== undefined) changes.owner_id = patch.owner_id;
        if (patch.due_date !== undefined) changes.due_date = patch.due_date;
        if (patch.reason !== undefined) changes.reason = patch.reason;
        if (patch.status !== undefined && patch.status !== before.status) {
          changes.status = patch.status;
          changes.completed_at = patch.status === 'done' || patch.status === 'wont_do' ? at : null;
          if (patch.status !== 'wont_do' && patch.reason === undefined) changes.reason = null;
        }
        await repo.updateItem(tx, id, changes);
        const after = { ...before, ...changes } as ActionItemRow;
        if (after.due_date !== before.due_date) await scheduleItemReminders(tx, after);
        await audit.record(tx, ctx, {
          action: 'postmortem.action_item.update',
          targetType: 'action_item',
          targetId: id,
          teamId: before.team_id,
          before,
          after,
        });
        return itemView(after, now());
      });
    },

    async listItems(
      page: PageQuery & Omit<ActionItemFilter, 'overdue'> & { overdue?: boolean | undefined },
    ): Promise<Page<ActionItem>> {
      const at = now();
      const filter: ActionItemFilter = {
        ownerId: page.ownerId,
        teamId: page.teamId,
        postmortemId: page.postmortemId,
        status: page.status,
        ...(page.overdue !== undefined
          ? { overdue: { today: at.toISOString().slice(0, 10), value: page.overdue } }
          : {}),
      };
      const result = await pageById(page, (after, limit) => repo.listItems(db, filter, after, limit));
      return { items: result.items.map((r) => itemView(r, at)), next_cursor: result.next_cursor };
    },
  };
}

export type PostmortemsService = ReturnType<typeof createPostmortemsService>;
