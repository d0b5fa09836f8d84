import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { sarifSubsetSchema } from '../sarif-subset-schema.ts';
import { BUILTIN_RULES } from './rules.ts';
import { FINGERPRINT_KEY, SARIF_SCHEMA, toSarif } from './sarif.ts';
import type { Finding } from './scanner.ts';

const findings: Finding[] = [
  {
    rule: 'github-pat',
    description: 'GitHub personal access token (classic, ghp_)',
    file: 'src/my config.ts',
    line: 3,
    column: 9,
    commit: 'a'.repeat(40),
    author: 'Ada <ada@example.test>',
    fingerprint: 'f'.repeat(64),
    redacted: 'ghp_…',
  },
  {
    rule: 'jwt',
    description: 'JSON Web Token (signed)',
    file: 'b.http',
    line: 1,
    column: 1,
    fingerprint: 'e'.repeat(64),
    redacted: 'eyJh…',
  },
];

describe('toSarif', () => {
  it('produces a SARIF 2.1.0 log that validates', async () => {
    const log = toSarif(findings, BUILTIN_RULES);
    const { default: addFormats } = await import('ajv-formats');
    const ajv = new Ajv({ allErrors: true, strict: false });
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    const validate = ajv.compile(sarifSubsetSchema);
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    expect(log.$schema).toBe(SARIF_SCHEMA);
    expect(log.version).toBe('2.1.0');
  });

  it('maps findings to results with rule, location, fingerprint and commit', () => {
    const run = toSarif(findings, BUILTIN_RULES).runs[0];
    expect(run?.tool.driver.rules.map((r) => r.id)).toEqual(BUILTIN_RULES.map((r) => r.id));
    const [first, second] = run?.results ?? [];
    expect(first?.ruleId).toBe('github-pat');
    expect(run?.tool.driver.rules[first?.ruleIndex ?? -1]?.id).toBe('github-pat');
    expect(first?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'src/my%20config.ts', uriBaseId: '%SRCROOT%' },
      region: { startLine: 3, startColumn: 9 },
    });
    expect(first?.partialFingerprints[FINGERPRINT_KEY]).toBe('f'.repeat(64));
    expect(first?.properties).toEqual({ commit: 'a'.repeat(40), author: 'Ada <ada@example.test>' });
    expect(first?.message.text).toContain('ghp_…');
    expect(second?.properties).toBeUndefined();
  });

  it('is a valid empty run when there are no findings', () => {
    expect(toSarif([], BUILTIN_RULES).runs[0]?.results).toEqual([]);
  });
});
