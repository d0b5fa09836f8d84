import { z } from 'zod';
import { idSchema, isoInstantSchema } from './common.ts';

// ---------------------------------------------------------------- findings

export const securitySeveritySchema = z.enum(['critical', 'high', 'medium', 'low', 'unknown']);
export type SecuritySeverity = z.infer<typeof securitySeveritySchema>;
export const findingKindSchema = z.enum(['dependency', 'secret']);
export const findingStatusSchema = z.enum(['open', 'acknowledged', 'fixed', 'false_positive']);
export type FindingStatus = z.infer<typeof findingStatusSchema>;

const text = (max: number) => z.string().max(max);

/** One finding as a scanner reports it (`engops scan deps|secrets --upload`). */
export const uploadedFindingSchema = z.strictObject({
  fingerprint: z.string().min(8).max(128),
  rule: z.string().trim().min(1).max(200),
  title: z.string().trim().min(1).max(500),
  severity: securitySeveritySchema,
  file: text(1000),
  line: z.number().int().min(0).nullable().optional(),
  package: text(300).nullable().optional(),
  version: text(200).nullable().optional(),
  ecosystem: text(50).nullable().optional(),
  fixed_version: text(200).nullable().optional(),
  dependency_path: z.array(text(500)).max(100).optional(),
  commit: text(64).nullable().optional(),
  author: text(300).nullable().optional(),
  url: text(2048).nullable().optional(),
});
export type UploadedFinding = z.infer<typeof uploadedFindingSchema>;

export const uploadScanSchema = z.strictObject({
  service_id: idSchema,
  kind: findingKindSchema,
  tool: z.string().trim().min(1).max(100).default('engops'),
  /** A complete scan marks this service's open findings of this kind that it no longer reports as fixed. */
  complete: z.boolean().default(true),
  findings: z.array(uploadedFindingSchema).max(10_000),
  /**
   * What the scan left out because an ignore entry covers it, with the entry's reason: an open
   * finding with that fingerprint is acknowledged (not fixed), and one acknowledged that way and
   * reported again (its entry expired or went) opens again.
   */
  ignored: z
    .array(
      z.strictObject({
        fingerprint: z.string().min(8).max(128),
        reason: z.string().trim().min(1).max(500),
      }),
    )
    .max(10_000)
    .default([]),
});
export const scanResultSchema = z.object({
  scan_id: z.string(),
  service_id: z.string(),
  kind: findingKindSchema,
  created: z.number().int(),
  reopened: z.number().int(),
  unchanged: z.number().int(),
  fixed: z.number().int(),
  /** Open findings the scan's ignore entries now cover: acknowledged. */
  acknowledged: z.number().int(),
  open: z.number().int(),
});

export const securityFindingSchema = z.object({
  id: z.string(),
  service_id: z.string(),
  service_name: z.string(),
  team_id: z.string(),
  kind: findingKindSchema,
  fingerprint: z.string(),
  rule: z.string(),
  title: z.string(),
  severity: securitySeveritySchema,
  status: findingStatusSchema,
  status_reason: z.string().nullable(),
  status_changed_by: z.string().nullable(),
  status_changed_at: z.string().nullable(),
  file: z.string(),
  line: z.number().nullable(),
  package: z.string().nullable(),
  version: z.string().nullable(),
  ecosystem: z.string().nullable(),
  fixed_version: z.string().nullable(),
  dependency_path: z.array(z.string()),
  commit: z.string().nullable(),
  author: z.string().nullable(),
  url: z.string().nullable(),
  first_seen_at: z.string(),
  last_seen_at: z.string(),
  fixed_at: z.string().nullable(),
  /** When the policy's SLA for this severity runs out (null: no SLA for it). */
  due_at: z.string().nullable(),
  overdue: z.boolean(),
});
export type SecurityFinding = z.infer<typeof securityFindingSchema>;

export const listFindingsQuerySchema = z.strictObject({
  service_id: idSchema.optional(),
  team_id: idSchema.optional(),
  kind: findingKindSchema.optional(),
  /** One status, or `unresolved` (open and acknowledged). */
  status: z.enum([...findingStatusSchema.options, 'unresolved']).optional(),
  severity: securitySeveritySchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

export const updateFindingStatusSchema = z
  .strictObject({
    status: findingStatusSchema,
    reason: z.string().trim().min(1).max(2000).optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.status === 'false_positive' || value.status === 'acknowledged') && !value.reason) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: `a reason is required for ${value.status}` });
    }
  });

export const findingHistoryEntrySchema = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  reason: z.string().nullable(),
});
export const findingDetailSchema = securityFindingSchema.extend({
  history: z.array(findingHistoryEntrySchema),
});

// ---------------------------------------------------------------- advisories and inventories

