import { describe, expect, it } from 'vitest';
import { scannerOptionsFromConfig } from './custom-rules.ts';
import { SecretScanError } from './git-history.ts';
import { SecretScanner } from './scanner.ts';

describe('custom rules config', () => {
  const config = {
    version: 1,
    rules: [
      {
        id: 'acme-api-key',
        description: 'ACME API key',
        regex: '\\b(acme_[a-z0-9]{32})\\b',
        keywords: ['ACME_'],
        entropy: 3,
        secretGroup: 1,
      },
    ],
    disable: ['jwt'],
    allowlist: { paths: ['^vendor/'], secrets: ['^acme_0{8}'] },
  };

  it('adds rules before the generic rule, disables rules and applies allowlists', () => {
    const options = scannerOptionsFromConfig(config);
    const ids = options.rules.map((r) => r.id);
    expect(ids).not.toContain('jwt');
    expect(ids.indexOf('acme-api-key')).toBe(ids.length - 2);
    expect(options.rules.find((r) => r.id === 'acme-api-key')?.keywords).toEqual(['acme_']);
    const scanner = new SecretScanner(options);
    const key = 'acme_k3x9q2m7p4w8z1v6b5n0c3l8j2h7g4f1';
    expect(scanner.scanText(`ACME_KEY = "${key}"`, 'src/a.py').map((f) => f.rule)).toEqual(['acme-api-key']);
    expect(scanner.scanText(`ACME_KEY = "${key}"`, 'vendor/a.py')).toEqual([]);
    expect(scanner.scanText('ACME_KEY = "acme_00000000q2m7p4w8z1v6b5n0c3l8j2h7"', 'src/a.py')).toEqual([]);
  });

  it.each([
    [{ version: 2 }, /version/],
    [{ version: 1, rules: [{ id: 'Bad Id', description: 'x', regex: 'x' }] }, /kebab-case/],
    [
      { version: 1, rules: [{ id: 'bad-regex', description: 'x', regex: '(' }] },
      /invalid regular expression/,
    ],
    [{ version: 1, rules: [{ id: 'github-pat', description: 'x', regex: 'x' }] }, /already used/],
    [{ version: 1, rules: [{ id: 'g', description: 'x', regex: 'x', secretGroup: 2 }] }, /secretGroup 2/],
    [{ version: 1, disable: ['no-such-rule'] }, /unknown rule/],
    [{ version: 1, allowlist: { paths: ['['] } }, /allowlist\.paths\[0\]/],
  ])('rejects an invalid config %#', (input, message) => {
    expect(() => scannerOptionsFromConfig(input, 'secrets.json')).toThrow(SecretScanError);
    expect(() => scannerOptionsFromConfig(input, 'secrets.json')).toThrow(message);
  });
});
