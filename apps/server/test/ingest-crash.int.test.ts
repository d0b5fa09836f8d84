import fs from 'node:fs';
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseFromUrl } from '../src/config/config.ts';
import { createDatabase } from '../src/db/database.ts';
import {
  createEventsV2Target,
  createPgDatabase,
  dropPgDatabase,
  errorCode,
  killAll,
  listAll,
  makeTempDir,
  newAdminToken,
  PROCESS_ENGINES,
  request,
  spawnServer,
} from './process-helpers.ts';

/**
 * "Every accepted event is durably stored before the 2xx answer (a kill -9 right after a 202 loses
 * nothing)." The real server takes concurrent PagerDuty Events v2 triggers with distinct dedup keys
 * and is SIGKILLed once KILL_AFTER_ACKS of them have their 202. After a restart on the same data,
 * every dedup key that got a 202 must exist as an alert (with its incident), and nothing may exist
 * that was never sent.
 */
const KILL_AFTER_ACKS = 200;
const MAX_EVENTS = 600;
const CONCURRENCY = 16;
const BUDGET_MS = 30_000;

interface Outcome {
  dedupKey: string;
  status?: number;
  body?: string;
  error?: string;
  afterKill: boolean;
}

for (const engine of PROCESS_ENGINES) {
  describe(`ingest crash safety: SIGKILL during a burst of PagerDuty triggers [${engine}]`, () => {
    const dataDir = makeTempDir('engops-ingest-crash-');
    const token = newAdminToken();
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let databaseUrl: string | undefined;

    afterAll(async () => {
      agent.destroy();
      await killAll();
      if (databaseUrl) await dropPgDatabase(databaseUrl);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('keeps every event answered 202 after SIGKILL and restart', async () => {
      if (engine === 'postgres') databaseUrl = await createPgDatabase('ingest_crash');
      const env: Record<string, string> = {
        ENGOPS_DATA_DIR: dataDir,
        ENGOPS_ADMIN_TOKEN: token,
        ...(databaseUrl ? { ENGOPS_DATABASE_URL: databaseUrl } : {}),
      };
      const first = await spawnServer({ env });
      const context = () => `server output:\n${first.output()}`;

      const target = await createEventsV2Target(first.url, token, 'Crash ingest').catch((error: unknown) => {
        throw new Error(`${String(error)}\n${context()}`);
      });
      const { routingKey, serviceId } = target;

      // The burst: CONCURRENCY lanes, bounded in count and time; the kill stops new requests.
      const outcomes: Outcome[] = [];
      let killed: { acked: number; inFlight: number } | undefined;
      let next = 0;
      let inFlight = 0;
      const deadline = Date.now() + BUDGET_MS;
      const lane = async () => {
        while (next < MAX_EVENTS && Date.now() < deadline && !killed) {
          const dedupKey = `crash-${String(next++).padStart(4, '0')}`;
          inFlight++;
          let outcome: Outcome;
          try {
            const res = await request(`${first.url}/v2/enqueue`, {
              method: 'POST',
              agent,
              body: {
                routing_key: routingKey,
                event_action: 'trigger',
                dedup_key: dedupKey,
                payload: { summary: `crash test ${dedupKey}`, source: 'ingest-crash', severity: 'warning' },
              },
            });
            outcome = { dedupKey, status: res.status, body: res.body, afterKill: killed !== undefined };
          } catch (error) {
            outcome = { dedupKey, error: errorCode(error), afterKill: killed !== undefined };
          }
          inFlight--;
          outcomes.push(outcome);
          if (!killed && outcomes.filter((o) => o.status === 202).length >= KILL_AFTER_ACKS) {
            killed = { acked: KILL_AFTER_ACKS, inFlight };
            first.proc.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, lane));
      const exit = await first.exited;

      expect(killed, `never reached ${KILL_AFTER_ACKS} acknowledged events; ${context()}`).toBeDefined();
      expect(exit.signal).toBe('SIGKILL');
      // Before the kill every event was accepted; after it, a request got its 202 (answered before
      // the process died) or a connection error (no answer, so no promise was made).
      const unexpected = outcomes.filter((o) => o.status !== 202 && (o.status !== undefined || !o.afterKill));
      expect(unexpected, context()).toEqual([]);
      const acked = outcomes.filter((o) => o.status === 202);
      expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
      for (const o of acked) {
        expect(JSON.parse(o.body ?? '{}')).toEqual({
          status: 'success',
          message: 'Event processed',
          dedup_key: o.dedupKey,
        });
      }

      // Restart on the same data: every acknowledged event is an incident with its alert.
      const second = await spawnServer({ env });
      const incidents = await listAll<{ id: string; title: string; alert_count: number }>(
        `${second.url}/api/v1/incidents?service_id=${serviceId}`,
        token,
      );
      const titles = new Set(incidents.map((i) => i.title));
      const lostViaApi = acked.filter((o) => !titles.has(`crash test ${o.dedupKey}`));
      expect(lostViaApi, `acknowledged events missing after restart; ${second.output()}`).toEqual([]);
      const sample = incidents.find((i) => i.title === `crash test ${acked[0]!.dedupKey}`)!;
      const sampleAlerts = await request(`${second.url}/api/v1/incidents/${sample.id}/alerts`, { token });
      expect(sampleAlerts.json.items).toEqual([
        expect.objectContaining({ dedup_key: acked[0]!.dedupKey, status: 'triggered', event_count: 1 }),
      ]);
      const stopped = await second.stop();
      expect(stopped, second.output()).toEqual({ code: 0, signal: null });

      // And in the database itself, with the server gone: one alert and one stored event per key,
      // each alert in its own incident; nothing that was never sent.
      const handle = createDatabase(databaseFromUrl(databaseUrl, dataDir));
      try {
        const alerts = await handle.db
          .selectFrom('alerts')
          .select(['dedup_key', 'incident_id'])
          .where('integration_id', '=', target.integrationId)
          .execute();
        const stored = new Map(alerts.map((a) => [a.dedup_key, a.incident_id]));
        const lost = acked.filter((o) => !stored.has(o.dedupKey));
        expect(lost).toEqual([]);
        expect(alerts.length).toBe(stored.size);
        const sent = new Set(outcomes.map((o) => o.dedupKey));
        expect(alerts.filter((a) => !sent.has(a.dedup_key))).toEqual([]);
        expect(alerts.every((a) => a.incident_id !== null)).toBe(true);
        expect(new Set(alerts.map((a) => a.incident_id)).size).toBe(alerts.length);
        const events = await handle.db
          .selectFrom('alert_events')
          .select('dedup_key')
          .where('integration_id', '=', target.integrationId)
          .execute();
        const eventKeys = events.map((e) => e.dedup_key ?? '');
        expect(new Set(eventKeys).size).toBe(eventKeys.length);
        expect(eventKeys.sort()).toEqual([...stored.keys()].sort());
        // An incident without its alert would mean half a transaction survived.
        const incidentCount = await handle.db
          .selectFrom('incidents')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('service_id', '=', serviceId)
          .executeTakeFirstOrThrow();
        expect(Number(incidentCount.n)).toBe(alerts.length);
      } finally {
        await handle.close();
      }

      console.log(
        engine,
        JSON.stringify({
          killed,
          sent: outcomes.length,
          acked: acked.length,
          stored: incidents.length,
          errors: [...new Set(outcomes.filter((o) => o.error).map((o) => o.error))],
        }),
      );
    });
  });
}
