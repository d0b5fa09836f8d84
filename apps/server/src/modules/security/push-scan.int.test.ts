import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { fixedClock } from '../../platform/clock.ts';
import { PUSH_SCAN_JOB } from './index.ts';
import { addedLines } from './push-scan-service.ts';
import { SecretScanner } from './secrets/scanner.ts';
import { seededRandom } from './secrets/test-corpus.ts';

/**
 * Secrets and lockfiles scanned on push, on both engines: verified GitHub push deliveries to a
 * mapped service queue a job that reads the commits from a local node:http server serving recorded
 * GitHub REST responses. Findings are stored redacted, once per delivery and per fingerprint.
 */
const WEBHOOK_SECRET = 'push-scan-webhook-secret';
const API_TOKEN = 'gh-test-token-0123';
const START = '2026-05-04T10:00:00.000Z';

// Secret bodies made when the test runs (nothing secret is stored in the repository).
const random = seededRandom(4711);
const pick = (alphabet: string, n: number) =>
  Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const GITHUB_PAT = `ghp_${pick(ALNUM, 34)}7q`;
const AWS_KEY = `AKIA${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`;
const LEGACY_PAT = `ghp_${pick(ALNUM, 34)}9x`;
const MORE_PAT = `ghp_${pick(ALNUM, 34)}3k`;
const OLD_PAT = `ghp_${pick(ALNUM, 34)}5m`;
// A token of a provider only the repository's own config knows.
const ACME_TOKEN = `acme_${pick('abcdefghijklmnopqrstuvwxyz0123456789', 32)}`;

const SHA1 = '1'.repeat(8) + 'a'.repeat(32);
const SHA2 = '2'.repeat(8) + 'b'.repeat(32);
const SHA3 = '3'.repeat(8) + 'c'.repeat(32);
const SHA4 = '4'.repeat(8) + 'd'.repeat(32);
const SHA5 = '5'.repeat(8) + 'd'.repeat(32);
const SHA6 = '6'.repeat(8) + 'd'.repeat(32);
const SHA7 = '7'.repeat(8) + 'd'.repeat(32);
const SHA8 = '8'.repeat(8) + 'd'.repeat(32);
const SHA9 = '9'.repeat(8) + 'd'.repeat(32);
const SHA10 = 'a'.repeat(8) + 'e'.repeat(32);
/** The repository scanner files a push scan reads at the pushed commit. */
const SECRET_FILES = ['.engops-secrets.json', '.engops-secrets-ignore', '.engops-secrets-baseline.json'];
const contents = (repo: string, file: string, sha: string) => `/repos/${repo}/contents/${file}?ref=${sha}`;

const lockfile = JSON.stringify(
  {
    name: 'checkout',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'checkout', version: '1.0.0', dependencies: { lodash: '^4.17.0' } },
      'node_modules/lodash': {
        version: '4.17.15',
        resolved: 'https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz',
      },
    },
  },
  null,
  2,
);

