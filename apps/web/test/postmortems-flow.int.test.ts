import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../test-support/engines.ts';
import { DIST, launchBrowser, watchConsole } from './browser-support.ts';

/**
 * Postmortems in headless Chromium against a real server: write the postmortem of a resolved
 * incident, see the blameless lint react, add an action item, publish, and find the incident
 * reviewed; no console errors on the way.
 */
const ADMIN = { email: 'ada@example.test', name: 'Ada Admin', password: 'correct-horse-battery' };

let browser: Browser | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

for (const engine of ENGINES) {
  describe(`postmortems in the browser [${engine}]`, () => {
    let t: TestApp;
    let baseUrl = '';
    let incidentId = '';

    beforeAll(async () => {
      t = await createTestApp(engine, { env: { ENGOPS_WEB_DIST: DIST } });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
      t.container.state.baseUrl = baseUrl;
      const setup = await t.call('POST', '/api/v1/setup', {
        token: null,
        body: { ...ADMIN, time_zone: 'Europe/Berlin' },
      });
      expect(setup.status).toBe(201);
      const team = await t.call('POST', '/api/v1/teams', {
        body: { name: 'Payments', time_zone: 'Europe/Berlin' },
      });
      const service = await t.call('POST', '/api/v1/services', {
        body: { name: 'checkout-api', team_id: team.json.id },
      });
      const incident = await t.call('POST', '/api/v1/incidents', {
        body: { service_id: service.json.id, title: 'Card payments failing', severity: 'SEV1' },
      });
      incidentId = incident.json.id;
      expect((await t.call('POST', `/api/v1/incidents/${incidentId}/resolve`)).status).toBe(200);
    });

    afterAll(async () => {
      await t?.close();
    });

    it('writes, lints, adds an action item and publishes; the incident becomes reviewed', async () => {
      if (!browser) throw new Error('not started');
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      try {
        const page = await context.newPage();
        const problems = watchConsole(page);
        await page.goto(`${baseUrl}/postmortems`);
        await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
        await page.getByLabel('Email').fill(ADMIN.email);
        await page.getByLabel('Password').fill(ADMIN.password);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.getByRole('heading', { level: 1, name: 'Postmortems' }).waitFor();

        // The resolved SEV1 needs a postmortem: write it from the list.
        const missing = page.getByRole('table', { name: 'Incidents needing a postmortem' });
        await missing.getByRole('row', { name: /Card payments failing/ }).waitFor();
        await missing.getByRole('button', { name: 'Write postmortem' }).click();
        await page.getByRole('heading', { level: 1, name: 'Card payments failing' }).waitFor();
        const editor = page.getByLabel('Markdown');
        const template = await editor.inputValue();
        expect(template).toContain('# Incident: Card payments failing');
        // The preview renders the template; the timeline sits beside it.
        await page
          .getByRole('region', { name: 'Preview' })
          .getByRole('heading', { name: 'Root Cause' })
          .waitFor();
        expect(await page.getByRole('complementary').getByRole('listitem').count()).toBeGreaterThanOrEqual(2);

        // Blaming language is flagged live, and the finding goes once the text is about systems.
        const prompt = '_What in the system allowed this to happen? Describe mechanisms, not people._';
        await editor.fill(template.replace(prompt, 'Ada forgot to renew the certificate.'));
        const findings = page.getByRole('list', { name: 'Blameless findings' });
        await findings.getByText(/person is the subject of a failure/).waitFor();
        await editor.fill(
          template.replace(prompt, 'The certificate renewal job had no alert when it failed.'),
        );
        await page.getByText('No blaming language found.').waitFor();
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByText('Saved').waitFor();

        // An action item through the form.
        const form = page.getByRole('form', { name: 'Add an action item' });
        await form.getByLabel('Action item').fill('Alert on certificate expiry');
        await form.getByLabel('Owner').selectOption({ label: ADMIN.name });
        await form.getByLabel('Due').fill('2030-01-15');
        await form.getByRole('button', { name: 'Add' }).click();
        await page
          .getByRole('table', { name: 'Action items' })
          .getByRole('row', { name: /Alert on certificate expiry/ })
          .waitFor();

        await page.getByRole('button', { name: 'Publish' }).click();
        await page.getByText('Published', { exact: true }).first().waitFor();
        await page.screenshot({ path: `/tmp/engops-postmortem-${engine}.png`, fullPage: true });

        const pm = (await t.call('GET', `/api/v1/incidents/${incidentId}/postmortem`)).json;
        expect(pm.status).toBe('published');
        expect(pm.markdown).toContain('The certificate renewal job had no alert when it failed.');
        expect(pm.action_items.map((i: { title: string }) => i.title)).toEqual([
          'Alert on certificate expiry',
        ]);

        await page.goto(`${baseUrl}/incidents/${incidentId}`);
        await page.getByText('Reviewed').first().waitFor();
        expect((await t.call('GET', `/api/v1/incidents/${incidentId}`)).json.status).toBe('reviewed');
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 90_000);
  });
}
