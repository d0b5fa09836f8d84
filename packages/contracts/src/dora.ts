import { z } from 'zod';
import { idSchema, isoInstantSchema } from './common.ts';

export const DORA_TIERS = ['elite', 'high', 'medium', 'low'] as const;
export type DoraTier = (typeof DORA_TIERS)[number];
export const DEPLOYMENT_STATUSES = ['success', 'failure'] as const;
export const DEPLOYMENT_KINDS = ['normal', 'rollback', 'hotfix'] as const;
export const DORA_METRICS = [
  'deployment_frequency',
  'lead_time',
  'change_failure_rate',
  'time_to_restore',
  'rework_rate',
] as const;
export type DoraMetric = (typeof DORA_METRICS)[number];

const shaSchema = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F]{4,64}$/, 'must be a hexadecimal commit sha')
  .transform((s) => s.toLowerCase());

export const deploymentCommitSchema = z.strictObject({
  sha: shaSchema,
  committed_at: isoInstantSchema,
  authored_at: isoInstantSchema.optional(),
  message: z.string().max(10_000).optional(),
});

export const createDeploymentSchema = z
  .strictObject({
    service_id: idSchema,
    environment: z.string().trim().min(1).max(100),
    version: z.string().max(200).optional(),
    commit_sha: shaSchema,
    status: z.enum(DEPLOYMENT_STATUSES),
    started_at: isoInstantSchema.optional(),
    finished_at: isoInstantSchema,
    kind: z.enum(DEPLOYMENT_KINDS).default('normal'),
    rollback_of: idSchema.optional(),
    external_id: z.string().min(1).max(200).optional(),
    commits: z.array(deploymentCommitSchema).max(10_000).optional(),
  })
  .superRefine((d, ctx) => {
    if (d.started_at && Date.parse(d.started_at) > Date.parse(d.finished_at))
      ctx.addIssue({ code: 'custom', path: ['started_at'], message: 'must not be after finished_at' });
    if (d.rollback_of && d.kind !== 'rollback')
      ctx.addIssue({ code: 'custom', path: ['rollback_of'], message: 'only a rollback names rollback_of' });
  });
export type CreateDeployment = z.output<typeof createDeploymentSchema>;

export const deploymentSchema = z.object({
  id: z.string(),
  service_id: z.string(),
  environment: z.string(),
  version: z.string().nullable(),
  commit_sha: z.string(),
  status: z.enum(DEPLOYMENT_STATUSES),
  kind: z.enum(DEPLOYMENT_KINDS),
  rollback_of: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string(),
  source: z.string(),
  external_id: z.string().nullable(),
  commit_count: z.number().int(),
  created_at: z.string(),
});
export type Deployment = z.infer<typeof deploymentSchema>;

export const listDeploymentsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  service_id: idSchema.optional(),
  team_id: idSchema.optional(),
  environment: z.string().max(100).optional(),
  status: z.enum(DEPLOYMENT_STATUSES).optional(),
  from: isoInstantSchema.optional(),
  to: isoInstantSchema.optional(),
});

export const doraQuerySchema = z
  .strictObject({
    service_id: idSchema.optional(),
    team_id: idSchema.optional(),
    from: isoInstantSchema.optional(),
    to: isoInstantSchema.optional(),
  })
  .superRefine((q, ctx) => {
    if (q.service_id && q.team_id)
      ctx.addIssue({ code: 'custom', path: ['team_id'], message: 'give service_id or team_id, not both' });
    if (q.from && q.to && Date.parse(q.from) >= Date.parse(q.to))
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  });
export type DoraQuery = z.output<typeof doraQuerySchema>;

export const doraTrendQuerySchema = z
  .strictObject({
    service_id: idSchema.optional(),
    team_id: idSchema.optional(),
    from: isoInstantSchema.optional(),
    to: isoInstantSchema.optional(),
    bucket: z.enum(['week', 'month']).default('week'),
  })
  .superRefine((q, ctx) => {
    if (q.service_id && q.team_id)
      ctx.addIssue({ code: 'custom', path: ['team_id'], message: 'give service_id or team_id, not both' });
    if (q.from && q.to && Date.parse(q.from) >= Date.parse(q.to))
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  });

export const doraEvidenceQuerySchema = z
  .strictObject({
    metric: z.enum(DORA_METRICS),
    service_id: idSchema.optional(),
    team_id: idSchema.optional(),
    from: isoInstantSchema.optional(),
    to: isoInstantSchema.optional(),
  })
  .superRefine((q, ctx) => {
    if (q.service_id && q.team_id)
      ctx.addIssue({ code: 'custom', path: ['team_id'], message: 'give service_id or team_id, not both' });
    if (q.from && q.to && Date.parse(q.from) >= Date.parse(q.to))
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  });

const tierSchema = z.enum(DORA_TIERS).nullable();
const nextSchema = z.object({ tier: z.enum(DORA_TIERS), needs: z.string() }).nullable();

