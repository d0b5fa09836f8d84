import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { GITLAB_DIFFS_JOB } from './gitlab-diffs.ts';

const HOOK_TOKEN = 'gitlab-diffs-hook';
const API_TOKEN = 'glpat-diffs-test';
const S1 = '1a'.repeat(20);
const S2 = '2b'.repeat(20);
const S8 = '8c'.repeat(20);
const project = {
  id: 9,
  name: 'ledger',
  path_with_namespace: 'acme/ledger',
  web_url: 'https://gitlab.example.test/acme/ledger',
  default_branch: 'main',
};
const LENA = { id: 1, username: 'lena', name: 'Lena' };

/** Diff entries as `GET /projects/:id/merge_requests/:iid/diffs` returns them (GitLab API docs). */
const file = (over: Record<string, unknown>) => ({
  a_mode: '100644',
  b_mode: '100644',
  new_file: false,
  renamed_file: false,
  deleted_file: false,
  generated_file: false,
  ...over,
});
// !7 at its first head: +5 -3 over 5 files in src/ledger, docs, src/lib and assets; no test.
const page1 = [
  file({
    old_path: 'src/ledger/balance.ts',
    new_path: 'src/ledger/balance.ts',
    diff: '@@ -1,4 +1,5 @@\n import { sum } from "./sum";\n-const a = 1;\n+const a = 2;\n+const b = 3;\n export {};\n',
  }),
  file({
    old_path: 'src/ledger/refund.ts',
    new_path: 'src/ledger/refund.ts',
    new_file: true,
    a_mode: '0',
    diff: '@@ -0,0 +1,3 @@\n+export function refund() {\n+  return 0;\n+}\n\\ No newline at end of file\n',
  }),
];
const page2 = [
  file({
    old_path: 'docs/old.md',
    new_path: 'docs/old.md',
    deleted_file: true,
    b_mode: '0',
    diff: '@@ -1,2 +0,0 @@\n-# Old\n-gone\n',
  }),
  file({ old_path: 'src/util/a.ts', new_path: 'src/lib/a.ts', renamed_file: true, diff: '' }),
  file({ old_path: 'assets/big.json', new_path: 'assets/big.json', too_large: true, diff: '' }),
];
// !7 after a push: the same plus a test file (+4).
const withTest = [
  ...page2,
  file({
    old_path: 'test/ledger/refund.test.ts',
    new_path: 'test/ledger/refund.test.ts',
    new_file: true,
    diff: '@@ -0,0 +1,4 @@\n+import { refund } from "../../src/ledger/refund";\n+it("refunds", () => {\n+  expect(refund()).toBe(0);\n+});\n',
  }),
];
// !8 on a GitLab older than 15.7 (no /diffs): one file, +450 -1.
const big = [
  file({
    old_path: 'src/x.go',
    new_path: 'src/x.go',
    diff: `@@ -1,1 +1,450 @@\n-package old\n${Array.from({ length: 450 }, (_, i) => `+line ${i}`).join('\n')}\n`,
  }),
];

interface Call {
  url: string;
  token: string | undefined;
}
const calls: Call[] = [];
let version = 1;
let api: http.Server;

function recordedGitlab(req: http.IncomingMessage, res: http.ServerResponse) {
  calls.push({ url: req.url ?? '', token: req.headers['private-token'] as string | undefined });
  const url = new URL(req.url ?? '/', 'http://x');
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  const page = url.searchParams.get('page');
  switch (url.pathname) {
    case '/api/v4/projects/acme%2Fledger/merge_requests/7/diffs':
      if (version === 1)
        return page === '1'
          ? json(200, page1, { 'x-next-page': '2', 'x-page': '1' })
          : json(200, page2, { 'x-next-page': '', 'x-page': '2' });
      return page === '1'
        ? json(200, page1, { 'x-next-page': '2', 'x-page': '1' })
        : json(200, withTest, { 'x-next-page': '', 'x-page': '2' });
    case '/api/v4/projects/acme%2Fpayments%2Fsub/merge_requests/2':
      // GET a single merge request (GitLab API docs): the fields engops reads.
      return json(200, {
        id: 902,
        iid: 2,
        author: { id: 1, username: 'lena', name: 'Lena' },
        state: 'opened',
      });
    case '/api/v4/projects/acme%2Fpayments%2Fsub/merge_requests/2/diffs':
    case '/api/v4/projects/acme%2Fpayments%2Fsub/merge_requests/1/diffs':
      return json(200, page2, { 'x-next-page': '' });
    case '/api/v4/projects/acme%2Fledger/merge_requests/8/changes':
      return json(200, { iid: 8, sha: S8, changes: big, overflow: false });
    default:
      return json(404, { message: '404 Not found' });
  }
}

