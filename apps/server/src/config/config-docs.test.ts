import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from './config.ts';

const GUIDE = path.resolve(import.meta.dirname, '../../../../docs/guides/getting-started.md');

describe('the settings table in docs/guides/getting-started.md', () => {
  const rows = fs
    .readFileSync(GUIDE, 'utf8')
    .split('\n')
    .map((line) => /^\| `([A-Z_]+)` +\|/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);

  it('lists every variable the server reads, once', () => {
    for (const name of CONFIG_VARIABLES)
      expect(
        rows.filter((row) => row === name),
        name,
      ).toHaveLength(1);
  });

  it('lists nothing the server does not read', () => {
    expect(rows.filter((row) => !CONFIG_VARIABLES.includes(row))).toEqual([]);
  });
});

describe('GitLab API settings', () => {
  it('default to gitlab.com without a token, and take a self-managed root without its trailing slash', () => {
    expect(loadConfig({}).gitlabApi).toEqual({ url: 'https://gitlab.com/api/v4' });
    expect(
      loadConfig({
        ENGOPS_GITLAB_API_URL: 'https://git.example.test/api/v4/',
        ENGOPS_GITLAB_TOKEN: 'glpat-x',
      }).gitlabApi,
    ).toEqual({ url: 'https://git.example.test/api/v4', token: 'glpat-x' });
  });
});
