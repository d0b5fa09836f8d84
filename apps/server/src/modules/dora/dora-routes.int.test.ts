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
    const d2 = await deploy({
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
    // Drill-down to a deployment's commits: c is its own change (1 h); b was d1's.
    const shipped = await t.call('GET', `/api/v1/deployments/${d2}/commits`);
    expect(shipped.json).toEqual({
      deployment_id: d2,
      items: [
        {
          sha: sha('c'),
          committed_at: '2026-03-03T09:00:00.000Z',
          authored_at: null,
          message: null,
          first_deployment_id: d2,
          lead_seconds: H,
        },
        {
          sha: sha('b'),
          committed_at: '2026-03-02T06:00:00.000Z',
          authored_at: null,
          message: null,
          first_deployment_id: d1,
          lead_seconds: null,
        },
      ],
      truncated: false,
    });
    const d1Commits = await t.call('GET', `/api/v1/deployments/${d1}/commits`);
    expect(d1Commits.json.items.map((c: { message: string | null }) => c.message)).toEqual(['feat: a', null]);
    expect((await t.call('GET', '/api/v1/deployments/dep_missing/commits')).json.code).toBe(
      'DORA_DEPLOYMENT_NOT_FOUND',
    );
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
    // The handbook's thresholds again, for the tests after this one.
    const restored = await t.call('PUT', '/api/v1/policy', {
      body: { version: put.json.version, policy: doc.policy },
    });
    expect(restored.status, restored.body).toBe(200);

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
    expect(
      (await t.call('GET', `/api/v1/deployments/${first.json.id}/commits`, { token: viewer })).json,
    ).toMatchObject({
      items: [{ sha: 'abcdef12', committed_at: null, lead_seconds: null }],
    });
    const otherViewer = await t.tokenFor('viewer', other.teamId);
    expect(
      (await t.call('GET', `/api/v1/deployments/${first.json.id}/commits`, { token: otherViewer })).status,
    ).toBe(403);

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

  it('places exact tier boundaries as the table states, through the API', async () => {
    const t = get();
    const W_FROM = '2026-04-01T00:00:00.000Z';
    const W_TO = '2026-04-29T00:00:00.000Z'; // 28 days
    const day = (n: number, hours = 12) =>
      new Date(Date.parse(W_FROM) + (n * 24 + hours) * H * 1000).toISOString();
    let n = 0;
    const deploy = async (serviceId: string, finishedAt: string, status = 'success', leadSeconds = H) => {
      const commit = (++n).toString(16).padStart(12, '0');
      const res = await t.call('POST', '/api/v1/deployments', {
        body: {
          service_id: serviceId,
          environment: 'production',
          commit_sha: commit,
          status,
          finished_at: finishedAt,
          commits: [
            {
              sha: commit,
              committed_at: new Date(Date.parse(finishedAt) - leadSeconds * 1000).toISOString(),
            },
          ],
        },
      });
      expect(res.status, res.body).toBe(201);
    };
    const report = async (serviceId: string, from = W_FROM, to = W_TO) =>
      (await t.call('GET', `/api/v1/dora?service_id=${serviceId}&from=${from}&to=${to}`)).json;

    // 4 deployments in 28 days: exactly 1 per week (High); each commit exactly 1 hour old (High).
    const weekly = await setup(t, 'weekly');
    for (const d of [0, 7, 14, 21]) await deploy(weekly.serviceId, day(d));
    const w = await report(weekly.serviceId);
    expect(w.deployment_frequency).toEqual({
      per_day: 4 / 28,
      deployments: 4,
      tier: 'high',
      next: {
        tier: 'elite',
        needs: 'deployment frequency 1 per week: High; Elite needs more than 1 per day',
      },
    });
    expect(w.lead_time).toEqual({
      median_seconds: H,
      p90_seconds: H,
      changes: 4,
      tier: 'high',
      next: { tier: 'elite', needs: 'lead time median 1 hour: High; Elite needs under 1 hour' },
    });
    // One deployment fewer in the same window: under 1 per week, Medium.
    expect((await report(weekly.serviceId, day(0, 13))).deployment_frequency.tier).toBe('medium');

    // 28 in 28 days: exactly 1 per day is High (Elite is more than 1); one more is Elite.
    const daily = await setup(t, 'daily');
    for (let d = 0; d < 28; d++) await deploy(daily.serviceId, day(d), d === 0 ? 'failure' : 'success');
    await deploy(daily.serviceId, day(5, 18));
    const dd = await report(daily.serviceId);
    expect(dd.deployment_frequency).toMatchObject({ per_day: 1, deployments: 28, tier: 'high' });
    // 1 failed of 29: 3.4%, Elite. Ending the window at day 27 13:00 leaves the 28 successful
    // deployments in 27.54 days: more than 1 per day, Elite.
    expect(dd.change_failure_rate).toMatchObject({ failed: 1, deployments: 29, tier: 'elite' });
    const more = await report(daily.serviceId, W_FROM, day(27, 13));
    expect(more.deployment_frequency).toMatchObject({ deployments: 28 });
    expect(more.deployment_frequency.tier).toBe('elite');

    // Change failure rate: exactly 5% is High, exactly 10% Medium, exactly 15% Low.
    const cfr = await setup(t, 'cfr');
    for (let d = 0; d < 20; d++) await deploy(cfr.serviceId, day(d), d === 3 ? 'failure' : 'success');
    expect((await report(cfr.serviceId)).change_failure_rate).toEqual({
      value: 0.05,
      failed: 1,
      deployments: 20,
      tier: 'high',
      next: { tier: 'elite', needs: 'change failure rate 5%: High; Elite needs under 5%' },
    });
    await deploy(cfr.serviceId, day(20), 'failure');
    await deploy(cfr.serviceId, day(21), 'success');
    // 2 of 22 is 9.1% (High); the window without day 0 and 1: 2 of 20, exactly 10%, Medium.
    expect((await report(cfr.serviceId, day(2, 0))).change_failure_rate).toMatchObject({
      value: 0.1,
      failed: 2,
      deployments: 20,
      tier: 'medium',
    });
    await deploy(cfr.serviceId, day(22), 'failure');
    // From day 3: 3 failed of 20, exactly 15%, Low.
    expect((await report(cfr.serviceId, day(3, 0))).change_failure_rate).toMatchObject({
      value: 0.15,
      failed: 3,
      deployments: 20,
      tier: 'low',
      next: { tier: 'medium', needs: 'change failure rate 15%: Low; Medium needs under 15%' },
    });

    // One deployment in 30 days: exactly 1 per month, Medium; in 31 days, Low. Its commit exactly
    // 1 week old: lead time Medium; exactly 30 days old (another service): Low.
    const monthly = await setup(t, 'monthly');
    await deploy(monthly.serviceId, day(10), 'success', 7 * 24 * H);
    const m30 = await report(monthly.serviceId, W_FROM, '2026-05-01T00:00:00.000Z');
    expect(m30.deployment_frequency).toMatchObject({ per_day: 1 / 30, tier: 'medium' });
    expect(m30.lead_time).toMatchObject({
      median_seconds: 7 * 24 * H,
      tier: 'medium',
      next: { tier: 'high', needs: 'lead time median 1 week: Medium; High needs under 1 week' },
    });
    const m31 = await report(monthly.serviceId, W_FROM, '2026-05-02T00:00:00.000Z');
    expect(m31.deployment_frequency.tier).toBe('low');
    const slow = await setup(t, 'slow');
    await deploy(slow.serviceId, day(10), 'success', 30 * 24 * H);
    expect((await report(slow.serviceId)).lead_time).toMatchObject({
      median_seconds: 30 * 24 * H,
      tier: 'low',
      next: { tier: 'medium', needs: 'lead time median 30 days: Low; Medium needs under 30 days' },
    });

    // Time to restore: exactly 1 hour is High, exactly 1 day Medium, exactly 1 week Low.
    const restores: Array<[string, number, string]> = [
      ['ttr-hour', 1, 'high'],
      ['ttr-day', 24, 'medium'],
      ['ttr-week', 7 * 24, 'low'],
    ];
    for (const [name, hours, tier] of restores) {
      const svc = await setup(t, name);
      const triggered = day(1, 0);
      await pastIncident(t, svc.serviceId, [
        [triggered, 'declare'],
        [new Date(Date.parse(triggered) + hours * H * 1000).toISOString(), 'mitigate'],
      ]);
      const r = await report(svc.serviceId);
      expect(r.time_to_restore, name).toMatchObject({ median_seconds: hours * H, incidents: 1, tier });
      // No deployments: the other keys have no tier, and the overall tier is this one.
      expect(r.overall_tier).toBe(tier);
    }
  });

  it("counts an incident's confirmed cause against the deploying service, whichever service broke", async () => {
    const t = get();
    const lib = await setup(t, 'pricing');
    const web = await setup(t, 'storefront');
    const res = await t.call('POST', '/api/v1/deployments', {
      body: {
        service_id: lib.serviceId,
        environment: 'production',
        commit_sha: sha('a'),
        status: 'success',
        finished_at: '2026-03-02T10:00:00Z',
      },
    });
    expect(res.status).toBe(201);
    const d1 = res.json.id as string;
    // The storefront breaks (30 min to mitigation); a responder names the pricing deployment.
    const incident = await pastIncident(t, web.serviceId, [
      ['2026-03-03T00:00:00.000Z', 'declare'],
      ['2026-03-03T00:30:00.000Z', 'mitigate'],
    ]);
    const before = await t.call('GET', `/api/v1/incidents/${incident.id}/suspected-deployment`);
    expect(before.json).toEqual({
      incident_id: incident.id,
      suggested_deployment_id: null, // the storefront itself has not deployed
      suggested: null,
      confirmed_deployment_id: null,
      confirmed: false,
    });
    const linked = await t.call('PATCH', `/api/v1/incidents/${incident.id}`, {
      body: { caused_by_deployment_id: d1 },
    });
    expect(linked.status).toBe(200);
    const q = `from=${FROM}&to=${TO}`;
    const pricing = await t.call('GET', `/api/v1/dora?service_id=${lib.serviceId}&${q}`);
    expect(pricing.json.change_failure_rate).toMatchObject({
      value: 1,
      failed: 1,
      deployments: 1,
      tier: 'low',
    });
    expect(pricing.json.time_to_restore).toMatchObject({ median_seconds: null, incidents: 0, tier: null });
    const team = await t.call('GET', `/api/v1/dora?team_id=${lib.teamId}&${q}`);
    expect(team.json.change_failure_rate).toMatchObject({ failed: 1, deployments: 1 });
    const storefront = await t.call('GET', `/api/v1/dora?service_id=${web.serviceId}&${q}`);
    expect(storefront.json.change_failure_rate).toMatchObject({ value: null, failed: 0, deployments: 0 });
    expect(storefront.json.time_to_restore).toMatchObject({
      median_seconds: 1800,
      incidents: 1,
      tier: 'elite',
    });
    const evidence = await t.call(
      'GET',
      `/api/v1/dora/evidence?metric=change_failure_rate&service_id=${lib.serviceId}&${q}`,
    );
    expect(evidence.json.deployments).toEqual([
      expect.objectContaining({ id: d1, failed: true, failure_reasons: ['incident'] }),
    ]);
    const ttr = await t.call(
      'GET',
      `/api/v1/dora/evidence?metric=time_to_restore&service_id=${web.serviceId}&${q}`,
    );
    expect(ttr.json.incidents).toEqual([
      {
        id: incident.id,
        service_id: web.serviceId,
        triggered_at: '2026-03-03T00:00:00.000Z',
        restored_at: '2026-03-03T00:30:00.000Z',
        restore_seconds: 1800,
        caused_by_deployment_id: d1,
      },
    ]);
  });

  it('maps repositories to services: validated, scoped, least privilege, audited', async () => {
    const t = get();
    const shop = await setup(t, 'cart');
    const growth = await setup(t, 'signup');
    const manager = await t.tokenFor('manager', shop.teamId);
    const responder = await t.tokenFor('responder', shop.teamId);
    const keys = async () =>
      ((await t.call('GET', '/api/v1/repositories')).json.items as Array<{ repository_key: string }>).map(
        (m) => m.repository_key,
      );

    // A team manager maps a clone URL to their service; the key is host/owner/name.
    const mapped = await t.call('POST', '/api/v1/repositories', {
      token: manager,
      body: {
        repository_url: 'ssh://git@GitHub.com:22/Acme/Monorepo.git',
        service_id: 'cart',
        deploy_workflows: ['deploy-cart.yml'],
      },
    });
    expect(mapped.status, mapped.body).toBe(201);
    expect(mapped.json).toEqual({
      repository_key: 'github.com/acme/monorepo',
      repository_url: 'ssh://git@GitHub.com:22/Acme/Monorepo.git',
      service_id: shop.serviceId,
      deploy_workflows: ['deploy-cart.yml'],
      created_at: expect.any(String),
    });
    // Refusals change nothing: a responder (no services.write), another team's service, a URL
    // without owner/name, the same repository again, both scopes in the list query.
    const byResponder = await t.call('POST', '/api/v1/repositories', {
      token: responder,
      body: { repository_url: 'https://github.com/acme/other', service_id: shop.serviceId },
    });
    expect(byResponder.status).toBe(403);
    const elsewhere = await t.call('POST', '/api/v1/repositories', {
      token: manager,
      body: { repository_url: 'https://github.com/acme/other', service_id: growth.serviceId },
    });
    expect(elsewhere.status).toBe(403);
    const noOwner = await t.call('POST', '/api/v1/repositories', {
      body: { repository_url: 'https://github.com/acme', service_id: shop.serviceId },
    });
    expect(noOwner.status).toBe(400);
    expect(noOwner.headers['content-type']).toContain('application/problem+json');
    expect(noOwner.json).toMatchObject({
      code: 'HTTP_VALIDATION_FAILED',
      errors: [{ path: 'body.repository_url', message: 'must name a host, an owner and a repository' }],
    });
    const again = await t.call('POST', '/api/v1/repositories', {
      body: { repository_url: 'https://github.com/acme/monorepo/', service_id: growth.serviceId },
    });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({
      code: 'DORA_REPOSITORY_MAPPED',
      errors: [{ path: 'body.repository_url', message: 'already mapped' }],
    });
    const both = await t.call(
      'GET',
      `/api/v1/repositories?service_id=${shop.serviceId}&team_id=${shop.teamId}`,
    );
    expect(both.status).toBe(400);
    expect(both.json.errors).toEqual([
      { path: 'query.team_id', message: 'give service_id or team_id, not both' },
    ]);
    expect(await keys()).toEqual(['github.com/acme/monorepo']);

    // Listing by service, by team, organisation-wide; a team token sees only its team.
    await t.call('POST', '/api/v1/repositories', {
      body: { repository_url: 'https://gitlab.com/growth/signup', service_id: growth.serviceId },
    });
    const list = (q: string, token?: string) =>
      t.call('GET', `/api/v1/repositories${q}`, token ? { token } : {});
    expect((await list(`?team_id=${shop.teamId}`)).json.items).toHaveLength(1);
    expect((await list(`?team_id=${growth.teamId}`)).json.items[0].repository_key).toBe(
      'gitlab.com/growth/signup',
    );
    expect((await list(`?service_id=signup`)).json.items).toHaveLength(1);
    const viewer = await t.tokenFor('viewer', shop.teamId);
    expect((await list(`?team_id=${shop.teamId}`, viewer)).status).toBe(200);
    expect((await list(`?team_id=${growth.teamId}`, viewer)).status).toBe(403);
    expect((await list('', viewer)).status).toBe(403);

    // Removal: by key or by any URL of the repository; only a manager of the mapped service's team.
    const keyOf = encodeURIComponent('https://github.com/acme/monorepo');
    const growthManager = await t.tokenFor('manager', growth.teamId);
    expect((await t.call('DELETE', `/api/v1/repositories/${keyOf}`, { token: growthManager })).status).toBe(
      403,
    );
    expect((await t.call('DELETE', `/api/v1/repositories/${keyOf}`, { token: manager })).status).toBe(204);
    const gone = await t.call('DELETE', `/api/v1/repositories/${keyOf}`, { token: manager });
    expect(gone.status).toBe(404);
    expect(gone.json.code).toBe('DORA_REPOSITORY_NOT_FOUND');
    expect(await keys()).toEqual(['gitlab.com/growth/signup']);

    const audit = await t.call('GET', '/api/v1/audit-log?target_id=github.com%2Facme%2Fmonorepo');
    expect(
      audit.json.items.map((e: { action: string; team_id: string }) => [e.action, e.team_id]).reverse(),
    ).toEqual([
      ['dora.repository.map', shop.teamId],
      ['dora.repository.unmap', shop.teamId],
    ]);
  });
});
