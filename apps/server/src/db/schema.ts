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
  /** Set when the integration is deleted: its key stops working, its alerts stay (0015). */
  disabled_at: string | null;
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
  postmortem_lint_dismissals: PostmortemLintDismissalsTable;
  postmortem_trackers: PostmortemTrackersTable;
  deployments: DeploymentsTable;
  commits: CommitsTable;
  deployment_commits: DeploymentCommitsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  scm_integrations: ScmIntegrationsTable;
  dora_changes: DoraChangesTable;
  dora_repositories: DoraRepositoriesTable;
  dora_git_imports: DoraGitImportsTable;
  oncall_schedules: OncallSchedulesTable;
  oncall_overrides: OncallOverridesTable;
  escalation_policies: EscalationPoliciesTable;
  service_escalation_policies: ServiceEscalationPoliciesTable;
  oncall_pages: OncallPagesTable;
  oncall_contact_methods: OncallContactMethodsTable;
  oncall_notification_rules: OncallNotificationRulesTable;
  oncall_user_feeds: OncallUserFeedsTable;
  oncall_pay_policies: OncallPayPoliciesTable;
  flag_environments: FlagEnvironmentsTable;
  flags: FlagsTable;
  flag_environment_configs: FlagEnvironmentConfigsTable;
  flag_segments: FlagSegmentsTable;
  flag_sdk_tokens: FlagSdkTokensTable;
  flag_client_instances: FlagClientInstancesTable;
  flag_metrics_hourly: FlagMetricsHourlyTable;
  flag_rollout_plans: FlagRolloutPlansTable;
  flag_change_requests: FlagChangeRequestsTable;
  flag_events: FlagEventsTable;
  release_pipelines: ReleasePipelinesTable;
  releases: ReleasesTable;
  release_stages: ReleaseStagesTable;
  release_events: ReleaseEventsTable;
  release_approvals: ReleaseApprovalsTable;
  release_samples: ReleaseSamplesTable;
  release_settings: ReleaseSettingsTable;
  release_freezes: ReleaseFreezesTable;
  workflow_deliveries: WorkflowDeliveriesTable;
  workflow_pull_requests: WorkflowPullRequestsTable;
  workflow_pr_events: WorkflowPrEventsTable;
  workflow_reviews: WorkflowReviewsTable;
  workflow_comments: WorkflowCommentsTable;
  workflow_checks: WorkflowChecksTable;
  workflow_branches: WorkflowBranchesTable;
  workflow_pushes: WorkflowPushesTable;
  workflow_nudges: WorkflowNudgesTable;
  workflow_identities: WorkflowIdentitiesTable;
  workflow_github_settings: WorkflowGithubSettingsTable;
  workflow_gate_statuses: WorkflowGateStatusesTable;
  security_findings: SecurityFindingsTable;
  security_scans: SecurityScansTable;
  access_review_campaigns: AccessReviewCampaignsTable;
  access_review_items: AccessReviewItemsTable;
  training_courses: TrainingCoursesTable;
  training_completions: TrainingCompletionsTable;
  security_exercises: SecurityExercisesTable;
  security_advisories: SecurityAdvisoriesTable;
  security_advisory_packages: SecurityAdvisoryPackagesTable;
  security_dependencies: SecurityDependenciesTable;
  security_dependency_ignores: SecurityDependencyIgnoresTable;
  access_register: AccessRegisterTable;
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
  /** Export to an issue tracker (migration 0014). */
  tracker_url: string | null;
  tracker_key: string | null;
  export_state: string | null;
  export_claimed_at: string | null;
  export_started_at: string | null;
  export_error: string | null;
}

export interface PostmortemLintDismissalsTable {
  id: string;
  postmortem_id: string;
  rule: string;
  /** The finding's text, lower case with single spaces. */
  text: string;
  reason: string | null;
  dismissed_by: string | null;
  created_at: string;
}

