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

/** A delivery whose earlier attempt stopped while sending: it goes out again, marked as a repeat. */
export interface PossibleRepeat {
  notification: NotificationView;
  /** The attempt that was sending when its server stopped. */
  interrupted_attempt: number;
  at: string;
}

export interface Notifier {
  /** Records a delivery and enqueues its job, both with `db` (the caller's transaction). */
  send(db: Db, input: NotifyInput): Promise<string>;
  /**
   * `send`, at most once per `key`: a second call with the same key (a job re-run after a crash)
   * records nothing and returns the first delivery's id with `fresh: false`.
   */
  sendOnce(db: Db, key: string, input: NotifyInput): Promise<{ id: string; fresh: boolean }>;
  /**
   * Called, in the transaction that claims the delivery again, when an attempt finds that an
   * earlier one stopped in the middle of sending (so the message may have gone out already).
   */
  onPossibleRepeat(listener: (db: Db, repeat: PossibleRepeat) => Promise<void>): void;
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
    // 'sending' (an attempt is under way) is still pending to API callers.
    status: (row.status === 'sending' ? 'pending' : row.status) as NotificationView['status'],
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

  const repeatListeners: Array<(db: Db, repeat: PossibleRepeat) => Promise<void>> = [];

  /*
   * Each attempt first marks the delivery 'sending' under its attempt number (committed), then
   * sends, then records the outcome fenced by that attempt number. An attempt that finds the
   * delivery still 'sending' knows the previous attempt's server stopped between sending and
   * recording: the message may have gone out. A page must not be lost, so it goes out again, but
   * under the same id (webhook Idempotency-Key / X-Engops-Delivery, email Message-ID) and marked as
   * a possible repeat, and the listeners (the incident timeline) are told in the same transaction.
   */
  deps.worker.register(
    DELIVER_JOB,
    async (job) => {
      const { notification_id } = job.payload as { notification_id: string };
      const row = await db
        .selectFrom('notifications')
        .selectAll()
        .where('id', '=', notification_id)
        .executeTakeFirst();
      if (!row || row.status === 'delivered' || row.status === 'failed') return;
      const stored = row.data_json
        ? (JSON.parse(row.data_json) as {
            data?: Record<string, unknown>;
            secret?: string;
            maybe_sent?: boolean;
          })
        : {};
      const interrupted = row.status === 'sending';
      const claimedAt = clock.now().toISOString();
      const claimed = await db.transaction().execute(async (tx) => {
        const result = await tx
          .updateTable('notifications')
          .set({
            status: 'sending',
            attempts: job.attempts,
            updated_at: claimedAt,
            ...(interrupted && !stored.maybe_sent
              ? { data_json: JSON.stringify({ ...stored, maybe_sent: true }) }
              : {}),
          })
          .where('id', '=', row.id)
          .where('status', '=', row.status)
          .where('attempts', '=', row.attempts)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) return false;
        if (interrupted) {
          const repeat: PossibleRepeat = {
            notification: view({ ...row, attempts: job.attempts }),
            interrupted_attempt: Number(row.attempts),
            at: claimedAt,
          };
          for (const listener of repeatListeners) await listener(tx, repeat);
        }
        return true;
      });
      if (!claimed) throw new Error('the delivery changed while it was being claimed');
      // This attempt, and no later one, may record the outcome.
      const ownAttempt = () =>
        db
          .updateTable('notifications')
          .where('id', '=', row.id)
          .where('status', '=', 'sending')
          .where('attempts', '=', job.attempts);
      try {
        await deps.channels[row.channel as ChannelName].deliver({
          id: row.id,
          target: row.target,
          subject: row.subject,
          body: row.body,
          data: stored.data ?? {},
          ...(stored.secret ? { secret: stored.secret } : {}),
          ...(interrupted || stored.maybe_sent ? { repeat: true } : {}),
        });
      } catch (error) {
        await ownAttempt()
          .set({
            status: 'pending',
            last_error: (error instanceof Error ? error.message : String(error)).slice(0, 2000),
            updated_at: clock.now().toISOString(),
          })
          .execute();
        throw error;
      }
      const now = clock.now().toISOString();
      await ownAttempt()
        .set({ status: 'delivered', last_error: null, delivered_at: now, updated_at: now })
        .execute();
    },
    {
      async onFailed(job, _error, db) {
        const { notification_id } = job.payload as { notification_id: string };
        await db
          .updateTable('notifications')
          .set({ status: 'failed', updated_at: clock.now().toISOString() })
          .where('id', '=', notification_id)
          .where('status', '!=', 'delivered')
          .execute();
      },
    },
  );

  async function record(tx: Db, input: NotifyInput, key?: string): Promise<{ id: string; fresh: boolean }> {
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
      ...(key ? { dedupeKey: `notification:${key}` } : {}),
    });
    if (key) {
      // The key's job existed already: this delivery was recorded before.
      const earlier = await tx
        .selectFrom('notifications')
        .select('id')
        .where('job_id', '=', jobId)
        .executeTakeFirst();
      if (earlier) return { id: earlier.id, fresh: false };
    }
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
    return { id, fresh: true };
  }

  return {
    isConfigured: (channel) => deps.channels[channel].configured !== false,
    async send(tx, input) {
      return (await record(tx, input)).id;
    },
    sendOnce: (tx, key, input) => record(tx, input, key),
    onPossibleRepeat(listener) {
      repeatListeners.push(listener);
    },
    list(query) {
      return pageById(query, async (after, limit) => {
        let q = db.selectFrom('notifications').selectAll().orderBy('id', 'desc').limit(limit);
        if (after) q = q.where('id', '<', after);
        if (query.status === 'pending') q = q.where('status', 'in', ['pending', 'sending']);
        else if (query.status) q = q.where('status', '=', query.status);
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