// Shaped like GitHub's "Get a commit" responses (the fields engops reads, and more).
const commits: Record<string, unknown> = {
  [SHA1]: {
    sha: SHA1,
    commit: { author: { name: 'Mona Lisa', email: 'mona@example.test', date: '2026-05-04T09:00:00Z' } },
    author: { login: 'mona' },
    files: [
      {
        filename: 'config/deploy.env',
        status: 'modified',
        additions: 1,
        deletions: 0,
        patch: `@@ -1,2 +1,3 @@\n NODE_ENV=production\n+GITHUB_TOKEN=${GITHUB_PAT}\n PORT=8080`,
      },
      {
        filename: 'package-lock.json',
        status: 'modified',
        patch:
          '@@ -8,3 +8,3 @@\n       "node_modules/lodash": {\n-        "version": "4.17.21",\n+        "version": "4.17.15",',
      },
      { filename: 'docs/logo.png', status: 'added' },
    ],
  },
  [SHA2]: {
    sha: SHA2,
    commit: { author: { name: 'Hubot', email: 'hubot@example.test', date: '2026-05-04T09:30:00Z' } },
    files: [
      {
        filename: 'src/aws.ts',
        status: 'added',
        patch: `@@ -0,0 +1,3 @@\n+export const region = 'eu-west-1';\n+// engops:allow-secret AKIA${'B'.repeat(16)}\n+export const key = '${AWS_KEY}';`,
      },
      {
        filename: 'config/deploy.env',
        status: 'modified',
        patch: `@@ -1,3 +1,4 @@\n NODE_ENV=production\n GITHUB_TOKEN=${GITHUB_PAT}\n+LOG_LEVEL=info\n PORT=8080`,
      },
    ],
  },
  [SHA3]: {
    sha: SHA3,
    commit: { author: { name: 'Mona Lisa', email: 'mona@example.test' } },
    files: [
      {
        filename: 'config/deploy.env',
        status: 'modified',
        // The same secret added again elsewhere in the same file: the same fingerprint.
        patch: `@@ -4,1 +4,2 @@\n PORT=8080\n+BACKUP_TOKEN=${GITHUB_PAT}`,
      },
    ],
  },
};

const ACME_PATCH = `@@ -0,0 +1,2 @@\n+export const acmeUrl = 'https://api.acme.test';\n+export const acmeKey = '${ACME_TOKEN}';`;
const LEGACY_PATCH = `@@ -1,1 +1,2 @@\n NODE_ENV=production\n+LEGACY_TOKEN=${LEGACY_PAT}`;
const OLD_PATCH = `@@ -0,0 +1,1 @@\n+OLD_TOKEN=${OLD_PAT}`;
const lockPatch =
  '@@ -8,3 +8,3 @@\n       "node_modules/lodash": {\n-        "version": "4.17.21",\n+        "version": "4.17.15",';
Object.assign(commits, {
  [SHA5]: {
    sha: SHA5,
    commit: { author: { name: 'Mona Lisa', email: 'mona@example.test' } },
    files: [
      { filename: 'src/acme.ts', status: 'added', patch: ACME_PATCH },
      { filename: 'config/legacy.env', status: 'modified', patch: LEGACY_PATCH },
      { filename: 'config/old.env', status: 'added', patch: OLD_PATCH },
    ],
  },
  [SHA6]: {
    sha: SHA6,
    commit: { author: { name: 'Mona Lisa', email: 'mona@example.test' } },
    files: [
      { filename: 'config/more.env', status: 'added', patch: `@@ -0,0 +1,1 @@\n+MORE_TOKEN=${MORE_PAT}` },
      {
        filename: '.engops-secrets.json',
        status: 'modified',
        patch: '@@ -1 +1 @@\n-{"version": 1}\n+{"version": 2}',
      },
    ],
  },
  [SHA7]: {
    sha: SHA7,
    commit: { author: { name: 'Mona Lisa', email: 'mona@example.test' } },
    files: [
      { filename: 'README.md', status: 'modified', patch: '@@ -1 +1,2 @@\n # Checkout\n+Payments checkout.' },
      { filename: '.engops-secrets.json', status: 'removed', patch: '@@ -1 +0,0 @@\n-{"version": 2}' },
    ],
  },
  // The billing repository: a lockfile change under the repository's dependency ignore file.
  [SHA8]: {
    sha: SHA8,
    commit: { author: { name: 'Mona Lisa', email: 'mona@example.test' } },
    files: [{ filename: 'package-lock.json', status: 'modified', patch: lockPatch }],
  },
  [SHA9]: {
    sha: SHA9,
    commit: { author: { name: 'Mona Lisa', email: 'mona@example.test' } },
    files: [{ filename: 'package-lock.json', status: 'modified', patch: lockPatch }],
  },
  // Only the dependency ignore file changes: an entry for the advisory filed before it.
  [SHA10]: {
    sha: SHA10,
    commit: { author: { name: 'Mona Lisa', email: 'mona@example.test' } },
    files: [
      {
        filename: '.engops-deps-ignore.json',
        status: 'modified',
        patch: '@@ -1 +1 @@\n-{"ignore": []}\n+{"ignore": [...]}',
      },
    ],
  },
});
const depsIgnore = (expires: string) =>
  JSON.stringify({
    ignore: [{ id: 'GHSA-35jh-r3h4-6jhm', package: 'lodash', reason: 'template() is never called', expires }],
  });
