import {
  auditEntrySchema,
  auditQuerySchema,
  idParamsSchema,
  notificationSchema,
  notificationsQuerySchema,
  pageSchema,
  sendNotificationSchema,
} from '@engops/contracts';
import type { Db } from '../db/database.ts';
import { type AuditLog, queryAuditLog } from '../platform/audit.ts';
import { AppError } from '../platform/errors.ts';
import type { Notifier } from '../platform/notifications/notifications-service.ts';
import { defineRoute, type RouteSpec } from './route.ts';

export function platformRoutes(deps: { db: Db; notifier: Notifier; audit: AuditLog }): RouteSpec[] {
  const { db, notifier, audit: auditLog } = deps;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/audit-log',
      summary: 'The audit log, newest first, filtered',
      tags: ['audit'],
      auth: 'audit.read',
      query: auditQuerySchema,
      response: pageSchema(auditEntrySchema),
      handler: ({ query }) => queryAuditLog(db, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/notifications',
      summary: 'The notification delivery log, newest first',
      tags: ['notifications'],
      auth: 'notifications.read',
      query: notificationsQuerySchema,
      response: pageSchema(notificationSchema),
      handler: ({ query }) => notifier.list(query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/notifications/:id',
      summary: 'One delivery and its state',
      tags: ['notifications'],
      auth: 'notifications.read',
      params: idParamsSchema,
      response: notificationSchema,
      errors: [404],
      handler: async ({ params }) => {
        const n = await notifier.get(params.id);
        if (!n) throw new AppError('HTTP_NOT_FOUND', `No notification has id ${params.id}.`);
        return n;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/notifications',
      summary: 'Send a notification (for example, to test a channel)',
      tags: ['notifications'],
      auth: 'notifications.send',
      body: sendNotificationSchema,
      status: 202,
      response: notificationSchema,
      errors: [409],
      handler: async ({ body, audit: ctx }) => {
        const { webhook_secret, text, ...rest } = body;
        const id = await db.transaction().execute(async (tx) => {
          const notificationId = await notifier.send(tx, {
            ...rest,
            text,
            source: `manual:${ctx.principal.id}`,
            ...(webhook_secret ? { secret: webhook_secret } : {}),
          });
          await auditLog.record(tx, ctx, {
            action: 'notification.send',
            targetType: 'notification',
            targetId: notificationId,
            after: { channel: rest.channel, target: rest.target, subject: rest.subject },
          });
          return notificationId;
        });
        return (await notifier.get(id))!;
      },
    }),
  ];
}
