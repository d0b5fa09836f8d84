import { z } from 'zod';
import { idSchema, isoInstantSchema } from './common.ts';
import { roleSchema } from './roles.ts';

export const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  role: roleSchema,
  team_id: z.string().nullable(),
  expires_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  created_by: z.string().nullable(),
  created_at: z.string(),
});
export const createTokenSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  role: roleSchema,
  team_id: idSchema.optional(),
  expires_at: isoInstantSchema.optional(),
});
export const createdTokenSchema = tokenSchema.extend({ token: z.string() });

export const auditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  actor_type: z.string(),
  actor_id: z.string().nullable(),
  actor_name: z.string(),
  action: z.string(),
  target_type: z.string(),
  target_id: z.string().nullable(),
  team_id: z.string().nullable(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  request_id: z.string().nullable(),
});
export const auditQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  actor_id: z.string().max(64).optional(),
  action: z.string().max(100).optional(),
  target_type: z.string().max(50).optional(),
  target_id: z.string().max(320).optional(),
  since: isoInstantSchema.optional(),
  until: isoInstantSchema.optional(),
});

const tier = z.enum(['elite', 'high', 'medium', 'low']);

export const DEFAULT_SEVERITY_DESCRIPTIONS = {
  SEV1: 'Critical: user-facing outage',
  SEV2: 'Major degradation',
  SEV3: 'Minor: limited impact',
  SEV4: 'Low or no user impact',
};
const hours = z
  .number()
  .positive()
  .max(24 * 365);
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day, HH:MM');

/** Tier thresholds must be ordered: elite is the strictest, then high, then medium. */
function ordered(direction: 'ascending' | 'descending') {
  return (t: { elite: number; high: number; medium: number }, ctx: z.RefinementCtx) => {
    const ok =
      direction === 'ascending'
        ? t.elite <= t.high && t.high <= t.medium
        : t.elite >= t.high && t.high >= t.medium;
    if (!ok) {
      ctx.addIssue({
        code: 'custom',
        path: ['high'],
        message:
          direction === 'ascending'
            ? 'thresholds must not decrease from elite to high to medium'
            : 'thresholds must not increase from elite to high to medium',
      });
    }
  };
}

/**
 * The organisation policy: the handbook's numbers, as defaults every team can tune. Modules read
 * thresholds from here and nowhere else.
 */
