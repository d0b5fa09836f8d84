import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { fixedClock } from '../../platform/clock.ts';

const SHA = '3333333333333333333333333333333333333333';
const MINUTE = 60_000;

/**
 * A Prometheus-compatible server on 127.0.0.1 answering GET /api/v1/query_range with a matrix:
 * the values it serves per query are set by the test; every request is recorded.
 */
function startPrometheus() {
  const requests: URL[] = [];
  const series = new Map<string, number[][]>();
  let failWith: number | null = null;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url);
    if (failWith) {
      res.writeHead(failWith, { 'content-type': 'application/json' });
      res.end('{"status":"error","errorType":"bad_data","error":"parse error at char 3"}');
      return;
    }
    if (url.pathname !== '/prom/api/v1/query_range') {
      res.writeHead(404).end();
      return;
    }
    const start = Number(url.searchParams.get('start'));
    const step = Number(url.searchParams.get('step'));
    const result = (series.get(url.searchParams.get('query') ?? '') ?? []).map((values, i) => ({
      metric: { pod: `pod-${i}` },
      values: values.map((v, k) => [start + k * step, String(v)]),
    }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }));
  });
  return {
    requests,
    series,
    fail(status: number | null) {
      failWith = status;
    },
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/prom`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Canary: 12 latency values all above the baseline's (U = 144 of 144, p = 7.3e-5, +20% median).
const SLOW = [
  [120, 121, 122, 123, 124, 125],
  [126, 127, 128, 129, 130, 131],
];
const BASE = [
  [100, 101, 102, 103, 104, 105],
  [106, 107, 108, 109, 110, 111],
];
// Interleaved with the baseline: p = 1 (U = 72 = n1 n2 / 2).
const SAME = [
  [100, 102, 104, 106, 108, 110],
  [101, 103, 105, 107, 109, 111],
];

for (const engine of ENGINES) {
  describe(`canary automation: Prometheus pull, interval judge, flag steps [${engine}]`, () => {
    const clock = fixedClock('2030-09-02T10:00:00.000Z');
    const prom = startPrometheus();
    let t: TestApp;
    let serviceId: string;
    let promUrl: string;

    beforeAll(async () => {
      t = await createTestApp(engine, { clock });
      promUrl = await prom.listen();
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Checkout', time_zone: 'UTC' } });
      const service = await t.call('POST', '/api/v1/services', {
        body: { name: 'cart', team_id: team.json.id },
      });
      serviceId = service.json.id;
      const flag = await t.call('POST', '/api/v1/flags', {
        body: { key: 'cart-v2', owner_team_id: team.json.id },
      });
      expect(flag.status).toBe(201);
      const settings = await t.call('PUT', `/api/v1/release-settings/${serviceId}`, {
        body: {
          metrics: [{ metric: 'latency_ms', direction: 'increase', tolerance: 0.1 }],
          canary: {
            interval_minutes: 10,
            steps: [10, 50],
            flag_key: 'cart-v2',
            flag_environment: 'production',
          },
          prometheus: {
            url: promUrl,
            step_seconds: 30,
            queries: [
              {
                metric: 'latency_ms',
                canary: 'latency{track="canary"}',
                baseline: 'latency{track="baseline"}',
              },
            ],
          },
        },
      });
      expect(settings.status, settings.body).toBe(200);
      expect(settings.json.canary).toEqual({
        interval_minutes: 10,
        steps: [10, 50],
        flag_key: 'cart-v2',
        flag_environment: 'production',
        auto_judge: true,
      });
      const bad = await t.call('PUT', `/api/v1/release-settings/${serviceId}`, {
        body: { canary: { steps: [50, 10] } },
      });
      expect(bad.status).toBe(400);
      expect(bad.json.errors[0].path).toBe('body.canary.steps');
    });

    afterAll(async () => {
      await t?.close();
      await prom.close();
    });

    const rollout = async () => {
      const flag = await t.call('GET', '/api/v1/flags/cart-v2');
      const strategy = flag.json.environments.production.strategies.find(
        (s: { id?: string }) => s.id === 'release-canary',
      );
      return strategy?.parameters.rollout as string | undefined;
    };

    async function toCanary(version: string): Promise<string> {
      const rel = await t.call('POST', '/api/v1/releases', {
        body: { service_id: serviceId, version, commit_sha: SHA },
      });
      for (const stage of ['ci', 'staging'])
        await t.call('POST', `/api/v1/releases/${rel.json.id}/stages/${stage}`, {
          body: { status: 'succeeded' },
        });
      const started = await t.call('POST', `/api/v1/releases/${rel.json.id}/stages/canary`, {
        body: { status: 'started' },
      });
      expect(started.status, started.body).toBe(200);
      return rel.json.id;
    }

    it('pulls samples over query_range and judges them on demand', async () => {
      prom.series.set('latency{track="canary"}', SLOW);
      prom.series.set('latency{track="baseline"}', BASE);
      const id = await toCanary('p1');
      clock.advance(5 * MINUTE);
      const before = prom.requests.length;
      const judged = await t.call('POST', `/api/v1/releases/${id}/judge`);
      expect(judged.status).toBe(200);
      const asked = prom.requests.slice(before);
      expect(asked.map((u) => u.searchParams.get('query'))).toEqual([
        'latency{track="canary"}',
        'latency{track="baseline"}',
      ]);
      // From the canary's start to now, at the configured step.
      expect(asked[0]!.searchParams.get('start')).toBe(String(Date.parse('2030-09-02T10:00:00Z') / 1000));
      expect(asked[0]!.searchParams.get('end')).toBe(String(Date.parse('2030-09-02T10:05:00Z') / 1000));
      expect(asked[0]!.searchParams.get('step')).toBe('30');
      expect(judged.json.metrics[0]).toMatchObject({
        metric: 'latency_ms',
        classification: 'high',
        u: 144,
        canary_count: 12,
        baseline_count: 12,
        canary_median: 125.5,
        baseline_median: 105.5,
      });
      expect(judged.json.verdict).toBe('rollback');
      // A second pull replaces the first (no doubled samples).
      await t.call('POST', `/api/v1/releases/${id}/judge`);
      const samples = await t.call('GET', `/api/v1/releases/${id}/metrics`);
      expect(samples.json.metrics[0].canary).toHaveLength(12);
      // A failing source: 502 with a stable code, nothing judged.
      prom.fail(400);
      const failed = await t.call('POST', `/api/v1/releases/${id}/judge`);
      expect(failed.status).toBe(502);
      expect(failed.json.code).toBe('RELEASES_METRICS_SOURCE_FAILED');
      expect(failed.json.detail).toMatch(/latency_ms \(canary\) from 127\.0\.0\.1:\d+: HTTP 400/);
      prom.fail(null);
      // Fail this canary so the next test's release owns the flag.
      await t.call('POST', `/api/v1/releases/${id}/stages/canary`, { body: { status: 'failed' } });
    });

    it('steps the flag 10% -> 50% -> 100% on promote verdicts at each interval end, then succeeds the canary', async () => {
      prom.series.set('latency{track="canary"}', SAME);
      prom.series.set('latency{track="baseline"}', BASE);
      const id = await toCanary('p2');
      expect(await rollout()).toBe('10');
      expect(await t.container.worker.drain()).toBe(0);
      clock.advance(10 * MINUTE);
      await t.container.worker.drain();
      expect(await rollout()).toBe('50');
      let release = await t.call('GET', `/api/v1/releases/${id}`);
      expect(release.json.judgement).toMatchObject({ verdict: 'promote', score: 100 });
      expect(release.json.stages[2].status).toBe('started');
      clock.advance(10 * MINUTE);
      await t.container.worker.drain();
      expect(await rollout()).toBe('100');
      release = await t.call('GET', `/api/v1/releases/${id}`);
      expect(release.json.stages[2]).toMatchObject({
        status: 'succeeded',
        finished_at: '2030-09-02T10:25:00.000Z',
      });
      const timeline = await t.call('GET', `/api/v1/releases/${id}/timeline`);
      expect(
        timeline.json.items
          .filter((e: { kind: string }) => e.kind !== 'created')
          .map((e: { kind: string; status: string; details: { percent?: number } | null }) =>
            e.kind === 'canary' ? `traffic ${e.details?.percent}%` : `${e.kind} ${e.status}`,
          ),
      ).toEqual([
        'stage succeeded',
        'stage succeeded',
        'stage started',
        'traffic 10%',
        'judgement promote',
        'traffic 50%',
        'judgement promote',
        'traffic 100%',
        'stage succeeded',
      ]);
      // Production is CI's to report.
      expect(release.json.stages[3].status).toBe('pending');
    });

    it('fails the canary and takes its traffic away on a rollback verdict', async () => {
      prom.series.set('latency{track="canary"}', SLOW);
      const id = await toCanary('p3');
      expect(await rollout()).toBe('10');
      clock.advance(10 * MINUTE);
      await t.container.worker.drain();
      expect(await rollout()).toBe('0');
      const release = await t.call('GET', `/api/v1/releases/${id}`);
      expect(release.json.status).toBe('failed');
      expect(release.json.stages[2].status).toBe('failed');
      expect(release.json.judgement.verdict).toBe('rollback');
      const timeline = await t.call('GET', `/api/v1/releases/${id}/timeline`);
      expect(timeline.json.items.at(-1)).toMatchObject({
        kind: 'stage',
        stage: 'canary',
        status: 'failed',
        details: { verdict: 'rollback', score: 0, step: 0 },
      });
      // No further interval runs for a failed canary.
      clock.advance(60 * MINUTE);
      expect(await t.container.worker.drain()).toBe(0);
    });

    it('pulls the SLO error ratio over the last hour in the monitor window and marks a 20x burn harmful', async () => {
      const put = await t.call('PUT', `/api/v1/release-settings/${serviceId}`, {
        body: {
          prometheus: {
            url: promUrl,
            step_seconds: 30,
            queries: [{ metric: 'latency_ms', canary: 'x', baseline: 'y' }],
          },
          slo: {
            metric: 'error_ratio',
            query: 'sum(rate(errors[1m])) / sum(rate(requests[1m]))',
            objective: 0.999,
          },
        },
      });
      expect(put.status, put.body).toBe(200);
      const rel = await t.call('POST', '/api/v1/releases', {
        body: { service_id: serviceId, version: 'p4', commit_sha: SHA },
      });
      const id = rel.json.id;
      for (const stage of ['ci', 'staging', 'canary', 'production'])
        expect(
          (await t.call('POST', `/api/v1/releases/${id}/stages/${stage}`, { body: { status: 'succeeded' } }))
            .status,
        ).toBe(200);
      // 2% errors at every 30 s point of the hour: 0.02 / 0.001 = 20x over 60 min and over 5 min.
      prom.series.set('sum(rate(errors[1m])) / sum(rate(requests[1m]))', [
        Array.from({ length: 121 }, () => 0.02),
      ]);
      const before = prom.requests.length;
      clock.advance(MINUTE);
      await t.container.worker.drain();
      const asked = prom.requests.slice(before);
      expect(asked).toHaveLength(1);
      const end = Date.parse(clock.now().toISOString()) / 1000;
      expect(asked[0]!.searchParams.get('start')).toBe(String(end - 3600));
      expect(asked[0]!.searchParams.get('end')).toBe(String(end));
      const harmed = await t.call('GET', `/api/v1/releases/${id}`);
      expect(harmed.json.status).toBe('harmful');
      expect(harmed.json.harmful_reason).toBe(
        'SLO burn rate 20.0x over 60 min and 20.0x over 5 min (alert at 14.4x, objective 99.9% for error_ratio)',
      );
    });
  });
}
