import fs from 'node:fs';
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CONNECTION_ERRORS,
  createPgDatabase,
  dropPgDatabase,
  errorCode,
  type HttpResult,
  killAll,
  listAll,
  makeTempDir,
  newAdminToken,
  PROCESS_ENGINES,
  request,
  serviceWriteBurst,
  sleep,
  spawnServer,
} from './process-helpers.ts';

/**
 * SIGTERM while requests are in flight: the listener closes, requests already being handled finish
 * with their normal answer, late requests get a 503 or a refused connection, the database closes and
 * the process exits 0. Every write acknowledged before or during the shutdown is there after restart.
 */
const SIGTERM_AFTER_ACKS = 60;
/** Longer than main.ts's 30 s force-exit timer, so a stuck shutdown shows as exit code 1. */
const EXIT_TIMEOUT_MS = 40_000;

function exitWithin(exited: Promise<unknown>, ms: number): Promise<unknown> {
  return Promise.race([exited, sleep(ms).then(() => `still running after ${ms} ms`)]);
}

/**
 * A POST /api/v1/services whose body arrives in two parts: the server has the request (headers and
 * half the body) in hand, and finishes it only when `finish()` sends the rest.
 */
async function slowServicePost(
  url: string,
  token: string,
  body: unknown,
  agent: http.Agent,
): Promise<{ finish(): Promise<HttpResult> }> {
  const payload = JSON.stringify(body);
  const cut = Math.floor(payload.length / 2);
  const req = http.request(`${url}/api/v1/services`, {
    method: 'POST',
    agent,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
    },
  });
  const response = new Promise<HttpResult>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: JSON.parse(text) });
      });
    });
  });
  response.catch(() => {});
  await new Promise<void>((resolve, reject) => {
    req.once('error', reject);
    req.write(payload.slice(0, cut), (error) => (error ? reject(error) : resolve()));
  });
  // A round trip on another connection gives the server time to read the headers.
  await request(`${url}/healthz`);
  await sleep(100);
  return {
    finish() {
      req.end(payload.slice(cut));
      return response;
    },
  };
}

