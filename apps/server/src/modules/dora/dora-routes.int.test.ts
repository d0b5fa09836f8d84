import { expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';
import { systemPrincipal } from '../../platform/access/permissions.ts';
import { fixedClock } from '../../platform/clock.ts';
import { createIncidentsHistoryWriter } from '../incidents/index.ts';

const H = 3600;
const FROM = '2026-03-01T00:00:00.000Z';
const TO = '2026-03-11T00:00:00.000Z';
const sha = (c: string) => c.repeat(8);

async function setup(t: TestApp, name: string) {
  const team = await t.call('POST', '/api/v1/teams', { body: { name: `${name}-team`, time_zone: 'UTC' } });
  const service = await t.call('POST', '/api/v1/services', {
    body: {
      name,
      team_id: team.json.id,
      tier: 'tier-1',
      repository_url: `https://github.com/acme/${name}`,
    },
  });
  expect(service.status).toBe(201);
  return { teamId: team.json.id as string, serviceId: service.json.id as string };
}

/** Incidents with real past times, written through the incidents service on a fixed clock. */
async function pastIncident(
  t: TestApp,
  serviceId: string,
  steps: Array<[at: string, action: 'declare' | 'mitigate' | 'resolve']>,
) {
  const clock = fixedClock(steps[0]![0]);
  const writer = createIncidentsHistoryWriter({
    db: t.container.db,
    clock,
    audit: t.container.audit,
    jobs: t.container.jobs,
    catalog: t.container.catalog.service,
  });
  const ctx = { principal: systemPrincipal };
  let incident = await writer.service.declare(ctx, {
    service_id: serviceId,
    title: 'Checkout errors',
    severity: 'SEV2',
  });
  for (const [at, action] of steps.slice(1)) {
    clock.set(at);
    if (action !== 'declare') incident = await writer.service.act(ctx, incident.id, action);
  }
  return incident;
}

describeEachEngine('DORA API', (get) => {
  it('computes the four keys and rework rate from deployments, commits and incidents, by hand', async () => {
    const t = get();
    const { teamId, serviceId } = await setup(t, 'checkout');
    const deploy = async (body: Record<string, unknown>) => {
      const res = await t.call('POST', '/api/v1/deployments', {
        body: { service_id: serviceId, environment: 'production', ...body },
      });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      return res.json.id as string;
    };
    // Before the window: ships f.
    await deploy({
      commit_sha: sha('f'),
      status: 'success',
      finished_at: '2026-02-27T00:00:00Z',
      commits: [{ sha: sha('f'), committed_at: '2026-02-26T00:00:00Z' }],
    });
    // d1 ships a (2 h) and b (4 h).
    const d1 = await deploy({
      commit_sha: sha('a'),
      status: 'success',
      version: '1.0.0',
      started_at: '2026-03-02T09:50:00Z',
      finished_at: '2026-03-02T10:00:00Z',
      commits: [
        { sha: sha('a'), committed_at: '2026-03-02T08:00:00Z', message: 'feat: a' },
        { sha: sha('b'), committed_at: '2026-03-02T06:00:00Z' },
      ],
    });
    // d2 ships c (1 h) and b again (not a new change).
    await deploy({
      commit_sha: sha('c'),
      status: 'success',
      finished_at: '2026-03-03T10:00:00Z',
      commits: [
        { sha: sha('c'), committed_at: '2026-03-03T09:00:00Z' },
        { sha: sha('b'), committed_at: '2026-03-02T06:00:00Z' },
      ],
    });
    // d3 fails; d4 ships d (25 h) and is rolled back by d5 (a rollback to c, no new commits).
    await deploy({
      commit_sha: sha('d'),
      status: 'failure',
      finished_at: '2026-03-04T10:00:00Z',
      commits: [{ sha: sha('d'), committed_at: '2026-03-04T09:00:00Z' }],
    });
    const d4 = await deploy({ commit_sha: sha('d'), status: 'success', finished_at: '2026-03-05T10:00:00Z' });
    await deploy({
      commit_sha: sha('c'),
      status: 'success',
      kind: 'rollback',
      rollback_of: d4,
      finished_at: '2026-03-05T11:00:00Z',
    });
    // d6: hotfix e (30 min).
    await deploy({
      commit_sha: sha('e'),
      status: 'success',
      kind: 'hotfix',
      finished_at: '2026-03-06T10:00:00Z',
      commits: [{ sha: sha('e'), committed_at: '2026-03-06T09:30:00Z' }],
    });
    // Staging never counts.
    await deploy({
      environment: 'staging',
      commit_sha: sha('9'),
      status: 'success',
      finished_at: '2026-03-06T12:00:00Z',
    });
    // d8 redeploys f (shipped before the window: not a change) and ships g (6 h); an incident names it.
    const d8 = await deploy({
      commit_sha: sha('7'),
      status: 'success',
      finished_at: '2026-03-07T10:00:00Z',
      commits: [
        { sha: sha('f'), committed_at: '2026-02-26T00:00:00Z' },
        { sha: sha('7'), committed_at: '2026-03-07T04:00:00Z' },
      ],
    });
    // i1: 45 min to mitigation (resolved later); i2: no mitigation, resolved after 3 h.
    const i1 = await pastIncident(t, serviceId, [
      ['2026-03-08T00:00:00.000Z', 'declare'],
      ['2026-03-08T00:45:00.000Z', 'mitigate'],
      ['2026-03-08T02:00:00.000Z', 'resolve'],
    ]);
    await t.container.incidents.service.update({ principal: systemPrincipal }, i1.id, {
      caused_by_deployment_id: d8,
    });
    await pastIncident(t, serviceId, [
      ['2026-03-09T00:00:00.000Z', 'declare'],
      ['2026-03-09T03:00:00.000Z', 'resolve'],
    ]);

    const res = await t.call('GET', `/api/v1/dora?service_id=${serviceId}&from=${FROM}&to=${TO}`);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toEqual({
      window: { from: FROM, to: TO, days: 10 },
      deployment_frequency: {
        per_day: 0.6,
        deployments: 6,
        tier: 'high',
        next: {
          tier: 'elite',
          needs: 'deployment frequency 4.2 per week: High; Elite needs more than 1 per day',
        },
      },
      lead_time: {
        // 0.5, 1, 2, 4, 6, 25 hours
        median_seconds: 3 * H,
        p90_seconds: 25 * H,
        changes: 6,
        tier: 'high',
        next: { tier: 'elite', needs: 'lead time median 3 hours: High; Elite needs under 1 hour' },
      },
      change_failure_rate: {
        value: 3 / 7,
        failed: 3,
        deployments: 7,
        tier: 'low',
        next: { tier: 'medium', needs: 'change failure rate 42.9%: Low; Medium needs under 15%' },
      },
      time_to_restore: {
        median_seconds: (45 * 60 + 3 * H) / 2,
        incidents: 2,
        tier: 'high',
        next: { tier: 'elite', needs: 'time to restore median 1.9 hours: High; Elite needs under 1 hour' },
      },
      rework_rate: { value: 2 / 7, reworked: 2, deployments: 7 },
      overall_tier: 'low',
    });

    // The team's figures are its services'.
    const team = await t.call('GET', `/api/v1/dora?team_id=${teamId}&from=${FROM}&to=${TO}`);
    expect(team.json).toEqual(res.json);

    // A window cutting the history: b, c shipped before it; f long before; d, e, g count.
    const cut = await t.call(
      'GET',
      `/api/v1/dora?service_id=${serviceId}&from=2026-03-05T00:00:00Z&to=${TO}`,
    );
    expect(cut.json.lead_time).toMatchObject({ median_seconds: 6 * H, p90_seconds: 25 * H, changes: 3 });
    expect(cut.json.change_failure_rate).toMatchObject({ failed: 2, deployments: 4 });

    // An empty window has no tiers.
    const empty = await t.call(
      'GET',
      `/api/v1/dora?service_id=${serviceId}&from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z`,
    );
    expect(empty.json).toMatchObject({
      deployment_frequency: { per_day: 0, deployments: 0, tier: null, next: null },
      lead_time: { median_seconds: null, changes: 0, tier: null },
      change_failure_rate: { value: null, tier: null },
      time_to_restore: { median_seconds: null, incidents: 0, tier: null },
      overall_tier: null,
    });

    // Evidence: the records behind each figure.
    const cfr = await t.call(
      'GET',
      `/api/v1/dora/evidence?metric=change_failure_rate&service_id=${serviceId}&from=${FROM}&to=${TO}`,
    );
    expect(cfr.status).toBe(200);
    expect(
      cfr.json.deployments
        .filter((d: { failed: boolean }) => d.failed)
        .map((d: { failure_reasons: string[] }) => d.failure_reasons),
    ).toEqual([['status'], ['rolled_back'], ['incident']]);
    const lead = await t.call(
      'GET',
      `/api/v1/dora/evidence?metric=lead_time&service_id=${serviceId}&from=${FROM}&to=${TO}`,
    );
    expect(
      lead.json.changes.map((c: { sha: string; lead_seconds: number }) => [c.sha, c.lead_seconds]),
    ).toEqual([
      [sha('a'), 2 * H],
      [sha('b'), 4 * H],
      [sha('c'), 1 * H],
      [sha('d'), 25 * H],
      [sha('e'), 0.5 * H],
      [sha('7'), 6 * H],
    ]);
    expect(lead.json.changes[0].deployment_id).toBe(d1);
    const ttr = await t.call(
      'GET',
      `/api/v1/dora/evidence?metric=time_to_restore&service_id=${serviceId}&from=${FROM}&to=${TO}`,
    );
    expect(ttr.json.incidents.map((i: { restore_seconds: number }) => i.restore_seconds)).toEqual([
      45 * 60,
      3 * H,
    ]);

    // Trend by week (Mondays): 2026-03-01 is a Sunday.
    const trend = await t.call(
      'GET',
      `/api/v1/dora/trend?service_id=${serviceId}&from=${FROM}&to=${TO}&bucket=week`,
    );
    expect(trend.status).toBe(200);
    expect(trend.json.buckets.map((b: { window: { from: string } }) => b.window.from)).toEqual([
      FROM,
      '2026-03-02T00:00:00.000Z',
      '2026-03-09T00:00:00.000Z',
    ]);
    expect(
      trend.json.buckets.map(
        (b: { deployment_frequency: { deployments: number } }) => b.deployment_frequency.deployments,
      ),
    ).toEqual([0, 6, 0]);

    // Policy thresholds drive the tiers.
    const policy = await t.call('GET', '/api/v1/policy');
    const doc = policy.json;
    const put = await t.call('PUT', '/api/v1/policy', {
      body: {
        version: doc.version,
        policy: {
          ...doc.policy,
          dora: { ...doc.policy.dora, change_failure_rate: { elite: 0.5, high: 0.6, medium: 0.7 } },
        },
      },
    });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    const relaxed = await t.call('GET', `/api/v1/dora?service_id=${serviceId}&from=${FROM}&to=${TO}`);
    expect(relaxed.json.change_failure_rate.tier).toBe('elite');
    expect(relaxed.json.overall_tier).toBe('high');

    const list = await t.call(
      'GET',
      `/api/v1/deployments?service_id=${serviceId}&environment=production&limit=3`,
    );
    expect(list.json.items).toHaveLength(3);
    expect(list.json.items[0].id).toBe(d8);
    expect(list.json.next_cursor).not.toBeNull();
  });

  it('is idempotent on external_id, validates input and checks team permissions', async () => {
    const t = get();
    const { teamId, serviceId } = await setup(t, 'ledger');
    const other = await setup(t, 'search');
    const body = {
      service_id: 'ledger', // a name works as well as an id
      environment: 'production',
      commit_sha: 'ABCDEF12',
      status: 'success',
      finished_at: '2026-03-02T10:00:00+01:00',
      external_id: 'ci-run-77',
    };
    const first = await t.call('POST', '/api/v1/deployments', { body });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({
      service_id: serviceId,
      commit_sha: 'abcdef12',
      finished_at: '2026-03-02T09:00:00.000Z',
      kind: 'normal',
      source: 'api',
      commit_count: 1,
    });
    const again = await t.call('POST', '/api/v1/deployments', { body });
    expect(again.status).toBe(201);
    expect(again.json.id).toBe(first.json.id);
    const changed = await t.call('POST', '/api/v1/deployments', { body: { ...body, status: 'failure' } });
    expect(changed.status).toBe(409);
    expect(changed.json.code).toBe('DORA_EXTERNAL_ID_CONFLICT');
    const list = await t.call('GET', `/api/v1/deployments?service_id=${serviceId}`);
    expect(list.json.items).toHaveLength(1);

    const bad = await t.call('POST', '/api/v1/deployments', {
      body: {
        service_id: serviceId,
        environment: 'production',
        commit_sha: 'not-a-sha',
        status: 'done',
        started_at: '2026-03-02T11:00:00Z',
        finished_at: 'yesterday',
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json.code).toBe('HTTP_VALIDATION_FAILED');
    expect(bad.json.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.commit_sha',
      'body.finished_at',
      'body.status',
    ]);
    const order = await t.call('POST', '/api/v1/deployments', {
      body: { ...body, external_id: undefined, started_at: '2026-03-02T11:00:00Z' },
    });
    expect(order.status).toBe(400);
    expect(order.json.errors).toEqual([
      { path: 'body.started_at', message: 'must not be after finished_at' },
    ]);
    const rollback = await t.call('POST', '/api/v1/deployments', {
      body: { ...body, external_id: undefined, kind: 'rollback', rollback_of: 'dep_missing' },
    });
    expect(rollback.status).toBe(404);
    expect(rollback.json.code).toBe('DORA_DEPLOYMENT_NOT_FOUND');
    const unknown = await t.call('POST', '/api/v1/deployments', { body: { ...body, service_id: 'nope' } });
    expect(unknown.status).toBe(404);

    const viewer = await t.tokenFor('viewer', teamId);
    const denied = await t.call('POST', '/api/v1/deployments', {
      token: viewer,
      body: { ...body, external_id: 'x1' },
    });
    expect(denied.status).toBe(403);
    expect(denied.json.code).toBe('AUTH_FORBIDDEN');
    expect((await t.call('GET', `/api/v1/dora?service_id=${serviceId}`, { token: viewer })).status).toBe(200);
    expect(
      (await t.call('GET', `/api/v1/dora?service_id=${other.serviceId}`, { token: viewer })).status,
    ).toBe(403);
    expect((await t.call('GET', '/api/v1/dora', { token: viewer })).status).toBe(403);

    const ci = await t.tokenFor('responder', teamId);
    const byCi = await t.call('POST', '/api/v1/deployments', {
      token: ci,
      body: { ...body, external_id: 'ci-run-78' },
    });
    expect(byCi.status).toBe(201);
    const elsewhere = await t.call('POST', '/api/v1/deployments', {
      token: ci,
      body: { ...body, service_id: other.serviceId, external_id: 'ci-run-79' },
    });
    expect(elsewhere.status).toBe(403);

    const audit = await t.call('GET', `/api/v1/audit-log?target_id=${first.json.id}`);
    expect(audit.json.items.map((e: { action: string }) => e.action)).toEqual(['deployment.create']);
  });
});
