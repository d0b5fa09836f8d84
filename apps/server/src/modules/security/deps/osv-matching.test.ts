import { describe, expect, it } from 'vitest';
import { cvss3BaseScore, ratingOf } from './cvss.ts';
import { AdvisoryIndex, inRange, type OsvAdvisory, severityOf } from './osv.ts';
import { compareVersions, type Ecosystem } from './versions.ts';

/** Each row: a < b in that ecosystem's ordering. */
const ASCENDING: Array<[Ecosystem, string, string]> = [
  ['npm', '1.0.0-alpha', '1.0.0-alpha.1'],
  ['npm', '1.0.0-alpha.1', '1.0.0-alpha.beta'],
  ['npm', '1.0.0-alpha.beta', '1.0.0-beta'],
  ['npm', '1.0.0-beta.2', '1.0.0-beta.11'],
  ['npm', '1.0.0-rc.1', '1.0.0'],
  ['npm', '1.9.0', '1.10.0'],
  ['Go', 'v0.0.0-20210226172049-e18ecbb05110', 'v0.1.0'],
  ['Go', '1.6.3', 'v1.7.0'],
  ['crates.io', '0.14.9', '0.14.10'],
  ['PyPI', '1.0.dev1', '1.0a1'],
  ['PyPI', '1.0a1', '1.0b2'],
  ['PyPI', '1.0b2', '1.0rc1'],
  ['PyPI', '1.0rc1', '1.0'],
  ['PyPI', '1.0', '1.0.post1'],
  ['PyPI', '1.0.post1', '1.1'],
  ['PyPI', '2.11.2', '2.11.3'],
  ['PyPI', '3.2.4', '3.2.13'],
  ['PyPI', '2.0', '1!0.1'],
  ['RubyGems', '1.0.0.pre', '1.0.0'],
  ['RubyGems', '1.11.1', '1.11.4'],
  ['RubyGems', '1.0.a', '1.0.b'],
  ['Packagist', '1.0.0-beta', '1.0.0'],
  ['Packagist', '1.0.0-RC1', '1.0.0'],
  ['Packagist', '2.1.0', '2.1.1'],
  ['Packagist', '1.0', '1.0.1'],
  ['Packagist', '1.0.0', '1.0.0-p1'],
];

describe('version ordering per ecosystem', () => {
  it.each(ASCENDING)('%s: %s < %s', (eco, a, b) => {
    expect(compareVersions(eco, a, b)).toBeLessThan(0);
    expect(compareVersions(eco, b, a)).toBeGreaterThan(0);
  });

  it('treats equal spellings as equal', () => {
    expect(compareVersions('PyPI', '1.0', '1.0.0')).toBe(0);
    expect(compareVersions('PyPI', '1.0RC1', '1.0rc1')).toBe(0);
    expect(compareVersions('RubyGems', '1.0', '1.0.0')).toBe(0);
    expect(compareVersions('npm', '1.0.0+build.1', '1.0.0')).toBe(0);
    expect(compareVersions('Go', 'v1.2.3', '1.2.3')).toBe(0);
  });
});