const acmeConfig = JSON.stringify({
  version: 1,
  rules: [
    {
      id: 'acme-api-key',
      description: 'ACME API key',
      regex: '\\b(acme_[a-z0-9]{32})\\b',
      keywords: ['acme_'],
      secretGroup: 1,
    },
  ],
});
// The fingerprint the default rules give LEGACY_TOKEN, as `engops scan secrets --format json` shows it.
const legacyFindings = new SecretScanner().scanLines(
  addedLines('config/legacy.env', LEGACY_PATCH),
  'config/legacy.env',
);
// A baseline: the JSON report `engops scan secrets --format json` wrote when OLD_TOKEN was accepted.
const oldFindings = new SecretScanner().scanLines(addedLines('config/old.env', OLD_PATCH), 'config/old.env');
const baselineReport = JSON.stringify({ findings: oldFindings.map((f) => ({ fingerprint: f.fingerprint })) });
// Files of the repositories at a commit (path -> text), served by the contents API.
const repoFiles: Record<string, Record<string, string>> = {
  [SHA5]: {
    '.engops-secrets.json': acmeConfig,
    '.engops-secrets-ignore': `# legacy token, revoked 2026-05-01 (mona)\n${legacyFindings[0]?.fingerprint}  # config/legacy.env\n`,
    '.engops-secrets-baseline.json': baselineReport,
  },
  [SHA6]: { '.engops-secrets.json': '{"version": 2}' },
  [SHA8]: { 'package-lock.json': lockfile, '.engops-deps-ignore.json': depsIgnore('2026-06-30') },
  [SHA9]: { 'package-lock.json': lockfile, '.engops-deps-ignore.json': depsIgnore('2026-05-01') },
  [SHA10]: { 'package-lock.json': lockfile, '.engops-deps-ignore.json': depsIgnore('2026-06-30') },
};

const LEDGER1 = `${'c1'.repeat(4)}${'0'.repeat(32)}`;
const LEDGER2 = `${'c2'.repeat(4)}${'0'.repeat(32)}`;
let ledgerHead = LEDGER1;
const ledgerLock: Record<string, string> = {
  [LEDGER1]: lockfile,
  [LEDGER2]: lockfile.replace(/4\.17\.15/g, '4.17.21'),
};

const repository = {
  id: 42,
  full_name: 'acme/checkout',
  html_url: 'https://github.com/acme/checkout',
  clone_url: 'https://github.com/acme/checkout.git',
};
const push = (shas: string[], repo = repository) => ({
  ref: 'refs/heads/main',
  before: '0'.repeat(40),
  after: shas.at(-1),
  repository: repo,
  pusher: { name: 'mona' },
  commits: shas.map((id) => ({
    id,
    message: `change ${id.slice(0, 7)}`,
    timestamp: '2026-05-04T09:00:00Z',
    author:
      id === SHA2
        ? { name: 'Hubot', email: 'hubot@example.test' }
        : { name: 'Mona Lisa', email: 'mona@example.test' },
    distinct: true,
  })),
});

describe('addedLines', () => {
  it('numbers the added lines of a GitHub patch by their new line', () => {
    expect(addedLines('a.env', '@@ -1,2 +1,3 @@\n A=1\n+B=2\n C=3\n@@ -10,0 +11,1 @@\n+D=4')).toEqual([
      { text: 'B=2', line: 2 },
      { text: 'D=4', line: 11 },
    ]);
  });
});

