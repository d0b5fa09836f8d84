import type { Service } from '@engops/contracts';
import type { Container } from '../container.ts';
import { systemPrincipal } from '../platform/access/permissions.ts';
import { newId } from '../platform/ids.ts';

/**
 * The on-call part of the demo: a weekly rotation of the Payments team's responders and managers
 * (Monday 09:00 New York time, handing off at 09:00 local across DST), and an escalation policy on
 * checkout-api: whoever is on call at once, the team's managers after 5 minutes; verified email
 * contact methods with "again after 5 minutes" rules, and an off-hours pay policy. Skipped when the
 * team already has a schedule.
 */
export async function seedOncallDemo(container: Container, services: Service[]): Promise<number> {
  const checkout = services.find((s) => s.name === 'checkout-api');
  if (!checkout) return 0;
  const oncall = container.oncall.service;
  if ((await oncall.list(checkout.team_id)).length > 0) return 0;
  const members = await container.catalog.service.listMembers(checkout.team_id);
  const rotation = members.filter((m) => m.role !== 'viewer').map((m) => m.user_id);
  const managers = members.filter((m) => m.role === 'manager').map((m) => m.user_id);
  if (rotation.length === 0) return 0;
  const ctx = { principal: systemPrincipal };
  // The rotation starts on the Monday of the current week (UTC calendar), 09:00 in New York.
  const now = container.clock.now();
  const monday = new Date(now.getTime() - ((now.getUTCDay() + 6) % 7) * 24 * 3600_000);
  const schedule = await oncall.createSchedule(ctx, {
    name: 'Payments primary',
    team_id: checkout.team_id,
    time_zone: 'America/New_York',
    layers: [
      {
        name: 'weekly',
        start: `${monday.toISOString().slice(0, 10)}T09:00`,
        rotation: { unit: 'week', length: 1 },
        participants: rotation,
      },
    ],
  });
  const policy = await oncall.createPolicy(ctx, {
    name: 'Payments escalation',
    team_id: checkout.team_id,
    levels: [
      { delay_seconds: 300, targets: [{ type: 'schedule', id: schedule.id }] },
      ...(managers.length
        ? [{ delay_seconds: 600, targets: managers.map((id) => ({ type: 'user' as const, id })) }]
        : []),
    ],
    repeat: 1,
  });
  await container.catalog.service.updateService(ctx, checkout.id, { escalation_policy_id: policy.id });
  await seedContacts(container, rotation);
  // Off-hours pay: an hourly rate, a flat amount per off-hours shift, weekends and holidays paid more.
  await container.oncall.reports.setPayPolicy(ctx, checkout.team_id, {
    currency: 'USD',
    hourly_rate: 8,
    per_off_hours_shift: 40,
    per_off_hours_page: 15,
    weekend_multiplier: 1.5,
    holiday_multiplier: 2,
    working_days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    working_hours: { start: '09:00', end: '17:00' },
    holidays: ['2026-01-01', '2026-05-25', '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25'],
  });
  return 4;
}

/**
 * Each person in the rotation gets a verified email contact method (their account address) and the
 * rules "email at once, again after 5 minutes". Written directly: the demo sends no verification mail.
 */
async function seedContacts(container: Container, userIds: string[]): Promise<void> {
  const at = container.clock.now().toISOString();
  // Read first: on SQLite a read on the pool during the transaction would wait for it forever.
  const users = await Promise.all(userIds.map((id) => container.catalog.service.getUser(id)));
  await container.db.transaction().execute(async (tx) => {
    for (const user of users) {
      const userId = user.id;
      const id = newId('cm');
      await tx
        .insertInto('oncall_contact_methods')
        .values({
          id,
          user_id: userId,
          type: 'email',
          address: user.email,
          label: 'Work email',
          verified: 1,
          code_hash: null,
          code_expires_at: null,
          code_attempts: 0,
          created_at: at,
          updated_at: at,
        })
        .execute();
      for (const delay of [0, 300])
        await tx
          .insertInto('oncall_notification_rules')
          .values({
            id: newId('nrule'),
            user_id: userId,
            contact_method_id: id,
            delay_seconds: delay,
            created_at: at,
          })
          .execute();
    }
  });
}
