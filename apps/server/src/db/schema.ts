/**
 * Table types for Kysely. Portable conventions (see docs/adr/0002-portable-storage.md):
 * ids are text, times are ISO-8601 UTC text (sortable), booleans are integers 0/1, JSON is text.
 */
export interface UsersTable {
  id: string;
  email: string;
  name: string;
  time_zone: string;
  role: string | null;
  password_hash: string | null;
  disabled: number;
  created_at: string;
  updated_at: string;
}

export interface TeamsTable {
  id: string;
  name: string;
  time_zone: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
  role: string;
  created_at: string;
}

export interface ServicesTable {
  id: string;
  name: string;
  team_id: string;
  description: string | null;
  tier: string | null;
  runbook_url: string | null;
  repository_url: string | null;
  created_at: string;
  updated_at: string;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  token_hash: string;
  prefix: string;
  role: string;
  team_id: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_by: string | null;
  created_at: string;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  csrf_token: string;
  expires_at: string;
  created_at: string;
  last_seen_at: string;
}

export interface AuditLogTable {
  id: string;
  at: string;
  actor_type: string;
  actor_id: string | null;
  actor_name: string;
  action: string;
  target_type: string;
  target_id: string | null;
  team_id: string | null;
  before_json: string | null;
  after_json: string | null;
  request_id: string | null;
}

export interface InstanceSettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface PolicyTable {
  id: string;
  document: string;
  version: number;
  updated_at: string;
  updated_by: string | null;
}

