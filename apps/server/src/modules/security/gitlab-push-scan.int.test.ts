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
 * GitLab pushes scanned on the server, on both engines: a verified Push Hook to a mapped project
 * queues a job that reads each commit's diff and the changed lockfiles from a local node:http
 * server serving recorded GitLab REST responses (shapes from GitLab's API docs). A later push that
 * upgrades a vulnerable package past its fix resolves the finding; a secret removed by a later
 * commit stays open (it is still in the history until rotated).
 */
const HOOK_TOKEN = 'gitlab-hook-token-for-push-scans';
const API_TOKEN = 'glpat-test-api-token-000';
const START = '2026-06-01T08:00:00.000Z';

const random = seededRandom(1312);
const pick = (alphabet: string, n: number) =>
  Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const GITLAB_PAT = `glpat-${pick(ALNUM, 20)}`;
const AWS_KEY = `AKIA${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`;

const C1 = `${'1'.repeat(8)}${'e'.repeat(32)}`;
const C2 = `${'2'.repeat(8)}${'e'.repeat(32)}`;
const C3 = `${'3'.repeat(8)}${'e'.repeat(32)}`;
const C4 = `${'4'.repeat(8)}${'e'.repeat(32)}`;
const C5 = `${'5'.repeat(8)}${'e'.repeat(32)}`;
const C6 = `${'6'.repeat(8)}${'e'.repeat(32)}`;
const C7 = `${'7'.repeat(8)}${'e'.repeat(32)}`;
const C8 = `${'8'.repeat(8)}${'e'.repeat(32)}`;
const SECOND_PAT = `glpat-${pick(ALNUM, 24)}`;
const C9 = `${'9'.repeat(8)}${'e'.repeat(32)}`;
const LEGACY_PAT = `glpat-${pick(ALNUM, 20)}`;
// A token of a provider only the repository's own config knows.
const ACME_TOKEN = `acme_${pick('abcdefghijklmnopqrstuvwxyz0123456789', 32)}`;
// Commits of the billing project (id 79).
const B1 = `${'b1'.repeat(4)}${'e'.repeat(32)}`;
const B2 = `${'b2'.repeat(4)}${'e'.repeat(32)}`;
const B3 = `${'b3'.repeat(4)}${'e'.repeat(32)}`;
/** The repository scanner files a push scan reads at the pushed commit. */
const SECRET_FILES = ['.engops-secrets.json', '.engops-secrets-ignore', '.engops-secrets-baseline.json'];
const fileUrl = (project: number, file: string, sha: string) =>
  `/api/v4/projects/${project}/repository/files/${encodeURIComponent(file)}?ref=${sha}`;
const L1 = `${'a1'.repeat(4)}${'f'.repeat(32)}`;
const L2 = `${'a2'.repeat(4)}${'f'.repeat(32)}`;
// The ledger repository's default branch head, as the scheduled scan finds it.
let ledgerHead = L1;

const lockfile = (lodash: string) =>
  JSON.stringify(
    {
      name: 'checkout',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'checkout', version: '1.0.0', dependencies: { lodash: '^4.17.0' } },
        'node_modules/lodash': {
          version: lodash,
          resolved: `https://registry.npmjs.org/lodash/-/lodash-${lodash}.tgz`,
        },
      },
    },
    null,
    2,
  );
const ledgerFiles: Record<string, Record<string, string>> = {
  [L1]: { 'package-lock.json': lockfile('4.17.15'), 'tools/package-lock.json': lockfile('4.17.21') },
  [L2]: { 'package-lock.json': lockfile('4.17.21'), 'tools/package-lock.json': lockfile('4.17.21') },
};
const lockDiff = (from: string, to: string) =>
  `@@ -8,3 +8,3 @@\n       "node_modules/lodash": {\n-        "version": "${from}",\n+        "version": "${to}",`;
// One entry of "Get the diff of a commit" (GET /projects/:id/repository/commits/:sha/diff).
const diff = (file: string, patch: string, extra: Record<string, unknown> = {}) => ({
  diff: patch,
  new_path: file,
  old_path: file,
  a_mode: '100644',
  b_mode: '100644',
  new_file: false,
  renamed_file: false,
  deleted_file: false,
  ...extra,
});

