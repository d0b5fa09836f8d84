import { createHmac } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';

const SECRET = 'env-secret-0123456789';
const sign = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

function deliver(
  t: TestApp,
  event: string,
  delivery: string,
  payload: unknown,
  options: { secret?: string; signature?: string } = {},
) {
  const body = JSON.stringify(payload);
  return t.call('POST', '/webhooks/github', {
    token: null,
    payload: body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': delivery,
      'x-hub-signature-256': options.signature ?? sign(options.secret ?? SECRET, body),
    },
  });
}

const repository = {
  id: 1,
  full_name: 'Acme/Storefront',
  html_url: 'https://github.com/Acme/Storefront',
  clone_url: 'https://github.com/Acme/Storefront.git',
  ssh_url: 'git@github.com:Acme/Storefront.git',
};

// Shaped like GitHub's push and deployment_status payloads (the fields engops reads, and more).
const push = {
  ref: 'refs/heads/main',
  before: '0'.repeat(40),
  after: 'b'.repeat(40),
  repository,
  commits: [
    { id: 'a'.repeat(40), timestamp: '2026-04-01T08:00:00+02:00', message: 'feat: cart', distinct: true },
    { id: 'b'.repeat(40), timestamp: '2026-04-01T09:00:00Z', message: 'fix: totals', distinct: true },
  ],
  head_commit: { id: 'b'.repeat(40), timestamp: '2026-04-01T09:00:00Z', message: 'fix: totals' },
};
const deploymentStatus = (state: string, id: number, updated: string) => ({
  action: 'created',
  deployment_status: { id: id * 10, state, created_at: updated, updated_at: updated },
  deployment: {
    id,
    sha: 'b'.repeat(40),
    ref: 'main',
    environment: 'production',
    created_at: '2026-04-01T09:50:00Z',
  },
  repository,
});