export interface JobsTable {
  id: string;
  kind: string;
  payload: string;
  status: string;
  run_at: string;
  attempts: number;
  max_attempts: number;
  lease_owner: string | null;
  lease_until: string | null;
  last_error: string | null;
  dedupe_key: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface NotificationsTable {
  id: string;
  channel: string;
  target: string;
  subject: string;
  body: string;
  data_json: string | null;
  status: string;
  attempts: number;
  last_error: string | null;
  job_id: string | null;
  source: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

export interface IntegrationsTable {
  id: string;
  service_id: string;
  kind: string;
  name: string;
  key: string;
  heartbeat_interval_seconds: number | null;
  heartbeat_grace_seconds: number | null;
  last_heartbeat_at: string | null;
  heartbeat_state: string | null;
  created_at: string;
  updated_at: string;
}

export interface IncidentsTable {
  id: string;
  number: number;
  service_id: string;
  team_id: string;
  title: string;
  description: string | null;
  severity: string;
  status: string;
  source: string;
  group_key: string | null;
  integration_id: string | null;
  suppressed: number;
  triggered_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  mitigated_at: string | null;
  mitigated_by: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  reviewed_at: string | null;
  commander_id: string | null;
  comms_lead_id: string | null;
  caused_by_deployment_id: string | null;
  alert_count: number;
  created_at: string;
  updated_at: string;
  /** The incident's id in the tool it was imported from (0007). */
  external_id: string | null;
}

export interface AlertsTable {
  id: string;
  integration_id: string;
  service_id: string;
  incident_id: string | null;
  dedup_key: string;
  status: string;
  severity: string;
  summary: string;
  source: string | null;
  details_json: string | null;
  links_json: string | null;
  event_count: number;
  suppressed: number;
  first_seen_at: string;
  last_seen_at: string;
  acknowledged_at: string | null;
  resolved_at: string | null;
}

export interface AlertEventsTable {
  id: string;
  integration_id: string;
  alert_id: string | null;
  incident_id: string | null;
  action: string;
  dedup_key: string | null;
  payload_json: string;
  received_at: string;
}

export interface IncidentTimelineTable {
  id: string;
  incident_id: string;
  at: string;
  kind: string;
  actor_type: string;
  actor_id: string | null;
  actor_name: string;
  text: string;
  data_json: string | null;
}

export interface MaintenanceWindowsTable {
  id: string;
  service_id: string;
  starts_at: string;
  ends_at: string;
  reason: string | null;
  created_by: string | null;
  created_at: string;
}

export interface Database {
  users: UsersTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  services: ServicesTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
  instance_settings: InstanceSettingsTable;
  policy: PolicyTable;
  jobs: JobsTable;
  notifications: NotificationsTable;
  integrations: IntegrationsTable;
  incidents: IncidentsTable;
  alerts: AlertsTable;
  alert_events: AlertEventsTable;
  incident_timeline: IncidentTimelineTable;
  maintenance_windows: MaintenanceWindowsTable;
  counters: { name: string; value: number };
  postmortems: PostmortemsTable;
  postmortem_action_items: PostmortemActionItemsTable;
  deployments: DeploymentsTable;
  commits: CommitsTable;
  deployment_commits: DeploymentCommitsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  scm_integrations: ScmIntegrationsTable;
  oncall_schedules: OncallSchedulesTable;
  oncall_overrides: OncallOverridesTable;
  escalation_policies: EscalationPoliciesTable;
  service_escalation_policies: ServiceEscalationPoliciesTable;
  oncall_pages: OncallPagesTable;
  flag_environments: FlagEnvironmentsTable;
  flags: FlagsTable;
  flag_environment_configs: FlagEnvironmentConfigsTable;
  flag_segments: FlagSegmentsTable;
  flag_sdk_tokens: FlagSdkTokensTable;
  flag_client_instances: FlagClientInstancesTable;
  flag_metrics_hourly: FlagMetricsHourlyTable;
}

export interface PostmortemsTable {
  id: string;
  incident_id: string;
  team_id: string;
  title: string;
  markdown: string;
  version: number;
  status: string;
  due_at: string;
  submitted_at: string | null;
  published_at: string | null;
  published_by: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface PostmortemActionItemsTable {
  id: string;
  postmortem_id: string;
  team_id: string;
  title: string;
  owner_id: string | null;
  owner_handle: string | null;
  due_date: string | null;
  status: string;
  reason: string | null;
  source: string;
  source_key: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

export interface DeploymentsTable {
  id: string;
  service_id: string;
  environment: string;
  version: string | null;
  commit_sha: string;
  status: string;
  kind: string;
  rollback_of: string | null;
  started_at: string | null;
  finished_at: string;
  source: string;
  external_id: string | null;
  commit_count: number;
  created_at: string;
}

export interface CommitsTable {
  service_id: string;
  sha: string;
  committed_at: string;
  authored_at: string | null;
  message: string | null;
  created_at: string;
}

export interface DeploymentCommitsTable {
  deployment_id: string;
  service_id: string;
  sha: string;
}

export interface WebhookDeliveriesTable {
  source: string;
  delivery_id: string;
  event: string;
  outcome: string;
  received_at: string;
}

export interface ScmIntegrationsTable {
  provider: string;
  webhook_secret: string;
  updated_at: string;
}

export interface OncallSchedulesTable {
  id: string;
  name: string;
  team_id: string;
  time_zone: string;
  layers_json: string;
  ical_key: string;
  created_at: string;
  updated_at: string;
}

export interface OncallOverridesTable {
  id: string;
  schedule_id: string;
  user_id: string;
  start_at: string;
  end_at: string;
  created_by: string | null;
  created_at: string;
}

export interface EscalationPoliciesTable {
  id: string;
  name: string;
  team_id: string;
  steps_json: string;
  repeat: number;
  created_at: string;
  updated_at: string;
}

export interface ServiceEscalationPoliciesTable {
  service_id: string;
  escalation_policy_id: string;
  updated_at: string;
}

export interface OncallPagesTable {
  id: string;
  incident_id: string;
  team_id: string;
  user_id: string;
  escalation_policy_id: string;
  step: number;
  round: number;
  at: string;
}

export interface FlagEnvironmentsTable {
  key: string;
  name: string;
  sort_order: number;
  revision: number;
  require_approval: number;
  created_at: string;
  updated_at: string;
}

export interface FlagsTable {
  key: string;
  description: string | null;
  type: string;
  owner_team_id: string | null;
  tags_json: string;
  variants_json: string;
  dependencies_json: string;
  impression_data: number;
  version: number;
  archived_at: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface FlagEnvironmentConfigsTable {
  flag_key: string;
  environment: string;
  enabled: number;
  strategies_json: string;
  variants_json: string | null;
  updated_at: string;
}

export interface FlagSegmentsTable {
  id: number;
  name: string;
  description: string | null;
  constraints_json: string;
  created_at: string;
  updated_at: string;
}

export interface FlagSdkTokensTable {
  id: string;
  name: string;
  type: string;
  environment: string;
  token_hash: string;
  prefix: string;
  created_by: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface FlagClientInstancesTable {
  app_name: string;
  instance_id: string;
  environment: string;
  sdk_version: string | null;
  strategies_json: string;
  interval_ms: number | null;
  started_at: string | null;
  last_seen_at: string;
}

export interface FlagMetricsHourlyTable {
  flag_key: string;
  environment: string;
  hour: string;
  app_name: string;
  variant: string;
  yes_count: number;
  no_count: number;
}
