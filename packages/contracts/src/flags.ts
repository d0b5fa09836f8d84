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
