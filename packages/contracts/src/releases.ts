import { z } from 'zod';
import { httpUrlSchema, idSchema, isoInstantSchema } from './common.ts';
import { deploymentCommitSchema } from './dora.ts';

/** What a stage does; `production` stages become DORA deployments, `canary` stages are judged. */
export const RELEASE_STAGE_KINDS = ['ci', 'staging', 'canary', 'production', 'monitor', 'custom'] as const;
export type ReleaseStageKind = (typeof RELEASE_STAGE_KINDS)[number];
export const RELEASE_STAGE_STATUSES = ['pending', 'started', 'succeeded', 'failed', 'skipped'] as const;
export type ReleaseStageStatus = (typeof RELEASE_STAGE_STATUSES)[number];
export const STAGE_EVENT_STATUSES = ['started', 'succeeded', 'failed'] as const;
export const RELEASE_STATUSES = ['in_progress', 'failed', 'released', 'harmful', 'rolled_back'] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];
export const CANARY_VERDICTS = ['promote', 'hold', 'rollback'] as const;
export type CanaryVerdict = (typeof CANARY_VERDICTS)[number];
export const METRIC_CLASSIFICATIONS = ['pass', 'high', 'low', 'nodata'] as const;
export type MetricClassification = (typeof METRIC_CLASSIFICATIONS)[number];
export const METRIC_DIRECTIONS = ['increase', 'decrease', 'either'] as const;
export type MetricDirection = (typeof METRIC_DIRECTIONS)[number];
/** canary and baseline are judged; production samples feed the monitor window's SLO burn rate. */
export const SAMPLE_GROUPS = ['canary', 'baseline', 'production'] as const;

const stageNameSchema = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9_-]{0,49}$/, 'must be lowercase letters, digits, - or _ (at most 50)');
const metricNameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z_:][A-Za-z0-9_:.-]{0,99}$/, 'must be a metric name (letters, digits, _ : . -)');
const shaSchema = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F]{4,64}$/, 'must be a hexadecimal commit sha')
  .transform((s) => s.toLowerCase());

export const pipelineStageInputSchema = z.strictObject({
  name: stageNameSchema,
  /** Defaults to the name when the name is a kind (ci, staging, ...), else `custom`. */
  kind: z.enum(RELEASE_STAGE_KINDS).optional(),
  /** A required stage must succeed before any later stage starts. */
  required: z.boolean().default(true),
  /** Approvals needed before the stage starts. */
  approvals: z.number().int().min(0).max(10).default(0),
  /** Refused inside a freeze window (default: production stages). */
  freeze: z.boolean().optional(),
  /** Refused while the service has an open SEV1/SEV2 (default: canary and production stages). */
  no_open_incidents: z.boolean().optional(),
});

export const pipelineStageSchema = z.object({
  name: z.string(),
  kind: z.enum(RELEASE_STAGE_KINDS),
  required: z.boolean(),
  approvals: z.number().int(),
  freeze: z.boolean(),
  no_open_incidents: z.boolean(),
});
export type PipelineStage = z.infer<typeof pipelineStageSchema>;

export const createPipelineSchema = z
  .strictObject({
    team_id: idSchema,
    name: z.string().trim().min(1).max(100),
    stages: z.array(pipelineStageInputSchema).min(1).max(20),
    /** The team's releases use this pipeline unless they name another. */
    default: z.boolean().default(true),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    const kinds = new Map<string, number>();
    p.stages.forEach((s, i) => {
      if (seen.has(s.name))
        ctx.addIssue({ code: 'custom', path: ['stages', i, 'name'], message: 'stage names must be unique' });
      seen.add(s.name);
      const kind = resolveStageKind(s.name, s.kind);
      if (kind !== 'custom' && kind !== 'ci' && kind !== 'staging') {
        if (kinds.has(kind))
          ctx.addIssue({ code: 'custom', path: ['stages', i, 'kind'], message: `only one ${kind} stage` });
        kinds.set(kind, i);
      }
    });
    const production = kinds.get('production');
    const monitor = kinds.get('monitor');
    const canary = kinds.get('canary');
    if (monitor !== undefined && (production === undefined || monitor < production))
      ctx.addIssue({ code: 'custom', path: ['stages', monitor], message: 'monitor must follow production' });
    if (canary !== undefined && production !== undefined && canary > production)
      ctx.addIssue({
        code: 'custom',
        path: ['stages', canary],
        message: 'canary must come before production',
      });
  });