export interface PostmortemTrackersTable {
  provider: string;
  api_url: string;
  token: string;
  default_repo: string | null;
  /** JSON array of label names. */
  labels: string;
  updated_by: string | null;
  updated_at: string;
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
  /** 1 once some rollback deployment names it (migration 0008). */
  rolled_back: number;
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

/** Each commit's first successful deployment per environment, with its lead time (migration 0008). */
export interface DoraChangesTable {
  service_id: string;
  sha: string;
  environment: string;
  deployment_id: string;
  deployed_at: string;
  committed_at: string | null;
  lead_seconds: number | null;
  lead_bucket: number | null;
}

/** Explicit repository -> service mappings (migration 0008). */
export interface DoraRepositoriesTable {
  repository_key: string;
  repository_url: string;
  service_id: string;
  /** JSON array of workflow names or paths whose completed runs are deployments; null: the default. */
  deploy_workflows: string | null;
  created_at: string;
}

/** The commits a git import reached, per service (migration 0008); tips is a JSON array of shas. */
export interface DoraGitImportsTable {
  service_id: string;
  tips: string;
  commits: number;
  updated_at: string;
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

export interface OncallContactMethodsTable {
  id: string;
  user_id: string;
  type: string;
  address: string;
  label: string | null;
  verified: number;
  code_hash: string | null;
  code_expires_at: string | null;
  code_attempts: number;
  created_at: string;
  updated_at: string;
}

export interface OncallNotificationRulesTable {
  id: string;
  user_id: string;
  contact_method_id: string;
  delay_seconds: number;
  created_at: string;
}

export interface OncallUserFeedsTable {
  user_id: string;
  ical_key: string;
  updated_at: string;
}

export interface OncallPayPoliciesTable {
  team_id: string;
  policy_json: string;
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
  /** The incident's reopen number the page belongs to: 0 for the first trigger, n for the nth reopen. */
  reopen: number;
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

// ---- workflow (migration 0011)
export interface WorkflowDeliveriesTable {
  provider: string;
  delivery_id: string;
  event: string;
  outcome: string;
  received_at: string;
}

export interface WorkflowPullRequestsTable {
  id: string;
  provider: string;
  repository: string;
  repository_lc: string;
  service_id: string;
  number: number;
  title: string;
  author: string;
  body: string | null;
  url: string | null;
  state: string;
  draft: number;
  base_ref: string;
  head_ref: string;
  head_sha: string;
  merge_commit_sha: string | null;
  additions: number;
  deletions: number;
  changed_files: number;
  files_sha: string | null;
  directories_touched: number | null;
  tests_touched: number | null;
  code_changed: number | null;
  opened_at: string;
  closed_at: string | null;
  merged_at: string | null;
  payload_updated_at: string;
  created_at: string;
}

export interface WorkflowPrEventsTable {
  id: string;
  pr_id: string;
  action: string;
  actor: string | null;
  subject: string | null;
  sha: string | null;
  at: string;
}

export interface WorkflowReviewsTable {
  id: string;
  pr_id: string;
  reviewer: string;
  state: string;
  commit_sha: string | null;
  submitted_at: string;
  dismissed_at: string | null;
}

export interface WorkflowCommentsTable {
  id: string;
  pr_id: string;
  author: string;
  in_reply_to: string | null;
  created_at: string;
  deleted: number;
}

export interface WorkflowChecksTable {
  repository_lc: string;
  sha: string;
  kind: string;
  name: string;
  state: string;
  at: string;
}

export interface WorkflowBranchesTable {
  id: string;
  provider: string;
  repository: string;
  repository_lc: string;
  service_id: string;
  name: string;
  owner: string | null;
  created_at: string | null;
  first_commit_at: string | null;
  last_push_at: string | null;
  deleted_at: string | null;
  push_count: number;
  force_push_count: number;
}

export interface WorkflowPushesTable {
  id: string;
  repository_lc: string;
  service_id: string;
  branch: string;
  pusher: string | null;
  is_default: number;
  forced: number;
  after_sha: string;
  commit_count: number;
  at: string;
}

export interface WorkflowNudgesTable {
  pr_id: string;
  stage: string;
  waiting_since: string;
  recipients: number;
  sent_at: string;
}

export interface WorkflowIdentitiesTable {
  provider: string;
  login: string;
  user_id: string;
  created_at: string;
}

export interface ReleasePipelinesTable {
  id: string;
  team_id: string;
  name: string;
  is_default: number;
  /** JSON: the resolved stage definitions. */
  stages: string;
  created_at: string;
}

export interface ReleasesTable {
  id: string;
  service_id: string;
  team_id: string;
  pipeline_id: string;
  version: string;
  commit_sha: string;
  /** JSON: the commits shipped (sha, committed_at, ...), or null. */
  commits: string | null;
  status: string;
  current_stage: string | null;
  /** JSON: the latest canary judgement. */
  judgement: string | null;
  deployment_id: string | null;
  rollback_deployment_id: string | null;
  harmful_reason: string | null;
  monitor_until: string | null;
  created_by_id: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface ReleaseStagesTable {
  release_id: string;
  name: string;
  position: number;
  /** JSON: the stage definition as the pipeline had it when the release was created. */
  definition: string;
  status: string;
  attempts: number;
  started_at: string | null;
  finished_at: string | null;
}

export interface ReleaseEventsTable {
  id: string;
  release_id: string;
  at: string;
  kind: string;
  stage: string | null;
  status: string | null;
  actor: string;
  details: string | null;
}

export interface ReleaseApprovalsTable {
  release_id: string;
  stage: string;
  actor_id: string;
  actor: string;
  comment: string | null;
  at: string;
}

export interface ReleaseSamplesTable {
  id: string;
  release_id: string;
  sample_group: string;
  metric: string;
  /** JSON array of numbers. */
  sample_values: string;
  source: string;
  at: string;
}

export interface ReleaseSettingsTable {
  service_id: string;
  metrics: string;
  rollback_hook_url: string | null;
  rollback_hook_secret: string | null;
  monitor_window_minutes: number | null;
  /** JSON: canary steps, interval, flag. */
  canary: string | null;
  /** JSON: Prometheus-compatible source and queries. */
  prometheus: string | null;
  /** JSON: the monitor window's SLO burn-rate alert. */
  slo: string | null;
  updated_at: string;
}

export interface ReleaseFreezesTable {
  id: string;
  team_id: string | null;
  starts_at: string;
  ends_at: string;
  reason: string;
  created_by: string;
  created_at: string;
}

export interface FlagRolloutPlansTable {
  id: string;
  flag_key: string;
  environment: string;
  steps_json: string;
  interval_seconds: number;
  service_ids_json: string;
  status: string;
  current_step: number;
  current_percent: number;
  strategy_id: string;
  stickiness: string;
  version: number;
  next_step_at: string | null;
  paused_reason: string | null;
  paused_incident_id: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface FlagChangeRequestsTable {
  id: string;
  flag_key: string;
  environment: string;
  kind: string;
  change_json: string;
  reason: string | null;
  status: string;
  base_version: number;
  requested_by_id: string;
  requested_by_name: string;
  requested_at: string;
  decided_by_id: string | null;
  decided_by_name: string | null;
  decided_at: string | null;
  decision_comment: string | null;
}

export interface FlagEventsTable {
  id: string;
  type: string;
  flag_key: string;
  variant: string;
  user_key: string;
  metric: string;
  value: number | null;
  at: string;
  received_at: string;
}

export interface SecurityFindingsTable {
  id: string;
  service_id: string;
  team_id: string;
  kind: string;
  fingerprint: string;
  rule: string;
  title: string;
  severity: string;
  status: string;
  status_reason: string | null;
  status_changed_by: string | null;
  status_changed_at: string | null;
  file: string;
  line: number | null;
  package: string | null;
  version: string | null;
  ecosystem: string | null;
  fixed_version: string | null;
  dependency_path: string;
  commit_sha: string | null;
  author: string | null;
  url: string | null;
  first_seen_at: string;
  last_seen_at: string;
  fixed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface SecurityScansTable {
  id: string;
  service_id: string;
  team_id: string;
  kind: string;
  tool: string;
  findings: number;
  scanned_by: string;
  at: string;
}

export interface AccessReviewCampaignsTable {
  id: string;
  name: string;
  status: string;
  close_policy: string;
  started_at: string;
  due_at: string;
  closed_at: string | null;
  created_by: string;
}

export interface AccessReviewItemsTable {
  id: string;
  campaign_id: string;
  kind: string;
  subject_id: string;
  subject_name: string;
  team_id: string | null;
  team_name: string | null;
  role: string;
  last_used_at: string | null;
  stale_reason: string | null;
  decision: string | null;
  note: string | null;
  decided_by: string | null;
  decided_at: string | null;
  outcome: string;
}

export interface TrainingCoursesTable {
  id: string;
  name: string;
  description: string | null;
  validity_days: number | null;
  required_team_ids: string;
  created_at: string;
}

export interface TrainingCompletionsTable {
  id: string;
  course_id: string;
  user_id: string;
  completed_at: string;
  expires_at: string | null;
  recorded_by: string;
  created_at: string;
}

export interface SecurityExercisesTable {
  id: string;
  service_id: string;
  team_id: string;
  kind: string;
  exercised_at: string;
  notes: string | null;
  recorded_by: string;
  created_at: string;
}

export interface WorkflowGithubSettingsTable {
  id: string;
  api_url: string;
  token: string;
  merge_gate: number;
  checklist: number;
  updated_at: string;
}

export interface WorkflowGateStatusesTable {
  repository_lc: string;
  sha: string;
  state: string;
  posted_at: string;
}

export interface SecurityAdvisoriesTable {
  id: string;
  modified: string;
  record: string;
  imported_at: string;
}

export interface SecurityAdvisoryPackagesTable {
  advisory_id: string;
  ecosystem: string;
  name: string;
}

export interface SecurityDependenciesTable {
  id: string;
  service_id: string;
  team_id: string;
  file: string;
  ecosystem: string;
  name: string;
  version: string;
  direct: number;
  dev: number;
  path: string;
  uploaded_at: string;
}

/** The dependency ignore entries a service's last scan read (JSON array of IgnoreEntry). */
export interface SecurityDependencyIgnoresTable {
  service_id: string;
  entries_json: string;
  /** Where they came from: `push:<sha>`, `repository:<sha>` or `upload`. */
  source: string;
  updated_at: string;
}

export interface AccessRegisterTable {
  id: string;
  system: string;
  owner_team_id: string | null;
  person: string;
  email: string | null;
  access: string;
  last_used_at: string | null;
  imported_at: string;
  removed_at: string | null;
  removed_by: string | null;
  removal_note: string | null;
}
