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
/** One level: its targets are notified, then the next level after `delay_seconds` without an acknowledgement. */
export const escalationLevelSchema = z.strictObject({
  delay_seconds: z
    .number()
    .int()
    .min(1)
    .max(24 * 3600),
  targets: z.array(escalationTargetSchema).min(1).max(20),
});
const policyFields = {
  name: z.string().min(1).max(200),
  levels: z.array(escalationLevelSchema).min(1).max(20),
  repeat: z.number().int().min(0).max(10),
};
export const createEscalationPolicySchema = z.strictObject({
  name: policyFields.name,
  team_id: idSchema,
  levels: policyFields.levels,
  repeat: policyFields.repeat.default(0),
});
export const updateEscalationPolicySchema = z
  .strictObject({
    name: policyFields.name.optional(),
    levels: policyFields.levels.optional(),
    repeat: policyFields.repeat.optional(),
  })
  .refine((p) => p.name !== undefined || p.levels !== undefined || p.repeat !== undefined, {
    message: 'give at least one of name, levels, repeat',
  });
export const escalationPolicySchema = z.object({
  id: z.string(),
  name: z.string(),
  team_id: z.string(),
  levels: z.array(escalationLevelSchema),
  repeat: z.number().int(),
  /** Services that page through this policy. */
  service_ids: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
});
export type EscalationPolicy = z.infer<typeof escalationPolicySchema>;
export const escalationPolicyListQuerySchema = z.strictObject({ team_id: idSchema.optional() });

export const serviceEscalationPolicyResponseSchema = z.object({
  service_id: z.string(),
  /** Null: the service has no escalation policy (engops then emails the team's responders). */
  escalation_policy_id: z.string().nullable(),
  policy: escalationPolicySchema.nullable(),
  updated_at: z.string().nullable(),
});

export const overrideParamsSchema = z.strictObject({ id: idSchema, override_id: idSchema });

// ---- Reaching people: contact methods and notification rules

export const CONTACT_METHOD_TYPES = ['email', 'webhook', 'slack'] as const;
export const createContactMethodSchema = z
  .strictObject({
    type: z.enum(CONTACT_METHOD_TYPES),
    address: z.string().trim().min(3).max(2048),
    label: z.string().trim().min(1).max(100).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.type === 'email') {
      if (!/^[^\s@,;:<>()"[\]]+@[^\s@,;:<>()"[\]]+$/.test(c.address))
        ctx.addIssue({ code: 'custom', path: ['address'], message: 'must be one email address' });
      return;
    }
    let url: URL | null = null;
    try {
      url = new URL(c.address);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      ctx.addIssue({ code: 'custom', path: ['address'], message: 'must be an absolute http or https URL' });
  });