function mrHook(
  iid: number,
  sha: string,
  over: Record<string, unknown> = {},
  where: Record<string, unknown> = project,
) {
  return {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: LENA,
    project: where,
    object_attributes: {
      iid,
      title: `Ledger change ${iid}`,
      description: 'Keeps the ledger balanced when a refund races a capture.',
      state: 'opened',
      source_branch: `feature/ledger-${iid}`,
      target_branch: 'main',
      last_commit: { id: sha },
      author_id: LENA.id,
      url: `https://gitlab.example.test/acme/ledger/-/merge_requests/${iid}`,
      created_at: '2026-03-02 09:00:00 UTC',
      updated_at: '2026-03-02 09:00:00 UTC',
      action: 'open',
      ...over,
    },
  };
}

for (const engine of ENGINES) {
  describe(`workflow: GitLab merge request sizes through the GitLab REST API [${engine}]`, () => {
    let t: TestApp;
    let n = 0;
    beforeAll(async () => {
      api = http.createServer(recordedGitlab);
      await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
      t = await createTestApp(engine, {
        env: {
          ENGOPS_GITLAB_WEBHOOK_TOKEN: HOOK_TOKEN,
          ENGOPS_GITLAB_TOKEN: API_TOKEN,
          ENGOPS_GITLAB_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}/api/v4`,
        },
      });
    });
    afterAll(async () => {
      await t?.close();
      await new Promise<void>((resolve) => api.close(() => resolve()));
    });

    const send = async (payload: unknown) => {
      const res = await t.call('POST', '/webhooks/gitlab', {
        token: null,
        payload: JSON.stringify(payload),
        headers: {
          'content-type': 'application/json',
          'x-gitlab-event': 'Merge Request Hook',
          'x-gitlab-token': HOOK_TOKEN,
          'x-gitlab-event-uuid': `diffs-${engine}-${++n}`,
        },
      });
      expect(res.status, res.body).toBe(200);
    };
    const drain = async () => {
      while ((await t.container.worker.drain()) > 0);
    };
    const items = async () => {
      const list = await t.call(
        'GET',
        '/api/v1/workflow/pull-requests?repository=acme/ledger&from=2026-03-01T00:00:00Z&to=2026-03-05T00:00:00Z',
      );
      expect(list.status, list.body).toBe(200);
      return list.json.items as Array<Record<string, unknown>>;
    };

    it('reads the diffs of each new head commit and measures size, files and the tests focus', async () => {
      calls.length = 0;
      version = 1;
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Ledger', time_zone: 'UTC' } });
      await t.call('POST', '/api/v1/services', {
        body: { name: 'ledger', team_id: team.json.id, repository_url: project.web_url },
      });

      await send(mrHook(7, S1));
      // Stored at once with no size; the diffs are a job.
      expect((await items())[0]).toMatchObject({ number: 7, additions: 0, changed_files: 0 });
      await drain();
      expect(calls).toEqual([
        {
          url: '/api/v4/projects/acme%2Fledger/merge_requests/7/diffs?per_page=100&page=1',
          token: API_TOKEN,
        },
        {
          url: '/api/v4/projects/acme%2Fledger/merge_requests/7/diffs?per_page=100&page=2',
          token: API_TOKEN,
        },
      ]);
      expect((await items())[0]).toMatchObject({
        number: 7,
        additions: 5,
        deletions: 3,
        changed_files: 5,
        size_lines: 8,
        small: true,
        directories_touched: 4,
        tests_touched: false,
        code_without_tests: true,
      });

      // A title edit on the same head reads nothing again.
      await send(
        mrHook(7, S1, { action: 'update', title: 'Balanced', updated_at: '2026-03-02 10:00:00 UTC' }),
      );
      await drain();
      expect(calls).toHaveLength(2);

      // A push (new head): read again; now a test is touched.
      version = 2;
      await send(mrHook(7, S2, { action: 'update', oldrev: S1, updated_at: '2026-03-02 11:00:00 UTC' }));
      await drain();
      expect(calls).toHaveLength(4);
      expect((await items())[0]).toMatchObject({
        number: 7,
        additions: 9,
        deletions: 3,
        changed_files: 6,
        directories_touched: 5,
        tests_touched: true,
        code_without_tests: false,
      });

      // An older GitLab without /diffs: read from /changes.
      await send(
        mrHook(8, S8, { created_at: '2026-03-03 09:00:00 UTC', updated_at: '2026-03-03 09:00:00 UTC' }),
      );
      await drain();
      expect(calls.slice(4).map((c) => c.url)).toEqual([
        '/api/v4/projects/acme%2Fledger/merge_requests/8/diffs?per_page=100&page=1',
        '/api/v4/projects/acme%2Fledger/merge_requests/8/changes',
      ]);
      const [m8] = await items();
      expect(m8).toMatchObject({
        number: 8,
        additions: 450,
        deletions: 1,
        changed_files: 1,
        size_lines: 451,
        small: false,
        directories_touched: 1,
        code_without_tests: true,
      });

      // Both merge requests now count in the size figures: 12 and 451 lines.
      const summary = await t.call(
        'GET',
        '/api/v1/workflow/summary?repository=acme/ledger&from=2026-03-01T00:00:00Z&to=2026-03-05T00:00:00Z',
      );
      expect(summary.status, summary.body).toBe(200);
      expect(summary.json.size).toMatchObject({
        threshold_lines: 400,
        median_lines: 231.5,
        p90_lines: 451,
        small_count: 1,
        small_share: 0.5,
      });
      expect(
        summary.json.size.buckets.map((b: { label: string; count: number }) => `${b.label}:${b.count}`),
      ).toEqual(['XS:1', 'S:0', 'M:0', 'L:1', 'XL:0']);
      expect(summary.json.code_without_tests.count).toBe(1);
      expect(
        await t.container.db
          .selectFrom('jobs')
          .select('status')
          .where('kind', '=', GITLAB_DIFFS_JOB)
          .execute(),
      ).toEqual([{ status: 'done' }, { status: 'done' }, { status: 'done' }]);
    });

    it('reads a subgroup project and filters its merge requests by repository and author', async () => {
      calls.length = 0;
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Payments', time_zone: 'UTC' } });
      const sub = {
        ...project,
        id: 11,
        name: 'sub',
        path_with_namespace: 'acme/payments/sub',
        web_url: 'https://gitlab.example.test/acme/payments/sub',
      };
      await t.call('POST', '/api/v1/services', {
        body: { name: 'payments-sub', team_id: team.json.id, repository_url: sub.web_url },
      });
      await send(mrHook(1, S8, {}, sub));
      await drain();
      expect(calls.map((c) => c.url)).toEqual([
        '/api/v4/projects/acme%2Fpayments%2Fsub/merge_requests/1/diffs?per_page=100&page=1',
      ]);
      const q =
        '/api/v1/workflow/pull-requests?repository=Acme/Payments/Sub&from=2026-03-01T00:00:00Z&to=2026-03-05T00:00:00Z';
      const mine = await t.call('GET', `${q}&author=LENA`);
      expect(mine.status, mine.body).toBe(200);
      // page2: -2 lines in docs, a rename and a too-large file.
      expect(mine.json.items).toEqual([
        expect.objectContaining({
          repository: 'acme/payments/sub',
          number: 1,
          additions: 0,
          deletions: 2,
          changed_files: 3,
        }),
      ]);
      expect((await t.call('GET', `${q}&author=omar`)).json.items).toEqual([]);
      // !2's open event was missed: an update names only its actor (omar), not the author.
      calls.length = 0;
      await send({
        ...mrHook(2, S2, { action: 'update', updated_at: '2026-03-02 12:00:00 UTC' }, sub),
        user: { id: 2, username: 'omar', name: 'Omar' },
      });
      await drain();
      expect(calls.map((c) => c.url)).toEqual([
        '/api/v4/projects/acme%2Fpayments%2Fsub/merge_requests/2/diffs?per_page=100&page=1',
        '/api/v4/projects/acme%2Fpayments%2Fsub/merge_requests/2',
      ]);
      expect(
        (await t.call('GET', `${q}&author=lena`)).json.items.map((i: { number: number }) => i.number),
      ).toEqual([2, 1]);
      const bad = await t.call('GET', '/api/v1/workflow/pull-requests?repository=acme');
      expect(bad.status).toBe(400);
      expect(bad.json.errors[0].path).toBe('query.repository');
    });
  });
}
