import { z } from 'zod';
import { idSchema, isoInstantSchema } from './common.ts';

/** Filters shared by every /api/v1/workflow read: a service or team, a repository, a window. */
const scopeFields = {
  service_id: idSchema.optional(),
  team_id: idSchema.optional(),
  /** `owner/name` (GitLab: `group/subgroup/name`), case-insensitive. */
  repository: z
    .string()
    .trim()
    .min(3)
    .max(300)
    .regex(/^[^/\s]+(\/[^/\s]+)+$/, 'must be owner/name')
    .optional(),
  from: isoInstantSchema.optional(),
  to: isoInstantSchema.optional(),
};

function checkScope(
  q: {
    service_id?: string | undefined;
    team_id?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
  },
  ctx: z.RefinementCtx,
) {
  if (q.service_id && q.team_id)
    ctx.addIssue({ code: 'custom', path: ['team_id'], message: 'give service_id or team_id, not both' });
  if (q.from && q.to && Date.parse(q.from) >= Date.parse(q.to))
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
}

const limit = z.coerce.number().int().min(1).max(1000).default(500);

export const workflowQuerySchema = z.strictObject(scopeFields).superRefine(checkScope);
export type WorkflowQuery = z.output<typeof workflowQuerySchema>;

export const workflowPullRequestsQuerySchema = z
  .strictObject({
    ...scopeFields,
    state: z.enum(['open', 'closed', 'merged']).optional(),
    waiting: z.enum(['true', 'false']).optional(),
    /** The author's code-host login, case-insensitive. */
    author: z.string().trim().min(1).max(100).optional(),
    limit,
  })
  .superRefine(checkScope);
export type WorkflowPullRequestsQuery = z.output<typeof workflowPullRequestsQuerySchema>;

export const workflowBranchesQuerySchema = z
  .strictObject({ ...scopeFields, long_lived: z.enum(['true', 'false']).optional(), limit })
  .superRefine(checkScope);
export type WorkflowBranchesQuery = z.output<typeof workflowBranchesQuerySchema>;

export const workflowReviewsQuerySchema = z
  .strictObject({ ...scopeFields, reviewer: z.string().trim().min(1).max(100).optional(), limit })
  .superRefine(checkScope);
export type WorkflowReviewsQuery = z.output<typeof workflowReviewsQuerySchema>;

const seconds = z.number().nullable();

export const workflowPullRequestSchema = z.object({
  id: z.string(),
  service_id: z.string(),
  repository: z.string(),
  number: z.number().int(),
  title: z.string(),
  author: z.string(),
  url: z.string().nullable(),
  state: z.enum(['open', 'closed', 'merged']),
  draft: z.boolean(),
  additions: z.number().int(),
  deletions: z.number().int(),
  changed_files: z.number().int(),
  size_lines: z.number().int(),
  small: z.boolean(),
  /** From the file list (GitHub REST, when configured); null until known. */
  directories_touched: z.number().int().nullable(),
  tests_touched: z.boolean().nullable(),
  /** Code changed without touching tests: flagged for the reviewer's tests focus. */
  code_without_tests: z.boolean().nullable(),
  opened_at: z.string(),
  review_start_at: z.string().nullable(),
  first_review_at: z.string().nullable(),
  first_reviewer: z.string().nullable(),
  approved_at: z.string().nullable(),
  merged_at: z.string().nullable(),
  closed_at: z.string().nullable(),
  review_time_seconds: seconds,
  approve_time_seconds: seconds,
  merge_time_seconds: seconds,
  within_review_target: z.boolean().nullable(),
  waiting_for_review: z.boolean(),
  waiting_since: z.string().nullable(),
  pending_reviewers: z.array(z.string()),
  merged_without_review: z.boolean(),
  merged_without_ci: z.boolean(),
  description: z.enum(['ok', 'empty', 'template_only']),
  self_reviewed: z.boolean(),
  response_time_seconds: seconds,
  cycle: z.object({
    coding_seconds: seconds,
    pickup_seconds: seconds,
    review_seconds: seconds,
    deploy_seconds: seconds,
  }),
});
export type WorkflowPullRequest = z.infer<typeof workflowPullRequestSchema>;

export const workflowReviewSchema = z.object({
  id: z.string(),
  pull_request_id: z.string(),
  repository: z.string(),
  number: z.number().int(),
  title: z.string(),
  author: z.string(),
  reviewer: z.string(),
  state: z.string(),
  submitted_at: z.string(),
  dismissed_at: z.string().nullable(),
});
export type WorkflowReview = z.infer<typeof workflowReviewSchema>;

export const workflowBranchSchema = z.object({
  id: z.string(),
  service_id: z.string(),
  repository: z.string(),
  name: z.string(),
  owner: z.string().nullable(),
  created_at: z.string().nullable(),
  first_commit_at: z.string().nullable(),
  last_push_at: z.string().nullable(),
  merged_at: z.string().nullable(),
  deleted_at: z.string().nullable(),
  open: z.boolean(),
  age_seconds: seconds,
  long_lived: z.boolean(),
  push_count: z.number().int(),
  force_push_count: z.number().int(),
});
export type WorkflowBranch = z.infer<typeof workflowBranchSchema>;

