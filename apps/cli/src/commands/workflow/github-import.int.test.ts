import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';

/**
 * `engops import github` against a local HTTP server that serves recorded GitHub REST responses
 * (two list pages, one merged and one open pull request), interrupted once and resumed.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
const BIN = path.join(ROOT, 'apps/cli/bin/engops.js');
const H = 3600;
const A = 'aa'.repeat(20);
const B = 'bb'.repeat(20);

function cli(args: string[], env: Record<string, string>, cwd: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ENGOPS_')) clean[k] = v;
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...clean, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const user = (login: string) => ({ login, id: login.length, type: 'User' });
const repository = {
  id: 7,
  name: 'shop',
  full_name: 'acme/shop',
  html_url: 'https://github.com/acme/shop',
  clone_url: 'https://github.com/acme/shop.git',
  default_branch: 'main',
};
const detail = (n: number, over: Record<string, unknown>) => ({
  number: n,
  title: `Change ${n}`,
  user: user('alice'),
  body: 'Explains what changes and why the shop needs it.',
  html_url: `https://github.com/acme/shop/pull/${n}`,
  draft: false,
  base: { ref: 'main', sha: '0'.repeat(40) },
  merge_commit_sha: null,
  ...over,
});

/** Recorded responses by path (query included); PR 2's detail fails once with 502. */
function recorded(base: string): Record<string, { body: unknown; link?: string }> {
  const list = '/api/v3/repos/acme/shop/pulls?state=all&sort=created&direction=asc&per_page=100';
  return {
    '/api/v3/repos/acme/shop': { body: repository },
    [list]: {
      body: [{ number: 1 }],
      link: `<${base}${list}&page=2>; rel="next", <${base}${list}&page=2>; rel="last"`,
    },
    [`${list}&page=2`]: { body: [{ number: 2 }] },
    '/api/v3/repos/acme/shop/pulls/1': {
      body: detail(1, {
        state: 'closed',
        head: { ref: 'feat-a', sha: A },
        additions: 200,
        deletions: 40,
        changed_files: 4,
        created_at: '2026-05-04T09:00:00Z',
        updated_at: '2026-05-05T10:00:00Z',
        closed_at: '2026-05-05T10:00:00Z',
        merged_at: '2026-05-05T10:00:00Z',
        merge_commit_sha: 'cc'.repeat(20),
      }),
    },
    '/api/v3/repos/acme/shop/issues/1/events?per_page=100': {
      body: [
        {
          id: 11,
          event: 'review_requested',
          created_at: '2026-05-04T10:00:00Z',
          actor: user('alice'),
          requested_reviewer: user('bob'),
        },
        { id: 12, event: 'merged', created_at: '2026-05-05T10:00:00Z', actor: user('alice') },
        { id: 13, event: 'closed', created_at: '2026-05-05T10:00:00Z', actor: user('alice') },
      ],
    },
    '/api/v3/repos/acme/shop/pulls/1/reviews?per_page=100': {
      body: [
        {
          id: 101,
          user: user('bob'),
          state: 'COMMENTED',
          submitted_at: '2026-05-04T13:00:00Z',
          commit_id: A,
        },
        { id: 102, user: user('bob'), state: 'APPROVED', submitted_at: '2026-05-05T08:00:00Z', commit_id: A },
      ],
    },
    '/api/v3/repos/acme/shop/pulls/1/comments?per_page=100': {
      body: [{ id: 201, user: user('bob'), body: 'Why here?', created_at: '2026-05-04T13:00:00Z' }],
    },
    '/api/v3/repos/acme/shop/pulls/1/commits?per_page=100': {
      body: [{ sha: A, commit: { committer: { date: '2026-05-03T09:00:00Z' } } }],
    },
    [`/api/v3/repos/acme/shop/commits/${A}/check-runs?per_page=100`]: {
      body: {
        total_count: 1,
        check_runs: [
          {
            id: 301,
            name: 'build',
            head_sha: A,
            status: 'completed',
            conclusion: 'success',
            started_at: '2026-05-04T09:10:00Z',
            completed_at: '2026-05-04T09:20:00Z',
          },
        ],
      },
    },
    [`/api/v3/repos/acme/shop/commits/${A}/statuses?per_page=100`]: { body: [] },
    '/api/v3/repos/acme/shop/pulls/2': {
      body: detail(2, {
        state: 'open',
        head: { ref: 'feat-b', sha: B },
        additions: 30,
        deletions: 5,
        changed_files: 1,
        created_at: '2026-05-06T09:00:00Z',
        updated_at: '2026-05-06T15:00:00Z',
        closed_at: null,
        merged_at: null,
      }),
    },
    '/api/v3/repos/acme/shop/issues/2/events?per_page=100': {
      body: [{ id: 21, event: 'ready_for_review', created_at: '2026-05-06T12:00:00Z', actor: user('alice') }],
    },
    '/api/v3/repos/acme/shop/pulls/2/reviews?per_page=100': {
      body: [
        {
          id: 103,
          user: user('carol'),
          state: 'CHANGES_REQUESTED',
          submitted_at: '2026-05-06T15:00:00Z',
          commit_id: B,
        },
      ],
    },
    '/api/v3/repos/acme/shop/pulls/2/comments?per_page=100': { body: [] },
    '/api/v3/repos/acme/shop/pulls/1/files?per_page=100': {
      body: [{ filename: 'src/cart/total.ts' }, { filename: 'src/cart/total.test.ts' }],
    },
    '/api/v3/repos/acme/shop/pulls/2/files?per_page=100': { body: [{ filename: 'src/cart/tax.ts' }] },
    '/api/v3/repos/acme/shop/pulls/2/commits?per_page=100': {
      body: [{ sha: B, commit: { committer: { date: '2026-05-06T08:00:00Z' } } }],
    },
    [`/api/v3/repos/acme/shop/commits/${B}/check-runs?per_page=100`]: {
      body: { total_count: 0, check_runs: [] },
    },
    [`/api/v3/repos/acme/shop/commits/${B}/statuses?per_page=100`]: {
      body: [
        {
          id: 401,
          context: 'ci/legacy',
          state: 'failure',
          created_at: '2026-05-06T09:30:00Z',
          updated_at: '2026-05-06T09:30:00Z',
        },
      ],
    },
  };
}