for (const engine of ENGINES) {
  describe(`push scans [${engine}]`, () => {
    const clock = fixedClock(START);
    const requests: Array<{ url: string; authorization: string | undefined }> = [];
    let api: http.Server;
    let t: TestApp;
    let serviceId: string;
    let failuresLeft = 1;

    beforeAll(async () => {
      api = http.createServer((req, res) => {
        requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        // The ledger repository, read by the scheduled repository scan.
        if (url.pathname === '/repos/acme/ledger')
          return send(200, { full_name: 'acme/ledger', default_branch: 'main' });
        if (url.pathname === '/repos/acme/ledger/branches/main')
          return send(200, { name: 'main', commit: { sha: ledgerHead } });
        if (
          url.pathname === `/repos/acme/ledger/git/trees/${ledgerHead}` &&
          url.searchParams.get('recursive') === '1'
        )
          return send(200, {
            sha: 'tree0',
            truncated: false,
            tree: [
              { path: 'README.md', type: 'blob', mode: '100644', sha: 'b0' },
              { path: 'package-lock.json', type: 'blob', mode: '100644', sha: 'b1' },
              { path: 'docs', type: 'tree', mode: '040000', sha: 't1' },
            ],
          });
        const ledgerText = ledgerLock[url.searchParams.get('ref') ?? ''];
        if (url.pathname === '/repos/acme/ledger/contents/package-lock.json' && ledgerText)
          return send(200, {
            type: 'file',
            encoding: 'base64',
            content: Buffer.from(ledgerText).toString('base64'),
          });
        const commit = /^\/repos\/acme\/(?:checkout|billing)\/commits\/([0-9a-f]{40})$/.exec(url.pathname);
        // SHA4 fails once with a server error (GitHub having a bad minute), then is served.
        if (commit?.[1] === SHA4 && failuresLeft-- > 0) return send(502, { message: 'Server Error' });
        if (commit?.[1] === SHA4) return send(200, { sha: SHA4, commit: {}, files: [] });
        if (commit) {
          const body = commits[commit[1] ?? ''];
          return body ? send(200, body) : send(404, { message: 'Not Found' });
        }
        if (
          url.pathname === '/repos/acme/checkout/contents/package-lock.json' &&
          url.searchParams.get('ref') === SHA1
        )
          return send(200, {
            type: 'file',
            encoding: 'base64',
            path: 'package-lock.json',
            content: Buffer.from(lockfile).toString('base64').replace(/.{60}/g, '$&\n'),
          });
        const file = /^\/repos\/acme\/(?:checkout|billing)\/contents\/(.+)$/.exec(url.pathname);
        const text =
          file && repoFiles[url.searchParams.get('ref') ?? '']?.[decodeURIComponent(file[1] ?? '')];
        if (typeof text === 'string')
          return send(200, {
            type: 'file',
            encoding: 'base64',
            content: Buffer.from(text).toString('base64'),
          });
        send(404, { message: 'Not Found' });
      });
      await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
      t = await createTestApp(engine, {
        clock,
        env: {
          ENGOPS_GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
          ENGOPS_GITHUB_TOKEN: API_TOKEN,
          ENGOPS_GITHUB_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
        },
      });
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Payments', time_zone: 'UTC' } });
      const service = await t.call('POST', '/api/v1/services', {
        body: { name: 'checkout', team_id: team.json.id, repository_url: 'git@github.com:acme/checkout.git' },
      });
      expect(service.status).toBe(201);
      serviceId = service.json.id;
      const osv = path.join(import.meta.dirname, 'deps/fixtures/osv/GHSA-35jh-r3h4-6jhm.json');
      const imported = await t.call('POST', '/api/v1/security/advisories', {
        body: { advisories: [JSON.parse(fs.readFileSync(osv, 'utf8'))] },
      });
      expect(imported.json).toMatchObject({ imported: 1 });
      await t.container.worker.drain();
    });
    afterAll(async () => {
      await t?.close();
      await new Promise<void>((resolve) => api?.close(() => resolve()));
    });

    const deliver = (id: string, payload: unknown, event = 'push') => {
      const body = JSON.stringify(payload);
      return t.call('POST', '/webhooks/github', {
        token: null,
        payload: body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': event,
          'x-github-delivery': id,
          'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
        },
      });
    };
    const findings = async (kind: string) =>
      (await t.call('GET', `/api/v1/security/findings?service_id=${serviceId}&kind=${kind}`)).json
        .items as Array<Record<string, unknown>>;
    const pushJobs = () =>
      t.container.db
        .selectFrom('jobs')
        .select(['status', 'dedupe_key'])
        .where('kind', '=', PUSH_SCAN_JOB)
        .execute();

    it('scans the pushed commits once per delivery and stores redacted findings', async () => {
      const first = await deliver('push-1', push([SHA1, SHA2]));
      expect(first.status, first.body).toBe(200);
      expect(first.json.status).toBe('processed');
      expect(first.json.detail).toContain('security: 2 commit(s) queued for scanning');
      const again = await deliver('push-1', push([SHA1, SHA2]));
      expect(again.json.status).toBe('duplicate');
      expect(await pushJobs()).toEqual([{ status: 'pending', dedupe_key: 'security:push-scan:push-1' }]);
      expect(requests).toEqual([]);

      await t.container.worker.drain();
      expect(await pushJobs()).toEqual([{ status: 'done', dedupe_key: 'security:push-scan:push-1' }]);
      expect(requests.map((r) => r.url)).toEqual([
        `/repos/acme/checkout/commits/${SHA1}`,
        `/repos/acme/checkout/commits/${SHA2}`,
        // The repository's scanner files at the pushed commit (none here: the defaults).
        ...SECRET_FILES.map((f) => contents('acme/checkout', f, SHA2)),
        contents('acme/checkout', '.engops-deps-ignore.json', SHA2),
        `/repos/acme/checkout/contents/package-lock.json?ref=${SHA1}`,
      ]);
      expect(new Set(requests.map((r) => r.authorization))).toEqual(new Set([`Bearer ${API_TOKEN}`]));

      const secrets = (await findings('secret')).map((f) => ({
        rule: f.rule,
        file: f.file,
        line: f.line,
        commit: f.commit,
        author: f.author,
        title: f.title,
        severity: f.severity,
        status: f.status,
      }));
      expect(secrets.sort((a, b) => String(a.file).localeCompare(String(b.file)))).toEqual([
        {
          rule: 'github-pat',
          file: 'config/deploy.env',
          line: 2,
          commit: SHA1,
          author: 'Mona Lisa <mona@example.test>',
          title: `GitHub personal access token (classic, ghp_): ${GITHUB_PAT.slice(0, 4)}…`,
          severity: 'high',
          status: 'open',
        },
        {
          rule: 'aws-access-key-id',
          file: 'src/aws.ts',
          line: 3,
          commit: SHA2,
          author: 'Hubot <hubot@example.test>',
          title: `AWS access key id: ${AWS_KEY.slice(0, 4)}…`,
          severity: 'high',
          status: 'open',
        },
      ]);

      // The changed lockfile was read again and matched against the stored advisory.
      const deps = await findings('dependency');
      expect(deps.map((f) => [f.rule, f.package, f.version, f.fixed_version, f.file])).toEqual([
        ['GHSA-35jh-r3h4-6jhm', 'lodash', '4.17.15', '4.17.21', 'package-lock.json'],
      ]);
      const inventory = await t.container.db
        .selectFrom('security_dependencies')
        .select(['name', 'version', 'file'])
        .where('service_id', '=', serviceId)
        .execute();
      expect(inventory).toEqual([{ name: 'lodash', version: '4.17.15', file: 'package-lock.json' }]);

      // Never stored in full: not in findings, scans, jobs or the audit log.
      for (const table of ['security_findings', 'security_scans', 'jobs', 'audit_log'] as const) {
        const dump = JSON.stringify(await t.container.db.selectFrom(table).selectAll().execute());
        expect(dump.includes(GITHUB_PAT) || dump.includes(AWS_KEY), table).toBe(false);
      }
    });

    it('keeps one finding per fingerprint across pushes', async () => {
      requests.length = 0;
      clock.set('2026-05-05T10:00:00.000Z');
      const next = await deliver('push-2', push([SHA3]));
      expect(next.json.status).toBe('processed');
      await t.container.worker.drain();
      expect(requests.map((r) => r.url)).toEqual([
        `/repos/acme/checkout/commits/${SHA3}`,
        ...SECRET_FILES.map((f) => contents('acme/checkout', f, SHA3)),
      ]);
      const secrets = await findings('secret');
      // BACKUP_TOKEN on line 5 carries the same secret in the same file: the same finding, seen again.
      expect(secrets).toHaveLength(2);
      const pat = secrets.find((f) => f.rule === 'github-pat');
      expect(pat).toMatchObject({ first_seen_at: START, last_seen_at: '2026-05-05T10:00:00.000Z', line: 5 });
    });

    it('retries the job when the GitHub API fails, with backoff', async () => {
      const failing = await deliver('push-4', push([SHA4]));
      expect(failing.json.status).toBe('processed');
      await t.container.worker.drain();
      const failed = await t.container.db
        .selectFrom('jobs')
        .select(['status', 'attempts', 'last_error', 'run_at'])
        .where('dedupe_key', '=', 'security:push-scan:push-4')
        .executeTakeFirstOrThrow();
      expect(failed).toEqual({
        status: 'pending',
        attempts: 1,
        last_error: `GitHub API /repos/acme/checkout/commits/${SHA4}: HTTP 502`,
        // backoffMs(1): one second after the failed attempt.
        run_at: '2026-05-05T10:00:01.000Z',
      });
      clock.set('2026-05-05T10:00:01.000Z');
      await t.container.worker.drain();
      const done = await t.container.db
        .selectFrom('jobs')
        .select(['status', 'attempts'])
        .where('dedupe_key', '=', 'security:push-scan:push-4')
        .executeTakeFirstOrThrow();
      expect(done).toEqual({ status: 'done', attempts: 2 });
      expect(await findings('secret')).toHaveLength(2);
    });

    it('ignores pushes to unmapped repositories and other events', async () => {
      const before = (await pushJobs()).length;
      const other = await deliver(
        'push-3',
        push([SHA1], {
          ...repository,
          full_name: 'acme/other',
          html_url: 'https://github.com/acme/other',
          clone_url: '',
        }),
      );
      expect(other.status).toBe(200);
      expect(other.json.status).toBe('ignored');
      const ping = await deliver('ping-1', { zen: 'Keep it logically awesome.', hook_id: 1 }, 'ping');
      expect(ping.status).toBe(200);
      expect(await pushJobs()).toHaveLength(before);
    });

    it('scans a GitHub repository at its default branch daily (Enterprise Server host), and resolves upgrades', async () => {
      const port = (api.address() as AddressInfo).port;
      const checkout = (await t.call('GET', `/api/v1/services/${serviceId}`)).json;
      const created = await t.call('POST', '/api/v1/services', {
        body: {
          name: 'ledger',
          team_id: checkout.team_id,
          repository_url: `http://127.0.0.1:${port}/acme/ledger`,
        },
      });
      expect(created.status, created.body).toBe(201);
      requests.length = 0;
      ledgerHead = LEDGER1;
      await t.container.start();
      clock.set('2026-05-06T02:00:00.000Z');
      await t.container.worker.drain();
      expect(requests.map((r) => r.url)).toEqual([
        '/repos/acme/ledger',
        '/repos/acme/ledger/branches/main',
        `/repos/acme/ledger/git/trees/${LEDGER1}?recursive=1`,
        `/repos/acme/ledger/contents/package-lock.json?ref=${LEDGER1}`,
        contents('acme/ledger', '.engops-deps-ignore.json', LEDGER1),
      ]);
      const deps = async () =>
        (await t.call('GET', `/api/v1/security/findings?service_id=${created.json.id}&kind=dependency`)).json
          .items as Array<Record<string, unknown>>;
      expect((await deps()).map((f) => [f.package, f.version, f.status])).toEqual([
        ['lodash', '4.17.15', 'open'],
      ]);
      ledgerHead = LEDGER2;
      clock.set('2026-05-07T02:00:00.000Z');
      await t.container.worker.drain();
      expect((await deps()).map((f) => [f.version, f.status, f.status_reason])).toEqual([
        [
          '4.17.15',
          'fixed',
          'lodash upgraded to 4.17.21 in package-lock.json, past the fixed version 4.17.21; ' +
            `GHSA-35jh-r3h4-6jhm no longer applies (commit ${LEDGER2.slice(0, 12)})`,
        ],
      ]);
    });

    it("applies the repository's secrets config (custom rules) and ignore file at the pushed commit", async () => {
      // Without the repository's files, the default rules find the legacy token and miss the ACME key.
      expect(legacyFindings.map((f) => f.rule)).toEqual(['github-pat']);
      expect(oldFindings.map((f) => f.rule)).toEqual(['github-pat']);
      const plain = new SecretScanner().scanLines(addedLines('src/acme.ts', ACME_PATCH), 'src/acme.ts');
      expect(plain).toEqual([]);
      requests.length = 0;
      clock.set('2026-05-08T10:00:00.000Z');
      expect((await deliver('push-5', push([SHA5]))).json.status).toBe('processed');
      await t.container.worker.drain();
      // (The daily repository scan of the ledger ran too, as the clock passed 02:00.)
      expect(requests.map((r) => r.url).filter((u) => u.startsWith('/repos/acme/checkout/'))).toEqual([
        `/repos/acme/checkout/commits/${SHA5}`,
        ...SECRET_FILES.map((f) => contents('acme/checkout', f, SHA5)),
      ]);
      const secrets = await findings('secret');
      // Suppressed by the ignore file and by the baseline.
      expect(secrets.filter((f) => f.file === 'config/legacy.env' || f.file === 'config/old.env')).toEqual(
        [],
      );
      expect(secrets.filter((f) => f.file === 'src/acme.ts').map((f) => [f.rule, f.line, f.title])).toEqual([
        ['acme-api-key', 2, `ACME API key: ${ACME_TOKEN.slice(0, 4)}…`],
      ]);
      const dump = JSON.stringify(await t.container.db.selectFrom('security_findings').selectAll().execute());
      expect(dump.includes(ACME_TOKEN) || dump.includes(LEGACY_PAT) || dump.includes(OLD_PAT)).toBe(false);
    });

    it('files an invalid secrets config as a finding, scans with the defaults, and fixes it once the file is gone', async () => {
      clock.set('2026-05-09T10:00:00.000Z');
      expect((await deliver('push-6', push([SHA6]))).json.status).toBe('processed');
      await t.container.worker.drain();
      const secrets = await findings('secret');
      expect(secrets.find((f) => f.file === 'config/more.env')).toMatchObject({
        rule: 'github-pat',
        line: 1,
      });
      const config = secrets.filter((f) => f.rule === 'engops-scan-config');
      expect(config.map((f) => [f.file, f.severity, f.status, f.commit])).toEqual([
        ['.engops-secrets.json', 'medium', 'open', SHA6],
      ]);
      expect(config[0]?.title).toContain('Invalid scanner file, scanned with the defaults:');
      expect(config[0]?.title).toContain('is not a valid secrets config');

      clock.set('2026-05-10T10:00:00.000Z');
      expect((await deliver('push-7', push([SHA7]))).json.status).toBe('processed');
      await t.container.worker.drain();
      const fixed = (await findings('secret')).filter((f) => f.rule === 'engops-scan-config');
      expect(fixed.map((f) => [f.status, f.status_reason, f.status_changed_by])).toEqual([
        ['fixed', `.engops-secrets.json is valid or gone at commit ${SHA7.slice(0, 12)}`, 'engops-push-scan'],
      ]);
    });

    it('does not file a dependency the ignore file covers until its entry expires', async () => {
      const checkout = (await t.call('GET', `/api/v1/services/${serviceId}`)).json;
      const billing = await t.call('POST', '/api/v1/services', {
        body: {
          name: 'billing',
          team_id: checkout.team_id,
          repository_url: 'https://github.com/acme/billing',
        },
      });
      expect(billing.status, billing.body).toBe(201);
      const repo = {
        id: 43,
        full_name: 'acme/billing',
        html_url: 'https://github.com/acme/billing',
        clone_url: 'https://github.com/acme/billing.git',
      };
      const deps = async () =>
        (await t.call('GET', `/api/v1/security/findings?service_id=${billing.json.id}&kind=dependency`)).json
          .items as Array<Record<string, unknown>>;
      clock.set('2026-05-11T10:00:00.000Z');
      requests.length = 0;
      expect((await deliver('push-8', push([SHA8], repo))).json.status).toBe('processed');
      await t.container.worker.drain();
      expect(requests.map((r) => r.url)).toContain(
        contents('acme/billing', '.engops-deps-ignore.json', SHA8),
      );
      // Matched, but ignored until 2026-06-30: in the inventory, not filed.
      const inventory = await t.container.db
        .selectFrom('security_dependencies')
        .select(['name', 'version'])
        .where('service_id', '=', billing.json.id)
        .execute();
      expect(inventory).toEqual([{ name: 'lodash', version: '4.17.15' }]);
      expect(await deps()).toEqual([]);
      // The entries are kept for the server's rescans (after an advisory import, and daily): the
      // rescan leaves the ignored advisory alone too.
      const rescanned = await t.container.security.service.advisories.rescan([billing.json.id]);
      expect(rescanned.get(billing.json.id)).toEqual([]);
      expect(await deps()).toEqual([]);

      // The next commit's ignore entry expired on 2026-05-01: it ignores nothing.
      expect((await deliver('push-9', push([SHA9], repo))).json.status).toBe('processed');
      await t.container.worker.drain();
      expect((await deps()).map((f) => [f.rule, f.package, f.version, f.status])).toEqual([
        ['GHSA-35jh-r3h4-6jhm', 'lodash', '4.17.15', 'open'],
      ]);

      // A later push adds an entry for it (only the ignore file changes): the finding filed before
      // the entry is set aside with the entry's reason, not left open nor taken for fixed.
      expect((await deliver('push-10', push([SHA10], repo))).json.status).toBe('processed');
      await t.container.worker.drain();
      const [aside] = await deps();
      expect(aside).toMatchObject({
        status: 'acknowledged',
        status_changed_by: 'engops (ignore entry)',
        status_reason:
          'Ignored by the entry for GHSA-35jh-r3h4-6jhm (lodash): template() is never called (until 2026-06-30)',
      });
      // A complete scan that leaves it out (the CLI applies the same entry) does not mark it fixed.
      const upload = await t.call('POST', '/api/v1/security/scans', {
        body: {
          service_id: billing.json.id,
          kind: 'dependency',
          tool: 'engops-cli',
          complete: true,
          findings: [],
        },
      });
      expect(upload.status, upload.body).toBe(201);
      expect(upload.json).toMatchObject({ fixed: 0 });
      expect((await deps())[0]?.status).toBe('acknowledged');

      // The entry expires: the next rescan opens the finding again, and says why.
      clock.set('2026-07-01T08:00:00.000Z');
      await t.container.security.service.advisories.rescan([billing.json.id]);
      expect((await deps()).map((f) => [f.status, f.status_reason])).toEqual([
        ['open', 'Its ignore entry expired or was removed'],
      ]);
      const audit = (await t.call('GET', '/api/v1/audit-log?action=security.finding.status&limit=50')).json
        .items as Array<{ target_id: string; after: { status: string } }>;
      expect(audit.filter((e) => e.target_id === aside?.id).map((e) => e.after.status)).toEqual([
        'open',
        'acknowledged',
      ]);
    });
  });
}
