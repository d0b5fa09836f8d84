import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';

/** `engops flag ...` as a terminal or pipeline runs it: the real CLI spawned against a real server. */
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

describeEachEngine('engops flag', (get) => {
  it('flips the kill switch, moves flags between environments and makes SDK tokens', async () => {
    const t = get();
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const env = { ENGOPS_URL: address, ENGOPS_TOKEN: await t.tokenFor('manager') };
    await t.call('POST', '/api/v1/flags', { body: { key: 'cli.checkout' } });
    await t.call('PATCH', '/api/v1/flags/cli.checkout/environments/production', {
      body: {
        enabled: true,
        strategies: [
          { name: 'flexibleRollout', parameters: { rollout: '25', stickiness: 'default', groupId: 'cli' } },
        ],
      },
    });
    await t.call('POST', '/api/v1/flags', { body: { key: 'cli.search' } });

    const list = await cli(['flag', 'list', '--env', 'production'], env);
    expect(list.code, list.stderr).toBe(0);
    const rows = list.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^KEY\s+TYPE\s+PRODUCTION$/);
    expect(rows.slice(1).map((r) => r.split(/\s{2,}/))).toEqual([
      ['cli.checkout', 'boolean', 'on 25%'],
      ['cli.search', 'boolean', 'off'],
    ]);

    // The kill switch, then on again.
    const off = await cli(['flag', 'off', 'cli.checkout', '--env', 'production'], env);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toBe(`cli.checkout is off in production; in ${address}.\n`);
    expect((await t.call('GET', '/api/v1/flags/cli.checkout')).json.environments.production.enabled).toBe(
      false,
    );
    const on = await cli(['flag', 'on', 'cli.checkout', '--env', 'production'], env);
    expect(on.stdout).toBe(`cli.checkout is on 25% in production; in ${address}.\n`);
    const missing = await cli(['flag', 'off', 'cli.none', '--env', 'production'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('FLAGS_NOT_FOUND');

    // Export production to a file and import it into staging: staging then serves the same.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-flags-'));
    const file = path.join(dir, 'production.json');
    const exported = await cli(['flag', 'export', '--env', 'production', '--output', file], env);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toBe(`Wrote 2 flags and 0 segments to ${file}.\n`);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(doc).toEqual((await t.call('GET', '/api/v1/flags/export?environment=production')).json);
    const imported = await cli(['flag', 'import', file, '--env', 'staging'], env);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toBe(`Imported 2 flags and 0 segments into staging; in ${address}.\n`);
    const staging = (await t.call('GET', '/api/v1/flags/export?environment=staging')).json;
    expect(staging.features).toEqual(doc.features);
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"features": [{"name": "x"}]}');
    const bad = await cli(['flag', 'import', path.join(dir, 'bad.json'), '--env', 'staging'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('HTTP_VALIDATION_FAILED');
    expect(bad.stderr).toContain('features.0.enabled');

    // An SDK token: the secret alone on stdout, usable by an SDK at once.
    const token = await cli(
      ['flag', 'token', '--name', 'checkout-api', '--type', 'client', '--env', 'staging'],
      env,
    );
    expect(token.code, token.stderr).toBe(0);
    const secret = token.stdout.trim();
    expect(secret).toMatch(/^eofc_staging\./);
    expect(token.stderr).toMatch(/^Created client SDK token sdkt_\w+ "checkout-api" for staging;/);
    const features = await t.call('GET', '/api/client/features', {
      token: null,
      headers: { authorization: secret },
    });
    expect(
      features.json.features.map((f: { name: string; enabled: boolean }) => [f.name, f.enabled]),
    ).toEqual([
      ['cli.checkout', true],
      ['cli.search', false],
    ]);
    const wrongType = await cli(
      ['flag', 'token', '--name', 'x', '--type', 'server', '--env', 'staging'],
      env,
    );
    expect(wrongType.code).toBe(1);
    expect(wrongType.stderr).toContain('--type');
    const wrongEnv = await cli(['flag', 'token', '--name', 'x', '--type', 'client', '--env', 'moon'], env);
    expect(wrongEnv.code).toBe(1);
    expect(wrongEnv.stderr).toContain('FLAGS_ENVIRONMENT_NOT_FOUND');
    expect((await t.call('GET', '/api/v1/sdk-tokens')).json.items).toHaveLength(1);
  }, 300_000);
});