for (const engine of PROCESS_ENGINES) {
  describe(`graceful shutdown: SIGTERM during a write burst [${engine}]`, () => {
    const token = newAdminToken();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const dataDirs: string[] = [];
    const databases: string[] = [];

    /** A fresh data dir (and PostgreSQL database) for one test. */
    async function freshEnv(): Promise<Record<string, string>> {
      const dataDir = makeTempDir('engops-shutdown-');
      dataDirs.push(dataDir);
      const env: Record<string, string> = { ENGOPS_DATA_DIR: dataDir, ENGOPS_ADMIN_TOKEN: token };
      if (engine === 'postgres') {
        const url = await createPgDatabase('shutdown');
        databases.push(url);
        env.ENGOPS_DATABASE_URL = url;
      }
      return env;
    }

    afterAll(async () => {
      agent.destroy();
      await killAll();
      for (const url of databases) await dropPgDatabase(url);
      for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('answers every request it took, exits 0, and keeps every acknowledged write', async () => {
      const env = await freshEnv();
      const first = await spawnServer({ env });
      const team = await request(`${first.url}/api/v1/teams`, {
        method: 'POST',
        token,
        body: { name: 'Shutdown test', time_zone: 'UTC' },
      });
      expect(team.status, `${team.body}\n${first.output()}`).toBe(201);
      const teamId = team.json.id as string;

      let terminatedWith: { acked: number; inFlight: number } | undefined;
      // Keep sending after SIGTERM (requests then meet a closing server) until the process is gone.
      const outcomes = await serviceWriteBurst({
        url: first.url,
        token,
        teamId,
        max: 400,
        concurrency: 16,
        budgetMs: 20_000,
        agent,
        shouldStop: () => first.hasExited(),
        signalled: () => terminatedWith !== undefined,
        onSettled: (_outcome, all, inFlight) => {
          if (terminatedWith) return;
          const acked = all.filter((o) => o.status === 201).length;
          if (acked >= SIGTERM_AFTER_ACKS) {
            terminatedWith = { acked, inFlight };
            first.proc.kill('SIGTERM');
          }
        },
      });
      const exit = await exitWithin(first.exited, EXIT_TIMEOUT_MS);
      const context = () => `server output:\n${first.output()}`;

      expect(terminatedWith, context()).toBeDefined();
      expect(terminatedWith!.inFlight, 'requests in flight when SIGTERM was sent').toBeGreaterThan(0);
      expect(exit, context()).toEqual({ code: 0, signal: null });

      // Every answer is a proper one: 201 with the service, or (once shutting down) 503. A request
      // without an answer is one the server never took (refused or closed idle connection).
      const improper = outcomes.filter((o) => {
        if (o.status === 201) return typeof o.id !== 'string';
        if (o.status === 503) return !o.afterSignal;
        if (o.status !== undefined) return true;
        return !o.afterSignal || !CONNECTION_ERRORS.has(o.error ?? '');
      });
      expect(improper, context()).toEqual([]);
      for (const refused of outcomes.filter((o) => o.status === 503)) {
        expect(refused.contentType, refused.body).toContain('application/problem+json');
        const body = JSON.parse(refused.body ?? '{}') as { status?: number; code?: string };
        expect(body.status, refused.body).toBe(503);
        expect(body.code, refused.body).toBe('HTTP_SERVICE_UNAVAILABLE');
      }

      // Restart on the same data: every acknowledged write is there.
      const acked = outcomes.filter((o) => o.status === 201);
      expect(acked.length).toBeGreaterThanOrEqual(SIGTERM_AFTER_ACKS);
      const second = await spawnServer({ env });
      const services = await listAll<{ id: string; name: string }>(
        `${second.url}/api/v1/services?team_id=${teamId}`,
        token,
      );
      const byId = new Map(services.map((s) => [s.id, s.name]));
      const lost = acked.filter((o) => byId.get(o.id!) !== o.name);
      expect(lost, second.output()).toEqual([]);
      // And nothing was written without its answer reaching the client: a graceful stop finishes
      // the requests it took, so the unanswered ones were never handled.
      const ackedNames = new Set(acked.map((o) => o.name));
      const unanswered = services.filter((s) => !ackedNames.has(s.name));
      expect(unanswered, context()).toEqual([]);
      const stopped = await second.stop();
      expect(stopped, second.output()).toEqual({ code: 0, signal: null });
    });

    it('finishes a request still arriving at SIGTERM, and a keep-alive client does not hold the exit', async () => {
      const env = await freshEnv();
      const server = await spawnServer({ env });
      const team = await request(`${server.url}/api/v1/teams`, {
        method: 'POST',
        token,
        body: { name: 'Slow request', time_zone: 'UTC' },
      });
      expect(team.status, server.output()).toBe(201);
      // Its own agent: the connection stays pooled (idle, keep-alive) after the answer, the way a
      // reverse proxy keeps its upstream connections.
      const proxyAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const slow = await slowServicePost(
          server.url,
          token,
          { name: 'slow-write', team_id: team.json.id, description: 'x'.repeat(2000) },
          proxyAgent,
        );
        server.proc.kill('SIGTERM');
        // Wait (bounded) until the listener is closed: the server is shutting down.
        let refused = '';
        for (let i = 0; i < 200 && refused !== 'ECONNREFUSED'; i++) {
          refused = await request(`${server.url}/healthz`).then(
            (r) => `HTTP ${r.status}`,
            (error: unknown) => errorCode(error),
          );
          if (refused !== 'ECONNREFUSED') await sleep(50);
        }
        expect(refused, server.output()).toBe('ECONNREFUSED');

        const answer = await slow.finish();
        expect(answer.status, `${answer.body}\n${server.output()}`).toBe(201);
        expect(answer.json).toMatchObject({ name: 'slow-write', team_id: team.json.id });

        expect(await exitWithin(server.exited, EXIT_TIMEOUT_MS), server.output()).toEqual({
          code: 0,
          signal: null,
        });

        const restarted = await spawnServer({ env });
        const fetched = await request(`${restarted.url}/api/v1/services/${answer.json.id}`, { token });
        expect(fetched.status).toBe(200);
        expect(fetched.json.name).toBe('slow-write');
        expect(await restarted.stop()).toEqual({ code: 0, signal: null });
      } finally {
        proxyAgent.destroy();
      }
    });
  });
}
