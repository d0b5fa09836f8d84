import { z } from 'zod';
import { idSchema, isoInstantSchema } from './common.ts';

export const INCIDENT_STATUSES = ['triggered', 'acknowledged', 'mitigated', 'resolved', 'reviewed'] as const;
export const INCIDENT_SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const;
export const INTEGRATION_KINDS = ['events-v2', 'alertmanager', 'grafana', 'generic', 'heartbeat'] as const;

export const incidentSchema = z.object({
  id: z.string(),
  number: z.number().int(),
  service_id: z.string(),
  team_id: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  severity: z.enum(INCIDENT_SEVERITIES),
  status: z.enum(INCIDENT_STATUSES),
  source: z.string(),
  suppressed: z.boolean(),
  triggered_at: z.string(),
  acknowledged_at: z.string().nullable(),
  acknowledged_by: z.string().nullable(),
  mitigated_at: z.string().nullable(),
  mitigated_by: z.string().nullable(),
  resolved_at: z.string().nullable(),
  resolved_by: z.string().nullable(),
  reviewed_at: z.string().nullable(),
  commander_id: z.string().nullable(),
  comms_lead_id: z.string().nullable(),
  caused_by_deployment_id: z.string().nullable(),
  alert_count: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  /** The id in the tool an imported incident came from. */
  external_id: z.string().nullable().optional(),
});
export type Incident = z.infer<typeof incidentSchema>;

export const declareIncidentSchema = z.strictObject({
  service_id: idSchema,
  title: z.string().trim().min(1).max(500),
  severity: z.enum(INCIDENT_SEVERITIES),
  description: z.string().max(20000).optional(),
});

export const updateIncidentSchema = z.strictObject({
  title: z.string().trim().min(1).max(500).optional(),
  description: z.string().max(20000).nullable().optional(),
  severity: z.enum(INCIDENT_SEVERITIES).optional(),
  commander_id: idSchema.nullable().optional(),
  comms_lead_id: idSchema.nullable().optional(),
  caused_by_deployment_id: z.string().max(64).nullable().optional(),
});

export const incidentListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  service_id: idSchema.optional(),
  team_id: idSchema.optional(),
  status: z
    .string()
    .max(200)
    .transform((v) => v.split(',').filter(Boolean))
    .pipe(z.array(z.enum(INCIDENT_STATUSES)))
    .optional(),
  severity: z.enum(INCIDENT_SEVERITIES).optional(),
  from: isoInstantSchema.optional(),
  to: isoInstantSchema.optional(),
});

export const incidentStatsQuerySchema = z.strictObject({
  service_id: idSchema.optional(),
  team_id: idSchema.optional(),
  from: isoInstantSchema.optional(),
  to: isoInstantSchema.optional(),
});

const durationSummary = z.object({
  count: z.number().int(),
  mean_seconds: z.number().nullable(),
  median_seconds: z.number().nullable(),
});
export const incidentStatsSchema = z.object({
  from: z.string().nullable(),
  to: z.string().nullable(),
  count: z.number().int(),
  open: z.number().int(),
  by_severity: z.record(z.string(), z.number().int()),
  by_status: z.record(z.string(), z.number().int()),
  time_to_acknowledge: durationSummary,
  time_to_mitigate: durationSummary,
  time_to_resolve: durationSummary,
});

export const timelineEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  kind: z.string(),
  actor: z.object({ type: z.string(), id: z.string().nullable(), name: z.string() }),
  text: z.string(),
  data: z.unknown(),
});

export const noteSchema = z.strictObject({ text: z.string().trim().min(1).max(20000) });

export const alertSchema = z.object({
  id: z.string(),
  integration_id: z.string(),
  dedup_key: z.string(),
  status: z.string(),
  severity: z.string(),
  summary: z.string(),
  source: z.string().nullable(),
  details: z.unknown(),
  links: z.unknown(),
  event_count: z.number().int(),
  suppressed: z.boolean(),
  first_seen_at: z.string(),
  last_seen_at: z.string(),
  acknowledged_at: z.string().nullable(),
  resolved_at: z.string().nullable(),
});

export const integrationSchema = z.object({
  id: z.string(),
  service_id: z.string(),
  kind: z.enum(INTEGRATION_KINDS),
  name: z.string(),
  key: z.string(),
  url: z.string(),
  heartbeat: z
    .object({
      interval_seconds: z.number(),
      grace_seconds: z.number(),
      last_at: z.string().nullable(),
      state: z.string(),
    })
    .nullable(),
  created_at: z.string(),
});
export const createIntegrationSchema = z.strictObject({
  kind: z.enum(INTEGRATION_KINDS),
  name: z.string().trim().min(1).max(200),
  heartbeat_interval_seconds: z
    .number()
    .int()
    .min(10)
    .max(7 * 24 * 3600)
    .optional(),
  heartbeat_grace_seconds: z
    .number()
    .int()
    .min(0)
    .max(24 * 3600)
    .optional(),
});

export const maintenanceWindowSchema = z.object({
  id: z.string(),
  service_id: z.string(),
  starts_at: z.string(),
  ends_at: z.string(),
  reason: z.string().nullable(),
  created_by: z.string().nullable(),
  created_at: z.string(),
});
export const createMaintenanceWindowSchema = z.strictObject({
  starts_at: isoInstantSchema,
  ends_at: isoInstantSchema,
  reason: z.string().max(1000).optional(),
});

/** One past incident to import (history from day one, e.g. a PagerDuty export), with its real times. */
export const importIncidentItemSchema = z.strictObject({
  service_id: idSchema,
  title: z.string().trim().min(1).max(500),
  severity: z.enum(INCIDENT_SEVERITIES),
  description: z.string().max(20000).optional(),
  triggered_at: isoInstantSchema,
  acknowledged_at: isoInstantSchema.optional(),
  mitigated_at: isoInstantSchema.optional(),
  resolved_at: isoInstantSchema.optional(),
  caused_by_deployment_id: z.string().min(1).max(64).optional(),
  external_id: z.string().min(1).max(200).optional(),
});
export type ImportIncidentItem = z.infer<typeof importIncidentItemSchema>;

export const importIncidentsSchema = z.strictObject({
  incidents: z.array(importIncidentItemSchema).min(1).max(1000),
});

export const importIncidentsResultSchema = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  items: z.array(
    z.object({
      index: z.number().int(),
      id: z.string(),
      number: z.number().int(),
      external_id: z.string().nullable(),
      outcome: z.enum(['created', 'updated', 'unchanged']),
    }),
  ),
});
export type ImportIncidentsResult = z.infer<typeof importIncidentsResultSchema>;

/** The deployment engops suspects caused an incident, next to the one a responder confirmed. */
export const suspectedDeploymentSchema = z.object({
  incident_id: z.string(),
  /** The service's last successful production deployment finished before the incident triggered. */
  suggested_deployment_id: z.string().nullable(),
  suggested: z
    .object({
      id: z.string(),
      version: z.string().nullable(),
      commit_sha: z.string(),
      finished_at: z.string(),
    })
    .nullable(),
  /** The link that counts for DORA (PATCH /api/v1/incidents/:id caused_by_deployment_id). */
  confirmed_deployment_id: z.string().nullable(),
  confirmed: z.boolean(),
});
export type SuspectedDeployment = z.infer<typeof suspectedDeploymentSchema>;
