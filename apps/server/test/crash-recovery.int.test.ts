import fs from 'node:fs';
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createPgDatabase,
  dropPgDatabase,
  killAll,
  listAll,
  makeTempDir,
  newAdminToken,
  PROCESS_ENGINES,
  request,
  serviceWriteBurst,
  spawnServer,
} from './process-helpers.ts';

/**
 * Durability across a crash: the real server process takes a burst of concurrent writes and is
 * SIGKILLed while some are in flight. Every write it acknowledged with a 2xx must be there after a
 * restart on the same data (SQLite file, or PostgreSQL database), together with its audit entry.
 */
const KILL_AFTER_ACKS = 100;

for (const engine of PROCESS_ENGINES) {
  describe(`crash recovery: SIGKILL during a write burst [${engine}]`, () => {
    const dataDir = makeTempDir('engops-crash-');
    const token = newAdminToken();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    let databaseUrl: string | undefined;

    afterAll(async () => {
      agent.destroy();
      await killAll();
      if (databaseUrl) await dropPgDatabase(databaseUrl);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('keeps every acknowledged write, with its audit entry, after SIGKILL and restart', async () => {
      if (engine === 'postgres') databaseUrl = await createPgDatabase('crash');
      const env: Record<string, string> = {
        ENGOPS_DATA_DIR: dataDir,
        ENGOPS_ADMIN_TOKEN: token,
        ENGOPS_LOG_LEVEL: 'warn',
        ...(databaseUrl ? { ENGOPS_DATABASE_URL: databaseUrl } : {}),
      };

      const first = await spawnServer({ env });
      const team = await request(`${first.url}/api/v1/teams`, {
        method: 'POST',
        token,
        body: { name: 'Crash test', time_zone: 'UTC' },
      });
      expect(team.status, `${team.body}\n${first.output()}`).toBe(201);
      const teamId = team.json.id as string;

      let killedWith: { acked: number; inFlight: number } | undefined;
      const outcomes = await serviceWriteBurst({
        url: first.url,
        token,
        teamId,
        max: 400,
        concurrency: 16,
        budgetMs: 20_000,
        agent,
        shouldStop: () => killedWith !== undefined,
        signalled: () => killedWith !== undefined,
        onSettled: (_outcome, all, inFlight) => {
          if (killedWith) return;
          const acked = all.filter((o) => o.status === 201).length;
          if (acked >= KILL_AFTER_ACKS) {
            killedWith = { acked, inFlight };
            first.proc.kill('SIGKILL');
          }
        },
      });
      const exit = await first.exited;
      const context = () => `server output:\n${first.output()}`;

      // The kill happened, mid-burst.
      expect(killedWith, context()).toBeDefined();
      expect(exit.signal).toBe('SIGKILL');
      expect(killedWith!.inFlight, 'requests in flight when SIGKILL was sent').toBeGreaterThan(0);

      // Before the kill every write succeeded; after it, a request either got its 201 (the server
      // answered before dying) or a connection error (no answer, so no promise was made).
      const unexpected = outcomes.filter(
        (o) => o.status !== 201 && (o.status !== undefined || !o.afterSignal),
      );
      expect(unexpected, context()).toEqual([]);
      const acked = outcomes.filter((o) => o.status === 201);
      expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
      expect(acked.every((o) => typeof o.id === 'string')).toBe(true);

      // Restart on the same data and look for every acknowledged write.
      const second = await spawnServer({ env });
      const services = await listAll<{ id: string; name: string; team_id: string }>(
        `${second.url}/api/v1/services?team_id=${teamId}`,
        token,
      );
      const byId = new Map(services.map((s) => [s.id, s]));
      const lost = acked.filter((o) => byId.get(o.id!)?.name !== o.name);
      expect(lost, `acknowledged writes missing after restart; ${second.output()}`).toEqual([]);
      const one = acked[acked.length - 1]!;
      const fetched = await request(`${second.url}/api/v1/services/${one.id}`, { token });
      expect(fetched.status).toBe(200);
      expect(fetched.json).toMatchObject({ id: one.id, name: one.name, team_id: teamId });

      // Nothing half-written: each service present has exactly one creation audit entry, and each
      // creation audit entry belongs to a service present (the audit row shares the transaction).
      const issued = new Set(outcomes.map((o) => o.name));
      expect(services.filter((s) => !issued.has(s.name))).toEqual([]);
      const audit = await listAll<{ target_id: string | null }>(
        `${second.url}/api/v1/audit-log?action=service.create`,
        token,
      );
      const audited = audit.map((e) => e.target_id).sort();
      expect(audited).toEqual(services.map((s) => s.id).sort());

      console.log(
        engine,
        JSON.stringify({
          killedWith,
          outcomes: outcomes.length,
          acked: acked.length,
          present: services.length,
          errors: [...new Set(outcomes.filter((o) => o.error).map((o) => o.error))],
        }),
      );
      const stopped = await second.stop();
      expect(stopped, second.output()).toEqual({ code: 0, signal: null });
    });
  });
}
