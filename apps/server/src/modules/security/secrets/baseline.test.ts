import { describe, expect, it } from 'vitest';
import { applyBaseline, parseBaseline, parseIgnoreFile } from './baseline.ts';
import { SecretScanError } from './git-history.ts';
import { toJsonReport } from './report.ts';
import { BUILTIN_RULES } from './rules.ts';
import { toSarif } from './sarif.ts';
import type { Finding } from './scanner.ts';

const finding = (fingerprint: string, line = 1): Finding => ({
  rule: 'github-pat',
  description: 'GitHub',
  file: 'a.env',
  line,
  column: 1,
  fingerprint,
  redacted: 'ghp_…',
});
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

describe('ignore file', () => {
  it('reads one fingerprint per line with comments and blank lines', () => {
    const set = parseIgnoreFile(`# rotated 2026-11-01\n${A}  # test fixture\n\n${B}\n`);
    expect([...set]).toEqual([A, B]);
  });

  it('rejects lines that are not fingerprints', () => {
    expect(() => parseIgnoreFile('ghp_not-a-fingerprint', '.secrets-ignore')).toThrow(SecretScanError);
    expect(() => parseIgnoreFile('abc', '.secrets-ignore')).toThrow(/\.secrets-ignore:1/);
  });
});

describe('baseline', () => {
  it('reads the fingerprints of a JSON report', () => {
    const report = toJsonReport({
      mode: 'tree',
      target: '.',
      scanned: { files: 1 },
      suppressed: 0,
      findings: [finding(A), finding(B, 2)],
    });
    expect([...parseBaseline(JSON.stringify(report))]).toEqual([A, B]);
  });

  it('reads the fingerprints of a SARIF log', () => {
    expect([...parseBaseline(JSON.stringify(toSarif([finding(C)], BUILTIN_RULES)))]).toEqual([C]);
  });

  it('rejects what is neither', () => {
    expect(() => parseBaseline('not json')).toThrow(SecretScanError);
    expect(() => parseBaseline('{"something": []}')).toThrow(/neither/);
  });

  it('suppresses known findings and keeps new ones', () => {
    const { kept, suppressed } = applyBaseline([finding(A), finding(B, 2), finding(C, 3)], new Set([A, C]));
    expect(kept.map((f) => f.fingerprint)).toEqual([B]);
    expect(suppressed.map((f) => f.fingerprint)).toEqual([A, C]);
  });
});
