import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { startSmtp } from '../../../../../test-support/smtp.ts';
import { fixedClock } from '../../platform/clock.ts';
import { type PrInput, pullRequestEvent, reviewEvent } from './github-payloads.ts';

const SECRET = 'nudge-secret';

const repo = { owner: 'acme', name: 'checkout', default_branch: 'main' };
const pr: PrInput = {
  number: 42,
  title: 'Split the basket service',
  author: 'alice',
  body: 'Moves the basket into its own service so checkout can deploy alone.',
  head_ref: 'split-basket',
  head_sha: 'ab'.repeat(20),
  additions: 120,
  deletions: 40,
  changed_files: 5,
  created_at: '2026-03-02T09:00:00Z',
};

for (const engine of ENGINES) {
  describe(`workflow nudges through the notification platform [${engine}]`, () => {
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let t: TestApp;
    const clock = fixedClock('2026-03-02T09:00:00Z');
    let n = 0;

    const send = async (event: string, payload: unknown) => {
      const body = JSON.stringify(payload);
      const res = await t.call('POST', '/webhooks/github', {
        token: null,
        payload: body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': event,
          'x-github-delivery': `nudge-${++n}`,
          'x-hub-signature-256': await sign(SECRET, body),
        },
      });
      expect(res.status, res.body).toBe(200);
    };
    /** Runs every due job, and the jobs those enqueued (nudge -> notification delivery). */
    const drain = async () => {
      while ((await t.container.worker.drain()) > 0);
    };
    const to = () => smtp.mails.map((m) => m.to.join(','));

    beforeAll(async () => {
      smtp = await startSmtp();
      t = await createTestApp(engine, {
        clock,
        env: {
          ENGOPS_GITHUB_WEBHOOK_SECRET: SECRET,
          ENGOPS_SMTP_HOST: '127.0.0.1',
          ENGOPS_SMTP_PORT: String(smtp.port),
          ENGOPS_SMTP_FROM: 'engops <engops@example.test>',
        },
      });
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
      github?.closeAllConnections();
      if (github) await new Promise((resolve) => github?.close(resolve));
    });

    /** A stand-in GitHub API: the members of team acme/reviewers, and the requests it saw. */
    let github: http.Server | undefined;
    const seen: Array<{ url: string; authorization: string | undefined }> = [];
    const startGithub = async () => {
      github = http.createServer((req, res) => {
        seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
        if (req.url?.startsWith('/api/v3/orgs/acme/teams/reviewers/members?')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify([{ login: 'Bob' }, { login: 'erin' }, { login: 'alice' }]));
          return;
        }
        res.writeHead(404).end();
      });
      await new Promise<void>((resolve) => github?.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(github.address() as AddressInfo).port}/api/v3`;
    };

    it('nudges the requested reviewer at half the target and the team once it passes, once each', async () => {
      const team = await t.call('POST', '/api/v1/teams', {
        body: { name: 'Checkout', time_zone: 'Europe/Berlin' },
      });
      await t.call('POST', '/api/v1/services', {
        body: { name: 'checkout', team_id: team.json.id, repository_url: 'https://github.com/acme/checkout' },
      });
      const user = async (name: string) =>
        (
          await t.call('POST', '/api/v1/users', {
            body: { email: `${name}@example.test`, name, role: 'viewer' },
          })
        ).json;
      const [alice, bob, dave] = [await user('alice'), await user('bob'), await user('dave')];
      for (const member of [alice, dave])
        await t.call('POST', `/api/v1/teams/${team.json.id}/members`, {
          body: { user_id: member.id, role: 'responder' },
        });
      for (const [login, u] of [
        ['alice', alice],
        ['Bob', bob],
      ] as const) {
        const linked = await t.call('PUT', '/api/v1/workflow/identities', {
          body: { provider: 'github', login, user_id: u.id },
        });
        expect(linked.status, linked.body).toBe(200);
      }
      const audit = await t.call('GET', '/api/v1/audit-log?action=workflow.identity.set');
      expect(audit.json.items).toHaveLength(2);

      await send('pull_request', pullRequestEvent(repo, 'opened', pr));
      await send(
        'pull_request',
        pullRequestEvent(repo, 'review_requested', pr, { requested_reviewer: 'bob' }),
      );
      await drain();
      expect(smtp.mails).toHaveLength(0);

      // 11:59:59 after the request: not yet half of the 24-hour target.
      clock.set('2026-03-02T20:59:59Z');
      await drain();
      expect(smtp.mails).toHaveLength(0);
      clock.set('2026-03-02T21:00:00Z');
      await drain();
      expect(to()).toEqual(['bob@example.test']);
      expect(smtp.mails[0]?.raw).toContain('Review waiting: acme/checkout#42');

      // Another change to the PR plans again: the same threshold is never sent twice.
      clock.set('2026-03-02T22:00:00Z');
      await send(
        'pull_request',
        pullRequestEvent(repo, 'labeled', { ...pr, updated_at: '2026-03-02T22:00:00Z' }),
      );
      await drain();
      expect(smtp.mails).toHaveLength(1);

      // The target passes: the team hears (not the author), once.
      clock.set('2026-03-03T09:00:00Z');
      await drain();
      clock.set('2026-03-03T10:00:00Z');
      await drain();
      expect(to()).toEqual(['bob@example.test', 'dave@example.test']);
      expect(smtp.mails[1]?.raw).toContain('Review overdue');

      // Bob asks for changes; alice re-requests: a new wait, with its own nudges.
      await send(
        'pull_request_review',
        reviewEvent(repo, pr, {
          id: 1,
          reviewer: 'bob',
          state: 'changes_requested',
          submitted_at: '2026-03-03T10:00:00Z',
        }),
      );
      await send(
        'pull_request',
        pullRequestEvent(
          repo,
          'review_requested',
          { ...pr, updated_at: '2026-03-03T12:00:00Z' },
          { requested_reviewer: 'bob' },
        ),
      );
      await drain();
      clock.set('2026-03-04T00:00:00Z');
      await drain();
      expect(to()).toEqual(['bob@example.test', 'dave@example.test', 'bob@example.test']);
      const queue = await t.call('GET', '/api/v1/workflow/pull-requests?waiting=true');
      expect(
        queue.json.items.map((i: { number: number; waiting_since: string; pending_reviewers: string[] }) => [
          i.number,
          i.waiting_since,
          i.pending_reviewers,
        ]),
      ).toEqual([[42, '2026-03-03T12:00:00.000Z', ['bob']]]);
      const nudges = await t.container.db
        .selectFrom('workflow_nudges')
        .selectAll()
        .orderBy('sent_at')
        .execute();
      expect(nudges.map((x) => [x.stage, x.recipients, x.sent_at])).toEqual([
        ['reviewers@2026-03-02T09:00:00.000Z', 1, '2026-03-02T21:00:00.000Z'],
        ['team@2026-03-02T09:00:00.000Z', 1, '2026-03-03T09:00:00.000Z'],
        ['reviewers@2026-03-03T12:00:00.000Z', 1, '2026-03-04T00:00:00.000Z'],
      ]);
    });

    it('a review requested from a GitHub team nudges its members (read from GitHub), else the owning team', async () => {
      const users = (await t.call('GET', '/api/v1/users?limit=200')).json.items as Array<{
        id: string;
        name: string;
      }>;
      const erin = (
        await t.call('POST', '/api/v1/users', {
          body: { email: 'erin@example.test', name: 'erin', role: 'viewer' },
        })
      ).json;
      expect(
        (
          await t.call('PUT', '/api/v1/workflow/identities', {
            body: { provider: 'github', login: 'erin', user_id: erin.id },
          })
        ).status,
      ).toBe(200);
      expect(users.map((u) => u.name)).toEqual(expect.arrayContaining(['alice', 'bob', 'dave']));
      // The first test's last wait runs out meanwhile: its overdue nudge is not this test's.
      clock.set('2026-03-05T09:00:00Z');
      await drain();
      smtp.mails.length = 0;

      // No GitHub settings: nobody can say who is in acme/reviewers, so the owning team (dave; not
      // alice, the author) hears at half the target.
      const first = { ...pr, number: 43, created_at: '2026-03-05T09:00:00Z' };
      await send('pull_request', pullRequestEvent(repo, 'opened', first));
      await send(
        'pull_request',
        pullRequestEvent(repo, 'review_requested', first, { requested_team: 'reviewers' }),
      );
      await drain();
      clock.set('2026-03-05T21:00:00Z');
      await drain();
      expect(to()).toEqual(['dave@example.test']);

      // With GitHub settings: the team's members as GitHub lists them, those with an engops identity
      // (Bob, erin; alice is the author), asked with the settings' token.
      const apiUrl = await startGithub();
      const settings = await t.call('PUT', '/api/v1/workflow/settings/github', {
        body: { api_url: apiUrl, token: 'ghp_team_token', merge_gate: false, checklist: false },
      });
      expect(settings.status, settings.body).toBe(200);
      const second = { ...pr, number: 44, created_at: '2026-03-06T09:00:00Z' };
      clock.set('2026-03-06T09:00:00Z');
      await send('pull_request', pullRequestEvent(repo, 'opened', second));
      await send(
        'pull_request',
        pullRequestEvent(repo, 'review_requested', second, { requested_team: 'reviewers' }),
      );
      await drain();
      clock.set('2026-03-06T21:00:00Z');
      await drain();
      // One delivery per recipient, in whichever order the worker sends them: compared sorted.
      const sent = smtp.mails.map((m) => `${/Subject: (.*)/.exec(m.raw)?.[1]} -> ${m.to.join(',')}`).sort();
      expect(sent).toEqual([
        'Review overdue: acme/checkout#43 Split the basket service -> dave@example.test',
        'Review waiting: acme/checkout#43 Split the basket service -> dave@example.test',
        'Review waiting: acme/checkout#44 Split the basket service -> bob@example.test',
        'Review waiting: acme/checkout#44 Split the basket service -> erin@example.test',
      ]);
      const asked = seen.filter((r) => r.url.includes('/teams/'));
      expect(asked.map((r) => [r.url, r.authorization])).toEqual([
        ['/api/v3/orgs/acme/teams/reviewers/members?per_page=100&page=1', 'Bearer ghp_team_token'],
      ]);
    });
  });
}
