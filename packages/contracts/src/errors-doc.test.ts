import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS_DOC_PATH, renderErrorsMarkdown } from '../../../scripts/gen-error-docs.ts';
import { ERROR_CATALOGUE } from './errors.ts';

describe('docs/errors.md', () => {
  it('is the catalogue rendered by scripts/gen-error-docs.ts (run it after changing errors.ts)', () => {
    const committed = fs.readFileSync(ERRORS_DOC_PATH, 'utf8');
    expect(committed).toBe(renderErrorsMarkdown());
  });

  it('lists every code once, with its status', () => {
    const text = renderErrorsMarkdown();
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
      const rows = text.split('\n').filter((line) => line.startsWith(`| \`${code}\` `));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatch(new RegExp(`^\\| \`${code}\` +\\| ${spec.status} +\\|`));
    }
  });

  it('escapes table separators and pads columns to the widest cell', () => {
    const text = renderErrorsMarkdown({
      X_PIPE: { status: 400, title: 'a | b', description: 'c | d' },
      X_LONGER_CODE: { status: 404, title: 't', description: 'd → e' },
    });
    // The same layout `biome format` gives this table (widths in code points, `\\|` counts as two).
    expect(text).toContain(
      [
        '| code            | status | title  | meaning |',
        '| --------------- | ------ | ------ | ------- |',
        '| `X_PIPE`        | 400    | a \\| b | c \\| d  |',
        '| `X_LONGER_CODE` | 404    | t      | d → e   |',
      ].join('\n'),
    );
  });
});
