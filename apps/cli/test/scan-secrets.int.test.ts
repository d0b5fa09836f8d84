import { execFileSync, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `engops scan secrets` as users run it (node apps/cli/bin/engops.js, a child process) on a temp git
 * repository built here, whose commits hold secrets generated now (random bodies, provider shapes).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'apps/cli/bin/engops.js');
/*
 * Random key bodies that the scanner cannot take for placeholders. Skipping placeholders is intended
 * (docs/guides/secret-scanning.md, "allowlist"; isPlaceholder in the scanner, custom rules included),
 * but fully random bodies sometimes formed one: about one 24-character lower-case ACME key in 50,000
 * contained "xxxx" (acme_n8ue7mmpxxxxwygi4g6w2op3) or "dummy", and the custom rule reported nothing.
 * Hence: no vowels and no x (no "xxxx", "example", "dummy", "redacted", "changeme", ...), no 5 (no eight
 * consecutive characters such as 12345678: the longest run is jklmn), and each character at most once
 * per token (no eight equal characters; entropy log2(length), above every rule's minimum).
 */
const CONSONANTS = 'BCDFGHJKLMNPQRSTVWYZ';
const DIGITS = '012346789';
const KEY_ALPHABET = `${CONSONANTS}${CONSONANTS.toLowerCase()}${DIGITS}`;
const LOWER_KEY_ALPHABET = `${CONSONANTS.toLowerCase()}${DIGITS}`;

/** `length` distinct characters of `alphabet` in random order (a partial Fisher-Yates shuffle). */
function token(length: number, alphabet = KEY_ALPHABET): string {
  const chars = [...alphabet];
  if (length > chars.length) throw new Error(`token(${length}): at most ${chars.length} characters`);
  for (let i = 0; i < length; i += 1) {
    const j = i + randomInt(chars.length - i);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.slice(0, length).join('');
}

/** Random digits without 5, never the same twice in a row (see token). */
function digits(length: number): string {
  let out = '';
  while (out.length < length) {
    const digit = DIGITS[randomInt(DIGITS.length)] as string;
    if (digit !== out.at(-1)) out += digit;
  }
  return out;
}

const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' });
}

function commitAs(cwd: string, name: string, message: string): string {
  git(cwd, ['add', '-A']);
  git(cwd, [
    '-c',
    `user.name=${name}`,
    '-c',
    `user.email=${name.toLowerCase()}@example.test`,
    'commit',
    '-q',
    '-m',
    message,
  ]);
  return git(cwd, ['rev-parse', 'HEAD']).trim();
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd = ROOT): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...GIT_ENV };
    for (const key of Object.keys(env)) if (key.startsWith('ENGOPS_')) delete env[key];
    const child = spawn(process.execPath, [BIN, 'scan', 'secrets', ...args], { cwd, env });
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

function expectNoSecret(result: CliResult, ...secrets: string[]): void {
  for (const secret of secrets) {
    expect(result.stdout).not.toContain(secret.slice(4));
    expect(result.stderr).not.toContain(secret.slice(4));
  }
}