// Each commit's diff, as pages of the paged list (C1's runs over two pages).
const diffs: Record<string, unknown[][]> = {
  [C1]: [
    [
      diff(
        'config/app.env',
        `@@ -1,2 +1,3 @@\n NODE_ENV=production\n PORT=8080\n+GITLAB_TOKEN=${GITLAB_PAT}`,
      ),
      diff('docs/logo.png', '', { new_file: true, a_mode: '0' }),
    ],
    [diff('package-lock.json', lockDiff('4.17.21', '4.17.15'))],
  ],
  [C2]: [
    [
      diff(
        'src/aws.ts',
        `@@ -0,0 +1,2 @@\n+export const key = '${AWS_KEY}';\n+export const region = 'eu-west-1';`,
        {
          new_file: true,
        },
      ),
    ],
  ],
  // The token line is removed again and lodash upgraded past the fix.
  [C3]: [
    [
      diff(
        'config/app.env',
        `@@ -1,3 +1,2 @@\n NODE_ENV=production\n PORT=8080\n-GITLAB_TOKEN=${GITLAB_PAT}`,
      ),
      diff('package-lock.json', lockDiff('4.17.15', '4.17.21')),
    ],
  ],
  // And downgraded again.
  [C4]: [[diff('package-lock.json', lockDiff('4.17.21', '4.17.15'))]],
  [C5]: [[diff('README.md', '@@ -1 +1 @@\n-# Checkout\n+# Checkout service')]],
  // A longer push: C6 is in the range but not in the payload's list.
  [C6]: [[diff('deploy/ci.env', `@@ -0,0 +1,1 @@\n+CI_TOKEN=${SECOND_PAT}`, { new_file: true })]],
  [C7]: [[diff('README.md', '@@ -1 +1,2 @@\n # Checkout service\n+Payments checkout.')]],
  [C8]: [[diff('README.md', '@@ -2 +2 @@\n-Payments checkout.\n+Payments checkout API.')]],
};
const ACME_PATCH = `@@ -0,0 +1,1 @@\n+export const acmeKey = '${ACME_TOKEN}';`;
const LEGACY_PATCH = `@@ -1,1 +1,2 @@\n NODE_ENV=production\n+LEGACY_TOKEN=${LEGACY_PAT}`;
Object.assign(diffs, {
  [C9]: [[diff('src/acme.ts', ACME_PATCH, { new_file: true }), diff('config/legacy.env', LEGACY_PATCH)]],
  [B1]: [[diff('package-lock.json', lockDiff('4.17.21', '4.17.15'))]],
  [B2]: [[diff('package-lock.json', lockDiff('4.17.21', '4.17.15'))]],
  [B3]: [[diff('package-lock.json', lockDiff('4.17.21', '4.17.15'))]],
});
// The fingerprint the default rules give LEGACY_TOKEN, as `engops scan secrets --format json` shows it.
const legacyFindings = new SecretScanner().scanLines(
  addedLines('config/legacy.env', LEGACY_PATCH),
  'config/legacy.env',
);
const depsIgnore = (expires: string) =>
  JSON.stringify({
    ignore: [{ id: 'GHSA-35jh-r3h4-6jhm', package: 'lodash', reason: 'template() is never called', expires }],
  });
// Files of the repositories at a commit (path -> text), served by the files API.
const repoFiles: Record<string, Record<string, string>> = {
  [C9]: {
    '.engops-secrets.json': JSON.stringify({
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
    }),
    '.engops-secrets-ignore': `${legacyFindings[0]?.fingerprint}  # legacy token, revoked\n`,
  },
  [B1]: { 'package-lock.json': lockfile('4.17.15'), '.engops-deps-ignore.json': depsIgnore('2026-07-31') },
  [B2]: { 'package-lock.json': lockfile('4.17.15'), '.engops-deps-ignore.json': depsIgnore('2026-06-01') },
  // An entry without a reason: invalid, so nothing is ignored and the problem is filed.
  [B3]: {
    'package-lock.json': lockfile('4.17.15'),
    '.engops-deps-ignore.json': JSON.stringify({ ignore: [{ id: 'GHSA-35jh-r3h4-6jhm' }] }),
  },
};
const files: Record<string, string> = {
  [C1]: lockfile('4.17.15'),
  [C3]: lockfile('4.17.21'),
  [C4]: lockfile('4.17.15'),
};

