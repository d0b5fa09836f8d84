import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sign } from '@octokit/webhooks-methods';
import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';
import { pullRequestEvent, reviewEvent } from '../../../../server/src/modules/workflow/github-payloads.ts';

/** `engops workflow summary` spawned against a real server on 127.0.0.1 fed signed deliveries. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
const BIN = path.join(ROOT, 'apps/cli/bin/engops.js');
const SECRET = 'cli-workflow-secret';

function cli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ENGOPS_')) clean[k] = v;
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...clean, ...env } });
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

describeEachEngine(
  'engops workflow summary',
  (get) => {
    it('prints the review time against the target and the waiting queue; rejects a bad window', async () => {
      const t = get();
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Core', time_zone: 'UTC' } });
      await t.call('POST', '/api/v1/services', {
        body: { name: 'api', team_id: team.json.id, repository_url: 'https://github.com/core/api' },
      });
      const repo = { owner: 'core', name: 'api' };
      const pr = (number: number, created: string) => ({
        number,
        title: `PR ${number}`,
        author: 'ann',
        body: 'Adds the thing the customers asked for, with tests.',
        head_ref: `b${number}`,
        head_sha: String(number).repeat(40),
        additions: 100,
        deletions: 20,
        changed_files: 3,
        created_at: created,
      });
      let n = 0;
      for (const [event, payload] of [
        ['pull_request', pullRequestEvent(repo, 'opened', pr(1, '2026-04-01T08:00:00Z'))],
        [
          'pull_request_review',
          reviewEvent(repo, pr(1, '2026-04-01T08:00:00Z'), {
            id: 1,
            reviewer: 'ben',
            state: 'approved',
            submitted_at: '2026-04-01T14:00:00Z',
          }),
        ],
        ['pull_request', pullRequestEvent(repo, 'opened', pr(2, '2026-04-02T08:00:00Z'))],
        [
          'pull_request',
          pullRequestEvent(
            repo,
            'review_requested',
            { ...pr(2, '2026-04-02T08:00:00Z'), updated_at: '2026-04-02T09:00:00Z' },
            { requested_reviewer: 'cat' },
          ),
        ],
      ] as const) {
        const body = JSON.stringify(payload);
        const res = await t.call('POST', '/webhooks/github', {
          token: null,
          payload: body,
          headers: {
            'content-type': 'application/json',
            'x-github-event': event,
            'x-github-delivery': `cli-${++n}`,
            'x-hub-signature-256': await sign(SECRET, body),
          },
        });
        expect(res.status).toBe(200);
      }
      const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
      const env = { ENGOPS_URL: address, ENGOPS_TOKEN: await t.tokenFor('viewer', team.json.id) };
      const out = await cli(
        [
          'workflow',
          'summary',
          '--team',
          team.json.id,
          '--from',
          '2026-04-01T00:00:00Z',
          '--to',
          '2026-04-03T00:00:00Z',
        ],
        env,
      );
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      const lines = out.stdout.split('\n');
      expect(lines).toContain('Pull requests: 2 opened, 0 merged, 2 open');
      expect(lines).toContain(
        'Review time:   median 6 h, p90 6 h (1); first review within 24 h: 100% (1 of 1)',
      );
      expect(lines).toContain('Waiting for review:');
      expect(out.stdout).toMatch(/core\/api#2\s+ann\s+cat\s+2026-04-02T09:00:00.000Z/);

      const json = await cli(
        [
          'workflow',
          'summary',
          '--service',
          'api',
          '--from',
          '2026-04-01T00:00:00Z',
          '--to',
          '2026-04-03T00:00:00Z',
          '--json',
        ],
        env,
      );
      expect(JSON.parse(json.stdout).review_time).toEqual({
        count: 1,
        median_seconds: 6 * 3600,
        p90_seconds: 6 * 3600,
      });

      const bad = await cli(
        ['workflow', 'summary', '--from', '2026-04-03T00:00:00Z', '--to', '2026-04-01T00:00:00Z'],
        env,
      );
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('--to');
    }, 180_000);

    it('links, lists and unlinks code-host logins by email; a bad login names the argument', async () => {
      const t = get();
      const user = await t.call('POST', '/api/v1/users', {
        body: { email: 'lin@example.test', name: 'Lin', role: 'viewer' },
      });
      expect(user.status).toBe(201);
      const address = t.app.server.listening
        ? `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`
        : await t.app.listen({ port: 0, host: '127.0.0.1' });
      const env = { ENGOPS_URL: address, ENGOPS_TOKEN: t.adminToken };

      const linked = await cli(['workflow', 'link', 'Lin-GH', '--user', 'lin@example.test'], env);
      expect(linked.stderr).toBe('');
      expect(linked.stdout).toBe(`Linked github login lin-gh to lin@example.test (${address}).\n`);
      const gitlab = await cli(
        ['workflow', 'link', 'lin.l', '--provider', 'gitlab', '--user', user.json.id],
        env,
      );
      expect(gitlab.code).toBe(0);
      expect((await t.call('GET', '/api/v1/workflow/identities')).json.items).toEqual([
        expect.objectContaining({ provider: 'github', login: 'lin-gh', user_id: user.json.id }),
        expect.objectContaining({ provider: 'gitlab', login: 'lin.l', user_id: user.json.id }),
      ]);
      const list = await cli(['workflow', 'logins'], env);
      expect(list.stdout).toMatch(/github\s+lin-gh\s+lin@example\.test/);
      expect(list.stdout).toMatch(/gitlab\s+lin\.l\s+lin@example\.test/);

      const bad = await cli(['workflow', 'link', 'lin l', '--user', 'lin@example.test'], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('body.login (<login>)');
      const nobody = await cli(['workflow', 'link', 'x', '--user', 'nobody@example.test'], env);
      expect(nobody.code).toBe(1);
      expect(nobody.stderr).toContain('CATALOG_USER_NOT_FOUND');
      // A viewer may not link.
      const viewer = await cli(['workflow', 'link', 'y', '--user', user.json.id], {
        ...env,
        ENGOPS_TOKEN: await t.tokenFor('viewer'),
      });
      expect(viewer.stderr).toContain('AUTH_FORBIDDEN');

      const unlinked = await cli(['workflow', 'unlink', 'LIN-GH'], env);
      expect(unlinked.stdout).toBe(`Unlinked github login lin-gh (${address}).\n`);
      expect(
        (await t.call('GET', '/api/v1/workflow/identities')).json.items.map(
          (i: { login: string }) => i.login,
        ),
      ).toEqual(['lin.l']);
    }, 180_000);
  },
  { env: { ENGOPS_GITHUB_WEBHOOK_SECRET: SECRET } },
);
