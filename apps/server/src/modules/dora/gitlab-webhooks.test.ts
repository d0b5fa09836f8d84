import { describe, expect, it } from 'vitest';
import {
  gitlabDeploymentOutcome,
  gitlabPushCommits,
  gitlabRepositoryKeys,
  gitlabTime,
  verifyGitlabToken,
} from './gitlab-webhooks.ts';

describe('GitLab payload reading', () => {
  it('checks the token exactly', () => {
    expect(verifyGitlabToken('tok-1', 'tok-1')).toBe(true);
    expect(verifyGitlabToken('tok-1', 'tok-2')).toBe(false);
    expect(verifyGitlabToken('tok-1', '')).toBe(false);
    expect(verifyGitlabToken('tok-1', undefined)).toBe(false);
  });
  it("reads GitLab's time formats as UTC", () => {
    expect(gitlabTime('2021-04-28 21:50:00 +0200')).toBe('2021-04-28T19:50:00.000Z');
    expect(gitlabTime('2021-04-28 19:50:00 UTC')).toBe('2021-04-28T19:50:00.000Z');
    expect(gitlabTime('2011-12-12T14:27:31+02:00')).toBe('2011-12-12T12:27:31.000Z');
    expect(gitlabTime('soon')).toBeNull();
  });
  it('reads repository URLs, pushed commits and final deployments', () => {
    const project = {
      web_url: 'https://gitlab.example/shop/cart',
      git_ssh_url: 'git@gitlab.example:shop/cart.git',
      git_http_url: 'https://gitlab.example/shop/cart.git',
    };
    expect(gitlabRepositoryKeys({ project })).toEqual(['gitlab.example/shop/cart']);
    expect(
      gitlabPushCommits({
        commits: [
          {
            id: 'B6568DB1BC1DCD7F8B4D5A946B0B91F9DACD7327',
            timestamp: '2011-12-12T14:27:31+02:00',
            message: 'm',
          },
        ],
      }),
    ).toEqual([
      {
        sha: 'b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327',
        committed_at: '2011-12-12T12:27:31.000Z',
        message: 'm',
      },
    ]);
    const hook = (status: string) => ({
      object_kind: 'deployment',
      status,
      status_changed_at: '2021-04-28 21:50:00 +0200',
      deployment_id: 15,
      environment: 'production',
      short_sha: '279484c0',
      commit_url: 'https://gitlab.example/shop/cart/-/commit/279484c09fbe69ededfced8c1bb6e6d24616b468',
      project,
    });
    expect(gitlabDeploymentOutcome(hook('success'))).toEqual({
      external_id: 'deployment:15',
      environment: 'production',
      commit_sha: '279484c09fbe69ededfced8c1bb6e6d24616b468',
      status: 'success',
      started_at: null,
      finished_at: '2021-04-28T19:50:00.000Z',
    });
    expect(gitlabDeploymentOutcome(hook('failed'))?.status).toBe('failure');
    expect(gitlabDeploymentOutcome(hook('running'))).toBeNull();
    expect(gitlabDeploymentOutcome(hook('canceled'))).toBeNull();
  });
});