const PROJECT = {
  id: 77,
  name: 'checkout',
  web_url: 'https://gitlab.example.test/acme/platform/checkout',
  git_ssh_url: 'git@gitlab.example.test:acme/platform/checkout.git',
  git_http_url: 'https://gitlab.example.test/acme/platform/checkout.git',
  namespace: 'platform',
  path_with_namespace: 'acme/platform/checkout',
  default_branch: 'main',
};
// A Push Hook (GitLab's webhook events docs), with the fields engops reads and more.
const pushHook = (
  commits: Array<{ id: string; author?: { name: string; email: string } }>,
  project: Record<string, unknown> = PROJECT,
  extra: Record<string, unknown> = {},
) => ({
  object_kind: 'push',
  event_name: 'push',
  before: '0'.repeat(40),
  after: commits.at(-1)?.id ?? '0'.repeat(40),
  ref: 'refs/heads/main',
  checkout_sha: commits.at(-1)?.id ?? null,
  user_username: 'ada',
  project_id: project.id,
  project,
  repository: { name: 'checkout', url: project.git_ssh_url, homepage: project.web_url },
  commits: commits.map((c) => ({
    id: c.id,
    message: `change ${c.id.slice(0, 8)}`,
    timestamp: '2026-06-01T07:30:00+02:00',
    url: `${project.web_url}/-/commit/${c.id}`,
    ...(c.author ? { author: c.author } : {}),
    added: [],
    modified: [],
    removed: [],
  })),
  total_commits_count: commits.length,
  ...extra,
});
const ADA = { name: 'Ada Lovelace', email: 'ada@example.test' };

