import { z } from 'zod';
import { httpUrlSchema, idSchema, timeZoneSchema } from './common.ts';
import { roleSchema, teamRoleSchema } from './roles.ts';

const name = z.string().trim().min(1).max(200);
const description = z.string().max(4000);

export const SERVICE_TIERS = ['tier-1', 'tier-2', 'tier-3', 'tier-4'] as const;

export const teamSchema = z.object({
  id: z.string(),
  name: z.string(),
  time_zone: z.string(),
  description: z.string().nullable(),
  member_count: z.number().int(),
  service_count: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Team = z.infer<typeof teamSchema>;

export const createTeamSchema = z.strictObject({
  name,
  time_zone: timeZoneSchema,
  description: description.optional(),
});
export const updateTeamSchema = z.strictObject({
  name: name.optional(),
  time_zone: timeZoneSchema.optional(),
  description: description.nullable().optional(),
});

export const teamMemberSchema = z.object({
  team_id: z.string(),
  user_id: z.string(),
  role: teamRoleSchema,
  name: z.string(),
  email: z.string(),
  /** A disabled user: kept as a member for the record, but no longer signs in or gets notified. */
  disabled: z.boolean(),
  created_at: z.string(),
});
export const addTeamMemberSchema = z.strictObject({
  user_id: idSchema,
  role: teamRoleSchema.default('responder'),
});

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  time_zone: z.string(),
  role: roleSchema.nullable(),
  disabled: z.boolean(),
  has_password: z.boolean(),
  teams: z.array(z.object({ team_id: z.string(), role: teamRoleSchema })),
  created_at: z.string(),
  updated_at: z.string(),
});
export type User = z.infer<typeof userSchema>;

const email = z.string().trim().toLowerCase().max(320).pipe(z.email());
const password = z.string().min(10, 'must be at least 10 characters').max(200);

export const createUserSchema = z.strictObject({
  email,
  name,
  time_zone: timeZoneSchema.default('UTC'),
  role: roleSchema.nullable().default('viewer'),
  password: password.optional(),
});
export const updateUserSchema = z.strictObject({
  email: email.optional(),
  name: name.optional(),
  time_zone: timeZoneSchema.optional(),
  role: roleSchema.nullable().optional(),
  disabled: z.boolean().optional(),
  password: password.optional(),
});

export const serviceSchema = z.object({
  id: z.string(),
  name: z.string(),
  team_id: z.string(),
  description: z.string().nullable(),
  tier: z.enum(SERVICE_TIERS).nullable(),
  runbook_url: z.string().nullable(),
  repository_url: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Service = z.infer<typeof serviceSchema>;

export const createServiceSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lowercase letters, digits, dots, dashes and underscores'),
  team_id: idSchema,
  description: description.optional(),
  tier: z.enum(SERVICE_TIERS).optional(),
  runbook_url: httpUrlSchema.optional(),
  repository_url: z.string().max(2048).optional(),
});
export const updateServiceSchema = z.strictObject({
  name: createServiceSchema.shape.name.optional(),
  team_id: idSchema.optional(),
  description: description.nullable().optional(),
  tier: z.enum(SERVICE_TIERS).nullable().optional(),
  runbook_url: httpUrlSchema.nullable().optional(),
  repository_url: z.string().max(2048).nullable().optional(),
  /** The on-call module's escalation policy for the service (null unlinks it). */
  escalation_policy_id: idSchema.nullable().optional(),
});

export const setupSchema = z.strictObject({
  email,
  name,
  password,
  time_zone: timeZoneSchema.default('UTC'),
});
export const loginSchema = z.strictObject({ email, password: z.string().min(1).max(200) });
