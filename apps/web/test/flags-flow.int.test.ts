import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../test-support/engines.ts';
import { normalizedHash } from '../../server/src/modules/flags/normalized-hash.ts';
import { DIST, launchBrowser, watchConsole } from './browser-support.ts';

/**
 * Feature flags in headless Chromium against a real server (real database, real HTTP): an admin
 * creates a flag, gives production a 50% gradual rollout and turns it on, creates an SDK token,
 * and OFREP (plain fetch, as an SDK would) answers for 200 users exactly as the Unleash rollout
 * hash says; the kill switch in the list turns it off and OFREP answers false for everyone.
 */

const ADMIN = { email: 'ada@example.test', name: 'Ada Admin', password: 'correct-horse-battery' };
const FLAG = 'checkout.new-flow';
const USERS = Array.from({ length: 200 }, (_, i) => `user-${i}`);

let browser: Browser | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

interface OfrepAnswer {
  status: number;
  body: { key?: string; value?: unknown; reason?: string; errorCode?: string } | null;
}

async function ofrep(baseUrl: string, token: string, userId: string): Promise<OfrepAnswer> {
  const response = await fetch(`${baseUrl}/ofrep/v1/evaluate/flags/${encodeURIComponent(FLAG)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ context: { targetingKey: userId } }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

for (const engine of ENGINES) {
  describe(`web UI: feature flags [${engine}]`, () => {
    let t: TestApp | undefined;
    let baseUrl = '';
    let context: BrowserContext | undefined;
    let page: Page | undefined;
    let problems: string[] = [];
    let sdkToken = '';
    const shot = (name: string) => `/tmp/engops-flags-${engine}-${name}.png`;

    beforeAll(async () => {
      t = await createTestApp(engine, { env: { ENGOPS_WEB_DIST: DIST } });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const address = t.app.server.address() as AddressInfo;
      baseUrl = `http://127.0.0.1:${address.port}`;
      t.container.state.baseUrl = baseUrl;
      const setup = await t.call('POST', '/api/v1/setup', {
        token: null,
        body: { ...ADMIN, time_zone: 'Europe/Berlin' },
      });
      expect(setup.status).toBe(201);
      const team = await t.call('POST', '/api/v1/teams', {
        body: { name: 'Payments', time_zone: 'Europe/Berlin' },
      });
      expect(team.status).toBe(201);
    });

    afterAll(async () => {
      await context?.close();
      await t?.close();
    });

    it('creates a flag, rolls it out to 50% in production and turns it on from the UI', async () => {
      if (!browser || !t) throw new Error('not started');
      context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
      page = await context.newPage();
      problems = watchConsole(page);

      await page.goto(`${baseUrl}/teams`);
      await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Teams' }).waitFor();
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Feature flags' })
        .click();
      await page.getByRole('heading', { level: 1, name: 'Feature flags' }).waitFor();
      await page.getByText('No flags yet').waitFor();

      await page.getByRole('button', { name: 'New flag' }).click();
      const dialog = page.getByRole('dialog', { name: 'New flag' });
      await dialog.getByLabel('Key').fill(FLAG);
      expect(await dialog.getByLabel('Type').inputValue()).toBe('boolean');
      await dialog.getByLabel('Description').fill('The one-page checkout');
      await dialog.getByLabel('Owner team').selectOption({ label: 'Payments' });
      await dialog.getByLabel('Tags').fill('checkout, beta');
      await dialog.getByRole('button', { name: 'Create flag' }).click();
      await page.waitForURL(`${baseUrl}/flags/${FLAG}`);
      await page.getByRole('heading', { level: 1, name: FLAG }).waitFor();

      const production = page.getByRole('region', { name: 'Production' });
      expect(await production.getByRole('switch').getAttribute('aria-checked')).toBe('false');
      await production.getByRole('button', { name: 'Add strategy in Production' }).click();
      const editor = production.getByRole('form', { name: 'Add strategy for Production' });
      expect(await editor.getByLabel('Strategy').inputValue()).toBe('flexibleRollout');
      await editor.getByLabel('Rollout percentage').fill('30');
      expect(await editor.locator('output').textContent()).toBe('30%');
      await editor.getByLabel('Rollout percentage').fill('50');
      expect(await editor.locator('output').textContent()).toBe('50%');
      await editor.getByLabel('Stickiness').selectOption('userId');
      expect(await editor.getByLabel('Group id').inputValue()).toBe(FLAG);
      // A constraint, added then removed again: the rollout applies to everyone.
      await editor.getByRole('button', { name: 'Add constraint' }).click();
      await editor.getByLabel('Context field 1').fill('country');
      await editor.getByLabel('Operator 1').selectOption('NOT_IN');
      await editor.getByLabel('Values 1').fill('XX');
      await editor.getByRole('button', { name: 'Remove constraint 1' }).click();
      await editor.getByRole('button', { name: 'Save strategy' }).click();
      await page.getByRole('status').filter({ hasText: 'Strategy saved in Production.' }).waitFor();
      expect(
        await production.getByRole('list', { name: 'Strategies in Production' }).textContent(),
      ).toContain('50% of userId');

      // Turning production on asks first.
      await production.getByRole('switch', { name: `${FLAG} in Production` }).click();
      const confirm = page.getByRole('dialog', { name: `Turn ${FLAG} on in Production?` });
      await confirm.getByRole('button', { name: 'Turn on' }).click();
      await confirm.waitFor({ state: 'detached' });
      await page
        .getByRole('status')
        .filter({ hasText: `${FLAG} turned on in Production.` })
        .waitFor();
      expect(await production.getByRole('switch').getAttribute('aria-checked')).toBe('true');

      const stored = await t.call('GET', `/api/v1/flags/${FLAG}`);
      expect(stored.status).toBe(200);
      expect(stored.json.tags).toEqual(['checkout', 'beta']);
      expect(stored.json.environments.production.enabled).toBe(true);
      expect(stored.json.environments.staging.enabled).toBe(false);
      expect(stored.json.environments.production.strategies).toEqual([
        expect.objectContaining({
          name: 'flexibleRollout',
          parameters: { rollout: 50, stickiness: 'userId', groupId: FLAG },
          constraints: [],
        }),
      ]);

      // The audit history of the flag, newest first.
      const history = page.getByRole('list', { name: `History of ${FLAG}` });
      await history.getByText('flags.environment.on').waitFor();
      const actions = await history.locator('.flag-history-action').allTextContents();
      expect(actions).toEqual(['flags.environment.on', 'flags.environment.update', 'flags.create']);
      await page.screenshot({ path: shot('1-flag'), fullPage: true });
      expect(problems).toEqual([]);
    });

    it('creates an SDK token and OFREP answers as the 50% rollout says', async () => {
      if (!page || !t) throw new Error('the first test did not run');
      await page.getByRole('link', { name: 'Feature flags' }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Feature flags' }).waitFor();
      const row = page.getByRole('row', { name: new RegExp(`^${FLAG.replace('.', '\\.')}`) });
      await row.waitFor();
      expect(
        await row.getByRole('switch', { name: `${FLAG} in Production` }).getAttribute('aria-checked'),
      ).toBe('true');
      expect(await row.getByRole('switch', { name: `${FLAG} in Staging` }).getAttribute('aria-checked')).toBe(
        'false',
      );
      expect(await row.textContent()).toContain('50%');
      expect(await row.textContent()).toContain('Payments');

      const form = page.getByRole('form', { name: 'New SDK token' });
      await form.getByLabel('Token name').fill('checkout-web');
      await form.getByLabel('Token type').selectOption('client');
      await form.getByLabel('Token environment').selectOption('production');
      await form.getByRole('button', { name: 'Create SDK token' }).click();
      const secret = page.getByRole('dialog', { name: 'SDK token created' });
      sdkToken = await secret.getByLabel('SDK token secret').inputValue();
      expect(sdkToken).toMatch(/^eofc_production\./);
      await page.screenshot({ path: shot('2-token') });
      await secret.getByRole('button', { name: 'Done' }).click();
      await page
        .getByRole('table', { name: 'SDK tokens' })
        .getByRole('row', { name: /checkout-web/ })
        .waitFor();
      const setup = page.getByRole('region', { name: 'SDK setup' });
      expect(await setup.textContent()).toContain(`baseUrl: '${baseUrl}'`);
      expect(await setup.textContent()).toContain(`url: '${baseUrl}/api/'`);

      let on = 0;
      for (const user of USERS) {
        const answer = await ofrep(baseUrl, sdkToken, user);
        expect(answer.status).toBe(200);
        const expected = normalizedHash(user, FLAG) <= 50;
        expect({ user, value: answer.body?.value }).toEqual({ user, value: expected });
        if (answer.body?.value === true) on++;
      }
      expect(on).toBeGreaterThan(USERS.length * 0.35);
      expect(on).toBeLessThan(USERS.length * 0.65);

      // Search by tag and by key.
      const search = page.getByLabel('Search by key or tag');
      await search.fill('beta');
      await row.waitFor();
      await search.fill('nothing-like-this');
      await page.getByText('No flag matches this search.').waitFor();
      await search.fill('');
      await row.waitFor();
      expect(problems).toEqual([]);
    });

    it('the kill switch in the list turns production off and OFREP answers false for everyone', async () => {
      if (!page || !t || !sdkToken) throw new Error('the token test did not run');
      const row = page.getByRole('row', { name: new RegExp(`^${FLAG.replace('.', '\\.')}`) });
      await row.getByRole('switch', { name: `${FLAG} in Production` }).click();
      const confirm = page.getByRole('dialog', { name: `Turn ${FLAG} off in Production?` });
      await page.screenshot({ path: shot('3-kill-confirm') });
      await confirm.getByRole('button', { name: 'Turn off' }).click();
      await confirm.waitFor({ state: 'detached' });
      await expect
        .poll(() => row.getByRole('switch', { name: `${FLAG} in Production` }).getAttribute('aria-checked'))
        .toBe('false');
      for (const user of USERS.slice(0, 50)) {
        const answer = await ofrep(baseUrl, sdkToken, user);
        expect(answer.status).toBe(200);
        expect(answer.body?.value).toBe(false);
      }
      const stored = await t.call('GET', `/api/v1/flags/${FLAG}`);
      expect(stored.json.environments.production.enabled).toBe(false);
      // The rollout is kept for when it comes back on.
      expect(stored.json.environments.production.strategies[0].parameters.rollout).toBe(50);

      // Staging is one click, no confirmation.
      await row.getByRole('switch', { name: `${FLAG} in Staging` }).click();
      await expect
        .poll(() => row.getByRole('switch', { name: `${FLAG} in Staging` }).getAttribute('aria-checked'))
        .toBe('true');
      await page.screenshot({ path: shot('4-killed'), fullPage: true });

      // Revoking the token from the UI: OFREP then refuses it.
      await page.getByRole('button', { name: 'Revoke checkout-web' }).click();
      await page
        .getByRole('dialog', { name: 'Revoke checkout-web?' })
        .getByRole('button', { name: 'Revoke' })
        .click();
      await page.getByRole('status').filter({ hasText: 'SDK token checkout-web revoked.' }).waitFor();
      expect((await ofrep(baseUrl, sdkToken, 'user-1')).status).toBe(401);
      expect(problems).toEqual([]);
    });
  });
}
