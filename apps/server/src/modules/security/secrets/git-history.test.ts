import { describe, expect, it } from 'vitest';
import { DiffParser } from './git-history.ts';
import type { CommitInfo, NumberedLine } from './scanner.ts';

describe('DiffParser', () => {
  it('hands over added lines with new line numbers, per file and commit', () => {
    const seen: Array<{ file: string; lines: NumberedLine[]; info: CommitInfo }> = [];
    const parser = new DiffParser((file, lines, info) => seen.push({ file, lines: [...lines], info }));
    const log = [
      `\x1ecommit\x1f${'1'.repeat(40)}\x1fBob <bob@example.test>\x1f2026-11-02T10:00:00+00:00`,
      '',
      'diff --git a/app.env b/app.env',
      'index 1111111..2222222 100644',
      '--- a/app.env',
      '+++ b/app.env',
      '@@ -3 +3,2 @@',
      '-OLD=1',
      '+NEW=2',
      '++++ starts with plus signs',
      '@@ -10,0 +12 @@ section',
      '+LAST=3',
      '\\ No newline at end of file',
      'diff --git a/gone.txt b/gone.txt',
      'deleted file mode 100644',
      '--- a/gone.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
      `\x1ecommit\x1f${'2'.repeat(40)}\x1fAda <ada@example.test>\x1f2026-11-01T10:00:00+00:00`,
      '',
      'diff --git "a/sp\\303\\244ce dir/x.txt" "b/sp\\303\\244ce dir/x.txt"',
      'new file mode 100644',
      '--- /dev/null',
      '+++ "b/sp\\303\\244ce dir/x.txt"',
      '@@ -0,0 +1 @@',
      '+hello',
    ];
    for (const line of log) parser.push(line);
    parser.flush();
    expect(seen).toEqual([
      {
        file: 'app.env',
        lines: [
          { text: 'NEW=2', line: 3 },
          { text: '+++ starts with plus signs', line: 4 },
          { text: 'LAST=3', line: 12 },
        ],
        info: { commit: '1'.repeat(40), author: 'Bob <bob@example.test>', date: '2026-11-02T10:00:00+00:00' },
      },
      {
        file: 'späce dir/x.txt',
        lines: [{ text: 'hello', line: 1 }],
        info: { commit: '2'.repeat(40), author: 'Ada <ada@example.test>', date: '2026-11-01T10:00:00+00:00' },
      },
    ]);
  });
});
