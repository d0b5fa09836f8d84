import { z } from 'zod';

/** Feature flags. Strategies, constraints and variants use the Unleash client-features shapes. */
export const FLAG_TYPES = ['boolean', 'string', 'number', 'json'] as const;
export const SDK_TOKEN_TYPES = ['client', 'frontend'] as const;

const keySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits, and . _ : - (not first)');
const envKeySchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, _ and -');

export const flagConstraintSchema = z.object({
  contextName: z.string().min(1).max(200),
  operator: z.string().min(1).max(50),
  value: z.string().max(10_000).optional(),
  values: z.array(z.string().max(10_000)).max(10_000).optional(),
  inverted: z.boolean().optional(),
  caseInsensitive: z.boolean().optional(),
});
export type FlagConstraintInput = z.infer<typeof flagConstraintSchema>;

export const variantPayloadSchema = z.object({ type: z.string().min(1).max(20), value: z.string() });

export const flagVariantSchema = z.object({
  name: z.string().min(1).max(200),
  weight: z.number().int().min(0).max(100_000),
  weightType: z.string().optional(),
  stickiness: z.string().max(200).optional(),
  payload: variantPayloadSchema.optional(),
  overrides: z.array(z.object({ contextName: z.string().min(1), values: z.array(z.string()) })).optional(),
});
export type FlagVariantInput = z.infer<typeof flagVariantSchema>;

export const flagStrategySchema = z.object({
  name: z.string().min(1).max(100),
  id: z.string().optional(),
  title: z.string().nullable().optional(),
  disabled: z.boolean().nullable().optional(),
  sortOrder: z.number().optional(),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).nullable()).optional(),
  constraints: z.array(flagConstraintSchema).optional(),
  segments: z.array(z.number().int()).optional(),
  variants: z.array(flagVariantSchema).optional(),
});
export type FlagStrategyInput = z.infer<typeof flagStrategySchema>;

export const flagDependencySchema = z.object({
  feature: z.string().min(1),
  enabled: z.boolean().optional(),
  variants: z.array(z.string()).optional(),
});

export const flagEnvironmentSchema = z.object({
  key: z.string(),
  name: z.string(),
  sort_order: z.number().int(),
  require_approval: z.boolean(),
  created_at: z.string(),
});
export type FlagEnvironment = z.infer<typeof flagEnvironmentSchema>;
export const createFlagEnvironmentSchema = z.strictObject({
  key: envKeySchema,
  name: z.string().trim().min(1).max(200),
});

export const flagEnvironmentStateSchema = z.object({
  enabled: z.boolean(),
  strategies: z.array(flagStrategySchema),
  /** Null: the flag's own variants apply. */
  variants: z.array(flagVariantSchema).nullable(),
  updated_at: z.string().nullable(),
});

export const flagSchema = z.object({
  key: z.string(),
  description: z.string().nullable(),
  type: z.enum(FLAG_TYPES),
  owner_team_id: z.string().nullable(),
  tags: z.array(z.string()),
  variants: z.array(flagVariantSchema),
  dependencies: z.array(flagDependencySchema),
  impression_data: z.boolean(),
  version: z.number().int(),
  environments: z.record(z.string(), flagEnvironmentStateSchema),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Flag = z.infer<typeof flagSchema>;

const tagsSchema = z.array(z.string().trim().min(1).max(100)).max(50);

export const createFlagSchema = z.strictObject({
  key: keySchema,
  description: z.string().max(4000).optional(),
  type: z.enum(FLAG_TYPES).default('boolean'),
  variants: z.array(flagVariantSchema).max(100).optional(),
  owner_team_id: z.string().min(1).max(64).nullable().optional(),
  tags: tagsSchema.optional(),
  dependencies: z.array(flagDependencySchema).max(20).optional(),
  impression_data: z.boolean().optional(),
});
export const updateFlagSchema = z.strictObject({
  description: z.string().max(4000).nullable().optional(),
  type: z.enum(FLAG_TYPES).optional(),
  variants: z.array(flagVariantSchema).max(100).optional(),
  owner_team_id: z.string().min(1).max(64).nullable().optional(),
  tags: tagsSchema.optional(),
  dependencies: z.array(flagDependencySchema).max(20).optional(),
  impression_data: z.boolean().optional(),
});
export const updateFlagEnvironmentSchema = z.strictObject({
  enabled: z.boolean().optional(),
  strategies: z.array(flagStrategySchema).max(100).optional(),
  variants: z.array(flagVariantSchema).max(100).nullable().optional(),
});
export const flagListQuerySchema = z.strictObject({
  environment: z.string().optional(),
  tag: z.string().optional(),
  owner_team_id: z.string().optional(),
});
export const flagKeyParamsSchema = z.strictObject({ key: z.string().min(1).max(200) });
export const flagEnvParamsSchema = z.strictObject({
  key: z.string().min(1).max(200),
  env: z.string().min(1).max(100),
});

export const segmentSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string().nullable(),
  constraints: z.array(flagConstraintSchema),
  created_at: z.string(),
  updated_at: z.string(),
});
export const upsertSegmentSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(4000).nullable().optional(),
  constraints: z.array(flagConstraintSchema).max(100),
});

