import type {
  alertSchema,
  auditEntrySchema,
  createdTokenSchema,
  Incident,
  incidentStatsSchema,
  integrationSchema,
  maintenanceWindowSchema,
  policyResponseSchema,
  Role,
  Service,
  Team,
  teamMemberSchema,
  timelineEntrySchema,
  tokenSchema,
  User,
} from '@engops/contracts';
import type { z } from 'zod';

/** Response shapes, inferred from the shared contracts (types only: no zod in the bundle). */
export type { Incident, Role, Service, Team, User };
export type TeamMember = z.infer<typeof teamMemberSchema>;
export type Token = z.infer<typeof tokenSchema>;
export type CreatedToken = z.infer<typeof createdTokenSchema>;
export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type PolicyResponse = z.infer<typeof policyResponseSchema>;
export type IncidentStats = z.infer<typeof incidentStatsSchema>;
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;
export type Alert = z.infer<typeof alertSchema>;
export type Integration = z.infer<typeof integrationSchema>;
export type MaintenanceWindow = z.infer<typeof maintenanceWindowSchema>;
export type IncidentStatus = Incident['status'];
export type IncidentSeverity = Incident['severity'];
export type IntegrationKind = Integration['kind'];

/** The permissions the server names in session responses (apps/server/src/platform/access/permissions.ts). */
export type Permission =
  | 'catalog.read'
  | 'teams.create'
  | 'teams.write'
  | 'teams.delete'
  | 'services.write'
  | 'users.write'
  | 'tokens.manage'
  | 'audit.read'
  | 'policy.read'
  | 'policy.write'
  | 'notifications.read'
  | 'notifications.send'
  | 'jobs.read'
  | 'incidents.read'
  | 'incidents.respond'
  | 'integrations.manage'
  | 'postmortems.read'
  | 'postmortems.write'
  | 'oncall.read'
  | 'oncall.manage'
  | 'dora.read'
  | 'workflow.read'
  | 'workflow.manage'
  | 'flags.read'
  | 'flags.write'
  | 'flags.manage'
  | 'releases.read'
  | 'releases.write'
  | 'releases.manage'
  | 'releases.admin'
  | 'security.read'
  | 'security.write'
  | 'security.triage'
  | 'security.review'
  | 'security.manage';

export interface Session {
  user: User | null;
  csrf_token: string | null;
  permissions: string[];
  principal?: { kind: string; id: string; name: string };
}

/** Kept in step with packages/contracts (ROLES, TEAM_ROLES, SERVICE_TIERS) without importing zod. */
export const ROLES: readonly Role[] = ['viewer', 'responder', 'manager', 'admin'];
export const TEAM_ROLES = ['viewer', 'responder', 'manager'] as const;
export const SERVICE_TIERS = ['tier-1', 'tier-2', 'tier-3', 'tier-4'] as const;

/** Kept in step with packages/contracts (INCIDENT_STATUSES, INCIDENT_SEVERITIES, INTEGRATION_KINDS). */
export const INCIDENT_STATUSES: readonly IncidentStatus[] = [
  'triggered',
  'acknowledged',
  'mitigated',
  'resolved',
  'reviewed',
];
export const INCIDENT_SEVERITIES: readonly IncidentSeverity[] = ['SEV1', 'SEV2', 'SEV3', 'SEV4'];
export const INTEGRATION_KINDS: readonly IntegrationKind[] = [
  'events-v2',
  'alertmanager',
  'grafana',
  'generic',
  'heartbeat',
];
