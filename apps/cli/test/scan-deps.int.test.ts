import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../../test-support/engines.ts';

/**
 * `engops scan deps` as a pipeline runs it (the real CLI in a child process) on a temp tree of real
 * lockfile samples: OSV advisories from a folder and from a local server speaking OSV's
 * querybatch API, text/JSON/SARIF output, ignore entries, exit codes, and --upload to a real
 * engops server on 127.0.0.1 (both engines).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'apps/cli/bin/engops.js');
const FIXTURES = path.join(ROOT, 'apps/server/src/modules/security/deps/fixtures');
const ADVISORIES = path.join(FIXTURES, 'osv');

let tree: string;
beforeAll(() => {
  tree = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-deps-'));
  fs.copyFileSync(path.join(FIXTURES, 'package-lock-v3.json'), path.join(tree, 'package-lock.json'));
  fs.mkdirSync(path.join(tree, 'reports'));
  fs.copyFileSync(path.join(FIXTURES, 'poetry.lock'), path.join(tree, 'reports/poetry.lock'));
  fs.copyFileSync(path.join(FIXTURES, 'pyproject.toml'), path.join(tree, 'reports/pyproject.toml'));
  // Lockfiles inside node_modules are not the project's: skipped.
  fs.mkdirSync(path.join(tree, 'node_modules/x'), { recursive: true });
  fs.copyFileSync(path.join(FIXTURES, 'go.sum'), path.join(tree, 'node_modules/x/go.sum'));
});
afterAll(() => fs.rmSync(tree, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}, command = 'deps') {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ENGOPS_')) clean[k] = v;
    const head = command === 'advisories' ? ['advisories', 'import'] : ['scan', command];
    const child = spawn(process.execPath, [BIN, ...head, ...args], {
      cwd: tree,
      env: { ...clean, ...env },
    });
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

/** A local server speaking OSV's API over the fixture advisories (ids by package, records by id). */
async function startOsv() {
  const records = [
    JSON.parse(fs.readFileSync(path.join(ADVISORIES, 'GHSA-35jh-r3h4-6jhm.json'), 'utf8')),
    ...JSON.parse(fs.readFileSync(path.join(ADVISORIES, 'advisories.json'), 'utf8')),
  ] as Array<{ id: string; affected?: Array<{ package: { name: string; ecosystem: string } }> }>;
  const requests: string[] = [];
  let queries = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      if (req.method === 'POST' && req.url === '/v1/querybatch') {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as {
          queries: Array<{ package: { name: string; ecosystem: string } }>;
        };
        queries += body.queries.length;
        const results = body.queries.map((q) => ({
          vulns: records
            .filter((r) =>
              r.affected?.some(
                (a) =>
                  a.package.name.toLowerCase() === q.package.name.toLowerCase() &&
                  a.package.ecosystem === q.package.ecosystem,
              ),
            )
            .map((r) => ({ id: r.id, modified: '2024-01-01T00:00:00Z' })),
        }));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
        return;
      }
      const m = /^\/v1\/vulns\/(.+)$/.exec(req.url ?? '');
      const record = m && records.find((r) => r.id === decodeURIComponent(m[1]!));
      if (req.method === 'GET' && record)
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(record));
      else res.writeHead(404).end('{"code":5,"message":"Bug not found."}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    queries: () => queries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

it('reports vulnerable dependencies as text, JSON and SARIF with exit 1, and 0 below --fail-on', async () => {
  const text = await cli(['.', '--advisories', ADVISORIES]);
  expect(text.code, text.stderr).toBe(1);
  expect(text.stdout).toContain('package-lock.json:34  qs@6.7.0 (npm)  GHSA-hrpp-h998-j3pp  high 7.5');
  expect(text.stdout).toContain('fix: upgrade to 6.7.3; path: express@4.17.1 > qs@6.7.0');
  expect(text.stdout).toContain(
    '4 vulnerable dependencies found (9 package versions in 2 lockfiles, 7 advisories)',
  );

  const json = await cli(['.', '--advisories', ADVISORIES, '--format', 'json']);
  expect(json.code).toBe(1);
  const report = JSON.parse(json.stdout);
  expect(report).toMatchObject({
    tool: 'engops-deps',
    lockfiles: ['package-lock.json', 'reports/poetry.lock'],
    dependencies: 9,
    advisories: 7,
  });
  expect(
    report.findings.map(
      (f: { package: string; severity: string; fixed: string }) => `${f.package} ${f.severity} ${f.fixed}`,
    ),
  ).toEqual(['minimist critical 1.2.6', 'lodash high 4.17.21', 'qs high 6.7.3', 'jinja2 medium 2.11.3']);

  const sarif = await cli([
    '.',
    '--advisories',
    path.join(ADVISORIES, 'advisories.json'),
    '--format',
    'sarif',
    '--no-dev',
  ]);
  expect(sarif.code).toBe(1);
  const log = JSON.parse(sarif.stdout);
  expect(log.version).toBe('2.1.0');
  expect(log.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toEqual([
    'GHSA-hrpp-h998-j3pp',
    'GHSA-g3rq-g295-4j3m',
  ]);

  const high = await cli(['.', '--advisories', ADVISORIES, '--no-dev', '--fail-on', 'critical']);
  expect(high.code).toBe(0);
  expect(high.stdout).toContain('3 vulnerable dependencies found');
});

it('honours the ignore file next to the lockfiles until an entry expires', async () => {
  const ignore = path.join(tree, '.engops-deps-ignore.json');
  fs.writeFileSync(
    ignore,
    JSON.stringify({
      ignore: [
        { id: 'CVE-2021-44906', reason: 'dev-only CLI parsing', expires: '2999-01-01' },
        { id: 'GHSA-35jh-r3h4-6jhm', reason: 'template() never called', expires: '2000-01-01' },
      ],
    }),
  );
  try {
    const res = await cli(['.', '--advisories', ADVISORIES, '--format', 'json']);
    expect(res.code).toBe(1);
    const report = JSON.parse(res.stdout);
    expect(report.ignored).toBe(1);
    expect(report.findings.map((f: { package: string }) => f.package)).toEqual(['lodash', 'qs', 'jinja2']);
    expect(report.expired_ignores).toEqual([
      { id: 'GHSA-35jh-r3h4-6jhm', reason: 'template() never called', expires: '2000-01-01' },
    ]);
    // SARIF keeps the ignored finding as a suppressed result carrying the entry's reason and expiry.
    const sarif = await cli(['.', '--advisories', ADVISORIES, '--format', 'sarif']);
    expect(sarif.code).toBe(1);
    const results = JSON.parse(sarif.stdout).runs[0].results as Array<{
      ruleId: string;
      suppressions?: Array<{ kind: string; status: string; justification: string }>;
    }>;
    expect(results.filter((r) => !r.suppressions)).toHaveLength(3);
    expect(results.filter((r) => r.suppressions).map((r) => [r.ruleId, r.suppressions])).toEqual([
      [
        // Ignored by its CVE alias; the rule is the advisory's own id.
        'GHSA-xvch-5gv4-984h',
        [
          {
            kind: 'external',
            status: 'accepted',
            justification: 'dev-only CLI parsing (ignored until 2999-01-01)',
          },
        ],
      ],
    ]);
    fs.writeFileSync(ignore, JSON.stringify({ ignore: [{ id: 'GHSA-x' }] }));
    const broken = await cli(['.', '--advisories', ADVISORIES]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('ignore[0] (GHSA-x) needs a "reason"');
  } finally {
    fs.rmSync(ignore);
  }
});

it('exits 2 when it cannot scan: no advisories, a broken lockfile, a bad advisory file', async () => {
  expect((await cli(['.'])).code).toBe(2);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-deps-bad-'));
  try {
    fs.writeFileSync(path.join(dir, 'package-lock.json'), '{ not json');
    const broken = await cli([dir, '--advisories', ADVISORIES]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('package-lock.json: not a JSON object');
    fs.writeFileSync(path.join(dir, 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}');
    fs.writeFileSync(path.join(dir, 'osv.json'), '{"summary":"no id"}');
    const bad = await cli([dir, '--advisories', path.join(dir, 'osv.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('the advisory has no "id"');
    const clean = await cli([dir, '--advisories', ADVISORIES]);
    expect(clean.code).toBe(0);
    expect(clean.stderr).toContain(
      'No vulnerable dependencies (0 package versions in 1 lockfile, 7 advisories).',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it("asks a server speaking OSV's querybatch API, then fetches each advisory", async () => {
  const osv = await startOsv();
  try {
    const res = await cli(['.', '--osv-url', osv.url, '--format', 'json']);
    expect(res.code, res.stderr).toBe(1);
    expect(JSON.parse(res.stdout).findings.map((f: { advisory: string }) => f.advisory)).toEqual([
      'GHSA-xvch-5gv4-984h',
      'GHSA-35jh-r3h4-6jhm',
      'GHSA-hrpp-h998-j3pp',
      'GHSA-g3rq-g295-4j3m',
    ]);
    expect(osv.queries()).toBe(9);
    expect(osv.requests.filter((r) => r.startsWith('GET')).sort()).toEqual([
      'GET /v1/vulns/GHSA-35jh-r3h4-6jhm',
      'GET /v1/vulns/GHSA-g3rq-g295-4j3m',
      'GET /v1/vulns/GHSA-hrpp-h998-j3pp',
      // This server answers by package name only; the record says withdrawn, so it matches nothing.
      'GET /v1/vulns/GHSA-withdrawn-test',
      'GET /v1/vulns/GHSA-xvch-5gv4-984h',
    ]);
  } finally {
    await osv.close();
  }
});

describeEachEngine('engops scan deps --upload', (get) => {
  it('uploads findings to the service on the server; a later clean scan marks them fixed', async () => {
    const t = get();
    const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Shop', time_zone: 'UTC' } });
    expect(
      (await t.call('POST', '/api/v1/services', { body: { name: 'shop-api', team_id: team.json.id } }))
        .status,
    ).toBe(201);
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const env = { ENGOPS_URL: address, ENGOPS_TOKEN: await t.tokenFor('responder', team.json.id) };
    const first = await cli(
      ['package-lock.json', '--advisories', ADVISORIES, '--upload', '--service', 'shop-api'],
      env,
    );
    expect(first.code, first.stderr).toBe(1);
    expect(first.stderr).toContain('for shop-api: 3 new, 0 reopened, 0 fixed, 3 open.');
    const listed = await t.call('GET', '/api/v1/security/findings?kind=dependency');
    expect(
      listed.json.items
        .map(
          (f: { package: string; severity: string; fixed_version: string; status: string }) =>
            `${f.package} ${f.severity} ${f.fixed_version} ${f.status}`,
        )
        .sort(),
    ).toEqual(['lodash high 4.17.21 open', 'minimist critical 1.2.6 open', 'qs high 6.7.3 open']);

    // Without dev dependencies, minimist is gone from the scan: fixed on the server.
    const second = await cli(
      ['package-lock.json', '--advisories', ADVISORIES, '--no-dev', '--upload', '--service', 'shop-api'],
      env,
    );
    expect(second.stderr).toContain('0 new, 0 reopened, 1 fixed, 2 open.');
    const refused = await cli(
      ['package-lock.json', '--advisories', ADVISORIES, '--upload', '--service', 'no-such-service'],
      env,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('CATALOG_SERVICE_NOT_FOUND');

    // The inventory went along (6 packages without dev); advisories imported into the server's store
    // are matched against it by the rescan job, with the same fingerprints as the CLI's findings.
    const inventory = await t.container.db.selectFrom('security_dependencies').select('name').execute();
    expect(inventory.map((d) => d.name).sort()).toEqual([
      '@scope/util',
      'body-parser',
      'express',
      'lodash',
      'lodash',
      'qs',
    ]);
    const imported = await cli([ADVISORIES], { ...env, ENGOPS_TOKEN: t.adminToken }, 'advisories');
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(`8 new, 0 updated, 0 unchanged advisories in ${address} (8 stored).`);
    await t.container.worker.drain();
    const after = await t.call('GET', '/api/v1/security/findings?kind=dependency&status=unresolved');
    expect(after.json.items.map((f: { package: string }) => f.package).sort()).toEqual(['lodash', 'qs']);

    // The ignore entries a scan applied go along with the inventory: the server's later rescans
    // leave the ignored advisory alone instead of filing it again. The finding filed before the
    // entry is set aside (acknowledged, with the entry's reason), not taken for fixed.
    const ignoreFile = path.join(os.tmpdir(), `engops-deps-ignore-${randomBytes(4).toString('hex')}.json`);
    fs.writeFileSync(
      ignoreFile,
      JSON.stringify({
        ignore: [
          {
            id: 'GHSA-hrpp-h998-j3pp',
            reason: 'qs parses only our own query strings',
            expires: '2999-01-01',
          },
        ],
      }),
    );
    const third = await cli(
      [
        'package-lock.json',
        '--advisories',
        ADVISORIES,
        '--no-dev',
        '--ignore-file',
        ignoreFile,
        '--upload',
        '--service',
        'shop-api',
      ],
      env,
    );
    fs.rmSync(ignoreFile);
    expect(third.stderr).toContain('0 new, 0 reopened, 0 fixed, 1 set aside by ignore entries, 2 open.');
    const rescanned = await t.container.security.service.advisories.rescan();
    expect([...rescanned.values()].flat().map((f) => f.package)).toEqual(['lodash']);
    const unresolved = await t.call('GET', '/api/v1/security/findings?kind=dependency&status=unresolved');
    expect(
      unresolved.json.items
        .map((f: { package: string; status: string; status_reason: string | null }) => [
          f.package,
          f.status,
          f.status_reason,
        ])
        .sort(),
    ).toEqual([
      ['lodash', 'open', null],
      [
        'qs',
        'acknowledged',
        'Ignored by the entry for GHSA-hrpp-h998-j3pp: qs parses only our own query strings (until 2999-01-01)',
      ],
    ]);

    // Secrets go to the same store, redacted: the secret itself never reaches the server.
    const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const secret = `ghp_${[...randomBytes(36)].map((b) => ALNUM[b % ALNUM.length]).join('')}`;
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-secret-upload-'));
    try {
      fs.writeFileSync(path.join(src, 'config.js'), `module.exports = {\n  token: '${secret}',\n};\n`);
      const scanned = await cli([src, '--upload', '--service', 'shop-api'], env, 'secrets');
      expect(scanned.code, scanned.stderr).toBe(1);
      expect(scanned.stderr).toContain('for shop-api: 1 new, 0 reopened, 0 fixed, 1 open.');
      const secrets = await t.call('GET', '/api/v1/security/findings?kind=secret');
      expect(secrets.json.items).toHaveLength(1);
      expect(secrets.json.items[0]).toMatchObject({
        rule: 'github-pat',
        file: 'config.js',
        line: 2,
        severity: 'high',
      });
      expect(JSON.stringify(secrets.json)).not.toContain(secret.slice(4));
      const rows = await t.container.db.selectFrom('security_findings').selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(secret.slice(4));
    } finally {
      fs.rmSync(src, { recursive: true, force: true });
    }
  });
});
