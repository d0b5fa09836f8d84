import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtp } from '../../../../../test-support/smtp.ts';
import {
  createPgDatabase,
  dropPgDatabase,
  killAll,
  makeTempDir,
  newAdminToken,
  PG_URL,
  request,
  type ServerProcess,
  sleep,
  spawnServer,
} from '../../../test/process-helpers.ts';

/**
 * Two real server processes on one PostgreSQL database, both running the job worker, escalate one
 * incident through two levels repeated twice (six steps, two seconds apart). One process is killed
 * (SIGKILL) after the first two pages; the other carries on. Every step pages its person exactly
 * once (a page re-sent because its sender died mid-send would be marked as a possible repeat) and
 * none is skipped. SQLite serves one process by design, so this file needs PostgreSQL.
 */
const title = PG_URL
  ? 'escalation across two server processes on one PostgreSQL database'
  : 'escalation across two server processes (skipped: set ENGOPS_TEST_DATABASE_URL; SQLite serves one process only)';

describe.skipIf(!PG_URL)(title, () => {
  const token = newAdminToken();
  const dataDirs = [makeTempDir('engops-esc-a-'), makeTempDir('engops-esc-b-')];
  let databaseUrl: string | undefined;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    smtp = await startSmtp();
    databaseUrl = await createPgDatabase('escalation');
    const env = (dataDir: string) => ({
      ENGOPS_DATA_DIR: dataDir,
      ENGOPS_DATABASE_URL: databaseUrl!,
      ENGOPS_ADMIN_TOKEN: token,
      ENGOPS_WORKER_POLL_MS: '50',
      ENGOPS_SMTP_HOST: '127.0.0.1',
      ENGOPS_SMTP_PORT: String(smtp.port),
      ENGOPS_SMTP_FROM: 'engops <engops@example.test>',
    });
    [a, b] = await Promise.all([
      spawnServer({ env: env(dataDirs[0]!) }),
      spawnServer({ env: env(dataDirs[1]!) }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await killAll();
    await smtp?.close();
    if (databaseUrl) await dropPgDatabase(databaseUrl);
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  const output = () => `process A:\n${a.output()}\nprocess B:\n${b.output()}`;

  it('pages each step once and skips none, with one process killed mid-escalation', async () => {
    const post = async (server: ServerProcess, path: string, body: unknown) => {
      const res = await request(`${server.url}${path}`, { method: 'POST', token, body });
      expect(res.status, `${path}: ${res.body}\n${output()}`).toBe(201);
      return res.json as { id: string };
    };
    const team = await post(a, '/api/v1/teams', { name: 'Core', time_zone: 'UTC' });
    const service = await post(b, '/api/v1/services', { name: 'core-api', team_id: team.id });
    const ann = await post(a, '/api/v1/users', { email: 'ann@core.test', name: 'Ann', role: null });
    const bob = await post(b, '/api/v1/users', { email: 'bob@core.test', name: 'Bob', role: null });
    const policy = await post(a, '/api/v1/escalation-policies', {
      name: 'Core',
      team_id: team.id,
      repeat: 2,
      levels: [
        { delay_seconds: 2, targets: [{ type: 'user', id: ann.id }] },
        { delay_seconds: 2, targets: [{ type: 'user', id: bob.id }] },
      ],
    });
    const linked = await request(`${b.url}/api/v1/services/${service.id}`, {
      method: 'PATCH',
      token,
      body: { escalation_policy_id: policy.id },
    });
    expect(linked.status).toBe(200);
    const incident = await post(b, '/api/v1/incidents', {
      service_id: service.id,
      title: 'Core down',
      severity: 'SEV1',
    });

    // Pages by (person, level line): "Escalation: Core, level 2 (repeat 1), via user".
    const steps = () =>
      smtp.mails
        .filter((m) => m.text.includes('Core down'))
        .map((m) => ({
          to: m.to.join(','),
          level: /Escalation: Core, (level \d+(?: \(repeat \d\))?)/.exec(m.text)?.[1] ?? '?',
          repeat: /X-Engops-Redelivery: true/i.test(m.raw),
        }));
    for (let i = 0; i < 300 && steps().length < 2; i++) await sleep(100);
    expect(steps().length, output()).toBeGreaterThanOrEqual(2);
    await a.kill();

    // B alone finishes: four more steps, two seconds apart (a step A had claimed waits for its lease).
    const timeline = async () =>
      (
        await request(`${b.url}/api/v1/incidents/${incident.id}/timeline?limit=200`, { token })
      ).json.items.map((e: { text: string }) => e.text) as string[];
    for (let i = 0; i < 1_500; i++) {
      if ((await timeline()).includes('Escalation policy Core has no further levels')) break;
      await sleep(100);
    }
    await sleep(1_000); // room for a duplicate to arrive, if there were one
    const paged = (await timeline()).filter((x) => x.startsWith('Paged'));
    // Stopping gracefully lets B finish any delivery in progress, so a duplicate would show below.
    const exitB = await b.stop();
    expect(exitB, output()).toEqual({ code: 0, signal: null });

    const first = steps().filter((s) => !s.repeat);
    expect(first.map((s) => `${s.to} ${s.level}`).sort(), output()).toEqual(
      [
        'ann@core.test level 1',
        'bob@core.test level 2',
        'ann@core.test level 1 (repeat 1)',
        'bob@core.test level 2 (repeat 1)',
        'ann@core.test level 1 (repeat 2)',
        'bob@core.test level 2 (repeat 2)',
      ].sort(),
    );
    // A page re-sent because A died while sending it is marked, and repeats a step already listed.
    for (const extra of steps().filter((s) => s.repeat))
      expect(first.map((s) => `${s.to} ${s.level}`)).toContain(`${extra.to} ${extra.level}`);
    expect(paged.sort()).toEqual(
      [
        'Paged Ann by email (escalation level 1, via user)',
        'Paged Bob by email (escalation level 2, via user)',
        'Paged Ann by email (escalation level 1, via user)',
        'Paged Bob by email (escalation level 2, via user)',
        'Paged Ann by email (escalation level 1, via user)',
        'Paged Bob by email (escalation level 2, via user)',
      ].sort(),
    );
  }, 300_000);
});