export const doraReportSchema = z.object({
  window: z.object({ from: z.string(), to: z.string(), days: z.number() }),
  deployment_frequency: z.object({
    per_day: z.number(),
    deployments: z.number().int(),
    tier: tierSchema,
    next: nextSchema,
  }),
  lead_time: z.object({
    median_seconds: z.number().nullable(),
    p90_seconds: z.number().nullable(),
    changes: z.number().int(),
    tier: tierSchema,
    next: nextSchema,
  }),
  change_failure_rate: z.object({
    value: z.number().nullable(),
    failed: z.number().int(),
    deployments: z.number().int(),
    tier: tierSchema,
    next: nextSchema,
  }),
  time_to_restore: z.object({
    median_seconds: z.number().nullable(),
    incidents: z.number().int(),
    tier: tierSchema,
    next: nextSchema,
  }),
  rework_rate: z.object({
    value: z.number().nullable(),
    reworked: z.number().int(),
    deployments: z.number().int(),
  }),
  overall_tier: tierSchema,
});
export type DoraReport = z.infer<typeof doraReportSchema>;

export const doraTrendSchema = z.object({
  bucket: z.enum(['week', 'month']),
  buckets: z.array(doraReportSchema),
});

export const doraEvidenceSchema = z.object({
  metric: z.enum(DORA_METRICS),
  window: z.object({ from: z.string(), to: z.string(), days: z.number() }),
  deployments: z.array(
    z.object({
      id: z.string(),
      service_id: z.string(),
      status: z.string(),
      kind: z.string(),
      version: z.string().nullable(),
      commit_sha: z.string(),
      finished_at: z.string(),
      failed: z.boolean(),
      failure_reasons: z.array(z.string()),
    }),
  ),
  changes: z.array(
    z.object({
      service_id: z.string(),
      sha: z.string(),
      committed_at: z.string(),
      deployment_id: z.string(),
      deployed_at: z.string(),
      lead_seconds: z.number(),
    }),
  ),
  incidents: z.array(
    z.object({
      id: z.string(),
      service_id: z.string(),
      triggered_at: z.string(),
      restored_at: z.string().nullable(),
      restore_seconds: z.number().nullable(),
    }),
  ),
  truncated: z.boolean(),
});
export type DoraEvidence = z.infer<typeof doraEvidenceSchema>;

export const githubIntegrationSchema = z.strictObject({
  webhook_secret: z.string().min(16).max(500),
});
export const githubIntegrationViewSchema = z.object({
  webhook_secret_set: z.boolean(),
  source: z.enum(['settings', 'environment', 'none']),
  updated_at: z.string().nullable(),
});

// ---- git import (`engops import git`)

export const gitImportStateQuerySchema = z.strictObject({ service_id: idSchema });

export const gitImportStateSchema = z.object({
  service_id: z.string(),
  /** Commits the last import reached: the next one reads only what they do not contain. */
  tips: z.array(z.string()),
  /** Tags already recorded as deployments. */
  tags: z.array(z.string()),
  commits: z.number().int(),
  updated_at: z.string().nullable(),
});
export type GitImportState = z.infer<typeof gitImportStateSchema>;

export const GIT_IMPORT_MAX_COMMITS = 5000;
export const GIT_IMPORT_MAX_LINKS = 200_000;

export const gitImportBatchSchema = z.strictObject({
  service_id: idSchema,
  commits: z.array(deploymentCommitSchema).max(GIT_IMPORT_MAX_COMMITS).default([]),
  /** Tags as deployments: each ships the commits it holds that no earlier tag held. */
  deployments: z
    .array(
      z.strictObject({
        tag: z.string().trim().min(1).max(250),
        commit_sha: shaSchema,
        finished_at: isoInstantSchema,
        environment: z.string().trim().min(1).max(100).optional(),
        shas: z.array(shaSchema).max(GIT_IMPORT_MAX_LINKS),
      }),
    )
    .max(100)
    .default([]),
  /** Sent with the last batch: the commits this import reached. */
  tips: z.array(shaSchema).max(10_000).optional(),
});
export type GitImportBatch = z.output<typeof gitImportBatchSchema>;

export const gitImportResultSchema = z.object({
  commits_received: z.number().int(),
  commits_created: z.number().int(),
  deployments_created: z.number().int(),
  deployments_existing: z.number().int(),
});
export type GitImportResult = z.infer<typeof gitImportResultSchema>;

// ---- explicit repository -> service mappings

export const createRepositoryMappingSchema = z.strictObject({
  repository_url: z.string().trim().min(3).max(500),
  service_id: idSchema,
  /**
   * GitHub workflows (names or .github/workflows/ paths) whose completed runs on the default branch
   * are production deployments; without it, workflows with "deploy" in their name or path.
   */
  deploy_workflows: z.array(z.string().trim().min(1).max(200)).max(50).optional(),
});

export const repositoryMappingSchema = z.object({
  repository_key: z.string(),
  repository_url: z.string(),
  service_id: z.string(),
  deploy_workflows: z.array(z.string()).nullable(),
  created_at: z.string(),
});
export type RepositoryMapping = z.infer<typeof repositoryMappingSchema>;

export const repositoryKeyParamsSchema = z.strictObject({ key: z.string().min(3).max(500) });
