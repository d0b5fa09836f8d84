import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';

describeEachEngine('catalog API', (get) => {
  it('creates, lists, updates and deletes teams and services, auditing each change', async () => {
    const t = get();
    const team = await t.call('POST', '/api/v1/teams', {
      body: { name: 'Payments', time_zone: 'America/New_York' },
    });
    expect(team.status).toBe(201);
    expect(team.json).toMatchObject({
      name: 'Payments',
      time_zone: 'America/New_York',
      member_count: 0,
      service_count: 0,
    });
    expect(team.json.id).toMatch(/^team_/);

    const svc = await t.call('POST', '/api/v1/services', {
      body: {
        name: 'checkout-api',
        team_id: team.json.id,
        tier: 'tier-1',
        runbook_url: 'https://runbooks.example/checkout',
      },
    });
    expect(svc.status).toBe(201);
    expect(svc.json).toMatchObject({ name: 'checkout-api', team_id: team.json.id, tier: 'tier-1' });

    const list = await t.call('GET', '/api/v1/services');
    expect(list.status).toBe(200);
    expect(list.json.items.map((s: { name: string }) => s.name)).toEqual(['checkout-api']);
    expect(list.json.next_cursor).toBeNull();

    const patched = await t.call('PATCH', `/api/v1/services/${svc.json.id}`, {
      body: { description: 'Takes orders' },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.description).toBe('Takes orders');

    const blocked = await t.call('DELETE', `/api/v1/teams/${team.json.id}`);
    expect(blocked.status).toBe(409);
    expect(blocked.json.code).toBe('CATALOG_TEAM_HAS_SERVICES');

    expect((await t.call('DELETE', `/api/v1/services/${svc.json.id}`)).status).toBe(204);
    expect((await t.call('DELETE', `/api/v1/teams/${team.json.id}`)).status).toBe(204);
    expect((await t.call('GET', `/api/v1/teams/${team.json.id}`)).status).toBe(404);

    const audit = await t.call('GET', `/api/v1/audit-log?target_id=${svc.json.id}`);
    expect(audit.json.items.map((e: { action: string }) => e.action)).toEqual([
      'service.delete',
      'service.update',
      'service.create',
    ]);
    expect(audit.json.items[1].before.description).toBeNull();
    expect(audit.json.items[1].after.description).toBe('Takes orders');
  });

  it('rejects bad bodies with problem+json naming the field, and writes nothing', async () => {
    const t = get();
    const before = await t.call('GET', '/api/v1/teams');
    const auditBefore = await t.call('GET', '/api/v1/audit-log?limit=200');
    const bad = await t.call('POST', '/api/v1/teams', {
      body: { name: '', time_zone: 'Mars/Olympus', extra: 1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json.code).toBe('HTTP_VALIDATION_FAILED');
    const paths = bad.json.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['body.extra', 'body.name', 'body.time_zone']);

    const malformed = await t.call('POST', '/api/v1/teams', {
      payload: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json.code).toBe('HTTP_MALFORMED_JSON');

    const wrongType = await t.call('POST', '/api/v1/teams', { body: { name: 42, time_zone: 'UTC' } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.errors[0].path).toBe('body.name');

    const huge = await t.call('POST', '/api/v1/teams', {
      body: { name: 'x', time_zone: 'UTC', description: 'y'.repeat(2 * 1024 * 1024) },
    });
    expect(huge.status).toBe(413);
    expect(huge.json.code).toBe('HTTP_PAYLOAD_TOO_LARGE');

    expect((await t.call('GET', '/api/v1/teams')).json).toEqual(before.json);
    expect((await t.call('GET', '/api/v1/audit-log?limit=200')).json.items.length).toBe(
      auditBefore.json.items.length,
    );
  });

  it('lists team members with whether they are disabled (no longer signed in or notified)', async () => {
    const t = get();
    const team = (await t.call('POST', '/api/v1/teams', { body: { name: 'Ledger', time_zone: 'UTC' } })).json;
    const ids: string[] = [];
    for (const name of ['Ada', 'Bo']) {
      const user = await t.call('POST', '/api/v1/users', {
        body: { email: `${name.toLowerCase()}.ledger@example.test`, name, role: null },
      });
      ids.push(user.json.id);
      const added = await t.call('POST', `/api/v1/teams/${team.id}/members`, {
        body: { user_id: user.json.id, role: 'responder' },
      });
      expect(added.json).toMatchObject({ name, role: 'responder', disabled: false });
    }
    expect((await t.call('PATCH', `/api/v1/users/${ids[1]}`, { body: { disabled: true } })).status).toBe(200);
    const members = await t.call('GET', `/api/v1/teams/${team.id}/members`);
    expect(members.json.items.map((m: { name: string; disabled: boolean }) => [m.name, m.disabled])).toEqual([
      ['Ada', false],
      ['Bo', true],
    ]);
  });

  it('paginates with limit and cursor', async () => {
    const t = get();
    const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Paging', time_zone: 'UTC' } });
    for (let i = 0; i < 5; i++) {
      expect(
        (await t.call('POST', '/api/v1/services', { body: { name: `svc-${i}`, team_id: team.json.id } }))
          .status,
      ).toBe(201);
    }
    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { json: { items: Array<{ name: string }>; next_cursor: string | null } } = await t.call(
        'GET',
        `/api/v1/services?team_id=${team.json.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      names.push(...page.json.items.map((s) => s.name));
      cursor = page.json.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(names).toEqual(['svc-0', 'svc-1', 'svc-2', 'svc-3', 'svc-4']);
    const badCursor = await t.call('GET', '/api/v1/services?cursor=nonsense');
    expect(badCursor.status).toBe(400);
    expect(badCursor.json.errors[0].path).toBe('query.cursor');
  });

  it('refuses duplicate names with 409', async () => {
    const t = get();
    expect((await t.call('POST', '/api/v1/teams', { body: { name: 'Dup', time_zone: 'UTC' } })).status).toBe(
      201,
    );
    const dup = await t.call('POST', '/api/v1/teams', { body: { name: 'Dup', time_zone: 'UTC' } });
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe('CATALOG_TEAM_NAME_TAKEN');
  });

  it('never demotes or disables the last enabled org admin, and changes nothing when refusing', async () => {
    const t = get();
    const user = async (email: string, role: string) =>
      (await t.call('POST', '/api/v1/users', { body: { email, name: email.split('@')[0], role } })).json
        .id as string;
    const admins = async () =>
      (await t.call('GET', '/api/v1/users?limit=200')).json.items
        .filter((u: { role: string; disabled: boolean }) => u.role === 'admin' && !u.disabled)
        .map((u: { id: string }) => u.id)
        .sort();
    const auditCount = async () =>
      Number(
        (
          await t.container.db
            .selectFrom('audit_log')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const patch = (id: string, body: object) => t.call('PATCH', `/api/v1/users/${id}`, { body });

    const ann = await user('ann.admin@example.test', 'admin');
    expect(await admins()).toEqual([ann]);
    const audit = await auditCount();
    for (const body of [
      { role: 'manager' },
      { role: null },
      { disabled: true },
      { role: 'viewer', name: 'X' },
    ]) {
      const res = await patch(ann, body);
      expect(res.status, JSON.stringify(body)).toBe(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json.code).toBe('CATALOG_LAST_ADMIN');
    }
    expect(await auditCount()).toBe(audit);
    expect((await t.call('GET', `/api/v1/users/${ann}`)).json).toMatchObject({
      role: 'admin',
      disabled: false,
      name: 'ann.admin',
    });
    // Other changes to the last admin are fine.
    expect((await patch(ann, { name: 'Ann', role: 'admin' })).status).toBe(200);

    // With a second admin, one of them may go; a disabled admin does not count.
    const ben = await user('ben.admin@example.test', 'admin');
    expect((await patch(ann, { disabled: true })).status).toBe(200);
    expect(await admins()).toEqual([ben]);
    const refused = await patch(ben, { role: 'responder' });
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe('CATALOG_LAST_ADMIN');
    // Demoting an admin who is already disabled leaves the enabled admins as they are.
    expect((await patch(ann, { role: 'viewer' })).status).toBe(200);
    expect(await admins()).toEqual([ben]);

    // Two admins demoted at the same moment: exactly one wins.
    expect((await patch(ann, { role: 'admin', disabled: false })).status).toBe(200);
    expect(await admins()).toEqual([ann, ben].sort());
    const raced = await Promise.all([patch(ann, { role: 'manager' }), patch(ben, { role: 'manager' })]);
    expect(raced.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await admins()).length).toBe(1);
  });
});
