import type { Policy, SecuritySeverity } from '@engops/contracts';

/**
 * Pure rules of the security module: finding deadlines, stale access, training status and the
 * response-plan checklist. Times come in as arguments; nothing here reads a clock or a database.
 */
const DAY_MS = 24 * 3600 * 1000;
export const addDays = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY_MS).toISOString();

/** When an open finding must be fixed: first seen + the policy's days for its severity. */
export function findingDueAt(
  firstSeenAt: string,
  severity: SecuritySeverity,
  sla: Policy['security']['finding_sla_days'],
): string | null {
  const days = sla[severity];
  return days === null ? null : addDays(firstSeenAt, days);
}

export function isOverdue(status: string, dueAt: string | null, now: Date): boolean {
  return (status === 'open' || status === 'acknowledged') && dueAt !== null && dueAt <= now.toISOString();
}

/** Why a token is stale, or null: never used and older than `days`, or unused for `days`. */
export function staleTokenReason(
  token: { created_at: string; last_used_at: string | null },
  now: Date,
  days: number,
): string | null {
  const limit = now.getTime() - days * DAY_MS;
  if (token.last_used_at === null)
    return Date.parse(token.created_at) <= limit
      ? `never used since it was created ${token.created_at.slice(0, 10)}`
      : null;
  return Date.parse(token.last_used_at) <= limit ? `unused since ${token.last_used_at.slice(0, 10)}` : null;
}

/**
 * Why a person's engops role grants are stale, or null: no sign-in, session use or use of a token
 * they created for `days` (`lastActiveAt`), or none at all and the account is older than `days`.
 */
export function staleGrantReason(
  user: { created_at: string },
  lastActiveAt: string | null,
  now: Date,
  days: number,
): string | null {
  const limit = now.getTime() - days * DAY_MS;
  if (lastActiveAt === null)
    return Date.parse(user.created_at) <= limit
      ? `never signed in or used a token since the account was created ${user.created_at.slice(0, 10)}`
      : null;
  return Date.parse(lastActiveAt) <= limit
    ? `no sign-in or token use since ${lastActiveAt.slice(0, 10)}`
    : null;
}

export type TrainingState = 'complete' | 'expiring' | 'expired' | 'missing';

/** A person's standing on one course from their latest completion. */
export function trainingState(
  latest: { completed_at: string; expires_at: string | null } | undefined,
  now: Date,
  reminderDays: number,
): TrainingState {
  if (!latest) return 'missing';
  if (latest.expires_at === null) return 'complete';
  const expires = Date.parse(latest.expires_at);
  if (expires <= now.getTime()) return 'expired';
  return expires - now.getTime() <= reminderDays * DAY_MS ? 'expiring' : 'complete';
}

export interface PlanInputs {
  teamName: string | null;
  teamMembers: number;
  escalationPolicyId: string | null;
  /** Schedules the escalation policy pages, with their gaps over the look-ahead window. */
  schedules: Array<{ id: string; gaps: number }>;
  runbookUrl: string | null;
  lastExerciseAt: string | null;
}

export const PLAN_LABELS = {
  owner_team: 'An owner team with members',
  escalation_policy: 'An escalation policy',
  oncall_no_gaps: 'An on-call schedule with no gaps (next 14 days)',
  runbook: 'A runbook link',
  recent_exercise: 'A recent response exercise',
} as const;
export type PlanKey = keyof typeof PLAN_LABELS;

/** The handbook's "incident response plan exists", item by item, with what is missing. */
export function responsePlanItems(input: PlanInputs, now: Date, maxExerciseAgeDays: number) {
  const items: Array<{ key: PlanKey; label: string; ok: boolean; detail: string }> = [];
  const add = (key: PlanKey, ok: boolean, detail: string) =>
    items.push({ key, label: PLAN_LABELS[key], ok, detail });
  add(
    'owner_team',
    input.teamName !== null && input.teamMembers > 0,
    input.teamName === null
      ? 'no owner team'
      : input.teamMembers > 0
        ? `${input.teamName} (${input.teamMembers} member${input.teamMembers === 1 ? '' : 's'})`
        : `${input.teamName} has no members`,
  );
  add(
    'escalation_policy',
    input.escalationPolicyId !== null,
    input.escalationPolicyId ? 'set' : 'no escalation policy: incidents page nobody',
  );
  const gaps = input.schedules.reduce((n, s) => n + s.gaps, 0);
  add(
    'oncall_no_gaps',
    input.schedules.length > 0 && gaps === 0,
    input.schedules.length === 0
      ? 'no on-call schedule in the escalation policy'
      : gaps === 0
        ? `${input.schedules.length} schedule${input.schedules.length === 1 ? '' : 's'}, no gaps`
        : `${gaps} gap${gaps === 1 ? '' : 's'} in the next 14 days`,
  );
  add('runbook', Boolean(input.runbookUrl), input.runbookUrl ?? 'no runbook link');
  const fresh =
    input.lastExerciseAt !== null &&
    Date.parse(input.lastExerciseAt) > now.getTime() - maxExerciseAgeDays * DAY_MS;
  add(
    'recent_exercise',
    fresh,
    input.lastExerciseAt === null
      ? 'never exercised'
      : fresh
        ? `last on ${input.lastExerciseAt.slice(0, 10)}`
        : `last on ${input.lastExerciseAt.slice(0, 10)}, older than ${maxExerciseAgeDays} days`,
  );
  const done = items.filter((i) => i.ok).length;
  return {
    items,
    done,
    total: items.length,
    complete: done === items.length,
    missing: items.filter((i) => !i.ok).map((i) => `${i.label}: ${i.detail}`),
  };
}

/** Schedule ids an escalation policy pages, wherever its levels/steps keep them. */
export function scheduleIdsOf(policy: unknown): string[] {
  const out = new Set<string>();
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      const v = value as Record<string, unknown>;
      if (v.type === 'schedule' && typeof v.id === 'string') out.add(v.id);
      for (const child of Object.values(v)) walk(child);
    }
  };
  walk(policy);
  return [...out];
}

/** RFC 4180 CSV. */
export function toCsv(header: string[], rows: Array<Array<string | number | null>>): string {
  const cell = (v: string | number | null) => {
    const s = v === null ? '' : String(v);
    // A leading = + - @ would be read as a formula by spreadsheets.
    const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return `${[header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}
