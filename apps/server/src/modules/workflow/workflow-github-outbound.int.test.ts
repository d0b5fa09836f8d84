import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';
import { checkRunEvent, type PrInput, pullRequestEvent } from './github-payloads.ts';

const SECRET = 'outbound-secret';

interface Recorded {
  method: string;
  url: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

/** A stand-in for the GitHub REST API on 127.0.0.1 that records every call (201 to each). */
const calls: Recorded[] = [];
let receiver: http.Server;
let apiUrl = '';
beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'),
      });
      if (req.method === 'GET' && req.url?.startsWith('/api/v3/repos/acme/gate/pulls/12/files')) {
        // The file list: code in two directories, no test.
        const files = [
          { filename: 'src/gate/gate.ts' },
          { filename: 'src/api/routes.ts' },
          { filename: 'README.md' },
        ];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(files));
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/v3`;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

const repo = { owner: 'acme', name: 'gate', default_branch: 'main' };
const HEAD = '9f'.repeat(20);
const pr: PrInput = {
  number: 12,
  title: 'Gate me',
  author: 'alice',
  body: 'Adds the gate so merges need green checks first.',
  head_ref: 'gate',
  head_sha: HEAD,
  additions: 10,
  deletions: 2,
  changed_files: 1,
  created_at: '2026-03-02T09:00:00Z',
};

describeEachEngine(
  'workflow: engops/ci-required status and the reviewer checklist through the GitHub REST API',
  (get) => {
    it('posts the checklist once and the commit status whenever the verdict changes', async () => {
      const t = get();
      calls.length = 0;
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Gate', time_zone: 'UTC' } });
      await t.call('POST', '/api/v1/services', {
        body: { name: 'gate', team_id: team.json.id, repository_url: 'https://github.com/acme/gate' },
      });
      const bad = await t.call('PUT', '/api/v1/workflow/settings/github', {
        body: { api_url: 'ftp://nope', token: 'x', merge_gate: true },
      });
      expect(bad.status).toBe(400);
      expect(bad.json.errors[0].path).toBe('body.api_url');
      const set = await t.call('PUT', '/api/v1/workflow/settings/github', {
        body: { api_url: apiUrl, token: 'ghp_test_token', merge_gate: true, checklist: true },
      });
      expect(set.status, set.body).toBe(200);
      expect(set.json).toMatchObject({
        configured: true,
        api_url: apiUrl,
        token_set: true,
        merge_gate: true,
        checklist: true,
      });
      expect(JSON.stringify((await t.call('GET', '/api/v1/workflow/settings/github')).json)).not.toContain(
        'ghp_test_token',
      );
      const audit = await t.call('GET', '/api/v1/audit-log?action=workflow.settings.github.update');
      expect(audit.json.items).toHaveLength(1);
      expect(JSON.stringify(audit.json.items[0])).not.toContain('ghp_test_token');

      let n = 0;
      const send = async (event: string, payload: unknown) => {
        const body = JSON.stringify(payload);
        const res = await t.call('POST', '/webhooks/github', {
          token: null,
          payload: body,
          headers: {
            'content-type': 'application/json',
            'x-github-event': event,
            'x-github-delivery': `out-${++n}`,
            'x-hub-signature-256': await sign(SECRET, body),
          },
        });
        expect(res.status, res.body).toBe(200);
      };
      const drain = async () => {
        while ((await t.container.worker.drain()) > 0);
      };

      await send('pull_request', pullRequestEvent(repo, 'opened', pr));
      await drain();
      const comment = calls.find((c) => c.url === '/api/v3/repos/acme/gate/issues/12/comments');
      expect(comment?.method).toBe('POST');
      expect(comment?.authorization).toBe('Bearer ghp_test_token');
      expect(String(comment?.body.body)).toContain(
        '- [ ] Correctness\n- [ ] Readability\n- [ ] Tests\n- [ ] Architecture fit',
      );
      const statuses = () =>
        calls.filter((c) => c.url === `/api/v3/repos/acme/gate/statuses/${HEAD}`).map((c) => c.body.state);
      expect(statuses()).toEqual(['pending']);

      await send(
        'check_run',
        checkRunEvent(repo, {
          id: 1,
          name: 'build',
          sha: HEAD,
          conclusion: 'failure',
          completed_at: '2026-03-02T09:10:00Z',
        }),
      );
      await drain();
      await send(
        'check_run',
        checkRunEvent(repo, {
          id: 2,
          name: 'build',
          sha: HEAD,
          conclusion: 'success',
          completed_at: '2026-03-02T09:20:00Z',
        }),
      );
      await drain();
      // engops' own status comes back as a webhook: no new verdict, no new call.
      await send('status', {
        sha: HEAD,
        context: 'engops/ci-required',
        state: 'success',
        created_at: '2026-03-02T09:21:00Z',
        updated_at: '2026-03-02T09:21:00Z',
        repository: pullRequestEvent(repo, 'opened', pr).repository,
      });
      await send(
        'pull_request',
        pullRequestEvent(repo, 'edited', { ...pr, updated_at: '2026-03-02T09:30:00Z' }),
      );
      await drain();
      expect(statuses()).toEqual(['pending', 'failure', 'success']);
      const last = calls.filter((c) => c.url.includes('/statuses/')).at(-1);
      expect(last?.body).toMatchObject({
        context: 'engops/ci-required',
        description: 'Required checks passed',
      });
      expect(calls.filter((c) => c.url.endsWith('/comments'))).toHaveLength(1);

      // The file list fetched once per head commit: code changed without tests is flagged.
      expect(
        calls.filter((c) => c.url.includes('/pulls/12/files')).map((c) => [c.method, c.url, c.authorization]),
      ).toEqual([
        ['GET', '/api/v3/repos/acme/gate/pulls/12/files?per_page=100&page=1', 'Bearer ghp_test_token'],
      ]);
      const list = await t.call(
        'GET',
        '/api/v1/workflow/pull-requests?repository=acme/gate&from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z',
      );
      expect(list.json.items[0]).toMatchObject({
        number: 12,
        directories_touched: 3,
        tests_touched: false,
        code_without_tests: true,
      });
      const summary = await t.call(
        'GET',
        '/api/v1/workflow/summary?repository=acme/gate&from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z',
      );
      expect(summary.json.code_without_tests.count).toBe(1);
    });
  },
  { env: { ENGOPS_GITHUB_WEBHOOK_SECRET: SECRET } },
);