export type CreatePipeline = z.output<typeof createPipelineSchema>;

export function resolveStageKind(name: string, kind: ReleaseStageKind | undefined): ReleaseStageKind {
  if (kind) return kind;
  return (RELEASE_STAGE_KINDS as readonly string[]).includes(name) ? (name as ReleaseStageKind) : 'custom';
}

export const pipelineSchema = z.object({
  /** `default` for the handbook pipeline every team has. */
  id: z.string(),
  team_id: z.string().nullable(),
  name: z.string(),
  default: z.boolean(),
  stages: z.array(pipelineStageSchema),
  created_at: z.string().nullable(),
});
export type Pipeline = z.infer<typeof pipelineSchema>;
export const pipelineListQuerySchema = z.strictObject({ team_id: idSchema.optional() });

export const createReleaseSchema = z.strictObject({
  service_id: idSchema,
  version: z.string().trim().min(1).max(200),
  commit_sha: shaSchema,
  pipeline_id: idSchema.optional(),
  /** The commits this release ships (as for POST /api/v1/deployments): its DORA deployment's lead time. */
  commits: z.array(deploymentCommitSchema).max(10_000).optional(),
});
export type CreateRelease = z.output<typeof createReleaseSchema>;

const detailsSchema = z
  .record(z.string().max(100), z.unknown())
  .refine((d) => JSON.stringify(d).length <= 8000, { message: 'at most 8000 characters of JSON' });

export const stageEventSchema = z.strictObject({
  status: z.enum(STAGE_EVENT_STATUSES),
  details: detailsSchema.optional(),
  /** An admin may skip earlier stages and gates; the reason is kept in the audit log and timeline. */
  override: z.strictObject({ reason: z.string().trim().min(3).max(1000) }).optional(),
});
export type StageEvent = z.output<typeof stageEventSchema>;
export const releaseStageParamsSchema = z.strictObject({ id: idSchema, stage: stageNameSchema });

