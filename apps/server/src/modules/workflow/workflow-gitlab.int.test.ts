import { expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';

const TOKEN = 'gitlab-workflow-token';
const H = 3600;
const project = {
  id: 9,
  name: 'ledger',
  path_with_namespace: 'acme/ledger',
  web_url: 'https://gitlab.example.test/acme/ledger',
  git_ssh_url: 'git@gitlab.example.test:acme/ledger.git',
  git_http_url: 'https://gitlab.example.test/acme/ledger.git',
  default_branch: 'main',
};
const S1 = '1a'.repeat(20);
const LENA = { id: 1, username: 'lena', name: 'Lena' };
const OMAR = { id: 2, username: 'omar', name: 'Omar' };

/** A merge request object as GitLab sends it (the fields engops reads), times in GitLab's format. */
function mr(iid: number, over: Record<string, unknown> = {}) {
  // !6 is on a commit no pipeline ran for.
  return {
    iid,
    title: `Ledger change ${iid}`,
    description: 'Keeps the ledger balanced when a refund races a capture.',
    state: 'opened',
    draft: false,
    source_branch: `feature/ledger-${iid}`,
    target_branch: 'main',
    last_commit: { id: iid === 6 ? '6b'.repeat(20) : S1 },
    author_id: LENA.id,
    url: `https://gitlab.example.test/acme/ledger/-/merge_requests/${iid}`,
    created_at: '2026-03-02 09:00:00 UTC',
    updated_at: '2026-03-02 09:00:00 UTC',
    ...over,
  };
}
const mrHook = (
  user: typeof LENA,
  attributes: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) => ({
  object_kind: 'merge_request',
  event_type: 'merge_request',
  user,
  project,
  object_attributes: attributes,
  ...extra,
});

let n = 0;
async function send(
  t: TestApp,
  event: string,
  payload: unknown,
  options: { token?: string; uuid?: string } = {},
) {
  return t.call('POST', '/webhooks/gitlab', {
    token: null,
    payload: JSON.stringify(payload),
    headers: {
      'content-type': 'application/json',
      'x-gitlab-event': event,
      'x-gitlab-token': options.token ?? TOKEN,
      'x-gitlab-event-uuid': options.uuid ?? `gl-${++n}`,
    },
  });
}

describeEachEngine(
  'workflow: GitLab merge request, note, pipeline and push hooks',
  (get) => {
    it('measures a merge request from draft to merge with the payload times', async () => {
      const t = get();
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Ledger', time_zone: 'UTC' } });
      const svc = await t.call('POST', '/api/v1/services', {
        body: {
          name: 'ledger',
          team_id: team.json.id,
          repository_url: 'https://gitlab.example.test/acme/ledger',
        },
      });
      const push = {
        object_kind: 'push',
        ref: 'refs/heads/feature/ledger-5',
        before: '0'.repeat(40),
        after: S1,
        user_username: 'lena',
        project,
        commits: [{ id: S1, timestamp: '2026-03-01T12:00:00+00:00', message: 'balance' }],
      };
      const opened = mr(5, { draft: true, action: 'open' });

      // A wrong token: 401 and nothing stored.
      const forged = await send(t, 'Merge Request Hook', mrHook(LENA, opened, { reviewers: [OMAR] }), {
        token: 'nope',
      });
      expect(forged.status).toBe(401);
      expect(await t.container.db.selectFrom('workflow_pull_requests').selectAll().execute()).toEqual([]);

      const hooks: Array<[string, unknown]> = [
        ['Push Hook', push],
        ['Merge Request Hook', mrHook(LENA, opened, { reviewers: [OMAR] })],
        [
          'Merge Request Hook',
          mrHook(LENA, mr(5, { action: 'update', updated_at: '2026-03-02 11:00:00 UTC' }), {
            changes: { draft: { previous: true, current: false } },
          }),
        ],
        [
          'Note Hook',
          {
            object_kind: 'note',
            user: OMAR,
            project,
            object_attributes: {
              id: 77,
              note: 'Is the refund path covered?',
              noteable_type: 'MergeRequest',
              author_id: OMAR.id,
              created_at: '2026-03-02 15:00:00 UTC',
            },
            merge_request: mr(5, { updated_at: '2026-03-02 15:00:00 UTC' }),
          },
        ],
        [
          'Pipeline Hook',
          {
            object_kind: 'pipeline',
            project,
            object_attributes: {
              id: 3,
              sha: S1,
              status: 'success',
              created_at: '2026-03-02 11:05:00 UTC',
              finished_at: '2026-03-02 11:30:00 UTC',
            },
          },
        ],
        [
          'Merge Request Hook',
          mrHook(OMAR, mr(5, { action: 'approved', updated_at: '2026-03-03 09:00:00 UTC' })),
        ],
        [
          'Merge Request Hook',
          mrHook(
            LENA,
            mr(5, {
              action: 'merge',
              state: 'merged',
              merge_commit_sha: 'ee'.repeat(20),
              updated_at: '2026-03-03 10:00:00 UTC',
            }),
          ),
        ],
        // !6: approved, approval withdrawn, merged without a pipeline.
        ['Merge Request Hook', mrHook(LENA, mr(6, { action: 'open' }))],
        [
          'Merge Request Hook',
          mrHook(OMAR, mr(6, { action: 'approved', updated_at: '2026-03-02 10:00:00 UTC' })),
        ],
        [
          'Merge Request Hook',
          mrHook(OMAR, mr(6, { action: 'unapproved', updated_at: '2026-03-02 10:30:00 UTC' })),
        ],
        [
          'Merge Request Hook',
          mrHook(LENA, mr(6, { action: 'merge', state: 'merged', updated_at: '2026-03-02 12:00:00 UTC' })),
        ],
      ];
      for (const [event, payload] of hooks) {
        const res = await send(t, event, payload);
        expect(res.status, res.body).toBe(200);
        expect(res.json.detail).toContain('workflow:');
      }
      // Without ENGOPS_GITLAB_TOKEN no merge request diffs are read: the size stays unknown.
      expect(
        await t.container.db
          .selectFrom('jobs')
          .select('id')
          .where('kind', '=', 'workflow.gitlab-mr-diffs')
          .execute(),
      ).toEqual([]);
      // The same event UUID again: counted once.
      const before = await t.container.db.selectFrom('workflow_pr_events').selectAll().execute();
      const once = await send(
        t,
        'Merge Request Hook',
        mrHook(LENA, mr(5, { action: 'update', title: 'Renamed', updated_at: '2026-03-02 11:10:00 UTC' })),
        { uuid: 'same-uuid' },
      );
      expect(once.json.status).toBe('processed');
      const twice = await send(
        t,
        'Merge Request Hook',
        mrHook(LENA, mr(5, { action: 'update', title: 'Renamed', updated_at: '2026-03-02 11:10:00 UTC' })),
        { uuid: 'same-uuid' },
      );
      expect(twice.json.status).toBe('duplicate');
      expect(await t.container.db.selectFrom('workflow_pr_events').selectAll().execute()).toHaveLength(
        before.length + 1,
      );

      const list = await t.call(
        'GET',
        `/api/v1/workflow/pull-requests?service_id=${svc.json.id}&from=2026-03-01T00:00:00Z&to=2026-03-05T00:00:00Z`,
      );
      expect(list.status, list.body).toBe(200);
      const [m6, m5] = list.json.items;
      expect(m5).toMatchObject({
        repository: 'acme/ledger',
        number: 5,
        author: 'lena',
        state: 'merged',
        opened_at: '2026-03-02T09:00:00.000Z',
        review_start_at: '2026-03-02T11:00:00.000Z',
        first_review_at: '2026-03-02T15:00:00.000Z',
        approved_at: '2026-03-03T09:00:00.000Z',
        merged_at: '2026-03-03T10:00:00.000Z',
        review_time_seconds: 4 * H,
        approve_time_seconds: 22 * H,
        merge_time_seconds: 25 * H,
        within_review_target: true,
        merged_without_review: false,
        merged_without_ci: false,
        cycle: { coding_seconds: 21 * H },
      });
      expect(m6).toMatchObject({
        number: 6,
        author: 'lena',
        merged_without_review: true,
        merged_without_ci: true,
        merge_time_seconds: 3 * H,
      });
      // Logins are case-insensitive: omar's note on !5, his approval of !5 and of !6 (later withdrawn).
      const reviews = await t.call(
        'GET',
        `/api/v1/workflow/reviews?service_id=${svc.json.id}&reviewer=OMAR&from=2026-03-01T00:00:00Z&to=2026-03-05T00:00:00Z`,
      );
      expect(reviews.status, reviews.body).toBe(200);
      expect(
        reviews.json.items.map((r: { number: number; state: string; submitted_at: string }) => [
          r.number,
          r.state,
          r.submitted_at,
        ]),
      ).toEqual([
        [5, 'approved', '2026-03-03T09:00:00.000Z'],
        [5, 'commented', '2026-03-02T15:00:00.000Z'],
        [6, 'approved', '2026-03-02T10:00:00.000Z'],
      ]);
      const branches = await t.call(
        'GET',
        `/api/v1/workflow/branches?service_id=${svc.json.id}&from=2026-03-01T00:00:00Z&to=2026-03-05T00:00:00Z`,
      );
      expect(branches.json.items).toEqual([
        expect.objectContaining({
          name: 'feature/ledger-5',
          owner: 'lena',
          first_commit_at: '2026-03-01T12:00:00.000Z',
          merged_at: '2026-03-03T10:00:00.000Z',
          age_seconds: 46 * H,
        }),
      ]);
    });
  },
  { env: { ENGOPS_GITLAB_WEBHOOK_TOKEN: TOKEN } },
);
