import examples from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import { expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';
import {
  checkRunEvent,
  type PrInput,
  pullRequestEvent,
  pushEvent,
  reviewCommentEvent,
  reviewEvent,
} from './github-payloads.ts';

const SECRET = 'workflow-webhook-secret';
const H = 3600;

interface Example {
  name: string;
  examples: Array<Record<string, unknown>>;
}
const byName = (name: string) =>
  (examples as unknown as Example[]).find((e) => e.name === name)?.examples ?? [];

const EVENTS = [
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
  'check_suite',
  'check_run',
  'status',
  'create',
  'delete',
  'push',
] as const;

const TABLES = [
  'workflow_deliveries',
  'workflow_pull_requests',
  'workflow_pr_events',
  'workflow_reviews',
  'workflow_comments',
  'workflow_checks',
  'workflow_branches',
  'workflow_pushes',
] as const;

let n = 0;
async function send(
  t: TestApp,
  event: string,
  payload: unknown,
  options: { secret?: string; delivery?: string } = {},
) {
  const body = JSON.stringify(payload);
  return t.call('POST', '/webhooks/github', {
    token: null,
    payload: body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': options.delivery ?? `wf-delivery-${++n}`,
      'x-hub-signature-256': await sign(options.secret ?? SECRET, body),
    },
  });
}