/** OSV records (https://ossf.github.io/osv-schema/), checked for what matching needs. */
export const importAdvisoriesSchema = z.strictObject({
  advisories: z
    .array(
      z.looseObject({
        id: z.string().min(1).max(200),
        modified: z.string().max(64).optional(),
        affected: z.array(z.looseObject({})).max(500).optional(),
      }),
    )
    .min(1)
    .max(1000),
});
export const importAdvisoriesResultSchema = z.object({
  imported: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  total: z.number().int(),
});
export const uploadInventorySchema = z.strictObject({
  service_id: idSchema,
  dependencies: z
    .array(
      z.strictObject({
        ecosystem: z.enum(['npm', 'PyPI', 'Go', 'crates.io', 'RubyGems', 'Packagist']),
        name: z.string().min(1).max(300),
        version: z.string().min(1).max(200),
        file: z.string().max(1000),
        direct: z.boolean().default(false),
        dev: z.boolean().default(false),
        path: z.array(z.string().max(500)).max(100).default([]),
      }),
    )
    .max(50_000),
  /** The ignore entries the scan applied (`.engops-deps-ignore.json`); the server's rescans apply them too. */
  ignores: z
    .array(
      z.strictObject({
        id: z.string().min(1).max(200),
        package: z.string().min(1).max(300).optional(),
        reason: z.string().min(1).max(2000),
        expires: z.string().max(40).optional(),
      }),
    )
    .max(10_000)
    .optional(),
});
export const inventoryResultSchema = z.object({ service_id: z.string(), dependencies: z.number().int() });

// ---------------------------------------------------------------- response plans, overview

export const responsePlanItemSchema = z.object({
  key: z.enum(['owner_team', 'escalation_policy', 'oncall_no_gaps', 'runbook', 'recent_exercise']),
  label: z.string(),
  ok: z.boolean(),
  detail: z.string(),
});
export const responsePlanSchema = z.object({
  service_id: z.string(),
  service_name: z.string(),
  team_id: z.string(),
  complete: z.boolean(),
  done: z.number().int(),
  total: z.number().int(),
  items: z.array(responsePlanItemSchema),
  missing: z.array(z.string()),
});
export type ResponsePlan = z.infer<typeof responsePlanSchema>;

export const teamQuerySchema = z.strictObject({ team_id: idSchema.optional() });

export const createExerciseSchema = z.strictObject({
  service_id: idSchema,
  kind: z.enum(['tabletop', 'game_day', 'real_incident']).default('tabletop'),
  exercised_at: isoInstantSchema,
  notes: z.string().trim().max(4000).optional(),
});
export const exerciseSchema = z.object({
  id: z.string(),
  service_id: z.string(),
  team_id: z.string(),
  kind: z.string(),
  exercised_at: z.string(),
  notes: z.string().nullable(),
  recorded_by: z.string(),
  created_at: z.string(),
});

const severityCounts = z.object({
  critical: z.number().int(),
  high: z.number().int(),
  medium: z.number().int(),
  low: z.number().int(),
  unknown: z.number().int(),
});
export const securityOverviewSchema = z.object({
  services: z.array(
    z.object({
      service_id: z.string(),
      service_name: z.string(),
      team_id: z.string(),
      open: severityCounts,
      overdue: z.number().int(),
      last_scan: z.object({ dependency: z.string().nullable(), secret: z.string().nullable() }),
      response_plan: z.object({ complete: z.boolean(), done: z.number().int(), total: z.number().int() }),
    }),
  ),
  teams: z.array(
    z.object({
      team_id: z.string(),
      team_name: z.string(),
      open_findings: z.number().int(),
      overdue_findings: z.number().int(),
      training_compliance: z.number().nullable(),
      review_pending: z.number().int(),
      review_total: z.number().int(),
      plans_complete: z.number().int(),
      services: z.number().int(),
      /** Grants owned by the team flagged stale now (team roles, team tokens, the team's systems). */
      stale_grants: z.number().int(),
    }),
  ),
  /** Every grant the caller may see that is flagged stale now (not only those in a campaign). */
  stale_access: z.array(
    z.object({
      kind: z.enum(['org_role', 'team_role', 'token', 'system_grant']),
      subject_id: z.string(),
      subject_name: z.string(),
      team_id: z.string().nullable(),
      team_name: z.string().nullable(),
      role: z.string(),
      last_used_at: z.string().nullable(),
      stale_reason: z.string(),
    }),
  ),
});

// ---------------------------------------------------------------- access reviews

export const reviewItemKindSchema = z.enum(['org_role', 'team_role', 'token', 'system_grant']);
export const reviewDecisionSchema = z.enum(['certify', 'revoke']);

