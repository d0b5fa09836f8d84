import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, type TestApp } from '../../../test-support/engines.ts';
import { launchBrowser, logIn, serveWebApp, watchConsole } from './browser-support.ts';

/**
 * Repository -> service mappings on the DORA page, in headless Chromium against a real server:
 * map a repository to a service (URL normalised to host/owner/name, deploy workflows kept), a bad
 * URL and a duplicate refused with the field at fault and nothing stored, the team scope showing
 * only its services' mappings, and removal after confirmation; each change checked through the API
 * and the audit log.
 */
let browser: Browser | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

for (const engine of ENGINES) {
  describe(`web UI: DORA repository mappings [${engine}]`, () => {
    let t: TestApp | undefined;
    let baseUrl = '';

    beforeAll(async () => {
      ({ t, baseUrl } = await serveWebApp(engine));
    });

    afterAll(async () => {
      await t?.close();
    });

    it('lists, adds and removes mappings with problems shown at the field', async () => {
      if (!browser || !t) throw new Error('not started');
      const app = t;
      const team = await app.call('POST', '/api/v1/teams', { body: { name: 'Platform', time_zone: 'UTC' } });
      const other = await app.call('POST', '/api/v1/teams', { body: { name: 'Growth', time_zone: 'UTC' } });
      const gateway = await app.call('POST', '/api/v1/services', {
        body: { name: 'api-gateway', team_id: team.json.id, tier: 'tier-1' },
      });
      const signup = await app.call('POST', '/api/v1/services', {
        body: { name: 'signup-web', team_id: other.json.id, tier: 'tier-2' },
      });
      // One mapping of the other team, made through the API: the Platform scope must not show it.
      const existing = await app.call('POST', '/api/v1/repositories', {
        body: { repository_url: 'https://gitlab.com/growth/signup', service_id: signup.json.id },
      });
      expect(existing.status, existing.body).toBe(201);
      const mappings = async () =>
        ((await app.call('GET', '/api/v1/repositories')).json.items as Array<Record<string, unknown>>).map(
          (m) => m.repository_key,
        );

      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const problems = watchConsole(page);
      await logIn(page, `${baseUrl}/dora?scope=team:${team.json.id}`);
      await page.getByRole('heading', { level: 1, name: 'DORA metrics' }).waitFor();
      const table = page.getByRole('table', { name: 'Repository mappings' });
      await table.waitFor();
      await expect.poll(() => table.textContent()).toContain('No repository is mapped explicitly');

      // A URL without owner/name: refused at the field, nothing stored, the dialog stays open.
      await page.getByRole('button', { name: 'Map a repository' }).click();
      const dialog = page.getByRole('dialog', { name: 'Map a repository' });
      await dialog.getByLabel('Repository URL').fill('https://github.com/acme');
      expect(await dialog.getByLabel('Service').inputValue()).toBe(gateway.json.id);
      await dialog.getByRole('button', { name: 'Map repository' }).click();
      await expect
        .poll(() => dialog.locator('.field-error').textContent())
        .toBe('must name a host, an owner and a repository');
      expect(await dialog.getByLabel('Repository URL').getAttribute('aria-invalid')).toBe('true');
      expect(await mappings()).toEqual(['gitlab.com/growth/signup']);

      // A clone URL with two deploy workflows: stored as github.com/acme/platform.
      await dialog.getByLabel('Repository URL').fill('git@github.com:acme/platform.git');
      await dialog
        .getByLabel('Deploy workflows')
        .fill('release.yml\n.github/workflows/hotfix.yml, release.yml');
      await dialog.getByRole('button', { name: 'Map repository' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(await page.getByRole('status').textContent()).toBe(
        'github.com/acme/platform mapped to api-gateway.',
      );
      const row = table.getByRole('row', { name: /github\.com\/acme\/platform/ });
      await row.waitFor();
      expect(await row.textContent()).toContain('api-gateway');
      expect(await row.textContent()).toContain('release.yml, .github/workflows/hotfix.yml');
      expect(await table.locator('tbody tr').count()).toBe(1); // not Growth's mapping
      const stored = await app.call('GET', `/api/v1/repositories?service_id=${gateway.json.id}`);
      expect(stored.json.items).toEqual([
        {
          repository_key: 'github.com/acme/platform',
          repository_url: 'git@github.com:acme/platform.git',
          service_id: gateway.json.id,
          deploy_workflows: ['release.yml', '.github/workflows/hotfix.yml'],
          created_at: expect.any(String),
        },
      ]);

      // The same repository again (its web URL): 409 shown at the field, still one mapping.
      await page.getByRole('button', { name: 'Map a repository' }).click();
      await dialog.getByLabel('Repository URL').fill('https://github.com/acme/platform');
      await dialog.getByRole('button', { name: 'Map repository' }).click();
      await expect.poll(() => dialog.locator('.field-error').textContent()).toBe('already mapped');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect((await mappings()).sort()).toEqual(['github.com/acme/platform', 'gitlab.com/growth/signup']);

      // The organisation scope lists both; a removal asks first, then deletes and audits.
      await page.getByLabel('Scope').selectOption({ label: 'Whole organisation' });
      await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
      await page.getByRole('button', { name: 'Remove mapping of github.com/acme/platform' }).click();
      const confirm = page.getByRole('dialog', { name: 'Remove repository mapping' });
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'detached' });
      expect(await mappings()).toHaveLength(2);
      await page.getByRole('button', { name: 'Remove mapping of github.com/acme/platform' }).click();
      await confirm.getByRole('button', { name: 'Remove mapping' }).click();
      await confirm.waitFor({ state: 'detached' });
      await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
      expect(await page.getByRole('status').textContent()).toBe(
        'github.com/acme/platform is no longer mapped.',
      );
      expect(await mappings()).toEqual(['gitlab.com/growth/signup']);
      const audit = await app.call('GET', '/api/v1/audit-log?target_type=repository&limit=10');
      expect(
        (audit.json.items as Array<{ action: string; target_id: string }>)
          .filter((e) => e.target_id === 'github.com/acme/platform')
          .map((e) => e.action)
          .sort(),
      ).toEqual(['dora.repository.map', 'dora.repository.unmap']);

      // The browser logs the two refusals the test provoked; nothing else may appear.
      expect(problems.map((p) => p.replace(/\(http:[^)]*\)/, '').trim())).toEqual([
        'error: Failed to load resource: the server responded with a status of 400 (Bad Request)',
        'error: Failed to load resource: the server responded with a status of 409 (Conflict)',
      ]);
      await context.close();
    });
  });
}