async function counts(t: TestApp) {
  const out = {} as Record<(typeof TABLES)[number], number>;
  for (const table of TABLES) {
    const row = await t.container.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}

async function service(t: TestApp, name: string, repositoryUrl: string) {
  const team = await t.call('POST', '/api/v1/teams', { body: { name: `${name}-team`, time_zone: 'UTC' } });
  const svc = await t.call('POST', '/api/v1/services', {
    body: { name, team_id: team.json.id, tier: 'tier-2', repository_url: repositoryUrl },
  });
  expect(svc.status, svc.body).toBe(201);
  return { team: team.json, service: svc.json };
}

describeEachEngine(
  'workflow: GitHub deliveries through the DORA receiver',
  (get) => {
    it('rejects a bad signature before anything is stored', async () => {
      const t = get();
      await service(t, 'hello-world', 'https://github.com/Codertocat/Hello-World');
      for (const event of EVENTS) {
        const res = await send(t, event, byName(event)[0], { secret: 'not-the-secret' });
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
      const unsigned = await t.call('POST', '/webhooks/github', {
        token: null,
        payload: JSON.stringify(byName('pull_request')[0]),
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'pull_request',
          'x-github-delivery': 'x',
        },
      });
      expect(unsigned.status).toBe(401);
      expect(Object.values(await counts(t))).toEqual(TABLES.map(() => 0));
    });

    it('reads every kind of @octokit/webhooks-examples payload, with the payload times', async () => {
      const t = get();
      const statuses: Record<string, string[]> = {};
      for (const event of EVENTS) {
        for (const payload of byName(event)) {
          const res = await send(t, event, payload);
          expect(res.status, res.body).toBe(200);
          statuses[event] = [...(statuses[event] ?? []), res.json.status];
        }
      }
      expect(statuses.pull_request?.every((s) => s === 'processed')).toBe(true);
      expect(statuses.pull_request_review?.every((s) => s === 'processed')).toBe(true);
      // Tags are not branches: create/delete of simple-tag change nothing here.
      expect(statuses.create?.every((s) => s === 'ignored')).toBe(true);
      expect(statuses.delete?.every((s) => s === 'ignored')).toBe(true);

      const db = t.container.db;
      const prs = await db.selectFrom('workflow_pull_requests').selectAll().execute();
      expect(prs).toHaveLength(1);
      expect(prs[0]).toMatchObject({
        repository: 'Codertocat/Hello-World',
        number: 2,
        title: 'Update the README with new information.',
        author: 'Codertocat',
        head_ref: 'changes',
        base_ref: 'master',
        additions: 1,
        opened_at: '2019-05-15T15:20:33.000Z',
        // The newest snapshot (ready_for_review, updated 15:21:18) wins over older redeliveries.
        state: 'open',
        draft: 0,
        payload_updated_at: '2019-05-15T15:21:18.000Z',
      });
      const events = await db.selectFrom('workflow_pr_events').selectAll().orderBy('id').execute();
      expect(events).toHaveLength(byName('pull_request').length);
      const requested = events.filter((e) => e.action === 'review_requested');
      expect(requested.map((e) => [e.subject, e.at])).toEqual([['octocat', '2019-05-15T15:20:33.000Z']]);
      expect(
        events.filter((e) => e.action === 'opened').every((e) => e.at === '2019-05-15T15:20:33.000Z'),
      ).toBe(true);
      expect(events.filter((e) => e.action === 'closed').map((e) => e.at)).toEqual([
        '2019-05-15T15:21:18.000Z',
        '2019-05-15T15:21:18.000Z',
      ]);

      const reviews = await db.selectFrom('workflow_reviews').selectAll().execute();
      expect(reviews).toEqual([
        expect.objectContaining({
          id: 'github:237895671',
          reviewer: 'Codertocat',
          state: 'commented',
          submitted_at: '2019-05-15T15:20:38.000Z',
          dismissed_at: '2019-05-15T15:20:38.000Z',
        }),
      ]);
      const comments = await db.selectFrom('workflow_comments').selectAll().execute();
      expect(comments).toEqual([
        expect.objectContaining({
          id: 'github:284312630',
          author: 'Codertocat',
          created_at: '2019-05-15T15:20:37.000Z',
          deleted: 1,
        }),
      ]);

      // Only the Codertocat repository maps to a service (electron and github/hello-world do not).
      const checks = await db.selectFrom('workflow_checks').selectAll().execute();
      const rows = checks.map((c) => [c.kind, c.name, c.sha.slice(0, 8), c.state, c.at].join(' ')).sort();
      expect(rows.map((r) => r.split(' '))).toEqual([
        ['check_run', 'Octocoders-linter', 'ec26c3e5', 'success', '2019-05-15T15:21:12.000Z'],
        ['check_suite', 'github-actions', 'ec26c3e5', 'success', '2019-05-15T15:21:14.000Z'],
        ['check_suite', 'octocoders-linter', 'ec26c3e5', 'success', '2019-05-15T15:21:14.000Z'],
        ['check_suite', 'octocoders-linter', 'f95f852b', 'pending', '2019-05-15T15:20:33.000Z'],
        ['status', 'default', '6113728f', 'success', '2019-05-15T15:20:55.000Z'],
      ]);
      const pushes = await db.selectFrom('workflow_pushes').selectAll().execute();
      expect(pushes.map((p) => [p.branch, p.is_default, p.at, p.pusher])).toEqual([
        ['master', 1, '2019-05-15T15:19:25.000Z', 'Codertocat'],
        ['master', 1, '2019-05-15T15:19:25.000Z', 'Codertocat'],
      ]);
      expect(await db.selectFrom('workflow_branches').selectAll().execute()).toEqual([]);

      // Redelivery of the same delivery id is counted once.
      const before = await counts(t);
      const first = await send(t, 'pull_request', byName('pull_request')[0], { delivery: 'redelivered-1' });
      expect(first.json.status).toBe('processed');
      const again = await send(t, 'pull_request', byName('pull_request')[0], { delivery: 'redelivered-1' });
      expect(again.status).toBe(200);
      expect(again.json.status).toBe('duplicate');
      const after = await counts(t);
      expect(after.workflow_pr_events).toBe(before.workflow_pr_events + 1);
      expect(after.workflow_deliveries).toBe(before.workflow_deliveries + 1);

      // The API shows the measures of the example PR: the author's own review is not a first review.
      const list = await t.call(
        'GET',
        '/api/v1/workflow/pull-requests?repository=codertocat/hello-world&from=2019-05-01T00:00:00Z&to=2019-06-01T00:00:00Z',
      );
      expect(list.status, list.body).toBe(200);
      expect(list.json.items).toHaveLength(1);
      expect(list.json.items[0]).toMatchObject({
        number: 2,
        first_review_at: null,
        review_time_seconds: null,
        merged_without_ci: false,
        merged_without_review: false,
        pending_reviewers: ['octocat'],
      });
    });
  },
  { env: { ENGOPS_GITHUB_WEBHOOK_SECRET: SECRET } },
);

const repo = { owner: 'acme', name: 'payments', default_branch: 'main' };
const SHA1 = 'a1'.repeat(20);
const SHA2 = 'b2'.repeat(20);
const MERGE = 'c3'.repeat(20);
const pr7: PrInput = {
  number: 7,
  title: 'Retry the payment client on 503',
  author: 'alice',
  body: 'Retries the payment client on 503 so checkout survives deploys of the gateway.',
  head_ref: 'feature/retry',
  head_sha: SHA1,
  additions: 300,
  deletions: 50,
  changed_files: 6,
  created_at: '2026-03-02T09:00:00Z',
};
const pr8: PrInput = {
  number: 8,
  title: 'Bump everything',
  author: 'carol',
  body: null,
  head_ref: 'bump',
  head_sha: 'd4'.repeat(20),
  additions: 900,
  deletions: 100,
  changed_files: 40,
  created_at: '2026-03-04T09:00:00Z',
};

describeEachEngine(
  'workflow: a merged and an approved pull request built by hand',
  (get) => {
    it('computes review, approval, merge, CI, cycle time and branch age from the payload times', async () => {
      const t = get();
      const { service: svc, team } = await service(t, 'payments', 'git@github.com:acme/payments.git');
      const deliveries: Array<[string, unknown]> = [
        [
          'push',
          pushEvent(repo, {
            branch: 'feature/retry',
            pusher: 'alice',
            after: SHA1,
            created: true,
            commits: ['2026-03-01T15:00:00Z', '2026-03-02T08:00:00Z'],
          }),
        ],
        ['pull_request', pullRequestEvent(repo, 'opened', pr7)],
        [
          'pull_request',
          pullRequestEvent(
            repo,
            'review_requested',
            { ...pr7, updated_at: '2026-03-02T10:00:00Z' },
            { requested_reviewer: 'bob' },
          ),
        ],
        [
          'check_run',
          checkRunEvent(repo, {
            id: 1,
            name: 'build',
            sha: SHA1,
            conclusion: 'success',
            completed_at: '2026-03-02T09:30:00Z',
          }),
        ],
        [
          'pull_request_review',
          reviewEvent(repo, pr7, {
            id: 71,
            reviewer: 'bob',
            state: 'commented',
            submitted_at: '2026-03-02T14:00:00Z',
          }),
        ],
        [
          'pull_request_review_comment',
          reviewCommentEvent(repo, pr7, { id: 711, author: 'bob', created_at: '2026-03-02T14:00:00Z' }),
        ],
        // A force push rewrites the branch: the checks of the old head no longer count.
        [
          'push',
          pushEvent(repo, {
            branch: 'feature/retry',
            pusher: 'alice',
            after: SHA2,
            forced: true,
            commits: ['2026-03-02T16:00:00Z'],
          }),
        ],
        [
          'pull_request',
          pullRequestEvent(
            repo,
            'synchronize',
            { ...pr7, head_sha: SHA2, updated_at: '2026-03-02T16:00:00Z' },
            { after: SHA2 },
          ),
        ],
        [
          'check_run',
          checkRunEvent(repo, {
            id: 2,
            name: 'build',
            sha: SHA2,
            conclusion: 'success',
            completed_at: '2026-03-03T07:00:00Z',
          }),
        ],
        [
          'pull_request_review',
          reviewEvent(
            repo,
            { ...pr7, head_sha: SHA2 },
            { id: 72, reviewer: 'bob', state: 'approved', submitted_at: '2026-03-03T08:00:00Z' },
          ),
        ],
        [
          'pull_request',
          pullRequestEvent(repo, 'closed', {
            ...pr7,
            head_sha: SHA2,
            merged_at: '2026-03-03T10:00:00Z',
            merge_commit_sha: MERGE,
            updated_at: '2026-03-03T10:00:00Z',
          }),
        ],
        [
          'push',
          pushEvent(repo, {
            branch: 'main',
            pusher: 'alice',
            after: MERGE,
            commits: ['2026-03-03T10:00:00Z'],
          }),
        ],
        [
          'push',
          pushEvent(repo, {
            branch: 'main',
            pusher: 'carol',
            after: 'e5'.repeat(20),
            commits: ['2026-03-03T11:00:00Z'],
          }),
        ],
        ['pull_request', pullRequestEvent(repo, 'opened', pr8)],
        [
          'check_run',
          checkRunEvent(repo, {
            id: 3,
            name: 'build',
            sha: pr8.head_sha,
            conclusion: 'failure',
            completed_at: '2026-03-04T09:20:00Z',
          }),
        ],
        [
          'pull_request',
          pullRequestEvent(repo, 'closed', {
            ...pr8,
            merged_at: '2026-03-04T11:00:00Z',
            merge_commit_sha: 'f6'.repeat(20),
            updated_at: '2026-03-04T11:00:00Z',
          }),
        ],
      ];
      for (const [event, payload] of deliveries) {
        const res = await send(t, event, payload);
        expect(res.status, res.body).toBe(200);
        expect(res.json.status, `${event}: ${res.json.detail}`).toBe('processed');
      }
      const deployed = await t.call('POST', '/api/v1/deployments', {
        body: {
          service_id: svc.id,
          environment: 'production',
          commit_sha: MERGE,
          status: 'success',
          finished_at: '2026-03-03T12:30:00Z',
        },
      });
      expect(deployed.status, deployed.body).toBe(201);

      const window = 'from=2026-03-01T00:00:00Z&to=2026-03-08T00:00:00Z';
      const list = await t.call('GET', `/api/v1/workflow/pull-requests?service_id=${svc.id}&${window}`);
      expect(list.status, list.body).toBe(200);
      const [p8, p7] = list.json.items;
      expect(p7).toMatchObject({
        repository: 'acme/payments',
        number: 7,
        title: 'Retry the payment client on 503',
        author: 'alice',
        state: 'merged',
        additions: 300,
        deletions: 50,
        changed_files: 6,
        opened_at: '2026-03-02T09:00:00.000Z',
        first_review_at: '2026-03-02T14:00:00.000Z',
        approved_at: '2026-03-03T08:00:00.000Z',
        merged_at: '2026-03-03T10:00:00.000Z',
        review_time_seconds: 4 * H,
        approve_time_seconds: 22 * H,
        merge_time_seconds: 25 * H,
        within_review_target: true,
        merged_without_review: false,
        merged_without_ci: false,
        description: 'ok',
        small: true,
        response_time_seconds: 2 * H,
        cycle: {
          coding_seconds: 18 * H,
          pickup_seconds: 4 * H,
          review_seconds: 18 * H,
          deploy_seconds: 2.5 * H,
        },
      });
      expect(p8).toMatchObject({
        number: 8,
        state: 'merged',
        review_time_seconds: null,
        merge_time_seconds: 2 * H,
        within_review_target: null,
        merged_without_review: true,
        merged_without_ci: true,
        description: 'empty',
        size_lines: 1000,
        small: false,
      });

      const summary = await t.call('GET', `/api/v1/workflow/summary?team_id=${team.id}&${window}`);
      expect(summary.status, summary.body).toBe(200);
      expect(summary.json).toMatchObject({
        targets: { review_target_hours: 24, small_pr_max_lines: 400, branch_max_age_hours: 168 },
        pull_requests: { opened: 2, merged: 2, open: 0 },
        review_time: { count: 1, median_seconds: 4 * H, p90_seconds: 4 * H },
        merge_time: { count: 2, median_seconds: (2 * H + 25 * H) / 2, p90_seconds: 25 * H },
        within_review_target: { reviewed: 1, within: 1, share: 1 },
        size: { small_count: 1, small_share: 0.5, median_lines: 675 },
        merged_without_ci: { count: 1 },
        merged_without_review: { count: 1 },
        descriptions_flagged: 1,
        response_time: { count: 1, median_seconds: 2 * H },
        branches: { lifetime: { count: 1, median_seconds: 43 * H } },
        // One of the two pushes to main is a merge; the team of none is small: trunk-based advised.
        workflow_fit: [
          {
            team_id: team.id,
            team_size: 0,
            advised: 'trunk-based',
            practice: 'trunk-based',
            direct_push_share: 0.5,
            fits: true,
          },
        ],
      });
      expect(summary.json.merged_without_ci.items.map((i: { number: number }) => i.number)).toEqual([8]);
      expect(summary.json.people).toEqual([
        {
          login: 'alice',
          authored: 1,
          merged: 1,
          review_time_received_median_seconds: 4 * H,
          median_size_lines: 350,
          self_reviewed_share: 0,
          response_median_seconds: 2 * H,
          first_reviews_given: 0,
          pickup_given_median_seconds: null,
        },
        {
          login: 'bob',
          authored: 0,
          merged: 0,
          review_time_received_median_seconds: null,
          median_size_lines: null,
          self_reviewed_share: null,
          response_median_seconds: null,
          first_reviews_given: 1,
          pickup_given_median_seconds: 4 * H,
        },
        {
          login: 'carol',
          authored: 1,
          merged: 1,
          review_time_received_median_seconds: null,
          median_size_lines: 1000,
          self_reviewed_share: 0,
          response_median_seconds: null,
          first_reviews_given: 0,
          pickup_given_median_seconds: null,
        },
      ]);

      const branches = await t.call('GET', `/api/v1/workflow/branches?repository=acme/payments&${window}`);
      expect(branches.json.items).toEqual([
        expect.objectContaining({
          name: 'feature/retry',
          owner: 'alice',
          first_commit_at: '2026-03-01T15:00:00.000Z',
          merged_at: '2026-03-03T10:00:00.000Z',
          open: false,
          age_seconds: 43 * H,
          long_lived: false,
          push_count: 2,
          force_push_count: 1,
        }),
      ]);
      const reviews = await t.call('GET', `/api/v1/workflow/reviews?service_id=${svc.id}&${window}`);
      expect(
        reviews.json.items.map((r: { reviewer: string; state: string; number: number }) => [
          r.number,
          r.reviewer,
          r.state,
        ]),
      ).toEqual([
        [7, 'bob', 'approved'],
        [7, 'bob', 'commented'],
      ]);

      // Filters: another repository has nothing; a bad window is a 400 naming the field.
      const other = await t.call('GET', `/api/v1/workflow/pull-requests?repository=acme/other&${window}`);
      expect(other.json.items).toEqual([]);
      const bad = await t.call(
        'GET',
        '/api/v1/workflow/summary?from=2026-03-08T00:00:00Z&to=2026-03-01T00:00:00Z',
      );
      expect(bad.status).toBe(400);
      expect(bad.json.errors[0].path).toBe('query.to');
      // A viewer of another team may not read this team's figures.
      const otherTeam = await t.call('POST', '/api/v1/teams', {
        body: { name: 'elsewhere', time_zone: 'UTC' },
      });
      const viewer = await t.tokenFor('viewer', otherTeam.json.id);
      const denied = await t.call('GET', `/api/v1/workflow/pull-requests?service_id=${svc.id}`, {
        token: viewer,
      });
      expect(denied.status).toBe(403);
      const own = await t.tokenFor('viewer', team.id);
      expect(
        (await t.call('GET', `/api/v1/workflow/summary?service_id=${svc.id}&${window}`, { token: own }))
          .status,
      ).toBe(200);
    });

    it("files a repository's pull requests under DORA's explicit repository mapping first", async () => {
      const t = get();
      // The service whose repository_url names the repository, and the one it is mapped to.
      await service(t, 'mono-by-url', 'https://github.com/acme/mono');
      const mapped = await service(t, 'mono-mapped', 'https://github.com/acme/other');
      const map = await t.call('POST', '/api/v1/repositories', {
        body: { repository_url: 'https://github.com/acme/mono', service_id: mapped.service.id },
      });
      expect(map.status, map.body).toBe(201);
      const repo = { owner: 'acme', name: 'mono', default_branch: 'main' };
      const pr: PrInput = {
        number: 77,
        title: 'Mapped',
        author: 'alice',
        body: 'Goes to the mapped service, not the one with the matching URL.',
        head_ref: 'mapped',
        head_sha: '7e'.repeat(20),
        additions: 3,
        deletions: 1,
        changed_files: 1,
        created_at: '2026-04-01T10:00:00Z',
      };
      const res = await send(t, 'pull_request', pullRequestEvent(repo, 'opened', pr));
      expect(res.status, res.body).toBe(200);
      const list = await t.call(
        'GET',
        `/api/v1/workflow/pull-requests?service_id=${mapped.service.id}&from=2026-04-01T00:00:00Z&to=2026-04-02T00:00:00Z`,
      );
      expect(
        list.json.items.map((i: { number: number; size_lines: number }) => [i.number, i.size_lines]),
      ).toEqual([[77, 4]]);
    });
  },
  { env: { ENGOPS_GITHUB_WEBHOOK_SECRET: SECRET } },
);
