import type { Service } from '@engops/contracts';
import type { Container } from '../container.ts';
import { systemPrincipal } from '../platform/access/permissions.ts';

/**
 * The on-call part of the demo: a weekly rotation of the Payments team's responders and managers
 * (Monday 09:00 New York time, handing off at 09:00 local across DST), and an escalation policy on
 * checkout-api: whoever is on call at once, the team's managers after 5 minutes. Skipped when the
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
    steps: [
      { delay_minutes: 5, targets: [{ type: 'schedule', id: schedule.id }] },
      ...(managers.length
        ? [{ delay_minutes: 10, targets: managers.map((id) => ({ type: 'user' as const, id })) }]
        : []),
    ],
    repeat: 1,
  });
  await oncall.setServicePolicy(ctx, checkout.id, policy.id);
  return 3;
}
