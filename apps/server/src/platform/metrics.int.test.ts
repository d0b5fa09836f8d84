import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../test-support/engines.ts';

/** The samples of a Prometheus text exposition: `name{labels}` -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** The value of the one sample named `name` whose labels include every pair in `labels`. */
function sample(all: Map<string, number>, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const hits = [...all].filter(([key]) => {
    if (!key.startsWith(`${name}{`)) return false;
    const parts = key.slice(name.length + 1, -1).split(',');
    return wanted.every((w) => parts.includes(w));
  });
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} match ${wanted.join(',')}`);
  return hits[0]?.[1];
}

describeEachEngine('metrics', (get) => {
  it('counts requests per route template and times them in histogram buckets', async () => {
    const t = get();
    for (let i = 0; i < 3; i++) expect((await t.call('GET', '/api/v1/teams')).status).toBe(200);
    expect((await t.call('GET', '/api/v1/teams', { token: null })).status).toBe(401);
    expect((await t.call('GET', '/api/v1/teams/team_does_not_exist')).status).toBe(404);

    const res = await t.call('GET', '/metrics', { token: null });
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('# TYPE engops_http_requests_total counter');
    expect(res.body).toContain('# TYPE engops_http_request_duration_seconds histogram');
    const all = samples(res.body);

    const teams = { method: 'GET', route: '/api/v1/teams' };
    expect(sample(all, 'engops_http_requests_total', { ...teams, status: '200' })).toBe(3);
    expect(sample(all, 'engops_http_requests_total', { ...teams, status: '401' })).toBe(1);
    // Labelled by route template, never by the id in the URL (bounded label values).
    expect(
      sample(all, 'engops_http_requests_total', { method: 'GET', route: '/api/v1/teams/:id', status: '404' }),
    ).toBe(1);
    expect(res.body).not.toContain('team_does_not_exist');

    // Four requests to /api/v1/teams: buckets are cumulative, +Inf holds them all.
    const bucket = (le: string) =>
      sample(all, 'engops_http_request_duration_seconds_bucket', { ...teams, le });
    expect(bucket('+Inf')).toBe(4);
    expect(sample(all, 'engops_http_request_duration_seconds_count', teams)).toBe(4);
    expect(sample(all, 'engops_http_request_duration_seconds_sum', teams)).toBeGreaterThan(0);
    const les = ['0.001', '0.005', '0.025', '0.1', '0.5', '1', '5', '+Inf'];
    const counts = les.map((le) => bucket(le));
    expect(counts.every((n) => typeof n === 'number')).toBe(true);
    for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeGreaterThanOrEqual(counts[i - 1]!);
  });

  it('reports the job queue depth by state', async () => {
    const t = get();
    const before = samples((await t.call('GET', '/metrics', { token: null })).body);
    const pendingBefore = sample(before, 'engops_jobs', { state: 'pending' });
    expect(pendingBefore).toBeTypeOf('number');

    // A kind no worker handles stays pending.
    for (let i = 0; i < 3; i++) {
      await t.container.jobs.enqueue(t.container.db, { kind: 'test.metrics.idle', payload: { i } });
    }
    const after = samples((await t.call('GET', '/metrics', { token: null })).body);
    expect(sample(after, 'engops_jobs', { state: 'pending' })).toBe((pendingBefore ?? 0) + 3);
    expect(sample(after, 'engops_jobs', { state: 'running' })).toBe(0);
    expect(sample(after, 'engops_jobs', { state: 'failed' })).toBe(0);
  });
});