describe('engops scan secrets', () => {
  let repo: string;
  let work: string;
  const githubToken = `ghp_${token(36)}`;
  const stripeKey = `sk_live_${token(32)}`;
  const fixtureToken = `npm_${token(36)}`;
  let firstCommit: string;
  let removalCommit: string;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-scan-'));
    repo = path.join(work, 'repo');
    fs.mkdirSync(path.join(repo, 'src'), { recursive: true });
    git(repo, ['init', '-q', '-b', 'main']);
    fs.writeFileSync(path.join(repo, 'config.env'), `# local settings\nGITHUB_TOKEN=${githubToken}\n`);
    fs.writeFileSync(path.join(repo, 'README.md'), 'Example: AKIAIOSFODNN7EXAMPLE\n');
    firstCommit = commitAs(repo, 'Ada', 'Add config');
    fs.writeFileSync(path.join(repo, 'src/billing.ts'), `export const stripe = '${stripeKey}';\n`);
    fs.writeFileSync(
      path.join(repo, 'src/fixtures.ts'),
      `export const FIXTURE = '${fixtureToken}'; // engops:allow-secret revoked test token\n`,
    );
    commitAs(repo, 'Bob', 'Billing');
    fs.rmSync(path.join(repo, 'config.env'));
    removalCommit = commitAs(repo, 'Carol', 'Remove config');
  });

  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('finds the secrets of the working tree, redacted, and exits 1', async () => {
    const result = await cli([repo]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain('src/billing.ts:1:24  stripe-secret-key  sk_l…');
    expect(result.stdout).toContain('1 secret found in 3 files');
    // Removed from the tree, suppressed inline, or a documented example: not reported.
    expect(result.stdout).not.toContain('github-pat');
    expect(result.stdout).not.toContain('fixtures.ts');
    expect(result.stdout).not.toContain('README');
    expectNoSecret(result, stripeKey, githubToken, fixtureToken);
  });

  it('--git finds a secret added then removed, with its commit and author', async () => {
    const result = await cli([repo, '--git', '--format', 'json']);
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as {
      mode: string;
      scanned: { commits: number };
      findings: Array<{
        rule: string;
        file: string;
        line: number;
        commit?: string;
        author?: string;
        redacted: string;
      }>;
    };
    expect(report.mode).toBe('git');
    expect(report.scanned.commits).toBe(3);
    expect(report.findings.map((f) => [f.rule, f.file, f.line, f.commit, f.author])).toEqual([
      ['github-pat', 'config.env', 2, firstCommit, 'Ada <ada@example.test>'],
      ['stripe-secret-key', 'src/billing.ts', 1, expect.any(String), 'Bob <bob@example.test>'],
    ]);
    expect(report.findings.map((f) => f.commit)).not.toContain(removalCommit);
    expectNoSecret(result, stripeKey, githubToken, fixtureToken);

    const text = await cli([repo, '--git']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      `config.env:2:14  github-pat  ghp_…  commit ${firstCommit.slice(0, 12)} by Ada`,
    );
    expect(text.stdout).toContain('2 secrets found in 3 commits');
    // Not a terminal: no progress bar on stderr.
    expect(text.stderr).not.toContain('scanning history');
  });

  it('--format sarif writes a SARIF 2.1.0 log', async () => {
    const result = await cli([repo, '--git', '--format', 'sarif']);
    expect(result.code).toBe(1);
    const log = JSON.parse(result.stdout);
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-2\.1\.0\.json$/);
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0];
    expect(run.tool.driver.name).toBe('engops-secrets');
    const ruleIds = run.tool.driver.rules.map((r: { id: string }) => r.id);
    expect(run.results.map((r: { ruleId: string }) => r.ruleId)).toEqual(['github-pat', 'stripe-secret-key']);
    for (const r of run.results) {
      expect(ruleIds[r.ruleIndex]).toBe(r.ruleId);
      expect(r.locations[0].physicalLocation.artifactLocation.uri).toMatch(
        /^(config\.env|src\/billing\.ts)$/,
      );
      expect(r.locations[0].physicalLocation.region.startLine).toBeGreaterThanOrEqual(1);
      expect(r.partialFingerprints['engopsSecret/v1']).toMatch(/^[0-9a-f]{64}$/);
    }
    expectNoSecret(result, stripeKey, githubToken);
  });

  it('a baseline report or an ignore file suppresses known findings (exit 0)', async () => {
    const report = await cli([repo, '--git', '--format', 'json']);
    const baseline = path.join(work, 'baseline.json');
    fs.writeFileSync(baseline, report.stdout);
    const suppressed = await cli([repo, '--git', '--baseline', baseline]);
    expect(suppressed.code, suppressed.stdout).toBe(0);
    expect(suppressed.stderr).toContain(
      'No secrets found in 3 commits (2 suppressed by baseline or ignore file)',
    );
    // In SARIF the baseline's findings stay, marked suppressed, so code-scanning UIs show them closed.
    const sarif = await cli([repo, '--git', '--baseline', baseline, '--format', 'sarif']);
    expect(sarif.code).toBe(0);
    const results = JSON.parse(sarif.stdout).runs[0].results as Array<{
      ruleId: string;
      suppressions?: Array<{ status: string }>;
    }>;
    expect(results.map((r) => [r.ruleId, r.suppressions?.[0]?.status])).toEqual([
      ['github-pat', 'accepted'],
      ['stripe-secret-key', 'accepted'],
    ]);

    const fingerprints = (
      JSON.parse(report.stdout) as { findings: Array<{ fingerprint: string; file: string }> }
    ).findings;
    const ignore = path.join(work, '.secrets-ignore');
    const stripe = fingerprints.find((f) => f.file === 'src/billing.ts');
    fs.writeFileSync(ignore, `# rotated on 2026-11-20\n${stripe?.fingerprint}\n`);
    expect((await cli([repo, '--ignore-file', ignore])).code).toBe(0);
    // The ignore file only silences that finding: the history still has the GitHub token.
    const partial = await cli([repo, '--git', '--ignore-file', ignore]);
    expect(partial.code).toBe(1);
    expect(partial.stdout).toContain('github-pat');
    expect(partial.stdout).not.toContain('stripe-secret-key');
  });

  it('--staged scans what is about to be committed', async () => {
    expect((await cli(['--staged'], repo)).code).toBe(0);
    // Digits from digits(): a run of eight equal characters would read as a placeholder (see token()).
    const slackToken = `xoxb-${digits(12)}-${token(24)}`;
    fs.writeFileSync(path.join(repo, 'slack.env'), `SLACK_BOT_TOKEN=${slackToken}\n`);
    git(repo, ['add', 'slack.env']);
    try {
      const result = await cli(['--staged'], repo);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toContain('slack.env:1:17  slack-token  xoxb…');
      expectNoSecret(result, slackToken);
    } finally {
      git(repo, ['rm', '-q', '--cached', 'slack.env']);
      fs.rmSync(path.join(repo, 'slack.env'));
    }
  });

  it('custom rules from --config apply', async () => {
    const config = path.join(work, 'secrets.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        version: 1,
        rules: [{ id: 'acme-key', description: 'ACME key', regex: 'acme_[a-z0-9]{24}', keywords: ['acme_'] }],
        disable: ['stripe-secret-key'],
      }),
    );
    const dir = path.join(work, 'custom');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'a.txt'),
      `key acme_${token(24, LOWER_KEY_ALPHABET)}\nstripe ${stripeKey}\n`,
    );
    const result = await cli([dir, '--config', config, '--format', 'json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).findings.map((f: { rule: string }) => f.rule)).toEqual(['acme-key']);
  });

  it("uses the folder's own .engops-secrets.json and .engops-secrets-ignore without flags", async () => {
    const dir = path.join(work, 'own-files');
    fs.mkdirSync(dir);
    // A fixed key. (The random one that once went unreported in CI had read as a placeholder: see token().)
    const acme = 'acme_k3v9q2m8x7c4b1n6z5t0w8r2';
    fs.writeFileSync(path.join(dir, 'a.txt'), `key ${acme}\nstripe ${stripeKey}\ngithub ${githubToken}\n`);
    fs.writeFileSync(
      path.join(dir, '.engops-secrets.json'),
      JSON.stringify({
        version: 1,
        rules: [{ id: 'acme-key', description: 'ACME key', regex: 'acme_[a-z0-9]{24}', keywords: ['acme_'] }],
        disable: ['stripe-secret-key'],
      }),
    );
    const before = await cli([dir, '--format', 'json']);
    expect(before.code, before.stderr).toBe(1);
    const found = JSON.parse(before.stdout).findings as Array<{ rule: string; fingerprint: string }>;
    expect(found.map((f) => f.rule).sort()).toEqual(['acme-key', 'github-pat']);
    // Accept the GitHub token by its fingerprint in the folder's ignore file: only ACME's key is left.
    const github = found.find((f) => f.rule === 'github-pat');
    fs.writeFileSync(path.join(dir, '.engops-secrets-ignore'), `# rotated\n${github?.fingerprint}\n`);
    const after = await cli([dir, '--format', 'json']);
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout).findings.map((f: { rule: string }) => f.rule)).toEqual(['acme-key']);
    // A flag naming another file wins over the folder's own.
    const empty = path.join(work, 'empty-ignore');
    fs.writeFileSync(empty, '');
    const flagged = await cli([dir, '--format', 'json', '--ignore-file', empty]);
    expect(JSON.parse(flagged.stdout).findings).toHaveLength(2);
  });

  it('exits 2 when the scan cannot run', async () => {
    const missing = await cli([path.join(work, 'no-such-dir')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file or directory');
    const badConfig = path.join(work, 'bad.json');
    fs.writeFileSync(badConfig, '{"version": 1, "rules": [{"id": "x", "description": "x", "regex": "("}]}');
    const invalid = await cli([repo, '--config', badConfig]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('invalid regular expression');
    const notRepo = path.join(work, 'custom');
    const history = await cli([notRepo, '--git']);
    expect(history.code).toBe(2);
    expect((await cli([repo, '--format', 'xml'])).code).toBe(2);
  });
});
