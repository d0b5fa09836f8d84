import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../../test-support/engines.ts';

/**
 * `engops deploy` and `engops dora` as a pipeline runs them: the real CLI spawned against a real
 * server on 127.0.0.1, inside a git checkout the test builds with known commit times.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'apps/cli/bin/engops.js');

let repo: string;
const shas: string[] = [];

function git(args: string[], date?: string): string {
  return execFileSync('git', args, {
    cwd: repo,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.test',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.test',
      ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}),
    },
  })
    .toString()
    .trim();
}

beforeAll(() => {
  repo = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-dora-git-'));
  git(['init', '-q', '-b', 'main']);
  const times = ['2026-05-01T08:00:00Z', '2026-05-01T09:00:00Z', '2026-05-01T11:00:00Z'];
  for (const [i, at] of times.entries()) {
    fs.writeFileSync(path.join(repo, 'file.txt'), `v${i}\n`);
    git(['add', 'file.txt']);
    git(['commit', '-q', '-m', `change ${i}`], at);
    shas.push(git(['rev-parse', 'HEAD']));
  }
});
afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ENGOPS_')) clean[k] = v;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: repo, env: { ...clean, ...env } });
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

describeEachEngine('engops deploy / engops dora', (get) => {
  it('records deployments with the commits since the previous one and prints the metrics', async () => {
    const t = get();
    const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Core', time_zone: 'UTC' } });
    const svc = await t.call('POST', '/api/v1/services', {
      body: { name: 'api', team_id: team.json.id, tier: 'tier-1' },
    });
    expect(svc.status).toBe(201);
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const env = { ENGOPS_URL: address, ENGOPS_TOKEN: await t.tokenFor('responder', team.json.id) };

    const first = await cli(
      [
        'deploy',
        '--service',
        'api',
        '--sha',
        shas[0]!,
        '--status',
        'success',
        '--finished-at',
        '2026-05-01T10:00:00Z',
        '--commits-from-git',
      ],
      env,
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('1 commits');
    const second = await cli(
      [
        'deploy',
        '--service',
        'api',
        '--sha',
        shas[2]!,
        '--status',
        'success',
        '--release',
        '1.1.0',
        '--finished-at',
        '2026-05-01T12:00:00Z',
        '--commits-from-git',
        '--json',
      ],
      env,
    );
    expect(second.code, second.stderr).toBe(0);
    // shas[0]..shas[2]: the two later commits.
    expect(JSON.parse(second.stdout)).toMatchObject({
      version: '1.1.0',
      commit_count: 2,
      commit_sha: shas[2],
    });

    const bad = await cli(['deploy', '--service', 'api', '--sha', 'xyz', '--status', 'ok'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('body.status (--status)');

    // Lead times: 2 h (first), 3 h and 1 h (second) -> median 2 h.
    const json = await cli(
      [
        'dora',
        '--service',
        'api',
        '--from',
        '2026-05-01T00:00:00Z',
        '--to',
        '2026-05-02T00:00:00Z',
        '--json',
      ],
      env,
    );
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).lead_time).toMatchObject({
      median_seconds: 7200,
      p90_seconds: 10800,
      changes: 3,
    });
    const text = await cli(
      ['dora', '--service', 'api', '--from', '2026-05-01T00:00:00Z', '--to', '2026-05-02T00:00:00Z'],
      env,
    );
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Deployment frequency  2.00 per day (2 successful)  Elite');
    expect(text.stdout).toContain('lead time median 2 hours: High; Elite needs under 1 hour');
  });
});
