import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Dependency, parseLockfile, pnpmKey } from './lockfiles.ts';
import { parseTomlSubset, parseYamlSubset } from './mini-formats.ts';

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8');
const brief = (deps: Dependency[]) =>
  deps.map(
    (d) => `${d.name}@${d.version}${d.direct ? ' direct' : ''}${d.dev ? ' dev' : ''} <${d.path.join(' > ')}>`,
  );

describe('lockfile parsers on real-format samples', () => {
  it('package-lock.json v3: nested copies, workspaces, dev flags, shortest paths', () => {
    const deps = parseLockfile('package-lock.json', fixture('package-lock-v3.json'));
    expect(brief(deps)).toEqual([
      '@scope/util@2.0.0 direct <@scope/util@2.0.0>',
      'body-parser@1.19.0 <express@4.17.1 > body-parser@1.19.0>',
      'express@4.17.1 direct <express@4.17.1>',
      'lodash@4.17.15 direct <lodash@4.17.15>',
      'lodash@4.17.21 <@scope/util@2.0.0 > lodash@4.17.21>',
      'minimist@1.2.0 direct dev <minimist@1.2.0>',
      'qs@6.7.0 <express@4.17.1 > qs@6.7.0>',
    ]);
    expect(deps.every((d) => d.ecosystem === 'npm' && d.file === 'package-lock.json')).toBe(true);
  });

  it('package-lock.json v1: requires resolved through node_modules nesting', () => {
    const deps = parseLockfile('npm-shrinkwrap.json', fixture('package-lock-v1.json'));
    expect(brief(deps)).toEqual([
      'debug@2.6.8 direct <debug@2.6.8>',
      'debug@3.1.0 dev <mocha@5.2.0 > debug@3.1.0>',
      'mocha@5.2.0 direct dev <mocha@5.2.0>',
      'ms@2.0.0 <debug@2.6.8 > ms@2.0.0>',
    ]);
  });

  it('yarn.lock v1 with package.json roots', () => {
    const deps = parseLockfile('yarn.lock', fixture('yarn-v1.lock'), fixture('yarn-v1-package.json'));
    expect(brief(deps)).toEqual([
      '@babel/code-frame@7.12.13 direct <@babel/code-frame@7.12.13>',
      '@babel/highlight@7.13.10 <@babel/code-frame@7.12.13 > @babel/highlight@7.13.10>',
      'chalk@2.4.2 <@babel/code-frame@7.12.13 > @babel/highlight@7.13.10 > chalk@2.4.2>',
      'minimist@1.2.5 direct dev <minimist@1.2.5>',
    ]);
  });

  it('yarn.lock v1 without package.json: unrequired entries are the roots', () => {
    const deps = parseLockfile('yarn.lock', fixture('yarn-v1.lock'));
    expect(deps.filter((d) => d.direct).map((d) => d.name)).toEqual(['@babel/code-frame', 'minimist']);
  });

  it('yarn.lock Berry: workspace entry gives the roots, npm: descriptors resolve', () => {
    const deps = parseLockfile('yarn.lock', fixture('yarn-berry.lock'));
    expect(brief(deps)).toEqual([
      'axios@0.21.1 direct <axios@0.21.1>',
      'follow-redirects@1.14.7 <axios@0.21.1 > follow-redirects@1.14.7>',
    ]);
  });

  it('pnpm-lock.yaml v9 (importers + snapshots), v6 and v5 keys', () => {
    expect(brief(parseLockfile('pnpm-lock.yaml', fixture('pnpm-lock-v9.yaml')))).toEqual([
      '@scope/ui@1.0.0 direct <@scope/ui@1.0.0>',
      'lru-cache@6.0.0 <semver@7.5.1 > lru-cache@6.0.0>',
      'react@18.2.0 <@scope/ui@1.0.0 > react@18.2.0>',
      'semver@7.5.1 direct <semver@7.5.1>',
      'vitest@1.0.0 direct dev <vitest@1.0.0>',
    ]);
    expect(brief(parseLockfile('pnpm-lock.yaml', fixture('pnpm-lock-v6.yaml')))).toEqual([
      'lru-cache@6.0.0 <semver@7.5.1 > lru-cache@6.0.0>',
      'semver@7.5.1 direct <semver@7.5.1>',
    ]);
    expect(brief(parseLockfile('pnpm-lock.yaml', fixture('pnpm-lock-v5.yaml')))).toEqual([
      'lru-cache@6.0.0 <semver@7.3.7 > lru-cache@6.0.0>',
      'semver@7.3.7 direct <semver@7.3.7>',
    ]);
    expect(pnpmKey('/@babel/core/7.0.0_react@18.2.0')).toEqual({ name: '@babel/core', version: '7.0.0' });
    expect(pnpmKey('/@babel/core@7.0.0(react@18.2.0)')).toEqual({ name: '@babel/core', version: '7.0.0' });
  });

  it('requirements.txt: pinned lines only, hashes, extras, markers and === handled', () => {
    expect(brief(parseLockfile('requirements.txt', fixture('requirements.txt')))).toEqual([
      'Django@3.2.4 direct <Django@3.2.4>',
      'requests@2.25.1 direct <requests@2.25.1>',
      'urllib3@1.26.4 direct <urllib3@1.26.4>',
      'PyYAML@5.3.1 direct <PyYAML@5.3.1>',
    ]);
  });

  it('poetry.lock with pyproject.toml roots (names normalised)', () => {
    const deps = parseLockfile('poetry.lock', fixture('poetry.lock'), fixture('pyproject.toml'));
    expect(brief(deps)).toEqual([
      'jinja2@2.11.2 direct <jinja2@2.11.2>',
      'markupsafe@1.1.1 <jinja2@2.11.2 > markupsafe@1.1.1>',
    ]);
  });

  it('go.sum: one entry per module version, go.mod-only lines included', () => {
    expect(parseLockfile('go.sum', fixture('go.sum')).map((d) => `${d.name}@${d.version}`)).toEqual([
      'github.com/gin-gonic/gin@v1.6.3',
      'golang.org/x/text@v0.3.7',
      'golang.org/x/net@v0.0.0-20210226172049-e18ecbb05110',
    ]);
  });

  it('Cargo.lock: workspace crates are roots, not findings', () => {
    expect(brief(parseLockfile('Cargo.lock', fixture('Cargo.lock')))).toEqual([
      'hyper@0.14.9 direct <hyper@0.14.9>',
      'smallvec@1.6.0 direct <smallvec@1.6.0>',
    ]);
  });

  it('Gemfile.lock: platform suffix dropped, DEPENDENCIES are roots', () => {
    expect(brief(parseLockfile('Gemfile.lock', fixture('Gemfile.lock')))).toEqual([
      'actionpack@6.1.3 direct <actionpack@6.1.3>',
      'nokogiri@1.11.1 direct <nokogiri@1.11.1>',
      'racc@1.5.2 <nokogiri@1.11.1 > racc@1.5.2>',
      'rack@2.2.3 <actionpack@6.1.3 > rack@2.2.3>',
    ]);
  });

  it('composer.lock: v prefix dropped, packages-dev are dev', () => {
    expect(brief(parseLockfile('composer.lock', fixture('composer.lock')))).toEqual([
      'guzzlehttp/guzzle@7.4.0 direct <guzzlehttp/guzzle@7.4.0>',
      'guzzlehttp/psr7@2.1.0 <guzzlehttp/guzzle@7.4.0 > guzzlehttp/psr7@2.1.0>',
      'phpunit/phpunit@9.5.0 direct dev <phpunit/phpunit@9.5.0>',
    ]);
  });

  it('rejects broken input with the file named', () => {
    expect(() => parseLockfile('app/package-lock.json', '{not json')).toThrow(
      'app/package-lock.json: not a JSON object',
    );
    expect(() => parseLockfile('README.md', '')).toThrow('not a lockfile');
  });

  it('the YAML and TOML subsets', () => {
    expect(parseYamlSubset("a:\n  'b@1':\n    c: '>=10'\n    d:\n      - x\n      - y\n")).toEqual({
      a: { 'b@1': { c: '>=10', d: ['x', 'y'] } },
    });
    expect(parseTomlSubset('[[p]]\nname = "a"\ndeps = [\n "b",\n "c 1.0",\n]\n[p.x]\ny = true\n')).toEqual({
      p: [{ name: 'a', deps: ['b', 'c 1.0'], x: { y: true } }],
    });
  });
});
