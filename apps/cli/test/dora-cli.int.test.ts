import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../test-support/engines.ts';

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

function cli(args: string[], env: Record<string, string>, cwd = repo) {
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

/** The test app's address, listening from the first test of an engine on. */
async function listening(t: TestApp): Promise<string> {
  if (!t.app.server.listening) return t.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
}

describeEachEngine('engops deploy / engops dora', (get) => {
  it('records deployments with the commits since the previous one and prints the metrics', async () => {
    const t = get();
    const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Core', time_zone: 'UTC' } });
    const svc = await t.call('POST', '/api/v1/services', {
      body: { name: 'api', team_id: team.json.id, tier: 'tier-1' },
    });
    expect(svc.status).toBe(201);
    const address = await listening(t);
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
        '--json',
      ],
      env,
    );
    expect(second.code, second.stderr).toBe(0);
    // Inside the checkout the commits go by default: shas[0]..shas[2], the two later commits.
    expect(JSON.parse(second.stdout)).toMatchObject({
      version: '1.1.0',
      commit_count: 2,
      commit_sha: shas[2],
    });
    // --no-commits-from-git, and a run outside any git checkout: the deployment alone, in staging
    // (production's figures below stay those of the two deployments above).
    const staging = [
      'deploy',
      '--service',
      'api',
      '--env',
      'staging',
      '--sha',
      shas[2]!,
      '--status',
      'success',
      '--json',
    ];
    const without = await cli(
      [...staging, '--finished-at', '2026-05-01T12:30:00Z', '--no-commits-from-git'],
      env,
    );
    expect(without.code, without.stderr).toBe(0);
    expect(JSON.parse(without.stdout)).toMatchObject({ environment: 'staging', commit_count: 1 });
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-no-git-'));
    try {
      const elsewhere = await cli([...staging, '--finished-at', '2026-05-01T12:40:00Z'], env, outside);
      expect(elsewhere.code, elsewhere.stderr).toBe(0);
      expect(JSON.parse(elsewhere.stdout)).toMatchObject({ environment: 'staging', commit_count: 1 });
      const required = await cli(
        [...staging, '--finished-at', '2026-05-01T12:50:00Z', '--commits-from-git'],
        env,
        outside,
      );
      expect(required.code).toBe(1);
      expect(required.stderr).toContain('--commits-from-git needs a git checkout');
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }

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
  }, 240_000); // eight CLI processes, each starting tsx

  it('maps, lists and unmaps repositories with engops repository', async () => {
    const t = get();
    const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Edge', time_zone: 'UTC' } });
    const svc = await t.call('POST', '/api/v1/services', {
      body: { name: 'edge-proxy', team_id: team.json.id, tier: 'tier-2' },
    });
    const address = await listening(t);
    const env = { ENGOPS_URL: address, ENGOPS_TOKEN: await t.tokenFor('manager', team.json.id) };
    const url = 'git@github.com:acme/edge.git';

    const mapped = await cli(
      [
        'repository',
        'map',
        url,
        '--service',
        'edge-proxy',
        '--deploy-workflow',
        'release.yml',
        '--deploy-workflow',
        'hotfix.yml',
      ],
      env,
    );
    expect(mapped.code, mapped.stderr).toBe(0);
    expect(mapped.stdout).toBe(`Mapped github.com/acme/edge to service edge-proxy; in ${address}.\n`);
    const again = await cli(
      ['repository', 'map', 'https://github.com/acme/edge', '--service', 'edge-proxy'],
      env,
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('DORA_REPOSITORY_MAPPED');
    const list = await cli(['repository', 'list', '--team', team.json.id, '--json'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).items).toEqual([
      {
        repository_key: 'github.com/acme/edge',
        repository_url: url,
        service_id: svc.json.id,
        deploy_workflows: ['release.yml', 'hotfix.yml'],
        created_at: expect.any(String),
      },
    ]);
    const unmapped = await cli(['repository', 'unmap', 'https://github.com/acme/edge'], env);
    expect(unmapped.code, unmapped.stderr).toBe(0);
    const after = await t.call('GET', `/api/v1/repositories?team_id=${team.json.id}`);
    expect(after.json.items).toEqual([]);
  }, 240_000);
});
