import { expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';

async function teamWithSchedule(t: TestApp, name: string) {
  const team = await t.call('POST', '/api/v1/teams', { body: { name, time_zone: 'UTC' } });
  const user = await t.call('POST', '/api/v1/users', {
    body: { email: `${name.toLowerCase()}@example.test`, name, role: null },
  });
  await t.call('POST', `/api/v1/teams/${team.json.id}/members`, {
    body: { user_id: user.json.id, role: 'responder' },
  });
  const schedule = await t.call('POST', '/api/v1/schedules', {
    body: {
      name: `${name} primary`,
      team_id: team.json.id,
      time_zone: 'UTC',
      layers: [
        {
          name: 'primary',
          start: '2026-03-02T09:00',
          rotation: { unit: 'week', length: 1 },
          participants: [user.json.id],
        },
      ],
    },
  });
  expect(schedule.status).toBe(201);
  return { teamId: team.json.id as string, scheduleId: schedule.json.id as string };
}

describeEachEngine('on-call visibility', (get) => {
  it('lists only the schedules of teams the caller may read (their calendar URLs are secrets)', async () => {
    const t = get();
    const a = await teamWithSchedule(t, 'Alpha');
    const b = await teamWithSchedule(t, 'Bravo');
    const viewerA = await t.tokenFor('viewer', a.teamId);
    const list = await t.call('GET', '/api/v1/schedules', { token: viewerA });
    expect(list.status).toBe(200);
    expect(list.json.items.map((s: { id: string }) => s.id)).toEqual([a.scheduleId]);
    expect((await t.call('GET', `/api/v1/schedules/${b.scheduleId}`, { token: viewerA })).status).toBe(403);
    const all = await t.call('GET', '/api/v1/schedules');
    expect(all.json.items.map((s: { id: string }) => s.id).sort()).toEqual(
      [a.scheduleId, b.scheduleId].sort(),
    );
  });
});
