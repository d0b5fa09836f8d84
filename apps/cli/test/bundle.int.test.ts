import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../bin/bundle.js';

/**
 * `engops` runs a bundle of its TypeScript (apps/cli/bin/bundle.js) and falls back to compiling the
 * sources on the fly when bundling fails, so a broken build would go unnoticed by every other CLI
 * test. This one builds the bundle into a directory of its own and runs it.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// Inside the repository (gitignored): the bundle loads third-party packages from its node_modules.
const DIR = path.join(ROOT, '.engops-test', `bundle-${randomBytes(6).toString('hex')}`);

afterAll(() => {
  fs.rmSync(DIR, { recursive: true, force: true });
});

describe('the engops bundle', () => {
  it('builds from the CLI entry and runs as the engops command', async () => {
    const out = path.join(DIR, 'engops.mjs');
    await buildBundle(path.join(ROOT, 'apps/cli/src/main.ts'), out);
    expect(fs.statSync(out).size).toBeGreaterThan(0);
    // Only the file itself: the temporary file it was written to was renamed into place.
    expect(fs.readdirSync(DIR)).toEqual(['engops.mjs']);

    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'apps/cli/package.json'), 'utf8')) as {
      version: string;
    };
    const version = spawnSync(process.execPath, [out, '--version'], { cwd: ROOT, encoding: 'utf8' });
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(manifest.version);

    const help = spawnSync(process.execPath, [out, 'import', 'git', '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('--deploy-tags');
  });
});
