import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';
import { parseValues } from './release-commands.ts';

/** `engops release ...` as a pipeline runs it: the real CLI spawned against a real server on 127.0.0.1. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
const BIN = path.join(ROOT, 'apps/cli/bin/engops.js');
const SHA = '0123456789abcdef0123456789abcdef01234567';

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

it('parses values separated by commas, spaces and lines', () => {
  expect(parseValues('1, 2.5\n3;4 \n')).toEqual([1, 2.5, 3, 4]);
  expect(() => parseValues('1,x')).toThrow(/"x" is not a number/);
});

describeEachEngine('engops release', (get) => {
  it('creates a release, reports stages in order, pushes samples in chunks and judges the canary', async () => {
    const t = get();
    const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Core', time_zone: 'UTC' } });
    await t.call('POST', '/api/v1/services', { body: { name: 'api', team_id: team.json.id } });
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const env = { ENGOPS_URL: address, ENGOPS_TOKEN: await t.tokenFor('responder', team.json.id) };

    const created = await cli(['release', 'create', 'api', '4.2.0', '--sha', SHA, '--quiet'], env);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const id = created.stdout.trim();
    expect(id).toMatch(/^rel_/);
    const early = await cli(['release', 'stage', id, 'canary', 'started'], env);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain(
      'RELEASES_STAGE_OUT_OF_ORDER: Stage canary needs ci to succeed first (ci is pending).',
    );
    const bad = await cli(['release', 'stage', id, 'ci', 'done'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('HTTP_VALIDATION_FAILED');
    const override = await cli(
      ['release', 'stage', id, 'canary', 'started', '--override-reason', 'urgent fix'],
      env,
    );
    expect(override.code).toBe(1);
    expect(override.stderr).toContain('AUTH_FORBIDDEN');

    for (const stage of ['ci', 'staging']) {
      const res = await cli(['release', 'stage', id, stage, 'succeeded', '--details', '{"run":"42"}'], env);
      expect(res.code, res.stderr).toBe(0);
    }
    const canary = await cli(['release', 'stage', id, 'canary', 'started'], env);
    expect(canary.stdout).toBe(
      `Release ${id} 4.2.0: canary started; now in_progress (ci:succeeded staging:succeeded canary:started production:pending monitor:pending).\n`,
    );

    // 25,000 canary samples from a file: three requests of at most 10,000. Canary values are
    // 1..25000 shifted up by 100000, baseline 1..12 : every canary value is above every baseline one.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-release-'));
    const file = path.join(dir, 'canary.txt');
    fs.writeFileSync(file, Array.from({ length: 25_000 }, (_, i) => String(100_000 + i)).join('\n'));
    const pushed = await cli(
      ['release', 'metrics', id, '--group', 'canary', '--metric', 'latency_ms', '--file', file],
      env,
    );
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toBe('Pushed 25000 canary values of latency_ms; 25000 in all.\n');
    const base = await cli(
      [
        'release',
        'metrics',
        id,
        '--group',
        'baseline',
        '--metric',
        'latency_ms',
        '--values',
        '1,2,3,4,5,6,7,8,9,10,11,12',
      ],
      env,
    );
    expect(base.stdout).toBe('Pushed 12 baseline values of latency_ms; 12 in all.\n');
    const neither = await cli(['release', 'metrics', id, '--group', 'canary', '--metric', 'x'], env);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toContain('give exactly one of --values and --file');
    const samples = await t.call('GET', `/api/v1/releases/${id}/metrics`);
    expect(samples.json.metrics[0].canary).toHaveLength(25_000);
    expect(samples.json.metrics[0].canary[24_999]).toBe(124_999);

    // Fully separated: U = 25000 * 12 = 300000, far beyond the tolerance: high, score 0.
    const judged = await cli(['release', 'judge', id, '--gate', '--json'], env);
    expect(judged.code).toBe(3);
    expect(JSON.parse(judged.stdout)).toMatchObject({
      score: 0,
      verdict: 'rollback',
      metrics: [{ metric: 'latency_ms', classification: 'high', u: 300_000, method: 'normal' }],
    });
    const page = await cli(['release', 'judge', id], env);
    expect(page.code).toBe(0);
    expect(page.stdout.split('\n')[0]).toBe('Canary score 0 of 100: rollback.');
    expect(page.stdout).toMatch(/latency_ms\s+high\s+U 300000, p /);
    fs.rmSync(dir, { recursive: true, force: true });

    // Whoever created a release cannot approve it; a rollback needs a production deployment.
    const self = await cli(['release', 'approve', id, 'production'], env);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('RELEASES_SELF_APPROVAL');
    for (const stage of ['canary', 'production'])
      await t.call('POST', `/api/v1/releases/${id}/stages/${stage}`, {
        body: { status: 'succeeded', override: { reason: 'test' } },
      });
    const rolled = await cli(['release', 'rollback', id, '--reason', 'p99 doubled'], env);
    expect(rolled.stderr).toBe('');
    expect(rolled.stdout).toBe(`Release ${id} 4.2.0 is harmful; the rollback runs as a job.\n`);
    await t.container.worker.drain();
    expect((await t.call('GET', `/api/v1/releases/${id}`)).json.status).toBe('rolled_back');
    // Each spawn starts a CLI process (about 2 s on a busy machine).
  }, 300_000);
});