const requests: string[] = [];
let failPr2 = true;
let server: http.Server;
let apiUrl = '';
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    if (req.headers.authorization !== 'Bearer gh-recorded-token') {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Bad credentials"}');
      return;
    }
    if (url === '/api/v3/repos/acme/shop/pulls/2' && failPr2) {
      failPr2 = false;
      res.writeHead(502).end();
      return;
    }
    const hit = recorded(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)[url];
    if (!hit) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json', ...(hit.link ? { link: hit.link } : {}) })
      .end(JSON.stringify(hit.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describeEachEngine('engops import github', (get) => {
  it('imports the recorded history, resumes after a failure and counts nothing twice', async () => {
    const t = get();
    requests.length = 0;
    failPr2 = true;
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-gh-import-'));
    const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Shop', time_zone: 'UTC' } });
    const svc = await t.call('POST', '/api/v1/services', {
      body: { name: 'shop', team_id: team.json.id, repository_url: 'git@github.com:acme/shop.git' },
    });
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const env = { ENGOPS_URL: address, ENGOPS_TOKEN: t.adminToken, ENGOPS_GITHUB_TOKEN: 'gh-recorded-token' };
    const args = ['import', 'github', '--repo', 'acme/shop', '--api-url', apiUrl];

    const first = await cli(args, env, cwd);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('HTTP 502');
    expect(first.stderr).toContain('run the same command again to resume');
    const state = JSON.parse(fs.readFileSync(path.join(cwd, '.engops-import-acme-shop.json'), 'utf8'));
    expect(state).toMatchObject({ repo: 'acme/shop', next_page: null, numbers: [1, 2], done: [1] });

    requests.length = 0;
    const second = await cli(args, env, cwd);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Imported 2 pull requests of acme/shop');
    // Resumed: neither the list pages nor pull request 1 were read again.
    expect(requests.filter((r) => r.includes('/pulls?') || r.includes('/pulls/1'))).toEqual([]);

    const window = 'from=2026-05-01T00:00:00Z&to=2026-05-10T00:00:00Z';
    const list = await t.call('GET', `/api/v1/workflow/pull-requests?service_id=${svc.json.id}&${window}`);
    const [p2, p1] = list.json.items;
    expect(p1).toMatchObject({
      number: 1,
      state: 'merged',
      additions: 200,
      deletions: 40,
      changed_files: 4,
      review_start_at: '2026-05-04T10:00:00.000Z',
      first_review_at: '2026-05-04T13:00:00.000Z',
      approved_at: '2026-05-05T08:00:00.000Z',
      review_time_seconds: 3 * H,
      approve_time_seconds: 22 * H,
      merge_time_seconds: 25 * H,
      within_review_target: true,
      merged_without_ci: false,
      merged_without_review: false,
      cycle: { coding_seconds: 24 * H },
      directories_touched: 1,
      tests_touched: true,
      code_without_tests: false,
    });
    expect(p2).toMatchObject({
      number: 2,
      state: 'open',
      review_start_at: '2026-05-06T12:00:00.000Z',
      review_time_seconds: 3 * H,
      waiting_for_review: false,
      code_without_tests: true,
    });
    const audit = await t.call('GET', '/api/v1/audit-log?action=workflow.import&limit=200');
    expect(audit.json.items.length).toBeGreaterThan(5);

    // From scratch again (no state file): everything is already known.
    fs.rmSync(path.join(cwd, '.engops-import-acme-shop.json'));
    const again = await cli([...args, '--json'], env, cwd);
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout);
    expect(summary).toMatchObject({ pull_requests: 2, processed: 0 });
    expect(summary.duplicate).toBeGreaterThan(5);

    const denied = await cli(args, { ...env, ENGOPS_GITHUB_TOKEN: 'wrong' }, cwd);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('HTTP 401');
    fs.rmSync(cwd, { recursive: true, force: true });
    // Each spawn may first rebuild the CLI bundle: allow more than the default minute.
  }, 180_000);
});