/** The Unleash client-features document (import body, export and /api/client/features answer). */
export const clientFeaturesSchema = z.object({
  version: z.number().int().default(2),
  features: z.array(
    z.object({
      name: keySchema,
      enabled: z.boolean(),
      description: z.string().nullable().optional(),
      type: z.string().optional(),
      project: z.string().optional(),
      stale: z.boolean().optional(),
      impressionData: z.boolean().optional(),
      strategies: z.array(flagStrategySchema).optional(),
      variants: z.array(flagVariantSchema).nullable().optional(),
      dependencies: z.array(flagDependencySchema).optional(),
    }),
  ),
  segments: z
    .array(
      z.object({
        id: z.number().int(),
        name: z.string().optional(),
        constraints: z.array(flagConstraintSchema),
      }),
    )
    .optional(),
});
export type ClientFeaturesDocument = z.infer<typeof clientFeaturesSchema>;
export const environmentQuerySchema = z.strictObject({ environment: z.string().min(1).max(100) });
export const importResultSchema = z.object({
  environment: z.string(),
  flags: z.number().int(),
  segments: z.number().int(),
});

export const sdkTokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(SDK_TOKEN_TYPES),
  environment: z.string(),
  prefix: z.string(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
export type SdkToken = z.infer<typeof sdkTokenSchema>;
export const createSdkTokenSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  type: z.enum(SDK_TOKEN_TYPES),
  environment: envKeySchema,
});
export const createdSdkTokenSchema = sdkTokenSchema.extend({ token: z.string() });

export const updateFlagEnvironmentSettingsSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  /** Changes (other than turning a flag off) need a second person's approval. */
  require_approval: z.boolean().optional(),
});

// ---- rollout plans

export const ROLLOUT_PLAN_STATUSES = ['active', 'paused', 'completed', 'cancelled'] as const;

export const createRolloutPlanSchema = z.strictObject({
  environment: envKeySchema,
  /** Rollout percentages in increasing order, e.g. [1, 5, 25, 50, 100]. */
  steps: z
    .array(z.number().int().min(1).max(100))
    .min(1)
    .max(20)
    .refine((steps) => steps.every((s, i) => i === 0 || s > (steps[i - 1] as number)), {
      message: 'steps must increase',
    }),
  /** Time between steps, in minutes (the first step applies at once). */
  interval_minutes: z
    .number()
    .int()
    .min(1)
    .max(60 * 24 * 30),
  /** Services whose incidents pause the plan and roll the flag back to 0%. */
  service_ids: z.array(z.string().min(1).max(64)).max(50).default([]),
  stickiness: z.string().min(1).max(200).default('default'),
});
export type CreateRolloutPlan = z.input<typeof createRolloutPlanSchema>;

export const rolloutPlanSchema = z.object({
  id: z.string(),
  flag_key: z.string(),
  environment: z.string(),
  steps: z.array(z.number().int()),
  interval_minutes: z.number().int(),
  service_ids: z.array(z.string()),
  status: z.enum(ROLLOUT_PLAN_STATUSES),
  current_step: z.number().int(),
  current_percent: z.number().int(),
  strategy_id: z.string(),
  stickiness: z.string(),
  next_step_at: z.string().nullable(),
  paused_reason: z.string().nullable(),
  paused_incident_id: z.string().nullable(),
  created_by: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  finished_at: z.string().nullable(),
});
export type RolloutPlan = z.infer<typeof rolloutPlanSchema>;
export const rolloutPlanListQuerySchema = z.strictObject({
  flag_key: z.string().min(1).max(200).optional(),
  status: z.enum(ROLLOUT_PLAN_STATUSES).optional(),
});

// ---- change requests

export const CHANGE_REQUEST_STATUSES = ['pending', 'applied', 'rejected', 'cancelled'] as const;

const rolloutPlanChangeSchema = createRolloutPlanSchema.omit({ environment: true });
export type ChangeRequestKind = 'environment' | 'rollout_plan';

/**
 * A change request: `change` is an environment change (`{enabled?, strategies?, variants?}`) for
 * kind "environment", or a rollout plan (`{steps, interval_minutes, service_ids?, stickiness?}`)
 * for kind "rollout_plan". (One object schema with the check inside, so OpenAPI documents an object.)
 */
export const createChangeRequestSchema = z
  .strictObject({
    kind: z.enum(['environment', 'rollout_plan']),
    flag_key: z.string().min(1).max(200),
    environment: envKeySchema,
    change: z.record(z.string(), z.unknown()),
    reason: z.string().max(4000).optional(),
  })
  .superRefine((value, ctx) => {
    const schema = value.kind === 'environment' ? updateFlagEnvironmentSchema : rolloutPlanChangeSchema;
    const parsed = schema.safeParse(value.change);
    if (!parsed.success)
      for (const issue of parsed.error.issues)
        ctx.addIssue({ code: 'custom', path: ['change', ...issue.path], message: issue.message });
  });
