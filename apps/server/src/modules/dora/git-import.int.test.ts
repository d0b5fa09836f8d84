import { expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';

/**
 * `POST /api/v1/imports/git` with the columnar form `engops import git` sends: commits as one array
 * per field, checked by hand with the same rules as the object form; bad input answers
 * problem+json naming the element at fault and writes nothing; more than the default 1 MiB body
 * and 5,000 commits fit one request.
 */
const H = 3600;
const hex = (i: number) => i.toString(16).padStart(40, '0');

async function setup(t: TestApp, name: string) {
  const team = await t.call('POST', '/api/v1/teams', { body: { name: `${name}-team`, time_zone: 'UTC' } });
  const service = await t.call('POST', '/api/v1/services', {
    body: { name, team_id: team.json.id, tier: 'tier-2' },
  });
  expect(service.status).toBe(201);
  return service.json.id as string;
}

async function count(t: TestApp, table: 'commits' | 'audit_log' | 'dora_changes' | 'deployments') {
  const row = await t.container.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describeEachEngine('git import API (columnar commits)', (get) => {
  it('stores columnar commits in stored form and a tag deployment with hand-computed leads', async () => {
    const t = get();
    const serviceId = await setup(t, 'columns');
    const A = 'A'.repeat(40);
    const b = 'b'.repeat(40);
    const c = 'c'.repeat(40);
    const first = await t.call('POST', '/api/v1/imports/git', {
      body: {
        service_id: serviceId,
        columns: {
          sha: [A, b, c],
          // c's time has an offset: 10:00+02:00 is 08:00 UTC.
          committed_at: ['2026-05-01T08:00:00.000Z', '2026-05-01T09:00:00Z', '2026-05-01T10:00:00+02:00'],
          authored_at: ['2026-04-30T08:00:00.000Z', null, '2026-05-01T07:30:00.000Z'],
          message: ['first', null, 'third'],
        },
      },
    });
    expect(first.status, first.body).toBe(200);
    expect(first.json).toEqual({
      commits_received: 3,
      commits_created: 3,
      deployments_created: 0,
      deployments_existing: 0,
    });
    const stored = await t.container.db
      .selectFrom('commits')
      .select(['sha', 'committed_at', 'authored_at', 'message'])
      .where('service_id', '=', serviceId)
      .orderBy('sha')
      .execute();
    expect(stored).toEqual([
      {
        sha: 'a'.repeat(40),
        committed_at: '2026-05-01T08:00:00.000Z',
        authored_at: '2026-04-30T08:00:00.000Z',
        message: 'first',
      },
      { sha: b, committed_at: '2026-05-01T09:00:00.000Z', authored_at: null, message: null },
      {
        sha: c,
        committed_at: '2026-05-01T08:00:00.000Z',
        authored_at: '2026-05-01T07:30:00.000Z',
        message: 'third',
      },
    ]);

    // The tag deployment finishes at 12:00: leads 4 h (a), 3 h (b), 4 h (c).
    const tag = await t.call('POST', '/api/v1/imports/git', {
      body: {
        service_id: serviceId,
        deployments: [{ tag: 'v1', commit_sha: c, finished_at: '2026-05-01T12:00:00Z', shas: [A, b, c] }],
      },
    });
    expect(tag.status, tag.body).toBe(200);
    expect(tag.json.deployments_created).toBe(1);
    const changes = await t.container.db
      .selectFrom('dora_changes')
      .select(['sha', 'lead_seconds'])
      .where('service_id', '=', serviceId)
      .orderBy('sha')
      .execute();
    expect(changes.map((x) => [x.sha, Number(x.lead_seconds)])).toEqual([
      ['a'.repeat(40), 4 * H],
      [b, 3 * H],
      [c, 4 * H],
    ]);

    // The same batch again creates nothing (a commit's recorded time never changes).
    const again = await t.call('POST', '/api/v1/imports/git', {
      body: { service_id: serviceId, columns: { sha: [b], committed_at: ['2020-01-01T00:00:00Z'] } },
    });
    expect(again.json).toMatchObject({ commits_received: 1, commits_created: 0 });
    const bRow = stored.find((x) => x.sha === b);
    expect(bRow?.committed_at).toBe('2026-05-01T09:00:00.000Z');
  });

  it('gives a commit two tags of one request ship to the earlier-finishing tag', async () => {
    const t = get();
    const serviceId = await setup(t, 'shared-sha');
    const x = hex(0xa1);
    const y = hex(0xa2);
    const z = hex(0xa3);
    await t.call('POST', '/api/v1/imports/git', {
      body: {
        service_id: serviceId,
        columns: {
          sha: [x, y, z],
          committed_at: ['2026-05-01T08:00:00.000Z', '2026-05-01T09:00:00.000Z', '2026-05-01T10:00:00.000Z'],
        },
      },
    });
    // v2 (14:00) is listed first and also names x; v1 (12:00) ships x: x stays with v1. Another
    // service (the first test's) has a tag v1 too: tags are per service, so this v1 is new.
    const res = await t.call('POST', '/api/v1/imports/git', {
      body: {
        service_id: serviceId,
        deployments: [
          { tag: 'v2', commit_sha: z, finished_at: '2026-05-01T14:00:00Z', shas: [x, y, z] },
          { tag: 'v1', commit_sha: x, finished_at: '2026-05-01T12:00:00Z', shas: [x] },
        ],
      },
    });
    expect(res.status, res.body).toBe(200);
    expect(res.json.deployments_created).toBe(2);
    const changes = await t.container.db
      .selectFrom('dora_changes as c')
      .innerJoin('deployments as d', 'd.id', 'c.deployment_id')
      .select(['c.sha', 'd.version', 'c.lead_seconds'])
      .where('c.service_id', '=', serviceId)
      .orderBy('c.sha')
      .execute();
    expect(changes.map((c) => [c.sha, c.version, Number(c.lead_seconds)])).toEqual([
      [x, 'v1', 4 * H],
      [y, 'v2', 5 * H],
      [z, 'v2', 4 * H],
    ]);
    // Each tag links every commit it names (v2: x, y, z; v1: x), and counts them.
    const links = await t.container.db
      .selectFrom('deployment_commits as l')
      .innerJoin('deployments as d', 'd.id', 'l.deployment_id')
      .select(['d.version', 'l.sha', 'd.commit_count'])
      .where('l.service_id', '=', serviceId)
      .orderBy('d.version')
      .orderBy('l.sha')
      .execute();
    expect(links.map((l) => [l.version, l.sha, Number(l.commit_count)])).toEqual([
      ['v1', x, 1],
      ['v2', x, 3],
      ['v2', y, 3],
      ['v2', z, 3],
    ]);
  });

  it('answers bad columns with problem+json naming each element at fault, and writes nothing', async () => {
    const t = get();
    const serviceId = await setup(t, 'bad-columns');
    const before = {
      commits: await count(t, 'commits'),
      audit: await count(t, 'audit_log'),
      deployments: await count(t, 'deployments'),
    };
    const bad = await t.call('POST', '/api/v1/imports/git', {
      body: {
        service_id: serviceId,
        columns: {
          sha: [hex(1), 'not-a-sha', hex(3), hex(4)],
          committed_at: [
            '2026-05-01T08:00:00.000Z',
            '2026-05-01T08:00:00.000Z',
            '2026-02-30T08:00:00.000Z',
            '2026-05-01 08:00',
          ],
          message: ['ok', 'ok', 'ok', 'x'.repeat(10_001)],
        },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json.code).toBe('HTTP_VALIDATION_FAILED');
    expect(bad.json.errors.map((e: { path: string }) => e.path)).toEqual([
      'body.columns.sha.1',
      'body.columns.committed_at.2',
      'body.columns.committed_at.3',
      'body.columns.message.3',
    ]);

    const uneven = await t.call('POST', '/api/v1/imports/git', {
      body: {
        service_id: serviceId,
        columns: { sha: [hex(1), hex(2)], committed_at: ['2026-05-01T08:00:00Z'] },
      },
    });
    expect(uneven.status).toBe(400);
    expect(uneven.json.errors).toEqual([
      { path: 'body.columns.committed_at', message: 'must have one entry per sha (2)' },
    ]);

    const badShas = await t.call('POST', '/api/v1/imports/git', {
      body: {
        service_id: serviceId,
        deployments: [
          { tag: 'v1', commit_sha: hex(1), finished_at: '2026-05-01T12:00:00Z', shas: [hex(1), 'zz'] },
        ],
      },
    });
    expect(badShas.status).toBe(400);
    expect(badShas.json.errors.map((e: { path: string }) => e.path)).toEqual(['body.deployments.0.shas.1']);

    expect(await count(t, 'commits')).toBe(before.commits);
    expect(await count(t, 'audit_log')).toBe(before.audit);
    expect(await count(t, 'deployments')).toBe(before.deployments);
  });

  it('takes more than 5,000 commits and the default 1 MiB body in one columnar request', async () => {
    const t = get();
    const serviceId = await setup(t, 'large-batch');
    const n = 12_000;
    const start = Date.parse('2026-01-01T00:00:00.000Z');
    const columns = {
      sha: Array.from({ length: n }, (_, i) => hex(i + 1)),
      committed_at: Array.from({ length: n }, (_, i) => new Date(start + i * 60_000).toISOString()),
      authored_at: Array.from({ length: n }, (_, i) => new Date(start + i * 60_000).toISOString()),
      message: Array.from({ length: n }, (_, i) => `change number ${i} of the large batch`),
    };
    const body = { service_id: serviceId, columns };
    expect(JSON.stringify(body).length).toBeGreaterThan(1024 * 1024);
    const res = await t.call('POST', '/api/v1/imports/git', { body });
    expect(res.status, res.body.slice(0, 300)).toBe(200);
    expect(res.json).toMatchObject({ commits_received: n, commits_created: n });
    const last = await t.container.db
      .selectFrom('commits')
      .select(['committed_at', 'message'])
      .where('service_id', '=', serviceId)
      .where('sha', '=', hex(n))
      .executeTakeFirstOrThrow();
    // The 12,000th commit: 11,999 minutes after the start = 8 days 7 h 59 min.
    expect(last).toEqual({
      committed_at: '2026-01-09T07:59:00.000Z',
      message: 'change number 11999 of the large batch',
    });
    const state = await t.call('GET', `/api/v1/imports/git?service_id=${serviceId}`);
    expect(state.json.commits).toBe(n);
  });
});
