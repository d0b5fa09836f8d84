import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { startSmtp } from '../../../../../test-support/smtp.ts';
import { seedWorkflowDemo } from '../../demo/demo-workflow.ts';
import { fixedClock } from '../../platform/clock.ts';

interface QueueItem {
  id: string;
  number: number;
  author: string;
  pending_reviewers: string[];
  waiting_since: string;
}

for (const engine of ENGINES) {
  describe(`workflow demo data [${engine}]`, () => {
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let t: TestApp;
    const clock = fixedClock('2026-06-01T12:00:00Z');

    beforeAll(async () => {
      smtp = await startSmtp();
      t = await createTestApp(engine, {
        clock,
        env: {
          ENGOPS_SMTP_HOST: '127.0.0.1',
          ENGOPS_SMTP_PORT: String(smtp.port),
          ENGOPS_SMTP_FROM: 'engops <engops@example.test>',
        },
      });
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
    });

    it('fills sixty days of pull requests through the delivery handler, once, with logins linked to people', async () => {
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
      // The demo people of checkout-api, as demo.ts creates them (bruno is not on the team).
      const people = new Map<string, { id: string; email: string }>();
      for (const login of ['ada', 'bruno', 'chen']) {
        const user = await t.call('POST', '/api/v1/users', {
          body: { email: `${login}@demo.engops.test`, name: login, role: 'responder' },
        });
        expect(user.status, user.body).toBe(201);
        people.set(login, user.json);
      }
      for (const login of ['ada', 'chen'])
        await t.call('POST', `/api/v1/teams/${team.json.id}/members`, {
          body: { user_id: people.get(login)!.id, role: 'responder' },
        });

      const applied = await seedWorkflowDemo(t.container, [svc.json]);
      expect(applied).toBeGreaterThan(100);
      expect(await seedWorkflowDemo(t.container, [svc.json])).toBe(0);

      const identities = await t.call('GET', '/api/v1/workflow/identities');
      expect(identities.status, identities.body).toBe(200);
      expect(
        identities.json.items.map((i: { provider: string; login: string; user_id: string }) => [
          i.provider,
          i.login,
          i.user_id,
        ]),
      ).toEqual(['ada', 'bruno', 'chen'].map((login) => ['github', login, people.get(login)!.id]));

      const window = 'from=2026-04-01T00:00:00Z&to=2026-06-01T12:00:00Z';
      const list = await t.call(
        'GET',
        `/api/v1/workflow/pull-requests?service_id=${svc.json.id}&${window}&limit=1000`,
      );
      expect(list.json.items).toHaveLength(38);
      const summary = await t.call('GET', `/api/v1/workflow/summary?service_id=${svc.json.id}&${window}`);
      expect(summary.status, summary.body).toBe(200);
      const s = summary.json;
      expect(s.pull_requests.opened).toBe(38);
      expect(s.review_time.count).toBeGreaterThan(20);
      expect(s.merged_without_ci.count).toBeGreaterThan(0);
      expect(s.descriptions_flagged).toBeGreaterThan(0);
      expect(s.branches.long_lived.map((b: { name: string }) => b.name)).toEqual(['ada/big-rewrite']);
      expect(s.size.buckets.reduce((sum: number, b: { count: number }) => sum + b.count, 0)).toBe(38);

      // The demo's two waiting PRs (14 h and 30 h): at seeding time their reviewer nudges are due and
      // reach the linked reviewers by email; the older one's team nudge too (the team, not the author).
      const queue = await t.call(
        'GET',
        `/api/v1/workflow/pull-requests?service_id=${svc.json.id}&waiting=true`,
      );
      const waiting: QueueItem[] = queue.json.items;
      expect(
        waiting
          .map((i) => [i.number, i.author, i.pending_reviewers])
          .sort((a, b) => Number(a[0]) - Number(b[0])),
      ).toEqual([
        [136, 'bruno', ['chen']],
        [137, 'chen', ['ada']],
      ]);
      while ((await t.container.worker.drain()) > 0);
      const nudges = await t.container.db
        .selectFrom('workflow_nudges')
        .selectAll()
        .where(
          'pr_id',
          'in',
          waiting.map((i) => i.id),
        )
        .execute();
      const number = new Map(waiting.map((i) => [i.id, i.number]));
      expect(nudges.map((n) => [number.get(n.pr_id), n.stage.split('@')[0], n.recipients]).sort()).toEqual([
        [136, 'reviewers', 1],
        [137, 'reviewers', 1],
        [137, 'team', 1],
      ]);
      const mailTo = (subject: string) =>
        smtp.mails.filter((m) => m.text.includes(subject)).map((m) => m.to.join(','));
      expect(mailTo('Review waiting: payments/checkout-api#136')).toEqual([people.get('chen')!.email]);
      expect(mailTo('Review waiting: payments/checkout-api#137')).toEqual([people.get('ada')!.email]);
      expect(mailTo('Review overdue: payments/checkout-api#137')).toEqual([people.get('ada')!.email]);
    });
  });
}
