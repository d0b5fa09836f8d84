import { sign } from '@octokit/webhooks-methods';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, type TestApp } from '../../../test-support/engines.ts';
import {
  checkRunEvent,
  type PrInput,
  pullRequestEvent,
  pushEvent,
  reviewEvent,
} from '../../server/src/modules/workflow/github-payloads.ts';
import { launchBrowser, logIn, serveWebApp, watchConsole } from './browser-support.ts';

/**
 * The workflow page in headless Chromium against a real server fed signed GitHub deliveries:
 * the review-time chart with the 24-hour line, the waiting queue, a long-lived branch, the size
 * chart and the merged-without-CI list.
 */
const SECRET = 'browser-workflow-secret';
const HOUR = 3_600_000;
const repo = { owner: 'shop', name: 'cart', default_branch: 'main' };

let browser: Browser | undefined;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

for (const engine of ENGINES) {
  describe(`web UI: workflow page [${engine}]`, () => {
    let t: TestApp | undefined;
    let baseUrl = '';
    let n = 0;

    const send = async (event: string, payload: unknown) => {
      const body = JSON.stringify(payload);
      const res = await t!.call('POST', '/webhooks/github', {
        token: null,
        payload: body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': event,
          'x-github-delivery': `web-${++n}`,
          'x-hub-signature-256': await sign(SECRET, body),
        },
      });
      expect(res.status, res.body).toBe(200);
    };

    beforeAll(async () => {
      ({ t, baseUrl } = await serveWebApp(engine, { env: { ENGOPS_GITHUB_WEBHOOK_SECRET: SECRET } }));
    });
    afterAll(async () => {
      await t?.close();
    });

    it('draws review times against the 24-hour line and lists the queue, old branches and merges without CI', async () => {
      if (!browser || !t) throw new Error('not started');
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Shop', time_zone: 'UTC' } });
      await t.call('POST', '/api/v1/services', {
        body: { name: 'cart', team_id: team.json.id, repository_url: 'https://github.com/shop/cart' },
      });
      const now = Math.floor(Date.now() / HOUR) * HOUR;
      const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR).toISOString();
      const base = (number: number, opened: number, size: number): PrInput => ({
        number,
        title: `Change ${number}`,
        author: 'alice',
        body: 'A real description of what changes and why it matters.',
        head_ref: `change-${number}`,
        head_sha: String(number).repeat(40).slice(0, 40),
        additions: size,
        deletions: 0,
        changed_files: 2,
        created_at: at(opened),
      });
      // #1: reviewed after 4 h, CI green, merged.
      const p1 = base(1, 100, 120);
      await send('pull_request', pullRequestEvent(repo, 'opened', p1));
      await send(
        'check_run',
        checkRunEvent(repo, {
          id: 1,
          name: 'build',
          sha: p1.head_sha,
          conclusion: 'success',
          completed_at: at(99),
        }),
      );
      await send(
        'pull_request_review',
        reviewEvent(repo, p1, { id: 11, reviewer: 'bob', state: 'approved', submitted_at: at(96) }),
      );
      await send(
        'pull_request',
        pullRequestEvent(repo, 'closed', { ...p1, merged_at: at(95), updated_at: at(95) }),
      );
      // #2: reviewed after 30 h (late), 600 lines.
      const p2 = base(2, 80, 600);
      await send('pull_request', pullRequestEvent(repo, 'opened', p2));
      await send(
        'pull_request_review',
        reviewEvent(repo, p2, { id: 21, reviewer: 'bob', state: 'commented', submitted_at: at(50) }),
      );
      // #3: merged without checks or review.
      const p3 = base(3, 30, 40);
      await send('pull_request', pullRequestEvent(repo, 'opened', p3));
      await send(
        'pull_request',
        pullRequestEvent(repo, 'closed', { ...p3, merged_at: at(29), updated_at: at(29) }),
      );
      // #4: waiting for carol.
      const p4 = base(4, 10, 80);
      await send('pull_request', pullRequestEvent(repo, 'opened', p4));
      await send(
        'pull_request',
        pullRequestEvent(
          repo,
          'review_requested',
          { ...p4, updated_at: at(9) },
          { requested_reviewer: 'carol' },
        ),
      );
      // A branch with its first commit ten days ago, still open.
      await send(
        'push',
        pushEvent(repo, {
          branch: 'big-rewrite',
          pusher: 'dave',
          after: 'ee'.repeat(20),
          created: true,
          commits: [at(240), at(200)],
        }),
      );

      const context = await browser.newContext({ viewport: { width: 1440, height: 1200 } });
      const page = await context.newPage();
      const problems = watchConsole(page);
      await logIn(page, `${baseUrl}/workflow`);
      await page.getByRole('heading', { level: 1, name: 'Development workflow' }).waitFor();
      expect(
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workflow' }).count(),
      ).toBe(1);

      // Median of 4 h and 30 h = 17 h; one of two within the target.
      await expect
        .poll(() => page.getByTestId('tile-review-time').locator('.wf-value').textContent())
        .toBe('17 h');
      expect(await page.getByTestId('tile-within-target').textContent()).toContain('50%');
      expect(await page.getByTestId('tile-within-target').textContent()).toContain('1 of 2');
      // Small: 120, 40, 80 of 120, 600, 40, 80 lines.
      expect(await page.getByTestId('tile-small').locator('.wf-value').textContent()).toBe('75%');

      const chart = page.getByTestId('review-time-chart');
      expect(await chart.locator('rect.wf-bar').count()).toBe(2);
      expect(await chart.locator('rect.wf-late').getAttribute('data-number')).toBe('2');
      expect(await page.getByTestId('review-target-line').getAttribute('data-hours')).toBe('24');
      expect(await chart.textContent()).toContain('24 h target');

      const waiting = page.getByRole('table', { name: 'Pull requests waiting for review, longest first' });
      expect(await waiting.locator('tbody tr').count()).toBe(1);
      expect(await waiting.textContent()).toContain('shop/cart#4');
      expect(await waiting.textContent()).toContain('carol');

      const branches = page.getByRole('table', { name: 'Long-lived branches' });
      expect(await branches.textContent()).toContain('shop/cart:big-rewrite');
      expect(await branches.textContent()).toContain('dave');
      expect(await branches.textContent()).toContain('10 d');

      const sizes = page.getByTestId('size-chart');
      // 40 | 80 | 120 | 600 lines against the 400-line threshold.
      expect(await sizes.locator('li[data-bucket="XS"]').getAttribute('data-count')).toBe('1');
      expect(await sizes.locator('li[data-bucket="S"]').getAttribute('data-count')).toBe('1');
      expect(await sizes.locator('li[data-bucket="M"]').getAttribute('data-count')).toBe('1');
      expect(await sizes.locator('li[data-bucket="L"]').getAttribute('data-count')).toBe('1');

      const noCi = page.getByRole('table', {
        name: 'Pull requests merged without green required checks on their last commit',
      });
      expect(await noCi.locator('tbody tr').count()).toBe(1);
      expect(await noCi.textContent()).toContain('shop/cart#3');
      const people = page.getByRole('table', { name: 'Authors and reviewers' });
      const bob = people.getByRole('row', { name: /^bob/ });
      // bob gave both first reviews: after 4 h and 30 h, median 17 h.
      expect(await bob.textContent()).toContain('17 h');
      await page.screenshot({ path: `/tmp/engops-workflow-${engine}.png`, fullPage: true });

      expect(problems).toEqual([]);
      await context.close();
    });
  });
}
