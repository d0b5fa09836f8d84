import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { fixedClock } from '../../platform/clock.ts';

/**
 * Stale access for engops' own role grants, on both engines with an injected clock: a person's org
 * and team roles are flagged when they have not signed in, used a session or used a token they
 * created for `security.stale_access_days` (90), next to stale tokens and register grants, in the
 * overview (live) and in an access review (frozen).
 */
const START = '2026-01-05T09:00:00.000Z';
const day = (n: number) => new Date(Date.parse(START) + n * 24 * 3600 * 1000).toISOString();
const PASSWORD = 'correct-horse-battery';

for (const engine of ENGINES)
  describe(`security: stale access for role grants [${engine}]`, () => {
    const clock = fixedClock(START);
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(engine, { clock });
    });
    afterAll(async () => {
      await t?.close();
    });
    let teamId: string;
    const users: Record<string, string> = {};

    const createUser = async (name: string, role: string | null, teamRole: string | null) => {
      const res = await t.call('POST', '/api/v1/users', {
        body: { email: `${name}@example.test`, name, role, password: PASSWORD },
      });
      expect(res.status, res.body).toBe(201);
      users[name] = res.json.id;
      if (teamRole) {
        const member = await t.call('POST', `/api/v1/teams/${teamId}/members`, {
          body: { user_id: res.json.id, role: teamRole },
        });
        expect(member.status, member.body).toBeLessThan(300);
      }
    };
    const login = async (name: string) => {
      const res = await t.call('POST', '/api/v1/auth/login', {
        token: null,
        body: { email: `${name}@example.test`, password: PASSWORD },
      });
      expect(res.status, res.body).toBe(200);
      const cookie = String(res.headers['set-cookie']).split(';')[0] ?? '';
      return { cookie, csrf: res.json.csrf_token as string };
    };

    it('tracks sign-ins, session use and token use, and flags who has been away', async () => {
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Payments', time_zone: 'UTC' } });
      teamId = team.json.id;
      await createUser('ada', 'viewer', 'responder'); // signs in once, then nothing
      await createUser('grace', null, 'manager'); // never signs in
      await createUser('linus', null, 'viewer'); // signs in again on day 60
      await createUser('ken', 'admin', null); // signs in once, then uses a token he created
      await login('ada');
      const linus = await login('linus');
      const ken = await login('ken');
      const created = await t.call('POST', '/api/v1/tokens', {
        token: null,
        headers: { cookie: ken.cookie, 'x-csrf-token': ken.csrf },
        body: { name: 'ken-ci', role: 'viewer' },
      });
      expect(created.status, created.body).toBe(201);
      // A grant in another system, owned by the team, last used ten days before the start.
      const register = await t.call('PUT', '/api/v1/security/access-register', {
        body: {
          system: 'AWS production',
          owner_team_id: teamId,
          grants: [{ person: 'Ada', email: 'ada@example.test', access: 'PowerUser', last_used_at: day(-10) }],
        },
      });
      expect(register.status, register.body).toBe(200);

      clock.set(day(20));
      await createUser('margaret', null, 'responder'); // new: not stale yet, though never active

      clock.set(day(60));
      await t.call('POST', '/api/v1/auth/logout', { token: null, headers: { cookie: linus.cookie } });
      const again = await login('linus');
      // The session ends; the sign-in stays on record.
      await t.call('POST', '/api/v1/auth/logout', {
        token: null,
        headers: { cookie: again.cookie, 'x-csrf-token': again.csrf },
      });
      clock.set(day(70));
      const used = await t.call('GET', '/api/v1/security/overview', { token: created.json.token });
      expect(used.status).toBe(200);

      // Day 100: the limit is day 10 (90 days back).
      clock.set(day(100));
      const overview = await t.call('GET', '/api/v1/security/overview');
      expect(overview.status, overview.body).toBe(200);
      const stale = (overview.json.stale_access as Array<Record<string, unknown>>)
        .map((g) => [g.kind, g.subject_name, g.team_name, g.role, g.last_used_at, g.stale_reason])
        .sort((a, b) => `${a[0]}${a[1]}`.localeCompare(`${b[0]}${b[1]}`));
      expect(stale).toEqual([
        [
          'org_role',
          'ada <ada@example.test>',
          null,
          'viewer',
          START,
          'no sign-in or token use since 2026-01-05',
        ],
        [
          'system_grant',
          'Ada <ada@example.test> on AWS production',
          'Payments',
          'PowerUser',
          day(-10),
          'unused since 2025-12-26',
        ],
        [
          'team_role',
          'ada <ada@example.test>',
          'Payments',
          'responder',
          START,
          'no sign-in or token use since 2026-01-05',
        ],
        [
          'team_role',
          'grace <grace@example.test>',
          'Payments',
          'manager',
          null,
          'never signed in or used a token since the account was created 2026-01-05',
        ],
      ]);
      // Per team: the team's grants (the org role belongs to no team).
      expect(overview.json.teams).toEqual([
        expect.objectContaining({ team_name: 'Payments', stale_grants: 3 }),
      ]);

      // The team's manager sees the team's grants; a viewer sees the count only.
      const manager = await t.tokenFor('manager', teamId);
      const byManager = await t.call('GET', `/api/v1/security/overview?team_id=${teamId}`, {
        token: manager,
      });
      expect(byManager.json.stale_access.map((g: { kind: string }) => g.kind).sort()).toEqual([
        'system_grant',
        'team_role',
        'team_role',
      ]);
      const viewer = await t.tokenFor('viewer', teamId);
      const byViewer = await t.call('GET', `/api/v1/security/overview?team_id=${teamId}`, { token: viewer });
      expect(byViewer.json.stale_access).toEqual([]);
      expect(byViewer.json.teams[0].stale_grants).toBe(3);

      // A review started now freezes the same flags, with each person's last activity.
      const campaign = await t.call('POST', '/api/v1/security/access-reviews', { body: { name: 'Q2' } });
      expect(campaign.status, campaign.body).toBe(201);
      const people = (campaign.json.items as Array<Record<string, unknown>>)
        .filter((i) => i.kind === 'org_role' || i.kind === 'team_role')
        .map((i) => [i.kind, String(i.subject_name).split(' ')[0], i.last_used_at, i.stale])
        .sort((a, b) => `${a[1]}${a[0]}`.localeCompare(`${b[1]}${b[0]}`));
      expect(people).toEqual([
        ['org_role', 'ada', START, true],
        ['team_role', 'ada', START, true],
        ['team_role', 'grace', null, true],
        ['org_role', 'ken', day(70), false],
        ['team_role', 'linus', day(60), false],
        ['team_role', 'margaret', null, false],
      ]);
      expect(campaign.json.stale).toBe(4);
      const token = (campaign.json.items as Array<Record<string, unknown>>).find((i) =>
        String(i.subject_name).startsWith('ken-ci'),
      );
      expect(token).toMatchObject({ kind: 'token', last_used_at: day(70), stale: false });
    });
  });