describeEachEngine(
  'GitHub webhooks',
  (get) => {
    it('rejects a bad signature with 401 and stores nothing', async () => {
      const t = get();
      await t.call('POST', '/api/v1/teams', { body: { name: 'Shop', time_zone: 'UTC' } });
      const teams = await t.call('GET', '/api/v1/teams');
      const svc = await t.call('POST', '/api/v1/services', {
        body: {
          name: 'storefront',
          team_id: teams.json.items[0].id,
          tier: 'tier-2',
          repository_url: 'git@github.com:acme/storefront.git',
        },
      });
      expect(svc.status).toBe(201);
      const bad = await deliver(t, 'push', 'd-bad', push, { secret: 'wrong-secret-xxxxxxxx' });
      expect(bad.status).toBe(401);
      expect(bad.json.code).toBe('DORA_WEBHOOK_SIGNATURE_INVALID');
      const missing = await deliver(t, 'push', 'd-missing', push, { signature: '' });
      expect(missing.status).toBe(401);
      const db = t.container.db;
      expect(await db.selectFrom('commits').selectAll().execute()).toEqual([]);
      expect(await db.selectFrom('webhook_deliveries').selectAll().execute()).toEqual([]);
    });

    it('records pushed commits and deployment outcomes with payload times, once per delivery', async () => {
      const t = get();
      const services = await t.call('GET', '/api/v1/services');
      const serviceId = services.json.items[0].id as string;

      const first = await deliver(t, 'push', 'd-1', push);
      expect(first.status, first.body).toBe(200);
      // Other modules subscribed to code-host deliveries append their own detail after DORA's.
      expect(first.json.status).toBe('processed');
      expect(first.json.detail.split('; ')[0]).toBe('2 commits of storefront');
      const again = await deliver(t, 'push', 'd-1', push);
      expect(again.json.status).toBe('duplicate');

      const pending = await deliver(
        t,
        'deployment_status',
        'd-2',
        deploymentStatus('in_progress', 7, '2026-04-01T09:55:00Z'),
      );
      expect(pending.json.status).toBe('ignored');
      const done = await deliver(
        t,
        'deployment_status',
        'd-3',
        deploymentStatus('success', 7, '2026-04-01T10:00:00Z'),
      );
      expect(done.json.status, done.body).toBe('processed');
      // GitHub redelivers with a new delivery id: still one deployment.
      const redelivered = await deliver(
        t,
        'deployment_status',
        'd-4',
        deploymentStatus('success', 7, '2026-04-01T10:00:00Z'),
      );
      expect(redelivered.json.status).toBe('processed');

      const list = await t.call('GET', `/api/v1/deployments?service_id=${serviceId}`);
      expect(list.json.items).toHaveLength(1);
      expect(list.json.items[0]).toMatchObject({
        environment: 'production',
        status: 'success',
        source: 'github',
        external_id: 'deployment:7',
        started_at: '2026-04-01T09:50:00.000Z',
        finished_at: '2026-04-01T10:00:00.000Z',
        commit_count: 2,
      });

      // Lead time from the payload times: a at 06:00Z (4 h), b at 09:00Z (1 h).
      const dora = await t.call(
        'GET',
        `/api/v1/dora/evidence?metric=lead_time&service_id=${serviceId}&from=2026-04-01T00:00:00Z&to=2026-04-02T00:00:00Z`,
      );
      expect(dora.json.changes.map((c: { lead_seconds: number }) => c.lead_seconds)).toEqual([
        4 * 3600,
        3600,
      ]);

      const unknownRepo = await deliver(t, 'push', 'd-5', {
        ...push,
        repository: { html_url: 'https://github.com/acme/other' },
      });
      expect(unknownRepo.json).toMatchObject({ status: 'ignored' });
    });

    it('lets an admin set the secret, which is never returned', async () => {
      const t = get();
      const before = await t.call('GET', '/api/v1/integrations/github');
      expect(before.json).toEqual({ webhook_secret_set: true, source: 'environment', updated_at: null });
      const put = await t.call('PUT', '/api/v1/integrations/github', {
        body: { webhook_secret: 'stored-secret-abcdefgh' },
      });
      expect(put.status).toBe(200);
      expect(put.json.source).toBe('settings');
      expect(JSON.stringify(put.json)).not.toContain('stored-secret');
      const manager = await t.tokenFor('manager');
      expect(
        (
          await t.call('PUT', '/api/v1/integrations/github', {
            token: manager,
            body: { webhook_secret: 'x'.repeat(20) },
          })
        ).status,
      ).toBe(403);
      expect((await deliver(t, 'push', 'd-6', push)).status).toBe(401);
      expect((await deliver(t, 'push', 'd-6', push, { secret: 'stored-secret-abcdefgh' })).status).toBe(200);
      const audit = await t.call('GET', '/api/v1/audit-log?target_id=github');
      expect(audit.body).not.toContain('stored-secret');
    });

    it('records GitLab pushes and deployments checked against X-Gitlab-Token, and rejects a wrong token', async () => {
      const t = get();
      const teams = await t.call('GET', '/api/v1/teams');
      const svc = await t.call('POST', '/api/v1/services', {
        body: {
          name: 'cart',
          team_id: teams.json.items[0].id,
          tier: 'tier-2',
          repository_url: 'https://gitlab.example/shop/cart',
        },
      });
      const project = {
        web_url: 'https://gitlab.example/shop/cart',
        git_ssh_url: 'git@gitlab.example:shop/cart.git',
        git_http_url: 'https://gitlab.example/shop/cart.git',
      };
      const send = (payload: unknown, token: string, uuid: string) =>
        t.call('POST', '/webhooks/gitlab', {
          token: null,
          payload: JSON.stringify(payload),
          headers: {
            'content-type': 'application/json',
            'x-gitlab-event': 'Push Hook',
            'x-gitlab-token': token,
            'x-gitlab-event-uuid': uuid,
          },
        });
      const push = {
        object_kind: 'push',
        project,
        commits: [{ id: 'c'.repeat(40), timestamp: '2026-04-02T10:00:00+02:00', message: 'feat' }],
      };
      const deployment = {
        object_kind: 'deployment',
        status: 'success',
        status_changed_at: '2026-04-02 12:00:00 +0200',
        deployment_id: 15,
        environment: 'production',
        short_sha: 'cccccccc',
        commit_url: `https://gitlab.example/shop/cart/-/commit/${'c'.repeat(40)}`,
        project,
      };
      // No token configured yet: refused.
      expect((await send(push, 'anything', 'u-0')).status).toBe(401);
      const put = await t.call('PUT', '/api/v1/integrations/gitlab', {
        body: { webhook_secret: 'gitlab-token-0123456789' },
      });
      expect(put.json).toMatchObject({ webhook_secret_set: true, source: 'settings' });
      const wrong = await send(push, 'wrong-token-xxxxxxxxx', 'u-1');
      expect(wrong.status).toBe(401);
      expect(wrong.json.code).toBe('DORA_WEBHOOK_SIGNATURE_INVALID');
      expect((await send(push, 'gitlab-token-0123456789', 'u-2')).json.status).toBe('processed');
      expect((await send(push, 'gitlab-token-0123456789', 'u-2')).json.status).toBe('duplicate');
      expect((await send(deployment, 'gitlab-token-0123456789', 'u-3')).json.status).toBe('processed');
      const list = await t.call('GET', `/api/v1/deployments?service_id=${svc.json.id}`);
      expect(list.json.items).toMatchObject([
        {
          source: 'gitlab',
          external_id: 'deployment:15',
          finished_at: '2026-04-02T10:00:00.000Z',
          commit_count: 1,
        },
      ]);
      const lead = await t.call(
        'GET',
        `/api/v1/dora/evidence?metric=lead_time&service_id=${svc.json.id}&from=2026-04-02T00:00:00Z&to=2026-04-03T00:00:00Z`,
      );
      expect(lead.json.changes.map((c: { lead_seconds: number }) => c.lead_seconds)).toEqual([2 * 3600]);
    });
  },
  { env: { ENGOPS_GITHUB_WEBHOOK_SECRET: SECRET } },
);
