import { expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';
import { createDatabase } from '../../db/database.ts';

/**
 * Repeated triggers of an open alert. On SQLite engops counts them in memory and writes the counts
 * about once a second, trusting the open alert it remembers for each dedup key; on PostgreSQL each
 * repeat is counted on the row at once. Either way: the counts the API shows are exact at once, the
 * row holds them once written, and a remembered alert that was resolved since (by engops itself or
 * by another connection to the database) is never counted on again.
 */

async function setUp(t: TestApp) {
  const suffix = Math.random().toString(36).slice(2, 8);
  const team = await t.call('POST', '/api/v1/teams', { body: { name: `rep-${suffix}`, time_zone: 'UTC' } });
  const service = await t.call('POST', '/api/v1/services', {
    body: { name: `repeats-${suffix}`, team_id: team.json.id },
  });
  const integration = await t.call('POST', `/api/v1/services/${service.json.id}/integrations`, {
    body: { kind: 'events-v2', name: 'repeats' },
  });
  expect(integration.status).toBe(201);
  const trigger = async (dedupKey: string) => {
    const res = await t.call('POST', '/v2/enqueue', {
      token: null,
      body: {
        routing_key: integration.json.key,
        event_action: 'trigger',
        dedup_key: dedupKey,
        payload: { summary: `Disk full (${dedupKey})`, source: 'db-1', severity: 'error' },
      },
    });
    expect(res.status, res.body).toBe(202);
  };
  const alerts = async () => {
    const list = await t.call('GET', `/api/v1/incidents?service_id=${service.json.id}`);
    const out: Array<{ dedup_key: string; status: string; event_count: number; incident_id: string }> = [];
    for (const incident of list.json.items as Array<{ id: string }>) {
      const items = (await t.call('GET', `/api/v1/incidents/${incident.id}/alerts`)).json.items as Array<{
        dedup_key: string;
        status: string;
        event_count: number;
      }>;
      for (const a of items) out.push({ ...a, incident_id: incident.id });
    }
    return out.sort((a, b) => a.dedup_key.localeCompare(b.dedup_key) || a.status.localeCompare(b.status));
  };
  const rows = () =>
    t.container.db
      .selectFrom('alerts')
      .select(['id', 'dedup_key', 'status', 'event_count', 'last_seen_at'])
      .where('integration_id', '=', integration.json.id)
      .orderBy('dedup_key')
      .orderBy('first_seen_at')
      .execute();
  const storedTriggers = async (alertId: string) =>
    Number(
      (
        await t.container.db
          .selectFrom('alert_events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('alert_id', '=', alertId)
          .where('action', '=', 'trigger')
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { trigger, alerts, rows, storedTriggers, integrationId: integration.json.id as string };
}

describeEachEngine('repeated triggers: exact counts, written within a second', (app) => {
  it('shows every repeat at once, sequential and concurrent, and writes them to the alert row', async () => {
    const t = app();
    const s = await setUp(t);
    // One at a time (a transaction each), then 40 at once (shared transactions), over two keys.
    for (let i = 0; i < 5; i++) await s.trigger('disk');
    await Promise.all(Array.from({ length: 40 }, (_, i) => s.trigger(i % 4 === 0 ? 'cpu' : 'disk')));
    expect((await s.alerts()).map((a) => [a.dedup_key, a.status, a.event_count])).toEqual([
      ['cpu', 'triggered', 10],
      ['disk', 'triggered', 35],
    ]);
    // The rows themselves, once what is counted in memory is written (at most a second later, or
    // now): the counts and the stored events agree.
    await t.container.incidents.ingest.flush();
    const rows = await s.rows();
    expect(rows.map((r) => [r.dedup_key, Number(r.event_count)])).toEqual([
      ['cpu', 10],
      ['disk', 35],
    ]);
    for (const r of rows) expect(await s.storedTriggers(r.id)).toBe(Number(r.event_count));
  });

  it('writes the counts by itself within about a second of the last repeat', async () => {
    const t = app();
    const s = await setUp(t);
    for (let i = 0; i < 6; i++) await s.trigger('queue');
    const deadline = Date.now() + 10_000;
    let count = 0;
    while (Date.now() < deadline) {
      count = Number((await s.rows())[0]?.event_count);
      if (count === 6) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(count).toBe(6);
  });

  it('opens a new alert after the remembered one is resolved by hand, and counts nothing on the old one', async () => {
    const t = app();
    const s = await setUp(t);
    for (let i = 0; i < 3; i++) await s.trigger('api');
    const [open] = await s.alerts();
    const resolved = await t.call('POST', `/api/v1/incidents/${open!.incident_id}/resolve`, { body: {} });
    expect(resolved.status, resolved.body).toBe(200);
    await s.trigger('api');
    await s.trigger('api');
    expect((await s.alerts()).map((a) => [a.dedup_key, a.status, a.event_count])).toEqual([
      ['api', 'resolved', 3],
      ['api', 'triggered', 2],
    ]);
  });

  it('notices an alert resolved through another connection to the database', async () => {
    const t = app();
    const s = await setUp(t);
    for (let i = 0; i < 3; i++) await s.trigger('replica');
    // As another process would: its own connection (SQLite: a second handle on the file).
    const other = createDatabase(t.database.config);
    try {
      const changed = await other.db
        .updateTable('alerts')
        .set({ status: 'resolved', resolved_at: new Date().toISOString() })
        .where('integration_id', '=', s.integrationId)
        .where('dedup_key', '=', 'replica')
        .executeTakeFirst();
      expect(Number(changed.numUpdatedRows)).toBe(1);
    } finally {
      await other.close();
    }
    await s.trigger('replica');
    await t.container.incidents.ingest.flush();
    expect((await s.rows()).map((r) => [r.dedup_key, r.status, Number(r.event_count)])).toEqual([
      ['replica', 'resolved', 3],
      ['replica', 'triggered', 1],
    ]);
  });
});
