import type { Db } from '../../db/database.ts';
import type { NotificationsTable } from '../../db/schema.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { JobQueue, Worker } from '../jobs.ts';
import { type PageQuery, pageById } from '../pagination.ts';
import type { Channel } from './channels.ts';

export type ChannelName = 'email' | 'webhook' | 'slack';

export interface NotifyInput {
  channel: ChannelName;
  target: string;
  subject: string;
  text: string;
  data?: Record<string, unknown>;
  /** HMAC key for webhook signatures; stored with the delivery, never returned by the API. */
  secret?: string;
  /** What caused it (`incident:inc_…`), for the delivery log. */
  source?: string;
}

export interface NotificationView {
  id: string;
  channel: ChannelName;
  target: string;
  subject: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string | null;
  source: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface Notifier {
  /** Records a delivery and enqueues its job, both with `db` (the caller's transaction). */
  send(db: Db, input: NotifyInput): Promise<string>;
  list(
    query: PageQuery & { status?: string; channel?: string },
  ): Promise<{ items: NotificationView[]; next_cursor: string | null }>;
  get(id: string): Promise<NotificationView | undefined>;
  isConfigured(channel: ChannelName): boolean;
}

export const DELIVER_JOB = 'notification.deliver';

/** One plain address (`name@host`): no display name, no list, so a target is one recipient. */
const EMAIL_ADDRESS = /^[^\s@,;:<>()"[\]]+@[^\s@,;:<>()"[\]]+$/;

/** Why `target` cannot be delivered to on `channel`, or null when it can. */
export function targetProblem(channel: ChannelName, target: string): string | null {
  if (channel === 'email') {
    return EMAIL_ADDRESS.test(target) ? null : 'must be one email address, like oncall@example.com';
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  return null;
}

function view(row: NotificationsTable): NotificationView {
  return {
    id: row.id,
    channel: row.channel as ChannelName,
    target: row.target,
    subject: row.subject,
    status: row.status as NotificationView['status'],
    attempts: row.attempts,
    last_error: row.last_error,
    source: row.source,
    created_at: row.created_at,
    delivered_at: row.delivered_at,
  };
}

export function createNotifier(deps: {
  db: Db;
  clock: Clock;
  jobs: JobQueue;
  worker: Worker;
  channels: Record<ChannelName, Channel & { configured?: boolean }>;
}): Notifier {
  const { db, clock } = deps;

  deps.worker.register(
    DELIVER_JOB,
    async (job) => {
      const { notification_id } = job.payload as { notification_id: string };
      const row = await db
        .selectFrom('notifications')
        .selectAll()
        .where('id', '=', notification_id)
        .executeTakeFirst();
      if (!row || row.status === 'delivered') return;
      const data = row.data_json
        ? (JSON.parse(row.data_json) as { data?: Record<string, unknown>; secret?: string })
        : {};
      try {
        await deps.channels[row.channel as ChannelName].deliver({
          id: row.id,
          target: row.target,
          subject: row.subject,
          body: row.body,
          data: data.data ?? {},
          ...(data.secret ? { secret: data.secret } : {}),
        });
      } catch (error) {
        await db
          .updateTable('notifications')
          .set({
            attempts: job.attempts,
            last_error: (error instanceof Error ? error.message : String(error)).slice(0, 2000),
            updated_at: clock.now().toISOString(),
          })
          .where('id', '=', row.id)
          .execute();
        throw error;
      }
      const now = clock.now().toISOString();
      await db
        .updateTable('notifications')
        .set({
          status: 'delivered',
          attempts: job.attempts,
          last_error: null,
          delivered_at: now,
          updated_at: now,
        })
        .where('id', '=', row.id)
        .execute();
    },
    {
      async onFailed(job, _error, db) {
        const { notification_id } = job.payload as { notification_id: string };
        await db
          .updateTable('notifications')
          .set({ status: 'failed', updated_at: clock.now().toISOString() })
          .where('id', '=', notification_id)
          .execute();
      },
    },
  );

  return {
    isConfigured: (channel) => deps.channels[channel].configured !== false,
    async send(tx, input) {
      if (deps.channels[input.channel].configured === false) {
        throw new AppError('NOTIFICATIONS_CHANNEL_NOT_CONFIGURED');
      }
      // Refuse now what could never be delivered, rather than retrying it for an hour.
      const problem = targetProblem(input.channel, input.target);
      if (problem) {
        throw new AppError('HTTP_VALIDATION_FAILED', `The ${input.channel} target ${problem}.`, {
          errors: [{ path: 'body.target', message: problem }],
        });
      }
      const id = newId('ntf');
      const now = clock.now().toISOString();
      const jobId = await deps.jobs.enqueue(tx, {
        kind: DELIVER_JOB,
        payload: { notification_id: id },
        maxAttempts: 6,
      });
      await tx
        .insertInto('notifications')
        .values({
          id,
          channel: input.channel,
          target: input.target,
          subject: input.subject,
          body: input.text,
          data_json: JSON.stringify({
            data: input.data ?? {},
            ...(input.secret ? { secret: input.secret } : {}),
          }),
          status: 'pending',
          attempts: 0,
          last_error: null,
          job_id: jobId,
          source: input.source ?? null,
          created_at: now,
          updated_at: now,
          delivered_at: null,
        })
        .execute();
      return id;
    },
    list(query) {
      return pageById(query, async (after, limit) => {
        let q = db.selectFrom('notifications').selectAll().orderBy('id', 'desc').limit(limit);
        if (after) q = q.where('id', '<', after);
        if (query.status) q = q.where('status', '=', query.status);
        if (query.channel) q = q.where('channel', '=', query.channel);
        return (await q.execute()).map(view);
      });
    },
    async get(id) {
      const row = await db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? view(row) : undefined;
    },
  };
}
