import type { Db } from '../../db/database.ts';
import type { AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { createGitlabApi, type GitlabApiConfig } from '../../platform/gitlab-api.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import type { Notifier } from '../../platform/notifications/notifications-service.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { DoraService } from '../dora/index.ts';
import type { PolicyService } from '../policy/index.ts';
import { createGithubOutbound } from './github-outbound.ts';
import { createGitlabDiffs } from './gitlab-diffs.ts';
import { createWorkflowRepository } from './kysely-workflow-repository.ts';
import { createWorkflowIngest } from './workflow-ingest.ts';
import { workflowRoutes } from './workflow-routes.ts';
import { createWorkflowService } from './workflow-service.ts';

export { CHECKLIST_JOB, GATE_CONTEXT, GATE_JOB } from './github-outbound.ts';
export { GITLAB_DIFFS_JOB } from './gitlab-diffs.ts';
export type { WorkflowService } from './workflow-service.ts';
export { NUDGE_JOB, NUDGE_PLAN_JOB } from './workflow-service.ts';

/**
 * Development workflow and code review. Reads the GitHub deliveries the DORA receiver verified
 * (container.ts subscribes `ingest.handle`: no second webhook route), measures review time, CI before merge, PR size,
 * branch age and author habits, and nudges reviewers through the notification platform.
 */
export function createWorkflowModule(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  worker: Worker;
  notifier: Notifier;
  catalog: CatalogService;
  policy: PolicyService;
  dora: DoraService;
  baseUrl: () => string;
  /** The GitLab REST API (merge request diffs); without a token nothing is read. */
  gitlab?: GitlabApiConfig;
}) {
  const repo = createWorkflowRepository();
  const github = createGithubOutbound(deps);
  const service = createWorkflowService({ ...deps, repo, githubTeamMembers: github.teamMembers });
  const gitlab = createGitlabDiffs({ ...deps, api: createGitlabApi(deps.gitlab ?? { url: '' }) });
  const ingest = createWorkflowIngest({
    db: deps.db,
    clock: deps.clock,
    repo,
    catalog: deps.catalog,
    serviceForRepository: deps.dora.serviceForRepository,
    onPullRequest: service.planNudges,
    onGithubChange: github.onChange,
    onGitlabMergeRequest: gitlab.onMergeRequest,
  });
  return { service, ingest, github, routes: workflowRoutes(service, github, ingest) };
}
