import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, isPlaceholder, redact, SecretScanner, SUPPRESS_MARKER } from './scanner.ts';
import { seededRandom } from './test-corpus.ts';

const random = seededRandom(99);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const pick = (length: number) =>
  Array.from({ length }, () => ALNUM[Math.floor(random() * ALNUM.length)]).join('');

describe('SecretScanner', () => {
  const scanner = new SecretScanner();

  it('reports rule, file, line, column, fingerprint and a redacted secret', () => {
    const token = `ghp_${pick(36)}`;
    const [finding, ...rest] = scanner.scanText(`# config\nexport GITHUB_TOKEN=${token}\n`, 'env.sh');
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      rule: 'github-pat',
      file: 'env.sh',
      line: 2,
      column: 21,
      redacted: 'ghp_…',
    });
    expect(finding?.fingerprint).toBe(
      createHash('sha256').update(`github-pat:env.sh:${token}`).digest('hex'),
    );
    expect(JSON.stringify(finding)).not.toContain(token.slice(4));
  });

  it('skips lines carrying the inline suppression comment', () => {
    const line = `TOKEN=ghp_${pick(36)}`;
    expect(scanner.scanText(`${line} # ${SUPPRESS_MARKER} fixture`, 'a.env')).toEqual([]);
    expect(scanner.scanText(`${line}\n`, 'a.env')).toHaveLength(1);
  });

  it('runs a rule only when its keyword is on the line', () => {
    // A GitHub-shaped token without the ghp_ prefix matches no rule.
    expect(scanner.scanText(`value ${pick(40)}`, 'a.txt')).toEqual([]);
  });

  it('lets the specific rule win over the generic assignment on the same secret', () => {
    const findings = scanner.scanText(`stripe_secret_key = "sk_live_${pick(30)}"`, 'a.py');
    expect(findings.map((f) => f.rule)).toEqual(['stripe-secret-key']);
  });

  it('finds several secrets on one line at their columns', () => {
    const a = `ghp_${pick(36)}`;
    const b = `npm_${pick(36)}`;
    const line = `tokens: ${a} ${b}`;
    const findings = scanner.scanText(line, 'a.yml');
    expect(findings.map((f) => [f.rule, f.column])).toEqual([
      ['github-pat', line.indexOf(a) + 1],
      ['npm-access-token', line.indexOf(b) + 1],
    ]);
  });

  it('finds a PEM private key whose body starts on the next line, and not a public key', () => {
    const body = Buffer.from(pick(90)).toString('base64').slice(0, 64);
    const key = `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----\n`;
    const findings = scanner.scanText(`intro\n${key}`, 'id_rsa');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'private-key', line: 2, column: 1 });
    expect(scanner.scanText(key.replaceAll('RSA PRIVATE', 'PUBLIC'), 'id_rsa.pub')).toEqual([]);
  });

  it('ignores placeholders, example keys and low-entropy values', () => {
    for (const line of [
      'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
      'GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      'GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} placeholder
      'password = "${DB_PASSWORD}"',
      'api_key: <your-api-key>',
      'secret = "aaaaaaaaaaaaaaaaaaaaaaaa"',
      'password = process.env.DB_PASSWORD',
      'DATABASE_URL=postgres://user:password@localhost/app',
    ])
      expect(scanner.scanText(line, 'a.txt'), line).toEqual([]);
  });

  it('scans numbered lines (diff hunks) with their own line numbers', () => {
    const findings = scanner.scanLines([{ text: `x = "glpat-${pick(20)}"`, line: 41 }], 'a.rb', {
      commit: 'c0ffee',
      author: 'Ada <ada@example.test>',
    });
    expect(findings[0]).toMatchObject({ line: 41, commit: 'c0ffee', author: 'Ada <ada@example.test>' });
  });

  it('skips allowlisted paths and secrets', () => {
    const allowing = new SecretScanner({ allowPaths: [/^fixtures\//], allowSecrets: [/^ghp_TEST/] });
    expect(allowing.scanText(`t=ghp_${pick(36)}`, 'fixtures/a.env')).toEqual([]);
    expect(allowing.scanText(`t=ghp_TEST${pick(32)}`, 'src/a.env')).toEqual([]);
    expect(allowing.scanText(`t=ghp_${pick(36)}`, 'src/a.env')).toHaveLength(1);
  });
});

describe('helpers', () => {
  it('redacts to the first 4 characters (fewer for short secrets)', () => {
    expect(redact('sk_live_0123456789abcdef')).toBe('sk_l…');
    expect(redact('hunter22')).toBe('hu…');
    expect(redact('abc')).toBe('…');
  });

  it('fingerprints depend on rule, file and secret', () => {
    const a = fingerprintOf('jwt', 'a.txt', 's3cr3t');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprintOf('jwt', 'b.txt', 's3cr3t')).not.toBe(a);
    expect(fingerprintOf('github-pat', 'a.txt', 's3cr3t')).not.toBe(a);
    expect(fingerprintOf('jwt', 'a.txt', 's3cr3t')).toBe(a);
  });

  it('tells placeholders and code from values', () => {
    expect(isPlaceholder('EXAMPLEKEY123', {})).toBe(true);
    expect(isPlaceholder('config.apiKey', { generic: true })).toBe(true);
    expect(isPlaceholder('config.apiKey', {})).toBe(false);
    expect(isPlaceholder('123e4567-e89b-42d3-a456-426614174000', { generic: true })).toBe(true);
    expect(isPlaceholder('Zk3pQ9vT2mW8xR4s', { generic: true })).toBe(false);
  });
});
