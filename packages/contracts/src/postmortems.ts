import { z } from 'zod';
import { idSchema } from './common.ts';

export const POSTMORTEM_STATUSES = ['draft', 'in_review', 'published'] as const;
export const ACTION_ITEM_STATUSES = ['open', 'in_progress', 'done', 'wont_do'] as const;

const dateSchema = z.iso.date();
const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const postmortemSummarySchema = z.object({
  id: z.string(),
  incident_id: z.string(),
  team_id: z.string(),
  title: z.string(),
  status: z.enum(POSTMORTEM_STATUSES),
  version: z.number().int(),
  due_at: z.string(),
  overdue: z.boolean(),
  submitted_at: z.string().nullable(),
  published_at: z.string().nullable(),
  published_on_time: z.boolean().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type PostmortemSummary = z.infer<typeof postmortemSummarySchema>;

export const actionItemSchema = z.object({
  id: z.string(),
  postmortem_id: z.string(),
  team_id: z.string(),
  title: z.string(),
  owner_id: z.string().nullable(),
  owner_handle: z.string().nullable(),
  due_date: z.string().nullable(),
  status: z.enum(ACTION_ITEM_STATUSES),
  reason: z.string().nullable(),
  source: z.enum(['markdown', 'api']),
  overdue: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
  completed_at: z.string().nullable(),
  /** The issue this item was exported to (GitHub), once exported. */
  tracker_issue: z.object({ url: z.string(), key: z.string() }).nullable(),
  /** Why the last export failed, until one succeeds. */
  export_error: z.string().nullable(),
});
export type ActionItem = z.infer<typeof actionItemSchema>;

export const BLAMELESS_RULE_IDS = [
  'fault',
  'human-error',
  'careless',
  'should-have-known',
  'failed-to',
  'negligent',
  'stupid',
  'custom-phrase',
  'person-as-subject',
] as const;

export const lintDismissalSchema = z.object({
  id: z.string(),
  postmortem_id: z.string(),
  rule: z.string(),
  /** The finding's text, lower case with single spaces: any finding of `rule` with this text is dismissed. */
  text: z.string(),
  reason: z.string().nullable(),
  dismissed_by: z.string().nullable(),
  created_at: z.string(),
});
export type LintDismissal = z.infer<typeof lintDismissalSchema>;

export const createLintDismissalSchema = z.strictObject({
  rule: z.enum(BLAMELESS_RULE_IDS),
  text: z.string().trim().min(1).max(500),
  reason: z.string().trim().min(1).max(1000).optional(),
});
export const dismissalParamsSchema = z.strictObject({ id: idSchema, dismissal_id: idSchema });

export const postmortemSchema = postmortemSummarySchema.extend({
  markdown: z.string(),
  action_items: z.array(actionItemSchema),
  /** Blameless-lint findings dismissed as false positives; they stay dismissed across edits. */
  lint_dismissals: z.array(lintDismissalSchema),
});
export type Postmortem = z.infer<typeof postmortemSchema>;

export const updatePostmortemSchema = z.strictObject({
  markdown: z.string().max(200_000),
  version: z.number().int().min(1),
});

export const postmortemListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  team_id: idSchema.optional(),
  /** The postmortem of this incident (a list of at most one). */
  incident_id: idSchema.optional(),
  status: z.enum(POSTMORTEM_STATUSES).optional(),
  overdue: booleanQuery.optional(),
  /** Full text over title and body (web-search syntax: words, "phrases", or, -word); newest first. */
  q: z.string().trim().min(1).max(200).optional(),
});

export const postmortemSearchQuerySchema = z.strictObject({
  /** Web-search syntax: all words, "a phrase", either or other, -excluded. */
  q: z.string().trim().min(1).max(200),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
  team_id: idSchema.optional(),
  status: z.enum(POSTMORTEM_STATUSES).optional(),
  overdue: booleanQuery.optional(),
});
export const postmortemSearchHitSchema = postmortemSummarySchema.extend({
  /** Relevance, higher is better (comparable within one answer only). */
  rank: z.number(),
  /** Plain text around the matches. */
  snippet: z.string(),
  /** [start, end) character ranges of the matched words in `snippet`. */
  highlights: z.array(z.tuple([z.number().int(), z.number().int()])),
});
export type PostmortemSearchHit = z.infer<typeof postmortemSearchHitSchema>;
export const postmortemSearchResultSchema = z.object({
  items: z.array(postmortemSearchHitSchema),
  next_cursor: z.string().nullable(),
});

