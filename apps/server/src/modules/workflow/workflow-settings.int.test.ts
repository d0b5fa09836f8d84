import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';

describeEachEngine('workflow: settings, code-host logins and permissions', (get) => {
  it('needs a token the first time, keeps it when omitted, never returns or audits it', async () => {
    const t = get();
    const first = await t.call('PUT', '/api/v1/workflow/settings/github', {
      body: { api_url: 'https://ghe.example.test/api/v3', merge_gate: true },
    });
    expect(first.status).toBe(400);
    expect(first.headers['content-type']).toContain('application/problem+json');
    expect(first.json).toMatchObject({ code: 'HTTP_VALIDATION_FAILED' });
    expect(first.json.errors).toEqual([{ path: 'body.token', message: 'required: no token is stored yet' }]);
    expect((await t.call('GET', '/api/v1/workflow/settings/github')).json).toMatchObject({
      configured: false,
      token_set: false,
    });

    const set = await t.call('PUT', '/api/v1/workflow/settings/github', {
      body: { api_url: 'https://ghe.example.test/api/v3/', token: 'ghp_first', merge_gate: true },
    });
    expect(set.status, set.body).toBe(200);
    expect(set.json).toMatchObject({
      api_url: 'https://ghe.example.test/api/v3',
      token_set: true,
      merge_gate: true,
      checklist: false,
    });
    // A second save without a token (the web form leaves it empty) keeps the stored one.
    const again = await t.call('PUT', '/api/v1/workflow/settings/github', {
      body: { api_url: 'https://ghe.example.test/api/v3', merge_gate: false, checklist: true },
    });
    expect(again.status, again.body).toBe(200);
    expect(again.json).toMatchObject({ merge_gate: false, checklist: true, token_set: true });
    const row = await t.container.db.selectFrom('workflow_github_settings').selectAll().executeTakeFirst();
    expect(row?.token).toBe('ghp_first');
    const audit = await t.call('GET', '/api/v1/audit-log?action=workflow.settings.github.update');
    expect(audit.json.items).toHaveLength(2);
    expect(JSON.stringify(audit.json.items)).not.toContain('ghp_first');
    const changed = audit.json.items.map((i: { after: { token_changed: boolean } }) => i.after.token_changed);
    expect(changed.sort()).toEqual([false, true]);
  });

  it('links logins to people with field errors for bad input, and unlinks them', async () => {
    const t = get();
    const user = await t.call('POST', '/api/v1/users', {
      body: { email: 'rita@example.test', name: 'Rita', role: 'viewer' },
    });
    const audits = async () =>
      (await t.call('GET', '/api/v1/audit-log?action=workflow.identity.set')).json.items.length;

    const spaced = await t.call('PUT', '/api/v1/workflow/identities', {
      body: { provider: 'github', login: 'rita smith', user_id: user.json.id },
    });
    expect(spaced.status).toBe(400);
    expect(spaced.json.errors[0].path).toBe('body.login');
    const nobody = await t.call('PUT', '/api/v1/workflow/identities', {
      body: { provider: 'gitlab', login: 'rita', user_id: 'usr_missing' },
    });
    expect(nobody.status).toBe(404);
    expect(nobody.json).toMatchObject({
      code: 'CATALOG_USER_NOT_FOUND',
      errors: [{ path: 'body.user_id', message: 'no such person' }],
    });
    expect((await t.call('GET', '/api/v1/workflow/identities')).json.items).toEqual([]);
    expect(await audits()).toBe(0);

    const linked = await t.call('PUT', '/api/v1/workflow/identities', {
      body: { provider: 'gitlab', login: 'Rita.M', user_id: user.json.id },
    });
    expect(linked.status, linked.body).toBe(200);
    expect(linked.json).toMatchObject({ provider: 'gitlab', login: 'rita.m', user_id: user.json.id });
    expect(await audits()).toBe(1);
    const gone = await t.call('DELETE', '/api/v1/workflow/identities/gitlab/Rita.M');
    expect(gone.status).toBe(204);
    expect((await t.call('GET', '/api/v1/workflow/identities')).json.items).toEqual([]);
    const deleted = await t.call('GET', '/api/v1/audit-log?action=workflow.identity.delete');
    expect(deleted.json.items.map((i: { target_id: string }) => i.target_id)).toEqual(['gitlab:rita.m']);
  });

  it('reads need workflow.read on the team, settings and logins workflow.manage (admin)', async () => {
    const t = get();
    const teamA = await t.call('POST', '/api/v1/teams', { body: { name: 'Perm A', time_zone: 'UTC' } });
    const teamB = await t.call('POST', '/api/v1/teams', { body: { name: 'Perm B', time_zone: 'UTC' } });
    const viewerA = await t.tokenFor('viewer', teamA.json.id);
    const orgViewer = await t.tokenFor('viewer');
    const manager = await t.tokenFor('manager');

    const own = await t.call('GET', `/api/v1/workflow/summary?team_id=${teamA.json.id}`, { token: viewerA });
    expect(own.status, own.body).toBe(200);
    const other = await t.call('GET', `/api/v1/workflow/summary?team_id=${teamB.json.id}`, {
      token: viewerA,
    });
    expect(other.status).toBe(403);
    expect(other.json.code).toBe('AUTH_FORBIDDEN');
    // The whole organisation needs an org-wide role.
    expect((await t.call('GET', '/api/v1/workflow/summary', { token: viewerA })).status).toBe(403);
    expect((await t.call('GET', '/api/v1/workflow/summary', { token: orgViewer })).status).toBe(200);

    for (const token of [viewerA, orgViewer, manager]) {
      expect((await t.call('GET', '/api/v1/workflow/identities', { token })).status).toBe(403);
      expect((await t.call('GET', '/api/v1/workflow/settings/github', { token })).status).toBe(403);
    }
    const me = await t.call('GET', '/api/v1/auth/session', { token: orgViewer });
    expect(me.json.permissions).toContain('workflow.read');
    expect(me.json.permissions).not.toContain('workflow.manage');
    const admin = await t.call('GET', '/api/v1/auth/session');
    expect(admin.json.permissions).toEqual(expect.arrayContaining(['workflow.read', 'workflow.manage']));
  });
});
