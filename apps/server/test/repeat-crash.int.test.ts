import fs from 'node:fs';
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseFromUrl } from '../src/config/config.ts';
import { createDatabase } from '../src/db/database.ts';
import {
  createEventsV2Target,
  createPgDatabase,
  dropPgDatabase,
  killAll,
  listAll,
  makeTempDir,
  newAdminToken,
  PROCESS_ENGINES,
  request,
  spawnServer,
} from './process-helpers.ts';

/**
 * Repeated triggers counted in memory (SQLite writes the counts about once a second) survive a
 * SIGKILL: every repeat is a stored event before its 202, and the restarted server recounts the
 * alerts of the last events from them. The server takes repeats of a few dedup keys, is killed
 * right after the last 202, and after a restart each alert's count is exactly the number of
 * triggers it was sent, in the API and in its row.
 */
const KEYS = ['disk', 'cpu', 'memory'];
const REPEATS = 90;
const CONCURRENCY = 6;

for (const engine of PROCESS_ENGINES) {
  describe(`repeat counts across SIGKILL [${engine}]`, () => {
    const dataDir = makeTempDir('engops-repeat-crash-');
    const token = newAdminToken();
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let databaseUrl: string | undefined;

    afterAll(async () => {
      agent.destroy();
      await killAll();
      if (databaseUrl) await dropPgDatabase(databaseUrl);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('counts every repeat answered 202 after SIGKILL and restart', async () => {
      if (engine === 'postgres') databaseUrl = await createPgDatabase('repeat_crash');
      const env: Record<string, string> = {
        ENGOPS_DATA_DIR: dataDir,
        ENGOPS_ADMIN_TOKEN: token,
        ...(databaseUrl ? { ENGOPS_DATABASE_URL: databaseUrl } : {}),
      };
      const first = await spawnServer({ env });
      const target = await createEventsV2Target(first.url, token, 'Repeat crash');

      // Every key's first trigger, then REPEATS more over the keys, CONCURRENCY at a time.
      const sent = new Map(KEYS.map((k) => [k, 0]));
      const send = async (dedupKey: string) => {
        const res = await request(`${first.url}/v2/enqueue`, {
          method: 'POST',
          agent,
          body: {
            routing_key: target.routingKey,
            event_action: 'trigger',
            dedup_key: dedupKey,
            payload: { summary: `Repeat crash ${dedupKey}`, source: 'host-1', severity: 'error' },
          },
        });
        expect(res.status, res.body).toBe(202);
        sent.set(dedupKey, (sent.get(dedupKey) ?? 0) + 1);
      };
      for (const key of KEYS) await send(key);
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < REPEATS) await send(KEYS[next++ % KEYS.length]!);
        }),
      );
      // Killed at once: repeats of the last second may be counted only in memory (SQLite).
      first.proc.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');

      const second = await spawnServer({ env });
      const incidents = await listAll<{ id: string }>(
        `${second.url}/api/v1/incidents?service_id=${target.serviceId}`,
        token,
      );
      const counts = new Map<string, number>();
      for (const incident of incidents) {
        const alerts = await request(`${second.url}/api/v1/incidents/${incident.id}/alerts`, { token });
        for (const a of alerts.json.items as Array<{ dedup_key: string; event_count: number }>)
          counts.set(a.dedup_key, a.event_count);
      }
      expect(counts).toEqual(sent);
      const stopped = await second.stop();
      expect(stopped, second.output()).toEqual({ code: 0, signal: null });

      // The rows themselves, with the server gone: each count matches the alert's stored triggers.
      const handle = createDatabase(databaseFromUrl(databaseUrl, dataDir));
      try {
        const rows = await handle.db
          .selectFrom('alerts')
          .select(['id', 'dedup_key', 'event_count'])
          .where('integration_id', '=', target.integrationId)
          .execute();
        expect(new Map(rows.map((r) => [r.dedup_key, Number(r.event_count)]))).toEqual(sent);
        for (const r of rows) {
          const stored = await handle.db
            .selectFrom('alert_events')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('alert_id', '=', r.id)
            .where('action', '=', 'trigger')
            .executeTakeFirstOrThrow();
          expect(Number(stored.n)).toBe(Number(r.event_count));
        }
      } finally {
        await handle.close();
      }
    });
  });
}
