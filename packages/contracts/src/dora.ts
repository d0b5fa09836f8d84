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

/** GET /api/v1/deployments/:id/commits: what a deployment shipped, with each commit's lead time. */
export const deploymentCommitsSchema = z.object({
  deployment_id: z.string(),
  items: z.array(
    z.object({
      sha: z.string(),
      committed_at: z.string().nullable(),
      authored_at: z.string().nullable(),
      message: z.string().nullable(),
      /** The deployment that first shipped it to this environment (null: none successful yet). */
      first_deployment_id: z.string().nullable(),
      /** Its lead time, counted only where this deployment is the first to ship it. */
      lead_seconds: z.number().nullable(),
    }),
  ),
  truncated: z.boolean(),
});
export type DeploymentCommits = z.infer<typeof deploymentCommitsSchema>;

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
      /** The deployment a responder confirmed as the cause (null: none confirmed yet). */
      caused_by_deployment_id: z.string().nullable(),
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
/** Commits per request in the columnar form (`columns`). */
export const GIT_IMPORT_MAX_COLUMN_COMMITS = 50_000;
export const GIT_IMPORT_MAX_LINKS = 200_000;
/** The body limit of `POST /api/v1/imports/git` (larger than the server's default). */
export const GIT_IMPORT_BODY_LIMIT = 32 * 1024 * 1024;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const digits = (s: string, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
};

/**
 * An instant as stored (`YYYY-MM-DDTHH:MM:SS.sssZ`), or null when `value` is not an ISO-8601
 * date-time with a zone (the same strings `isoInstantSchema` accepts). The canonical form, what
 * `engops import git` sends, is checked field by field without date arithmetic.
 */
export function canonicalInstant(value: string): string | null {
  if (value.length === 24 && value[4] === '-' && value[7] === '-' && value[10] === 'T') {
    if (value[13] === ':' && value[16] === ':' && value[19] === '.' && value[23] === 'Z') {
      const year = digits(value, 0, 4);
      const month = digits(value, 5, 7);
      const day = digits(value, 8, 10);
      const ok =
        year >= 0 &&
        month >= 1 &&
        month <= 12 &&
        day >= 1 &&
        day <= (DAYS_IN_MONTH[month - 1] ?? 0) &&
        (month !== 2 || day < 29 || (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) &&
        digits(value, 11, 13) >= 0 &&
        digits(value, 11, 13) < 24 &&
        digits(value, 14, 16) >= 0 &&
        digits(value, 14, 16) < 60 &&
        digits(value, 17, 19) >= 0 &&
        digits(value, 17, 19) < 60 &&
        digits(value, 20, 23) >= 0;
      if (ok) return value;
    }
  }
  if (!isoInstantSchema.safeParse(value).success) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

const SHA = /^[0-9a-fA-F]{4,64}$/;
/** Issues reported per request at most (a whole bad batch is not echoed back). */
const MAX_COLUMN_ISSUES = 20;

/**
 * A batch's commits as one array per field (the i-th entries are one commit): a tenth of the
 * parsing of an object per commit. Checked element by element by hand, with the same rules and
 * messages as `commits` (sha, ISO-8601 times with a zone, messages of at most 10,000 characters);
 * shas come out lower-case and times as stored (UTC, milliseconds).
 */
export const gitCommitColumnsSchema = z
  .strictObject({
    sha: z.array(z.string()).max(GIT_IMPORT_MAX_COLUMN_COMMITS),
    committed_at: z.array(z.string()).max(GIT_IMPORT_MAX_COLUMN_COMMITS),
    authored_at: z.array(z.string().nullable()).max(GIT_IMPORT_MAX_COLUMN_COMMITS).optional(),
    message: z.array(z.string().nullable()).max(GIT_IMPORT_MAX_COLUMN_COMMITS).optional(),
  })
  .transform((columns, ctx) => {
    const n = columns.sha.length;
    let issues = 0;
    const issue = (path: Array<string | number>, message: string) => {
      if (issues++ < MAX_COLUMN_ISSUES) ctx.issues.push({ code: 'custom', message, input: columns, path });
    };
    for (const name of ['committed_at', 'authored_at', 'message'] as const) {
      const column = columns[name];
      if (column && column.length !== n) issue([name], `must have one entry per sha (${n})`);
    }
    if (issues) return z.NEVER;
    const sha: string[] = new Array(n);
    const committedAt: string[] = new Array(n);
    const authoredAt: Array<string | null> = new Array(n);
    const message: Array<string | null> = new Array(n);
    for (let i = 0; i < n; i++) {
      const s = (columns.sha[i] as string).trim();
      if (!SHA.test(s)) issue(['sha', i], 'must be a hexadecimal commit sha');
      sha[i] = s.toLowerCase();
      const c = canonicalInstant(columns.committed_at[i] as string);
      if (c === null) issue(['committed_at', i], 'Invalid ISO datetime');
      committedAt[i] = c as string;
      const a = columns.authored_at?.[i] ?? null;
      const ac = a === null ? null : canonicalInstant(a);
      if (a !== null && ac === null) issue(['authored_at', i], 'Invalid ISO datetime');
      authoredAt[i] = ac;
      const m = columns.message?.[i] ?? null;
      if (m !== null && m.length > 10_000)
        issue(['message', i], 'Too big: expected string to have <=10000 characters');
      message[i] = m;
    }
    if (issues) return z.NEVER;
    return { sha, committed_at: committedAt, authored_at: authoredAt, message };
  });
export type GitCommitColumns = z.output<typeof gitCommitColumnsSchema>;

/** A tag's commit list: shas checked by hand (as shaSchema does), lower-cased. */
const gitShaListSchema = z
  .array(z.string())
  .max(GIT_IMPORT_MAX_LINKS)
  .transform((shas, ctx) => {
    let issues = 0;
    const out: string[] = new Array(shas.length);
    for (let i = 0; i < shas.length; i++) {
      const s = (shas[i] as string).trim();
      if (!SHA.test(s) && issues++ < MAX_COLUMN_ISSUES)
        ctx.issues.push({
          code: 'custom',
          message: 'must be a hexadecimal commit sha',
          input: shas,
          path: [i],
        });
      out[i] = s.toLowerCase();
    }
    return issues ? z.NEVER : out;
  });

export const gitImportBatchSchema = z.strictObject({
  service_id: idSchema,
  commits: z.array(deploymentCommitSchema).max(GIT_IMPORT_MAX_COMMITS).default([]),
  /** The same as `commits`, one array per field (what `engops import git` sends): faster. */
  columns: gitCommitColumnsSchema.optional(),
  /** Tags as deployments: each ships the commits it holds that no earlier tag held. */
  deployments: z
    .array(
      z.strictObject({
        tag: z.string().trim().min(1).max(250),
        commit_sha: shaSchema,
        finished_at: isoInstantSchema,
        environment: z.string().trim().min(1).max(100).optional(),
        shas: gitShaListSchema,
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
