import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPgDatabase,
  dropPgDatabase,
  killAll,
  listAll,
  makeTempDir,
  newAdminToken,
  PG_URL,
  request,
  type ServerProcess,
  sleep,
  spawnServer,
} from './process-helpers.ts';

/**
 * Two server processes on one PostgreSQL database, both running the job worker: every webhook
 * notification is delivered exactly once, whichever process enqueued it and whichever claimed it.
 * SQLite is one process by design, so this file needs PostgreSQL (CI always sets the URL).
 */
const NOTIFICATIONS = 60;
const title = PG_URL
  ? 'two server processes on one PostgreSQL database'
  : 'two server processes on one PostgreSQL database (skipped: set ENGOPS_TEST_DATABASE_URL to run; SQLite serves one process only)';

interface Delivery {
  id: string;
  /** The jobs.lease_owner of the notification's job while it was being delivered. */
  leaseOwner: string | null;
}

describe.skipIf(!PG_URL)(title, () => {
  const token = newAdminToken();
  const dataDirs = [makeTempDir('engops-multi-a-'), makeTempDir('engops-multi-b-')];
  const deliveries: Delivery[] = [];
  let databaseUrl: string | undefined;
  let pool: pg.Pool | undefined;
  let receiver: http.Server | undefined;
  let hookUrl = '';
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    databaseUrl = await createPgDatabase('multi');
    pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    const db = pool;
    // The receiver notes which worker holds the job's lease while the delivery is in progress, then
    // answers 200 after 0-30 ms, to widen any window in which a second worker could take the job.
    receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', async () => {
        const id = String(req.headers['x-engops-delivery'] ?? '');
        let leaseOwner: string | null = null;
        try {
          const { rows } = await db.query<{ lease_owner: string | null }>(
            'select j.lease_owner from notifications n join jobs j on j.id = n.job_id where n.id = $1',
            [id],
          );
          leaseOwner = rows[0]?.lease_owner ?? null;
        } catch {
          leaseOwner = null;
        }
        deliveries.push({ id, leaseOwner });
        setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'), Math.random() * 30);
      });
    });
    await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    // Both start at once, as two replicas of a deployment would (the migrations race each other).
    const env = (dataDir: string) => ({
      ENGOPS_DATA_DIR: dataDir,
      ENGOPS_DATABASE_URL: databaseUrl!,
      ENGOPS_ADMIN_TOKEN: token,
      ENGOPS_WORKER_POLL_MS: '50',
    });
    [a, b] = await Promise.all([
      spawnServer({ env: env(dataDirs[0]!) }),
      spawnServer({ env: env(dataDirs[1]!) }),
    ]);
  });

  afterAll(async () => {
    await killAll();
    await pool?.end();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    if (databaseUrl) await dropPgDatabase(databaseUrl);
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  const output = () => `process A:\n${a.output()}\nprocess B:\n${b.output()}`;

  it('serves the same data from both processes', async () => {
    const team = await request(`${a.url}/api/v1/teams`, {
      method: 'POST',
      token,
      body: { name: 'Shared', time_zone: 'Europe/Berlin' },
    });
    expect(team.status, output()).toBe(201);
    const read = await request(`${b.url}/api/v1/teams/${team.json.id}`, { token });
    expect(read.status).toBe(200);
    expect(read.json).toEqual(team.json);

    const service = await request(`${b.url}/api/v1/services`, {
      method: 'POST',
      token,
      body: { name: 'shared-api', team_id: team.json.id },
    });
    expect(service.status).toBe(201);
    const list = await request(`${a.url}/api/v1/services?team_id=${team.json.id}`, { token });
    expect(list.json.items.map((s: { id: string }) => s.id)).toEqual([service.json.id]);
  });

  it('delivers every webhook notification exactly once across both workers', async () => {
    // Enqueue half through A and half through B, a few at a time.
    const ids: string[] = [];
    const failures: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < NOTIFICATIONS) {
        const i = next++;
        const server = i % 2 === 0 ? a : b;
        const res = await request(`${server.url}/api/v1/notifications`, {
          method: 'POST',
          token,
          body: { channel: 'webhook', target: hookUrl, subject: `multi ${i}`, text: `notification ${i}` },
        });
        if (res.status === 202 && typeof res.json?.id === 'string') ids.push(res.json.id);
        else failures.push(`${i}: HTTP ${res.status} ${res.body}`);
      }
    };
    await Promise.all(Array.from({ length: 6 }, lane));
    expect(failures, output()).toEqual([]);
    expect(new Set(ids).size).toBe(NOTIFICATIONS);

    // Wait (bounded) until every one has reached the receiver and is recorded as delivered.
    const wanted = new Set(ids);
    const received = () => new Set(deliveries.map((d) => d.id));
    for (let i = 0; i < 300 && [...wanted].some((id) => !received().has(id)); i++) await sleep(100);
    let views: Array<{ id: string; status: string; attempts: number }> = [];
    for (let i = 0; i < 100; i++) {
      views = (
        await listAll<{ id: string; status: string; attempts: number }>(
          `${a.url}/api/v1/notifications`,
          token,
        )
      ).filter((n) => wanted.has(n.id));
      if (views.length === NOTIFICATIONS && views.every((n) => n.status === 'delivered')) break;
      await sleep(100);
    }

    // Stop both processes gracefully: a worker finishes any delivery it is running before it exits,
    // so a duplicate in progress would reach the receiver before the counts below.
    const [exitA, exitB] = await Promise.all([a.stop(), b.stop()]);
    expect(exitA, output()).toEqual({ code: 0, signal: null });
    expect(exitB, output()).toEqual({ code: 0, signal: null });

    const counts = new Map<string, number>();
    for (const d of deliveries) counts.set(d.id, (counts.get(d.id) ?? 0) + 1);
    const notOnce = ids.filter((id) => counts.get(id) !== 1).map((id) => `${id}: ${counts.get(id) ?? 0}`);
    expect(notOnce, output()).toEqual([]);
    expect(
      [...counts.keys()].filter((id) => !wanted.has(id)),
      'deliveries nobody asked for',
    ).toEqual([]);

    // The API agrees: all delivered, on the first attempt.
    expect(views.map((n) => n.status).filter((s) => s !== 'delivered')).toEqual([]);
    expect(views.length).toBe(NOTIFICATIONS);
    expect(views.filter((n) => n.attempts !== 1)).toEqual([]);

    // Both processes' workers did some of the work (the lease owner is host:pid:worker).
    const pidOf = (owner: string | null) => Number(owner?.split(':')[1]);
    const byProcess = { a: 0, b: 0, unknown: 0 };
    for (const d of deliveries) {
      const pid = pidOf(d.leaseOwner);
      if (pid === a.pid) byProcess.a++;
      else if (pid === b.pid) byProcess.b++;
      else byProcess.unknown++;
    }
    expect(byProcess.unknown, JSON.stringify(deliveries)).toBe(0);
    expect(byProcess.a, JSON.stringify(byProcess)).toBeGreaterThan(0);
    expect(byProcess.b, JSON.stringify(byProcess)).toBeGreaterThan(0);

    // And every delivery job is done, claimed once.
    const { rows } = await pool!.query<{ status: string; attempts: number; n: string }>(
      "select status, attempts, count(*) as n from jobs where kind = 'notification.deliver' group by status, attempts",
    );
    expect(rows.map((r) => ({ status: r.status, attempts: r.attempts, n: Number(r.n) }))).toEqual([
      { status: 'done', attempts: 1, n: NOTIFICATIONS },
    ]);
  });
});
