import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deploymentOutcome, pushCommits, repositoryKey, verifyGithubSignature } from './github-webhooks.ts';

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
