import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, type TestApp } from '../../../test-support/engines.ts';
import { ADMIN, launchBrowser, logIn, serveWebApp, watchConsole } from './browser-support.ts';

/**
 * Incident response in headless Chromium against a real server (real database, real HTTP): an
 * events-v2 integration made on the service's integrations page, a real PagerDuty Events v2
 * trigger sent to /v2/enqueue, the incident appearing in the live list, and acknowledging,
 * resolving, reopening, roles, notes and the suspected deployment on the incident page; no console
 * errors on the way.
 */

const RUNBOOK = 'https://runbooks.example.test/checkout-api';
const SUMMARY = 'Checkout p99 latency above 2 s';
/** The live pages refresh every 10 s: allow two rounds and some slack. */
const LIVE_WAIT_MS = 25_000;

let browser: Browser | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** Makes the page report itself hidden (or visible again), as a background tab would. */
async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', {
      configurable: true,
      get: () => (h ? 'hidden' : 'visible'),
    });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

async function sendEvent(baseUrl: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${baseUrl}/v2/enqueue`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

for (const engine of ENGINES) {
  describe(`web UI: incident response [${engine}]`, () => {
    let t: TestApp | undefined;
    let baseUrl = '';
    let context: BrowserContext | undefined;
    let page: Page | undefined;
    let problems: string[] = [];
    let key = '';
    let serviceId = '';
    const shot = (name: string) => `/tmp/engops-incidents-${engine}-${name}.png`;

    beforeAll(async () => {
      // Integration URLs name this server's address, as serve() makes them once listening.
      ({ t, baseUrl } = await serveWebApp(engine, { timeZone: 'Europe/Berlin' }));
      const team = await t.call('POST', '/api/v1/teams', {
        body: { name: 'Payments', time_zone: 'Europe/Berlin' },
      });
      expect(team.status).toBe(201);
      const service = await t.call('POST', '/api/v1/services', {
        body: { name: 'checkout-api', team_id: team.json.id, tier: 'tier-1', runbook_url: RUNBOOK },
      });
      expect(service.status).toBe(201);
      serviceId = service.json.id;
    });

    afterAll(async () => {
      await context?.close();
      await t?.close();
    });

    it('creates an events-v2 integration on the service page and shows its key, URL and snippets', async () => {
      if (!browser || !t) throw new Error('not started');
      context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
      page = await context.newPage();
      problems = watchConsole(page);

      await logIn(page, `${baseUrl}/services`);
      await page.getByRole('heading', { level: 1, name: 'Services' }).waitFor();
      const nav = page.getByRole('navigation', { name: 'Main' });
      expect(await nav.getByRole('link', { name: 'Incidents' }).count()).toBe(1);

      // The services list links to each service's integrations.
      await page.getByRole('link', { name: 'Integrations of checkout-api' }).click();
      await page.getByRole('heading', { level: 1, name: 'Integrations of checkout-api' }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/services/${serviceId}/integrations`);
      await page.getByText('No integrations yet').waitFor();

      const form = page.getByRole('form', { name: 'New integration' });
      expect(await form.getByLabel('Kind').inputValue()).toBe('events-v2');
      await form.getByLabel('Name', { exact: true }).fill('Prometheus (PagerDuty)');
      await form.getByRole('button', { name: 'Create integration' }).click();
      const row = page.getByRole('row', { name: /^Prometheus \(PagerDuty\)/ });
      await row.waitFor();
      expect(await row.textContent()).toContain('PagerDuty Events API v2');
      expect(await row.locator('code.integration-url').textContent()).toBe(`${baseUrl}/v2/enqueue`);

      // The key is masked until shown.
      const keyCell = row.locator('code.integration-key');
      expect(await keyCell.textContent()).toMatch(/^•{8}[0-9a-f]{4}$/);
      await page.getByRole('button', { name: 'Show key of Prometheus (PagerDuty)' }).click();
      key = (await keyCell.textContent()) ?? '';
      expect(key).toMatch(/^[0-9a-f]{32}$/);
      const stored = await t.call('GET', `/api/v1/services/${serviceId}/integrations`);
      expect(stored.json.items.map((i: { key: string }) => i.key)).toEqual([key]);

      // Copy the key.
      await page.getByRole('button', { name: 'Copy key of Prometheus (PagerDuty)' }).click();
      await expect.poll(() => page?.evaluate(() => navigator.clipboard.readText())).toBe(key);

      // Setup snippets for PagerDuty-style senders, opened for the new integration.
      const snippets = page.locator('.snippets');
      await snippets.waitFor();
      const yaml = (await snippets.locator('pre').first().textContent()) ?? '';
      expect(yaml).toContain('pagerduty_configs:');
      expect(yaml).toContain(`- routing_key: ${key}`);
      expect(yaml).toContain(`url: ${baseUrl}/v2/enqueue`);
      const curl = (await snippets.locator('pre').nth(1).textContent()) ?? '';
      expect(curl).toContain(`curl -sS -X POST '${baseUrl}/v2/enqueue'`);
      expect(curl).toContain('"event_action": "trigger"');
      await page.screenshot({ path: shot('1-integrations'), fullPage: true });

      // A maintenance window (in the future, so the alert below still pages): create, then delete.
      const mwForm = page.getByRole('form', { name: 'New maintenance window' });
      await mwForm.getByLabel('Reason', { exact: false }).fill('Database upgrade');
      await mwForm.getByRole('button', { name: 'Create window' }).click();
      const mwRow = page
        .getByRole('table', { name: 'Maintenance windows of checkout-api' })
        .getByRole('row', { name: /Database upgrade/ });
      await mwRow.waitFor();
      expect(await mwRow.textContent()).toContain('upcoming');
      const windows = await t.call('GET', `/api/v1/services/${serviceId}/maintenance-windows`);
      expect(windows.json.items).toHaveLength(1);
      expect(Date.parse(windows.json.items[0].ends_at) - Date.parse(windows.json.items[0].starts_at)).toBe(
        3_600_000,
      );
      await mwRow.getByRole('button', { name: /Delete maintenance window/ }).click();
      await page
        .getByRole('dialog', { name: 'Delete maintenance window' })
        .getByRole('button', { name: 'Delete window' })
        .click();
      await mwRow.waitFor({ state: 'detached' });
      expect((await t.call('GET', `/api/v1/services/${serviceId}/maintenance-windows`)).json.items).toEqual(
        [],
      );
      expect(problems).toEqual([]);
    });

    it('an alert arrives, the incident appears live, and is acknowledged and resolved from the UI', async () => {
      if (!page || !t || !key) throw new Error('the integration test did not run');
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Incidents' }).click();
      await page.getByRole('heading', { level: 1, name: 'Incidents' }).waitFor();
      await page.getByText('No open incidents. All quiet.').waitFor();

      // A real PagerDuty Events v2 trigger, while the list is open.
      const trigger = {
        routing_key: key,
        event_action: 'trigger',
        dedup_key: 'checkout-latency',
        payload: {
          summary: SUMMARY,
          source: 'prometheus-eu-1',
          severity: 'critical',
          component: 'checkout-api',
          custom_details: { p99_ms: 2345, region: 'eu-west-1' },
        },
        client: 'Prometheus',
        client_url: 'https://prometheus.example.test/graph',
        links: [{ href: 'https://grafana.example.test/d/checkout', text: 'Checkout dashboard' }],
      };
      const sent = await sendEvent(baseUrl, trigger);
      expect(sent).toEqual({
        status: 202,
        json: { status: 'success', message: 'Event processed', dedup_key: 'checkout-latency' },
      });

      // The list polls: the incident appears without a reload.
      const row = page.getByRole('row', { name: new RegExp(SUMMARY) });
      await row.waitFor({ timeout: LIVE_WAIT_MS });
      const cells = await row.getByRole('cell').allTextContents();
      // Row header (#), then severity, title, service, status, triggered, alerts.
      expect(cells[0]).toContain('SEV1');
      expect(cells[1]).toBe(SUMMARY);
      expect(cells[2]).toBe('checkout-api');
      expect(cells[3]).toBe('Triggered');
      expect(cells[4]).toMatch(/just now|seconds? ago/);
      expect(cells[5]).toBe('1');
      await expect
        .poll(() => page?.locator('.stat', { hasText: 'Open incidents' }).locator('dd').textContent(), {
          timeout: LIVE_WAIT_MS,
        })
        .toBe('1');
      await page.screenshot({ path: shot('2-list'), fullPage: true });

      // Open it.
      await page.getByRole('link', { name: `Incident 1: ${SUMMARY}` }).click();
      await page.getByRole('heading', { level: 1, name: `#1 ${SUMMARY}` }).waitFor();
      const incidentId = new URL(page.url()).pathname.split('/').pop() ?? '';
      expect(incidentId).toMatch(/^inc_/);
      const header = page.locator('.page-header');
      await header.getByText('Triggered', { exact: true }).waitFor();
      expect(
        await page
          .getByRole('link', { name: /^Runbook/ })
          .first()
          .getAttribute('href'),
      ).toBe(RUNBOOK);
      const actions = page.locator('.incident-actions button');
      expect(await actions.allTextContents()).toEqual(['Acknowledge', 'Mitigate', 'Resolve']);

      // The alert with its details and links.
      const alert = page.getByRole('article', { name: `Alert: ${SUMMARY}` });
      await alert.waitFor();
      expect(await alert.textContent()).toContain('1 event');
      expect(await alert.textContent()).toContain('p99_ms');
      expect(await alert.getByRole('link', { name: /Checkout dashboard/ }).getAttribute('href')).toBe(
        'https://grafana.example.test/d/checkout',
      );
      expect(await alert.getByRole('link', { name: /Prometheus/ }).getAttribute('href')).toBe(
        'https://prometheus.example.test/graph',
      );
      const timeline = page.getByRole('list', { name: 'Timeline' });
      await timeline.locator('[data-kind="alert.triggered"]').waitFor();

      // Acknowledge.
      await page.getByRole('button', { name: 'Acknowledge', exact: true }).click();
      await header.getByText('Acknowledged', { exact: true }).waitFor();
      const acked = timeline.locator('[data-kind="status.acknowledged"]');
      await acked.waitFor();
      expect(await acked.textContent()).toContain('Ada Admin acknowledged the incident');
      expect(await actions.allTextContents()).toEqual(['Mitigate', 'Resolve']);
      await page.getByRole('status').filter({ hasText: 'Incident #1 acknowledged' }).waitFor();

      // Roles: Ada takes command.
      await page.getByLabel('Incident commander').selectOption({ label: `${ADMIN.name} (${ADMIN.email})` });
      await page.getByRole('button', { name: 'Save roles' }).click();
      const role = timeline.locator('[data-kind="role"]');
      await role.waitFor();
      expect(await role.textContent()).toContain('set the incident commander to Ada Admin');

      // A note.
      await page.getByLabel('Note', { exact: true }).fill('Rolled back the 14:02 deploy of checkout-api.');
      await page.getByRole('button', { name: 'Add note' }).click();
      const note = timeline.locator('[data-kind="note"]');
      await note.waitFor();
      expect(await note.textContent()).toContain('Rolled back the 14:02 deploy of checkout-api.');
      expect(await page.getByLabel('Note', { exact: true }).inputValue()).toBe('');

      // The same dedup key again: appended to the open alert, seen by the page's own refresh.
      const repeat = await sendEvent(baseUrl, trigger);
      expect(repeat.status).toBe(202);
      await alert.getByText('2 events').waitFor({ timeout: LIVE_WAIT_MS });
      await page.screenshot({ path: shot('3-acknowledged'), fullPage: true });

      // Resolve.
      await page.getByRole('button', { name: 'Resolve', exact: true }).click();
      await header.getByText('Resolved', { exact: true }).waitFor();
      await timeline.locator('[data-kind="status.resolved"]').waitFor();
      expect(await actions.allTextContents()).toEqual(['Reopen']);
      const resolved = await t.call('GET', `/api/v1/incidents/${incidentId}`);
      expect(resolved.json).toMatchObject({ status: 'resolved', alert_count: 1 });
      expect(resolved.json.acknowledged_at).not.toBeNull();
      expect(resolved.json.mitigated_at).toBeNull();
      expect(await alert.locator('.alert-status').textContent()).toBe('resolved');
      await page.screenshot({ path: shot('4-resolved'), fullPage: true });

      // Reopen, then someone else resolves it while this tab is in the background: the tab stops
      // polling, so its Acknowledge button is stale and the server's 409 is shown.
      await page.getByRole('button', { name: 'Reopen', exact: true }).click();
      await header.getByText('Triggered', { exact: true }).waitFor();
      await setHidden(page, true);
      const elsewhere = await t.call('POST', `/api/v1/incidents/${incidentId}/resolve`);
      expect(elsewhere.status).toBe(200);
      await page.getByRole('button', { name: 'Acknowledge', exact: true }).click();
      const problem = page.getByRole('alert').filter({ hasText: 'Invalid incident transition' });
      await problem.waitFor();
      expect(await problem.textContent()).toContain('Cannot acknowledge incident #1');
      // The failed action re-reads the incident.
      await header.getByText('Resolved', { exact: true }).waitFor();
      await page.screenshot({ path: shot('5-conflict'), fullPage: true });

      // Hidden: no polling for more than one interval. Visible again: it refreshes at once.
      const reads: string[] = [];
      const onRequest = (request: Request) => {
        if (new URL(request.url()).pathname.startsWith(`/api/v1/incidents/${incidentId}`))
          reads.push(request.url());
      };
      page.on('request', onRequest);
      await page.waitForTimeout(11_000);
      expect(reads).toEqual([]);
      await setHidden(page, false);
      await expect.poll(() => reads.length).toBeGreaterThan(0);
      page.off('request', onRequest);

      // The timeline tells the story in order, with its actors.
      const kinds = (await timeline
        .locator('li')
        .evaluateAll((items) => items.map((li) => li.getAttribute('data-kind') ?? ''))) as string[];
      expect(kinds.filter((k) => k !== 'notification')).toEqual([
        'incident.triggered',
        'alert.triggered',
        'status.acknowledged',
        'role',
        'note',
        'status.resolved',
        'status.triggered',
        'status.resolved',
      ]);
      const lastResolve = timeline.locator('[data-kind="status.resolved"]').last();
      expect(await lastResolve.textContent()).toContain('test-admin');
      expect(await lastResolve.textContent()).toContain('(API token)');

      // The list: gone from the open incidents, there with the Resolved filter; metrics filled in.
      await nav.getByRole('link', { name: 'Incidents' }).click();
      await page.getByRole('heading', { level: 1, name: 'Incidents' }).waitFor();
      await page.getByText('No open incidents. All quiet.').waitFor();
      await page.getByRole('checkbox', { name: 'Resolved' }).check();
      const resolvedRow = page.getByRole('row', { name: new RegExp(SUMMARY) });
      await resolvedRow.waitFor();
      expect(await resolvedRow.textContent()).toContain('Resolved');
      expect(new URL(page.url()).searchParams.get('status')).toBe(
        'triggered,acknowledged,mitigated,resolved',
      );
      const mtta = page.locator('.stat', { hasText: 'MTTA' }).locator('dd');
      expect(await mtta.textContent()).toMatch(/^\d+ (s|min)/);
      await page.screenshot({ path: shot('6-list-resolved'), fullPage: true });

      // The only console error is the browser's report of the deliberate 409.
      const expected = problems.filter((p) => /Failed to load resource: .*status of 409/.test(p));
      expect(expected).toHaveLength(1);
      expect(problems.filter((p) => !expected.includes(p))).toEqual([]);
      problems.length = 0;
    });

    it('declares an incident by hand with a severity and description', async () => {
      if (!page || !t) throw new Error('the integration test did not run');
      await page.goto(`${baseUrl}/incidents`);
      await page.getByRole('heading', { level: 1, name: 'Incidents' }).waitFor();
      await page.getByRole('button', { name: 'Declare incident' }).click();
      const dialog = page.getByRole('dialog', { name: 'Declare incident' });
      expect(await dialog.textContent()).toContain('Critical: user-facing outage');
      expect(await dialog.textContent()).toContain('Low or no user impact');
      await dialog.getByLabel('Service').selectOption({ label: 'checkout-api' });
      await dialog.getByLabel('Title').fill('Card payments declined for some EU customers');
      await dialog.getByRole('radio', { name: /SEV3/ }).check();
      await dialog.getByLabel('Description').fill('Reports from support since 09:40.');
      await page.screenshot({ path: shot('7-declare') });
      await dialog.getByRole('button', { name: 'Declare incident' }).click();
      await page
        .getByRole('heading', { level: 1, name: '#2 Card payments declined for some EU customers' })
        .waitFor();
      const header = page.locator('.page-header');
      expect(await header.textContent()).toContain('SEV3');
      await header.getByText('Triggered', { exact: true }).waitFor();
      expect(await page.locator('.incident-facts').textContent()).toContain('declared by hand');
      await page.getByText('No alerts: this incident was declared by hand.').waitFor();
      const opened = page.getByRole('list', { name: 'Timeline' }).locator('[data-kind="incident.triggered"]');
      expect(await opened.textContent()).toContain('Ada Admin declared the incident');
      const stored = await t.call('GET', '/api/v1/incidents', { headers: {} });
      expect(stored.json.items[0]).toMatchObject({
        number: 2,
        severity: 'SEV3',
        source: 'manual',
        description: 'Reports from support since 09:40.',
      });
      await page.screenshot({ path: shot('8-declared'), fullPage: true });
      expect(problems).toEqual([]);
    });

    it('shows the suspected deployment of an incident and confirms it', async () => {
      if (!page || !t) throw new Error('the declare test did not run');
      const incident = (await t.call('GET', '/api/v1/incidents')).json.items[0] as {
        id: string;
        triggered_at: string;
      };
      const before = (minutes: number) =>
        new Date(Date.parse(incident.triggered_at) - minutes * 60_000).toISOString();
      const deploy = async (version: string, finishedAt: string, environment = 'production') => {
        const res = await t!.call('POST', '/api/v1/deployments', {
          body: {
            service_id: serviceId,
            environment,
            version,
            commit_sha: version.replace(/\D/g, '').padEnd(40, 'a'),
            status: 'success',
            finished_at: finishedAt,
          },
        });
        expect(res.status, JSON.stringify(res.json)).toBe(201);
        return res.json.id as string;
      };
      await deploy('2.3.0', before(120));
      const suspect = await deploy('2.4.0', before(15));
      // Not suggested: another environment.
      await deploy('2.5.0', before(5), 'staging');

      await page.reload();
      const fact = page.locator('.incident-facts .incident-cause');
      await fact.waitFor();
      expect(await fact.locator('dt').textContent()).toBe('Suspected deployment');
      await fact.getByRole('button', { name: `Suggest the cause of ${incident.id}` }).click();
      await expect.poll(() => fact.locator('.dora-cause').textContent()).toContain('Suggested: 2.4.0');
      expect(await fact.locator('.dora-cause').getAttribute('data-cause')).toBe('suggested');
      expect(
        (await t.call('GET', `/api/v1/incidents/${incident.id}`)).json.caused_by_deployment_id,
      ).toBeNull();

      await fact.getByRole('button', { name: `Confirm 2.4.0 caused ${incident.id}` }).click();
      await expect.poll(() => fact.locator('.dora-cause').textContent()).toBe(`Confirmed: ${suspect}`);
      await page.getByRole('status').filter({ hasText: 'Suspected deployment confirmed' }).waitFor();
      expect((await t.call('GET', `/api/v1/incidents/${incident.id}`)).json.caused_by_deployment_id).toBe(
        suspect,
      );
      const update = page.getByRole('list', { name: 'Timeline' }).locator('[data-kind="update"]');
      await update.waitFor();
      expect(await update.textContent()).toContain(`Ada Admin set the suspected deployment to ${suspect}`);
      // A reload shows the confirmed link straight away.
      await page.reload();
      await expect
        .poll(() => page?.locator('.incident-facts .incident-cause .dora-cause').textContent())
        .toBe(`Confirmed: ${suspect}`);
      await page.screenshot({ path: shot('9-suspected-deployment'), fullPage: true });
      expect(problems).toEqual([]);
    });
  });
}
