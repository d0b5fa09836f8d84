import { describe, expect, it } from 'vitest';
import type { Dependency } from './deps/lockfiles.ts';
import { type OpenDependencyFinding, resolvedByPush } from './push-scan-service.ts';

const dep = (name: string, version: string, file = 'package-lock.json', ecosystem = 'npm'): Dependency => ({
  ecosystem: ecosystem as Dependency['ecosystem'],
  name,
  version,
  file,
  direct: true,
  dev: false,
  path: [`${name}@${version}`],
});
const finding = (
  id: string,
  pkg: string,
  extra: Partial<OpenDependencyFinding> = {},
): OpenDependencyFinding => ({
  id,
  fingerprint: `fp-${id}`,
  rule: 'GHSA-1',
  file: 'package-lock.json',
  package: pkg,
  ecosystem: 'npm',
  fixed_version: '2.0.0',
  ...extra,
});
const SHA = 'abcdef0123456789abcdef0123456789abcdef01';

describe('resolvedByPush', () => {
  it('resolves upgraded and removed packages, and keeps what is still affected or untouched', () => {
    const lockfiles = new Map([
      [
        'package-lock.json',
        { deps: [dep('left-pad', '2.1.0'), dep('minimist', '1.2.5')], commit: SHA, removed: false },
      ],
      ['web/yarn.lock', { deps: [], commit: SHA, removed: true }],
      [
        'requirements.txt',
        { deps: [dep('pyyaml', '6.0', 'requirements.txt', 'PyPI')], commit: SHA, removed: false },
      ],
    ]);
    const open = [
      // Upgraded past the fix: resolved.
      finding('a', 'left-pad'),
      // Gone from the lockfile: resolved.
      finding('b', 'is-odd', { fixed_version: null }),
      // Upgraded, but the new version is still affected (re-matched under another fingerprint): kept.
      finding('c', 'minimist', { rule: 'GHSA-2', fixed_version: '1.2.6' }),
      // Still reported with the same fingerprint: kept.
      finding('d', 'minimist', { rule: 'GHSA-3' }),
      // A lockfile the push removed: resolved.
      finding('e', 'lodash', { file: 'web/yarn.lock' }),
      // A lockfile the push did not touch: kept.
      finding('f', 'express', { file: 'api/package-lock.json' }),
      // PyPI names compare normalised: PyYAML is pyyaml.
      finding('g', 'PyYAML', { file: 'requirements.txt', ecosystem: 'PyPI', fixed_version: '5.4' }),
    ];
    const stillMatched = [
      { fingerprint: 'fp-new-c', rule: 'GHSA-2', package: 'minimist', file: 'package-lock.json' },
      { fingerprint: 'fp-d', rule: 'GHSA-3', package: 'minimist', file: 'package-lock.json' },
    ];
    expect(resolvedByPush(open, lockfiles, stillMatched)).toEqual([
      {
        id: 'a',
        reason:
          'left-pad upgraded to 2.1.0 in package-lock.json, past the fixed version 2.0.0; GHSA-1 no longer applies (commit abcdef012345)',
      },
      { id: 'b', reason: 'is-odd is no longer in package-lock.json (commit abcdef012345)' },
      { id: 'e', reason: 'web/yarn.lock was removed by commit abcdef012345' },
      {
        id: 'g',
        reason:
          'PyYAML upgraded to 6.0 in requirements.txt, past the fixed version 5.4; GHSA-1 no longer applies (commit abcdef012345)',
      },
    ]);
  });

  it('resolves nothing when no lockfile was read', () => {
    expect(resolvedByPush([finding('a', 'left-pad')], new Map(), [])).toEqual([]);
  });
});
