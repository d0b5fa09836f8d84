import {
  contactMethodParamsSchema,
  contactMethodSchema,
  createContactMethodSchema,
  createNotificationRuleSchema,
  notificationRuleParamsSchema,
  notificationRuleSchema,
  notificationRulesResponseSchema,
  userParamsSchema,
  verifyContactMethodSchema,
} from '@engops/contracts';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.ts';
import { can, type Principal } from '../../platform/access/permissions.ts';
import { type ContactsService, maskAddress } from './contacts-service.ts';

const tags = ['on-call'];

/** People manage their own contact methods and rules; admins (users.write) anyone's. */
function isSelf(principal: Principal, userId: string): boolean {
  return principal.userId === userId;
}

/**
 * Contact methods and notification rules per person. Changing them needs at least responder rights
 * somewhere (people who can be paged) and is limited to oneself unless the caller holds users.write.
 */
export function contactRoutes(contacts: ContactsService): RouteSpec[] {
  const selfOrAdmin = (principal: Principal, authorize: (p: 'users.write') => void, userId: string): void => {
    if (!isSelf(principal, userId)) authorize('users.write');
  };
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/users/:id/contact-methods',
      summary: "A person's contact methods (addresses masked unless yours or you hold users.write)",
      tags,
      auth: 'authenticated',
      params: userParamsSchema,
      response: z.object({ items: z.array(contactMethodSchema) }),
      errors: [404],
      handler: async ({ params, principal }) => {
        const items = await contacts.list(params.id);
        const full = isSelf(principal, params.id) || can(principal, 'users.write');
        return {
          items: full ? items : items.map((m) => ({ ...m, address: maskAddress(m.type, m.address) })),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/users/:id/contact-methods',
      summary: 'Add a contact method (email, webhook, slack); a verification code is sent to it',
      tags,
      auth: 'incidents.respond',
      params: userParamsSchema,
      body: createContactMethodSchema,
      status: 201,
      response: contactMethodSchema,
      errors: [400, 403, 404, 409],
      handler: async ({ params, body, audit, principal, authorize }) => {
        selfOrAdmin(principal, authorize, params.id);
        return contacts.create(audit, params.id, body);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/users/:id/contact-methods/:cm_id/verify',
      summary: 'Verify a contact method with the code sent to it; only verified methods receive pages',
      tags,
      auth: 'incidents.respond',
      params: contactMethodParamsSchema,
      body: verifyContactMethodSchema,
      response: contactMethodSchema,
      errors: [400, 403, 404],
      handler: async ({ params, body, audit, principal, authorize }) => {
        selfOrAdmin(principal, authorize, params.id);
        return contacts.verify(audit, params.id, params.cm_id, body.code);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/users/:id/contact-methods/:cm_id/send-code',
      summary: 'Send a new verification code (the old one stops working)',
      tags,
      auth: 'incidents.respond',
      params: contactMethodParamsSchema,
      response: contactMethodSchema,
      errors: [403, 404],
      handler: async ({ params, audit, principal, authorize }) => {
        selfOrAdmin(principal, authorize, params.id);
        return contacts.resendCode(audit, params.id, params.cm_id);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/users/:id/contact-methods/:cm_id',
      summary: 'Remove a contact method and its notification rules',
      tags,
      auth: 'incidents.respond',
      params: contactMethodParamsSchema,
      status: 204,
      response: null,
      errors: [403, 404],
      handler: async ({ params, audit, principal, authorize }) => {
        selfOrAdmin(principal, authorize, params.id);
        await contacts.remove(audit, params.id, params.cm_id);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/users/:id/notification-rules',
      summary: "A person's notification rules (none: every verified contact method at once)",
      tags,
      auth: 'authenticated',
      params: userParamsSchema,
      response: notificationRulesResponseSchema,
      errors: [404],
      handler: ({ params }) => contacts.listRules(params.id),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/users/:id/notification-rules',
      summary: 'Notify a contact method this many seconds after a page (e.g. email at 0, again at 300)',
      tags,
      auth: 'incidents.respond',
      params: userParamsSchema,
      body: createNotificationRuleSchema,
      status: 201,
      response: notificationRuleSchema,
      errors: [400, 403, 404, 409],
      handler: async ({ params, body, audit, principal, authorize }) => {
        selfOrAdmin(principal, authorize, params.id);
        return contacts.createRule(audit, params.id, body);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/users/:id/notification-rules/:rule_id',
      summary: 'Remove a notification rule',
      tags,
      auth: 'incidents.respond',
      params: notificationRuleParamsSchema,
      status: 204,
      response: null,
      errors: [403, 404],
      handler: async ({ params, audit, principal, authorize }) => {
        selfOrAdmin(principal, authorize, params.id);
        await contacts.removeRule(audit, params.id, params.rule_id);
      },
    }),
  ];
}