export const missingPostmortemsQuerySchema = z.strictObject({ team_id: idSchema.optional() });
export const missingPostmortemsSchema = z.object({
  items: z.array(
    z.object({
      incident_id: z.string(),
      number: z.number().int(),
      title: z.string(),
      severity: z.string(),
      team_id: z.string(),
      status: z.string(),
      ended_at: z.string().nullable(),
      due_at: z.string().nullable(),
      overdue: z.boolean(),
    }),
  ),
});

export const postmortemStatsQuerySchema = z.strictObject({
  team_id: idSchema.optional(),
});
export const postmortemStatsSchema = z.object({
  overdue: z.number().int(),
  by_team_month: z.array(
    z.object({
      team_id: z.string(),
      month: z.string(),
      due: z.number().int(),
      published: z.number().int(),
      published_on_time: z.number().int(),
      overdue: z.number().int(),
      /** published on time / due, null when nothing was due */
      on_time_share: z.number().nullable(),
    }),
  ),
});

export const lintFindingSchema = z.object({
  line: z.number().int(),
  column: z.number().int(),
  text: z.string(),
  rule: z.string(),
  message: z.string(),
  suggestion: z.string(),
});
export type LintFinding = z.infer<typeof lintFindingSchema>;
export const lintRequestSchema = z.strictObject({
  markdown: z.string().max(200_000),
  /** Apply the dismissals stored on this postmortem (the editor's live lint). */
  postmortem_id: idSchema.optional(),
  /** Findings dismissed as false positives: any finding with this rule and text is left out. */
  dismissed: z
    .array(z.strictObject({ rule: z.string().max(50), text: z.string().max(500) }))
    .max(500)
    .optional(),
});
export const renderRequestSchema = z.strictObject({ markdown: z.string().max(200_000) });
export const renderResponseSchema = z.object({ html: z.string() });
export const lintResponseSchema = z.object({ findings: z.array(lintFindingSchema) });
export const postmortemLintSchema = z.object({
  findings: z.array(lintFindingSchema),
  dismissed: z.array(lintDismissalSchema),
});

export const createActionItemSchema = z.strictObject({
  title: z.string().trim().min(1).max(500),
  owner_id: idSchema,
  due_date: dateSchema,
});

export const updateActionItemSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(500).optional(),
    owner_id: idSchema.optional(),
    due_date: dateSchema.optional(),
    status: z.enum(ACTION_ITEM_STATUSES).optional(),
    reason: z.string().trim().min(1).max(2000).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.status === 'wont_do' && !v.reason) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'a reason is required for wont_do' });
    }
  });

export const actionItemListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  /** A user id, or `me` for the caller. */
  owner_id: z.union([z.literal('me'), idSchema]).optional(),
  team_id: idSchema.optional(),
  status: z.enum(ACTION_ITEM_STATUSES).optional(),
  overdue: booleanQuery.optional(),
});

/** Export of an action item to an issue tracker (GitHub). */
export const exportActionItemSchema = z.strictObject({
  /** owner/name; defaults to the tracker's default repository. */
  repo: z
    .string()
    .regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name')
    .max(200)
    .optional(),
});

export const githubTrackerSchema = z.strictObject({
  /** https://api.github.com, or https://<host>/api/v3 for GitHub Enterprise Server. */
  api_url: z.url({ protocol: /^https?$/ }).max(2048),
  /** A token that may create issues; required the first time, kept when omitted. */
  token: z.string().trim().min(1).max(500).optional(),
  default_repo: z
    .string()
    .regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name')
    .max(200)
    .nullable()
    .optional(),
  labels: z.array(z.string().trim().min(1).max(50)).max(20).optional(),
});
export const githubTrackerViewSchema = z.object({
  configured: z.boolean(),
  api_url: z.string().nullable(),
  default_repo: z.string().nullable(),
  labels: z.array(z.string()),
  /** The token is never returned. */
  token_set: z.boolean(),
  updated_at: z.string().nullable(),
});
