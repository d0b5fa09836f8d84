import { beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';

/**
 * "Scan now" for a service's repository (POST /api/v1/security/services/:id/repository-scan), on
 * both engines: it queues the daily repository scan's job for that service (once per minute, however
 * often it is asked), audited; a repository no configured code host serves is refused with 409 and
 * nothing queued; least privilege as for uploads (security.write on the team).
 */
describeEachEngine(
  'security: scan a repository now',
  (get) => {
    let teamId = '';
    let otherTeamId = '';
    const service = async (name: string, team: string, repository_url?: string) =>
      (
        await get().call('POST', '/api/v1/services', {
          body: { name, team_id: team, ...(repository_url ? { repository_url } : {}) },
        })
      ).json.id as string;
    const jobsOf = (serviceId: string) =>
      get()
        .container.db.selectFrom('jobs')
        .select(['id', 'status'])
        .where('kind', '=', 'security.repository_scan')
        .where('payload', '=', JSON.stringify({ service_id: serviceId }))
        .execute();
    let shop = '';
    let bare = '';
    let onGitlab = '';
    beforeAll(async () => {
      const t = get();
      teamId = (await t.call('POST', '/api/v1/teams', { body: { name: 'Shop', time_zone: 'UTC' } })).json.id;
      otherTeamId = (await t.call('POST', '/api/v1/teams', { body: { name: 'Other', time_zone: 'UTC' } }))
        .json.id;
      shop = await service('shop-api', teamId, 'https://github.com/acme/shop-api');
      bare = await service('no-repo', teamId);
      onGitlab = await service('gl-app', teamId, 'https://gitlab.com/acme/gl-app');
    });

    it('queues one repository scan job per minute, audited, for a responder of the team', async () => {
      const t = get();
      const token = await t.tokenFor('responder', teamId);
      const first = await t.call('POST', `/api/v1/security/services/${shop}/repository-scan`, { token });
      expect(first.status, first.body).toBe(202);
      expect(first.json).toEqual({
        service_id: shop,
        job_id: expect.stringMatching(/^job_/),
        repository_url: 'https://github.com/acme/shop-api',
      });
      const again = await t.call('POST', `/api/v1/security/services/${shop}/repository-scan`, { token });
      expect(again.json.job_id).toBe(first.json.job_id);
      expect(await jobsOf(shop)).toEqual([{ id: first.json.job_id, status: 'pending' }]);
      const audited = await t.container.db
        .selectFrom('audit_log')
        .select(['target_id', 'team_id'])
        .where('action', '=', 'security.repository_scan.request')
        .execute();
      expect(audited).toEqual([
        { target_id: shop, team_id: teamId },
        { target_id: shop, team_id: teamId },
      ]);
    });

    it('refuses a repository no configured code host serves, and queues nothing', async () => {
      const t = get();
      const none = await t.call('POST', `/api/v1/security/services/${bare}/repository-scan`);
      expect(none.status).toBe(409);
      expect(none.json.code).toBe('SECURITY_REPOSITORY_NOT_SCANNABLE');
      expect(none.json.detail).toContain('no repository_url');
      // GitLab has no token in this server: its repositories cannot be read.
      const gitlab = await t.call('POST', `/api/v1/security/services/${onGitlab}/repository-scan`);
      expect(gitlab.status).toBe(409);
      expect(gitlab.json.detail).toContain('ENGOPS_GITLAB_TOKEN');
      expect(await jobsOf(bare)).toEqual([]);
      expect(await jobsOf(onGitlab)).toEqual([]);
    });

    it('needs security.write on the service team: 403 for a viewer or another team, 404 for no service', async () => {
      const t = get();
      const viewer = await t.call('POST', `/api/v1/security/services/${shop}/repository-scan`, {
        token: await t.tokenFor('viewer', teamId),
      });
      expect(viewer.status).toBe(403);
      const other = await t.call('POST', `/api/v1/security/services/${shop}/repository-scan`, {
        token: await t.tokenFor('manager', otherTeamId),
      });
      expect(other.status).toBe(403);
      const missing = await t.call('POST', '/api/v1/security/services/svc_nope/repository-scan');
      expect(missing.status).toBe(404);
      expect((await jobsOf(shop)).length).toBe(1);
    });
  },
  // A GitHub token (the queued job is never run here: no worker), no GitLab token.
  { env: { ENGOPS_GITHUB_TOKEN: 'ghp_test_token' } },
);