export const contactMethodSchema = z.object({
  id: z.string(),
  user_id: z.string(),
  type: z.enum(CONTACT_METHOD_TYPES),
  address: z.string(),
  label: z.string().nullable(),
  verified: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ContactMethod = z.infer<typeof contactMethodSchema>;
export const userParamsSchema = z.strictObject({ id: idSchema });
export const contactMethodParamsSchema = z.strictObject({ id: idSchema, cm_id: idSchema });
export const verifyContactMethodSchema = z.strictObject({
  code: z
    .string()
    .trim()
    .regex(/^\d{6}$/, 'six digits'),
});

export const createNotificationRuleSchema = z.strictObject({
  contact_method_id: idSchema,
  delay_seconds: z
    .number()
    .int()
    .min(0)
    .max(24 * 3600),
});
export const notificationRuleSchema = z.object({
  id: z.string(),
  user_id: z.string(),
  contact_method_id: z.string(),
  delay_seconds: z.number().int(),
  created_at: z.string(),
});
export type NotificationRule = z.infer<typeof notificationRuleSchema>;
export const notificationRuleParamsSchema = z.strictObject({ id: idSchema, rule_id: idSchema });
export const notificationRulesResponseSchema = z.object({
  items: z.array(notificationRuleSchema),
  /** True when the person has no rules: every verified method is then notified at once. */
  default_rules: z.boolean(),
});

const windowFields = { team_id: idSchema, from: isoInstantSchema, to: isoInstantSchema };
function checkWindow(q: { from: string; to: string }, ctx: z.RefinementCtx) {
  const span = Date.parse(q.to) - Date.parse(q.from);
  if (span <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  if (span > 400 * 24 * 3600 * 1000)
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'the window may span at most 400 days' });
}
export const loadQuerySchema = z
  .strictObject({
    ...windowFields,
    /** Flag people on call more than this share of the window (default 0.25). */
    max_on_call_share: z.coerce.number().min(0).max(1).optional(),
  })
  .superRefine(checkWindow);
export const loadReportSchema = z.object({
  team_id: z.string(),
  from: z.string(),
  to: z.string(),
  working_hours: z.object({ start: z.string(), end: z.string() }),
  working_days: z.array(z.string()),
  thresholds: z.object({ max_incidents_per_12h: z.number(), max_on_call_share: z.number() }),
  people: z.array(
    z.object({
      user_id: z.string(),
      name: z.string(),
      time_zone: z.string(),
      hours_on_call: z.number(),
      /** Outside the person's working hours (their zone; the team's working days, hours, holidays). */
      off_hours_hours: z.number(),
      pages: z.number().int(),
      /** Pages between 22:00 and 07:00 in the person's zone. */
      night_pages: z.number().int(),
      shifts: z.number().int(),
      incidents: z.number().int(),
      /** The busiest shift: incidents paged per 12 hours of it. */
      max_incidents_per_12h: z.number(),
      on_call_share: z.number(),
      flags: z.array(z.string()),
    }),
  ),
  /** Fairness: hours each member of one rotation (schedule layer) carried in the window. */
  rotations: z.array(
    z.object({
      schedule_id: z.string(),
      schedule_name: z.string(),
      layer: z.string(),
      members: z.array(z.object({ user_id: z.string(), hours: z.number() })),
      mean_hours: z.number(),
      /** (most - least) / mean, in percent. */
      spread_pct: z.number(),
    }),
  ),
});

// ---- Per-person shifts and calendar

export const userShiftSchema = shiftSchema.extend({
  schedule_id: z.string(),
  schedule_name: z.string(),
  team_id: z.string(),
});
export const userShiftsResponseSchema = z.object({
  user_id: z.string(),
  from: z.string(),
  to: z.string(),
  shifts: z.array(userShiftSchema),
  /** The person's signed iCal feed: only for themselves and holders of users.write, otherwise null. */
  ical_url: z.string().nullable(),
});
export const icalUrlResponseSchema = z.object({ ical_url: z.string() });

// ---- Team-size check (handbook: 1-3 informal, 4-8 weekly, 8+ multiple rotations by service)

export const rotationCheckSchema = z.object({
  team_id: z.string(),
  /** Members who respond (responders and managers). */
  team_size: z.number().int(),
  recommended: z.enum(['informal', 'weekly', 'multiple-by-service']),
  rule: z.object({ min_size: z.number().int(), max_size: z.number().int().nullable() }),
  schedules: z.number().int(),
  weekly_layers: z.number().int(),
  services: z.number().int(),
  /** Distinct sets of schedules the team's services page through. */
  rotations_by_service: z.number().int(),
  services_without_policy: z.array(z.string()),
  ok: z.boolean(),
  advice: z.string(),
});

// ---- Off-hours pay

const money = z.number().min(0).max(1_000_000);
export const payPolicySchema = z.strictObject({
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code like EUR')
    .default('EUR'),
  hourly_rate: money.default(0),
  per_off_hours_shift: money.default(0),
  per_off_hours_page: money.default(0),
  weekend_multiplier: z.number().min(0).max(10).default(1),
  holiday_multiplier: z.number().min(0).max(10).default(1),
  working_days: z.array(z.enum(WEEKDAY_NAMES)).max(7).default(['mon', 'tue', 'wed', 'thu', 'fri']),
  /** Local working hours in the team's time zone; unset: the org policy's on_call.off_hours. */
  working_hours: z.strictObject({ start: clockTime, end: clockTime }).nullable().default(null),
  holidays: z.array(z.iso.date()).max(400).default([]),
});
export type PayPolicy = z.output<typeof payPolicySchema>;
export const payPolicyResponseSchema = z.object({
  team_id: z.string(),
  policy: z.object({
    currency: z.string(),
    hourly_rate: z.number(),
    per_off_hours_shift: z.number(),
    per_off_hours_page: z.number(),
    weekend_multiplier: z.number(),
    holiday_multiplier: z.number(),
    working_days: z.array(z.enum(WEEKDAY_NAMES)),
    working_hours: z.object({ start: z.string(), end: z.string() }).nullable(),
    holidays: z.array(z.string()),
  }),
  updated_at: z.string().nullable(),
});
export const payQuerySchema = z.strictObject(windowFields).superRefine(checkWindow);
export const payReportSchema = z.object({
  team_id: z.string(),
  from: z.string(),
  to: z.string(),
  time_zone: z.string(),
  currency: z.string(),
  working_hours: z.object({ start: z.string(), end: z.string() }),
  people: z.array(
    z.object({
      user_id: z.string(),
      name: z.string(),
      on_call_hours: z.number(),
      off_hours_hours: z.number(),
      weekday_off_hours: z.number(),
      weekend_hours: z.number(),
      holiday_hours: z.number(),
      off_hours_shifts: z.number().int(),
      off_hours_pages: z.number().int(),
      amount: z.number(),
    }),
  ),
  total: z.number(),
});

/** RFC 4180 CSV: fields with a comma, quote or line break are quoted; formulas are neutralised. */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cell = (v: string | number) => {
    let s = String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}

/** The pay report as CSV, one row per person (server export and `engops oncall pay --csv`). */
export function payReportCsv(report: z.infer<typeof payReportSchema>): string {
  return toCsv([
    [
      'user_id',
      'name',
      'on_call_hours',
      'off_hours_hours',
      'weekday_off_hours',
      'weekend_hours',
      'holiday_hours',
      'off_hours_shifts',
      'off_hours_pages',
      'amount',
      'currency',
    ],
    ...report.people.map((p) => [
      p.user_id,
      p.name,
      p.on_call_hours,
      p.off_hours_hours,
      p.weekday_off_hours,
      p.weekend_hours,
      p.holiday_hours,
      p.off_hours_shifts,
      p.off_hours_pages,
      p.amount,
      report.currency,
    ]),
  ]);
}
