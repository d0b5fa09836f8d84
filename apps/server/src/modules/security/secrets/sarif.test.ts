import { describe, expect, it } from 'vitest';
import { officialSarifValidator } from '../sarif-official-schema.ts';
import { BUILTIN_RULES } from './rules.ts';
import { BASELINE_SUPPRESSION, FINGERPRINT_KEY, SARIF_SCHEMA, toSarif } from './sarif.ts';
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
  it('validates against the official SARIF 2.1.0 schema: findings, suppressed findings and an empty run', async () => {
    const validate = await officialSarifValidator();
    const logs = {
      findings: toSarif(findings, BUILTIN_RULES),
      suppressed: toSarif(findings.slice(1), BUILTIN_RULES, findings.slice(0, 1)),
      onlySuppressed: toSarif([], BUILTIN_RULES, findings),
      empty: toSarif([], BUILTIN_RULES),
    };
    for (const [name, log] of Object.entries(logs)) {
      expect(validate(log), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(log.$schema).toBe(SARIF_SCHEMA);
      expect(log.version).toBe('2.1.0');
    }
    expect(logs.empty.runs[0]?.results).toEqual([]);
  });

  it('the official schema rejects a log that breaks it (the check is not vacuous)', async () => {
    const validate = await officialSarifValidator();
    const log = structuredClone(toSarif(findings, BUILTIN_RULES, findings)) as unknown as {
      runs: Array<{ results: Array<Record<string, unknown>> }>;
    };
    const [first, , third] = log.runs[0]?.results ?? [];
    if (!first || !third) throw new Error('expected results');
    first.level = 'critical';
    third.suppressions = [{ status: 'accepted' }];
    expect(validate(log)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => e.instancePath);
    expect(paths).toContain('/runs/0/results/0/level');
    expect(paths).toContain('/runs/0/results/2/suppressions/0');
  });

  it('marks findings suppressed by the ignore file or baseline with an external suppression', () => {
    const results = toSarif(findings.slice(1), BUILTIN_RULES, findings.slice(0, 1)).runs[0]?.results ?? [];
    expect(results.map((r) => [r.ruleId, r.suppressions])).toEqual([
      ['jwt', undefined],
      ['github-pat', [BASELINE_SUPPRESSION]],
    ]);
    expect(results[1]?.partialFingerprints[FINGERPRINT_KEY]).toBe('f'.repeat(64));
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
});
