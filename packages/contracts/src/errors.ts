/**
 * The error catalogue: every stable code the API can return, with its HTTP status and meaning.
 * docs/errors.md is generated from this list (npm run docs:errors) and a test keeps them in step.
 */
export interface ErrorSpec {
  readonly status: number;
  readonly title: string;
  readonly description: string;
}

export const ERROR_CATALOGUE = {
  HTTP_VALIDATION_FAILED: {
    status: 400,
    title: 'Request validation failed',
    description:
      'The body, query or path parameters do not match the schema; `errors` lists each field at fault.',
  },
  HTTP_MALFORMED_JSON: {
    status: 400,
    title: 'Malformed JSON',
    description: 'The request body is not valid JSON.',
  },
  HTTP_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'Unsupported media type',
    description: 'Send request bodies as application/json.',
  },
  HTTP_PAYLOAD_TOO_LARGE: {
    status: 413,
    title: 'Payload too large',
    description: 'The request body exceeds the configured limit (ENGOPS_BODY_LIMIT_BYTES).',
  },
  HTTP_NOT_FOUND: { status: 404, title: 'Not found', description: 'No route matches this method and path.' },
  HTTP_INTERNAL: {
    status: 500,
    title: 'Internal error',
    description: 'An unexpected error; the server log has the details under the same request id.',
  },
  HTTP_SERVICE_UNAVAILABLE: {
    status: 503,
    title: 'Service unavailable',
    description: 'The server is starting (migrations not yet applied) or shutting down.',
  },
  AUTH_UNAUTHENTICATED: {
    status: 401,
    title: 'Authentication required',
    description: 'Send `Authorization: Bearer <token>` or log in to get a session cookie.',
  },
  AUTH_INVALID_TOKEN: {
    status: 401,
    title: 'Invalid token',
    description: 'The bearer token is unknown, revoked or expired.',
  },
  AUTH_INVALID_CREDENTIALS: {
    status: 401,
    title: 'Invalid credentials',
    description: 'Wrong email or password.',
  },
  AUTH_FORBIDDEN: {
    status: 403,
    title: 'Forbidden',
    description: 'The caller is authenticated but its role does not grant the permission this action needs.',
  },
  AUTH_CSRF_FAILED: {
    status: 403,
    title: 'CSRF check failed',
    description:
      'Cookie-authenticated mutations must send the session CSRF token in the `X-CSRF-Token` header.',
  },
  AUTH_RATE_LIMITED: {
    status: 429,
    title: 'Too many login attempts',
    description:
      'Login attempts for this address or account are rate-limited; retry after `Retry-After` seconds.',
  },
  SETUP_ALREADY_DONE: {
    status: 409,
    title: 'Setup already completed',
    description: 'The first administrator exists; log in instead.',
  },
  CATALOG_TEAM_NOT_FOUND: { status: 404, title: 'Team not found', description: 'No team has this id.' },
  CATALOG_TEAM_NAME_TAKEN: { status: 409, title: 'Team name taken', description: 'Team names are unique.' },
  CATALOG_TEAM_HAS_SERVICES: {
    status: 409,
    title: 'Team still owns services',
    description: 'Move or delete the services of a team before deleting it.',
  },
  CATALOG_USER_NOT_FOUND: { status: 404, title: 'User not found', description: 'No user has this id.' },
  CATALOG_USER_EMAIL_TAKEN: {
    status: 409,
    title: 'Email taken',
    description: 'Another user has this email address (compared case-insensitively).',
  },
  CATALOG_LAST_ADMIN: {
    status: 409,
    title: 'Last admin',
    description:
      'The last enabled org admin cannot be demoted or disabled; make someone else admin first. Nothing was changed.',
  },
  CATALOG_CURRENT_PASSWORD_INVALID: {
    status: 400,
    title: 'Current password required',
    description:
      'Changing your own password needs your current password in `current_password`; it was missing or wrong.',
  },
  CATALOG_SERVICE_NOT_FOUND: {
    status: 404,
    title: 'Service not found',
    description: 'No service has this id.',
  },
  CATALOG_SERVICE_NAME_TAKEN: {
    status: 409,
    title: 'Service name taken',
    description: 'Service names are unique.',
  },
  TOKENS_NOT_FOUND: { status: 404, title: 'Token not found', description: 'No API token has this id.' },
  POLICY_VERSION_CONFLICT: {
    status: 409,
    title: 'Policy changed meanwhile',
    description: 'The policy was updated since you read it; reload it and apply your change again.',
  },
  NOTIFICATIONS_CHANNEL_NOT_CONFIGURED: {
    status: 409,
    title: 'Channel not configured',
    description: 'Email needs ENGOPS_SMTP_HOST; configure it before sending email notifications.',
  },
  INCIDENTS_NOT_FOUND: { status: 404, title: 'Incident not found', description: 'No incident has this id.' },
  INCIDENTS_INVALID_TRANSITION: {
    status: 409,
    title: 'Invalid incident transition',
    description:
      'Incidents move triggered -> acknowledged -> mitigated -> resolved -> reviewed (skipping forward is allowed); the only way back is reopen (resolved -> triggered).',
  },
  INCIDENTS_UNKNOWN_INTEGRATION_KEY: {
    status: 400,
    title: 'Unknown integration key',
    description: 'No integration has this key (routing_key); copy it from the service integrations page.',
  },
  INCIDENTS_WRONG_INTEGRATION_KIND: {
    status: 400,
    title: 'Wrong integration kind',
    description:
      'The key belongs to an integration of another kind; send to the URL shown for that integration.',
  },
  INCIDENTS_INTEGRATION_NOT_FOUND: {
    status: 404,
    title: 'Integration not found',
    description: 'This service has no integration with this id.',
  },
  INCIDENTS_INTEGRATION_DISABLED: {
    status: 410,
    title: 'Integration deleted',
    description:
      'The integration this key belonged to was deleted, so the key no longer accepts events (its alerts and incidents are kept); create a new integration and send with its key.',
  },
  INCIDENTS_MAINTENANCE_NOT_FOUND: {
    status: 404,
    title: 'Maintenance window not found',
    description: 'This service has no maintenance window with this id.',
  },
  INCIDENTS_ACTION_LINK_INVALID: {
    status: 400,
    title: 'Invalid or expired link',
    description:
      'The acknowledge/resolve link is not valid or has expired; open the incident in engops instead.',
  },
  POSTMORTEMS_NOT_FOUND: {
    status: 404,
    title: 'Postmortem not found',
    description: 'No postmortem has this id.',
  },
  POSTMORTEMS_INCIDENT_NOT_READY: {
    status: 409,
    title: 'Incident not mitigated or resolved',
    description: 'A postmortem is written once the incident is mitigated or resolved.',
  },
  POSTMORTEMS_VERSION_CONFLICT: {
    status: 409,
    title: 'Postmortem changed meanwhile',
    description:
      'Someone saved the postmortem since you loaded it; reload it, merge your change and save with the current version.',
  },
  POSTMORTEMS_INVALID_TRANSITION: {
    status: 409,
    title: 'Invalid postmortem transition',
    description: 'Postmortems move draft -> in_review -> published; a published postmortem is final.',
  },
  POSTMORTEMS_ACTION_ITEMS_INCOMPLETE: {
    status: 409,
    title: 'Action items need an owner and a due date',
    description:
      'Every action item needs an owner and a due date before the postmortem can be published; `errors` lists the items at fault.',
  },
  POSTMORTEMS_ACTION_ITEM_NOT_FOUND: {
    status: 404,
    title: 'Action item not found',
    description: 'No action item has this id.',
  },
  POSTMORTEMS_TRACKER_NOT_CONFIGURED: {
    status: 409,
    title: 'Issue tracker not configured',
    description:
      'Exporting an action item needs the GitHub settings (PUT /api/v1/postmortems/settings/github) and a repository.',
  },
  POSTMORTEMS_EXPORT_IN_PROGRESS: {
    status: 409,
    title: 'Export in progress',
    description: 'Another request is exporting this action item right now; try again in a moment.',
  },
  POSTMORTEMS_EXPORT_FAILED: {
    status: 502,
    title: 'The issue tracker refused or failed',
    description:
      'GitHub did not create the issue; `detail` gives its answer. A retry never creates a second issue for the same action item.',
  },
  POSTMORTEMS_DISMISSAL_NOT_FOUND: {
    status: 404,
    title: 'Lint dismissal not found',
    description: 'This postmortem has no lint dismissal with this id.',
  },
  DORA_DEPLOYMENT_NOT_FOUND: {
    status: 404,
    title: 'Deployment not found',
    description: 'No deployment has this id (for rollback_of, name a deployment of the same service).',
  },
  DORA_EXTERNAL_ID_CONFLICT: {
    status: 409,
    title: 'External id already used',
    description:
      'A deployment with this external_id exists with different fields; external ids make a deployment idempotent, so resend the same body or use a new id.',
  },
  DORA_WEBHOOK_SIGNATURE_INVALID: {
    status: 401,
    title: 'Invalid webhook signature',
    description:
      'The X-Hub-Signature-256 signature (GitHub) or X-Gitlab-Token (GitLab) is missing or does not match the configured secret (ENGOPS_GITHUB_WEBHOOK_SECRET, ENGOPS_GITLAB_WEBHOOK_TOKEN or PUT /api/v1/integrations/github|gitlab); nothing was stored.',
  },
  DORA_REPOSITORY_MAPPED: {
    status: 409,
    title: 'Repository already mapped',
    description:
      'This repository (compared as host/owner/name) is already mapped to a service; delete that mapping first.',
  },
  DORA_REPOSITORY_NOT_FOUND: {
    status: 404,
    title: 'Repository mapping not found',
    description: 'No explicit mapping exists for this repository.',
  },
  DORA_WEBHOOK_NOT_CONFIGURED: {
    status: 401,
    title: 'Webhook secret not configured',
    description:
      'No webhook secret is set for this provider, so no delivery can be verified; an admin sets one first.',
  },
  ONCALL_SCHEDULE_NOT_FOUND: {
    status: 404,
    title: 'Schedule not found',
    description: 'No on-call schedule has this id.',
  },
  ONCALL_ESCALATION_POLICY_NOT_FOUND: {
    status: 404,
    title: 'Escalation policy not found',
    description: 'No escalation policy has this id.',
  },
  ONCALL_INVALID_PARTICIPANT: {
    status: 400,
    title: 'Unknown participant',
    description:
      'A schedule participant, override user or escalation target does not exist (users and schedules are checked when saved).',
  },
  ONCALL_TEAM_MISMATCH: {
    status: 400,
    title: 'Different team',
    description:
      'An escalation policy and the service (or schedule target) it is linked to belong to different teams.',
  },
  ONCALL_ICAL_TOKEN_INVALID: {
    status: 401,
    title: 'Invalid calendar token',
    description:
      "The iCal feed token is missing, forged, expired or was revoked by rotating the schedule's calendar URL; copy the current ical_url.",
  },
  ONCALL_POLICY_IN_USE: {
    status: 409,
    title: 'Escalation policy in use',
    description:
      'Services page through this escalation policy; link them to another policy (PATCH /api/v1/services/{id}) before deleting it.',
  },
  ONCALL_OVERRIDE_NOT_FOUND: {
    status: 404,
    title: 'Override not found',
    description: 'This schedule has no override with this id.',
  },
  ONCALL_CONTACT_METHOD_NOT_FOUND: {
    status: 404,
    title: 'Contact method not found',
    description: 'This person has no contact method with this id.',
  },
  ONCALL_CONTACT_METHOD_TAKEN: {
    status: 409,
    title: 'Contact method exists',
    description: 'This person already has a contact method of this type and address.',
  },
  ONCALL_CONTACT_CODE_INVALID: {
    status: 400,
    title: 'Wrong verification code',
    description:
      'The code does not match the one sent to the address, has expired, or was tried too often; send a new code and try again.',
  },
  ONCALL_NOTIFICATION_RULE_NOT_FOUND: {
    status: 404,
    title: 'Notification rule not found',
    description: 'This person has no notification rule with this id.',
  },
  ONCALL_NOTIFICATION_RULE_TAKEN: {
    status: 409,
    title: 'Notification rule exists',
    description: 'This person already notifies this contact method after this delay.',
  },
  FLAGS_NOT_FOUND: { status: 404, title: 'Flag not found', description: 'No feature flag has this key.' },
  FLAGS_KEY_TAKEN: {
    status: 409,
    title: 'Flag key taken',
    description: 'A feature flag (or environment, or segment) with this key or name already exists.',
  },
  FLAGS_ENVIRONMENT_NOT_FOUND: {
    status: 404,
    title: 'Environment not found',
    description: 'No flag environment has this key.',
  },
  FLAGS_SEGMENT_NOT_FOUND: {
    status: 404,
    title: 'Segment not found',
    description: 'No segment has this id.',
  },
  FLAGS_INVALID_DEFINITION: {
    status: 400,
    title: 'Invalid flag definition',
    description:
      'A strategy, constraint, variant or dependency is invalid (unknown operator, bad regex, weights, a missing parent flag); `errors` lists each.',
  },
  FLAGS_SDK_TOKEN_INVALID: {
    status: 401,
    title: 'SDK token invalid',
    description:
      'The SDK token in Authorization is missing, unknown, revoked, or of the wrong type for this API (client tokens for /api/client, frontend or client tokens for /api/frontend and OFREP).',
  },
  FLAGS_APPROVAL_REQUIRED: {
    status: 409,
    title: 'Approval required',
    description:
      'This environment requires approval for changes: submit a change request (POST /api/v1/change-requests) for a second person to approve. Turning a flag off (kill switch) never needs approval.',
  },
  FLAGS_CHANGE_REQUEST_NOT_FOUND: {
    status: 404,
    title: 'Change request not found',
    description: 'No flag change request has this id.',
  },
  FLAGS_CHANGE_REQUEST_CLOSED: {
    status: 409,
    title: 'Change request closed',
    description: 'The change request was already applied, rejected or cancelled.',
  },
  FLAGS_CHANGE_REQUEST_STALE: {
    status: 409,
    title: 'Flag changed since the request',
    description:
      'The flag was changed after this change request was made; reject it and request the change again against the current flag.',
  },
  FLAGS_SELF_APPROVAL: {
    status: 403,
    title: 'Cannot approve your own change',
    description: 'A change request must be approved by someone other than the person who requested it.',
  },
  FLAGS_ROLLOUT_PLAN_NOT_FOUND: {
    status: 404,
    title: 'Rollout plan not found',
    description: 'No rollout plan has this id.',
  },
  FLAGS_ROLLOUT_PLAN_CONFLICT: {
    status: 409,
    title: 'Rollout plan conflict',
    description:
      'The flag already has an active or paused rollout plan in this environment, or the plan is not in a state that allows this action (only paused plans resume; finished plans do not change).',
  },
  RELEASES_NOT_FOUND: { status: 404, title: 'Release not found', description: 'No release has this id.' },
  RELEASES_PIPELINE_NOT_FOUND: {
    status: 404,
    title: 'Pipeline not found',
    description: 'No release pipeline has this id, or it belongs to another team.',
  },
  RELEASES_STAGE_NOT_FOUND: {
    status: 404,
    title: 'Stage not found',
    description: "The release's pipeline has no stage with this name.",
  },
  RELEASES_PIPELINE_NAME_TAKEN: {
    status: 409,
    title: 'Pipeline name taken',
    description: 'The team already has a pipeline with this name.',
  },
  RELEASES_VERSION_EXISTS: {
    status: 409,
    title: 'Version already released',
    description:
      'The service already has a release of this version with another commit; creating the same version and commit again returns the existing release.',
  },
  RELEASES_STAGE_OUT_OF_ORDER: {
    status: 409,
    title: 'Stage out of order',
    description:
      'An earlier required stage has not succeeded; `detail` names it. An admin may record an override with a reason.',
  },
  RELEASES_INVALID_STAGE_TRANSITION: {
    status: 409,
    title: 'Invalid stage transition',
    description:
      'The stage cannot move to this status from its current one (a succeeded stage is final; a failed one may be started again).',
  },
  RELEASES_GATE_BLOCKED: {
    status: 409,
    title: 'Stage gate closed',
    description:
      'A gate of the stage refuses it: missing approvals, a freeze window, or an open SEV1/SEV2 on the service; `errors` lists each gate. An admin may record an override with a reason.',
  },
  RELEASES_RELEASE_CLOSED: {
    status: 409,
    title: 'Release closed',
    description: 'The release was rolled back; start a new release instead.',
  },
  RELEASES_SELF_APPROVAL: {
    status: 409,
    title: 'Self-approval',
    description: 'Whoever created a release cannot approve its stages.',
  },
  RELEASES_NO_PRODUCTION_DEPLOYMENT: {
    status: 409,
    title: 'Nothing to roll back',
    description: 'The release has not reached production, so there is no deployment to roll back.',
  },
  RELEASES_METRICS_SOURCE_FAILED: {
    status: 502,
    title: 'Metrics source failed',
    description:
      "The service's Prometheus-compatible metrics source did not answer a query_range request with data; `detail` says how.",
  },
  RELEASES_FREEZE_NOT_FOUND: {
    status: 404,
    title: 'Freeze not found',
    description: 'No freeze window has this id.',
  },
  SECURITY_REPOSITORY_NOT_SCANNABLE: {
    status: 409,
    title: 'Repository cannot be scanned',
    description:
      'The service has no repository URL, or no token is configured for its code host (ENGOPS_GITHUB_TOKEN, ENGOPS_GITLAB_TOKEN).',
  },
  SECURITY_FINDING_NOT_FOUND: {
    status: 404,
    title: 'Finding not found',
    description: 'No security finding has this id.',
  },
  SECURITY_CAMPAIGN_NOT_FOUND: {
    status: 404,
    title: 'Access review not found',
    description: 'No access review campaign (or no item of it) has this id.',
  },
  SECURITY_CAMPAIGN_CLOSED: {
    status: 409,
    title: 'Access review closed',
    description: 'The campaign is closed; its decisions are final. Start a new campaign to review again.',
  },
  SECURITY_GRANT_REVOKED: {
    status: 409,
    title: 'Grant already revoked',
    description: 'A reviewer revoked this grant; any revoke wins, so it cannot be certified afterwards.',
  },
  SECURITY_COURSE_NOT_FOUND: {
    status: 404,
    title: 'Course not found',
    description: 'No training course has this id.',
  },
  SECURITY_COURSE_NAME_TAKEN: {
    status: 409,
    title: 'Course name taken',
    description: 'Another training course has this name.',
  },
  SECURITY_NO_USER: {
    status: 400,
    title: 'No person to record',
    description:
      'A training completion needs a person: send user_id, or call with a session or a token made by a user.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The body of every error response (RFC 9457 problem details with engops' stable code). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: Array<{ path: string; message: string }>;
  request_id?: string;
}
