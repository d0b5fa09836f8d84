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
});
export type ActionItem = z.infer<typeof actionItemSchema>;

export const postmortemSchema = postmortemSummarySchema.extend({
  markdown: z.string(),
  action_items: z.array(actionItemSchema),
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
  status: z.enum(POSTMORTEM_STATUSES).optional(),
  overdue: booleanQuery.optional(),
  /** Full text over title and body (case-insensitive substring). */
  q: z.string().trim().min(1).max(200).optional(),
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
  /** Findings dismissed as false positives: any finding with this rule and text is left out. */
  dismissed: z
    .array(z.strictObject({ rule: z.string().max(50), text: z.string().max(500) }))
    .max(500)
    .optional(),
});
export const renderRequestSchema = z.strictObject({ markdown: z.string().max(200_000) });
export const renderResponseSchema = z.object({ html: z.string() });
export const lintResponseSchema = z.object({ findings: z.array(lintFindingSchema) });

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
  owner_id: idSchema.optional(),
  team_id: idSchema.optional(),
  status: z.enum(ACTION_ITEM_STATUSES).optional(),
  overdue: booleanQuery.optional(),
});