export const policySchema = z.strictObject({
  dora: z
    .strictObject({
      production_environment: z.string().min(1).max(100).default('production'),
      // Deployment frequency: deployments per day at or above which a tier is reached.
      deployment_frequency_per_day: z
        .strictObject({
          elite: z.number().positive(),
          high: z.number().positive(),
          medium: z.number().positive(),
        })
        .superRefine(ordered('descending'))
        .default({ elite: 1, high: 1 / 7, medium: 1 / 30 }),
      // Lead time and time to restore: upper bounds in hours for each tier.
      lead_time_hours: z
        .strictObject({ elite: hours, high: hours, medium: hours })
        .superRefine(ordered('ascending'))
        .default({ elite: 1, high: 24 * 7, medium: 24 * 30 }),
      time_to_restore_hours: z
        .strictObject({ elite: hours, high: hours, medium: hours })
        .superRefine(ordered('ascending'))
        .default({ elite: 1, high: 24, medium: 24 * 7 }),
      // Change failure rate: upper bounds (fractions) for each tier.
      change_failure_rate: z
        .strictObject({
          elite: z.number().min(0).max(1),
          high: z.number().min(0).max(1),
          medium: z.number().min(0).max(1),
        })
        .superRefine(ordered('ascending'))
        .default({ elite: 0.05, high: 0.1, medium: 0.15 }),
      target_tier: tier.default('elite'),
    })
    .default({
      production_environment: 'production',
      deployment_frequency_per_day: { elite: 1, high: 1 / 7, medium: 1 / 30 },
      lead_time_hours: { elite: 1, high: 24 * 7, medium: 24 * 30 },
      time_to_restore_hours: { elite: 1, high: 24, medium: 24 * 7 },
      change_failure_rate: { elite: 0.05, high: 0.1, medium: 0.15 },
      target_tier: 'elite',
    }),
  postmortems: z
    .strictObject({
      deadline_hours: hours.default(48),
      reminder_before_hours: hours.default(12),
      // Shared widely: who hears about every published postmortem besides the incident's team.
      publish_email_list: z.array(z.email().max(320)).max(50).default([]),
      publish_slack_webhook_url: z
        .url({ protocol: /^https?$/ })
        .max(2048)
        .nullable()
        .default(null),
      // Blameless lint: extra phrases to flag, and rule ids to switch off (see docs/guides/postmortems.md).
      blameless_extra_phrases: z.array(z.string().trim().min(2).max(100)).max(200).default([]),
      blameless_disabled_rules: z.array(z.string().min(1).max(50)).max(50).default([]),
      // Which incidents need a postmortem; those without one are listed as missing.
      required_severities: z.array(z.enum(['SEV1', 'SEV2', 'SEV3', 'SEV4'])).default(['SEV1', 'SEV2']),
    })
    .default({
      deadline_hours: 48,
      reminder_before_hours: 12,
      publish_email_list: [],
      publish_slack_webhook_url: null,
      blameless_extra_phrases: [],
      blameless_disabled_rules: [],
      required_severities: ['SEV1', 'SEV2'],
    }),
  code_review: z
    .strictObject({
      review_target_hours: hours.default(24),
      branch_max_age_hours: hours.default(24 * 7),
      small_pr_max_lines: z.number().int().positive().default(400),
    })
    .default({ review_target_hours: 24, branch_max_age_hours: 24 * 7, small_pr_max_lines: 400 }),
  // Development workflow (targets above in code_review): nudges, CI names, business hours, descriptions.
  workflow: z
    .strictObject({
      nudge_reviewers_at_share: z.number().positive().max(1).default(0.5),
      nudge_team_at_share: z.number().positive().max(10).default(1),
      required_checks: z.array(z.string().trim().min(1).max(200)).max(50).default([]),
      business_hours: z
        .strictObject({ enabled: z.boolean(), start: clockTime, end: clockTime })
        .default({ enabled: false, start: '09:00', end: '18:00' }),
      description_min_chars: z.number().int().min(0).max(2000).default(20),
      small_team_max_size: z.number().int().positive().default(5),
      // The handbook's reviewer focus, posted on new pull requests when the checklist is switched on.
      review_checklist: z
        .array(z.string().trim().min(1).max(200))
        .max(30)
        .default(['Correctness', 'Readability', 'Tests', 'Architecture fit']),
    })
    .default({
      nudge_reviewers_at_share: 0.5,
      nudge_team_at_share: 1,
      required_checks: [],
      business_hours: { enabled: false, start: '09:00', end: '18:00' },
      description_min_chars: 20,
      small_team_max_size: 5,
      review_checklist: ['Correctness', 'Readability', 'Tests', 'Architecture fit'],
    }),
  on_call: z
    .strictObject({
      rotation_by_team_size: z
        .array(
          z.strictObject({
            min_size: z.number().int().min(1),
            max_size: z.number().int().min(1).nullable(),
            rotation: z.enum(['informal', 'weekly', 'multiple-by-service']),
          }),
        )
        .min(1)
        .superRefine((rules, ctx) => {
          rules.forEach((rule, i) => {
            if (rule.max_size !== null && rule.max_size < rule.min_size) {
              ctx.addIssue({ code: 'custom', path: [i, 'max_size'], message: 'must be at least min_size' });
            }
          });
        })
        .default([
          { min_size: 1, max_size: 3, rotation: 'informal' },
          { min_size: 4, max_size: 8, rotation: 'weekly' },
          { min_size: 9, max_size: null, rotation: 'multiple-by-service' },
        ]),
      max_pages_per_shift: z.number().int().positive().default(2),
      /** The share of a load report's window one person may be on call before they are flagged. */
      max_on_call_share: z.number().gt(0).max(1).default(0.25),
      off_hours: z
        .strictObject({
          weekday_start: clockTime,
          weekday_end: clockTime,
        })
        .default({ weekday_start: '09:00', weekday_end: '18:00' }),
    })
    .default({
      rotation_by_team_size: [
        { min_size: 1, max_size: 3, rotation: 'informal' },
        { min_size: 4, max_size: 8, rotation: 'weekly' },
        { min_size: 9, max_size: null, rotation: 'multiple-by-service' },
      ],
      max_pages_per_shift: 2,
      max_on_call_share: 0.25,
      off_hours: { weekday_start: '09:00', weekday_end: '18:00' },
    }),
  releases: z
    .strictObject({
      stages: z
        .array(z.string().min(1).max(50))
        .min(1)
        .refine((stages) => new Set(stages).size === stages.length, { message: 'stages must be unique' })
        .default(['ci', 'staging', 'canary', 'production', 'monitor']),
      monitor_window_minutes: z.number().int().positive().default(30),
      // Canary judgement: promote at promote_score or above, hold for a person down to hold_score.
      promote_score: z.number().min(0).max(100).default(90),
      hold_score: z.number().min(0).max(100).default(75),
      confidence: z.number().gt(0.5).lt(1).default(0.95),
      min_samples: z.number().int().min(1).max(10_000).default(5),
      production_approvals: z.number().int().min(0).max(10).default(0),
      monitor_check_seconds: z.number().int().min(5).max(3600).default(60),
    })
    .refine((r) => r.hold_score <= r.promote_score, {
      path: ['hold_score'],
      message: 'must not exceed promote_score',
    })
    .default({
      stages: ['ci', 'staging', 'canary', 'production', 'monitor'],
      monitor_window_minutes: 30,
      promote_score: 90,
      hold_score: 75,
      confidence: 0.95,
      min_samples: 5,
      production_approvals: 0,
      monitor_check_seconds: 60,
    }),
  security: z
    .strictObject({
      access_review_interval_days: z.number().int().positive().default(90),
      // Open a campaign every access_review_interval_days (quarterly by default) without anyone starting it.
      access_review_scheduled: z.boolean().default(true),
      // What closing a scheduled campaign does with grants nobody reviewed.
      access_review_close_policy: z.enum(['revoke', 'keep']).default('keep'),
      // Days to fix an open finding of each severity (null: no deadline); overdue ones are listed.
      finding_sla_days: z
        .strictObject({
          critical: z.number().int().positive().nullable(),
          high: z.number().int().positive().nullable(),
          medium: z.number().int().positive().nullable(),
          low: z.number().int().positive().nullable(),
          unknown: z.number().int().positive().nullable(),
        })
        .default({ critical: 7, high: 30, medium: 90, low: 180, unknown: 90 }),
      access_review_duration_days: z.number().int().positive().default(14),
      // Access unused this long is flagged as stale in reviews and on the security overview: tokens (or never
      // used and older than this), people's org and team roles (no login or token use), register grants.
      stale_access_days: z.number().int().positive().default(90),
      training_validity_days: z.number().int().positive().default(365),
      training_reminder_days: z.number().int().min(0).default(30),
      // A response-plan exercise counts as recent for this many days.
      exercise_max_age_days: z.number().int().positive().default(365),
    })
    .default({
      access_review_interval_days: 90,
      access_review_scheduled: true,
      access_review_close_policy: 'keep',
      finding_sla_days: { critical: 7, high: 30, medium: 90, low: 180, unknown: 90 },
      access_review_duration_days: 14,
      stale_access_days: 90,
      training_validity_days: 365,
      training_reminder_days: 30,
      exercise_max_age_days: 365,
    }),
  incidents: z
    .strictObject({
      /** What each severity means here; shown wherever a severity is chosen or displayed. */
      severity_descriptions: z
        .strictObject({
          SEV1: z.string().trim().min(1).max(200),
          SEV2: z.string().trim().min(1).max(200),
          SEV3: z.string().trim().min(1).max(200),
          SEV4: z.string().trim().min(1).max(200),
        })
        .default(DEFAULT_SEVERITY_DESCRIPTIONS),
    })
    .default({ severity_descriptions: DEFAULT_SEVERITY_DESCRIPTIONS }),
});
export type Policy = z.infer<typeof policySchema>;
export const policyResponseSchema = z.object({
  policy: policySchema,
  version: z.number().int(),
  updated_at: z.string().nullable(),
  updated_by: z.string().nullable(),
});
export const updatePolicySchema = z.strictObject({ policy: policySchema, version: z.number().int().min(0) });

export const NOTIFICATION_CHANNELS = ['email', 'webhook', 'slack'] as const;
export const notificationSchema = z.object({
  id: z.string(),
  channel: z.enum(NOTIFICATION_CHANNELS),
  target: z.string(),
  subject: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  source: z.string().nullable(),
  created_at: z.string(),
  delivered_at: z.string().nullable(),
});
export const sendNotificationSchema = z.strictObject({
  channel: z.enum(NOTIFICATION_CHANNELS),
  target: z.string().min(1).max(2048),
  subject: z.string().min(1).max(500),
  text: z.string().max(20000).default(''),
  webhook_secret: z.string().max(500).optional(),
});
export const notificationsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
  channel: z.enum(NOTIFICATION_CHANNELS).optional(),
});
