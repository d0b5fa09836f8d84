import {
  addTeamMemberSchema,
  createServiceSchema,
  createTeamSchema,
  createUserSchema,
  idParamsSchema,
  idSchema,
  pageQuerySchema,
  pageSchema,
  serviceSchema,
  teamMemberSchema,
  teamSchema,
  updateServiceSchema,
  updateTeamSchema,
  updateUserSchema,
  userSchema,
} from '@engops/contracts';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.ts';
import type { CatalogService } from './catalog-service.ts';

const tags = ['catalog'];
const memberParams = z.strictObject({ id: idSchema, user_id: idSchema });

export function catalogRoutes(catalog: CatalogService): RouteSpec[] {
  return [
    // ---- teams
    defineRoute({
      method: 'GET',
      url: '/api/v1/teams',
      summary: 'List teams',
      tags,
      auth: 'catalog.read',
      query: pageQuerySchema,
      response: pageSchema(teamSchema),
      handler: ({ query }) => catalog.listTeams(query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/teams',
      summary: 'Create a team',
      tags,
      auth: 'teams.create',
      body: createTeamSchema,
      status: 201,
      response: teamSchema,
      errors: [409],
      handler: ({ body, audit }) => catalog.createTeam(audit, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/teams/:id',
      summary: 'Get a team',
      tags,
      auth: 'catalog.read',
      params: idParamsSchema,
      response: teamSchema,
      errors: [404],
      handler: ({ params }) => catalog.getTeam(params.id),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/teams/:id',
      summary: 'Update a team',
      tags,
      auth: 'teams.write',
      params: idParamsSchema,
      body: updateTeamSchema,
      response: teamSchema,
      errors: [404, 409],
      handler: ({ params, body, audit, authorize }) => {
        authorize('teams.write', params.id);
        return catalog.updateTeam(audit, params.id, body);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/teams/:id',
      summary: 'Delete a team (it must own no services)',
      tags,
      auth: 'teams.delete',
      params: idParamsSchema,
      status: 204,
      response: null,
      errors: [404, 409],
      handler: ({ params, audit }) => catalog.deleteTeam(audit, params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/teams/:id/members',
      summary: 'List the members of a team',
      tags,
      auth: 'catalog.read',
      params: idParamsSchema,
      response: z.object({ items: z.array(teamMemberSchema) }),
      errors: [404],
      handler: async ({ params }) => ({ items: await catalog.listMembers(params.id) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/teams/:id/members',
      summary: 'Add a member to a team, or change their role',
      tags,
      auth: 'teams.write',
      params: idParamsSchema,
      body: addTeamMemberSchema,
      status: 201,
      response: teamMemberSchema,
      errors: [404],
      handler: ({ params, body, audit, authorize }) => {
        authorize('teams.write', params.id);
        return catalog.addMember(audit, params.id, body.user_id, body.role);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/teams/:id/members/:user_id',
      summary: 'Remove a member from a team',
      tags,
      auth: 'teams.write',
      params: memberParams,
      status: 204,
      response: null,
      errors: [404],
      handler: ({ params, audit, authorize }) => {
        authorize('teams.write', params.id);
        return catalog.removeMember(audit, params.id, params.user_id);
      },
    }),

    // ---- users
    defineRoute({
      method: 'GET',
      url: '/api/v1/users',
      summary: 'List people',
      tags,
      auth: 'catalog.read',
      query: pageQuerySchema.extend({ team_id: idSchema.optional(), q: z.string().max(200).optional() }),
      response: pageSchema(userSchema),
      handler: ({ query }) => catalog.listUsers(query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/users',
      summary: 'Create a person (optionally with a password to log in)',
      tags,
      auth: 'users.write',
      body: createUserSchema,
      status: 201,
      response: userSchema,
      errors: [409],
      handler: ({ body, audit }) => catalog.createUser(audit, body),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/users/:id',
      summary: 'Get a person',
      tags,
      auth: 'catalog.read',
      params: idParamsSchema,
      response: userSchema,
      errors: [404],
      handler: ({ params }) => catalog.getUser(params.id),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/users/:id',
      summary:
        'Update a person (admins; people may change their own name, time zone and password, the latter with current_password)',
      tags,
      auth: 'authenticated',
      params: idParamsSchema,
      body: updateUserSchema.extend({ current_password: z.string().min(1).max(1024).optional() }),
      response: userSchema,
      errors: [403, 404, 409],
      handler: ({ params, body, audit, principal, authorize }) => {
        const { current_password, ...patch } = body;
        const self = principal.kind === 'user' && principal.userId === params.id;
        const selfServiceable =
          patch.role === undefined && patch.disabled === undefined && patch.email === undefined;
        if (!(self && selfServiceable)) authorize('users.write');
        return catalog.updateUser(audit, params.id, patch, { currentPassword: current_password });
      },
    }),

    // ---- services
    defineRoute({
      method: 'GET',
      url: '/api/v1/services',
      summary: 'List services',
      tags,
      auth: 'catalog.read',
      query: pageQuerySchema.extend({ team_id: idSchema.optional() }),
      response: pageSchema(serviceSchema),
      handler: ({ query }) => catalog.listServices(query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/services',
      summary: 'Create a service owned by a team',
      tags,
      auth: 'services.write',
      body: createServiceSchema,
      status: 201,
      response: serviceSchema,
      errors: [404, 409],
      handler: ({ body, audit, authorize }) => {
        authorize('services.write', body.team_id);
        return catalog.createService(audit, body);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/services/:id',
      summary: 'Get a service',
      tags,
      auth: 'catalog.read',
      params: idParamsSchema,
      response: serviceSchema,
      errors: [404],
      handler: ({ params }) => catalog.getService(params.id),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/services/:id',
      summary: 'Update a service (moving it needs rights on both teams)',
      tags,
      auth: 'services.write',
      params: idParamsSchema,
      body: updateServiceSchema,
      response: serviceSchema,
      errors: [404, 409],
      handler: async ({ params, body, audit, authorize }) => {
        const current = await catalog.getService(params.id);
        authorize('services.write', current.team_id);
        if (body.team_id && body.team_id !== current.team_id) authorize('services.write', body.team_id);
        return catalog.updateService(audit, params.id, body);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/services/:id',
      summary: 'Delete a service',
      tags,
      auth: 'services.write',
      params: idParamsSchema,
      status: 204,
      response: null,
      errors: [404],
      handler: async ({ params, audit, authorize }) => {
        const current = await catalog.getService(params.id);
        authorize('services.write', current.team_id);
        return catalog.deleteService(audit, params.id);
      },
    }),
  ];
}
