import { describe, expect, it } from 'vitest';
import { parseGithubEvent, payloadTime } from './github-events.ts';
import { checklistBody, gateState } from './github-outbound.ts';
import { parseGitlabEvent } from './gitlab-events.ts';

const repository = { full_name: 'a/b', html_url: 'https://github.com/a/b', default_branch: 'main' };

describe('payload readers', () => {
  it('reads ISO and Unix-second times', () => {
    expect(payloadTime('2019-05-15T15:20:55+00:00')).toBe('2019-05-15T15:20:55.000Z');
    expect(payloadTime(1557933657)).toBe('2019-05-15T15:20:57.000Z');
    expect(payloadTime('soon')).toBeNull();
  });
  it('a closed pull request with merged_at is a merge at merged_at; tags are not branches', () => {
    const pr = {
      number: 3,
      title: 't',
      user: { login: 'x' },
      state: 'closed',
      head: { ref: 'f', sha: 'AB' },
      base: { ref: 'main' },
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-02T00:00:05Z',
      closed_at: '2026-01-02T00:00:00Z',
      merged_at: '2026-01-02T00:00:00Z',
    };
    const parsed = parseGithubEvent('pull_request', { action: 'closed', pull_request: pr, repository });
    expect(parsed?.kind === 'pull_request' && parsed.event).toMatchObject({
      action: 'merged',
      at: '2026-01-02T00:00:00.000Z',
      sha: 'ab',
    });
    expect(
      parseGithubEvent('create', { ref: 'v1', ref_type: 'tag', repository: { ...repository, pushed_at: 1 } }),
    ).toBeNull();
  });
  it('GitLab: leaving draft and adding a reviewer in one update are two events at updated_at', () => {
    const parsed = parseGitlabEvent({
      object_kind: 'merge_request',
      user: { username: 'lena' },
      project: {
        path_with_namespace: 'g/p',
        web_url: 'https://gitlab.example.test/g/p',
        default_branch: 'main',
      },
      object_attributes: {
        iid: 4,
        title: 'x',
        state: 'opened',
        action: 'update',
        created_at: '2026-01-01 10:00:00 UTC',
        updated_at: '2026-01-01 12:30:00 +0200',
        source_branch: 's',
        target_branch: 'main',
        last_commit: { id: 'abc123' },
      },
      changes: {
        draft: { previous: true, current: false },
        reviewers: { previous: [], current: [{ username: 'omar' }] },
      },
    });
    expect(
      parsed?.map((e) =>
        e.kind === 'pull_request' ? [e.event.action, e.event.subject, e.event.at] : e.kind,
      ),
    ).toEqual([
      ['ready_for_review', null, '2026-01-01T10:30:00.000Z'],
      ['review_requested', 'omar', '2026-01-01T10:30:00.000Z'],
    ]);
  });
});

describe('merge gate verdicts', () => {
  const c = (kind: string, name: string, state: string) => ({
    kind,
    name,
    state,
    at: '2026-01-01T00:00:00Z',
  });
  it('success when checks passed, failure on any failing one, pending otherwise; its own status ignored', () => {
    expect(gateState([], [])).toBe('pending');
    expect(gateState([c('check_run', 'build', 'pending')], [])).toBe('pending');
    expect(
      gateState([c('check_run', 'build', 'success'), c('status', 'engops/ci-required', 'failure')], []),
    ).toBe('success');
    expect(gateState([c('check_run', 'build', 'success'), c('status', 'lint', 'failure')], [])).toBe(
      'failure',
    );
    // With required checks only they count.
    expect(gateState([c('check_run', 'build', 'success'), c('status', 'lint', 'failure')], ['build'])).toBe(
      'success',
    );
    expect(gateState([c('check_run', 'lint', 'success')], ['build'])).toBe('pending');
  });
  it('the checklist lists the reviewer focus as boxes', () => {
    expect(checklistBody(['Correctness', 'Tests'])).toContain('- [ ] Correctness\n- [ ] Tests');
  });
});

describe('file lists', () => {
  it('counts directories and tells tests from code and docs', async () => {
    const { fileFacts } = await import('./workflow-measures.ts');
    expect(fileFacts(['src/api/retry.ts', 'src/api/client.ts', 'README.md'])).toEqual({
      files: 3,
      directories_touched: 2,
      tests_touched: false,
      code_changed: true,
    });
    expect(fileFacts(['src/api/retry.ts', 'src/api/retry.test.ts']).tests_touched).toBe(true);
    expect(fileFacts(['pkg/x/y_test.go']).tests_touched).toBe(true);
    expect(fileFacts(['tests/test_ledger.py', 'ledger.py'])).toMatchObject({
      tests_touched: true,
      code_changed: true,
    });
    expect(fileFacts(['docs/guide.md', 'package-lock.json'])).toMatchObject({
      tests_touched: false,
      code_changed: false,
    });
  });
});