export const createCampaignSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  due_at: isoInstantSchema.optional(),
  /** What closing does to grants nobody reviewed: revoke them (default) or keep them. */
  close_policy: z.enum(['revoke', 'keep']).default('revoke'),
});
export const reviewItemSchema = z.object({
  id: z.string(),
  campaign_id: z.string(),
  kind: reviewItemKindSchema,
  subject_id: z.string(),
  subject_name: z.string(),
  team_id: z.string().nullable(),
  team_name: z.string().nullable(),
  /** engops' role for org and team grants and tokens; the access held for system grants. */
  role: z.string(),
  last_used_at: z.string().nullable(),
  stale: z.boolean(),
  stale_reason: z.string().nullable(),
  decision: reviewDecisionSchema.nullable(),
  note: z.string().nullable(),
  decided_by: z.string().nullable(),
  decided_at: z.string().nullable(),
  outcome: z.enum(['pending', 'kept', 'revoked', 'revoked_on_close', 'kept_on_close']),
});
export type ReviewItem = z.infer<typeof reviewItemSchema>;
export const campaignSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['open', 'closed']),
  close_policy: z.enum(['revoke', 'keep']),
  started_at: z.string(),
  due_at: z.string(),
  closed_at: z.string().nullable(),
  created_by: z.string(),
  total: z.number().int(),
  reviewed: z.number().int(),
  revoked: z.number().int(),
  stale: z.number().int(),
});
export type Campaign = z.infer<typeof campaignSchema>;
export const campaignDetailSchema = campaignSchema.extend({ items: z.array(reviewItemSchema) });
export const reviewDecisionBodySchema = z.strictObject({
  decision: reviewDecisionSchema,
  note: z.string().trim().min(1).max(2000),
});
export const campaignItemParamsSchema = z.strictObject({ id: idSchema, itemId: idSchema });
export const evidenceQuerySchema = z.strictObject({ format: z.enum(['json', 'csv']).default('json') });
export const campaignEvidenceSchema = z.object({
  report: z.object({
    campaign: campaignSchema,
    items: z.array(reviewItemSchema),
    generated_at: z.string(),
  }),
  /** A token signed with this server's key (HMAC-SHA256) whose claims hold the SHA-256 of the report's JSON. */
  signature: z.string(),
  algorithm: z.literal('engops-signed-sha256'),
});
export const verifyEvidenceSchema = z.strictObject({
  report: z.record(z.string(), z.unknown()),
  signature: z.string().min(1).max(4000),
});
export const verifyEvidenceResultSchema = z.object({
  valid: z.boolean(),
  campaign_id: z.string().nullable(),
});

// ---------------------------------------------------------------- access register (other systems)

export const registerGrantSchema = z.strictObject({
  person: z.string().trim().min(1).max(300),
  email: z.email().max(320).optional(),
  access: z.string().trim().min(1).max(300),
  last_used_at: isoInstantSchema.optional(),
});
export const importRegisterSchema = z
  .strictObject({
    system: z.string().trim().min(1).max(200),
    /** The team that owns the system: its managers review these grants. */
    owner_team_id: idSchema.optional(),
    grants: z.array(registerGrantSchema).max(20_000).optional(),
    /** Or CSV with a header row: person,email,access,last_used_at (email and last_used_at may be empty). */
    csv: z.string().max(5_000_000).optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.grants === undefined) === (value.csv === undefined))
      ctx.addIssue({ code: 'custom', path: ['grants'], message: 'send either grants or csv' });
  });
export const registerEntrySchema = z.object({
  id: z.string(),
  system: z.string(),
  owner_team_id: z.string().nullable(),
  person: z.string(),
  email: z.string().nullable(),
  access: z.string(),
  last_used_at: z.string().nullable(),
  imported_at: z.string(),
  removed_at: z.string().nullable(),
  removed_by: z.string().nullable(),
  removal_note: z.string().nullable(),
});
export const importRegisterResultSchema = z.object({
  system: z.string(),
  added: z.number().int(),
  kept: z.number().int(),
  gone: z.number().int(),
});
export const registerQuerySchema = z.strictObject({ system: z.string().max(200).optional() });

// ---------------------------------------------------------------- training

export const createCourseSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().trim().max(2000).optional(),
  /** How long a completion counts; null = forever. Default: policy security.training_validity_days. */
  validity_days: z.number().int().positive().max(3650).nullable().optional(),
  /** Teams whose members must take it; empty = everyone. */
  required_team_ids: z.array(idSchema).max(200).default([]),
});
export const courseSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  validity_days: z.number().int().nullable(),
  required_team_ids: z.array(z.string()),
  created_at: z.string(),
});
export const recordCompletionSchema = z.strictObject({
  course_id: idSchema,
  /** Whose completion; omitted = the caller's own. */
  user_id: idSchema.optional(),
  completed_at: isoInstantSchema,
});
export const completionSchema = z.object({
  id: z.string(),
  course_id: z.string(),
  user_id: z.string(),
  completed_at: z.string(),
  expires_at: z.string().nullable(),
  recorded_by: z.string(),
});
export const trainingStatusSchema = z.object({
  people: z.array(
    z.object({
      user_id: z.string(),
      name: z.string(),
      email: z.string(),
      courses: z.array(
        z.object({
          course_id: z.string(),
          course_name: z.string(),
          status: z.enum(['complete', 'expiring', 'expired', 'missing']),
          completed_at: z.string().nullable(),
          expires_at: z.string().nullable(),
        }),
      ),
    }),
  ),
  overdue: z.array(
    z.object({
      user_id: z.string(),
      name: z.string(),
      course_id: z.string(),
      course_name: z.string(),
      status: z.enum(['expired', 'missing']),
    }),
  ),
  teams: z.array(
    z.object({
      team_id: z.string(),
      team_name: z.string(),
      required: z.number().int(),
      complete: z.number().int(),
      compliance: z.number().nullable(),
    }),
  ),
});
