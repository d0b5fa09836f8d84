import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, type TestApp } from '../../../test-support/engines.ts';
import { ADMIN, launchBrowser, logIn, serveWebApp, watchConsole } from './browser-support.ts';

/**
 * The web UI in headless Chromium against a real server (real database, real HTTP): first-run
 * setup, logout, login, creating a team and a service, and no console errors on the way.
 */

let browser: Browser | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

for (const engine of ENGINES) {
  describe(`web UI: setup, login, teams and services [${engine}]`, () => {
    let t: TestApp | undefined;
    let baseUrl = '';

    beforeAll(async () => {
      // No first admin: this test sets the organisation up through the UI.
      ({ t, baseUrl } = await serveWebApp(engine, { setup: false }));
    });

    afterAll(async () => {
      await t?.close();
    });

    it('sets up the first admin, logs out and in, and creates a team and its service', async () => {
      if (!browser || !t) throw new Error('not started');
      const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
      const page = await context.newPage();
      const problems = watchConsole(page);
      const assets: Array<{ path: string; status: number }> = [];
      page.on('response', (r) => {
        const url = new URL(r.url());
        if (url.origin === baseUrl && /\.(js|css|svg)$/.test(url.pathname))
          assets.push({ path: url.pathname, status: r.status() });
      });

      const response = await page.goto(`${baseUrl}/`);
      expect(response?.status()).toBe(200);
      expect(await page.locator('html').getAttribute('lang')).toBe('en');

      // First visit: the setup form.
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Set up engops');
      // The bundle comes from /assets/ (Vite base '/').
      expect(assets.some((a) => a.path.endsWith('.js'))).toBe(true);
      expect(assets.some((a) => a.path.endsWith('.css'))).toBe(true);
      for (const asset of assets) {
        expect(asset.path).toMatch(/^\/assets\//);
        expect(asset.status).toBe(200);
      }
      await page.screenshot({ path: `/tmp/engops-ui-${engine}-1-setup.png` });
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Name', { exact: true }).fill(ADMIN.name);
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.getByLabel('Time zone').fill('Europe/Berlin');
      await page.getByRole('button', { name: 'Create administrator' }).click();

      // Landed in the app: landmarks, navigation and the Teams page.
      await page.getByRole('heading', { level: 1, name: 'Teams' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/teams');
      const nav = page.getByRole('navigation', { name: 'Main' });
      for (const item of ['Teams', 'People', 'Services', 'Audit log', 'API tokens', 'Policy']) {
        await expect.poll(() => nav.getByRole('link', { name: item }).count()).toBe(1);
      }
      expect(await page.getByRole('main').count()).toBe(1);

      // Setup is one-time: a second attempt through the API is refused.
      const again = await t.call('POST', '/api/v1/setup', {
        token: null,
        body: { email: 'mallory@example.test', name: 'Mallory', password: 'another-password-1' },
      });
      expect(again.status).toBe(409);
      expect(again.json.code).toBe('SETUP_ALREADY_DONE');
      expect((await t.call('GET', '/api/v1/setup', { token: null })).json).toEqual({ required: false });

      // Log out, then log in again.
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/login');
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Teams' }).waitFor();

      // Create a team.
      await page.getByRole('button', { name: 'New team' }).click();
      const teamDialog = page.getByRole('dialog', { name: 'New team' });
      await teamDialog.getByLabel('Name', { exact: true }).fill('Payments');
      await teamDialog.getByLabel('Time zone').fill('America/New_York');
      await teamDialog.getByRole('button', { name: 'Create team' }).click();
      await teamDialog.waitFor({ state: 'detached' });
      await page.getByRole('row', { name: /Payments/ }).waitFor();

      // Create its service; a bad name is refused by the server and shown next to the field.
      await nav.getByRole('link', { name: 'Services' }).click();
      await page.getByRole('heading', { level: 1, name: 'Services' }).waitFor();
      await page.getByRole('button', { name: 'New service' }).click();
      const serviceDialog = page.getByRole('dialog', { name: 'New service' });
      await serviceDialog.getByLabel('Name', { exact: true }).fill('Checkout API');
      await serviceDialog.getByLabel('Owning team').selectOption({ label: 'Payments' });
      await serviceDialog.getByRole('button', { name: 'Create service' }).click();
      await serviceDialog.getByRole('alert').waitFor();
      expect(await serviceDialog.getByRole('alert').textContent()).toContain(
        'The request has invalid fields.',
      );
      const nameField = serviceDialog.getByLabel('Name', { exact: true });
      expect(await nameField.getAttribute('aria-invalid')).toBe('true');
      const describedBy = (await nameField.getAttribute('aria-describedby')) ?? '';
      const messages = await Promise.all(
        describedBy.split(' ').map((id) => page.locator(`[id="${id}"]`).textContent()),
      );
      expect(messages.join(' ')).toContain('use lowercase letters, digits, dots, dashes and underscores');
      await page.screenshot({ path: `/tmp/engops-ui-${engine}-2-service-error.png` });

      await nameField.fill('checkout-api');
      await serviceDialog.getByRole('button', { name: 'Create service' }).click();
      await serviceDialog.waitFor({ state: 'detached' });
      const serviceRow = page.getByRole('row', { name: /checkout-api/ });
      await serviceRow.waitFor();
      expect(await serviceRow.textContent()).toContain('Payments');
      // A new service has no escalation policy yet, and the list says so.
      await expect.poll(() => serviceRow.textContent()).toContain('No escalation policy');
      await page.screenshot({ path: `/tmp/engops-ui-${engine}-3-services.png` });

      // The team list counts the service.
      await nav.getByRole('link', { name: 'Teams' }).click();
      await page.getByRole('heading', { level: 1, name: 'Teams' }).waitFor();
      const teamRow = page.getByRole('row', { name: /Payments/ });
      await teamRow.waitFor();
      const cells = await teamRow.getByRole('cell').allTextContents();
      // Row header (Name), then Time zone, Members, Services, actions.
      expect(cells.slice(0, 3)).toEqual(['America/New_York', '0', '1']);
      await page.screenshot({ path: `/tmp/engops-ui-${engine}-4-teams.png` });

      // The audit log shows the changes, newest first, with before/after on demand.
      await nav.getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
      const firstAction = page.getByRole('row').nth(1).locator('code').first();
      await expect.poll(() => firstAction.textContent()).toBe('service.create');
      await page.getByRole('button', { name: /Show changes of service\.create/ }).click();
      await expect
        .poll(() => page.locator('.audit-detail pre').nth(1).textContent())
        .toContain('checkout-api');
      await page.screenshot({ path: `/tmp/engops-ui-${engine}-5-audit.png`, fullPage: true });

      // A reload keeps the session (cookie + session endpoint) and stays on the page.
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();

      // The only console error is the browser's report of the deliberate 400 above.
      const expected = problems.filter((p) => /Failed to load resource: .*status of 400/.test(p));
      expect(expected).toHaveLength(1);
      expect(problems.filter((p) => !expected.includes(p))).toEqual([]);
      await context.close();
    });

    // Continues from the state the first test left: the admin, team Payments and checkout-api.
    it('manages members, people, API tokens and the policy without console errors', async () => {
      if (!browser || !t) throw new Error('not started');
      const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
      const page = await context.newPage();
      const problems = watchConsole(page);

      // A deep link while logged out goes to login, then back to the page asked for.
      await logIn(page, `${baseUrl}/people`);
      await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();

      // People: create a person who can log in.
      await page.getByRole('button', { name: 'New person' }).click();
      const personDialog = page.getByRole('dialog', { name: 'New person' });
      await personDialog.getByLabel('Email').fill('bob@example.test');
      await personDialog.getByLabel('Name', { exact: true }).fill('Bob Builder');
      await personDialog.getByLabel('Org role').selectOption('responder');
      await personDialog.getByLabel('Password').fill('bob-password-123');
      await personDialog.getByRole('button', { name: 'Create person' }).click();
      await personDialog.waitFor({ state: 'detached' });
      await page.getByRole('row', { name: /Bob Builder/ }).waitFor();

      // Team detail: add Bob as manager; the team's service is listed.
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Teams' }).click();
      await page.getByRole('link', { name: 'Payments' }).click();
      await page.getByRole('heading', { level: 1, name: 'Payments' }).waitFor();
      await page.getByRole('row', { name: /checkout-api/ }).waitFor();
      await page.getByLabel('Person').selectOption({ label: 'Bob Builder (bob@example.test)' });
      await page.getByLabel('Team role').selectOption('manager');
      await page.getByRole('button', { name: 'Save member' }).click();
      const memberRow = page
        .getByRole('table', { name: 'Members of Payments' })
        .getByRole('row', { name: /Bob/ });
      await memberRow.waitFor();
      expect(await memberRow.getByRole('cell').allTextContents()).toContain('manager');
      await page.screenshot({ path: `/tmp/engops-ui-${engine}-6-team.png`, fullPage: true });

      // API tokens: create one, see its secret once, check it works, revoke it.
      await nav.getByRole('link', { name: 'API tokens' }).click();
      await page.getByRole('heading', { level: 1, name: 'API tokens' }).waitFor();
      await page.getByRole('button', { name: 'New token' }).click();
      const tokenDialog = page.getByRole('dialog', { name: 'New API token' });
      await tokenDialog.getByLabel('Name', { exact: true }).fill('deploy pipeline');
      await tokenDialog.getByLabel('Role').selectOption('viewer');
      await tokenDialog.getByRole('button', { name: 'Create token' }).click();
      const secretDialog = page.getByRole('dialog', { name: 'Token created' });
      const secret = await secretDialog.getByLabel('Token secret').inputValue();
      expect(secret).toMatch(/^eo_/);
      await secretDialog.getByRole('button', { name: 'Copy' }).click();
      await expect
        .poll(() => secretDialog.getByRole('status').textContent())
        .toBe('Copied to the clipboard.');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
      await page.screenshot({ path: `/tmp/engops-ui-${engine}-7-token-secret.png` });
      const asToken = await t.call('GET', '/api/v1/teams', { token: secret });
      expect(asToken.status).toBe(200);
      await secretDialog.getByRole('button', { name: 'Done' }).click();
      await secretDialog.waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Revoke deploy pipeline' }).click();
      await page
        .getByRole('dialog', { name: 'Revoke token' })
        .getByRole('button', { name: 'Revoke token' })
        .click();
      await page.getByRole('row', { name: /deploy pipeline/ }).waitFor({ state: 'detached' });
      expect((await t.call('GET', '/api/v1/teams', { token: secret })).status).toBe(401);

      // Policy: an admin edits the JSON and saves it with the version read.
      await nav.getByRole('link', { name: 'Policy' }).click();
      await page.getByRole('heading', { level: 1, name: 'Policy' }).waitFor();
      const editor = page.getByLabel('Policy (JSON)');
      const policy = JSON.parse(await editor.inputValue()) as { postmortems: { deadline_hours: number } };
      expect(policy.postmortems.deadline_hours).toBe(48);
      policy.postmortems.deadline_hours = 72;
      await editor.fill(JSON.stringify(policy, null, 2));
      await page.getByRole('button', { name: 'Save policy' }).click();
      await expect
        .poll(() => page.getByRole('status').first().textContent())
        .toMatch(/Policy saved as version \d+\./);
      const stored = await t.call('GET', '/api/v1/policy');
      expect(stored.json.policy.postmortems.deadline_hours).toBe(72);
      await page.screenshot({ path: `/tmp/engops-ui-${engine}-8-policy.png` });

      expect(problems).toEqual([]);
      await context.close();
    });
  });
}
