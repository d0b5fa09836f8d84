import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, type TestApp } from '../../../test-support/engines.ts';
import { normalizedHash } from '../../server/src/modules/flags/normalized-hash.ts';
import { launchBrowser, logIn, serveWebApp, watchConsole } from './browser-support.ts';

/**
 * Feature flags in headless Chromium against a real server (real database, real HTTP): an admin
 * creates a flag, gives production a 50% gradual rollout and turns it on, creates an SDK token,
 * and OFREP (plain fetch, as an SDK would) answers for 200 users exactly as the Unleash rollout
 * hash says; the kill switch in the list turns it off and OFREP answers false for everyone.
 */

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
      ({ t, baseUrl } = await serveWebApp(engine, { timeZone: 'Europe/Berlin' }));
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

      await logIn(page, `${baseUrl}/teams`);
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

    it('runs a rollout plan that an incident rolls back, approves a protected change, shows an experiment and cleans up', async () => {
      if (!page || !t) throw new Error('the first test did not run');
      const team = (await t.call('GET', '/api/v1/teams')).json.items.find(
        (x: { name: string }) => x.name === 'Payments',
      );
      const service = await t.call('POST', '/api/v1/services', {
        body: { name: 'checkout-api', team_id: team.id },
      });
      expect(service.status).toBe(201);

      // Flag pages are opened from the list: a flag key with a dot reads as a file name to the
      // server's SPA fallback (app.ts), so /flags/checkout.new-flow cannot be loaded directly.
      const openFlag = async (key: string) => {
        if (!page) throw new Error('no page');
        await page.goto(`${baseUrl}/flags`);
        await page.getByRole('link', { name: key, exact: true }).click();
        await page.getByRole('heading', { level: 1, name: key }).waitFor();
      };
      await openFlag(FLAG);
      await page.getByText('No rollout plan yet.').waitFor();
      await page.getByRole('button', { name: 'Start a rollout plan' }).click();
      const form = page.getByRole('form', { name: 'Start a rollout plan' });
      await form.getByLabel('Environment').selectOption('production');
      await form.getByLabel('Steps (%)').fill('10, 50, 100');
      await form.getByLabel('Minutes between steps').fill('30');
      await form.getByLabel('Pause on incidents of').selectOption({ label: 'checkout-api' });
      await form.getByRole('button', { name: 'Start plan' }).click();
      await page.getByRole('status').filter({ hasText: 'Rollout plan started in Production.' }).waitFor();
      // The first step is a job: run it as the worker would.
      await t.container.worker.drain();
      await openFlag(FLAG);
      const plans = page.getByRole('list', { name: `Rollout plans of ${FLAG}` });
      await plans.getByText('Step 1 of 3: 10%').waitFor();
      expect(await plans.getByText('Running').count()).toBe(1);
      const stored = (await t.call('GET', `/api/v1/flags/${FLAG}`)).json.environments.production;
      expect(stored.enabled).toBe(true);
      expect(stored.strategies[0].parameters.rollout).toBe('10');

      const incident = await t.call('POST', '/api/v1/incidents', {
        body: { service_id: service.json.id, title: 'Checkout errors', severity: 'SEV2' },
      });
      expect(incident.status).toBe(201);
      await t.container.worker.drain();
      await t.container.worker.drain();
      await openFlag(FLAG);
      await plans.getByText(`Incident #${incident.json.number} on checkout-api: Checkout errors`).waitFor();
      await plans.getByText('Step 1 of 3: 0%').waitFor();
      await page.screenshot({ path: shot('5-rollout-paused'), fullPage: true });
      await plans.getByRole('button', { name: 'Resume' }).click();
      await page.getByRole('status').filter({ hasText: 'Rollout plan resumed.' }).waitFor();
      await t.container.worker.drain();
      expect(
        (await t.call('GET', `/api/v1/flags/${FLAG}`)).json.environments.production.strategies[0].parameters
          .rollout,
      ).toBe('10');

      // Staging now needs approval: someone else asks, the admin approves in the UI.
      await t.call('PATCH', '/api/v1/environments/staging', { body: { require_approval: true } });
      const other = await t.tokenFor('manager');
      const request = await t.call('POST', '/api/v1/change-requests', {
        token: other,
        body: {
          kind: 'environment',
          flag_key: FLAG,
          environment: 'staging',
          change: { strategies: [{ name: 'userWithId', parameters: { userIds: 'qa-1,qa-2' } }] },
        },
      });
      expect(request.status).toBe(201);
      await openFlag(FLAG);
      await page.getByRole('region', { name: 'Staging' }).getByText('Needs approval').waitFor();
      const waiting = page.getByRole('table', { name: 'Changes waiting for approval' });
      await waiting.getByRole('row', { name: /1 strategies/ }).waitFor();
      await waiting.getByRole('button', { name: `Approve ${request.json.id}` }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Change to ${FLAG} in staging approved and applied.` })
        .waitFor();
      await page.getByText('Nothing waits for approval.').waitFor();
      const staging = (await t.call('GET', `/api/v1/flags/${FLAG}`)).json.environments.staging;
      expect(staging.strategies).toEqual([{ name: 'userWithId', parameters: { userIds: 'qa-1,qa-2' } }]);
      // Off never waits; on asks a second person.
      const stagingRegion = page.getByRole('region', { name: 'Staging' });
      await stagingRegion.getByRole('switch').click();
      await expect.poll(() => stagingRegion.getByRole('switch').getAttribute('aria-checked')).toBe('false');
      await stagingRegion.getByRole('switch').click();
      await stagingRegion.getByRole('status').filter({ hasText: 'Approval requested' }).waitFor();
      const pending = (await t.call('GET', `/api/v1/change-requests?status=pending&flag_key=${FLAG}`)).json
        .items;
      expect(pending.map((r: { change: unknown }) => r.change)).toEqual([{ enabled: true }]);
      expect((await t.call('GET', `/api/v1/flags/${FLAG}`)).json.environments.staging.enabled).toBe(false);

      // An A/B test with too few users so far.
      await t.call('POST', '/api/v1/flags', {
        body: {
          key: 'checkout.button',
          type: 'string',
          variants: ['grey', 'green'].map((name) => ({
            name,
            weight: 500,
            stickiness: 'default',
            payload: { type: 'string', value: name },
          })),
        },
      });
      const events = ['grey', 'green'].flatMap((variant) =>
        Array.from({ length: 40 }, (_, i) => ({
          type: i < 10 ? 'conversion' : 'exposure',
          flag_key: 'checkout.button',
          variant,
          user_key: `${variant}-${i % 30}`,
          at: '2026-02-01T10:00:00.000Z',
        })),
      );
      expect((await t.call('POST', '/api/v1/events', { body: { events } })).json.accepted).toBe(80);
      // What an Unleash SDK reported for it: evaluations per variant, without user ids.
      const client = await t.call('POST', '/api/v1/tokens', {
        body: { name: 'checkout-web', type: 'client', environment: 'production' },
      });
      expect(client.status).toBe(201);
      const metrics = await fetch(`${baseUrl}/api/client/metrics`, {
        method: 'POST',
        headers: { authorization: client.json.token, 'content-type': 'application/json' },
        body: JSON.stringify({
          appName: 'checkout-web',
          instanceId: 'web-1',
          bucket: {
            start: '2026-02-01T10:00:00.000Z',
            stop: '2026-02-01T10:01:00.000Z',
            toggles: { 'checkout.button': { yes: 57, no: 3, variants: { grey: 25, green: 32 } } },
          },
        }),
      });
      expect(metrics.status).toBe(202);
      await openFlag('checkout.button');
      await page
        .getByRole('note')
        .filter({
          hasText: 'Not enough data yet: every variant needs 100 users (grey has 30, green has 30).',
        })
        .waitFor();
      const results = page.getByRole('table', { name: 'Experiment results of checkout.button' });
      expect(await results.getByRole('row', { name: /grey \(control\)/ }).textContent()).toContain('33.3%');
      // SDK evaluations per variant beside the users, and the flag's SDK usage per environment.
      const evaluations = await results.getByRole('cell', { name: /^\d+$/ }).allTextContents();
      expect(evaluations).toEqual(expect.arrayContaining(['25', '32']));
      const usage = page.getByRole('table', { name: 'SDK usage of checkout.button' });
      const production = await usage.getByRole('row', { name: /production/ }).textContent();
      expect(production).toContain('57');
      expect(production).toContain('grey 25');
      expect(production).toContain('green 32');
      expect(production).toContain('checkout-web');
      await page.screenshot({ path: shot('6-experiment'), fullPage: true });

      // A reusable segment, from the flags list.
      await page.goto(`${baseUrl}/flags`);
      await page.getByRole('button', { name: 'New segment' }).click();
      const segment = page.getByRole('form', { name: 'New segment' });
      await segment.getByLabel('Segment name').fill('nordic-pro');
      await segment.getByLabel('Segment field 1').fill('country');
      await segment.getByLabel('Segment values 1').fill('NO, SE');
      await segment.getByRole('button', { name: 'Add constraint' }).click();
      await segment.getByLabel('Segment field 2').fill('plan');
      await segment.getByLabel('Segment operator 2').selectOption('NOT_IN');
      await segment.getByLabel('Segment values 2').fill('free');
      await segment.getByRole('button', { name: 'Add constraint' }).click();
      await segment.getByLabel('Segment field 3').fill('email');
      await segment.getByLabel('Segment operator 3').selectOption('STR_ENDS_WITH');
      await segment.getByLabel('Segment values 3').fill('@Example.com');
      await segment.getByLabel('Segment inverted 3').check();
      await segment.getByLabel('Segment case-insensitive 3').check();
      await segment.getByRole('button', { name: 'Create segment' }).click();
      await page.getByRole('status').filter({ hasText: 'Segment nordic-pro created (id 1).' }).waitFor();
      expect(
        await page
          .getByRole('table', { name: 'Segments' })
          .getByRole('row', { name: /nordic-pro/ })
          .textContent(),
      ).toContain('country IN NO, SE; plan NOT_IN free; email NOT STR_ENDS_WITH @Example.com (any case)');
      expect((await t.call('GET', '/api/v1/segments')).json.items[0].constraints).toEqual([
        { contextName: 'country', operator: 'IN', values: ['NO', 'SE'] },
        { contextName: 'plan', operator: 'NOT_IN', values: ['free'] },
        {
          contextName: 'email',
          operator: 'STR_ENDS_WITH',
          values: ['@Example.com'],
          inverted: true,
          caseInsensitive: true,
        },
      ]);

      // Archive it from its page; revive it from the reviews page.
      await openFlag('checkout.button');
      await page.getByRole('button', { name: 'Archive flag' }).click();
      await page.getByRole('heading', { level: 1, name: 'Feature flags' }).waitFor();
      await page.getByRole('link', { name: 'Reviews and cleanup' }).click();
      await page.getByRole('heading', { level: 1, name: 'Flag reviews' }).waitFor();
      await page.getByText('No stale flags.').waitFor();
      await page.getByRole('button', { name: 'Revive checkout.button' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: 'checkout.button revived (off everywhere).' })
        .waitFor();
      expect((await t.call('GET', '/api/v1/flags/checkout.button')).status).toBe(200);
      await page.screenshot({ path: shot('7-reviews'), fullPage: true });
      expect(problems).toEqual([]);
    });
  });
}
