import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { fixedClock } from '../../platform/clock.ts';
import { signWebhook } from '../../platform/notifications/channels.ts';

const V1_SHA = '1111111111111111111111111111111111111111';
const V2_SHA = '2222222222222222222222222222222222222222';
const MINUTE = 60_000;

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A deploy system's rollback endpoint on 127.0.0.1: answers with the queued statuses, then 200. */
function startReceiver(statuses: number[]) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(statuses.shift() ?? 200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  return {
    received,
    server,
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/rollback`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Apps with their own clock: one per engine, run one after the other.
for (const engine of ENGINES) {
  describe(`release monitor window [${engine}]`, () => {
    const clock = fixedClock('2030-06-03T09:00:00.000Z');
    const receiver = startReceiver([503]);
    let t: TestApp;
    let serviceId: string;
    let otherServiceId: string;
    let hookUrl: string;

    beforeAll(async () => {
      t = await createTestApp(engine, { clock });
      hookUrl = await receiver.listen();
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Platform', time_zone: 'UTC' } });
      const service = await t.call('POST', '/api/v1/services', {
        body: { name: 'api', team_id: team.json.id },
      });
      const other = await t.call('POST', '/api/v1/services', {
        body: { name: 'batch', team_id: team.json.id },
      });
      serviceId = service.json.id;
      otherServiceId = other.json.id;
      const settings = await t.call('PUT', `/api/v1/release-settings/${serviceId}`, {
        body: { rollback_hook_url: hookUrl, rollback_hook_secret: 'hook-secret-1' },
      });
      expect(settings.status).toBe(200);
      expect(settings.json).toMatchObject({ rollback_hook_url: hookUrl, rollback_hook_secret_set: true });
    });

    afterAll(async () => {
      await t?.close();
      await receiver.close();
    });

    async function toProduction(version: string, sha: string): Promise<string> {
      const rel = await t.call('POST', '/api/v1/releases', {
        body: { service_id: serviceId, version, commit_sha: sha },
      });
      expect(rel.status).toBe(201);
      for (const stage of ['ci', 'staging', 'canary', 'production']) {
        const res = await t.call('POST', `/api/v1/releases/${rel.json.id}/stages/${stage}`, {
          body: { status: 'succeeded' },
        });
        expect(res.status, res.body).toBe(200);
      }
      return rel.json.id;
    }

    it('releases a version whose 30-minute window passes without an incident on its service', async () => {
      const id = await toProduction('v1', V1_SHA);
      const opened = await t.call('GET', `/api/v1/releases/${id}`);
      expect(opened.json.monitor_until).toBe('2030-06-03T09:30:00.000Z');
      expect(opened.json.stages[4]).toMatchObject({ name: 'monitor', status: 'started' });
      // Nothing is due yet; after a minute one check runs and schedules the next.
      expect(await t.container.worker.drain()).toBe(0);
      clock.advance(MINUTE);
      expect(await t.container.worker.drain()).toBe(1);
      // An incident on another service does not count.
      const elsewhere = await t.call('POST', '/api/v1/incidents', {
        body: { service_id: otherServiceId, title: 'Batch lag', severity: 'SEV1' },
      });
      expect(elsewhere.status).toBe(201);
      expect((await t.call('POST', `/api/v1/incidents/${elsewhere.json.id}/resolve`)).status).toBe(200);
      clock.advance(29 * MINUTE - 1);
      await t.container.worker.drain();
      expect((await t.call('GET', `/api/v1/releases/${id}`)).json.status).toBe('in_progress');
      clock.advance(1);
      await t.container.worker.drain();
      const done = await t.call('GET', `/api/v1/releases/${id}`);
      expect(done.json.status).toBe('released');
      expect(done.json.stages[4]).toMatchObject({
        status: 'succeeded',
        finished_at: '2030-06-03T09:30:00.000Z',
      });
      expect(receiver.received).toHaveLength(0);
    });

    it('marks the release harmful when an incident triggers in the window, calls the rollback hook and records the rollback', async () => {
      clock.set('2030-06-03T12:00:00.000Z');
      const id = await toProduction('v2', V2_SHA);
      const deploymentId = (await t.call('GET', `/api/v1/releases/${id}`)).json.deployment_id;
      clock.advance(10 * MINUTE);
      const incident = await t.call('POST', '/api/v1/incidents', {
        body: { service_id: serviceId, title: 'Checkout 500s', severity: 'SEV3' },
      });
      expect(incident.status).toBe(201);
      clock.advance(MINUTE);
      // The check finds the incident; the rollback job calls the hook, which answers 503 first.
      await t.container.worker.drain();
      const harmful = await t.call('GET', `/api/v1/releases/${id}`);
      expect(harmful.json.status).toBe('harmful');
      expect(harmful.json.harmful_reason).toBe(
        `SEV3 incident #${incident.json.number} "Checkout 500s" triggered at 2030-06-03T12:10:00.000Z during the monitor window`,
      );
      expect(harmful.json.stages[4].status).toBe('failed');
      expect(receiver.received).toHaveLength(1);
      expect((await t.call('GET', `/api/v1/deployments?service_id=${serviceId}`)).json.items).toHaveLength(2);

      // The job retries after its backoff (1 s); the hook answers 200 and the rollback is recorded.
      clock.advance(2000);
      await t.container.worker.drain();
      expect(receiver.received).toHaveLength(2);
      const call = receiver.received[1]!;
      expect(call.headers['x-engops-delivery']).toBe(`rollback-${id}`);
      expect(call.headers['idempotency-key']).toBe(`rollback-${id}`);
      const timestamp = String(call.headers['x-engops-timestamp']);
      expect(timestamp).toBe(String(Date.parse('2030-06-03T12:11:02.000Z') / 1000));
      expect(call.headers['x-engops-signature']).toBe(signWebhook('hook-secret-1', timestamp, call.body));
      const v1 = (await t.call('GET', `/api/v1/releases?service_id=${serviceId}&status=released`)).json
        .items[0];
      expect(JSON.parse(call.body)).toEqual({
        event: 'release.rollback',
        release_id: id,
        service_id: serviceId,
        service: 'api',
        version: 'v2',
        commit_sha: V2_SHA,
        rollback_to: { release_id: v1.id, version: 'v1', commit_sha: V1_SHA },
        reason: harmful.json.harmful_reason,
      });

      const rolled = await t.call('GET', `/api/v1/releases/${id}`);
      expect(rolled.json.status).toBe('rolled_back');
      const deployments = await t.call('GET', `/api/v1/deployments?service_id=${serviceId}`);
      const rollback = deployments.json.items.find((d: { kind: string }) => d.kind === 'rollback');
      expect(rollback).toMatchObject({
        id: rolled.json.rollback_deployment_id,
        rollback_of: deploymentId,
        version: 'v1',
        commit_sha: V1_SHA,
        finished_at: '2030-06-03T12:11:00.000Z',
      });
      const timeline = await t.call('GET', `/api/v1/releases/${id}/timeline`);
      expect(
        timeline.json.items.slice(-3).map((e: { kind: string; status: string }) => [e.kind, e.status]),
      ).toEqual([
        ['stage', 'failed'],
        ['harm', null],
        ['rollback', 'succeeded'],
      ]);
      expect(timeline.json.items.at(-1).details).toMatchObject({ hook_called: true, rollback_to: 'v1' });
      // v1, v2 and the rollback: one of three failed.
      const dora = await t.call(
        'GET',
        `/api/v1/dora?service_id=${serviceId}&from=2030-06-01T00:00:00Z&to=2030-06-04T00:00:00Z`,
      );
      expect(dora.json.change_failure_rate).toMatchObject({ failed: 1, deployments: 3 });
      // Nothing more runs: the window of a rolled-back release is over.
      clock.advance(60 * MINUTE);
      await t.container.worker.drain();
      expect(receiver.received).toHaveLength(2);
      const audit = await t.container.db
        .selectFrom('audit_log')
        .select('action')
        .where('target_id', '=', id)
        .where('action', 'in', ['release.harmful', 'release.rollback'])
        .orderBy('at')
        .execute();
      expect(audit.map((a) => a.action)).toEqual(['release.harmful', 'release.rollback']);
    });

    it('marks the release harmful when the SLO burns at 14.4x or more over both 1 h and 5 min', async () => {
      clock.set('2030-06-04T09:00:00.000Z');
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Web', time_zone: 'UTC' } });
      const web = await t.call('POST', '/api/v1/services', { body: { name: 'web', team_id: team.json.id } });
      const settings = await t.call('PUT', `/api/v1/release-settings/${web.json.id}`, {
        body: { slo: { metric: 'error_ratio', objective: 0.999 } },
      });
      expect(settings.json.slo).toEqual({
        metric: 'error_ratio',
        objective: 0.999,
        burn_rate: 14.4,
        long_window_minutes: 60,
        short_window_minutes: 5,
      });
      const rel = await t.call('POST', '/api/v1/releases', {
        body: { service_id: web.json.id, version: 'w1', commit_sha: V1_SHA },
      });
      const id = rel.json.id;
      for (const stage of ['ci', 'staging', 'canary', 'production'])
        await t.call('POST', `/api/v1/releases/${id}/stages/${stage}`, { body: { status: 'succeeded' } });
      const push = (values: number[]) =>
        t.call('POST', `/api/v1/releases/${id}/metrics`, {
          body: { group: 'production', metric: 'error_ratio', values },
        });
      const status = async () => (await t.call('GET', `/api/v1/releases/${id}`)).json.status;
      // Budget 0.1%. 09:01: 0.05% errors (0.5x).
      clock.set('2030-06-04T09:01:00.000Z');
      expect((await push([0.0005, 0.0005])).status).toBe(201);
      clock.set('2030-06-04T09:02:00.000Z');
      await t.container.worker.drain();
      expect(await status()).toBe('in_progress');
      // 09:10: a spike, 2% (the last 5 min burn 20x, the hour (0.001 + 0.04) / 4 = 1.025%: 10.25x).
      clock.set('2030-06-04T09:10:00.000Z');
      await push([0.03, 0.01]);
      clock.set('2030-06-04T09:11:00.000Z');
      await t.container.worker.drain();
      expect(await status()).toBe('in_progress');
      // 09:12: 5% errors. Hour: (0.001 + 0.04 + 0.2) / 8 = 3.0125% -> 30.1x; 5 min: 0.24 / 6 = 4% -> 40x.
      clock.set('2030-06-04T09:12:00.000Z');
      await push([0.05, 0.05, 0.05, 0.05]);
      clock.set('2030-06-04T09:13:00.000Z');
      await t.container.worker.drain();
      const harmed = await t.call('GET', `/api/v1/releases/${id}`);
      expect(harmed.json.status).toBe('harmful');
      expect(harmed.json.harmful_reason).toBe(
        'SLO burn rate 30.1x over 60 min and 40.0x over 5 min (alert at 14.4x, objective 99.9% for error_ratio)',
      );
      expect(harmed.json.stages[4].status).toBe('failed');
      // No rollback hook on this service: harm is recorded, nothing is called or rolled back.
      expect(receiver.received).toHaveLength(2);
      // Production samples are not canary samples.
      expect((await t.call('GET', `/api/v1/releases/${id}/metrics`)).json.metrics).toEqual([]);
    });
  });
}
