import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';

/** `engops postmortem ...` as a terminal or pipeline runs it: the real CLI against a real server. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
const BIN = path.join(ROOT, 'apps/cli/bin/engops.js');

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

/** A GitHub stand-in: creates issues; answers 401 while `refuse` names the issue title. */
let github: http.Server;
let githubUrl = '';
const created: string[] = [];
let refuse = '';

beforeAll(async () => {
  github = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { title?: string };
      if (body.title === refuse) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end('{"message":"Bad credentials"}');
      }
      created.push(body.title ?? '');
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          number: created.length,
          html_url: `https://gh.example.test/acme/ops/issues/${created.length}`,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => github.listen(0, '127.0.0.1', resolve));
  githubUrl = `http://127.0.0.1:${(github.address() as AddressInfo).port}`;
});
afterAll(async () => {
  github.closeAllConnections();
  await new Promise<void>((resolve) => github.close(() => resolve()));
});

describeEachEngine('engops postmortem', (get) => {
  it('exports action items with a retry that files nothing twice, searches, and lists overdue items', async () => {
    const t = get();
    created.length = 0;
    const team = (await t.call('POST', '/api/v1/teams', { body: { name: 'Ops', time_zone: 'UTC' } })).json.id;
    const service = (await t.call('POST', '/api/v1/services', { body: { name: 'queue', team_id: team } }))
      .json.id;
    const user = (
      await t.call('POST', '/api/v1/users', { body: { name: 'Olu Ade', email: 'olu@example.test' } })
    ).json.id;
    const inc = (
      await t.call('POST', '/api/v1/incidents', {
        body: { service_id: service, title: 'Queue stall', severity: 'SEV2' },
      })
    ).json.id;
    await t.call('POST', `/api/v1/incidents/${inc}/resolve`);
    const pm = (await t.call('POST', `/api/v1/incidents/${inc}/postmortem`)).json;
    await t.call('PUT', `/api/v1/postmortems/${pm.id}`, {
      body: {
        markdown: `${pm.markdown}\nThe consumer heartbeat stalled behind a poison message.\n`,
        version: 1,
      },
    });
    for (const [title, due] of [
      ['Dead-letter poison messages', '2020-02-01'],
      ['Alert on consumer lag', '2999-01-01'],
    ] as const) {
      const res = await t.call('POST', `/api/v1/postmortems/${pm.id}/action-items`, {
        body: { title, owner_id: user, due_date: due },
      });
      expect(res.status).toBe(201);
    }
    await t.call('PUT', '/api/v1/postmortems/settings/github', {
      body: { api_url: githubUrl, token: 'ghp_cli', default_repo: 'acme/ops' },
    });
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const env = { ENGOPS_URL: address, ENGOPS_TOKEN: await t.tokenFor('responder', team) };

    // One item is refused: exit 1, the reason printed, the other exported.
    refuse = 'Alert on consumer lag';
    const first = await cli(['postmortem', 'export-items', pm.id, '--json'], env);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('error: 1 of 2 action item(s) could not be exported');
    const outcomes = JSON.parse(first.stdout) as Array<{
      title: string;
      outcome: string;
      issue: string;
      error?: string;
    }>;
    expect(outcomes.map((o) => [o.title, o.outcome])).toEqual([
      ['Dead-letter poison messages', 'exported'],
      ['Alert on consumer lag', 'failed'],
    ]);
    expect(outcomes[1]!.error).toBe(
      'Exporting to acme/ops failed: GitHub answered 401: Bad credentials (check the token)',
    );
    // Again once GitHub accepts: the exported one is kept, the failed one filed; nothing twice.
    refuse = '';
    const second = await cli(['postmortem', 'export-items', pm.id], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('already   https://gh.example.test/acme/ops/issues/1');
    expect(second.stdout).toContain('exported  https://gh.example.test/acme/ops/issues/2');
    expect(created).toEqual(['Dead-letter poison messages', 'Alert on consumer lag']);

    const found = await cli(['postmortem', 'search', 'poison', 'heartbeat'], env);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout.split('\n')[0]).toBe(`${pm.id}  draft      Queue stall`);
    expect(found.stdout).toContain('poison message');
    const none = await cli(['postmortem', 'search', 'zeppelin'], env);
    expect(none.stdout).toBe('No postmortem matches zeppelin.\n');

    const overdue = await cli(['postmortem', 'overdue', '--team', team, '--fail'], env);
    expect(overdue.code).toBe(1);
    const rows = overdue.stdout.trim().split('\n');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toContain('2020-02-01  open');
    expect(rows[1]).toContain('Dead-letter poison messages');
    const invalid = await cli(['postmortem', 'overdue', '--owner', 'x'.repeat(70)], env);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('error: HTTP_VALIDATION_FAILED');
  }, 120_000);
});