describe('the OSV range algorithm', () => {
  const twoWindows = {
    type: 'ECOSYSTEM' as const,
    events: [{ introduced: '0' }, { fixed: '1.2.0' }, { introduced: '2.0.0' }, { fixed: '2.3.1' }],
  };
  const lastAffected = {
    type: 'SEMVER' as const,
    events: [{ introduced: '1.0.0' }, { last_affected: '1.4.2' }],
  };
  const open = { type: 'ECOSYSTEM' as const, events: [{ introduced: '3.0.0-rc.1' }] };
  it.each([
    ['0.0.1', twoWindows, true],
    ['1.1.9', twoWindows, true],
    ['1.2.0', twoWindows, false],
    ['1.9.9', twoWindows, false],
    ['2.0.0-rc.1', twoWindows, false],
    ['2.0.0', twoWindows, true],
    ['2.3.0', twoWindows, true],
    ['2.3.1', twoWindows, false],
    ['0.9.0', lastAffected, false],
    ['1.0.0', lastAffected, true],
    ['1.4.2', lastAffected, true],
    ['1.4.3', lastAffected, false],
    ['2.9.9', open, false],
    ['3.0.0-rc.1', open, true],
    ['9.0.0', open, true],
  ])('npm %s -> %s', (version, range, expected) => {
    expect(inRange('npm', range, version as string)).toBe(expected);
  });

  it('events in any order are sorted first', () => {
    const shuffled = {
      type: 'ECOSYSTEM' as const,
      events: [{ fixed: '2.3.1' }, { introduced: '2.0.0' }, { fixed: '1.2.0' }, { introduced: '0' }],
    };
    expect(['1.0.0', '1.5.0', '2.1.0', '2.4.0'].map((v) => inRange('npm', shuffled, v))).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });

  it('PyPI ranges use PEP 440 ordering (rc before final)', () => {
    const range = { type: 'ECOSYSTEM' as const, events: [{ introduced: '0' }, { fixed: '3.2.5' }] };
    expect(inRange('PyPI', range, '3.2.5rc1')).toBe(true);
    expect(inRange('PyPI', range, '3.2.5')).toBe(false);
    expect(inRange('PyPI', range, '3.2.4.post1')).toBe(true);
  });
});

const advisory = (over: Partial<OsvAdvisory>): OsvAdvisory => ({ id: 'GHSA-test', ...over });

describe('advisory index', () => {
  it('matches by ecosystem and name (PyPI normalised), gives the lowest fixed version above', () => {
    const index = new AdvisoryIndex();
    index.add(
      advisory({
        id: 'GHSA-jinja',
        aliases: ['CVE-2020-28493'],
        affected: [
          {
            package: { ecosystem: 'PyPI', name: 'Jinja2' },
            ranges: [
              {
                type: 'ECOSYSTEM',
                events: [
                  { introduced: '0' },
                  { fixed: '2.11.3' },
                  { introduced: '3.0.0' },
                  { fixed: '3.0.1' },
                ],
              },
            ],
          },
        ],
      }),
    );
    index.add(
      advisory({
        id: 'OSV-withdrawn',
        withdrawn: '2024-01-01T00:00:00Z',
        affected: [{ package: { ecosystem: 'PyPI', name: 'jinja2' }, versions: ['2.11.2'] }],
      }),
    );
    index.add(
      advisory({
        id: 'OSV-explicit',
        affected: [{ package: { ecosystem: 'PyPI', name: 'jinja_2' }, versions: ['2.11.2'] }],
      }),
    );
    expect(index.match('PyPI', 'jinja2', '2.11.2')).toEqual([
      { advisory: expect.objectContaining({ id: 'GHSA-jinja' }), fixed: '2.11.3' },
    ]);
    expect(index.match('PyPI', 'JINJA2', '3.0.0').map((m) => m.fixed)).toEqual(['3.0.1']);
    expect(index.match('PyPI', 'jinja2', '3.0.1')).toEqual([]);
    expect(index.match('npm', 'jinja2', '2.11.2')).toEqual([]);
    expect(index.match('PyPI', 'jinja-2', '2.11.2').map((m) => m.advisory.id)).toEqual(['OSV-explicit']);
    expect(index.size).toBe(2);
  });
});

describe('severity', () => {
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 5.5],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N', 3.7],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
  ])('%s = %s', (vector, score) => {
    expect(cvss3BaseScore(vector)).toBe(score);
  });

  it('rates scores and falls back to the database word', () => {
    expect([0, 0.1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(ratingOf)).toEqual([
      'none',
      'low',
      'low',
      'medium',
      'medium',
      'high',
      'high',
      'critical',
      'critical',
    ]);
    expect(severityOf(advisory({ database_specific: { severity: 'MODERATE' } }))).toEqual({
      severity: 'medium',
      score: null,
    });
    expect(
      severityOf(
        advisory({ severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] }),
      ),
    ).toEqual({ severity: 'critical', score: 9.8 });
    expect(severityOf(advisory({ severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N' }] }))).toEqual({
      severity: 'unknown',
      score: null,
    });
    expect(cvss3BaseScore('CVSS:3.1/AV:X/AC:L')).toBeNull();
  });
});
