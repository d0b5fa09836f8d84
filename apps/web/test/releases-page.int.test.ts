import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, type TestApp } from '../../../test-support/engines.ts';
import { launchBrowser, logIn, serveWebApp, watchConsole } from './browser-support.ts';

/**
 * The releases board and a release page in headless Chromium against a real server: releases
 * moved through their stages by the API as CI would, canary samples pushed and judged, then the
 * board (which version is in which stage), the stage timeline, the canary charts with the verdict,
 * a judgement and a rollback from the page, and the freeze calendar; no console errors.
 */
const SHA = 'abcdef1234567890abcdef1234567890abcdef12';

let browser: Browser | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

for (const engine of ENGINES) {
  describe(`web UI: releases [${engine}]`, () => {
    let t: TestApp | undefined;
    let baseUrl = '';
    const shot = (name: string) => `/tmp/engops-releases-${engine}-${name}.png`;

    beforeAll(async () => {
      ({ t, baseUrl } = await serveWebApp(engine, { timeZone: 'UTC' }));
    });

    afterAll(async () => {
      await t?.close();
    });

    it('shows the board, the stage timeline, the canary charts with the verdict, and rolls back', async () => {
      if (!browser || !t) throw new Error('not started');
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Storefront', time_zone: 'UTC' } });
      const service = await t.call('POST', '/api/v1/services', {
        body: { name: 'web-shop', team_id: team.json.id },
      });
      const serviceId = service.json.id as string;
      const stage = async (id: string, name: string, status: string) => {
        const res = await t!.call('POST', `/api/v1/releases/${id}/stages/${name}`, { body: { status } });
        expect(res.status, res.body).toBe(200);
      };
      const create = async (version: string) => {
        const res = await t!.call('POST', '/api/v1/releases', {
          body: { service_id: serviceId, version, commit_sha: SHA },
        });
        expect(res.status).toBe(201);
        return res.json.id as string;
      };
      // 1.0.0 went all the way to production; 1.1.0 is in its canary with samples pushed.
      const v100 = await create('1.0.0');
      for (const s of ['ci', 'staging', 'canary', 'production']) await stage(v100, s, 'succeeded');
      // From now on production needs one approval (the policy's default pipeline).
      const doc = await t.call('GET', '/api/v1/policy');
      const policy = structuredClone(doc.json.policy);
      policy.releases.production_approvals = 1;
      expect(
        (await t.call('PUT', '/api/v1/policy', { body: { policy, version: doc.json.version } })).status,
      ).toBe(200);
      const v110 = await create('1.1.0');
      await stage(v110, 'ci', 'succeeded');
      await stage(v110, 'staging', 'succeeded');
      await stage(v110, 'canary', 'started');
      const push = (group: string, metric: string, values: number[]) =>
        t!.call('POST', `/api/v1/releases/${v110}/metrics`, { body: { group, metric, values } });
      await push('canary', 'latency_ms', [105, 110, 120, 118, 130, 125, 122, 119, 140, 135, 128, 121]);
      await push('baseline', 'latency_ms', [100, 102, 98, 105, 110, 101, 99, 104, 103, 100, 106, 97]);
      await push('canary', 'error_rate', [1, 3, 5, 7, 9]);
      await push('baseline', 'error_rate', [2, 4, 6, 8, 10]);
      const freeze = await t.call('POST', '/api/v1/freezes', {
        body: {
          team_id: team.json.id,
          starts_at: new Date(Date.now() + 86_400_000).toISOString(),
          ends_at: new Date(Date.now() + 2 * 86_400_000).toISOString(),
          reason: 'Black Friday',
        },
      });
      expect(freeze.status).toBe(201);

      const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
      const page = await context.newPage();
      const problems = watchConsole(page);
      await logIn(page, `${baseUrl}/releases?service=${serviceId}`);
      await page.getByRole('heading', { level: 1, name: 'Releases' }).waitFor();
      expect(
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Releases' }).count(),
      ).toBe(1);

      // The board: one row per version, a column per stage.
      const board = page.getByRole('table', { name: 'Releases of web-shop' });
      await expect.poll(() => board.locator('tbody tr').count()).toBe(2);
      const headers = await board.locator('thead th').allTextContents();
      expect(headers).toEqual([
        'Version',
        'ci',
        'staging',
        'canary',
        'production',
        'monitor',
        'Release',
        'Canary verdict',
        'Created',
      ]);
      const cells = async (version: string) =>
        (
          await board
            .getByRole('row', { name: new RegExp(version.replaceAll('.', '\\.')) })
            .locator('td, th')
            .allTextContents()
        ).slice(0, 7);
      expect(await cells('1.1.0')).toEqual([
        '1.1.0',
        'succeeded',
        'succeeded',
        'started',
        'pending',
        'pending',
        'in progress',
      ]);
      expect(await cells('1.0.0')).toEqual([
        '1.0.0',
        'succeeded',
        'succeeded',
        'succeeded',
        'succeeded',
        'started',
        'in progress',
      ]);
      // The freeze calendar lists the upcoming freeze.
      const calendar = page.getByRole('table', { name: 'Current and upcoming freezes' });
      await expect.poll(() => calendar.textContent()).toContain('Black Friday');
      expect(await calendar.textContent()).toContain('Storefront');
      // Declare another freeze from the calendar.
      await page.getByRole('button', { name: 'Declare a freeze' }).click();
      const freezeDialog = page.getByRole('dialog', { name: 'Declare a freeze' });
      await freezeDialog.getByLabel('Starts').fill('2031-12-20T18:00');
      await freezeDialog.getByLabel('Ends').fill('2032-01-02T08:00');
      await freezeDialog.getByLabel('Reason').fill('Year-end freeze');
      await freezeDialog.getByRole('button', { name: 'Declare freeze' }).click();
      await freezeDialog.waitFor({ state: 'detached' });
      await expect.poll(() => calendar.textContent()).toContain('Year-end freeze');
      const stored = await t.call('GET', `/api/v1/freezes?team_id=${team.json.id}`);
      expect(stored.json.items.map((f: { reason: string }) => f.reason)).toEqual([
        'Black Friday',
        'Year-end freeze',
      ]);
      await page.screenshot({ path: shot('1-board'), fullPage: true });

      // The release page: stages in order, charts, not judged yet; judge from the page.
      await board.getByRole('link', { name: '1.1.0' }).click();
      await page.getByRole('heading', { level: 1, name: 'web-shop 1.1.0' }).waitFor();
      const steps = page.getByRole('list', { name: 'Stages' }).locator('li');
      expect(await steps.count()).toBe(5);
      expect(await steps.nth(2).textContent()).toContain('canarystarted');
      expect(await page.locator('svg.rel-chart').count()).toBe(2);
      expect(await page.locator('svg.rel-chart[data-metric="latency_ms"] circle').count()).toBe(24);
      await page.getByText('Not judged yet.').waitFor();
      await page.getByRole('button', { name: 'Judge canary now' }).click();
      const verdict = page.getByTestId('verdict');
      await verdict.waitFor();
      // latency_ms high, error_rate pass: 100 * 1/2 = 50, below 75: roll back.
      expect(await verdict.textContent()).toMatch(
        /Verdict: rollback score 50 of 100 \(promote at 90, hold from 75\)/,
      );
      const latency = page.locator('.rel-charts figure').filter({ hasText: 'latency_ms' });
      expect(await latency.locator('figcaption').textContent()).toBe('latency_mshigh');
      expect(await latency.locator('.rel-stats').textContent()).toBe(
        'median 121.5 vs 101.5; U 141, p 7.58e-5',
      );
      const errors = page.locator('.rel-charts figure').filter({ hasText: 'error_rate' });
      expect(await errors.locator('figcaption').textContent()).toBe('error_ratepass');
      const timeline = page.getByRole('list', { name: 'Timeline' });
      expect(await timeline.textContent()).toContain('Canary judged: rollback (score 50)');
      // Production needs an approval; Ada did not create the release, so she may give it.
      expect(await steps.nth(3).textContent()).toContain('Approvals 0 of 1');
      await page.getByRole('button', { name: 'Approve production' }).click();
      await expect.poll(() => steps.nth(3).textContent()).toContain('Approvals 1 of 1');
      expect(await page.getByRole('button', { name: 'Approve production' }).count()).toBe(0);
      expect(await timeline.textContent()).toContain('Stage production approved by Ada Admin');
      await page.screenshot({ path: shot('2-release'), fullPage: true });

      // 1.0.0 is in production: roll it back from its page (the rollback is a durable job).
      await page.goto(`${baseUrl}/releases/${v100}`);
      await page.getByRole('heading', { level: 1, name: 'web-shop 1.0.0' }).waitFor();
      await page.getByRole('button', { name: 'Roll back' }).click();
      const dialog = page.getByRole('dialog', { name: 'Roll back this release' });
      await dialog.getByLabel('Reason').fill('checkout conversion dropped');
      await dialog.getByRole('button', { name: 'Roll back' }).click();
      await dialog.waitFor({ state: 'detached' });
      await expect.poll(() => page.getByTestId('release-status').textContent()).toBe('harmful');
      await t.container.worker.drain();
      await page.reload();
      await expect.poll(() => page.getByTestId('release-status').textContent()).toBe('rolled back');
      const events = page.getByRole('list', { name: 'Timeline' });
      expect(await events.textContent()).toContain('Marked harmful: checkout conversion dropped');
      expect(await events.textContent()).toContain('Rolled back');
      await page.screenshot({ path: shot('3-rolled-back'), fullPage: true });

      expect(problems).toEqual([]);
      await context.close();
    });
  });
}
