import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { officialSarifValidator } from '../sarif-official-schema.ts';
import { advisoriesFromJson, indexAdvisories, readZipJsonEntries } from './advisory-source.ts';
import { DEPS_FINGERPRINT_KEY, toDepsSarif } from './deps-report.ts';
import { parseLockfile } from './lockfiles.ts';
import { applyIgnores, type DepFinding, matchDependencies, parseIgnoreEntries } from './scan-deps.ts';

const dir = path.join(import.meta.dirname, 'fixtures');
const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
const advisories = [
  ...advisoriesFromJson(read('osv/GHSA-35jh-r3h4-6jhm.json'), 'lodash.json'),
  ...advisoriesFromJson(read('osv/advisories.json'), 'advisories.json'),
];
const index = indexAdvisories(advisories);

function scan(file: string, fixture: string, manifest?: string): DepFinding[] {
  const text = read(fixture);
  return matchDependencies(parseLockfile(file, text, manifest && read(manifest)), index, text);
}
const brief = (f: DepFinding) =>
  `${f.package}@${f.version} ${f.advisory} ${f.severity} fixed=${f.fixed} line=${f.line}`;

describe('dependency findings from lockfiles and OSV advisories', () => {
  it('matches npm packages with severity from CVSS, fixed version, path and line (withdrawn ignored)', () => {
    const findings = scan('package-lock.json', 'package-lock-v3.json');
    expect(findings.map(brief)).toEqual([
      'lodash@4.17.15 GHSA-35jh-r3h4-6jhm high fixed=4.17.21 line=37',
      'minimist@1.2.0 GHSA-xvch-5gv4-984h critical fixed=1.2.6 line=40',
      'qs@6.7.0 GHSA-hrpp-h998-j3pp high fixed=6.7.3 line=34',
    ]);
    const qs = findings.find((f) => f.package === 'qs')!;
    expect(qs).toMatchObject({ direct: false, dev: false, score: 7.5, path: ['express@4.17.1', 'qs@6.7.0'] });
    expect(findings.find((f) => f.package === 'lodash')).toMatchObject({
      score: 7.2,
      aliases: ['CVE-2021-23337'],
      url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-23337',
    });
    expect(findings.find((f) => f.package === 'minimist')!.dev).toBe(true);
    expect(new Set(findings.map((f) => f.fingerprint)).size).toBe(3);
  });

  it('matches the other ecosystems with their own version orders', () => {
    expect(scan('poetry.lock', 'poetry.lock', 'pyproject.toml').map(brief)).toEqual([
      'jinja2@2.11.2 GHSA-g3rq-g295-4j3m medium fixed=2.11.3 line=4',
    ]);
    // go.sum versions carry a leading v; the advisory's SEMVER range does not.
    expect(scan('go.sum', 'go.sum').map(brief)).toEqual([
      'golang.org/x/text@v0.3.7 GO-2022-1059 unknown fixed=0.3.8 line=3',
    ]);
    expect(scan('Cargo.lock', 'Cargo.lock').map(brief)).toEqual([
      'smallvec@1.6.0 RUSTSEC-2021-0003 critical fixed=1.6.1 line=23',
    ]);
    expect(scan('composer.lock', 'composer.lock').map(brief)).toEqual([
      'guzzlehttp/psr7@2.1.0 GHSA-q7rv-6hp3-vh96 high fixed=2.1.1 line=11',
    ]);
    expect(scan('yarn.lock', 'yarn-v1.lock', 'yarn-v1-package.json').map(brief)).toEqual([
      'minimist@1.2.5 GHSA-xvch-5gv4-984h critical fixed=1.2.6 line=23',
    ]);
    expect(scan('pnpm-lock.yaml', 'pnpm-lock-v9.yaml')).toEqual([]);
  });

  it('ignores by advisory id or alias, with a reason, until the entry expires', () => {
    const findings = scan('package-lock.json', 'package-lock-v3.json');
    const entries = parseIgnoreEntries(
      JSON.stringify({
        ignore: [
          { id: 'CVE-2021-44906', reason: 'dev-only CLI parsing', expires: '2026-06-30' },
          { id: 'GHSA-hrpp-h998-j3pp', package: 'qs', reason: 'not reachable', expires: '2026-01-31' },
          { id: 'GHSA-35jh-r3h4-6jhm', package: 'underscore', reason: 'other package' },
        ],
      }),
      '.engops-deps-ignore.json',
    );
    const result = applyIgnores(findings, entries, new Date('2026-03-01T00:00:00Z'));
    expect(result.ignored.map((f) => f.package)).toEqual(['minimist']);
    expect(result.kept.map((f) => f.package)).toEqual(['lodash', 'qs']);
    expect(result.expired.map((e) => e.id)).toEqual(['GHSA-hrpp-h998-j3pp']);
    expect(() => parseIgnoreEntries('{"ignore":[{"id":"GHSA-x"}]}', 'x.json')).toThrow(
      'x.json: ignore[0] (GHSA-x) needs a "reason"',
    );
    expect(() =>
      parseIgnoreEntries('{"ignore":[{"id":"A","reason":"r","expires":"soon"}]}', 'x.json'),
    ).toThrow('not a date');
  });

  it('writes SARIF that validates against the official 2.1.0 schema: findings, ignored findings, empty', async () => {
    const validate = await officialSarifValidator();
    const findings = scan('package-lock.json', 'package-lock-v3.json');
    const entries = parseIgnoreEntries(
      JSON.stringify({
        ignore: [{ id: 'CVE-2021-44906', reason: 'dev-only CLI parsing', expires: '2026-06-30' }],
      }),
      '.engops-deps-ignore.json',
    );
    const { kept, suppressions } = applyIgnores(findings, entries, new Date('2026-03-01T00:00:00Z'));
    const logs = {
      findings: toDepsSarif(findings),
      suppressed: toDepsSarif(kept, suppressions),
      empty: toDepsSarif([]),
      otherEcosystems: toDepsSarif([
        ...scan('poetry.lock', 'poetry.lock', 'pyproject.toml'),
        ...scan('go.sum', 'go.sum'),
        ...scan('Cargo.lock', 'Cargo.lock'),
        ...scan('composer.lock', 'composer.lock'),
      ]),
    };
    for (const [name, log] of Object.entries(logs))
      expect(validate(log), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    expect(logs.empty.runs[0]!.results).toEqual([]);
    expect(logs.otherEcosystems.runs[0]!.results).toHaveLength(4);
    const results = logs.suppressed.runs[0]!.results;
    expect(results.map((r) => [r.ruleId, 'suppressions' in r ? r.suppressions : undefined])).toEqual([
      ['GHSA-35jh-r3h4-6jhm', undefined],
      ['GHSA-hrpp-h998-j3pp', undefined],
      [
        'GHSA-xvch-5gv4-984h',
        [
          {
            kind: 'external',
            status: 'accepted',
            justification: 'dev-only CLI parsing (ignored until 2026-06-30)',
          },
        ],
      ],
    ]);
    expect(logs.suppressed.runs[0]!.tool.driver.rules).toHaveLength(3);
    // A broken log fails the same check: the validator is not vacuous.
    const broken = structuredClone(logs.findings) as unknown as {
      runs: Array<{ results: Array<{ locations: Array<{ physicalLocation: { region: object } }> }> }>;
    };
    broken.runs[0]!.results[0]!.locations[0]!.physicalLocation.region = { startLine: 0 };
    expect(validate(broken)).toBe(false);
  });

  it('writes one SARIF rule per advisory with its security-severity', () => {
    const sarif = toDepsSarif(scan('package-lock.json', 'package-lock-v3.json'));
    const run = sarif.runs[0]!;
    expect(
      run.tool.driver.rules.map((r) => [
        r.id,
        r.defaultConfiguration.level,
        r.properties['security-severity'],
      ]),
    ).toEqual([
      ['GHSA-35jh-r3h4-6jhm', 'error', '7.2'],
      ['GHSA-xvch-5gv4-984h', 'error', '9.8'],
      ['GHSA-hrpp-h998-j3pp', 'error', '7.5'],
    ]);
    expect(run.results[2]).toMatchObject({
      ruleId: 'GHSA-hrpp-h998-j3pp',
      ruleIndex: 2,
      locations: [
        { physicalLocation: { artifactLocation: { uri: 'package-lock.json' }, region: { startLine: 34 } } },
      ],
    });
    expect(run.results[2]!.message.text).toContain('Fixed in 6.7.3. Path: express@4.17.1 > qs@6.7.0');
    expect(Object.keys(run.results[0]!.partialFingerprints)).toEqual([DEPS_FINGERPRINT_KEY]);
  });

  it('reads OSV advisories from zip archives (stored and deflated entries)', () => {
    const entries = [
      {
        name: 'GHSA-35jh-r3h4-6jhm.json',
        data: Buffer.from(read('osv/GHSA-35jh-r3h4-6jhm.json')),
        deflate: true,
      },
      { name: 'README.txt', data: Buffer.from('not json'), deflate: false },
      { name: 'all/advisories.json', data: Buffer.from(read('osv/advisories.json')), deflate: false },
    ];
    const locals: Buffer[] = [];
    const centrals: Buffer[] = [];
    let offset = 0;
    for (const e of entries) {
      const body = e.deflate ? zlib.deflateRawSync(e.data) : e.data;
      const name = Buffer.from(e.name);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(e.deflate ? 8 : 0, 8);
      local.writeUInt32LE(zlib.crc32(e.data), 14);
      local.writeUInt32LE(body.length, 18);
      local.writeUInt32LE(e.data.length, 22);
      local.writeUInt16LE(name.length, 26);
      const central = Buffer.alloc(46);
      central.writeUInt32LE(0x02014b50, 0);
      central.writeUInt16LE(20, 4);
      central.writeUInt16LE(20, 6);
      central.writeUInt16LE(e.deflate ? 8 : 0, 10);
      central.writeUInt32LE(zlib.crc32(e.data), 16);
      central.writeUInt32LE(body.length, 20);
      central.writeUInt32LE(e.data.length, 24);
      central.writeUInt16LE(name.length, 28);
      central.writeUInt32LE(offset, 42);
      locals.push(local, name, body);
      centrals.push(central, name);
      offset += 30 + name.length + body.length;
    }
    const directory = Buffer.concat(centrals);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(offset, 16);
    const zip = Buffer.concat([...locals, directory, end]);
    const read2 = readZipJsonEntries(zip, 'osv.zip');
    expect(read2.map((e) => e.name)).toEqual(['GHSA-35jh-r3h4-6jhm.json', 'all/advisories.json']);
    const all = read2.flatMap((e) => advisoriesFromJson(e.text, e.name));
    expect(all.map((a) => a.id)).toEqual(advisories.map((a) => a.id));
    expect(() => readZipJsonEntries(Buffer.from('plain text, not a zip archive at all'), 'x.zip')).toThrow(
      'x.zip: not a zip archive',
    );
    expect(() => advisoriesFromJson('{"summary":"no id"}', 'bad.json')).toThrow(
      'bad.json: the advisory has no "id"',
    );
  });
});
