import { beforeAll, expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';

const SHA = 'abcdef1234567890abcdef1234567890abcdef12';

async function makeTeamAndService(t: TestApp, name: string) {
  const team = await t.call('POST', '/api/v1/teams', { body: { name: `Team ${name}`, time_zone: 'UTC' } });
  expect(team.status).toBe(201);
  const service = await t.call('POST', '/api/v1/services', { body: { name, team_id: team.json.id } });
  expect(service.status).toBe(201);
  return { teamId: team.json.id as string, serviceId: service.json.id as string };
}

async function auditActions(t: TestApp, targetId: string): Promise<string[]> {
  const rows = await t.container.db
    .selectFrom('audit_log')
    .select('action')
    .where('target_id', '=', targetId)
    .orderBy('at')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.action);
}

describeEachEngine('releases: pipelines, stage order, DORA', (get) => {
  let teamId: string;
  let serviceId: string;

  beforeAll(async () => {
    ({ teamId, serviceId } = await makeTeamAndService(get(), 'checkout'));
  });

  const stage = (t: TestApp, id: string, name: string, body: unknown, token?: string) =>
    t.call('POST', `/api/v1/releases/${id}/stages/${name}`, { body, ...(token ? { token } : {}) });

  it("lists the handbook's five stages as the default pipeline, with their gates", async () => {
    const t = get();
    const res = await t.call('GET', `/api/v1/pipelines?team_id=${teamId}`);
    expect(res.status).toBe(200);
    expect(res.json.items[0]).toMatchObject({ id: 'default', team_id: null, default: true });
    expect(res.json.items[0].stages).toEqual([
      { name: 'ci', kind: 'ci', required: true, approvals: 0, freeze: false, no_open_incidents: false },
      {
        name: 'staging',
        kind: 'staging',
        required: true,
        approvals: 0,
        freeze: false,
        no_open_incidents: false,
      },
      {
        name: 'canary',
        kind: 'canary',
        required: true,
        approvals: 0,
        freeze: false,
        no_open_incidents: true,
      },
      {
        name: 'production',
        kind: 'production',
        required: true,
        approvals: 0,
        freeze: true,
        no_open_incidents: true,
      },
      {
        name: 'monitor',
        kind: 'monitor',
        required: true,
        approvals: 0,
        freeze: false,
        no_open_incidents: false,
      },
    ]);
  });

  it('creates a release idempotently and refuses the same version with another commit', async () => {
    const t = get();
    const body = { service_id: serviceId, version: 'v1.0.0', commit_sha: SHA.toUpperCase() };
    const first = await t.call('POST', '/api/v1/releases', { body });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({
      service_id: serviceId,
      team_id: teamId,
      version: 'v1.0.0',
      commit_sha: SHA,
      pipeline_id: 'default',
      status: 'in_progress',
      current_stage: null,
      judgement: null,
    });
    expect(first.json.stages.map((s: { name: string; status: string }) => `${s.name}:${s.status}`)).toEqual([
      'ci:pending',
      'staging:pending',
      'canary:pending',
      'production:pending',
      'monitor:pending',
    ]);
    const again = await t.call('POST', '/api/v1/releases', { body });
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(first.json.id);
    const other = await t.call('POST', '/api/v1/releases', { body: { ...body, commit_sha: 'beef0001' } });
    expect(other.status).toBe(409);
    expect(other.json.code).toBe('RELEASES_VERSION_EXISTS');
    expect(other.json.errors[0].path).toBe('body.commit_sha');
    const list = await t.call('GET', `/api/v1/releases?service_id=${serviceId}`);
    expect(list.json.items.map((r: { id: string }) => r.id)).toEqual([first.json.id]);
  });

  it('refuses stages out of order with 409 and a reason, changing nothing', async () => {
    const t = get();
    const rel = await t.call('POST', '/api/v1/releases', {
      body: { service_id: serviceId, version: 'v1.1.0', commit_sha: SHA },
    });
    const id = rel.json.id;
    const before = await t.call('GET', `/api/v1/releases/${id}`);
    const timelineBefore = await t.call('GET', `/api/v1/releases/${id}/timeline`);

    const skip = await stage(t, id, 'production', { status: 'started' });
    expect(skip.status).toBe(409);
    expect(String(skip.headers['content-type'])).toMatch(/^application\/problem\+json/);
    expect(skip.json.code).toBe('RELEASES_STAGE_OUT_OF_ORDER');
    expect(skip.json.detail).toBe('Stage production needs ci to succeed first (ci is pending).');
    expect(skip.json.errors.map((e: { path: string }) => e.path)).toEqual([
      'stages.ci',
      'stages.staging',
      'stages.canary',
    ]);
    const unknown = await stage(t, id, 'qa', { status: 'started' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('RELEASES_STAGE_NOT_FOUND');
    const bad = await stage(t, id, 'ci', { status: 'done' });
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].path).toBe('body.status');
    expect((await t.call('GET', `/api/v1/releases/${id}`)).json).toEqual(before.json);
    expect((await t.call('GET', `/api/v1/releases/${id}/timeline`)).json).toEqual(timelineBefore.json);

    // In order: ci started then succeeded, staging straight to succeeded.
    expect((await stage(t, id, 'ci', { status: 'started' })).json.stages[0].status).toBe('started');
    const ci = await stage(t, id, 'ci', {
      status: 'succeeded',
      details: { build: 'https://ci.example.test/1' },
    });
    expect(ci.status).toBe(200);
    expect(ci.json.stages[0]).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(ci.json.current_stage).toBe('ci');
    // A succeeded stage is final.
    const restart = await stage(t, id, 'ci', { status: 'started' });
    expect(restart.status).toBe(409);
    expect(restart.json.code).toBe('RELEASES_INVALID_STAGE_TRANSITION');
    // Staging fails, then a retry succeeds (two attempts); the release is failed in between.
    const failed = await stage(t, id, 'staging', { status: 'failed' });
    expect(failed.json.status).toBe('failed');
    const retried = await stage(t, id, 'staging', { status: 'started' });
    expect(retried.json.status).toBe('in_progress');
    const staged = await stage(t, id, 'staging', { status: 'succeeded' });
    expect(staged.json.stages[1]).toMatchObject({ status: 'succeeded', attempts: 2 });
    // Production still needs the canary.
    const early = await stage(t, id, 'production', { status: 'succeeded' });
    expect(early.json.code).toBe('RELEASES_STAGE_OUT_OF_ORDER');
    expect(early.json.detail).toMatch(/needs canary to succeed first \(canary is pending\)/);
    // Going back to ci once staging began is refused too.
    const timeline = await t.call('GET', `/api/v1/releases/${id}/timeline`);
    expect(
      timeline.json.items.map((e: { kind: string; stage: string; status: string }) => [
        e.kind,
        e.stage,
        e.status,
      ]),
    ).toEqual([
      ['created', null, null],
      ['stage', 'ci', 'started'],
      ['stage', 'ci', 'succeeded'],
      ['stage', 'staging', 'failed'],
      ['stage', 'staging', 'started'],
      ['stage', 'staging', 'succeeded'],
    ]);
    expect(timeline.json.items[2].details).toEqual({ build: 'https://ci.example.test/1' });
  });

  it("confines tokens to their team's releases and their role", async () => {
    const t = get();
    const rel = await t.call('POST', '/api/v1/releases', {
      body: { service_id: serviceId, version: 'v1.3.0', commit_sha: SHA },
    });
    const id = rel.json.id;
    const other = await makeTeamAndService(t, 'elsewhere');
    const outsider = await t.tokenFor('responder', other.teamId);
    const viewer = await t.tokenFor('viewer', teamId);
    const responder = await t.tokenFor('responder', teamId);
    expect((await t.call('GET', `/api/v1/releases/${id}`, { token: viewer })).status).toBe(200);
    expect((await t.call('GET', `/api/v1/releases/${id}`, { token: outsider })).status).toBe(403);
    for (const token of [viewer, outsider]) {
      const res = await stage(t, id, 'ci', { status: 'started' }, token);
      expect(res.status).toBe(403);
      expect(res.json.code).toBe('AUTH_FORBIDDEN');
    }
    const created = await t.call('POST', '/api/v1/releases', {
      token: outsider,
      body: { service_id: serviceId, version: 'v9.9.9', commit_sha: SHA },
    });
    expect(created.status).toBe(403);
    // Settings need a manager; a responder may report stages.
    const put = await t.call('PUT', `/api/v1/release-settings/${serviceId}`, { token: responder, body: {} });
    expect(put.status).toBe(403);
    expect((await stage(t, id, 'ci', { status: 'started' }, responder)).status).toBe(200);
    // The outsider's list shows only their own team's releases.
    const list = await t.call('GET', '/api/v1/releases', { token: outsider });
    expect(list.json.items).toEqual([]);
    expect(await auditActions(t, id)).toEqual(['release.create', 'release.stage.started']);
  });

  it('lets only an admin override the order, with a reason, audited in the same change', async () => {
    const t = get();
    const rel = await t.call('POST', '/api/v1/releases', {
      body: { service_id: serviceId, version: 'v1.2.0', commit_sha: SHA },
    });
    const id = rel.json.id;
    const responder = await t.tokenFor('responder', teamId);
    const override = { status: 'started', override: { reason: 'hotfix for the payment outage' } };
    const refused = await stage(t, id, 'canary', override, responder);
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe('AUTH_FORBIDDEN');
    expect((await t.call('GET', `/api/v1/releases/${id}`)).json.stages[0].status).toBe('pending');

    const done = await stage(t, id, 'canary', override);
    expect(done.status).toBe(200);
    expect(done.json.stages.map((s: { status: string }) => s.status)).toEqual([
      'skipped',
      'skipped',
      'started',
      'pending',
      'pending',
    ]);
    expect(await auditActions(t, id)).toEqual([
      'release.create',
      'release.override',
      'release.stage.started',
    ]);
    const timeline = await t.call('GET', `/api/v1/releases/${id}/timeline`);
    const entry = timeline.json.items.find((e: { kind: string }) => e.kind === 'override');
    expect(entry).toMatchObject({
      stage: 'canary',
      details: { reason: 'hotfix for the payment outage', skipped: ['ci', 'staging'], gates: [] },
    });
  });

  it('turns the production stage into exactly one DORA deployment, and a rollback into a rollback deployment feeding CFR', async () => {
    const t = get();
    const { serviceId: svc } = await makeTeamAndService(t, 'payments');
    const committedAt = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const rel = await t.call('POST', '/api/v1/releases', {
      body: {
        service_id: svc,
        version: '2.0.0',
        commit_sha: SHA,
        commits: [{ sha: SHA, committed_at: committedAt, message: 'Pay with wallets' }],
      },
    });
    const id = rel.json.id;
    for (const name of ['ci', 'staging', 'canary'])
      expect((await stage(t, id, name, { status: 'succeeded' })).status).toBe(200);
    expect((await stage(t, id, 'production', { status: 'started' })).status).toBe(200);
    const prod = await stage(t, id, 'production', { status: 'succeeded' });
    expect(prod.status).toBe(200);
    expect(prod.json.deployment_id).toEqual(expect.any(String));
    expect(prod.json.stages[4]).toMatchObject({ name: 'monitor', status: 'started' });
    expect(prod.json.current_stage).toBe('monitor');
    // 30 minutes by default.
    expect(Date.parse(prod.json.monitor_until) - Date.parse(prod.json.stages[3].finished_at)).toBe(
      30 * 60_000,
    );
    // CI retries the same event: still one deployment.
    const repeat = await stage(t, id, 'production', { status: 'succeeded' });
    expect(repeat.status).toBe(200);
    expect(repeat.json.deployment_id).toBe(prod.json.deployment_id);
    const deployments = await t.call('GET', `/api/v1/deployments?service_id=${svc}`);
    expect(deployments.json.items).toHaveLength(1);
    expect(deployments.json.items[0]).toMatchObject({
      id: prod.json.deployment_id,
      environment: 'production',
      version: '2.0.0',
      commit_sha: SHA,
      status: 'success',
      kind: 'normal',
      external_id: `release:${id}:production:1`,
      finished_at: prod.json.stages[3].finished_at,
      started_at: prod.json.stages[3].started_at,
      commit_count: 1,
    });
    const before = await t.call('GET', `/api/v1/dora?service_id=${svc}`);
    expect(before.json.change_failure_rate).toMatchObject({ value: 0, failed: 0, deployments: 1 });
    // The release's commit gives the deployment its lead time: commit to production finish.
    expect(before.json.lead_time).toMatchObject({
      changes: 1,
      median_seconds: (Date.parse(prod.json.stages[3].finished_at) - Date.parse(committedAt)) / 1000,
    });

    const tooShort = await t.call('POST', `/api/v1/releases/${id}/rollback`, { body: { reason: '' } });
    expect(tooShort.status).toBe(400);
    expect(tooShort.json.errors[0].path).toBe('body.reason');
    const rb = await t.call('POST', `/api/v1/releases/${id}/rollback`, {
      body: { reason: 'error rate doubled' },
    });
    expect(rb.status).toBe(202);
    expect(rb.json).toMatchObject({ status: 'harmful', harmful_reason: 'error rate doubled' });
    expect(await t.container.worker.drain()).toBeGreaterThanOrEqual(1);
    const after = await t.call('GET', `/api/v1/releases/${id}`);
    expect(after.json.status).toBe('rolled_back');
    const all = await t.call('GET', `/api/v1/deployments?service_id=${svc}`);
    expect(all.json.items).toHaveLength(2);
    const rollback = all.json.items.find((d: { kind: string }) => d.kind === 'rollback');
    expect(rollback).toMatchObject({
      id: after.json.rollback_deployment_id,
      rollback_of: prod.json.deployment_id,
      status: 'success',
      external_id: `release:${id}:rollback`,
    });
    // One of two production deployments failed (it was rolled back): CFR 1/2, rework 1/2.
    const dora = await t.call('GET', `/api/v1/dora?service_id=${svc}`);
    expect(dora.json.change_failure_rate).toMatchObject({ value: 0.5, failed: 1, deployments: 2 });
    expect(dora.json.rework_rate).toMatchObject({ value: 0.5, reworked: 1, deployments: 2 });
    // A rolled-back release is closed.
    const closed = await stage(t, id, 'monitor', { status: 'succeeded' });
    expect(closed.status).toBe(409);
    expect(closed.json.code).toBe('RELEASES_RELEASE_CLOSED');
    const again = await t.call('POST', `/api/v1/releases/${id}/rollback`, { body: { reason: 'twice' } });
    expect(again.json.code).toBe('RELEASES_RELEASE_CLOSED');
    expect((await t.call('GET', `/api/v1/deployments?service_id=${svc}`)).json.items).toHaveLength(2);
    const timeline = await t.call('GET', `/api/v1/releases/${id}/timeline`);
    expect(timeline.json.items.slice(-2).map((e: { kind: string }) => e.kind)).toEqual(['harm', 'rollback']);
  });

  it('records a failed production attempt as a failed deployment, and the retry as another', async () => {
    const t = get();
    const { serviceId: svc } = await makeTeamAndService(t, 'search');
    const rel = await t.call('POST', '/api/v1/releases', {
      body: { service_id: svc, version: '3.1', commit_sha: SHA },
    });
    const id = rel.json.id;
    for (const name of ['ci', 'staging', 'canary']) await stage(t, id, name, { status: 'succeeded' });
    await stage(t, id, 'production', { status: 'failed' });
    const ok = await stage(t, id, 'production', { status: 'succeeded' });
    expect(ok.json.stages[3]).toMatchObject({ status: 'succeeded', attempts: 2 });
    const deployments = await t.call('GET', `/api/v1/deployments?service_id=${svc}`);
    expect(
      deployments.json.items
        .map((d: { status: string; external_id: string }) => [d.status, d.external_id])
        .sort(),
    ).toEqual([
      ['failure', `release:${id}:production:1`],
      ['success', `release:${id}:production:2`],
    ]);
  });

  it('takes custom pipelines per team and validates them', async () => {
    const t = get();
    const bad = await t.call('POST', '/api/v1/pipelines', {
      body: {
        team_id: teamId,
        name: 'broken',
        stages: [{ name: 'build' }, { name: 'build' }, { name: 'monitor' }],
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: { path: string }) => e.path)).toEqual([
      'body.stages.1.name',
      'body.stages.2',
    ]);
    const manager = await t.tokenFor('manager', teamId);
    const created = await t.call('POST', '/api/v1/pipelines', {
      token: manager,
      body: {
        team_id: teamId,
        name: 'lean',
        stages: [
          { name: 'build', kind: 'ci' },
          { name: 'smoke', required: false },
          { name: 'production', approvals: 1 },
        ],
      },
    });
    expect(created.status).toBe(201);
    expect(created.json.stages).toEqual([
      { name: 'build', kind: 'ci', required: true, approvals: 0, freeze: false, no_open_incidents: false },
      {
        name: 'smoke',
        kind: 'custom',
        required: false,
        approvals: 0,
        freeze: false,
        no_open_incidents: false,
      },
      {
        name: 'production',
        kind: 'production',
        required: true,
        approvals: 1,
        freeze: true,
        no_open_incidents: true,
      },
    ]);
    const dup = await t.call('POST', '/api/v1/pipelines', {
      body: { team_id: teamId, name: 'lean', stages: [{ name: 'ci' }] },
    });
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe('RELEASES_PIPELINE_NAME_TAKEN');
    // The team's default pipeline now applies to new releases of its services.
    const rel = await t.call('POST', '/api/v1/releases', {
      body: { service_id: serviceId, version: 'v5', commit_sha: SHA },
    });
    expect(rel.json.pipeline_id).toBe(created.json.id);
    expect(rel.json.stages.map((s: { name: string }) => s.name)).toEqual(['build', 'smoke', 'production']);
    const id = rel.json.id;
    await stage(t, id, 'build', { status: 'succeeded' });
    // The optional smoke stage may be left out; the production approval gate is closed.
    const gated = await stage(t, id, 'production', { status: 'started' });
    expect(gated.status).toBe(409);
    expect(gated.json.code).toBe('RELEASES_GATE_BLOCKED');
    expect(gated.json.errors).toEqual([
      { path: 'gate.approvals', message: 'stage production needs 1 approval(s), has 0' },
    ]);
    // Whoever created the release cannot approve it; someone else can, once.
    const self = await t.call('POST', `/api/v1/releases/${id}/approvals`, { body: { stage: 'production' } });
    expect(self.status).toBe(409);
    expect(self.json.code).toBe('RELEASES_SELF_APPROVAL');
    const reviewer = await t.tokenFor('responder', teamId);
    const approved = await t.call('POST', `/api/v1/releases/${id}/approvals`, {
      token: reviewer,
      body: { stage: 'production', comment: 'looks good' },
    });
    expect(approved.status).toBe(200);
    expect(approved.json.stages[2]).toMatchObject({ approvals: 1, approvals_given: 1 });
    const twice = await t.call('POST', `/api/v1/releases/${id}/approvals`, {
      token: reviewer,
      body: { stage: 'production' },
    });
    expect(twice.json.stages[2].approvals_given).toBe(1);
    const go = await stage(t, id, 'production', { status: 'succeeded' });
    expect(go.status).toBe(200);
    // No monitor stage in this pipeline: the release is released at once.
    expect(go.json.status).toBe('released');
    expect(go.json.monitor_until).toBeNull();
  });

  it('closes the freeze gate inside a freeze window and the incident gate on an open SEV1/SEV2', async () => {
    const t = get();
    const { teamId: team, serviceId: svc } = await makeTeamAndService(t, 'ledger');
    const rel = await t.call('POST', '/api/v1/releases', {
      body: { service_id: svc, version: '9.0', commit_sha: SHA },
    });
    const id = rel.json.id;
    for (const name of ['ci', 'staging']) await stage(t, id, name, { status: 'succeeded' });

    const incident = await t.call('POST', '/api/v1/incidents', {
      body: { service_id: svc, title: 'Ledger writes failing', severity: 'SEV2' },
    });
    expect(incident.status).toBe(201);
    const minor = await t.call('POST', '/api/v1/incidents', {
      body: { service_id: svc, title: 'Slow report', severity: 'SEV3' },
    });
    expect(minor.status).toBe(201);
    const blocked = await stage(t, id, 'canary', { status: 'started' });
    expect(blocked.status).toBe(409);
    expect(blocked.json.code).toBe('RELEASES_GATE_BLOCKED');
    expect(blocked.json.errors).toEqual([
      {
        path: 'gate.incidents',
        message: `SEV2 incident #${incident.json.number} (Ledger writes failing) is open on ledger`,
      },
    ]);
    expect((await t.call('POST', `/api/v1/incidents/${incident.json.id}/resolve`)).status).toBe(200);
    expect((await stage(t, id, 'canary', { status: 'succeeded' })).status).toBe(200);

    const now = Date.now();
    const freeze = await t.call('POST', '/api/v1/freezes', {
      body: {
        team_id: team,
        starts_at: new Date(now - 3_600_000).toISOString(),
        ends_at: new Date(now + 3_600_000).toISOString(),
        reason: 'quarter close',
      },
    });
    expect(freeze.status).toBe(201);
    const badFreeze = await t.call('POST', '/api/v1/freezes', {
      body: {
        team_id: team,
        starts_at: '2030-01-02T00:00:00Z',
        ends_at: '2030-01-01T00:00:00Z',
        reason: 'x',
      },
    });
    expect(badFreeze.status).toBe(400);
    expect(badFreeze.json.errors[0].path).toBe('body.ends_at');
    // An org-wide freeze needs an admin; a team manager may freeze their own team.
    const manager = await t.tokenFor('manager', team);
    const orgWide = await t.call('POST', '/api/v1/freezes', {
      token: manager,
      body: {
        team_id: null,
        starts_at: '2030-01-01T00:00:00Z',
        ends_at: '2030-01-02T00:00:00Z',
        reason: 'x',
      },
    });
    expect(orgWide.status).toBe(403);

    const frozen = await stage(t, id, 'production', { status: 'started' });
    expect(frozen.json.code).toBe('RELEASES_GATE_BLOCKED');
    expect(frozen.json.errors).toEqual([
      {
        path: 'gate.freeze',
        message: `freeze ${freeze.json.id} (quarter close) runs until ${freeze.json.ends_at}`,
      },
    ]);
    const calendar = await t.call('GET', `/api/v1/freezes?team_id=${team}`);
    expect(calendar.json.items.map((f: { id: string }) => f.id)).toEqual([freeze.json.id]);
    expect((await t.call('DELETE', `/api/v1/freezes/${freeze.json.id}`, { token: manager })).status).toBe(
      204,
    );
    expect(await auditActions(t, freeze.json.id)).toEqual(['freeze.create', 'freeze.delete']);
    expect((await stage(t, id, 'production', { status: 'started' })).status).toBe(200);
  });

  it('judges the canary from pushed samples and keeps the latest judgement on the release', async () => {
    const t = get();
    const { serviceId: svc } = await makeTeamAndService(t, 'gateway');
    const settings = await t.call('PUT', `/api/v1/release-settings/${svc}`, {
      body: {
        metrics: [
          { metric: 'latency_ms', direction: 'increase', tolerance: 0.1, weight: 2, group: 'latency' },
          { metric: 'error_rate', direction: 'increase', tolerance: 0.2, critical: true, group: 'errors' },
          { metric: 'cpu', group: 'saturation' },
        ],
      },
    });
    expect(settings.status).toBe(200);
    expect(settings.json.metrics[2]).toEqual({
      metric: 'cpu',
      direction: 'increase',
      tolerance: 0.1,
      critical: false,
      weight: 1,
      group: 'saturation',
    });
    const rel = await t.call('POST', '/api/v1/releases', {
      body: { service_id: svc, version: '1.0', commit_sha: SHA },
    });
    const id = rel.json.id;
    const push = (group: string, metric: string, values: number[]) =>
      t.call('POST', `/api/v1/releases/${id}/metrics`, { body: { group, metric, values } });
    // Latency: U = 141 of 144, p = 7.576e-5, median +19.7% (beyond 10%): high.
    expect((await push('canary', 'latency_ms', [105, 110, 120, 118, 130, 125])).status).toBe(201);
    const pushed = await push('canary', 'latency_ms', [122, 119, 140, 135, 128, 121]);
    expect(pushed.json).toEqual({ metric: 'latency_ms', group: 'canary', count: 12 });
    await push('baseline', 'latency_ms', [100, 102, 98, 105, 110, 101, 99, 104, 103, 100, 106, 97]);
    // Errors: interleaved, U = 10, p = 0.690476: pass. CPU: no baseline: nodata.
    await push('canary', 'error_rate', [1, 3, 5, 7, 9]);
    await push('baseline', 'error_rate', [2, 4, 6, 8, 10]);
    await push('canary', 'cpu', [50, 51, 52, 53, 54]);
    const bad = await push('canary', 'cpu', [1, Number.NaN]);
    expect(bad.status).toBe(400);

    const judged = await t.call('POST', `/api/v1/releases/${id}/judge`);
    expect(judged.status).toBe(200);
    // Weighted: error_rate (1) passes of latency (2) + error_rate (1) + cpu (1) -> 100 * 1/4 = 25.
    expect(judged.json.score).toBe(25);
    expect(judged.json.verdict).toBe('rollback');
    expect(judged.json.thresholds).toEqual({ promote: 90, hold: 75, confidence: 0.95 });
    const by = Object.fromEntries(judged.json.metrics.map((m: { metric: string }) => [m.metric, m]));
    expect(by.latency_ms).toMatchObject({ classification: 'high', u: 141, method: 'normal' });
    expect(by.latency_ms.p_value / 7.576012372791538e-5).toBeCloseTo(1, 5);
    expect(by.error_rate).toMatchObject({ classification: 'pass', u: 10, method: 'exact' });
    expect(by.error_rate.p_value).toBeCloseTo(0.6904761905, 9);
    expect(by.cpu).toMatchObject({ classification: 'nodata', u: null, p_value: null, canary_count: 5 });
    const release = await t.call('GET', `/api/v1/releases/${id}`);
    expect(release.json.judgement).toEqual(judged.json);
    const series = await t.call('GET', `/api/v1/releases/${id}/metrics`);
    expect(series.json.metrics.map((m: { metric: string }) => m.metric)).toEqual([
      'cpu',
      'error_rate',
      'latency_ms',
    ]);
    expect(series.json.metrics[2].canary).toHaveLength(12);

    // A policy with looser thresholds changes the verdict of the same score.
    const doc = await t.call('GET', '/api/v1/policy');
    const policy = structuredClone(doc.json.policy);
    policy.releases.promote_score = 20;
    policy.releases.hold_score = 10;
    expect(
      (await t.call('PUT', '/api/v1/policy', { body: { policy, version: doc.json.version } })).status,
    ).toBe(200);
    const loose = await t.call('POST', `/api/v1/releases/${id}/judge`);
    expect(loose.json.verdict).toBe('promote');
    policy.releases.promote_score = 90;
    policy.releases.hold_score = 75;
    await t.call('PUT', '/api/v1/policy', { body: { policy, version: doc.json.version + 1 } });
    const timeline = await t.call('GET', `/api/v1/releases/${id}/timeline`);
    expect(
      timeline.json.items
        .filter((e: { kind: string }) => e.kind === 'judgement')
        .map((e: { status: string }) => e.status),
    ).toEqual(['rollback', 'promote']);
  });
});