for (const engine of ENGINES) {
  describe(`GitLab push scans [${engine}]`, () => {
    const clock = fixedClock(START);
    const requests: Array<{ url: string; token: string | undefined }> = [];
    let api: http.Server;
    let apiUrl: string;
    let t: TestApp;
    let serviceId: string;
    let failuresLeft = 1;

    beforeAll(async () => {
      api = http.createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        if (url.pathname.includes('/repository/'))
          requests.push({ url: req.url ?? '', token: req.headers['private-token'] as string | undefined });
        const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(body));
        };
        // The ledger project, addressed by its path (a scheduled scan knows the repository URL only).
        const ledger = '/api/v4/projects/acme%2Fledger';
        if (url.pathname === ledger)
          return send(200, { id: 91, path_with_namespace: 'acme/ledger', default_branch: 'main' });
        if (url.pathname === `${ledger}/repository/branches/main`)
          return send(200, {
            name: 'main',
            default: true,
            commit: { id: ledgerHead, short_id: ledgerHead.slice(0, 8) },
          });
        if (url.pathname === `${ledger}/repository/tree` && url.searchParams.get('ref') === ledgerHead)
          return send(
            200,
            [
              { id: 't1', name: 'tools', type: 'tree', path: 'tools', mode: '040000' },
              { id: 'b1', name: 'README.md', type: 'blob', path: 'README.md', mode: '100644' },
              {
                id: 'b2',
                name: 'package-lock.json',
                type: 'blob',
                path: 'package-lock.json',
                mode: '100644',
              },
              {
                id: 'b3',
                name: 'package-lock.json',
                type: 'blob',
                path: 'tools/package-lock.json',
                mode: '100644',
              },
            ],
            { 'x-next-page': '' },
          );
        const ledgerFile = new RegExp(`^${ledger}/repository/files/([^/]+)$`).exec(url.pathname);
        const ledgerText =
          ledgerFile &&
          ledgerFiles[url.searchParams.get('ref') ?? '']?.[decodeURIComponent(ledgerFile[1] ?? '')];
        if (ledgerText)
          return send(200, { encoding: 'base64', content: Buffer.from(ledgerText).toString('base64') });
        const base = '/api/v4/projects/77/repository';
        const diffOf = /^\/api\/v4\/projects\/(?:77|79)\/repository\/commits\/([0-9a-f]{40})\/diff$/.exec(
          url.pathname,
        );
        if (diffOf) {
          const sha = diffOf[1] ?? '';
          if (sha === C5 && failuresLeft-- > 0) return send(500, { message: '500 Internal Server Error' });
          const pages = diffs[sha];
          if (!pages) return send(404, { message: '404 Commit Not Found' });
          const page = Number(url.searchParams.get('page') ?? '1');
          return send(200, pages[page - 1] ?? [], {
            'x-page': String(page),
            'x-per-page': url.searchParams.get('per_page') ?? '20',
            'x-next-page': page < pages.length ? String(page + 1) : '',
            'x-total-pages': String(pages.length),
          });
        }
        // "Compare branches, tags or commits": the commits of the range, oldest first.
        if (
          url.pathname === `${base}/compare` &&
          url.searchParams.get('from') === C5 &&
          url.searchParams.get('to') === C8
        )
          return send(200, {
            commit: { id: C8 },
            commits: [
              {
                id: C6,
                short_id: C6.slice(0, 8),
                author_name: 'Linus Torvalds',
                author_email: 'linus@example.test',
              },
              {
                id: C7,
                short_id: C7.slice(0, 8),
                author_name: 'Ada Lovelace',
                author_email: 'ada@example.test',
              },
              {
                id: C8,
                short_id: C8.slice(0, 8),
                author_name: 'Ada Lovelace',
                author_email: 'ada@example.test',
              },
            ],
            diffs: [],
            compare_timeout: false,
            compare_same_ref: false,
          });
        if (url.pathname === `${base}/commits/${C2}`)
          return send(200, {
            id: C2,
            short_id: C2.slice(0, 8),
            title: 'AWS client',
            author_name: 'Grace Hopper',
            author_email: 'grace@example.test',
            authored_date: '2026-06-01T07:40:00.000+02:00',
            parent_ids: [C1],
          });
        const file = /^\/api\/v4\/projects\/(?:77|79)\/repository\/files\/([^/]+)$/.exec(url.pathname);
        const ref = url.searchParams.get('ref') ?? '';
        const text = file && repoFiles[ref]?.[decodeURIComponent(file[1] ?? '')];
        if (typeof text === 'string')
          return send(200, { encoding: 'base64', content: Buffer.from(text).toString('base64') });
        if (file?.[1] === 'package-lock.json' && files[ref]) {
          const content = files[ref];
          return send(200, {
            file_name: 'package-lock.json',
            file_path: 'package-lock.json',
            size: content.length,
            encoding: 'base64',
            content: Buffer.from(content).toString('base64'),
            ref,
            commit_id: ref,
            last_commit_id: ref,
          });
        }
        send(404, { message: '404 Not Found' });
      });
      await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
      apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/api/v4`;
      t = await createTestApp(engine, {
        clock,
        env: {
          ENGOPS_GITLAB_WEBHOOK_TOKEN: HOOK_TOKEN,
          ENGOPS_GITLAB_TOKEN: API_TOKEN,
          ENGOPS_GITLAB_API_URL: apiUrl,
        },
      });
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Payments', time_zone: 'UTC' } });
      const service = await t.call('POST', '/api/v1/services', {
        body: { name: 'checkout', team_id: team.json.id, repository_url: PROJECT.web_url },
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

    const deliver = (app: TestApp, uuid: string, payload: unknown, event = 'Push Hook') =>
      app.call('POST', '/webhooks/gitlab', {
        token: null,
        payload: JSON.stringify(payload),
        headers: {
          'content-type': 'application/json',
          'x-gitlab-event': event,
          'x-gitlab-token': HOOK_TOKEN,
          'x-gitlab-event-uuid': uuid,
        },
      });
    const findings = async (kind: string) =>
      (await t.call('GET', `/api/v1/security/findings?service_id=${serviceId}&kind=${kind}`)).json
        .items as Array<Record<string, unknown>>;
    const pushJobs = (app = t) =>
      app.container.db
        .selectFrom('jobs')
        .select(['status', 'dedupe_key'])
        .where('kind', '=', PUSH_SCAN_JOB)
        .orderBy('dedupe_key')
        .execute();
    const inventory = () =>
      t.container.db
        .selectFrom('security_dependencies')
        .select(['name', 'version', 'file'])
        .where('service_id', '=', serviceId)
        .execute();

    it('reads each commit diff (paged) and the changed lockfile, and files redacted findings', async () => {
      const first = await deliver(t, 'gl-push-1', pushHook([{ id: C1, author: ADA }, { id: C2 }]));
      expect(first.status, first.body).toBe(200);
      expect(first.json.status).toBe('processed');
      expect(first.json.detail).toContain('security: 2 commit(s) queued for scanning');
      const again = await deliver(t, 'gl-push-1', pushHook([{ id: C1, author: ADA }, { id: C2 }]));
      expect(again.json.status).toBe('duplicate');
      expect(await pushJobs()).toEqual([
        { status: 'pending', dedupe_key: 'security:push-scan:gitlab:gl-push-1' },
      ]);
      expect(requests).toEqual([]);

      await t.container.worker.drain();
      expect(await pushJobs()).toEqual([
        { status: 'done', dedupe_key: 'security:push-scan:gitlab:gl-push-1' },
      ]);
      const base = '/api/v4/projects/77/repository';
      expect(requests.map((r) => r.url)).toEqual([
        `${base}/commits/${C1}/diff?per_page=100&page=1`,
        `${base}/commits/${C1}/diff?per_page=100&page=2`,
        `${base}/commits/${C2}/diff?per_page=100&page=1`,
        // The push named no author for C2: the commit is read for it.
        `${base}/commits/${C2}`,
        // The repository's scanner files at the pushed commit (none here: the defaults).
        ...SECRET_FILES.map((f) => fileUrl(77, f, C2)),
        fileUrl(77, '.engops-deps-ignore.json', C2),
        `${base}/files/package-lock.json?ref=${C1}`,
      ]);
      expect(new Set(requests.map((r) => r.token))).toEqual(new Set([API_TOKEN]));

      const secrets = (await findings('secret'))
        .map((f) => ({
          rule: f.rule,
          file: f.file,
          line: f.line,
          commit: f.commit,
          author: f.author,
          title: f.title,
          status: f.status,
        }))
        .sort((a, b) => String(a.file).localeCompare(String(b.file)));
      expect(secrets).toEqual([
        {
          rule: 'gitlab-pat',
          file: 'config/app.env',
          line: 3,
          commit: C1,
          author: 'Ada Lovelace <ada@example.test>',
          title: `GitLab personal, project or group access token (glpat-): ${GITLAB_PAT.slice(0, 4)}…`,
          status: 'open',
        },
        {
          rule: 'aws-access-key-id',
          file: 'src/aws.ts',
          line: 1,
          commit: C2,
          author: 'Grace Hopper <grace@example.test>',
          title: `AWS access key id: ${AWS_KEY.slice(0, 4)}…`,
          status: 'open',
        },
      ]);
      const deps = await findings('dependency');
      expect(deps.map((f) => [f.rule, f.package, f.version, f.fixed_version, f.file, f.status])).toEqual([
        ['GHSA-35jh-r3h4-6jhm', 'lodash', '4.17.15', '4.17.21', 'package-lock.json', 'open'],
      ]);
      expect(await inventory()).toEqual([{ name: 'lodash', version: '4.17.15', file: 'package-lock.json' }]);
      for (const table of ['security_findings', 'security_scans', 'jobs', 'audit_log'] as const) {
        const dump = JSON.stringify(await t.container.db.selectFrom(table).selectAll().execute());
        expect(dump.includes(GITLAB_PAT) || dump.includes(AWS_KEY), table).toBe(false);
      }
    });

    it('resolves a dependency finding the next push upgrades past its fix; the removed secret stays open', async () => {
      requests.length = 0;
      const at = '2026-06-02T09:00:00.000Z';
      clock.set(at);
      const [before] = await findings('dependency');
      const res = await deliver(t, 'gl-push-2', pushHook([{ id: C3, author: ADA }]));
      expect(res.json.status).toBe('processed');
      await t.container.worker.drain();
      expect(requests.map((r) => r.url)).toEqual([
        `/api/v4/projects/77/repository/commits/${C3}/diff?per_page=100&page=1`,
        ...SECRET_FILES.map((f) => fileUrl(77, f, C3)),
        fileUrl(77, '.engops-deps-ignore.json', C3),
        `/api/v4/projects/77/repository/files/package-lock.json?ref=${C3}`,
      ]);
      expect(await inventory()).toEqual([{ name: 'lodash', version: '4.17.21', file: 'package-lock.json' }]);
      const pushed = await t.container.db
        .selectFrom('audit_log')
        .select(['actor_name', 'after_json'])
        .where('action', '=', 'security.inventory.push')
        .where('at', '=', at)
        .execute();
      expect(pushed.map((a) => [a.actor_name, JSON.parse(a.after_json ?? 'null')])).toEqual([
        [
          'engops-push-scan',
          { files: { 'package-lock.json': { commit: C3, removed: false, dependencies: 1 } } },
        ],
      ]);

      const reason =
        'lodash upgraded to 4.17.21 in package-lock.json, past the fixed version 4.17.21; ' +
        `GHSA-35jh-r3h4-6jhm no longer applies (commit ${C3.slice(0, 12)})`;
      const detail = (await t.call('GET', `/api/v1/security/findings/${before?.id}`)).json;
      expect(detail).toMatchObject({
        status: 'fixed',
        status_reason: reason,
        status_changed_by: 'engops-push-scan',
        status_changed_at: at,
        fixed_at: at,
      });
      expect(detail.history.at(-1)).toEqual({
        at,
        actor: 'engops-push-scan',
        action: 'security.finding.status',
        from: 'open',
        to: 'fixed',
        reason,
      });
      const audit = await t.container.db
        .selectFrom('audit_log')
        .select(['actor_type', 'actor_name', 'team_id'])
        .where('action', '=', 'security.finding.status')
        .where('target_id', '=', String(before?.id))
        .execute();
      expect(audit).toEqual([
        { actor_type: 'system', actor_name: 'engops-push-scan', team_id: before?.team_id },
      ]);

      // The secret's line was deleted, but it is still in the history: open until rotated.
      const secrets = await findings('secret');
      expect(secrets.map((f) => [f.rule, f.status])).toEqual(
        expect.arrayContaining([
          ['gitlab-pat', 'open'],
          ['aws-access-key-id', 'open'],
        ]),
      );
      expect(secrets).toHaveLength(2);
    });

    it('reopens the finding when a later push goes back to the vulnerable version', async () => {
      clock.set('2026-06-03T09:00:00.000Z');
      const res = await deliver(t, 'gl-push-3', pushHook([{ id: C4, author: ADA }]));
      expect(res.json.status).toBe('processed');
      await t.container.worker.drain();
      const deps = await findings('dependency');
      expect(deps.map((f) => [f.version, f.status, f.status_reason, f.fixed_at])).toEqual([
        ['4.17.15', 'open', 'seen again by engops-push-scan', null],
      ]);
    });

    it('retries when the GitLab API fails, with backoff', async () => {
      clock.set('2026-06-04T09:00:00.000Z');
      expect((await deliver(t, 'gl-push-5', pushHook([{ id: C5, author: ADA }]))).json.status).toBe(
        'processed',
      );
      await t.container.worker.drain();
      const job = () =>
        t.container.db
          .selectFrom('jobs')
          .select(['status', 'attempts', 'last_error', 'run_at'])
          .where('dedupe_key', '=', 'security:push-scan:gitlab:gl-push-5')
          .executeTakeFirstOrThrow();
      expect(await job()).toEqual({
        status: 'pending',
        attempts: 1,
        last_error: `GitLab API /projects/77/repository/commits/${C5}/diff: HTTP 500`,
        run_at: '2026-06-04T09:00:01.000Z',
      });
      clock.set('2026-06-04T09:00:01.000Z');
      await t.container.worker.drain();
      expect(await job()).toMatchObject({ status: 'done', attempts: 2 });
    });

    it('reads every commit of a push longer than the payload lists, through the compare API', async () => {
      requests.length = 0;
      clock.set('2026-06-05T09:00:00.000Z');
      // GitLab lists only the last commits (20; here 2 of 3) and says how many there were.
      const res = await deliver(
        t,
        'gl-push-6',
        pushHook(
          [
            { id: C7, author: ADA },
            { id: C8, author: ADA },
          ],
          PROJECT,
          {
            before: C5,
            total_commits_count: 3,
          },
        ),
      );
      expect(res.json.detail).toContain('security: 2 commit(s) queued for scanning');
      await t.container.worker.drain();
      const base = '/api/v4/projects/77/repository';
      expect(requests.map((r) => r.url)).toEqual([
        `${base}/compare?from=${C5}&to=${C8}`,
        `${base}/commits/${C6}/diff?per_page=100&page=1`,
        `${base}/commits/${C7}/diff?per_page=100&page=1`,
        `${base}/commits/${C8}/diff?per_page=100&page=1`,
        ...SECRET_FILES.map((f) => fileUrl(77, f, C8)),
      ]);
      const ci = (await findings('secret')).find((f) => f.file === 'deploy/ci.env');
      expect(ci).toMatchObject({
        rule: 'gitlab-pat',
        line: 1,
        commit: C6,
        author: 'Linus Torvalds <linus@example.test>',
        status: 'open',
      });
    });

    it('scans each repository at its default branch daily, and resolves what an upgrade fixed', async () => {
      const checkout = (await t.call('GET', `/api/v1/services/${serviceId}`)).json;
      // A self-managed GitLab serves the API and the repositories from one host.
      const created = await t.call('POST', '/api/v1/services', {
        body: {
          name: 'ledger',
          team_id: checkout.team_id,
          repository_url: `${apiUrl.replace(/\/api\/v4$/, '')}/acme/ledger`,
        },
      });
      expect(created.status, created.body).toBe(201);
      const ledgerId = created.json.id as string;
      requests.length = 0;
      ledgerHead = L1;
      await t.container.start();
      clock.set('2026-06-06T01:59:00.000Z');
      await t.container.worker.drain();
      expect(requests).toEqual([]);
      clock.set('2026-06-06T02:00:00.000Z');
      await t.container.worker.drain();
      const ledger = '/api/v4/projects/acme%2Fledger/repository';
      // Only the ledger: checkout's repository is on another host than the configured GitLab.
      expect(requests.map((r) => r.url)).toEqual([
        `${ledger}/branches/main`,
        `${ledger}/tree?recursive=true&ref=${L1}&per_page=100&page=1`,
        `${ledger}/files/package-lock.json?ref=${L1}`,
        `${ledger}/files/tools%2Fpackage-lock.json?ref=${L1}`,
        `${ledger}/files/.engops-deps-ignore.json?ref=${L1}`,
      ]);
      const deps = async () =>
        (await t.call('GET', `/api/v1/security/findings?service_id=${ledgerId}&kind=dependency`)).json
          .items as Array<Record<string, unknown>>;
      expect((await deps()).map((f) => [f.package, f.version, f.file, f.status])).toEqual([
        ['lodash', '4.17.15', 'package-lock.json', 'open'],
      ]);
      const inventory = await t.container.db
        .selectFrom('security_dependencies')
        .select(['file', 'version'])
        .where('service_id', '=', ledgerId)
        .orderBy('file')
        .execute();
      expect(inventory).toEqual([
        { file: 'package-lock.json', version: '4.17.15' },
        { file: 'tools/package-lock.json', version: '4.17.21' },
      ]);

      // The next day the branch has moved on and lodash is upgraded: the finding is resolved.
      ledgerHead = L2;
      clock.set('2026-06-07T02:00:00.000Z');
      await t.container.worker.drain();
      expect((await deps()).map((f) => [f.version, f.status, f.status_reason, f.status_changed_by])).toEqual([
        [
          '4.17.15',
          'fixed',
          'lodash upgraded to 4.17.21 in package-lock.json, past the fixed version 4.17.21; ' +
            `GHSA-35jh-r3h4-6jhm no longer applies (commit ${L2.slice(0, 12)})`,
          'engops-push-scan',
        ],
      ]);
      const audited = await t.container.db
        .selectFrom('audit_log')
        .select(['at', 'target_id'])
        .where('action', '=', 'security.inventory.repository')
        .orderBy('at')
        .execute();
      expect(audited).toEqual([
        { at: '2026-06-06T02:00:00.000Z', target_id: ledgerId },
        { at: '2026-06-07T02:00:00.000Z', target_id: ledgerId },
      ]);
    });

    it("applies the repository's secrets config (custom rules) and ignore file at the pushed commit", async () => {
      expect(legacyFindings.map((f) => f.rule)).toEqual(['gitlab-pat']);
      expect(new SecretScanner().scanLines(addedLines('src/acme.ts', ACME_PATCH), 'src/acme.ts')).toEqual([]);
      requests.length = 0;
      clock.set('2026-06-07T02:30:00.000Z');
      expect((await deliver(t, 'gl-push-9', pushHook([{ id: C9, author: ADA }]))).json.status).toBe(
        'processed',
      );
      await t.container.worker.drain();
      expect(requests.map((r) => r.url)).toEqual([
        `/api/v4/projects/77/repository/commits/${C9}/diff?per_page=100&page=1`,
        ...SECRET_FILES.map((f) => fileUrl(77, f, C9)),
      ]);
      const secrets = await findings('secret');
      expect(secrets.filter((f) => f.file === 'config/legacy.env')).toEqual([]);
      expect(secrets.filter((f) => f.file === 'src/acme.ts').map((f) => [f.rule, f.line, f.title])).toEqual([
        ['acme-api-key', 1, `ACME API key: ${ACME_TOKEN.slice(0, 4)}…`],
      ]);
    });

    it('does not file a dependency the ignore file covers until it expires; files an invalid ignore file', async () => {
      const checkout = (await t.call('GET', `/api/v1/services/${serviceId}`)).json;
      const project = {
        ...PROJECT,
        id: 79,
        name: 'billing',
        path_with_namespace: 'acme/platform/billing',
        web_url: 'https://gitlab.example.test/acme/platform/billing',
        git_ssh_url: 'git@gitlab.example.test:acme/platform/billing.git',
        git_http_url: 'https://gitlab.example.test/acme/platform/billing.git',
      };
      const billing = await t.call('POST', '/api/v1/services', {
        body: { name: 'billing', team_id: checkout.team_id, repository_url: project.web_url },
      });
      expect(billing.status, billing.body).toBe(201);
      const deps = async () =>
        (await t.call('GET', `/api/v1/security/findings?service_id=${billing.json.id}&kind=dependency`)).json
          .items as Array<Record<string, unknown>>;
      requests.length = 0;
      clock.set('2026-06-07T02:35:00.000Z');
      expect(
        (await deliver(t, 'gl-billing-1', pushHook([{ id: B1, author: ADA }], project))).json.status,
      ).toBe('processed');
      await t.container.worker.drain();
      expect(requests.map((r) => r.url)).toContain(fileUrl(79, '.engops-deps-ignore.json', B1));
      // Ignored until 2026-07-31: in the inventory, not filed.
      const inventory = await t.container.db
        .selectFrom('security_dependencies')
        .select(['name', 'version'])
        .where('service_id', '=', billing.json.id)
        .execute();
      expect(inventory).toEqual([{ name: 'lodash', version: '4.17.15' }]);
      expect(await deps()).toEqual([]);

      // B2's entry expired on 2026-06-01: it ignores nothing.
      expect(
        (await deliver(t, 'gl-billing-2', pushHook([{ id: B2, author: ADA }], project))).json.status,
      ).toBe('processed');
      await t.container.worker.drain();
      expect((await deps()).map((f) => [f.rule, f.package, f.version, f.status])).toEqual([
        ['GHSA-35jh-r3h4-6jhm', 'lodash', '4.17.15', 'open'],
      ]);

      // B3's ignore file is invalid: the scan runs without it, and says so with the findings.
      expect(
        (await deliver(t, 'gl-billing-3', pushHook([{ id: B3, author: ADA }], project))).json.status,
      ).toBe('processed');
      await t.container.worker.drain();
      const after = await deps();
      expect(after.map((f) => [f.rule, f.file, f.status]).sort()).toEqual([
        ['GHSA-35jh-r3h4-6jhm', 'package-lock.json', 'open'],
        ['engops-scan-config', '.engops-deps-ignore.json', 'open'],
      ]);
      expect(after.find((f) => f.rule === 'engops-scan-config')?.title).toContain('needs a "reason"');
    });

    it('ignores deleted branches, tag pushes and unmapped projects', async () => {
      const before = (await pushJobs()).length;
      const deleted = await deliver(
        t,
        'gl-del',
        pushHook([], PROJECT, { after: '0'.repeat(40), checkout_sha: null, total_commits_count: 0 }),
      );
      expect(deleted.status).toBe(200);
      expect(deleted.json.detail).toContain('security: push not scanned (no project or a deleted branch)');
      const other = await deliver(
        t,
        'gl-other',
        pushHook([{ id: C1, author: ADA }], {
          ...PROJECT,
          id: 78,
          path_with_namespace: 'acme/other',
          web_url: 'https://gitlab.example.test/acme/other',
          git_ssh_url: 'git@gitlab.example.test:acme/other.git',
          git_http_url: 'https://gitlab.example.test/acme/other.git',
        }),
      );
      expect(other.json.detail).toContain('security: no service has this repository_url');
      const tag = await deliver(
        t,
        'gl-tag',
        { ...pushHook([{ id: C1, author: ADA }]), object_kind: 'tag_push', ref: 'refs/tags/v1.0.0' },
        'Tag Push Hook',
      );
      expect(tag.status).toBe(200);
      expect(await pushJobs()).toHaveLength(before);
    });

    it('is off until ENGOPS_GITLAB_TOKEN is set', async () => {
      const off = await createTestApp(engine, {
        clock,
        env: { ENGOPS_GITLAB_WEBHOOK_TOKEN: HOOK_TOKEN, ENGOPS_GITLAB_API_URL: apiUrl },
      });
      try {
        const team = await off.call('POST', '/api/v1/teams', {
          body: { name: 'Payments', time_zone: 'UTC' },
        });
        await off.call('POST', '/api/v1/services', {
          body: { name: 'checkout', team_id: team.json.id, repository_url: PROJECT.web_url },
        });
        requests.length = 0;
        const res = await deliver(off, 'gl-off-1', pushHook([{ id: C1, author: ADA }]));
        expect(res.status).toBe(200);
        expect(res.json.detail).not.toContain('security:');
        await off.container.worker.drain();
        expect(await pushJobs(off)).toEqual([]);
        expect(requests).toEqual([]);
      } finally {
        await off.close();
      }
    });
  });
}
