import { z } from 'zod';
import { idSchema, isoInstantSchema, timeZoneSchema } from './common.ts';

export const WEEKDAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const localDateTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, {
    message: 'must be a local wall-clock time YYYY-MM-DDTHH:MM[:SS] (no offset)',
  })
  .refine(
    (v) => {
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v)) return true; // the regex reports it
      const [date, time] = v.split('T') as [string, string];
      const [y, m, d] = date.split('-').map(Number) as [number, number, number];
      const [h, mi, s = 0] = time.split(':').map(Number) as [number, number, number?];
      const day = new Date(Date.UTC(y, m - 1, d));
      return day.getUTCMonth() === m - 1 && day.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
    },
    { message: 'is not a calendar date and time' },
  );
const clockTime = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, { message: 'must be HH:MM' });

export const restrictionSchema = z.strictObject({
  days: z.array(z.enum(WEEKDAY_NAMES)).min(1).max(7),
  from: clockTime,
  to: clockTime,
});

export const scheduleLayerSchema = z.strictObject({
  name: z.string().min(1).max(100),
  start: localDateTime,
  rotation: z.strictObject({
    unit: z.enum(['hour', 'day', 'week']),
    length: z.number().int().min(1).max(1000),
  }),
  participants: z.array(idSchema).min(1).max(100),
  restrictions: z.array(restrictionSchema).max(28).optional(),
});

export const createScheduleSchema = z.strictObject({
  name: z.string().min(1).max(200),
  team_id: idSchema,
  time_zone: timeZoneSchema,
  layers: z
    .array(scheduleLayerSchema)
    .min(1)
    .max(20)
    .superRefine((layers, ctx) => {
      const seen = new Set<string>();
      layers.forEach((l, i) => {
        if (l.name === 'override' || seen.has(l.name))
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'must be unique and not "override"' });
        seen.add(l.name);
      });
    }),
});
export type CreateSchedule = z.infer<typeof createScheduleSchema>;

export const updateScheduleSchema = createScheduleSchema.omit({ team_id: true });

export const overrideSchema = z.object({
  id: z.string(),
  schedule_id: z.string(),
  user_id: z.string(),
  start: z.string(),
  end: z.string(),
  created_by: z.string().nullable(),
  created_at: z.string(),
});
export type Override = z.infer<typeof overrideSchema>;

export const scheduleSchema = z.object({
  id: z.string(),
  name: z.string(),
  team_id: z.string(),
  time_zone: z.string(),
  layers: z.array(scheduleLayerSchema),
  overrides: z.array(overrideSchema),
  ical_url: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Schedule = z.infer<typeof scheduleSchema>;

export const scheduleListQuerySchema = z.strictObject({ team_id: idSchema.optional() });

const overrideWindow = {
  start: isoInstantSchema,
  end: isoInstantSchema,
};

/** One override, or a swap: `with_user_id` takes `user_id`'s window and `user_id` takes the other. */
export const createOverrideSchema = z
  .strictObject({
    user_id: idSchema,
    ...overrideWindow,
    swap: z
      .strictObject({ user_id: idSchema, ...overrideWindow })
      .optional()
      .describe('a second override made in the same request (a shift swap between two people)'),
  })
  .superRefine((o, ctx) => {
    if (Date.parse(o.end) <= Date.parse(o.start))
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
    if (o.swap && Date.parse(o.swap.end) <= Date.parse(o.swap.start))
      ctx.addIssue({ code: 'custom', path: ['swap', 'end'], message: 'must be after start' });
  });

export const createOverrideResponseSchema = z.object({ overrides: z.array(overrideSchema) });

export const shiftSchema = z.object({
  user_id: z.string(),
  layer: z.string(),
  start: z.string(),
  end: z.string(),
});

export const oncallQuerySchema = z.strictObject({ at: isoInstantSchema.optional() });
export const oncallResponseSchema = z.object({ at: z.string(), on_call: z.array(shiftSchema) });

const windowQuery = z.strictObject({ from: isoInstantSchema, to: isoInstantSchema }).superRefine((q, ctx) => {
  const span = Date.parse(q.to) - Date.parse(q.from);
  if (span <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  if (span > 400 * 24 * 3600 * 1000)
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'the window may span at most 400 days' });
});
export const shiftsQuerySchema = windowQuery;
export const shiftsResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  shifts: z.array(shiftSchema),
  gaps: z.array(z.object({ start: z.string(), end: z.string() })),
});

export const icalQuerySchema = z.strictObject({ token: z.string().min(1).max(2000) });
export const icalParamsSchema = z.strictObject({ id: z.string().regex(/^[\w-]{1,64}\.ics$/) });

export const escalationTargetSchema = z.strictObject({
  type: z.enum(['schedule', 'user']),
  id: idSchema,
});
export const escalationStepSchema = z.strictObject({
  delay_minutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60),
  targets: z.array(escalationTargetSchema).min(1).max(20),
});
export const createEscalationPolicySchema = z.strictObject({
  name: z.string().min(1).max(200),
  team_id: idSchema,
  steps: z.array(escalationStepSchema).min(1).max(20),
  repeat: z.number().int().min(0).max(10).default(0),
});
export const escalationPolicySchema = z.object({
  id: z.string(),
  name: z.string(),
  team_id: z.string(),
  steps: z.array(escalationStepSchema),
  repeat: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type EscalationPolicy = z.infer<typeof escalationPolicySchema>;
export const escalationPolicyListQuerySchema = z.strictObject({ team_id: idSchema.optional() });

export const serviceEscalationPolicySchema = z.strictObject({ escalation_policy_id: idSchema });
export const serviceEscalationPolicyResponseSchema = z.object({
  service_id: z.string(),
  escalation_policy_id: z.string(),
  updated_at: z.string(),
});

export const loadQuerySchema = z
  .strictObject({ team_id: idSchema, from: isoInstantSchema, to: isoInstantSchema })
  .superRefine((q, ctx) => {
    const span = Date.parse(q.to) - Date.parse(q.from);
    if (span <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    if (span > 400 * 24 * 3600 * 1000)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'the window may span at most 400 days' });
  });
export const loadReportSchema = z.object({
  team_id: z.string(),
  from: z.string(),
  to: z.string(),
  working_hours: z.object({ start: z.string(), end: z.string() }),
  people: z.array(
    z.object({
      user_id: z.string(),
      hours_on_call: z.number(),
      off_hours_hours: z.number(),
      pages: z.number().int(),
    }),
  ),
});
