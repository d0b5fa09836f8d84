import {
  campaignDetailSchema,
  campaignEvidenceSchema,
  campaignItemParamsSchema,
  campaignSchema,
  completionSchema,
  courseSchema,
  createCampaignSchema,
  createCourseSchema,
  createExerciseSchema,
  evidenceQuerySchema,
  exerciseSchema,
  findingDetailSchema,
  idParamsSchema,
  importAdvisoriesResultSchema,
  importAdvisoriesSchema,
  importRegisterResultSchema,
  importRegisterSchema,
  inventoryResultSchema,
  listFindingsQuerySchema,
  pageSchema,
  recordCompletionSchema,
  registerEntrySchema,
  registerQuerySchema,
  responsePlanSchema,
  reviewDecisionBodySchema,
  reviewItemSchema,
  scanResultSchema,
  securityFindingSchema,
  securityOverviewSchema,
  teamQuerySchema,
  trainingStatusSchema,
  updateFindingStatusSchema,
  uploadInventorySchema,
  uploadScanSchema,
  verifyEvidenceResultSchema,
  verifyEvidenceSchema,
} from '@engops/contracts';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.ts';
import { AppError } from '../../platform/errors.ts';
import { canReview } from './access-review-service.ts';
import type { SecurityServices } from './index.ts';
import { allTeams, readableTeams, writableService } from './security-deps.ts';

const tags = ['security'];

