import {
  importWorkflowDeliveriesSchema,
  importWorkflowResultSchema,
  setWorkflowGithubSettingsSchema,
  setWorkflowIdentitySchema,
  workflowBranchesQuerySchema,
  workflowBranchSchema,
  workflowGithubSettingsSchema,
  workflowIdentityParamsSchema,
  workflowIdentitySchema,
  workflowPullRequestSchema,
  workflowPullRequestsQuerySchema,
  workflowQuerySchema,
  workflowReviewSchema,
  workflowReviewsQuerySchema,
  workflowSummarySchema,
} from '@engops/contracts';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.ts';
import type { GithubOutbound } from './github-outbound.ts';
import type { WorkflowIngest } from './workflow-ingest.ts';
import type { WorkflowService } from './workflow-service.ts';

const tags = ['workflow'];

export function workflowRoutes(
  workflow: WorkflowService,
  github: GithubOutbound,
  ingest: WorkflowIngest,
): RouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/workflow/deliveries',
      summary:
        'Import history: deliveries rebuilt from the code host REST API, applied once per id (engops import github)',
      tags,
      auth: 'workflow.manage',
      body: importWorkflowDeliveriesSchema,
      response: importWorkflowResultSchema,
      handler: async ({ body, audit }) => {
        const counts = { processed: 0, duplicate: 0, ignored: 0 };
        for (const d of body.deliveries) {
          const result = await ingest.handle(
            {
              provider: body.provider,
              deliveryId: `import:${d.id}`,
              event: d.event,
              payload: d.payload,
              receivedAt: '',
            },
            {
              onApplied: (tx, detail) => workflow.auditImport(tx, audit, `import:${d.id}`, detail),
            },
          );
          counts[result?.status ?? 'ignored'] += 1;
        }
        return counts;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/workflow/settings/github',
      summary: 'GitHub REST settings of the merge gate and reviewer checklist (the token is never returned)',
      tags,
      auth: 'workflow.manage',
      response: workflowGithubSettingsSchema,
      handler: () => github.settings(),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/workflow/settings/github',
      summary:
        'Set the GitHub API root and token; switch the engops/ci-required status and the checklist on or off',
      tags,
      auth: 'workflow.manage',
      body: setWorkflowGithubSettingsSchema,
      response: workflowGithubSettingsSchema,
      handler: ({ body, audit }) => github.setSettings(audit, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/workflow/pull-requests',
      summary: 'Pull requests opened in the window with their review, approval, merge and CI measures',
      tags,
      auth: 'workflow.read',
      query: workflowPullRequestsQuerySchema,
      response: z.object({ items: z.array(workflowPullRequestSchema) }),
      errors: [404],
      handler: ({ query, principal, authorize }) => workflow.pullRequests(query, principal, authorize),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/workflow/reviews',
      summary: 'Reviews submitted in the window',
      tags,
      auth: 'workflow.read',
      query: workflowReviewsQuerySchema,
      response: z.object({ items: z.array(workflowReviewSchema) }),
      errors: [404],
      handler: ({ query, principal, authorize }) => workflow.reviews(query, principal, authorize),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/workflow/branches',
      summary: 'Branches active in the window with their age (long_lived: open past the limit)',
      tags,
      auth: 'workflow.read',
      query: workflowBranchesQuerySchema,
      response: z.object({ items: z.array(workflowBranchSchema) }),
      errors: [404],
      handler: ({ query, principal, authorize }) => workflow.branches(query, principal, authorize),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/workflow/summary',
      summary:
        'Review time against the target, cycle time, PR sizes, CI before merge, branches, workflow fit',
      tags,
      auth: 'workflow.read',
      query: workflowQuerySchema,
      response: workflowSummarySchema,
      errors: [404],
      handler: ({ query, principal, authorize }) => workflow.summary(query, principal, authorize),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/workflow/identities',
      summary: 'Code-host logins of engops users (who receives reviewer nudges)',
      tags,
      auth: 'workflow.manage',
      response: z.object({ items: z.array(workflowIdentitySchema) }),
      handler: () => workflow.identities(),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/workflow/identities',
      summary: 'Link a GitHub or GitLab login to an engops user',
      tags,
      auth: 'workflow.manage',
      body: setWorkflowIdentitySchema,
      response: workflowIdentitySchema,
      errors: [404],
      handler: ({ body, audit }) => workflow.setIdentity(audit, body),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/workflow/identities/:provider/:login',
      summary: 'Unlink a code-host login',
      tags,
      auth: 'workflow.manage',
      params: workflowIdentityParamsSchema,
      status: 204,
      response: null,
      handler: async ({ params, audit }) => {
        await workflow.deleteIdentity(audit, params.provider, params.login);
      },
    }),
  ];
}
