import { expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';

async function setup(t: TestApp) {
  const suffix = Math.random().toString(36).slice(2, 8);
  const team = await t.call('POST', '/api/v1/teams', {
    body: { name: `ops-${suffix}`, time_zone: 'Europe/Berlin' },
  });
  const service = await t.call('POST', '/api/v1/services', {
    body: { name: `api-${suffix}`, team_id: team.json.id, runbook_url: 'https://runbooks.example/api' },
  });
  return { team: team.json, service: service.json };
}

describeEachEngine('incident lifecycle API', (get) => {
  it('declares, acknowledges, mitigates, resolves and reopens with a full timeline', async () => {
    const t = get();
    const { service, team } = await setup(t);
    const responder = await t.tokenFor('responder', team.id);
    const declared = await t.call('POST', '/api/v1/incidents', {
      token: responder,
      body: {
        service_id: service.id,
        title: 'Checkout errors',
        severity: 'SEV2',
        description: '5xx on /pay',
      },
    });
    expect(declared.status).toBe(201);
    expect(declared.json).toMatchObject({
      status: 'triggered',
      severity: 'SEV2',
      source: 'manual',
      team_id: team.id,
      alert_count: 0,
    });
    const id = declared.json.id;

    const ack = await t.call('POST', `/api/v1/incidents/${id}/acknowledge`, { token: responder });
    expect(ack.status).toBe(200);
    expect(ack.json.status).toBe('acknowledged');
    expect(ack.json.acknowledged_at).not.toBeNull();

    const again = await t.call('POST', `/api/v1/incidents/${id}/acknowledge`, { token: responder });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('INCIDENTS_INVALID_TRANSITION');

    expect(
      (
        await t.call('POST', `/api/v1/incidents/${id}/notes`, {
          token: responder,
          body: { text: 'Rolled back v42' },
        })
      ).status,
    ).toBe(201);
    expect((await t.call('POST', `/api/v1/incidents/${id}/mitigate`, { token: responder })).json.status).toBe(
      'mitigated',
    );
    const users = await t.call('POST', '/api/v1/users', {
      body: { email: `ic-${id}@example.com`, name: 'Ivy Commander' },
    });
    const roles = await t.call('PATCH', `/api/v1/incidents/${id}`, {
      token: responder,
      body: { commander_id: users.json.id },
    });
    expect(roles.json.commander_id).toBe(users.json.id);
    const resolved = await t.call('POST', `/api/v1/incidents/${id}/resolve`, { token: responder });
    expect(resolved.json.status).toBe('resolved');
    const reopened = await t.call('POST', `/api/v1/incidents/${id}/reopen`, { token: responder });
    expect(reopened.json.status).toBe('triggered');

    const timeline = await t.call('GET', `/api/v1/incidents/${id}/timeline`, { token: responder });
    expect(timeline.json.items.map((e: { kind: string }) => e.kind)).toEqual([
      'incident.triggered',
      'status.acknowledged',
      'note',
      'status.mitigated',
      'role',
      'status.resolved',
      'status.triggered',
    ]);
    expect(
      timeline.json.items.every((e: { actor: { name: string } }) => e.actor.name === 'token:test-responder'),
    ).toBe(true);
    const audit = await t.call('GET', `/api/v1/audit-log?target_id=${id}`);
    expect(audit.json.items.map((e: { action: string }) => e.action)).toContain('incident.acknowledge');
  });

  it('resolving straight from triggered leaves the skipped stamps empty', async () => {
    const t = get();
    const { service } = await setup(t);
    const inc = await t.call('POST', '/api/v1/incidents', {
      body: { service_id: service.id, title: 'Blip', severity: 'SEV4' },
    });
    const resolved = await t.call('POST', `/api/v1/incidents/${inc.json.id}/resolve`);
    expect(resolved.json).toMatchObject({ status: 'resolved', acknowledged_at: null, mitigated_at: null });
    const timeline = await t.call('GET', `/api/v1/incidents/${inc.json.id}/timeline`);
    expect(timeline.json.items.at(-1).data).toMatchObject({
      from: 'triggered',
      to: 'resolved',
      skipped: ['acknowledged', 'mitigated'],
    });
    const illegal = await t.call('POST', `/api/v1/incidents/${inc.json.id}/mitigate`);
    expect(illegal.status).toBe(409);
    expect((await t.call('GET', `/api/v1/incidents/${inc.json.id}`)).json.status).toBe('resolved');
  });

  it('enforces team-scoped permissions on incidents', async () => {
    const t = get();
    const a = await setup(t);
    const b = await setup(t);
    const responderA = await t.tokenFor('responder', a.team.id);
    const viewer = await t.tokenFor('viewer');
    const onB = await t.call('POST', '/api/v1/incidents', {
      token: responderA,
      body: { service_id: b.service.id, title: 'x', severity: 'SEV3' },
    });
    expect(onB.status).toBe(403);
    const inc = await t.call('POST', '/api/v1/incidents', {
      body: { service_id: b.service.id, title: 'x', severity: 'SEV3' },
    });
    expect(
      (await t.call('POST', `/api/v1/incidents/${inc.json.id}/acknowledge`, { token: responderA })).status,
    ).toBe(403);
    expect(
      (await t.call('POST', `/api/v1/incidents/${inc.json.id}/acknowledge`, { token: viewer })).status,
    ).toBe(403);
    expect((await t.call('GET', `/api/v1/incidents/${inc.json.id}`, { token: viewer })).status).toBe(200);
    expect((await t.call('GET', `/api/v1/incidents/${inc.json.id}`)).json.status).toBe('triggered');
    expect(
      (
        await t.call('POST', `/api/v1/services/${a.service.id}/integrations`, {
          token: responderA,
          body: { kind: 'generic', name: 'x' },
        })
      ).status,
    ).toBe(403);
  });

  it('groups Alertmanager alerts per groupKey and resolves when all are resolved', async () => {
    const t = get();
    const { service } = await setup(t);
    const integ = (
      await t.call('POST', `/api/v1/services/${service.id}/integrations`, {
        body: { kind: 'alertmanager', name: 'prod AM' },
      })
    ).json;
    expect(integ.url).toContain(`/api/v1/integrations/${integ.key}/alertmanager`);
    const alert = (fp: string, status: string) => ({
      status,
      labels: { alertname: 'DiskFull', instance: fp, severity: 'critical' },
      annotations: { summary: `Disk full on ${fp}` },
      startsAt: '2026-11-28T10:00:00Z',
      endsAt: status === 'resolved' ? '2026-11-28T10:30:00Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus/graph',
      fingerprint: fp,
    });
    const notify = (status: string, alerts: unknown[]) =>
      t.call('POST', `/api/v1/integrations/${integ.key}/alertmanager`, {
        token: null,
        body: {
          version: '4',
          groupKey: '{}:{alertname="DiskFull"}',
          status,
          receiver: 'engops',
          groupLabels: { alertname: 'DiskFull' },
          commonLabels: {},
          commonAnnotations: {},
          externalURL: 'http://am',
          alerts,
        },
      });
    expect((await notify('firing', [alert('db-1', 'firing'), alert('db-2', 'firing')])).status).toBe(202);
    expect(
      (await notify('firing', [alert('db-1', 'firing'), alert('db-2', 'firing'), alert('db-3', 'firing')]))
        .status,
    ).toBe(202);
    let incidents = (await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items;
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      alert_count: 3,
      title: 'Disk full on db-1',
      severity: 'SEV1',
      status: 'triggered',
    });

    expect((await notify('resolved', [alert('db-1', 'resolved'), alert('db-2', 'resolved')])).status).toBe(
      202,
    );
    expect((await t.call('GET', `/api/v1/incidents/${incidents[0].id}`)).json.status).toBe('triggered');
    await notify('resolved', [alert('db-3', 'resolved')]);
    expect((await t.call('GET', `/api/v1/incidents/${incidents[0].id}`)).json.status).toBe('resolved');

    await notify('firing', [alert('db-1', 'firing')]);
    incidents = (await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items;
    expect(incidents).toHaveLength(2);

    const wrongKind = await t.call('POST', `/api/v1/integrations/${integ.key}/generic`, {
      token: null,
      body: { summary: 'x' },
    });
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.json.code).toBe('INCIDENTS_WRONG_INTEGRATION_KIND');
    const invalid = await t.call('POST', `/api/v1/integrations/${integ.key}/alertmanager`, {
      token: null,
      body: { alerts: 'nope' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.json.errors[0].message).toContain('alerts');
  });

  it('records alerts in a maintenance window without paging anyone', async () => {
    const t = get();
    const { service } = await setup(t);
    const integ = (
      await t.call('POST', `/api/v1/services/${service.id}/integrations`, {
        body: { kind: 'generic', name: 'cron' },
      })
    ).json;
    const now = Date.now();
    const mw = await t.call('POST', `/api/v1/services/${service.id}/maintenance-windows`, {
      body: {
        starts_at: new Date(now - 60_000).toISOString(),
        ends_at: new Date(now + 3_600_000).toISOString(),
        reason: 'DB upgrade',
      },
    });
    expect(mw.status).toBe(201);
    const sent = await t.call('POST', `/api/v1/integrations/${integ.key}/generic`, {
      token: null,
      body: { summary: 'Replica lag', dedup_key: 'lag' },
    });
    expect(sent.status).toBe(202);
    const incident = (await t.call('GET', `/api/v1/incidents?service_id=${service.id}`)).json.items[0];
    expect(incident.suppressed).toBe(true);
    const pageJobs = await t.container.db
      .selectFrom('jobs')
      .select('id')
      .where('kind', '=', 'incidents.page')
      .where('payload', 'like', `%${incident.id}%`)
      .execute();
    expect(pageJobs).toHaveLength(0);
    const bad = await t.call('POST', `/api/v1/services/${service.id}/maintenance-windows`, {
      body: { starts_at: new Date(now).toISOString(), ends_at: new Date(now - 1).toISOString() },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].path).toBe('body.ends_at');
  });

  it('computes MTTA and MTTR per service', async () => {
    const t = get();
    const { service } = await setup(t);
    const inc = await t.call('POST', '/api/v1/incidents', {
      body: { service_id: service.id, title: 'x', severity: 'SEV1' },
    });
    await t.call('POST', `/api/v1/incidents/${inc.json.id}/acknowledge`);
    await t.call('POST', `/api/v1/incidents/${inc.json.id}/resolve`);
    await t.call('POST', '/api/v1/incidents', {
      body: { service_id: service.id, title: 'y', severity: 'SEV3' },
    });
    const stats = await t.call('GET', `/api/v1/incidents/stats?service_id=${service.id}`);
    expect(stats.status).toBe(200);
    expect(stats.json).toMatchObject({ count: 2, open: 1, by_severity: { SEV1: 1, SEV3: 1 } });
    expect(stats.json.time_to_acknowledge.count).toBe(1);
    expect(stats.json.time_to_resolve.count).toBe(1);
    expect(stats.json.time_to_mitigate.count).toBe(0);
    expect(stats.json.time_to_resolve.mean_seconds).toBeGreaterThanOrEqual(0);
  });
});
