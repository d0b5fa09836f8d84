import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, type TestApp } from '../../../test-support/engines.ts';
import { launchBrowser, logIn, serveWebApp, watchConsole } from './browser-support.ts';

/**
 * The workflow settings page in headless Chromium: linking and unlinking code-host logins (with
 * the server's field error shown beside the field) and the GitHub settings form (the token kept
 * when left empty); a viewer sees neither the link nor the page.
 */
const VIEWER = { email: 'vic@example.test', name: 'Vic Viewer', password: 'viewer-password-1' };

let browser: Browser | undefined;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

for (const engine of ENGINES) {
  describe(`web UI: workflow settings [${engine}]`, () => {
    let t: TestApp | undefined;
    let baseUrl = '';
    beforeAll(async () => {
      ({ t, baseUrl } = await serveWebApp(engine));
    });
    afterAll(async () => {
      await t?.close();
    });

    it('links a login to a person, unlinks it, and saves the GitHub settings', async () => {
      if (!browser || !t) throw new Error('not started');
      const rita = await t.call('POST', '/api/v1/users', {
        body: { email: 'rita@example.test', name: 'Rita Reviewer', role: 'viewer' },
      });
      expect(rita.status).toBe(201);
      const identities = async () => (await t!.call('GET', '/api/v1/workflow/identities')).json.items;

      const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
      const page = await context.newPage();
      const problems = watchConsole(page);
      await logIn(page, `${baseUrl}/workflow`);
      await page.getByRole('heading', { level: 1, name: 'Development workflow' }).waitFor();
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByRole('heading', { level: 1, name: 'Workflow settings' }).waitFor();

      // Logins: a bad one is refused with the message beside the field, nothing stored.
      const linkForm = page.getByRole('form', { name: 'Link a login' });
      const logins = page.getByRole('table', { name: 'Linked code-host logins' });
      expect(await logins.textContent()).toContain('No login is linked yet.');
      await linkForm.getByLabel('Person').selectOption({ label: 'Rita Reviewer (rita@example.test)' });
      await linkForm.getByLabel('Login').fill('rita reviewer');
      await linkForm.getByRole('button', { name: 'Link login' }).click();
      const login = linkForm.getByLabel('Login');
      await expect.poll(() => login.getAttribute('aria-invalid')).toBe('true');
      expect(await linkForm.textContent()).toContain('a code-host login');
      expect(await identities()).toEqual([]);

      await login.fill('Rita-GH');
      await linkForm.getByRole('button', { name: 'Link login' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: 'GitHub login rita-gh linked to Rita Reviewer (rita@example.test).' })
        .waitFor();
      const row = logins.getByRole('row', { name: /rita-gh/ });
      expect(await row.textContent()).toContain('Rita Reviewer (rita@example.test)');
      expect(await identities()).toEqual([
        expect.objectContaining({ provider: 'github', login: 'rita-gh', user_id: rita.json.id }),
      ]);

      // GitLab too: the code host select.
      await linkForm.getByLabel('Code host').selectOption('gitlab');
      await linkForm.getByLabel('Person').selectOption({ label: 'Rita Reviewer (rita@example.test)' });
      await linkForm.getByLabel('Login').fill('rita.r');
      await linkForm.getByRole('button', { name: 'Link login' }).click();
      await expect.poll(async () => logins.locator('tbody tr').count()).toBe(2);
      const gitlabRow = await logins.getByRole('row', { name: /rita\.r/ }).textContent();
      expect(gitlabRow).toContain('GitLab');
      expect(gitlabRow).toContain('Rita Reviewer');

      await page.getByRole('button', { name: 'Unlink GitHub login rita-gh' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Unlink' }).click();
      await page.getByRole('status').filter({ hasText: 'GitHub login rita-gh unlinked.' }).waitFor();
      await expect.poll(async () => logins.locator('tbody tr').count()).toBe(1);
      expect((await identities()).map((i: { login: string }) => i.login)).toEqual(['rita.r']);

      // GitHub settings: a bad API URL is refused beside the field; then saved with a token.
      const github = page.getByRole('form', { name: 'GitHub settings' });
      expect(await github.getByLabel('Token').getAttribute('required')).not.toBeNull();
      await github.getByLabel('API URL').fill('ftp://ghe.example.test');
      await github.getByLabel('Token').fill('ghp_browser_token');
      await github.getByRole('button', { name: 'Save GitHub settings' }).click();
      await expect.poll(() => github.getByLabel('API URL').getAttribute('aria-invalid')).toBe('true');
      expect((await t.call('GET', '/api/v1/workflow/settings/github')).json.configured).toBe(false);

      await github.getByLabel('API URL').fill('https://ghe.example.test/api/v3');
      await github.getByLabel('Post the engops/ci-required commit status (merge gate)').check();
      await github.getByRole('button', { name: 'Save GitHub settings' }).click();
      await page.getByRole('status').filter({ hasText: 'GitHub settings saved' }).waitFor();
      expect((await t.call('GET', '/api/v1/workflow/settings/github')).json).toMatchObject({
        configured: true,
        api_url: 'https://ghe.example.test/api/v3',
        token_set: true,
        merge_gate: true,
        checklist: false,
      });

      // After a reload the token is not shown; saving with it empty keeps it.
      await page.reload();
      const reloaded = page.getByRole('form', { name: 'GitHub settings' });
      await reloaded.waitFor();
      expect(await reloaded.getByLabel(/Token/).inputValue()).toBe('');
      expect(await reloaded.getByLabel(/Token/).getAttribute('placeholder')).toBe(
        'stored (leave empty to keep)',
      );
      expect(await reloaded.getByLabel(/merge gate/).isChecked()).toBe(true);
      await reloaded.getByLabel(/merge gate/).uncheck();
      await reloaded.getByLabel('Comment the reviewer checklist on new pull requests').check();
      await reloaded.getByRole('button', { name: 'Save GitHub settings' }).click();
      await page.getByRole('status').filter({ hasText: 'GitHub settings saved' }).waitFor();
      expect((await t.call('GET', '/api/v1/workflow/settings/github')).json).toMatchObject({
        merge_gate: false,
        checklist: true,
        token_set: true,
      });
      const stored = await t.container.db
        .selectFrom('workflow_github_settings')
        .select('token')
        .executeTakeFirstOrThrow();
      expect(stored.token).toBe('ghp_browser_token');
      await page.screenshot({ path: `/tmp/engops-workflow-settings-${engine}.png`, fullPage: true });
      // The two refused saves log their 400 responses; nothing else may complain.
      expect(problems.filter((p) => !p.includes('status of 400'))).toEqual([]);
      await context.close();
    });

    it('shows a viewer neither the settings link nor the page', async () => {
      if (!browser || !t) throw new Error('not started');
      const viewer = await t.call('POST', '/api/v1/users', { body: { ...VIEWER, role: 'viewer' } });
      expect(viewer.status, viewer.body).toBe(201);
      const context = await browser.newContext();
      const page = await context.newPage();
      await logIn(page, `${baseUrl}/workflow`, VIEWER);
      await page.getByRole('heading', { level: 1, name: 'Development workflow' }).waitFor();
      expect(await page.getByRole('link', { name: 'Settings' }).count()).toBe(0);
      await page.goto(`${baseUrl}/workflow/settings`);
      await page.getByRole('heading', { level: 1, name: 'Not allowed' }).waitFor();
      await context.close();
    });

    it('starts a member without an org-wide role on their own team, without an error', async () => {
      if (!browser || !t) throw new Error('not started');
      const teams = [];
      for (const name of ['Mine', 'Theirs'])
        teams.push((await t.call('POST', '/api/v1/teams', { body: { name, time_zone: 'UTC' } })).json);
      const member = await t.call('POST', '/api/v1/users', {
        body: { email: 'tam@example.test', name: 'Tam', role: null, password: 'member-password-1' },
      });
      expect(member.status, member.body).toBe(201);
      const joined = await t.call('POST', `/api/v1/teams/${teams[0].id}/members`, {
        body: { user_id: member.json.id, role: 'viewer' },
      });
      expect(joined.status, joined.body).toBe(201);
      const context = await browser.newContext();
      const page = await context.newPage();
      const problems = watchConsole(page);
      await logIn(page, `${baseUrl}/workflow`, { email: 'tam@example.test', password: 'member-password-1' });
      await page.getByRole('heading', { level: 1, name: 'Development workflow' }).waitFor();
      await page.getByTestId('tile-review-time').waitFor();
      const scope = page.getByLabel('Scope');
      // The team names load beside the figures: wait for them.
      await expect.poll(() => scope.locator('option').allTextContents()).toEqual(['Team: Mine']);
      expect(await scope.inputValue()).toBe(`team:${teams[0].id}`);
      expect(await page.getByRole('alert').count()).toBe(0);
      expect(problems).toEqual([]);
      await context.close();
    });
  });
}
