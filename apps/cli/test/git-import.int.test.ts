import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../test-support/engines.ts';
import { changeLead } from '../../server/src/modules/dora/dora-lead.ts';

/**
 * `engops import git` on a repository the test builds with known commit and tag times: a merged
 * feature branch (--no-ff), a squash merge, annotated and lightweight tags, a tag that does not
 * match --deploy-tags; then a re-run that imports nothing, then one new commit and tag.
 *
 *   c1 05-01 08:00, c2 05-01 09:00          v1.0.0 (annotated, 05-01 12:00): ships c1 4 h, c2 3 h
 *   feature f1 05-02 08:00, f2 05-02 10:00; c3 05-02 09:00; merge m 05-02 11:00
 *   squash s 05-02 12:00 (of a branch whose own commit never reaches main)
 *                                           v1.1.0 (annotated, 05-02 14:00): f1 6 h, f2 4 h, c3 5 h,
 *                                           m 3 h, s 2 h; "nightly" on c3 does not match v*
 *   later: c4 05-03 08:00                   v1.2.0 (lightweight: its commit's date): c4 0 h
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'apps/cli/bin/engops.js');
const H = 3600;

let repo: string;
const repos: string[] = [];

function git(args: string[], date?: string): string {
  return execFileSync('git', args, {
    cwd: repo,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.test',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.test',
      ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}),
    },
  })
    .toString()
    .trim();
}

function commit(name: string, at: string): string {
  fs.writeFileSync(path.join(repo, `${name}.txt`), `${name}\n`);
  git(['add', `${name}.txt`]);
  git(['commit', '-q', '-m', `change ${name}`], at);
  return git(['rev-parse', 'HEAD']);
}

const sha: Record<string, string> = {};

/** A fresh repository per engine (the test adds to it). */
function buildRepo() {
  repo = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-git-import-'));
  repos.push(repo);
  git(['init', '-q', '-b', 'main']);
  sha.c1 = commit('c1', '2026-05-01T08:00:00Z');
  sha.c2 = commit('c2', '2026-05-01T09:00:00Z');
  git(['tag', '-a', 'v1.0.0', '-m', 'release 1.0.0'], '2026-05-01T12:00:00Z');
  git(['checkout', '-q', '-b', 'feature']);
  sha.f1 = commit('f1', '2026-05-02T08:00:00Z');
  sha.f2 = commit('f2', '2026-05-02T10:00:00Z');
  git(['checkout', '-q', 'main']);
  sha.c3 = commit('c3', '2026-05-02T09:00:00Z');
  git(['tag', 'nightly']);
  git(['merge', '-q', '--no-ff', 'feature', '-m', 'merge feature'], '2026-05-02T11:00:00Z');
  sha.m = git(['rev-parse', 'HEAD']);
  git(['checkout', '-q', '-b', 'topic']);
  commit('t1', '2026-05-02T11:30:00Z');
  git(['checkout', '-q', 'main']);
  git(['merge', '-q', '--squash', 'topic']);
  git(['commit', '-q', '-m', 'squashed topic'], '2026-05-02T12:00:00Z');
  sha.s = git(['rev-parse', 'HEAD']);
  git(['branch', '-q', '-D', 'topic']);
  git(['tag', '-a', 'v1.1.0', '-m', 'release 1.1.0'], '2026-05-02T14:00:00Z');
}
afterAll(() => {
  for (const dir of repos) fs.rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ENGOPS_')) clean[k] = v;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...clean, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The test app's address (it listens once per engine, for every test of the file). */
async function listening(t: TestApp): Promise<string> {
  const bound = t.app.server.address();
  if (bound && typeof bound === 'object') return `http://127.0.0.1:${bound.port}`;
  return t.app.listen({ port: 0, host: '127.0.0.1' });
}

describeEachEngine('engops import git', (get) => {
  it('imports commits and tag deployments with merges, then only what is new', async () => {
    const t = get();
    buildRepo();
    const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Core', time_zone: 'UTC' } });
    const svc = await t.call('POST', '/api/v1/services', {
      body: { name: 'api', team_id: team.json.id, tier: 'tier-1' },
    });
    expect(svc.status).toBe(201);
    const serviceId = svc.json.id as string;
    const address = await listening(t);
    const env = { ENGOPS_URL: address, ENGOPS_TOKEN: await t.tokenFor('responder', team.json.id) };
    const db = t.container.db;
    // --batch 1: one commit per request, and v1.1.0's five commits go in parts of three.
    const importArgs = ['import', 'git', repo, '--service', 'api', '--deploy-tags', 'v*', '--batch', '1'];

    const first = await cli([...importArgs, '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      commits_read: 7,
      commits_created: 7,
      tags_matched: 2,
      deployments_created: 2,
      deployments_existing: 0,
      already_imported: false,
    });
    const commits = await db
      .selectFrom('commits')
      .select(['sha', 'committed_at'])
      .where('service_id', '=', serviceId)
      .execute();
    const times = Object.fromEntries(commits.map((c) => [c.sha, c.committed_at]));
    expect(times[sha.c1!]).toBe('2026-05-01T08:00:00.000Z');
    expect(times[sha.m!]).toBe('2026-05-02T11:00:00.000Z');
    expect(times[sha.f2!]).toBe('2026-05-02T10:00:00.000Z');
    expect(times[sha.s!]).toBe('2026-05-02T12:00:00.000Z');
    // c1, c2, f1, f2, c3, m, s: the squashed branch's own commit is not in main's history.
    expect(commits).toHaveLength(7);

    const deployments = await t.call('GET', `/api/v1/deployments?service_id=${serviceId}`);
    expect(
      deployments.json.items.map((d: Record<string, unknown>) => [
        d.version,
        d.finished_at,
        d.commit_sha,
        d.commit_count,
        d.source,
        d.environment,
      ]),
    ).toEqual([
      ['v1.1.0', '2026-05-02T14:00:00.000Z', sha.s, 5, 'git', 'production'],
      ['v1.0.0', '2026-05-01T12:00:00.000Z', sha.c2, 2, 'git', 'production'],
    ]);

    // Each change's lead is computed in SQL at write time: exactly what dora-lead.ts computes.
    const changes = await db
      .selectFrom('dora_changes')
      .select(['sha', 'committed_at', 'deployed_at', 'lead_seconds', 'lead_bucket'])
      .where('service_id', '=', serviceId)
      .execute();
    expect(changes).toHaveLength(7);
    for (const c of changes) {
      expect(c.committed_at).toBe(times[c.sha]);
      expect({ lead_seconds: Number(c.lead_seconds), lead_bucket: Number(c.lead_bucket) }).toEqual({
        lead_seconds: changeLead(c.committed_at, c.deployed_at).lead_seconds,
        lead_bucket: changeLead(c.committed_at, c.deployed_at).lead_bucket,
      });
    }
    expect(changes.find((c) => c.sha === sha.f1)?.lead_seconds).toBe(6 * H);

    const window = 'from=2026-05-01T00:00:00Z&to=2026-05-04T00:00:00Z';
    const before = await t.call('GET', `/api/v1/dora?service_id=${serviceId}&${window}`);
    // Leads 4, 3 (v1.0.0) and 6, 4, 5, 3, 2 h (v1.1.0): sorted 2 3 3 4 4 5 6.
    expect(before.json.lead_time).toMatchObject({ median_seconds: 4 * H, p90_seconds: 6 * H, changes: 7 });
    expect(before.json.deployment_frequency.deployments).toBe(2);

    const audits = async () =>
      Number(
        (
          await db
            .selectFrom('audit_log')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('action', '=', 'dora.import.git')
            .executeTakeFirstOrThrow()
        ).n,
      );
    const auditedFirst = await audits();
    expect(auditedFirst).toBeGreaterThan(0);

    // Re-run: nothing new is read or sent.
    const again = await cli(importArgs, env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Nothing new in ${repo} for api: already imported (in ${address}).`);
    expect(await audits()).toBe(auditedFirst);
    const count = await t.call('GET', `/api/v1/deployments?service_id=${serviceId}`);
    expect(count.json.items).toHaveLength(2);

    // One more commit and a lightweight tag: only that is imported.
    sha.c4 = commit('c4', '2026-05-03T08:00:00Z');
    git(['tag', 'v1.2.0']);
    const third = await cli([...importArgs, '--json'], env);
    expect(third.code, third.stderr).toBe(0);
    expect(JSON.parse(third.stdout)).toMatchObject({
      commits_read: 1,
      commits_created: 1,
      tags_matched: 3,
      deployments_created: 1,
    });
    const after = await t.call('GET', `/api/v1/dora?service_id=${serviceId}&${window}`);
    // Plus c4 at 0 h: 0 2 3 3 4 4 5 6 -> median 3.5 h, p90 rank 8 -> 6 h.
    expect(after.json.lead_time).toMatchObject({ median_seconds: 3.5 * H, p90_seconds: 6 * H, changes: 8 });
    expect(after.json.deployment_frequency.deployments).toBe(3);

    // A responder of another team may not import into this service; nothing is written.
    const other = await t.call('POST', '/api/v1/teams', { body: { name: 'Other', time_zone: 'UTC' } });
    const denied = await cli(importArgs, {
      ENGOPS_URL: address,
      ENGOPS_TOKEN: await t.tokenFor('responder', other.json.id),
    });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('AUTH_FORBIDDEN');
  });

  it('reads every subject whole, multi-byte characters across git output chunks included', async () => {
    const t = get();
    // 600 commits (git's buffered output arrives in 4 KiB chunks, so characters of two, three and
    // four bytes fall across chunk ends), their subjects with quotes, backslashes and tabs.
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-git-import-'));
    repos.push(repo);
    git(['init', '-q', '-b', 'main']);
    const subject = (i: number) =>
      `Ändern ${i} — naïve "quote" \\ back\tslash 😀 日本 ${'é'.repeat(i % 7)} end`;
    const start = Date.parse('2026-06-01T00:00:00Z') / 1000;
    const stream: string[] = [];
    for (let i = 0; i < 600; i++) {
      const who = `T <t@example.test> ${start + i * 60} +0200`;
      const message = Buffer.from(subject(i));
      stream.push(
        `commit refs/heads/main\nmark :${i + 1}\nauthor ${who}\ncommitter ${who}\ndata ${message.length}\n${message}\n` +
          (i ? `from :${i}\n` : '') +
          `M 100644 inline f.txt\ndata ${String(i).length}\n${i}\n\n`,
      );
    }
    execFileSync('git', ['fast-import', '--quiet'], { cwd: repo, input: stream.join('') });
    const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Text', time_zone: 'UTC' } });
    const svc = await t.call('POST', '/api/v1/services', {
      body: { name: 'text', team_id: team.json.id, tier: 'tier-3' },
    });
    const address = await listening(t);
    const env = { ENGOPS_URL: address, ENGOPS_TOKEN: await t.tokenFor('responder', team.json.id) };
    const run = await cli(['import', 'git', repo, '--service', 'text', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ commits_read: 600, commits_created: 600 });
    const rows = await t.container.db
      .selectFrom('commits')
      .select(['message', 'committed_at', 'authored_at'])
      .where('service_id', '=', svc.json.id)
      .orderBy('committed_at')
      .execute();
    expect(rows.map((r) => r.message)).toEqual(Array.from({ length: 600 }, (_, i) => subject(i)));
    // +02:00 times stored as UTC.
    expect(rows[0]).toMatchObject({
      committed_at: new Date(start * 1000).toISOString(),
      authored_at: new Date(start * 1000).toISOString(),
    });
  });
});
