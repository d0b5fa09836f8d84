import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deploymentOutcome,
  isDeployWorkflow,
  pushCommits,
  repositoryKey,
  verifyGithubSignature,
  workflowRunOutcome,
} from './github-webhooks.ts';

describe('verifyGithubSignature', () => {
  const body = Buffer.from('{"zen":"Keep it logically awesome."}');
  const good = `sha256=${createHmac('sha256', 'secret-1').update(body).digest('hex')}`;
  it('accepts the HMAC-SHA256 of the raw body and nothing else', () => {
    expect(verifyGithubSignature('secret-1', body, good)).toBe(true);
    expect(verifyGithubSignature('secret-2', body, good)).toBe(false);
    expect(verifyGithubSignature('secret-1', Buffer.from(`${body} `), good)).toBe(false);
    expect(verifyGithubSignature('secret-1', body, good.replace('sha256=', 'sha1='))).toBe(false);
    expect(verifyGithubSignature('secret-1', body, 'sha256=abc')).toBe(false);
    expect(verifyGithubSignature('secret-1', body, undefined)).toBe(false);
  });
});

describe('repositoryKey', () => {
  it('makes https, ssh and clone URLs of one repository agree', () => {
    const key = 'github.com/acme/api';
    expect(repositoryKey('https://github.com/Acme/API')).toBe(key);
    expect(repositoryKey('https://github.com/acme/api.git')).toBe(key);
    expect(repositoryKey('https://github.com/acme/api/')).toBe(key);
    expect(repositoryKey('git@github.com:acme/api.git')).toBe(key);
    expect(repositoryKey('ssh://git@github.com:22/acme/api.git')).toBe(key);
    expect(repositoryKey('https://gitlab.example/group/sub/api')).toBe('gitlab.example/group/sub/api');
    expect(repositoryKey('not a url')).toBeNull();
    expect(repositoryKey(null)).toBeNull();
  });
});

describe('payload reading', () => {
  it('takes commit times from the payload in UTC', () => {
    expect(
      pushCommits({
        commits: [{ id: 'ABCDEF01', timestamp: '2026-04-01T08:00:00+02:00', message: 'm' }, { id: 'zz' }],
        head_commit: null,
      }),
    ).toEqual([{ sha: 'abcdef01', committed_at: '2026-04-01T06:00:00.000Z', message: 'm' }]);
  });
  it('maps final deployment states and ignores the rest', () => {
    const p = (state: string) => ({
      deployment_status: { state, updated_at: '2026-04-01T10:00:00Z' },
      deployment: { id: 5, sha: 'ABC123', environment: 'production', created_at: '2026-04-01T09:00:00Z' },
    });
    expect(deploymentOutcome(p('success'))).toEqual({
      external_id: 'deployment:5',
      environment: 'production',
      commit_sha: 'abc123',
      status: 'success',
      started_at: '2026-04-01T09:00:00.000Z',
      finished_at: '2026-04-01T10:00:00.000Z',
    });
    expect(deploymentOutcome(p('error'))?.status).toBe('failure');
    expect(deploymentOutcome(p('failure'))?.status).toBe('failure');
    expect(deploymentOutcome(p('pending'))).toBeNull();
    expect(deploymentOutcome(p('in_progress'))).toBeNull();
  });
});

describe('workflow_run events', () => {
  const run = (over: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
    action: 'completed',
    repository: { default_branch: 'main' },
    workflow_run: {
      id: 42,
      name: 'Deploy',
      path: '.github/workflows/deploy.yml',
      head_branch: 'main',
      head_sha: 'ABCDEF1234',
      status: 'completed',
      conclusion: 'success',
      run_attempt: 2,
      run_started_at: '2026-03-02T10:00:00Z',
      updated_at: '2026-03-02T10:07:00Z',
      ...over,
    },
    ...top,
  });

  it('makes a completed deploy run on the default branch a deployment, per attempt', () => {
    expect(workflowRunOutcome(run(), null)).toEqual({
      deployment: {
        external_id: 'workflow_run:42:2',
        commit_sha: 'abcdef1234',
        status: 'success',
        started_at: '2026-03-02T10:00:00.000Z',
        finished_at: '2026-03-02T10:07:00.000Z',
      },
    });
    expect(workflowRunOutcome(run({ conclusion: 'timed_out' }), null)).toMatchObject({
      deployment: { status: 'failure' },
    });
  });

  it('ignores other workflows, branches, unfinished runs and non-outcomes', () => {
    expect(workflowRunOutcome(run({ name: 'CI', path: '.github/workflows/ci.yml' }), null)).toEqual({
      ignored: 'workflow CI is not a deploy workflow',
    });
    expect(workflowRunOutcome(run({ head_branch: 'feature' }), null)).toEqual({
      ignored: 'run on feature, not the default branch',
    });
    expect(workflowRunOutcome(run({}, { action: 'requested' }), null)).toEqual({
      ignored: 'workflow run is not completed',
    });
    expect(workflowRunOutcome(run({ conclusion: 'cancelled' }), null)).toEqual({
      ignored: 'conclusion cancelled is not a deployment outcome',
    });
  });

  it('follows a mapping that names the deploy workflows by name or file', () => {
    expect(isDeployWorkflow({ name: 'CI', path: '.github/workflows/ci.yml' }, ['ci.yml'])).toBe(true);
    expect(isDeployWorkflow({ name: 'Ship it', path: '.github/workflows/ship.yml' }, ['Ship it'])).toBe(true);
    expect(isDeployWorkflow({ name: 'Deploy', path: '.github/workflows/deploy.yml' }, ['release.yml'])).toBe(
      false,
    );
    expect(isDeployWorkflow({ name: 'Release', path: '.github/workflows/prod-deploy.yml' }, null)).toBe(true);
  });
});
