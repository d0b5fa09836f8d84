import {
  alertSchema,
  createIntegrationSchema,
  createMaintenanceWindowSchema,
  declareIncidentSchema,
  idParamsSchema,
  idSchema,
  importIncidentsResultSchema,
  importIncidentsSchema,
  incidentListQuerySchema,
  incidentSchema,
  incidentStatsQuerySchema,
  incidentStatsSchema,
  integrationSchema,
  maintenanceWindowSchema,
  noteSchema,
  pageSchema,
  timelineEntrySchema,
  updateIncidentSchema,
} from '@engops/contracts';
import { z } from 'zod';
import { defineRoute, type RouteContext, type RouteSpec } from '../../http/route.ts';
import type { Permission } from '../../platform/access/permissions.ts';
import type { IncidentAction } from './incident-lifecycle.ts';
import type { IncidentsService } from './incidents-service.ts';
import type { IntegrationsService } from './integrations-service.ts';

const tags = ['incidents'];
type Authorize = RouteContext<unknown, unknown, unknown>['authorize'];
const serviceParams = z.strictObject({ id: idSchema });
const serviceChildParams = z.strictObject({ id: idSchema, child_id: idSchema });

export function incidentsRoutes(incidents: IncidentsService, integrations: IntegrationsService): RouteSpec[] {
  /** Checks `permission` on the team that owns the service (or the incident's service). */
  const onServiceTeam = async (serviceId: string, permission: Permission, authorize: Authorize) => {
    authorize(permission, (await incidents.serviceAndTeam(serviceId)).team_id);
  };
  const onIncidentTeam = async (incidentId: string, permission: Permission, authorize: Authorize) => {
    authorize(permission, (await incidents.get(incidentId)).team_id);
  };

  const transitionRoute = (action: IncidentAction, summary: string) =>
    defineRoute({
      method: 'POST',
      url: `/api/v1/incidents/:id/${action}`,
      summary,
      tags,
      auth: 'incidents.respond',
      params: idParamsSchema,
      response: incidentSchema,
      errors: [404, 409],
      handler: async ({ params, audit, authorize }) => {
        await onIncidentTeam(params.id, 'incidents.respond', authorize);
        return incidents.act(audit, params.id, action);
      },
    });

  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents',
      summary: 'List incidents, newest first',
      tags,
      auth: 'incidents.read',
      query: incidentListQuerySchema,
      response: pageSchema(incidentSchema),
      handler: ({ query }) =>
        incidents.list({
          limit: query.limit,
          cursor: query.cursor,
          serviceId: query.service_id,
          teamId: query.team_id,
          statuses: query.status,
          severity: query.severity,
          from: query.from ? new Date(query.from).toISOString() : undefined,
          to: query.to ? new Date(query.to).toISOString() : undefined,
        }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/stats',
      summary: 'Response metrics: MTTA, time to mitigate, MTTR, counts by severity',
      tags,
      auth: 'incidents.read',
      query: incidentStatsQuerySchema,
      response: incidentStatsSchema,
      handler: ({ query }) =>
        incidents.stats({
          serviceId: query.service_id,
          teamId: query.team_id,
          from: query.from ? new Date(query.from).toISOString() : undefined,
          to: query.to ? new Date(query.to).toISOString() : undefined,
        }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents',
      summary: 'Declare an incident by hand',
      tags,
      auth: 'incidents.respond',
      body: declareIncidentSchema,
      status: 201,
      response: incidentSchema,
      errors: [404],
      handler: async ({ body, audit, authorize }) => {
        await onServiceTeam(body.service_id, 'incidents.respond', authorize);
        return incidents.declare(audit, body);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/import',
      summary: 'Import past incidents with their real times (idempotent on external_id; pages nobody)',
      tags,
      auth: 'incidents.respond',
      body: importIncidentsSchema,
      response: importIncidentsResultSchema,
      errors: [400],
      handler: ({ body, audit, authorize }) =>
        incidents.importIncidents(audit, body.incidents, {
          authorize: (teamId) => authorize('incidents.respond', teamId),
        }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/:id',
      summary: 'Get an incident',
      tags,
      auth: 'incidents.read',
      params: idParamsSchema,
      response: incidentSchema,
      errors: [404],
      handler: ({ params }) => incidents.get(params.id),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/incidents/:id',
      summary: 'Set roles (commander, communications lead), severity, title or the suspected deployment',
      tags,
      auth: 'incidents.respond',
      params: idParamsSchema,
      body: updateIncidentSchema,
      response: incidentSchema,
      errors: [404],
      handler: async ({ params, body, audit, authorize }) => {
        await onIncidentTeam(params.id, 'incidents.respond', authorize);
        return incidents.update(audit, params.id, body);
      },
    }),
    transitionRoute('acknowledge', 'Acknowledge (Respond)'),
    transitionRoute('mitigate', 'Mark mitigated (Mitigate: the bleeding stopped)'),
    transitionRoute('resolve', 'Resolve (the root cause is fixed)'),
    transitionRoute('reopen', 'Reopen a resolved incident'),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:id/notes',
      summary: 'Add a note to the timeline',
      tags,
      auth: 'incidents.respond',
      params: idParamsSchema,
      body: noteSchema,
      status: 201,
      response: timelineEntrySchema,
      errors: [404],
      handler: async ({ params, body, audit, authorize }) => {
        await onIncidentTeam(params.id, 'incidents.respond', authorize);
        return incidents.addNote(audit, params.id, body.text);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/:id/timeline',
      summary: 'Every alert event, state change, note, notification and role change, in order',
      tags,
      auth: 'incidents.read',
      params: idParamsSchema,
      response: z.object({ items: z.array(timelineEntrySchema) }),
      errors: [404],
      handler: async ({ params }) => ({ items: await incidents.timeline(params.id) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/:id/alerts',
      summary: 'The alerts grouped into an incident, with labels and links',
      tags,
      auth: 'incidents.read',
      params: idParamsSchema,
      response: z.object({ items: z.array(alertSchema) }),
      errors: [404],
      handler: async ({ params }) => ({ items: await incidents.alerts(params.id) }),
    }),

    defineRoute({
      method: 'GET',
      url: '/api/v1/services/:id/integrations',
      summary: "A service's alert integrations (with their keys)",
      tags: ['integrations'],
      auth: 'incidents.respond',
      params: serviceParams,
      response: z.object({ items: z.array(integrationSchema) }),
      errors: [404],
      handler: async ({ params, authorize }) => {
        await onServiceTeam(params.id, 'incidents.respond', authorize);
        return { items: await integrations.list(params.id) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/services/:id/integrations',
      summary: 'Create an alert integration: events-v2, alertmanager, grafana, generic or heartbeat',
      tags: ['integrations'],
      auth: 'integrations.manage',
      params: serviceParams,
      body: createIntegrationSchema,
      status: 201,
      response: integrationSchema,
      errors: [404],
      handler: async ({ params, body, audit, authorize }) => {
        await onServiceTeam(params.id, 'integrations.manage', authorize);
        return integrations.create(audit, params.id, body);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/services/:id/integrations/:child_id',
      summary: 'Delete an integration (its key stops working)',
      tags: ['integrations'],
      auth: 'integrations.manage',
      params: serviceChildParams,
      status: 204,
      response: null,
      errors: [404],
      handler: async ({ params, audit, authorize }) => {
        await onServiceTeam(params.id, 'integrations.manage', authorize);
        await integrations.remove(audit, params.id, params.child_id);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/services/:id/maintenance-windows',
      summary: "A service's maintenance windows (alerts inside one page nobody)",
      tags: ['integrations'],
      auth: 'incidents.read',
      params: serviceParams,
      response: z.object({ items: z.array(maintenanceWindowSchema) }),
      errors: [404],
      handler: async ({ params }) => ({ items: await integrations.listMaintenance(params.id) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/services/:id/maintenance-windows',
      summary: 'Declare a maintenance window',
      tags: ['integrations'],
      auth: 'integrations.manage',
      params: serviceParams,
      body: createMaintenanceWindowSchema,
      status: 201,
      response: maintenanceWindowSchema,
      errors: [404],
      handler: async ({ params, body, audit, authorize }) => {
        await onServiceTeam(params.id, 'integrations.manage', authorize);
        return integrations.createMaintenance(audit, params.id, body);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/services/:id/maintenance-windows/:child_id',
      summary: 'Delete a maintenance window',
      tags: ['integrations'],
      auth: 'integrations.manage',
      params: serviceChildParams,
      status: 204,
      response: null,
      errors: [404],
      handler: async ({ params, audit, authorize }) => {
        await onServiceTeam(params.id, 'integrations.manage', authorize);
        await integrations.deleteMaintenance(audit, params.id, params.child_id);
      },
    }),
  ];
}