export type EnvironmentChange = z.output<typeof updateFlagEnvironmentSchema>;
export type RolloutPlanChange = z.input<typeof rolloutPlanChangeSchema>;

export const changeRequestSchema = z.object({
  id: z.string(),
  flag_key: z.string(),
  environment: z.string(),
  kind: z.enum(['environment', 'rollout_plan']),
  change: z.record(z.string(), z.unknown()),
  reason: z.string().nullable(),
  status: z.enum(CHANGE_REQUEST_STATUSES),
  base_version: z.number().int(),
  requested_by: z.object({ id: z.string(), name: z.string() }),
  requested_at: z.string(),
  decided_by: z.object({ id: z.string(), name: z.string() }).nullable(),
  decided_at: z.string().nullable(),
  decision_comment: z.string().nullable(),
});
export type ChangeRequest = z.infer<typeof changeRequestSchema>;
export const decideChangeRequestSchema = z.strictObject({ comment: z.string().max(4000).optional() });
export const changeRequestListQuerySchema = z.strictObject({
  status: z.enum(CHANGE_REQUEST_STATUSES).optional(),
  flag_key: z.string().min(1).max(200).optional(),
});

// ---- stale flags

export const staleFlagsQuerySchema = z.strictObject({
  environment: envKeySchema.default('production'),
  /** Fully on or fully off, unchanged, for at least this many days. */
  after_days: z.coerce.number().int().min(1).max(3650).default(30),
  /** Not evaluated by any SDK (nor exposed) for at least this many days. */
  unused_days: z.coerce.number().int().min(1).max(3650).default(30),
});
export const staleFlagSchema = z.object({
  key: z.string(),
  owner_team_id: z.string().nullable(),
  reasons: z.array(
    z.object({
      kind: z.enum(['fully_on', 'fully_off', 'unused']),
      since: z.string(),
      days: z.number().int(),
    }),
  ),
});

// ---- experiments

export const flagEventSchema = z.strictObject({
  /** Your id for the event: sending it again is a no-op (without one, identical events are). */
  id: z.string().min(1).max(200).optional(),
  type: z.enum(['exposure', 'conversion']),
  flag_key: z.string().min(1).max(200),
  variant: z.string().min(1).max(200),
  user_key: z.string().min(1).max(200),
  /** The metric a conversion counts for (default "conversion"). */
  metric: z.string().min(1).max(100).optional(),
  /** A conversion's numeric value (revenue, duration); default 1. */
  value: z.number().finite().optional(),
  at: z.iso.datetime({ offset: true }),
});
/** One event (its fields at the top level), or a batch: `{events: [...]}` (up to 1,000). */
export const postFlagEventsSchema = flagEventSchema
  .partial()
  .extend({ events: z.array(flagEventSchema).min(1).max(1000).optional() })
  .superRefine((value, ctx) => {
    const { events, ...single } = value;
    if (events) {
      for (const key of Object.keys(single))
        ctx.addIssue({ code: 'custom', path: [key], message: 'send either one event or events, not both' });
      return;
    }
    const parsed = flagEventSchema.safeParse(single);
    if (!parsed.success)
      for (const issue of parsed.error.issues)
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });
export type FlagEvent = z.output<typeof flagEventSchema>;
export const postFlagEventsResultSchema = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
});

export const experimentQuerySchema = z.strictObject({
  metric: z.string().min(1).max(100).default('conversion'),
  /** conversion: share of users who converted; mean: mean value per user (zero when none). */
  kind: z.enum(['conversion', 'mean']).default('conversion'),
  control: z.string().min(1).max(200).optional(),
  environment: envKeySchema.default('production'),
});

const intervalSchema = z.object({ low: z.number(), high: z.number() });
export const experimentResultSchema = z.object({
  flag_key: z.string(),
  environment: z.string(),
  metric: z.string(),
  kind: z.enum(['conversion', 'mean']),
  control: z.string(),
  variants: z.array(
    z.object({
      name: z.string(),
      weight: z.number(),
      users: z.number().int(),
      sdk_evaluations: z.number().int(),
      conversions: z.number().int(),
      /** Conversion rate, or mean value per user. */
      value: z.number().nullable(),
      absolute_lift: z.number().nullable(),
      absolute_ci: intervalSchema.nullable(),
      relative_lift: z.number().nullable(),
      relative_ci: intervalSchema.nullable(),
      p_value: z.number().nullable(),
      chance_to_beat_control: z.number().nullable(),
    }),
  ),
  sample_ratio: z.object({
    chi_square: z.number(),
    df: z.number().int(),
    p_value: z.number(),
    mismatch: z.boolean(),
  }),
  /** not_enough_data | sample_ratio_mismatch | winner | loser | no_difference */
  verdict: z.enum(['not_enough_data', 'sample_ratio_mismatch', 'winner', 'loser', 'no_difference']),
  guidance: z.string(),
});
export type ExperimentResult = z.infer<typeof experimentResultSchema>;
