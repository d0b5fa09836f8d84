import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { m0014PostmortemTracking } from '../../db/migrations/0014-postmortem-tracking.ts';
import { systemPrincipal } from '../../platform/access/permissions.ts';
import { fixedClock } from '../../platform/clock.ts';

const MIN = 60_000;

interface Recorded {
  method: string;
  url: string;
  authorization: string | undefined;
  accept: string | undefined;
  apiVersion: string | undefined;
  body: string;
}

type Mode = 'ok' | 'unauthorized' | 'not-found' | 'drop-after-create' | 'hold';

/**
 * A GitHub stand-in on 127.0.0.1: records every request, creates issues on POST …/issues and lists
 * them on GET …/issues. `next` queues how the following POSTs behave.
 */
async function startGithub() {
  const requests: Recorded[] = [];
  const issues: Array<{ number: number; html_url: string; body: string; title: string; labels: string[] }> =
    [];
  const next: Mode[] = [];
  let release: (() => void) | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        accept: req.headers.accept,
        apiVersion: req.headers['x-github-api-version'] as string | undefined,
        body,
      });
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(url.pathname);
      if (!m)
        return res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
      const repo = `${m[1]}/${m[2]}`;
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(issues.filter((i) => i.html_url.includes(`/${repo}/`)).reverse()));
      }
      const mode = next.shift() ?? 'ok';
      if (mode === 'unauthorized') {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end('{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}');
      }
      if (mode === 'not-found') {
        res.writeHead(404, { 'content-type': 'application/json' });
        return res.end('{"message":"Not Found"}');
      }
      const input = JSON.parse(body) as { title: string; body: string; labels?: string[] };
      const issue = {
        number: issues.length + 1,
        html_url: `https://ghe.example.test/${repo}/issues/${issues.length + 1}`,
        title: input.title,
        body: input.body,
        labels: input.labels ?? [],
      };
      issues.push(issue);
      // Created, but the answer never arrives: the exporter cannot know.
      if (mode === 'drop-after-create') return req.socket.destroy();
      const answer = () => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ number: issue.number, html_url: issue.html_url, title: issue.title }));
      };
      if (mode === 'hold') release = answer;
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}/api/v3`,
    requests,
    issues,
    next,
    release: () => release?.(),
    posts: () => requests.filter((r) => r.method === 'POST'),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error('condition not met');
}

for (const engine of ENGINES) {
  describe(`postmortems: export, search, dismissals, overdue items [${engine}]`, () => {
    const clock = fixedClock('2026-03-02T09:00:00.000Z');
    let t: TestApp;
    let gh: Awaited<ReturnType<typeof startGithub>>;
    let teamId: string;
    let otherTeamId: string;
    let serviceId: string;
    let otherServiceId: string;
    let ada: { id: string; token: string };
    let bruno: { id: string; token: string };

    beforeAll(async () => {
      gh = await startGithub();
      t = await createTestApp(engine, { clock });
      teamId = (await t.call('POST', '/api/v1/teams', { body: { name: 'Payments', time_zone: 'UTC' } })).json
        .id;
      otherTeamId = (await t.call('POST', '/api/v1/teams', { body: { name: 'Search', time_zone: 'UTC' } }))
        .json.id;
      const user = async (name: string, email: string, team: string) => {
        const u = await t.call('POST', '/api/v1/users', { body: { name, email, role: 'viewer' } });
        expect(u.status).toBe(201);
        const m = await t.call('POST', `/api/v1/teams/${team}/members`, {
          body: { user_id: u.json.id, role: 'responder' },
        });
        expect(m.status).toBe(201);
        // A token of this user (the principal of a token is the user who made it).
        const token = await t.container.access.service.createToken(
          { principal: { ...systemPrincipal, userId: u.json.id } },
          { name: `${name} token`, role: 'responder', team_id: team },
        );
        return { id: u.json.id as string, token: token.token };
      };
      ada = await user('Ada Okafor', 'ada@example.test', teamId);
      bruno = await user('Bruno Silva', 'bruno@example.test', otherTeamId);
      serviceId = (await t.call('POST', '/api/v1/services', { body: { name: 'checkout', team_id: teamId } }))
        .json.id;
      otherServiceId = (
        await t.call('POST', '/api/v1/services', { body: { name: 'search-api', team_id: otherTeamId } })
      ).json.id;
    });
    afterAll(async () => {
      await t?.close();
      await gh?.close();
    });

    async function postmortem(title: string, service = serviceId) {
      const inc = await t.call('POST', '/api/v1/incidents', {
        body: { service_id: service, title, severity: 'SEV2' },
      });
      expect(inc.status).toBe(201);
      clock.advance(10 * MIN);
      expect((await t.call('POST', `/api/v1/incidents/${inc.json.id}/resolve`)).status).toBe(200);
      const pm = await t.call('POST', `/api/v1/incidents/${inc.json.id}/postmortem`);
      expect(pm.status).toBe(201);
      return pm.json as { id: string; markdown: string; version: number; incident_id: string };
    }

    async function save(pm: { id: string; markdown: string }, markdown: string) {
      const current = (await t.call('GET', `/api/v1/postmortems/${pm.id}`)).json;
      const res = await t.call('PUT', `/api/v1/postmortems/${pm.id}`, {
        body: { markdown, version: current.version },
      });
      expect(res.status).toBe(200);
      return res.json;
    }

    /** Audit entries of a target with exactly this action. */
    async function auditOf(targetId: string, action: string): Promise<Array<{ after: unknown }>> {
      const res = await t.call('GET', `/api/v1/audit-log?target_id=${targetId}&limit=200`);
      return res.json.items.filter((e: { action: string }) => e.action === action);
    }

    async function item(pmId: string, title: string, owner = ada.id, due = '2026-03-20') {
      const res = await t.call('POST', `/api/v1/postmortems/${pmId}/action-items`, {
        body: { title, owner_id: owner, due_date: due },
      });
      expect(res.status).toBe(201);
      return res.json as { id: string; title: string };
    }

    it('exports an action item to a GitHub issue once, keeps its URL, and says why it failed', async () => {
      const pm = await postmortem('Checkout timeouts');
      const first = await item(pm.id, 'Add a circuit breaker to the card provider client');

      // Not configured yet: a clear 409 and nothing sent.
      const unconfigured = await t.call('POST', `/api/v1/action-items/${first.id}/export`);
      expect(unconfigured.status).toBe(409);
      expect(unconfigured.json.code).toBe('POSTMORTEMS_TRACKER_NOT_CONFIGURED');
      expect(gh.requests).toHaveLength(0);

      // Settings: admins only, validated, the token never comes back.
      const settings = {
        api_url: gh.apiUrl,
        token: 'ghp_test_token_1',
        default_repo: 'acme/payments',
        labels: ['postmortem'],
      };
      expect(
        (await t.call('PUT', '/api/v1/postmortems/settings/github', { token: ada.token, body: settings }))
          .status,
      ).toBe(403);
      const bad = await t.call('PUT', '/api/v1/postmortems/settings/github', {
        body: { ...settings, default_repo: 'not a repo' },
      });
      expect(bad.status).toBe(400);
      expect(bad.json.errors[0].path).toBe('body.default_repo');
      const noToken = await t.call('PUT', '/api/v1/postmortems/settings/github', {
        body: { api_url: gh.apiUrl },
      });
      expect(noToken.status).toBe(400);
      expect(noToken.json.errors[0].path).toBe('body.token');
      const put = await t.call('PUT', '/api/v1/postmortems/settings/github', { body: settings });
      expect(put.status).toBe(200);
      expect(put.json).toEqual({
        configured: true,
        api_url: gh.apiUrl,
        default_repo: 'acme/payments',
        labels: ['postmortem'],
        token_set: true,
        updated_at: '2026-03-02T09:10:00.000Z',
      });
      expect(put.body).not.toContain('ghp_test_token_1');

      // A viewer may not export.
      const viewer = await t.tokenFor('viewer');
      expect(
        (await t.call('POST', `/api/v1/action-items/${first.id}/export`, { token: viewer })).status,
      ).toBe(403);
      expect(gh.requests).toHaveLength(0);

      const exported = await t.call('POST', `/api/v1/action-items/${first.id}/export`, { token: ada.token });
      expect(exported.status).toBe(201);
      expect(exported.json.tracker_issue).toEqual({
        url: 'https://ghe.example.test/acme/payments/issues/1',
        key: 'acme/payments#1',
      });
      expect(exported.json.export_error).toBeNull();
      expect(gh.requests).toHaveLength(1);
      const sent = gh.requests[0]!;
      expect(sent.method).toBe('POST');
      expect(sent.url).toBe('/api/v3/repos/acme/payments/issues');
      expect(sent.authorization).toBe('Bearer ghp_test_token_1');
      expect(sent.accept).toBe('application/vnd.github+json');
      expect(sent.apiVersion).toBe('2022-11-28');
      const payload = JSON.parse(sent.body);
      expect(payload.title).toBe('Add a circuit breaker to the card provider client');
      expect(payload.labels).toEqual(['postmortem']);
      expect(payload.body).toContain(`/postmortems/${pm.id}`);
      expect(payload.body).toContain('- Owner: Ada Okafor');
      expect(payload.body).toContain('- Due: 2026-03-20');
      expect(payload.body).toContain(`<!-- engops-action-item: ${first.id} -->`);

      // Again: the same issue, nothing sent; the postmortem shows it.
      const again = await t.call('POST', `/api/v1/action-items/${first.id}/export`, { token: ada.token });
      expect(again.status).toBe(200);
      expect(again.json.tracker_issue.key).toBe('acme/payments#1');
      expect(gh.requests).toHaveLength(1);
      const read = (await t.call('GET', `/api/v1/postmortems/${pm.id}`)).json;
      expect(read.action_items[0].tracker_issue.url).toBe('https://ghe.example.test/acme/payments/issues/1');

      const exports = await auditOf(first.id, 'postmortem.action_item.export');
      expect(exports).toHaveLength(1);
      expect(exports[0]!.after).toMatchObject({ tracker_key: 'acme/payments#1' });

      // GitHub refuses (401): a 502 that says so, the reason kept on the item, nothing exported.
      const second = await item(pm.id, 'Alert on provider latency');
      gh.next.push('unauthorized');
      const refused = await t.call('POST', `/api/v1/action-items/${second.id}/export`);
      expect(refused.status).toBe(502);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json.code).toBe('POSTMORTEMS_EXPORT_FAILED');
      expect(refused.json.detail).toBe(
        'Exporting to acme/payments failed: GitHub answered 401: Bad credentials (check the token)',
      );
      const failedItem = (await t.call('GET', `/api/v1/postmortems/${pm.id}`)).json.action_items.find(
        (i: { id: string }) => i.id === second.id,
      );
      expect(failedItem.tracker_issue).toBeNull();
      expect(failedItem.export_error).toBe('GitHub answered 401: Bad credentials (check the token)');
      // A wrong repository named in the request: GitHub's 404, explained.
      gh.next.push('not-found');
      const missingRepo = await t.call('POST', `/api/v1/action-items/${second.id}/export`, {
        body: { repo: 'acme/nope' },
      });
      expect(missingRepo.status).toBe(502);
      expect(missingRepo.json.detail).toContain('GitHub answered 404: Not Found (is acme/nope right');
      // Fixed: the retry creates the issue; a refused attempt created nothing, so nothing is looked up.
      const retried = await t.call('POST', `/api/v1/action-items/${second.id}/export`);
      expect(retried.status).toBe(201);
      expect(retried.json.tracker_issue.key).toBe('acme/payments#2');
      expect(retried.json.export_error).toBeNull();
      expect(gh.requests.filter((r) => r.method === 'GET')).toHaveLength(0);
      expect(gh.issues).toHaveLength(2);

      // The answer is lost after GitHub created the issue: the retry finds it instead of making another.
      const third = await item(pm.id, 'Document the provider failover');
      gh.next.push('drop-after-create');
      const lost = await t.call('POST', `/api/v1/action-items/${third.id}/export`);
      expect(lost.status).toBe(502);
      expect(lost.json.detail).toMatch(
        /^Exporting to acme\/payments failed: GitHub could not be reached at 127\.0\.0\.1:/,
      );
      expect(gh.issues).toHaveLength(3);
      const recovered = await t.call('POST', `/api/v1/action-items/${third.id}/export`);
      expect(recovered.status).toBe(201);
      expect(recovered.json.tracker_issue.key).toBe('acme/payments#3');
      expect(gh.issues).toHaveLength(3);
      const lookup = gh.requests.filter((r) => r.method === 'GET');
      expect(lookup).toHaveLength(1);
      expect(lookup[0]!.url).toMatch(/^\/api\/v3\/repos\/acme\/payments\/issues\?state=all&/);

      // Two exports at once: one talks to GitHub, the other is told to wait; one issue in the end.
      const fourth = await item(pm.id, 'Load test the new pool size');
      gh.next.push('hold');
      const postsBefore = gh.posts().length;
      const pending = t.call('POST', `/api/v1/action-items/${fourth.id}/export`);
      await until(() => gh.posts().length === postsBefore + 1);
      const concurrent = await t.call('POST', `/api/v1/action-items/${fourth.id}/export`);
      expect(concurrent.status).toBe(409);
      expect(concurrent.json.code).toBe('POSTMORTEMS_EXPORT_IN_PROGRESS');
      gh.release();
      expect((await pending).status).toBe(201);
      expect((await t.call('POST', `/api/v1/action-items/${fourth.id}/export`)).status).toBe(200);
      expect(gh.issues.filter((i) => i.title === 'Load test the new pool size')).toHaveLength(1);

      expect((await t.call('POST', '/api/v1/action-items/ai_nope/export')).status).toBe(404);
    });

    it('searches title and body with ranking, phrases, exclusions, filters and snippets', async () => {
      const a = await postmortem('Connection pool exhaustion on checkout');
      await save(
        a,
        `${a.markdown}\nThe connection pool ran out of connections. Pools were sized for last year.\n`,
      );
      const b = await postmortem('Slow DNS answers');
      await save(b, `${b.markdown}\nA resolver pool in one region answered slowly; DNS caching hid it.\n`);
      const c = await postmortem('Certificate expired on search', otherServiceId);
      await save(c, `${c.markdown}\nThe renewal job stopped; nothing alerted on expiry.\n`);
      const search = async (query: string, token?: string) => {
        const res = await t.call('GET', `/api/v1/postmortems/search?${query}`, token ? { token } : {});
        expect(res.status, query).toBe(200);
        return res.json as {
          items: Array<{ id: string; rank: number; snippet: string; highlights: Array<[number, number]> }>;
          next_cursor: string | null;
        };
      };

      // Stemmed ("pools" finds "pool"), and the title match ranks first.
      const pools = await search('q=pools');
      expect(pools.items.map((i) => i.id)).toEqual([a.id, b.id]);
      expect(pools.items[0]!.rank).toBeGreaterThan(pools.items[1]!.rank);
      // Every highlight is a matched word.
      for (const hit of pools.items) {
        expect(hit.highlights.length).toBeGreaterThan(0);
        for (const [s, e] of hit.highlights)
          expect(hit.snippet.slice(s, e).toLowerCase()).toMatch(/^pools?$/);
      }
      expect((await search('q=%22connection%20pool%22')).items.map((i) => i.id)).toEqual([a.id]);
      expect((await search('q=pool%20-dns')).items.map((i) => i.id)).toEqual([a.id]);
      expect((await search('q=expiry%20or%20caching')).items.map((i) => i.id).sort()).toEqual(
        [b.id, c.id].sort(),
      );
      expect((await search('q=%25%25%25')).items).toEqual([]);
      expect((await search('q=-pool')).items).toEqual([]);

      // Filters: team, status, overdue; paging.
      expect((await search(`q=pool&team_id=${otherTeamId}`)).items.map((i) => i.id)).toEqual([]);
      expect((await search(`q=expiry&team_id=${otherTeamId}`)).items.map((i) => i.id)).toEqual([c.id]);
      expect((await t.call('POST', `/api/v1/postmortems/${b.id}/publish`)).status).toBe(200);
      expect((await search('q=pool&status=published')).items.map((i) => i.id)).toEqual([b.id]);
      expect((await search('q=pool&overdue=true')).items).toEqual([]);
      const page1 = await search('q=pool&limit=1');
      expect(page1.items.map((i) => i.id)).toEqual([a.id]);
      const page2 = await search(`q=pool&limit=1&cursor=${page1.next_cursor}`);
      expect(page2.items.map((i) => i.id)).toEqual([b.id]);
      expect(page2.next_cursor).toBeNull();
      const badCursor = await t.call('GET', '/api/v1/postmortems/search?q=pool&cursor=zzz');
      expect(badCursor.status).toBe(400);
      expect((await t.call('GET', '/api/v1/postmortems/search')).json.errors[0].path).toBe('query.q');

      // Drafts stay with their team; published ones are everyone's.
      expect((await search('q=pool', bruno.token)).items.map((i) => i.id)).toEqual([b.id]);
      expect((await search('q=expiry', bruno.token)).items.map((i) => i.id)).toEqual([c.id]);
      expect((await search('q=expiry', ada.token)).items).toEqual([]);
      const listed = await t.call('GET', '/api/v1/postmortems?q=pool', { token: bruno.token });
      expect(listed.json.items.map((i: { id: string }) => i.id)).toEqual([b.id]);
      // The index follows edits.
      await save(
        a,
        a.markdown.replace(
          '# Incident: Connection pool exhaustion on checkout',
          '# Incident: Checkout stall',
        ),
      );
      expect((await search('q=exhaustion')).items).toEqual([]);
    });

    it('keeps dismissed lint findings dismissed across edits, audited, until undone', async () => {
      const pm = await postmortem('Certificate outage');
      const text = pm.markdown.replace(
        '## Contributing Factors',
        'Ada forgot to renew the certificate.\n\n## Contributing Factors',
      );
      const saved = await save(pm, `${text}\nIt was human error.\n`);
      const lint = async () => (await t.call('GET', `/api/v1/postmortems/${pm.id}/lint`)).json;
      const before = await lint();
      expect(before.findings.map((f: { rule: string; text: string }) => [f.rule, f.text])).toEqual([
        ['person-as-subject', 'Ada forgot'],
        ['human-error', 'human error'],
      ]);

      // "Ada" is the name of the certificate robot here: a false positive.
      const viewer = await t.tokenFor('viewer');
      const body = { rule: 'person-as-subject', text: 'Ada  Forgot', reason: 'Ada is our renewal bot' };
      expect(
        (await t.call('POST', `/api/v1/postmortems/${pm.id}/lint-dismissals`, { token: viewer, body }))
          .status,
      ).toBe(403);
      expect(
        (await t.call('POST', `/api/v1/postmortems/${pm.id}/lint-dismissals`, { token: bruno.token, body }))
          .status,
      ).toBe(403);
      const badRule = await t.call('POST', `/api/v1/postmortems/${pm.id}/lint-dismissals`, {
        body: { rule: 'no-such-rule', text: 'x' },
      });
      expect(badRule.status).toBe(400);
      expect(badRule.json.errors[0].path).toBe('body.rule');
      const dismissed = await t.call('POST', `/api/v1/postmortems/${pm.id}/lint-dismissals`, {
        token: ada.token,
        body,
      });
      expect(dismissed.status).toBe(201);
      expect(dismissed.json).toMatchObject({
        rule: 'person-as-subject',
        text: 'ada forgot',
        reason: 'Ada is our renewal bot',
        dismissed_by: ada.id,
      });
      const twice = await t.call('POST', `/api/v1/postmortems/${pm.id}/lint-dismissals`, { body });
      expect(twice.status).toBe(200);
      expect(twice.json.id).toBe(dismissed.json.id);

      // Edits elsewhere (lines shift, other text changes): still dismissed; new blame still found.
      const edited = saved.markdown
        .replace('## Timeline', 'Some context first.\n\nMore context.\n\n## Timeline')
        .replace('It was human error.', 'Bruno forgot the feature flag.');
      await save(pm, edited);
      const after = await lint();
      expect(after.findings.map((f: { rule: string; text: string }) => [f.rule, f.text])).toEqual([]);
      expect(after.dismissed.map((d: { id: string }) => d.id)).toEqual([dismissed.json.id]);
      await save(
        pm,
        edited.replace(
          '## Contributing Factors',
          'Bruno forgot the feature flag.\n\n## Contributing Factors',
        ),
      );
      const withBruno = await lint();
      expect(withBruno.findings.map((f: { text: string }) => f.text)).toEqual(['Bruno forgot']);
      // The editor's live lint applies them too; the postmortem lists them.
      const live = await t.call('POST', '/api/v1/postmortems/lint', {
        body: { markdown: 'x\n## Root Cause\nAda forgot to renew it.', postmortem_id: pm.id },
      });
      expect(live.json.findings).toEqual([]);
      const plain = await t.call('POST', '/api/v1/postmortems/lint', {
        body: { markdown: 'x\n## Root Cause\nAda forgot to renew it.' },
      });
      expect(plain.json.findings).toHaveLength(1);
      expect((await t.call('GET', `/api/v1/postmortems/${pm.id}`)).json.lint_dismissals).toHaveLength(1);

      const audit = await auditOf(pm.id, 'postmortem.lint.dismiss');
      expect(audit).toHaveLength(1);
      expect(audit[0]!.after).toMatchObject({ rule: 'person-as-subject', text: 'ada forgot' });

      // Undone: the finding is back.
      const del = await t.call('DELETE', `/api/v1/postmortems/${pm.id}/lint-dismissals/${dismissed.json.id}`);
      expect(del.status).toBe(204);
      expect((await lint()).findings.map((f: { text: string }) => f.text)).toEqual([
        'Ada forgot',
        'Bruno forgot',
      ]);
      const gone = await t.call(
        'DELETE',
        `/api/v1/postmortems/${pm.id}/lint-dismissals/${dismissed.json.id}`,
      );
      expect(gone.status).toBe(404);
      expect(gone.json.code).toBe('POSTMORTEMS_DISMISSAL_NOT_FOUND');
      expect(await auditOf(pm.id, 'postmortem.lint.undismiss')).toHaveLength(1);
    });

    it('indexes the postmortems written before migration 0014 (down, then up again)', async () => {
      const pm = await postmortem('Kafka rebalance storm');
      await save(pm, `${pm.markdown}\nConsumers rebalanced in a loop after the broker upgrade.\n`);
      const db = t.container.db as unknown as Kysely<unknown>;
      const { up, down } = m0014PostmortemTracking;
      if (!down) throw new Error('migration 0014 has no down');
      await down(db);
      await up(db);
      const hits = await t.call('GET', '/api/v1/postmortems/search?q=rebalanced%20broker');
      expect(hits.json.items.map((i: { id: string }) => i.id)).toEqual([pm.id]);
      const read = await t.call('GET', `/api/v1/postmortems/${pm.id}`);
      expect(read.status).toBe(200);
      expect(read.json.lint_dismissals).toEqual([]);
    });

    it("lists an owner's own overdue action items (owner_id=me) and a team's", async () => {
      clock.set('2026-04-01T09:00:00.000Z');
      const pm = await postmortem('Queue backlog');
      const overdueItem = await item(pm.id, 'Cap the retry queue', ada.id, '2026-04-05');
      await item(pm.id, 'Dashboard for queue age', ada.id, '2026-04-30');
      const brunos = await item(pm.id, 'Review consumer timeouts', bruno.id, '2026-04-03');
      clock.set('2026-04-10T09:00:00.000Z');
      const mine = await t.call('GET', '/api/v1/action-items?owner_id=me&overdue=true', { token: ada.token });
      expect(mine.status).toBe(200);
      const mineIds = mine.json.items.map((i: { id: string }) => i.id);
      expect(mineIds).toContain(overdueItem.id);
      expect(mineIds).not.toContain(brunos.id);
      for (const i of mine.json.items) expect(i).toMatchObject({ owner_id: ada.id, overdue: true });
      // Due 2026-04-30: not overdue on 2026-04-10.
      expect(mine.json.items.map((i: { title: string }) => i.title)).not.toContain('Dashboard for queue age');
      const team = await t.call('GET', `/api/v1/action-items?team_id=${teamId}&overdue=true`);
      const teamIds = team.json.items.map((i: { id: string }) => i.id);
      expect(teamIds).toEqual(expect.arrayContaining([overdueItem.id, brunos.id]));
      expect(
        (await t.call('GET', `/api/v1/action-items?team_id=${otherTeamId}&overdue=true`)).json.items,
      ).toEqual([]);
      // Bruno's own page shows his item, though it belongs to another team's postmortem.
      const brunoMine = await t.call('GET', '/api/v1/action-items?owner_id=me&overdue=true', {
        token: bruno.token,
      });
      expect(brunoMine.json.items.map((i: { id: string }) => i.id)).toEqual([brunos.id]);
      const system = await t.call('GET', '/api/v1/action-items?owner_id=me');
      expect(system.status).toBe(400);
      expect(system.json.errors[0].path).toBe('query.owner_id');
    });
  });
}

for (const engine of ENGINES) {
  describe(`postmortems: GitHub token from the configuration [${engine}]`, () => {
    let t: TestApp;
    let gh: Awaited<ReturnType<typeof startGithub>>;

    beforeAll(async () => {
      gh = await startGithub();
      t = await createTestApp(engine, {
        clock: fixedClock('2026-03-02T09:00:00.000Z'),
        env: { ENGOPS_GITHUB_TOKEN: 'ghp_from_environment', ENGOPS_GITHUB_API_URL: gh.apiUrl },
      });
    });
    afterAll(async () => {
      await t?.close();
      await gh?.close();
    });

    it('exports with ENGOPS_GITHUB_TOKEN when no settings were saved, never showing the token', async () => {
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Payments', time_zone: 'UTC' } });
      const service = await t.call('POST', '/api/v1/services', {
        body: { name: 'checkout', team_id: team.json.id },
      });
      const inc = await t.call('POST', '/api/v1/incidents', {
        body: { service_id: service.json.id, title: 'Card declines', severity: 'SEV2' },
      });
      expect((await t.call('POST', `/api/v1/incidents/${inc.json.id}/resolve`)).status).toBe(200);
      const pm = await t.call('POST', `/api/v1/incidents/${inc.json.id}/postmortem`);
      expect(pm.status).toBe(201);
      const users = await t.call('POST', '/api/v1/users', {
        body: { name: 'Ada Okafor', email: 'ada@example.test', role: 'responder' },
      });
      const action = await t.call('POST', `/api/v1/postmortems/${pm.json.id}/action-items`, {
        body: { title: 'Retry card declines once', owner_id: users.json.id, due_date: '2026-03-20' },
      });
      expect(action.status).toBe(201);

      const settings = await t.call('GET', '/api/v1/postmortems/settings/github');
      expect(settings.status).toBe(200);
      expect(settings.json).toMatchObject({ configured: true, token_set: true, api_url: gh.apiUrl });
      expect(settings.body).not.toContain('ghp_from_environment');

      // No default repository in the configuration: the request names one.
      const noRepo = await t.call('POST', `/api/v1/action-items/${action.json.id}/export`);
      expect(noRepo.status).toBe(409);
      expect(noRepo.json.code).toBe('POSTMORTEMS_TRACKER_NOT_CONFIGURED');
      const exported = await t.call('POST', `/api/v1/action-items/${action.json.id}/export`, {
        body: { repo: 'acme/payments' },
      });
      expect(exported.status).toBe(201);
      expect(exported.json.tracker_issue.key).toBe('acme/payments#1');
      expect(gh.requests.at(-1)?.authorization).toBe('Bearer ghp_from_environment');
      expect(gh.requests.at(-1)?.url).toBe('/api/v3/repos/acme/payments/issues');
    });
  });
}
