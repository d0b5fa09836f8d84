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
      for (const event of ['deployment', 'ping']) {
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

    it('records completed runs of deploy workflows on the default branch (workflow_run) as deployments', async () => {
      const t = get();
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Octo runs', time_zone: 'UTC' } });
      const svc = await t.call('POST', '/api/v1/services', {
        body: {
          name: 'octo-repo',
          team_id: team.json.id,
          tier: 'tier-3',
          repository_url: 'https://github.com/octo-org/octo-repo',
        },
      });
      expect(svc.status).toBe(201);
      let n = 0;
      const send = async (payload: unknown) => {
        const body = JSON.stringify(payload);
        return t.call('POST', '/webhooks/github', {
          token: null,
          payload: body,
          headers: {
            'content-type': 'application/json',
            'x-github-event': 'workflow_run',
            'x-github-delivery': `run-${++n}`,
            'x-hub-signature-256': await sign(SECRET, body),
          },
        });
      };
      // DORA's own part of the answer (modules subscribed to deliveries append theirs after '; ').
      const own = (res: { json: { detail: string } }) => res.json.detail.split('; ')[0]!;
      const runs = byName('workflow_run');
      const completed = runs.filter(
        (p) =>
          p.action === 'completed' && (p.workflow_run as { conclusion?: string }).conclusion === 'success',
      );
      expect(completed.length).toBeGreaterThan(0);
      const example = completed[0]!;

      // The example's workflow is "test" (.github/workflows/test.yml): not a deploy workflow by default.
      const first = await send(example);
      expect(own(first)).toBe('workflow test is not a deploy workflow');
      // Queued, requested and action_required runs are never deployments.
      for (const p of runs.filter((r) => r !== example)) {
        const res = await send(p);
        expect(res.status, res.body).toBe(200);
        expect(own(res)).toMatch(/^workflow run is not completed|^workflow test is not a deploy workflow/);
      }

      // An explicit mapping names test.yml as this repository's deploy workflow (and wins over repository_url).
      const other = await t.call('POST', '/api/v1/services', {
        body: { name: 'octo-deployer', team_id: team.json.id, tier: 'tier-3' },
      });
      const mapped = await t.call('POST', '/api/v1/repositories', {
        body: {
          repository_url: 'git@github.com:octo-org/octo-repo.git',
          service_id: other.json.id,
          deploy_workflows: ['test.yml'],
        },
      });
      expect(mapped.status, mapped.body).toBe(201);
      expect(mapped.json).toMatchObject({
        repository_key: 'github.com/octo-org/octo-repo',
        deploy_workflows: ['test.yml'],
      });
      const deployed = await send(example);
      expect(own(deployed), deployed.body).toMatch(/^deployment dep_\w+ of octo-deployer$/);
      const redelivered = await send(example); // same run and attempt: the same deployment
      expect(own(redelivered)).toBe(own(deployed));
      const list = await t.call('GET', `/api/v1/deployments?service_id=${other.json.id}`);
      expect(list.json.items).toHaveLength(1);
      expect(list.json.items[0]).toMatchObject({
        environment: 'production',
        status: 'success',
        commit_sha: '3484a3fb816e0859fd6e1cea078d76385ff50625',
        source: 'github',
        external_id: 'workflow_run:289782451:1',
        started_at: '2020-10-05T16:33:49.000Z',
        finished_at: '2020-10-05T16:33:49.000Z',
      });
      const mine = await t.call('GET', `/api/v1/deployments?service_id=${svc.json.id}`);
      expect(mine.json.items).toHaveLength(0);

      // A failed attempt on the default branch is a failed deployment; a run on another branch is not one.
      const failed = structuredClone(example) as { workflow_run: Record<string, unknown> };
      Object.assign(failed.workflow_run, {
        conclusion: 'failure',
        run_attempt: 2,
        updated_at: '2020-10-05T17:00:00Z',
      });
      expect(own(await send(failed))).toMatch(/^deployment dep_/);
      const branch = structuredClone(example) as { workflow_run: Record<string, unknown> };
      Object.assign(branch.workflow_run, { head_branch: 'feature', run_attempt: 3 });
      const onBranch = await send(branch);
      expect(own(onBranch)).toBe('run on feature, not the default branch');
      const dora = await t.call(
        'GET',
        `/api/v1/dora?service_id=${other.json.id}&from=2020-10-01T00:00:00Z&to=2020-10-11T00:00:00Z`,
      );
      expect(dora.json.change_failure_rate).toMatchObject({ failed: 1, deployments: 2, value: 0.5 });

      // Unmapped again, the repository falls back to repository_url matching (octo-repo).
      const key = encodeURIComponent('github.com/octo-org/octo-repo');
      expect((await t.call('DELETE', `/api/v1/repositories/${key}`)).status).toBe(204);
      const renamed = structuredClone(example) as { workflow_run: Record<string, unknown> };
      Object.assign(renamed.workflow_run, {
        name: 'Deploy production',
        path: '.github/workflows/deploy.yml',
        id: 9,
      });
      expect(own(await send(renamed))).toMatch(/^deployment dep_\w+ of octo-repo$/);
      const back = await t.call('GET', `/api/v1/deployments?service_id=${svc.json.id}`);
      expect(back.json.items.map((d: { external_id: string }) => d.external_id)).toEqual([
        'workflow_run:9:1',
      ]);
    });
  },
  { env: { ENGOPS_GITHUB_WEBHOOK_SECRET: SECRET } },
);
