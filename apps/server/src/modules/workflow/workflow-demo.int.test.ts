import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { seedWorkflowDemo } from '../../demo/demo-workflow.ts';
import { fixedClock } from '../../platform/clock.ts';

for (const engine of ENGINES) {
  describe(`workflow demo data [${engine}]`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(engine, { clock: fixedClock('2026-06-01T12:00:00Z') });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('fills sixty days of pull requests through the delivery handler, once', async () => {
      const team = await t.call('POST', '/api/v1/teams', {
        body: { name: 'Payments', time_zone: 'America/New_York' },
      });
      const svc = await t.call('POST', '/api/v1/services', {
        body: {
          name: 'checkout-api',
          team_id: team.json.id,
          repository_url: 'https://git.demo.engops.test/payments/checkout-api',
        },
      });
      const applied = await seedWorkflowDemo(t.container, [svc.json]);
      expect(applied).toBeGreaterThan(100);
      expect(await seedWorkflowDemo(t.container, [svc.json])).toBe(0);

      const window = 'from=2026-04-01T00:00:00Z&to=2026-06-01T12:00:00Z';
      const list = await t.call(
        'GET',
        `/api/v1/workflow/pull-requests?service_id=${svc.json.id}&${window}&limit=1000`,
      );
      expect(list.json.items).toHaveLength(36);
      const summary = await t.call('GET', `/api/v1/workflow/summary?service_id=${svc.json.id}&${window}`);
      expect(summary.status, summary.body).toBe(200);
      const s = summary.json;
      expect(s.pull_requests.opened).toBe(36);
      expect(s.review_time.count).toBeGreaterThan(20);
      expect(s.merged_without_ci.count).toBeGreaterThan(0);
      expect(s.descriptions_flagged).toBeGreaterThan(0);
      expect(s.branches.long_lived.map((b: { name: string }) => b.name)).toEqual(['ada/big-rewrite']);
      expect(s.size.buckets.reduce((sum: number, b: { count: number }) => sum + b.count, 0)).toBe(36);
    });
  });
}
