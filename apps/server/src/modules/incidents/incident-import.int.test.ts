import { expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';

const H = 3600;

async function setup(t: TestApp, name: string) {
  const team = await t.call('POST', '/api/v1/teams', { body: { name: `${name}-team`, time_zone: 'UTC' } });
  const service = await t.call('POST', '/api/v1/services', {
    body: { name, team_id: team.json.id, tier: 'tier-1' },
  });
  expect(service.status).toBe(201);
  return { teamId: team.json.id as string, serviceId: service.json.id as string };
}

async function incidentCount(t: TestApp): Promise<number> {
  const rows = await t.container.db
    .selectFrom('incidents')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(rows.n);
}

describeEachEngine('Incident import', (get) => {
  it('records past incidents with their real times, timeline and audit, and pages nobody', async () => {
    const t = get();
    const { teamId, serviceId } = await setup(t, 'payments');
    const res = await t.call('POST', '/api/v1/incidents/import', {
      body: {
        incidents: [
          {
            service_id: serviceId,
            title: 'Card payments failing',
            severity: 'SEV1',
            triggered_at: '2026-03-02T10:00:00Z',
            acknowledged_at: '2026-03-02T10:05:00Z',
            mitigated_at: '2026-03-02T11:00:00Z',
            resolved_at: '2026-03-02T15:00:00Z',
            external_id: 'PD-1001',
          },
          {
            service_id: 'payments',
            title: 'Slow refunds',
            severity: 'SEV3',
            triggered_at: '2026-03-04T08:00:00+02:00',
            resolved_at: '2026-03-04T09:00:00+02:00',
            external_id: 'PD-1002',
          },
          {
            service_id: serviceId,
            title: 'Still open from the old tool',
            severity: 'SEV4',
            triggered_at: '2026-03-05T00:00:00Z',
          },
        ],
      },
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toMatchObject({ created: 3, updated: 0, unchanged: 0 });
    const [first, second, third] = res.json.items;
    expect(first).toMatchObject({ index: 0, external_id: 'PD-1001', outcome: 'created' });

    const one = await t.call('GET', `/api/v1/incidents/${first.id}`);
    expect(one.json).toMatchObject({
      service_id: serviceId,
      team_id: teamId,
      status: 'resolved',
      source: 'import',
      severity: 'SEV1',
      triggered_at: '2026-03-02T10:00:00.000Z',
      acknowledged_at: '2026-03-02T10:05:00.000Z',
      mitigated_at: '2026-03-02T11:00:00.000Z',
      resolved_at: '2026-03-02T15:00:00.000Z',
      external_id: 'PD-1001',
    });
    // Offsets are stored as UTC; skipped stamps stay empty.
    const two = await t.call('GET', `/api/v1/incidents/${second.id}`);
    expect(two.json).toMatchObject({
      status: 'resolved',
      triggered_at: '2026-03-04T06:00:00.000Z',
      acknowledged_at: null,
      mitigated_at: null,
      resolved_at: '2026-03-04T07:00:00.000Z',
    });
    expect((await t.call('GET', `/api/v1/incidents/${third.id}`)).json.status).toBe('triggered');

    const timeline = await t.call('GET', `/api/v1/incidents/${first.id}/timeline`);
    expect(timeline.json.items.map((e: { kind: string; at: string }) => [e.kind, e.at])).toEqual([
      ['incident.imported', '2026-03-02T10:00:00.000Z'],
      ['status.acknowledged', '2026-03-02T10:05:00.000Z'],
      ['status.mitigated', '2026-03-02T11:00:00.000Z'],
      ['status.resolved', '2026-03-02T15:00:00.000Z'],
    ]);
    const skipping = await t.call('GET', `/api/v1/incidents/${second.id}/timeline`);
    expect(skipping.json.items.at(-1)).toMatchObject({
      kind: 'status.resolved',
      data: { from: 'triggered', to: 'resolved', imported: true },
    });

    // Nobody is paged for history, not even for the incident still open.
    const pages = await t.container.db
      .selectFrom('jobs')
      .select('payload')
      .where('kind', '=', 'incidents.page')
      .execute();
    const paged = pages.map((p) => p.payload).join('\n');
    for (const item of res.json.items) expect(paged).not.toContain(item.id);

    const audit = await t.call('GET', '/api/v1/audit-log?action=incident.import');
    expect(audit.status).toBe(200);
    expect(audit.json.items.map((e: { target_id: string }) => e.target_id).sort()).toEqual(
      [first.id, second.id, third.id].sort(),
    );
  });

  it('is idempotent on external_id: a re-import skips what is unchanged and updates what changed', async () => {
    const t = get();
    const { serviceId } = await setup(t, 'search');
    const item = {
      service_id: serviceId,
      title: 'Index lag',
      severity: 'SEV2',
      triggered_at: '2026-04-01T00:00:00Z',
      mitigated_at: '2026-04-01T02:00:00Z',
      external_id: 'OG-77',
    };
    const first = await t.call('POST', '/api/v1/incidents/import', { body: { incidents: [item] } });
    expect(first.json.created).toBe(1);
    const before = await incidentCount(t);
    const again = await t.call('POST', '/api/v1/incidents/import', { body: { incidents: [item] } });
    expect(again.json).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    expect(again.json.items[0].id).toBe(first.json.items[0].id);
    const changed = await t.call('POST', '/api/v1/incidents/import', {
      body: { incidents: [{ ...item, resolved_at: '2026-04-01T05:00:00Z' }] },
    });
    expect(changed.json).toMatchObject({ created: 0, updated: 1, unchanged: 0 });
    expect(await incidentCount(t)).toBe(before);
    const after = await t.call('GET', `/api/v1/incidents/${first.json.items[0].id}`);
    expect(after.json).toMatchObject({ status: 'resolved', resolved_at: '2026-04-01T05:00:00.000Z' });
    const timeline = await t.call('GET', `/api/v1/incidents/${first.json.items[0].id}/timeline`);
    expect(timeline.json.items.at(-1)).toMatchObject({
      kind: 'incident.imported',
      data: { changed: { resolved_at: { from: null, to: '2026-04-01T05:00:00.000Z' } } },
    });
  });

  it('rejects the whole import with the index and field of every problem, writing nothing', async () => {
    const t = get();
    const { serviceId } = await setup(t, 'ledger');
    const before = await incidentCount(t);
    const res = await t.call('POST', '/api/v1/incidents/import', {
      body: {
        incidents: [
          { service_id: serviceId, title: 'Fine', severity: 'SEV3', triggered_at: '2026-05-01T00:00:00Z' },
          {
            service_id: serviceId,
            title: 'Mitigated before it started',
            severity: 'SEV3',
            triggered_at: '2026-05-02T10:00:00Z',
            mitigated_at: '2026-05-02T09:00:00Z',
          },
          {
            service_id: serviceId,
            title: 'From the future',
            severity: 'SEV3',
            triggered_at: '2099-01-01T00:00:00Z',
          },
          {
            service_id: 'no-such-service',
            title: 'x',
            severity: 'SEV3',
            triggered_at: '2026-05-01T00:00:00Z',
          },
          {
            service_id: serviceId,
            title: 'Resolved before acknowledged',
            severity: 'SEV3',
            triggered_at: '2026-05-03T00:00:00Z',
            acknowledged_at: '2026-05-03T02:00:00Z',
            resolved_at: '2026-05-03T01:00:00Z',
          },
        ],
      },
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json.code).toBe('HTTP_VALIDATION_FAILED');
    const paths = res.json.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'body.incidents.1.mitigated_at',
        'body.incidents.2.triggered_at',
        'body.incidents.3.service_id',
        'body.incidents.4.resolved_at',
      ]),
    );
    expect(paths.some((p: string) => p.startsWith('body.incidents.0.'))).toBe(false);
    expect(await incidentCount(t)).toBe(before);

    // Schema errors name the index too.
    const bad = await t.call('POST', '/api/v1/incidents/import', {
      body: {
        incidents: [{ service_id: serviceId, title: 'x', severity: 'SEV9', triggered_at: 'yesterday' }],
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['body.incidents.0.severity', 'body.incidents.0.triggered_at']),
    );
    // Two items with one external id are refused.
    const dup = await t.call('POST', '/api/v1/incidents/import', {
      body: {
        incidents: [1, 2].map((n) => ({
          service_id: serviceId,
          title: `dup ${n}`,
          severity: 'SEV4',
          triggered_at: '2026-05-01T00:00:00Z',
          external_id: 'SAME',
        })),
      },
    });
    expect(dup.status).toBe(400);
    expect(dup.json.errors[0].path).toBe('body.incidents.1.external_id');
    expect(await incidentCount(t)).toBe(before);
  });

  it("needs incidents.respond on every item's team", async () => {
    const t = get();
    const mine = await setup(t, 'mine');
    const other = await setup(t, 'other');
    const responder = await t.tokenFor('responder', mine.teamId);
    const viewer = await t.tokenFor('viewer', mine.teamId);
    const item = (serviceId: string) => ({
      service_id: serviceId,
      title: 'Past',
      severity: 'SEV4',
      triggered_at: '2026-05-01T00:00:00Z',
    });
    const before = await incidentCount(t);
    const denied = await t.call('POST', '/api/v1/incidents/import', {
      token: responder,
      body: { incidents: [item(mine.serviceId), item(other.serviceId)] },
    });
    expect(denied.status).toBe(403);
    const viewing = await t.call('POST', '/api/v1/incidents/import', {
      token: viewer,
      body: { incidents: [item(mine.serviceId)] },
    });
    expect(viewing.status).toBe(403);
    expect(await incidentCount(t)).toBe(before);
    const ok = await t.call('POST', '/api/v1/incidents/import', {
      token: responder,
      body: { incidents: [item(mine.serviceId)] },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.created).toBe(1);
  });

  it('feeds DORA time to restore, and suggests the suspected deployment; only a confirmed link counts', async () => {
    const t = get();
    const { serviceId } = await setup(t, 'orders');
    const deploy = async (body: Record<string, unknown>) => {
      const res = await t.call('POST', '/api/v1/deployments', {
        body: { service_id: serviceId, status: 'success', ...body },
      });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      return res.json.id as string;
    };
    const good = await deploy({
      environment: 'production',
      commit_sha: 'a'.repeat(40),
      finished_at: '2026-06-01T08:00:00Z',
    });
    const suspect = await deploy({
      environment: 'production',
      commit_sha: 'b'.repeat(40),
      finished_at: '2026-06-01T09:00:00Z',
    });
    // Not suggested: failed, another environment, after the trigger.
    await deploy({
      environment: 'production',
      commit_sha: 'c'.repeat(40),
      status: 'failure',
      finished_at: '2026-06-01T09:30:00Z',
    });
    await deploy({ environment: 'staging', commit_sha: 'd'.repeat(40), finished_at: '2026-06-01T09:45:00Z' });
    await deploy({
      environment: 'production',
      commit_sha: 'e'.repeat(40),
      finished_at: '2026-06-01T12:00:00Z',
    });

    const imported = await t.call('POST', '/api/v1/incidents/import', {
      body: {
        incidents: [
          // Restored in 1 h (mitigated), resolved later.
          {
            service_id: serviceId,
            title: 'Orders lost',
            severity: 'SEV1',
            triggered_at: '2026-06-01T10:00:00Z',
            mitigated_at: '2026-06-01T11:00:00Z',
            resolved_at: '2026-06-02T10:00:00Z',
          },
          // No mitigation recorded: 3 h to resolved.
          {
            service_id: serviceId,
            title: 'Orders slow',
            severity: 'SEV3',
            triggered_at: '2026-06-03T10:00:00Z',
            resolved_at: '2026-06-03T13:00:00Z',
          },
          // 5 h, and linked by the import to the good deployment.
          {
            service_id: serviceId,
            title: 'Orders duplicated',
            severity: 'SEV2',
            triggered_at: '2026-06-04T10:00:00Z',
            mitigated_at: '2026-06-04T15:00:00Z',
            caused_by_deployment_id: good,
          },
        ],
      },
    });
    expect(imported.status).toBe(200);
    const incidentId = imported.json.items[0].id as string;

    const window = `service_id=${serviceId}&from=2026-06-01T00:00:00Z&to=2026-06-08T00:00:00Z`;
    const dora = await t.call('GET', `/api/v1/dora?${window}`);
    expect(dora.status).toBe(200);
    expect(dora.json.time_to_restore).toMatchObject({ incidents: 3, median_seconds: 3 * H, tier: 'high' });
    // 4 production deployments: one failed by status, one named as cause by the import.
    expect(dora.json.change_failure_rate).toMatchObject({ failed: 2, deployments: 4 });

    const suggestion = await t.call('GET', `/api/v1/incidents/${incidentId}/suspected-deployment`);
    expect(suggestion.status).toBe(200);
    expect(suggestion.json).toMatchObject({
      incident_id: incidentId,
      suggested_deployment_id: suspect,
      suggested: { id: suspect, commit_sha: 'b'.repeat(40), finished_at: '2026-06-01T09:00:00.000Z' },
      confirmed_deployment_id: null,
      confirmed: false,
    });
    // A suggestion alone does not make the deployment failed.
    const evidence = await t.call('GET', `/api/v1/dora/evidence?metric=change_failure_rate&${window}`);
    const failedIds = evidence.json.deployments
      .filter((d: { failed: boolean }) => d.failed)
      .map((d: { id: string }) => d.id);
    expect(failedIds).not.toContain(suspect);

    const confirm = await t.call('PATCH', `/api/v1/incidents/${incidentId}`, {
      body: { caused_by_deployment_id: suspect },
    });
    expect(confirm.status).toBe(200);
    const confirmed = await t.call('GET', `/api/v1/incidents/${incidentId}/suspected-deployment`);
    expect(confirmed.json).toMatchObject({ confirmed_deployment_id: suspect, confirmed: true });
    const after = await t.call('GET', `/api/v1/dora?${window}`);
    expect(after.json.change_failure_rate).toMatchObject({ failed: 3, deployments: 4 });

    // An incident with no earlier production deployment gets no suggestion; unknown incidents are 404.
    const early = await t.call('POST', '/api/v1/incidents/import', {
      body: {
        incidents: [
          { service_id: serviceId, title: 'Early', severity: 'SEV4', triggered_at: '2026-05-01T00:00:00Z' },
        ],
      },
    });
    const none = await t.call('GET', `/api/v1/incidents/${early.json.items[0].id}/suspected-deployment`);
    expect(none.json).toMatchObject({ suggested_deployment_id: null, suggested: null });
    expect((await t.call('GET', '/api/v1/incidents/inc_nope/suspected-deployment')).status).toBe(404);
  });
});
