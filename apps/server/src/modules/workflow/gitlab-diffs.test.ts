import { describe, expect, it } from 'vitest';
import { countDiffLines, gitlabDiffFacts } from './gitlab-diffs.ts';

describe('GitLab merge request diffs', () => {
  it('counts added and deleted lines of unified diff hunks', () => {
    expect(countDiffLines('@@ -1,3 +1,3 @@\n keep\n-old\n+new\n')).toEqual({ additions: 1, deletions: 1 });
    // Content that looks like a header inside a hunk is a change; the no-newline marker is not.
    expect(
      countDiffLines('@@ -1,2 +1,1 @@\n--- a removed SQL comment\n-x\n+++y\n\\ No newline at end of file'),
    ).toEqual({
      additions: 1,
      deletions: 2,
    });
    // File headers before the first hunk are not changes; two hunks add up.
    expect(countDiffLines('--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n@@ -9 +9,2 @@\n z\n+c\n')).toEqual({
      additions: 2,
      deletions: 1,
    });
    expect(countDiffLines('')).toEqual({ additions: 0, deletions: 0 });
    expect(countDiffLines('Binary files a/logo.png and b/logo.png differ\n')).toEqual({
      additions: 0,
      deletions: 0,
    });
  });

  it('sums a merge request: deleted files by their old path, too-large diffs count no lines', () => {
    expect(
      gitlabDiffFacts([
        { old_path: 'src/a.ts', new_path: 'src/a.ts', diff: '@@ -1 +1,2 @@\n-a\n+b\n+c\n' },
        {
          old_path: 'old/x.md',
          new_path: 'old/x.md',
          deleted_file: true,
          diff: '@@ -1,3 +0,0 @@\n-1\n-2\n-3\n',
        },
        { old_path: 'src/a_test.go', new_path: 'src/a_test.go', too_large: true, diff: '' },
      ]),
    ).toEqual({
      additions: 2,
      deletions: 4,
      changed_files: 3,
      directories_touched: 2,
      tests_touched: true,
      code_changed: true,
    });
    expect(gitlabDiffFacts([])).toMatchObject({ additions: 0, deletions: 0, changed_files: 0 });
  });
});
