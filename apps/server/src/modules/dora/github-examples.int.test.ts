import examples from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';

/**
 * GitHub's own example payloads (@octokit/webhooks-examples), signed by @octokit/webhooks-methods,
 * sent byte for byte as GitHub sends them.
 */
const SECRET = 'octokit-examples-secret';

interface Example {
  name: string;
  examples: Array<Record<string, unknown>>;
}
const byName = (name: string) =>
  (examples as unknown as Example[]).find((e) => e.name === name)?.examples ?? [];

describeEachEngine(
  'GitHub webhooks with the @octokit/webhooks-examples payloads',
  (get) => {
    it('records the push commits and the final deployment statuses, with the payload times', async () => {
      const t = get();
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Octo', time_zone: 'UTC' } });
      const svc = await t.call('POST', '/api/v1/services', {
        body: {
          name: 'hello-world',
          team_id: team.json.id,
          tier: 'tier-3',
          repository_url: 'https://github.com/Codertocat/Hello-World',
        },
      });
      expect(svc.status).toBe(201);
      let n = 0;
      const send = async (event: string, payload: unknown, secret = SECRET) => {
        const body = JSON.stringify(payload);
        return t.call('POST', '/webhooks/github', {
          token: null,
          payload: body,
          headers: {
            'content-type': 'application/json',
            'x-github-event': event,
            'x-github-delivery': `delivery-${++n}`,
            'x-hub-signature-256': await sign(secret, body),
          },
        });
      };

      const pushes = byName('push');
      const statuses = byName('deployment_status');
      expect(pushes.length).toBeGreaterThan(0);
      expect(statuses.length).toBeGreaterThan(0);

      // Signed with another secret: 401, nothing stored.
      const forged = await send('push', pushes[0], 'not-the-secret');
      expect(forged.status).toBe(401);

      for (const payload of pushes) {
        const res = await send('push', payload);
        expect(res.status, res.body).toBe(200);
        expect(res.json.status).toBe('processed');
      }
      for (const event of ['deployment', 'workflow_run', 'ping']) {
        for (const payload of byName(event)) {
          const res = await send(event, payload);
          expect(res.status, res.body).toBe(200);
          expect(res.json.status).toBe('ignored');
        }
      }
      const outcomes = [];
      for (const payload of statuses) outcomes.push((await send('deployment_status', payload)).json.status);
      expect(outcomes).toContain('processed');
      expect(outcomes).toContain('ignored'); // in_progress

      // Each commit keeps the time of the first payload that named it (redeliveries change nothing).
      type Commit = { id: string; timestamp: string };
      const first = new Map<string, string>();
      for (const p of pushes) {
        const named = [
          ...((p.commits as Commit[]) ?? []),
          ...(p.head_commit ? [p.head_commit as Commit] : []),
        ];
        for (const c of named) if (!first.has(c.id)) first.set(c.id, new Date(c.timestamp).toISOString());
      }
      expect(first.size).toBeGreaterThan(0);
      const commits = await t.container.db.selectFrom('commits').select(['sha', 'committed_at']).execute();
      expect(Object.fromEntries(commits.map((c) => [c.sha, c.committed_at]))).toEqual(
        Object.fromEntries(first),
      );
      const list = await t.call('GET', `/api/v1/deployments?service_id=${svc.json.id}`);
      expect(list.json.items).toHaveLength(1);
      expect(list.json.items[0]).toMatchObject({
        environment: 'production',
        status: 'success',
        commit_sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
        source: 'github',
        external_id: 'deployment:145988746',
        started_at: '2019-05-15T15:20:53.000Z',
        finished_at: '2019-05-15T15:20:55.000Z',
      });
      const dora = await t.call(
        'GET',
        `/api/v1/dora?service_id=${svc.json.id}&from=2019-05-01T00:00:00Z&to=2019-06-01T00:00:00Z`,
      );
      expect(dora.json.deployment_frequency).toMatchObject({ deployments: 1, per_day: 1 / 31 });
    });
  },
  { env: { ENGOPS_GITHUB_WEBHOOK_SECRET: SECRET } },
);
