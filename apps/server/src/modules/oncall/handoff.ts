import type { Db } from '../../db/database.ts';
import type { Clock } from '../../platform/clock.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import type { Notifier } from '../../platform/notifications/notifications-service.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { ContactsService } from './contacts-service.ts';
import type { OncallRepository } from './kysely-oncall-repository.ts';
import { isoOf, shifts as renderShifts, type ScheduleLayer } from './schedule-math.ts';

export const HANDOFF_SWEEP_JOB = 'oncall.handoff-sweep';
export const HANDOFF_NOTICE_JOB = 'oncall.handoff-notice';
/** How often the sweep looks ahead, and how long before a shift its person is told. */
export const HANDOFF_SWEEP_MS = 15 * 60_000;
export const HANDOFF_NOTICE_MS = 60 * 60_000;

interface NoticePayload {
  schedule_id: string;
  user_id: string;
  layer: string;
  start: string;
  end: string;
}

/**
 * Handoff notices: a recurring sweep finds shifts that start within the next hour and enqueues one
 * notice per shift (deduplicated by schedule, person and start, so each shift is announced once even
 * with several servers). The notice goes to the person's contact methods that are notified at once
 * (their account email when they have none).
 */
export function createHandoffNotices(deps: {
  db: Db;
  clock: Clock;
  jobs: JobQueue;
  worker: Worker;
  notifier: Notifier;
  catalog: CatalogService;
  contacts: ContactsService;
  repo: OncallRepository;
  baseUrl: () => string;
}) {
  const { db, clock, repo } = deps;

  async function scheduleSweep(at: Date): Promise<void> {
    const slot = Math.ceil(at.getTime() / HANDOFF_SWEEP_MS);
    await deps.jobs.enqueue(db, {
      kind: HANDOFF_SWEEP_JOB,
      runAt: new Date(slot * HANDOFF_SWEEP_MS),
      dedupeKey: `handoff-sweep:${slot}`,
      maxAttempts: 3,
    });
  }

  /** Enqueues a notice for every shift starting in (now, now + notice + one sweep]. Returns how many. */
  async function sweep(): Promise<number> {
    const now = clock.now().getTime();
    // From a day back, so a shift already under way is not mistaken for one starting now.
    const from = isoOf(now - 24 * 3_600_000);
    const to = isoOf(now + HANDOFF_NOTICE_MS + HANDOFF_SWEEP_MS);
    let enqueued = 0;
    for (const row of await repo.listSchedules(db)) {
      const overrides = await repo.listOverrides(db, row.id, { from, to });
      const list = renderShifts(
        {
          time_zone: row.time_zone,
          layers: JSON.parse(row.layers_json) as ScheduleLayer[],
          overrides: overrides.map((o) => ({ user_id: o.user_id, start: o.start_at, end: o.end_at })),
        },
        from,
        to,
      );
      for (const s of list) {
        const start = Date.parse(s.start);
        if (start <= now || start > now + HANDOFF_NOTICE_MS + HANDOFF_SWEEP_MS) continue;
        const payload: NoticePayload = {
          schedule_id: row.id,
          user_id: s.user_id,
          layer: s.layer,
          start: s.start,
          end: s.end,
        };
        await deps.jobs.enqueue(db, {
          kind: HANDOFF_NOTICE_JOB,
          payload,
          runAt: new Date(Math.max(now, start - HANDOFF_NOTICE_MS)),
          dedupeKey: `handoff:${row.id}:${s.user_id}:${s.start}`,
          maxAttempts: 5,
        });
        enqueued++;
      }
    }
    return enqueued;
  }

  deps.worker.register(HANDOFF_SWEEP_JOB, async () => {
    try {
      await sweep();
    } finally {
      await scheduleSweep(new Date(clock.now().getTime() + 1));
    }
  });

  deps.worker.register(HANDOFF_NOTICE_JOB, async (job) => {
    const p = job.payload as NoticePayload;
    const schedule = await repo.getSchedule(db, p.schedule_id);
    const user = await deps.catalog.getUser(p.user_id).catch(() => null);
    if (!schedule || !user || user.disabled) return;
    const local = (iso: string) =>
      new Intl.DateTimeFormat('en-GB', {
        timeZone: user.time_zone,
        dateStyle: 'full',
        timeStyle: 'short',
      }).format(new Date(iso));
    const text = [
      `You are on call for ${schedule.name} (${p.layer === 'override' ? 'an override' : p.layer}).`,
      `From: ${local(p.start)} (${user.time_zone})`,
      `Until: ${local(p.end)}`,
      '',
      `Your shifts: ${deps.baseUrl()}/oncall/me`,
    ].join('\n');
    const plan = (await deps.contacts.plan(user.id, user.email)).filter(
      (c) => c.delay_seconds === 0 && deps.notifier.isConfigured(c.channel),
    );
    if (plan.length === 0) return;
    await db.transaction().execute(async (tx) => {
      // Once per notice job and address, so a re-run after a crash tells nobody twice.
      for (const c of plan)
        await deps.notifier.sendOnce(tx, `handoff:${job.id}:${c.channel}:${c.address}`, {
          channel: c.channel,
          target: c.address,
          subject: `[engops] Your on-call shift on ${schedule.name} starts ${local(p.start)}`,
          text,
          data: { kind: 'handoff', ...p, schedule_name: schedule.name },
          source: `schedule:${schedule.id}`,
        });
    });
  });

  return { scheduleSweep, sweep };
}
