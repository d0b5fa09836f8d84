import { randomBytes } from 'node:crypto';
import { type PayPolicy, payPolicySchema } from '@engops/contracts';
import type { Db } from '../../db/database.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/errors.ts';
import type { Signer } from '../../platform/signing.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { PolicyService } from '../policy/index.ts';
import { feedWindow, renderIcal } from './ical.ts';
import type { OncallRepository, ScheduleRow } from './kysely-oncall-repository.ts';
import {
  busiestTwelveHours,
  isNight,
  mergeIntervals,
  pay,
  splitOffHours,
  type WorkingTime,
} from './pay-math.ts';
import { shifts as renderShifts, type ScheduleDefinition, type ScheduleLayer } from './schedule-math.ts';

const HOUR = 3_600_000;
const round2 = (n: number) => Math.round(n * 100) / 100;
const ICAL_TOKEN_TTL_SECONDS = 10 * 365 * 24 * 3600;
/** A person's feed key before they first rotate it (the token is signed, so it is not guessable). */
const INITIAL_FEED_KEY = 'initial';

/**
 * Per-person shifts and calendar feed, the team-size check against the handbook's rotation advice
 * (policy.on_call.rotation_by_team_size), and the off-hours pay report (team time zone).
 */
export function createReportsService(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  signer: Signer;
  catalog: CatalogService;
  policy: PolicyService;
  repo: OncallRepository;
  baseUrl: () => string;
}) {
  const { db, clock, repo, catalog } = deps;

  async function definition(
    row: ScheduleRow,
    window: { from: string; to: string },
  ): Promise<ScheduleDefinition> {
    const overrides = await repo.listOverrides(db, row.id, window);
    return {
      time_zone: row.time_zone,
      layers: JSON.parse(row.layers_json) as ScheduleLayer[],
      overrides: overrides.map((o) => ({ id: o.id, user_id: o.user_id, start: o.start_at, end: o.end_at })),
    };
  }

  /** Every final shift of one person across all schedules in [from, to), by start. */
  async function personShifts(userId: string, from: string, to: string) {
    const out = [];
    for (const row of await repo.listSchedules(db)) {
      const layers = JSON.parse(row.layers_json) as ScheduleLayer[];
      const overrides = await repo.listOverrides(db, row.id, { from, to });
      const involved =
        layers.some((l) => l.participants.includes(userId)) || overrides.some((o) => o.user_id === userId);
      if (!involved) continue;
      for (const s of renderShifts(await definition(row, { from, to }), from, to))
        if (s.user_id === userId)
          out.push({ ...s, schedule_id: row.id, schedule_name: row.name, team_id: row.team_id });
    }
    return out.sort((a, b) => a.start.localeCompare(b.start) || a.schedule_id.localeCompare(b.schedule_id));
  }

  async function feedKey(executor: Db, userId: string): Promise<string> {
    const row = await executor
      .selectFrom('oncall_user_feeds')
      .select('ical_key')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.ical_key ?? INITIAL_FEED_KEY;
  }

  async function userIcalUrl(userId: string, key?: string): Promise<string> {
    const exp = Math.floor(clock.now().getTime() / 1000) + ICAL_TOKEN_TTL_SECONDS;
    const token = await deps.signer.sign({
      f: 'user',
      u: userId,
      k: key ?? (await feedKey(db, userId)),
      exp,
    });
    return `${deps.baseUrl()}/ical/users/${userId}.ics?token=${encodeURIComponent(token)}`;
  }

  async function payPolicy(teamId: string): Promise<{ policy: PayPolicy; updated_at: string | null }> {
    const row = await db
      .selectFrom('oncall_pay_policies')
      .selectAll()
      .where('team_id', '=', teamId)
      .executeTakeFirst();
    const policy = payPolicySchema.parse(row ? JSON.parse(row.policy_json) : {});
    return { policy, updated_at: row?.updated_at ?? null };
  }

  return {
    personShifts,
    userIcalUrl,

    /** The person's calendar (30 days back, 180 ahead) if the token is valid for them. */
    async userIcal(userId: string, token: string): Promise<string> {
      const claims = await deps.signer.verify(token, clock.now());
      const valid =
        claims && claims.f === 'user' && claims.u === userId && claims.k === (await feedKey(db, userId));
      const user = valid ? await catalog.getUser(userId).catch(() => null) : null;
      if (!valid || !user)
        throw new AppError('ONCALL_ICAL_TOKEN_INVALID', 'This calendar link is not valid for this person.');
      const { render, keep } = feedWindow(clock.now());
      const list = (await personShifts(userId, render.from, render.to)).filter(keep);
      return renderIcal({
        calendarName: `engops on-call: ${user.name}`,
        scheduleId: `user:${userId}`,
        stamp: clock.now(),
        shifts: list.map((s) => ({ ...s, summary: `On call: ${s.schedule_name} (${s.layer})` })),
      });
    },

    /** Revokes every calendar URL of this person and returns the new one. */
    async rotateUserIcal(ctx: AuditContext, userId: string): Promise<string> {
      await catalog.getUser(userId);
      const key = randomBytes(9).toString('base64url');
      await db.transaction().execute(async (tx) => {
        const at = clock.now().toISOString();
        await tx
          .insertInto('oncall_user_feeds')
          .values({ user_id: userId, ical_key: key, updated_at: at })
          .onConflict((oc) => oc.column('user_id').doUpdateSet({ ical_key: key, updated_at: at }))
          .execute();
        await deps.audit.record(tx, ctx, {
          action: 'user.ical_rotate',
          targetType: 'user',
          targetId: userId,
        });
      });
      return userIcalUrl(userId, key);
    },

    /**
     * The handbook's structure for the team's size (policy.on_call.rotation_by_team_size) against
     * what the team has: weekly turns for a weekly rotation, several rotations split by service for
     * the largest teams.
     */
    async rotationCheck(teamId: string) {
      await catalog.getTeam(teamId);
      const rules = (await deps.policy.current()).on_call.rotation_by_team_size;
      const members = await catalog.listMembers(teamId);
      const size = members.filter((m) => m.role !== 'viewer' && !m.disabled).length;
      const rule =
        rules.find((r) => size >= r.min_size && (r.max_size === null || size <= r.max_size)) ??
        (size < (rules[0]?.min_size ?? 1) ? rules[0] : rules[rules.length - 1])!;
      const schedules = await repo.listSchedules(db, teamId);
      const layers = schedules.flatMap((s) => JSON.parse(s.layers_json) as ScheduleLayer[]);
      const weekly = layers.filter(
        (l) =>
          (l.rotation.unit === 'week' && l.rotation.length === 1) ||
          (l.rotation.unit === 'day' && l.rotation.length === 7),
      ).length;
      const services = [];
      for (let cursor: string | undefined, more = true; more; ) {
        const page = await catalog.listServices({ limit: 200, cursor, team_id: teamId });
        services.push(...page.items);
        cursor = page.next_cursor ?? undefined;
        more = page.next_cursor !== null;
      }
      const links = new Map(
        (await repo.allServiceLinks(db)).map((l) => [l.service_id, l.escalation_policy_id]),
      );
      const withoutPolicy = services.filter((s) => !links.has(s.id)).map((s) => s.id);
      const rotationSets = new Set<string>();
      for (const s of services) {
        const policyId = links.get(s.id);
        const policy = policyId ? await repo.getPolicy(db, policyId) : undefined;
        if (!policy) continue;
        const levels = JSON.parse(policy.steps_json) as Array<{
          targets: Array<{ type: string; id: string }>;
        }>;
        const ids = [
          ...new Set(
            levels
              .flatMap((l) => l.targets)
              .filter((t) => t.type === 'schedule')
              .map((t) => t.id),
          ),
        ];
        if (ids.length > 0) rotationSets.add(ids.sort().join(','));
      }
      const range = `${rule.min_size}${rule.max_size === null ? '+' : `-${rule.max_size}`}`;
      let ok = true;
      let advice: string;
      if (rule.rotation === 'informal') {
        advice = `${size} responder(s): the handbook suggests informal, shared responsibility for teams of ${range}; a schedule is optional.`;
      } else if (rule.rotation === 'weekly') {
        ok = weekly > 0;
        advice = ok
          ? `${size} responders: a weekly rotation, as the handbook suggests for teams of ${range}.`
          : `${size} responders: the handbook suggests a weekly rotation for teams of ${range}, but no schedule of this team hands off weekly. Use week-long turns so each person is on call about one week in ${size}.`;
      } else {
        ok = services.length <= 1 ? schedules.length >= 1 : rotationSets.size >= 2;
        advice = ok
          ? `${size} responders: separate rotations by service, as the handbook suggests for teams of ${range}.`
          : `${size} responders: the handbook suggests multiple rotations by service for teams of ${range}, but the team's services page through ${rotationSets.size} rotation(s). Split the schedule so each group of services has its own rotation.`;
      }
      return {
        team_id: teamId,
        team_size: size,
        recommended: rule.rotation,
        rule: { min_size: rule.min_size, max_size: rule.max_size },
        schedules: schedules.length,
        weekly_layers: weekly,
        services: services.length,
        rotations_by_service: rotationSets.size,
        services_without_policy: withoutPolicy,
        ok,
        advice,
      };
    },

    /**
     * The load report: per person, hours on call (overlaps once), hours outside their working time
     * (their own zone; the team's working days, hours and holidays), pages and night pages (22:00-07:00
     * their time), incidents and the most incidents in one 12-hour shift (each on-call stretch cut
     * into 12-hour shifts from its start); people above the
     * thresholds (policy on_call.max_pages_per_shift per 12-hour shift; `maxShare` of the window on
     * call) are flagged. Fairness: the hours each member of a rotation carried.
     */
    async load(teamId: string, from: string, to: string, maxShareOverride?: number) {
      await catalog.getTeam(teamId);
      const org = (await deps.policy.current()).on_call;
      const { policy } = await payPolicy(teamId);
      const hours = policy.working_hours ?? {
        start: org.off_hours.weekday_start,
        end: org.off_hours.weekday_end,
      };
      const maxPer12h = org.max_pages_per_shift;
      const maxShare = maxShareOverride ?? org.max_on_call_share;
      const f = Date.parse(from);
      const t = Date.parse(to);
      const byUser = new Map<string, Array<{ start: number; end: number }>>();
      const rotations = [];
      for (const row of await repo.listSchedules(db, teamId)) {
        const rendered = renderShifts(await definition(row, { from, to }), from, to);
        for (const s of rendered) {
          const list = byUser.get(s.user_id) ?? [];
          list.push({ start: Date.parse(s.start), end: Date.parse(s.end) });
          byUser.set(s.user_id, list);
        }
        for (const layer of JSON.parse(row.layers_json) as ScheduleLayer[]) {
          if (new Set(layer.participants).size < 2) continue;
          const carried = new Map(layer.participants.map((id) => [id, 0]));
          for (const s of rendered)
            if (s.layer === layer.name && carried.has(s.user_id))
              carried.set(s.user_id, carried.get(s.user_id)! + Date.parse(s.end) - Date.parse(s.start));
          const members = [...carried].map(([user_id, ms]) => ({ user_id, hours: round2(ms / HOUR) }));
          const values = members.map((m) => m.hours);
          const mean = values.reduce((a, b) => a + b, 0) / values.length;
          rotations.push({
            schedule_id: row.id,
            schedule_name: row.name,
            layer: layer.name,
            members,
            mean_hours: round2(mean),
            spread_pct: mean > 0 ? round2(((Math.max(...values) - Math.min(...values)) / mean) * 100) : 0,
          });
        }
      }
      const pages = await db
        .selectFrom('oncall_pages')
        .select(['user_id', 'at', 'incident_id'])
        .where('team_id', '=', teamId)
        .where('at', '>=', new Date(f).toISOString())
        .where('at', '<', new Date(t).toISOString())
        .execute();
      const pagesByUser = new Map<string, Array<{ at: number; incident: string }>>();
      for (const p of pages)
        pagesByUser.set(p.user_id, [
          ...(pagesByUser.get(p.user_id) ?? []),
          { at: Date.parse(p.at), incident: p.incident_id },
        ]);
      const people = [];
      for (const userId of new Set([...byUser.keys(), ...pagesByUser.keys()])) {
        const user = await catalog.getUser(userId).catch(() => null);
        const zone = user?.time_zone ?? 'UTC';
        const working: WorkingTime = {
          zone,
          days: policy.working_days,
          start: hours.start,
          end: hours.end,
          holidays: policy.holidays,
        };
        const merged = mergeIntervals(
          (byUser.get(userId) ?? []).map((s) => ({ start: Math.max(s.start, f), end: Math.min(s.end, t) })),
        );
        let onCall = 0;
        let off = 0;
        const mine = pagesByUser.get(userId) ?? [];
        for (const s of merged) {
          const split = splitOffHours(working, s.start, s.end);
          onCall += split.total;
          off += split.total - split.working;
        }
        const busiest = busiestTwelveHours(merged, mine);
        const share = onCall / (t - f);
        const flags = [];
        if (busiest > maxPer12h) flags.push(`more than ${maxPer12h} incidents per 12-hour shift`);
        if (share > maxShare) flags.push(`on call more than ${Math.round(maxShare * 100)}% of the time`);
        people.push({
          user_id: userId,
          name: user?.name ?? userId,
          time_zone: zone,
          hours_on_call: round2(onCall / HOUR),
          off_hours_hours: round2(off / HOUR),
          pages: mine.length,
          night_pages: mine.filter((p) => isNight(zone, p.at)).length,
          shifts: merged.length,
          incidents: new Set(mine.map((p) => p.incident)).size,
          max_incidents_per_12h: busiest,
          on_call_share: Math.round(share * 1000) / 1000,
          flags,
        });
      }
      people.sort((a, b) => b.hours_on_call - a.hours_on_call || a.user_id.localeCompare(b.user_id));
      return {
        team_id: teamId,
        from: new Date(f).toISOString(),
        to: new Date(t).toISOString(),
        working_hours: hours,
        working_days: policy.working_days,
        thresholds: { max_incidents_per_12h: maxPer12h, max_on_call_share: maxShare },
        people,
        rotations,
      };
    },

    async getPayPolicy(teamId: string) {
      await catalog.getTeam(teamId);
      const { policy, updated_at } = await payPolicy(teamId);
      return { team_id: teamId, policy, updated_at };
    },

    async setPayPolicy(ctx: AuditContext, teamId: string, input: PayPolicy) {
      await catalog.getTeam(teamId);
      const at = clock.now().toISOString();
      await db.transaction().execute(async (tx) => {
        const before = await tx
          .selectFrom('oncall_pay_policies')
          .select('policy_json')
          .where('team_id', '=', teamId)
          .executeTakeFirst();
        const json = JSON.stringify(input);
        await tx
          .insertInto('oncall_pay_policies')
          .values({ team_id: teamId, policy_json: json, updated_at: at })
          .onConflict((oc) => oc.column('team_id').doUpdateSet({ policy_json: json, updated_at: at }))
          .execute();
        await deps.audit.record(tx, ctx, {
          action: 'oncall.pay_policy',
          targetType: 'team',
          targetId: teamId,
          teamId,
          before: before ? JSON.parse(before.policy_json) : null,
          after: input,
        });
      });
      return { team_id: teamId, policy: input, updated_at: at };
    },

    /**
     * Off-hours hours and pages per person over [from, to), in the team's time zone, priced by the
     * team's pay policy. Shifts from several schedules that overlap are paid once.
     */
    async payReport(teamId: string, from: string, to: string) {
      const team = await catalog.getTeam(teamId);
      const { policy } = await payPolicy(teamId);
      const offHours = (await deps.policy.current()).on_call.off_hours;
      const hours = policy.working_hours ?? { start: offHours.weekday_start, end: offHours.weekday_end };
      const working: WorkingTime = {
        zone: team.time_zone,
        days: policy.working_days,
        start: hours.start,
        end: hours.end,
        holidays: policy.holidays,
      };
      const f = Date.parse(from);
      const t = Date.parse(to);
      const byUser = new Map<string, Array<{ start: number; end: number }>>();
      for (const row of await repo.listSchedules(db, teamId)) {
        for (const s of renderShifts(await definition(row, { from, to }), from, to)) {
          const list = byUser.get(s.user_id) ?? [];
          list.push({ start: Date.parse(s.start), end: Date.parse(s.end) });
          byUser.set(s.user_id, list);
        }
      }
      const pages = await db
        .selectFrom('oncall_pages')
        .select(['user_id', 'at'])
        .where('team_id', '=', teamId)
        .where('at', '>=', new Date(f).toISOString())
        .where('at', '<', new Date(t).toISOString())
        .execute();
      const pagesByUser = new Map<string, number[]>();
      for (const p of pages)
        pagesByUser.set(p.user_id, [...(pagesByUser.get(p.user_id) ?? []), Date.parse(p.at)]);
      const people = [];
      for (const userId of new Set([...byUser.keys(), ...pagesByUser.keys()])) {
        const name = await catalog.getUser(userId).then(
          (u) => u.name,
          () => userId,
        );
        people.push({
          user_id: userId,
          name,
          ...pay(working, policy, byUser.get(userId) ?? [], pagesByUser.get(userId) ?? [], f, t),
        });
      }
      people.sort((a, b) => b.amount - a.amount || a.name.localeCompare(b.name));
      return {
        team_id: teamId,
        from: new Date(f).toISOString(),
        to: new Date(t).toISOString(),
        time_zone: team.time_zone,
        currency: policy.currency,
        working_hours: hours,
        people,
        total: Math.round(people.reduce((sum, p) => sum + p.amount, 0) * 100) / 100,
      };
    },
  };
}

export type ReportsService = ReturnType<typeof createReportsService>;

export type PayReport = Awaited<ReturnType<ReportsService['payReport']>>;