export const releaseStageStateSchema = pipelineStageSchema.extend({
  status: z.enum(RELEASE_STAGE_STATUSES),
  attempts: z.number().int(),
  approvals_given: z.number().int(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});
export type ReleaseStageState = z.infer<typeof releaseStageStateSchema>;

export const metricJudgementSchema = z.object({
  metric: z.string(),
  group: z.string(),
  classification: z.enum(METRIC_CLASSIFICATIONS),
  direction: z.enum(METRIC_DIRECTIONS),
  critical: z.boolean(),
  weight: z.number(),
  /** Mann-Whitney U of the canary sample (pairs where canary > baseline, ties count one half). */
  u: z.number().nullable(),
  p_value: z.number().nullable(),
  /** exact (small samples without ties) or normal (tie-corrected, continuity-corrected). */
  method: z.enum(['exact', 'normal']).nullable(),
  canary_count: z.number().int(),
  baseline_count: z.number().int(),
  canary_median: z.number().nullable(),
  baseline_median: z.number().nullable(),
  /** (canary median - baseline median) / |baseline median|. */
  change: z.number().nullable(),
  tolerance: z.number(),
});
export type MetricJudgement = z.infer<typeof metricJudgementSchema>;

export const judgementSchema = z.object({
  score: z.number(),
  verdict: z.enum(CANARY_VERDICTS),
  judged_at: z.string(),
  thresholds: z.object({ promote: z.number(), hold: z.number(), confidence: z.number() }),
  groups: z.array(z.object({ group: z.string(), score: z.number(), weight: z.number() })),
  metrics: z.array(metricJudgementSchema),
});
export type Judgement = z.infer<typeof judgementSchema>;

export const releaseSchema = z.object({
  id: z.string(),
  service_id: z.string(),
  team_id: z.string(),
  version: z.string(),
  commit_sha: z.string(),
  pipeline_id: z.string(),
  status: z.enum(RELEASE_STATUSES),
  current_stage: z.string().nullable(),
  stages: z.array(releaseStageStateSchema),
  judgement: judgementSchema.nullable(),
  deployment_id: z.string().nullable(),
  rollback_deployment_id: z.string().nullable(),
  harmful_reason: z.string().nullable(),
  monitor_until: z.string().nullable(),
  created_by: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Release = z.infer<typeof releaseSchema>;

export const releaseListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  service_id: idSchema.optional(),
  team_id: idSchema.optional(),
  status: z.enum(RELEASE_STATUSES).optional(),
});

export const RELEASE_EVENT_KINDS = [
  'created',
  'stage',
  'override',
  'approval',
  'judgement',
  'harm',
  'rollback',
  'monitor',
  'canary',
] as const;
export const releaseEventSchema = z.object({
  id: z.string(),
  at: z.string(),
  kind: z.enum(RELEASE_EVENT_KINDS),
  stage: z.string().nullable(),
  status: z.string().nullable(),
  actor: z.string(),
  details: z.record(z.string(), z.unknown()).nullable(),
});
export type ReleaseEvent = z.infer<typeof releaseEventSchema>;

export const approveStageSchema = z.strictObject({
  stage: stageNameSchema,
  comment: z.string().trim().max(1000).optional(),
});

export const pushMetricsSchema = z.strictObject({
  group: z.enum(SAMPLE_GROUPS),
  metric: metricNameSchema,
  values: z.array(z.number().finite()).min(1).max(10_000),
});
export const metricSeriesSchema = z.object({
  metric: z.string(),
  canary: z.array(z.number()),
  baseline: z.array(z.number()),
});
export const releaseMetricsSchema = z.object({ metrics: z.array(metricSeriesSchema) });

export const rollbackReleaseSchema = z.strictObject({ reason: z.string().trim().min(3).max(1000) });

export const metricSettingSchema = z.strictObject({
  metric: metricNameSchema,
  /** Which change counts as harm. */
  direction: z.enum(METRIC_DIRECTIONS).default('increase'),
  /** Allowed relative change of the median before a significant difference fails (0.1 = 10%). */
  tolerance: z.number().min(0).max(100).default(0.1),
  /** A critical metric that fails scores the whole canary 0. */
  critical: z.boolean().default(false),
  weight: z.number().positive().max(1000).default(1),
  /** Metrics are grouped (latency, errors, ...) for the per-group scores; default: the metric name. */
  group: z.string().trim().min(1).max(100).optional(),
});
export type MetricSetting = z.output<typeof metricSettingSchema>;

/** Canary steps: judged automatically at the end of every interval, traffic through a flag's rollout. */
export const canarySettingsSchema = z.strictObject({
  interval_minutes: z.number().int().min(1).max(1440).default(10),
  /** Traffic percentages, one per interval (ascending); empty: one interval. */
  steps: z
    .array(z.number().gt(0).max(100))
    .max(20)
    .default([])
    .refine((s) => s.every((v, i) => i === 0 || v > s[i - 1]!), { message: 'steps must ascend' }),
  /** A feature flag whose rollout percentage carries the canary traffic (a team without a mesh). */
  flag_key: z.string().trim().min(1).max(200).nullable().default(null),
  flag_environment: z.string().trim().min(1).max(100).default('production'),
  /** Judge at the end of every interval and promote, hold or fail the canary on the verdict. */
  auto_judge: z.boolean().default(true),
});
export type CanarySettings = z.output<typeof canarySettingsSchema>;

/** A Prometheus-compatible HTTP API (query_range) that engops pulls canary and baseline samples from. */
export const prometheusSettingsSchema = z.strictObject({
  url: httpUrlSchema,
  step_seconds: z.number().int().min(1).max(3600).default(60),
  queries: z
    .array(
      z.strictObject({
        metric: metricNameSchema,
        canary: z.string().trim().min(1).max(4000),
        baseline: z.string().trim().min(1).max(4000),
      }),
    )
    .min(1)
    .max(50),
});
export type PrometheusSettings = z.output<typeof prometheusSettingsSchema>;

/** The monitor window's SLO: an error-ratio metric pushed as `production` samples, and the burn-rate alert. */
export const sloSettingsSchema = z.strictObject({
  /** The metric whose values are error ratios (0..1). */
  metric: metricNameSchema,
  /** With `prometheus` set: pull the error ratio with this query instead of pushed samples. */
  query: z.string().trim().min(1).max(4000).optional(),
  objective: z.number().gt(0).lt(1),
  burn_rate: z.number().positive().max(1000).default(14.4),
  long_window_minutes: z.number().int().min(1).max(10_080).default(60),
  short_window_minutes: z.number().int().min(1).max(10_080).default(5),
});
export type SloSettings = z.output<typeof sloSettingsSchema>;

export const releaseSettingsInputSchema = z.strictObject({
  metrics: z
    .array(metricSettingSchema)
    .max(100)
    .default([])
    .superRefine((ms, ctx) => {
      const seen = new Set<string>();
      ms.forEach((m, i) => {
        if (seen.has(m.metric))
          ctx.addIssue({ code: 'custom', path: [i, 'metric'], message: 'metrics must be unique' });
        seen.add(m.metric);
      });
    }),
  /** POSTed to when engops rolls a release of this service back (signed like engops webhooks). */
  rollback_hook_url: httpUrlSchema.nullable().default(null),
  /** Omit to keep the stored secret; null removes it. */
  rollback_hook_secret: z.string().min(8).max(500).nullable().optional(),
  /** Overrides the policy's monitor window for this service. */
  monitor_window_minutes: z.number().int().min(1).max(10_080).nullable().default(null),
  canary: canarySettingsSchema.nullable().default(null),
  prometheus: prometheusSettingsSchema.nullable().default(null),
  slo: sloSettingsSchema.nullable().default(null),
});
export const releaseSettingsSchema = z.object({
  service_id: z.string(),
  metrics: z.array(
    z.object({
      metric: z.string(),
      direction: z.enum(METRIC_DIRECTIONS),
      tolerance: z.number(),
      critical: z.boolean(),
      weight: z.number(),
      group: z.string().optional(),
    }),
  ),
  rollback_hook_url: z.string().nullable(),
  rollback_hook_secret_set: z.boolean(),
  monitor_window_minutes: z.number().int().nullable(),
  canary: z
    .object({
      interval_minutes: z.number().int(),
      steps: z.array(z.number()),
      flag_key: z.string().nullable(),
      flag_environment: z.string(),
      auto_judge: z.boolean(),
    })
    .nullable(),
  prometheus: z
    .object({
      url: z.string(),
      step_seconds: z.number().int(),
      queries: z.array(z.object({ metric: z.string(), canary: z.string(), baseline: z.string() })),
    })
    .nullable(),
  slo: z
    .object({
      metric: z.string(),
      query: z.string().optional(),
      objective: z.number(),
      burn_rate: z.number(),
      long_window_minutes: z.number().int(),
      short_window_minutes: z.number().int(),
    })
    .nullable(),
  updated_at: z.string().nullable(),
});
export type ReleaseSettings = z.infer<typeof releaseSettingsSchema>;
export const serviceIdParamsSchema = z.strictObject({ service_id: idSchema });

export const createFreezeSchema = z
  .strictObject({
    /** null: the whole organisation (admins only). */
    team_id: idSchema.nullable().default(null),
    starts_at: isoInstantSchema,
    ends_at: isoInstantSchema,
    reason: z.string().trim().min(1).max(500),
  })
  .superRefine((f, ctx) => {
    if (Date.parse(f.ends_at) <= Date.parse(f.starts_at))
      ctx.addIssue({ code: 'custom', path: ['ends_at'], message: 'must be after starts_at' });
  });
export const freezeSchema = z.object({
  id: z.string(),
  team_id: z.string().nullable(),
  starts_at: z.string(),
  ends_at: z.string(),
  reason: z.string(),
  created_by: z.string(),
  created_at: z.string(),
});
export type Freeze = z.infer<typeof freezeSchema>;
export const freezeListQuerySchema = z.strictObject({
  team_id: idSchema.optional(),
  from: isoInstantSchema.optional(),
  to: isoInstantSchema.optional(),
});