export function securityRoutes(s: SecurityServices): RouteSpec[] {
  return [
    // ---- findings
    defineRoute({
      method: 'POST',
      url: '/api/v1/security/scans',
      summary: "Upload a scan's findings for a service (engops scan deps|secrets --upload)",
      tags,
      auth: 'security.write',
      body: uploadScanSchema,
      status: 201,
      response: scanResultSchema,
      errors: [400, 404],
      handler: ({ body, audit, authorize }) => s.findings.upload(audit, body, authorize),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/security/services/:id/repository-scan',
      summary:
        "Scan the service's repository now (the daily repository scan: lockfiles of the default branch, the repository's ignore entries)",
      tags,
      auth: 'security.write',
      params: idParamsSchema,
      status: 202,
      response: z.object({ service_id: z.string(), job_id: z.string(), repository_url: z.string() }),
      errors: [404, 409],
      handler: async ({ params, audit, authorize }) => {
        const service = await writableService(s.catalog, params.id, authorize);
        const queued = await s.pushScans.requestRepositoryScan(audit, service);
        if (!queued)
          throw new AppError(
            'SECURITY_REPOSITORY_NOT_SCANNABLE',
            service.repository_url
              ? `No token is configured for the code host of ${service.repository_url} (ENGOPS_GITHUB_TOKEN or ENGOPS_GITLAB_TOKEN).`
              : 'The service has no repository_url: set one on the service first.',
          );
        return queued;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/security/findings',
      summary: 'List secret and dependency findings by service, team, kind, status or severity',
      tags,
      auth: 'security.read',
      query: listFindingsQuerySchema,
      response: pageSchema(securityFindingSchema),
      errors: [404],
      handler: ({ query, principal, authorize }) => s.findings.list(query, principal, authorize),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/security/findings/:id',
      summary: 'A finding with its status history',
      tags,
      auth: 'security.read',
      params: idParamsSchema,
      response: findingDetailSchema,
      errors: [404],
      handler: ({ params, authorize }) => s.findings.get(params.id, authorize),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/security/findings/:id/status',
      summary: 'Acknowledge a finding, mark it fixed or a false positive (with a reason), or reopen it',
      tags,
      auth: 'security.triage',
      params: idParamsSchema,
      body: updateFindingStatusSchema,
      response: findingDetailSchema,
      errors: [400, 404],
      handler: ({ params, body, audit, authorize }) =>
        s.findings.setStatus(audit, params.id, body, authorize),
    }),

    defineRoute({
      method: 'POST',
      url: '/api/v1/security/advisories',
      summary: 'Import OSV advisories (up to 1000 per request); services are rescanned against them',
      tags,
      auth: 'security.manage',
      body: importAdvisoriesSchema,
      response: importAdvisoriesResultSchema,
      errors: [400],
      bodyLimit: 50 * 1024 * 1024,
      handler: ({ body, audit }) => s.advisories.importAdvisories(audit, body.advisories),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/security/dependencies',
      summary:
        "Replace a service's dependency inventory (engops scan deps --upload), for server-side rescans",
      tags,
      auth: 'security.write',
      body: uploadInventorySchema,
      response: inventoryResultSchema,
      errors: [400, 404],
      bodyLimit: 50 * 1024 * 1024,
      handler: ({ body, audit, authorize }) => s.advisories.uploadInventory(audit, body, authorize),
    }),

    // ---- overview and response plans
    defineRoute({
      method: 'GET',
      url: '/api/v1/security/overview',
      summary:
        'Where each team and service stands: findings, scan freshness, reviews, training, response plans',
      tags,
      auth: 'security.read',
      query: teamQuerySchema,
      response: securityOverviewSchema,
      errors: [404],
      handler: async ({ query, principal, authorize }) => {
        const plans = await s.plans.list(query.team_id, principal, authorize);
        const summary = await s.findings.summary();
        const training = await s.training.status(query.team_id, principal, authorize);
        const openCampaign = (await s.reviews.list()).find((c) => c.status === 'open');
        const items = openCampaign
          ? (await s.reviews.detail(openCampaign.id, { ...principal, orgRole: 'admin' })).items
          : [];
        // Counts per team for every reader; the grants themselves only to who reviews them.
        const stale = await s.reviews.staleGrants();
        const teamIds = new Set(plans.map((p) => p.team_id));
        const teamFilter = query.team_id
          ? [query.team_id]
          : readableTeams(principal, 'security.read', [...principal.teamRoles.keys()]);
        const services = plans.map((p) => {
          const f = summary.get(p.service_id);
          return {
            service_id: p.service_id,
            service_name: p.service_name,
            team_id: p.team_id,
            open: f?.open ?? { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 },
            overdue: f?.overdue ?? 0,
            last_scan: f?.last ?? { dependency: null, secret: null },
            response_plan: { complete: p.complete, done: p.done, total: p.total },
          };
        });
        const teams = (await allTeams(s.catalog))
          .filter((t) => (teamFilter === null ? true : teamFilter.includes(t.id)) || teamIds.has(t.id))
          .map((t) => {
            const mine = services.filter((x) => x.team_id === t.id);
            const teamItems = items.filter((i) => i.team_id === t.id);
            return {
              team_id: t.id,
              team_name: t.name,
              open_findings: mine.reduce((n, x) => n + Object.values(x.open).reduce((a, b) => a + b, 0), 0),
              overdue_findings: mine.reduce((n, x) => n + x.overdue, 0),
              training_compliance: training.teams.find((x) => x.team_id === t.id)?.compliance ?? null,
              review_pending: teamItems.filter((i) => i.outcome === 'pending').length,
              review_total: teamItems.length,
              plans_complete: mine.filter((x) => x.response_plan.complete).length,
              services: mine.length,
              stale_grants: stale.filter((g) => g.team_id === t.id).length,
            };
          });
        const staleAccess = stale.filter(
          (g) => canReview(principal, g) && (!query.team_id || g.team_id === query.team_id),
        );
        return { services, teams, stale_access: staleAccess };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/security/response-plans',
      summary: "Each service's incident response plan checklist and what is missing",
      tags,
      auth: 'security.read',
      query: teamQuerySchema,
      response: z.array(responsePlanSchema),
      errors: [404],
      handler: ({ query, principal, authorize }) => s.plans.list(query.team_id, principal, authorize),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/security/exercises',
      summary: 'Record a response exercise (tabletop, game day) for a service',
      tags,
      auth: 'security.triage',
      body: createExerciseSchema,
      status: 201,
      response: exerciseSchema,
      errors: [400, 404],
      handler: ({ body, audit, authorize }) => s.plans.recordExercise(audit, body, authorize),
    }),

    // ---- access reviews
    defineRoute({
      method: 'POST',
      url: '/api/v1/security/access-reviews',
      summary: 'Start an access review campaign over every org role, team role and API token',
      tags,
      auth: 'security.manage',
      body: createCampaignSchema,
      status: 201,
      response: campaignDetailSchema,
      errors: [400],
      handler: ({ body, audit }) => s.reviews.start(audit, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/security/access-reviews',
      summary: 'Access review campaigns with their progress',
      tags,
      auth: 'security.review',
      response: z.array(campaignSchema),
      handler: () => s.reviews.list(),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/security/access-reviews/:id',
      summary: 'A campaign with the grants the caller may review',
      tags,
      auth: 'security.review',
      params: idParamsSchema,
      response: campaignDetailSchema,
      errors: [404],
      handler: ({ params, principal }) => s.reviews.detail(params.id, principal),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/security/access-reviews/:id/items/:itemId/decision',
      summary: 'Certify or revoke one grant, with a note (a revoke removes the access at once)',
      tags,
      auth: 'security.review',
      params: campaignItemParamsSchema,
      body: reviewDecisionBodySchema,
      response: reviewItemSchema,
      errors: [400, 403, 404, 409],
      handler: ({ params, body, audit }) => s.reviews.decide(audit, params.id, params.itemId, body),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/security/access-reviews/:id/close',
      summary: 'Close a campaign: unreviewed grants are revoked or kept by its close policy',
      tags,
      auth: 'security.manage',
      params: idParamsSchema,
      response: campaignDetailSchema,
      errors: [404, 409],
      handler: ({ params, audit }) => s.reviews.close(audit, params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/security/access-reviews/:id/evidence',
      summary: 'The campaign as evidence: signed JSON report, or CSV (?format=csv)',
      tags,
      auth: 'security.manage',
      params: idParamsSchema,
      query: evidenceQuerySchema,
      response: campaignEvidenceSchema,
      errors: [404],
      handler: async ({ params, query, reply }) => {
        const evidence = await s.reviews.evidence(params.id);
        if (query.format === 'csv')
          return reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="access-review-${params.id}.csv"`)
            .send(s.reviews.evidenceCsv(evidence.report));
        return evidence;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/security/access-reviews/evidence/verify',
      summary: 'Check that an evidence report is unchanged since this server signed it',
      tags,
      auth: 'security.manage',
      body: verifyEvidenceSchema,
      response: verifyEvidenceResultSchema,
      errors: [400],
      handler: ({ body }) => s.reviews.verifyEvidence(body.report, body.signature),
    }),

    defineRoute({
      method: 'PUT',
      url: '/api/v1/security/access-register',
      summary: "Replace one system's access list (JSON grants or CSV): who holds which access there",
      tags,
      auth: 'security.manage',
      body: importRegisterSchema,
      response: importRegisterResultSchema,
      errors: [400, 404],
      bodyLimit: 10 * 1024 * 1024,
      handler: ({ body, audit }) => s.register.importSystem(audit, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/security/access-register',
      summary: 'The access register: grants in other systems, live and removed',
      tags,
      auth: 'security.manage',
      query: registerQuerySchema,
      response: z.array(registerEntrySchema),
      handler: ({ query }) => s.register.list(query.system),
    }),

    // ---- training
    defineRoute({
      method: 'POST',
      url: '/api/v1/security/training/courses',
      summary: 'Create a security training course and say who must take it',
      tags,
      auth: 'security.manage',
      body: createCourseSchema,
      status: 201,
      response: courseSchema,
      errors: [400, 409],
      handler: ({ body, audit }) => s.training.createCourse(audit, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/security/training/courses',
      summary: 'Security training courses',
      tags,
      auth: 'security.read',
      response: z.array(courseSchema),
      handler: () => s.training.courses(),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/security/training/completions',
      summary: "Record a completion (your own; someone else's needs security.manage)",
      tags,
      auth: 'security.read',
      body: recordCompletionSchema,
      status: 201,
      response: completionSchema,
      errors: [400, 403, 404],
      handler: ({ body, audit }) => s.training.recordCompletion(audit, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/security/training/status',
      summary: 'Who has completed which course, what expired or is missing, and compliance per team',
      tags,
      auth: 'security.read',
      query: teamQuerySchema,
      response: trainingStatusSchema,
      errors: [404],
      handler: ({ query, principal, authorize }) => s.training.status(query.team_id, principal, authorize),
    }),
  ];
}
