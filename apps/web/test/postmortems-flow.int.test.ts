import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, type TestApp } from '../../../test-support/engines.ts';
import { ADMIN, launchBrowser, logIn, serveWebApp, watchConsole } from './browser-support.ts';

/**
 * Postmortems in headless Chromium against a real server and a local GitHub stand-in: write the
 * postmortem of a resolved incident, see the blameless lint react and dismiss a false positive,
 * add an action item and export it as a GitHub issue, publish, find the incident reviewed and
 * linking its postmortem, search it, and see an overdue item on the owner's and the team's pages;
 * no console errors on the way.
 */

let browser: Browser | undefined;

/** A GitHub stand-in on 127.0.0.1 that records the issues it is asked to create. */
async function startGithub() {
  const created: Array<{ url: string; title: string; authorization: string | undefined }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { title?: string };
      created.push({ url: req.url ?? '', title: body.title ?? '', authorization: req.headers.authorization });
      const number = created.length;
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ number, html_url: `https://github.example.test/acme/payments/issues/${number}` }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    created,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

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
    let adminId = '';
    let github: Awaited<ReturnType<typeof startGithub>>;

    beforeAll(async () => {
      ({ t, baseUrl } = await serveWebApp(engine, { timeZone: 'Europe/Berlin' }));
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
      const users = (await t.call('GET', '/api/v1/users')).json.items as Array<{ id: string; email: string }>;
      adminId = users.find((u) => u.email === ADMIN.email)!.id;
      github = await startGithub();
      const settings = await t.call('PUT', '/api/v1/postmortems/settings/github', {
        body: { api_url: github.apiUrl, token: 'ghp_browser_test', default_repo: 'acme/payments' },
      });
      expect(settings.status).toBe(200);
    });

    afterAll(async () => {
      await t?.close();
      await github?.close();
    });

    it('writes, lints (dismissing a false positive), exports an action item, publishes; the incident links it; search and overdue items', async () => {
      if (!browser) throw new Error('not started');
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      try {
        const page = await context.newPage();
        const problems = watchConsole(page);
        await logIn(page, `${baseUrl}/postmortems`);
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

        // A false positive ("Nightwatch" is the monitoring system) is dismissed once and stays
        // dismissed while other text changes.
        const factors = '_What made it more likely, larger or slower to detect and fix?_';
        const withBot = (await editor.inputValue()).replace(
          factors,
          'Nightwatch ignored the expiry warning.',
        );
        await editor.fill(withBot);
        await page.getByRole('button', { name: 'Dismiss “Nightwatch ignored” as a false positive' }).click();
        await page
          .getByRole('list', { name: 'Dismissed findings' })
          .getByText('“nightwatch ignored”')
          .waitFor();
        await page.getByText('No blaming language found.').waitFor();
        expect(await editor.inputValue()).toBe(withBot);
        await editor.fill(
          withBot.replace('## Lessons Learned', 'Renewals now page the team.\n\n## Lessons Learned'),
        );
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByText('Saved').waitFor();
        await page.getByRole('complementary').getByText('No blaming language found.').waitFor();
        expect(await findings.count()).toBe(0);

        // An action item through the form.
        const form = page.getByRole('form', { name: 'Add an action item' });
        await form.getByLabel('Action item').fill('Alert on certificate expiry');
        await form.getByLabel('Owner').selectOption({ label: ADMIN.name });
        await form.getByLabel('Due').fill('2030-01-15');
        await form.getByRole('button', { name: 'Add' }).click();
        const itemRow = page
          .getByRole('table', { name: 'Action items' })
          .getByRole('row', { name: /Alert on certificate expiry/ });
        await itemRow.waitFor();

        // Exported to GitHub: the row links the issue; a second export is not offered.
        await itemRow.getByRole('button', { name: 'Export “Alert on certificate expiry” to GitHub' }).click();
        await itemRow.getByRole('link', { name: 'acme/payments#1' }).waitFor();
        expect(github.created).toEqual([
          {
            url: '/repos/acme/payments/issues',
            title: 'Alert on certificate expiry',
            authorization: 'Bearer ghp_browser_test',
          },
        ]);
        expect(await itemRow.getByRole('button', { name: /Export/ }).count()).toBe(0);

        await page.getByRole('button', { name: 'Publish' }).click();
        await page.getByText('Published', { exact: true }).first().waitFor();
        await page.screenshot({ path: `/tmp/engops-postmortem-${engine}.png`, fullPage: true });

        const pm = (await t.call('GET', `/api/v1/incidents/${incidentId}/postmortem`)).json;
        expect(pm.status).toBe('published');
        expect(pm.markdown).toContain('The certificate renewal job had no alert when it failed.');
        expect(pm.action_items.map((i: { title: string }) => i.title)).toEqual([
          'Alert on certificate expiry',
        ]);

        // The incident is reviewed and links its postmortem.
        await page.goto(`${baseUrl}/incidents/${incidentId}`);
        await page.getByText('Reviewed').first().waitFor();
        expect((await t.call('GET', `/api/v1/incidents/${incidentId}`)).json.status).toBe('reviewed');
        await page.getByRole('link', { name: 'Card payments failing' }).click();
        await page.getByRole('heading', { level: 1, name: 'Card payments failing' }).waitFor();

        // Full-text search finds it, with the matched words marked.
        await page.goto(`${baseUrl}/postmortems`);
        await page.getByRole('searchbox', { name: 'Search' }).fill('renewal alerts');
        await page.getByRole('button', { name: 'Search', exact: true }).click();
        const results = page.getByRole('table', { name: 'Search results' });
        await results.getByRole('link', { name: 'Card payments failing' }).waitFor();
        expect((await results.locator('mark').allTextContents()).map((m) => m.toLowerCase())).toContain(
          'renewal',
        );

        // The owner's page shows an overdue item, the same as the team's.
        const overdueItem = await t.call('POST', `/api/v1/postmortems/${pm.id}/action-items`, {
          body: {
            title: 'Rotate the old intermediate certificate',
            owner_id: adminId,
            due_date: '2020-01-15',
          },
        });
        expect(overdueItem.status).toBe(201);
        // On the postmortems page, the signed-in owner sees it under their overdue items.
        await page.reload();
        await page
          .getByRole('table', { name: 'Overdue action items' })
          .getByRole('row', { name: /Rotate the old intermediate certificate/ })
          .waitFor();
        await page.getByRole('navigation').getByRole('link', { name: 'Action items' }).click();
        await page.getByText('Your action items: 1 overdue.').waitFor();
        const mine = page.getByRole('table', { name: 'Your action items' });
        await mine.getByRole('row', { name: /Rotate the old intermediate certificate.*Overdue/ }).waitFor();
        await page.getByLabel('Owner').selectOption({ label: 'Anyone' });
        await page.getByLabel('Team').selectOption({ label: 'Payments' });
        await page.getByLabel('Due').selectOption({ label: 'Overdue' });
        await page
          .getByRole('table', { name: 'Action items of Payments' })
          .getByRole('row', { name: /Rotate the old intermediate certificate/ })
          .waitFor();
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 90_000);
  });
}