const statsSchema = z.object({ count: z.number().int(), median_seconds: seconds, p90_seconds: seconds });

export const workflowSummarySchema = z.object({
  window: z.object({ from: z.string(), to: z.string() }),
  targets: z.object({
    review_target_hours: z.number(),
    branch_max_age_hours: z.number(),
    small_pr_max_lines: z.number().int(),
    business_hours: z.boolean(),
  }),
  pull_requests: z.object({ opened: z.number().int(), merged: z.number().int(), open: z.number().int() }),
  review_time: statsSchema,
  approve_time: statsSchema,
  merge_time: statsSchema,
  within_review_target: z.object({
    reviewed: z.number().int(),
    within: z.number().int(),
    share: z.number().nullable(),
  }),
  cycle_time: z.object({
    coding: statsSchema,
    pickup: statsSchema,
    review: statsSchema,
    deploy: statsSchema,
  }),
  size: z.object({
    threshold_lines: z.number().int(),
    median_lines: z.number().nullable(),
    p90_lines: z.number().nullable(),
    small_count: z.number().int(),
    small_share: z.number().nullable(),
    buckets: z.array(
      z.object({ label: z.string(), max_lines: z.number().nullable(), count: z.number().int() }),
    ),
  }),
  merged_without_ci: z.object({ count: z.number().int(), items: z.array(workflowPullRequestSchema) }),
  merged_without_review: z.object({ count: z.number().int(), items: z.array(workflowPullRequestSchema) }),
  code_without_tests: z.object({ count: z.number().int(), items: z.array(workflowPullRequestSchema) }),
  descriptions_flagged: z.number().int(),
  self_reviewed_share: z.number().nullable(),
  response_time: statsSchema,
  waiting_for_review: z.array(workflowPullRequestSchema),
  branches: z.object({ lifetime: statsSchema, long_lived: z.array(workflowBranchSchema) }),
  workflow_fit: z.array(
    z.object({
      team_id: z.string(),
      team_name: z.string(),
      team_size: z.number().int(),
      advised: z.enum(['trunk-based', 'feature-branches']),
      practice: z.enum(['trunk-based', 'feature-branches']).nullable(),
      direct_push_share: z.number().nullable(),
      fits: z.boolean().nullable(),
      median_branch_lifetime_seconds: seconds,
    }),
  ),
  /** Per person: authored pull requests and the first reviews given (pickup time). */
  people: z.array(
    z.object({
      login: z.string(),
      authored: z.number().int(),
      merged: z.number().int(),
      review_time_received_median_seconds: seconds,
      median_size_lines: z.number().nullable(),
      self_reviewed_share: z.number().nullable(),
      response_median_seconds: seconds,
      first_reviews_given: z.number().int(),
      pickup_given_median_seconds: seconds,
    }),
  ),
});
export type WorkflowSummary = z.infer<typeof workflowSummarySchema>;

export const workflowIdentitySchema = z.object({
  provider: z.enum(['github', 'gitlab']),
  login: z.string(),
  user_id: z.string(),
  created_at: z.string(),
});
export const setWorkflowIdentitySchema = z.strictObject({
  provider: z.enum(['github', 'gitlab']),
  /** A GitHub login or GitLab username: letters, digits, `-`, `_` and `.`. */
  login: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_.-]+$/, 'a code-host login: letters, digits, "-", "_" or "."'),
  user_id: idSchema,
});
export const workflowIdentityParamsSchema = z.strictObject({
  provider: z.enum(['github', 'gitlab']),
  login: z.string().min(1).max(100),
});

/** Outbound GitHub calls: the merge-gate commit status and the reviewer checklist comment. */
export const setWorkflowGithubSettingsSchema = z.strictObject({
  /** The REST API root: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise. */
  api_url: z
    .string()
    .max(2048)
    .url()
    .refine((u) => /^https?:\/\//i.test(u), { message: 'must be an http(s) URL' }),
  /** Required the first time; kept when omitted (it is never returned). */
  token: z.string().trim().min(1).max(500).optional(),
  merge_gate: z.boolean().default(false),
  checklist: z.boolean().default(false),
});
export const workflowGithubSettingsSchema = z.object({
  configured: z.boolean(),
  api_url: z.string().nullable(),
  token_set: z.boolean(),
  merge_gate: z.boolean(),
  checklist: z.boolean(),
  updated_at: z.string().nullable(),
});

/**
 * History import (`engops import github`): deliveries rebuilt from the code host's REST API, in
 * the webhook shapes, applied like verified webhooks (ids make re-imports count once).
 */
export const importWorkflowDeliveriesSchema = z.strictObject({
  provider: z.enum(['github', 'gitlab']),
  deliveries: z
    .array(
      z.strictObject({
        id: z.string().min(1).max(300),
        event: z.string().min(1).max(100),
        payload: z.record(z.string(), z.unknown()),
      }),
    )
    .min(1)
    .max(500),
});
export const importWorkflowResultSchema = z.object({
  processed: z.number().int(),
  duplicate: z.number().int(),
  ignored: z.number().int(),
});
