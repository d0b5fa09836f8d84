import { describe, expect, it } from 'vitest';
import {
  createTestApp,
  describeEachEngine,
  ENGINES,
  type TestApp,
} from '../../../../../test-support/engines.ts';

async function auditCount(t: TestApp): Promise<number> {
  const row = await t.container.db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describeEachEngine('policy API', (get) => {
  it("starts from the handbook's defaults at version 0", async () => {
    const t = get();
    const res = await t.call('GET', '/api/v1/policy');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ version: 0, updated_at: null, updated_by: null });
    const { policy } = res.json;
    expect(policy.postmortems.deadline_hours).toBe(48);
    expect(policy.code_review.review_target_hours).toBe(24);
    expect(policy.code_review.branch_max_age_hours).toBe(24 * 7);
    expect(policy.releases.stages).toEqual(['ci', 'staging', 'canary', 'production', 'monitor']);
    expect(policy.on_call.rotation_by_team_size).toEqual([
      { min_size: 1, max_size: 3, rotation: 'informal' },
      { min_size: 4, max_size: 8, rotation: 'weekly' },
      { min_size: 9, max_size: null, rotation: 'multiple-by-service' },
    ]);
    // DORA tiers: elite deploys at least daily, restores within an hour, fails under 5% of changes.
    expect(policy.dora.deployment_frequency_per_day).toEqual({ elite: 1, high: 1 / 7, medium: 1 / 30 });
    expect(policy.dora.lead_time_hours).toEqual({ elite: 1, high: 24 * 7, medium: 24 * 30 });
    expect(policy.dora.time_to_restore_hours).toEqual({ elite: 1, high: 24, medium: 24 * 7 });
    expect(policy.dora.change_failure_rate).toEqual({ elite: 0.05, high: 0.1, medium: 0.15 });
    // The service and the API agree.
    expect(await t.container.policy.service.current()).toEqual(policy);
    // Any authenticated caller may read it.
    const viewer = await t.tokenFor('viewer');
    expect((await t.call('GET', '/api/v1/policy', { token: viewer })).json).toEqual(res.json);
  });

  it('saves an edit as the next version and audits before and after', async () => {
    const t = get();
    const current = (await t.call('GET', '/api/v1/policy')).json;
    const edited = {
      ...current.policy,
      postmortems: { ...current.policy.postmortems, deadline_hours: 72 },
      releases: { ...current.policy.releases, stages: ['ci', 'staging', 'production'] },
    };
    const put = await t.call('PUT', '/api/v1/policy', { body: { policy: edited, version: 0 } });
    expect(put.status).toBe(200);
    expect(put.json.version).toBe(1);
    expect(put.json.updated_by).toBe('token:test-admin');
    expect(put.json.updated_at).toEqual(expect.any(String));
    expect(put.json.policy.postmortems.deadline_hours).toBe(72);

    const read = await t.call('GET', '/api/v1/policy');
    expect(read.json).toEqual(put.json);
    expect((await t.container.policy.service.current()).releases.stages).toEqual([
      'ci',
      'staging',
      'production',
    ]);

    const audit = await t.call('GET', '/api/v1/audit-log?target_type=policy');
    expect(audit.json.items).toHaveLength(1);
    expect(audit.json.items[0]).toMatchObject({ action: 'policy.update', actor_type: 'token' });
    expect(audit.json.items[0].before.postmortems.deadline_hours).toBe(48);
    expect(audit.json.items[0].after.postmortems.deadline_hours).toBe(72);

    // A partial document fills omitted sections with their defaults.
    const partial = await t.call('PUT', '/api/v1/policy', {
      body: { policy: { code_review: { review_target_hours: 8 } }, version: 1 },
    });
    expect(partial.status).toBe(200);
    expect(partial.json.version).toBe(2);
    expect(partial.json.policy.code_review).toEqual({
      review_target_hours: 8,
      branch_max_age_hours: 24 * 7,
      small_pr_max_lines: 400,
    });
    expect(partial.json.policy.postmortems.deadline_hours).toBe(48);
  });

  it('refuses a stale version with 409 and keeps the newer edit', async () => {
    const t = get();
    const current = (await t.call('GET', '/api/v1/policy')).json;
    const before = await auditCount(t);
    for (const version of [0, current.version - 1, current.version + 1]) {
      const stale = await t.call('PUT', '/api/v1/policy', { body: { policy: {}, version } });
      expect(stale.status).toBe(409);
      expect(stale.json.code).toBe('POLICY_VERSION_CONFLICT');
    }
    expect((await t.call('GET', '/api/v1/policy')).json).toEqual(current);
    expect(await auditCount(t)).toBe(before);
  });

  it('rejects an invalid policy with 400 naming the field, and writes nothing', async () => {
    const t = get();
    const current = (await t.call('GET', '/api/v1/policy')).json;
    const before = await auditCount(t);
    const cases: Array<[unknown, string]> = [
      [{ postmortems: { deadline_hours: -1 } }, 'body.policy.postmortems.deadline_hours'],
      [{ code_review: { review_target_hours: 'soon' } }, 'body.policy.code_review.review_target_hours'],
      [{ surprise: true }, 'body.policy.surprise'],
      [
        { dora: { change_failure_rate: { elite: 1.5, high: 0.1, medium: 0.15 } } },
        'body.policy.dora.change_failure_rate.elite',
      ],
      [{ releases: { stages: [] } }, 'body.policy.releases.stages'],
      [{ on_call: { max_pages_per_shift: 1.5 } }, 'body.policy.on_call.max_pages_per_shift'],
      // Tiers out of order: a "high" lead time shorter than the elite one.
      [
        { dora: { lead_time_hours: { elite: 48, high: 24, medium: 720 } } },
        'body.policy.dora.lead_time_hours.high',
      ],
      [
        { dora: { deployment_frequency_per_day: { elite: 0.1, high: 1, medium: 0.01 } } },
        'body.policy.dora.deployment_frequency_per_day.high',
      ],
      [
        { on_call: { rotation_by_team_size: [{ min_size: 5, max_size: 2, rotation: 'weekly' }] } },
        'body.policy.on_call.rotation_by_team_size.0.max_size',
      ],
      [
        { on_call: { off_hours: { weekday_start: '24:00', weekday_end: '18:00' } } },
        'body.policy.on_call.off_hours.weekday_start',
      ],
      [{ releases: { stages: ['ci', 'production', 'ci'] } }, 'body.policy.releases.stages'],
    ];
    for (const [policy, path] of cases) {
      const res = await t.call('PUT', '/api/v1/policy', { body: { policy, version: current.version } });
      expect(res.status, JSON.stringify(policy)).toBe(400);
      expect(res.json.code).toBe('HTTP_VALIDATION_FAILED');
      expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    const noVersion = await t.call('PUT', '/api/v1/policy', { body: { policy: {} } });
    expect(noVersion.status).toBe(400);
    expect(noVersion.json.errors.map((e: { path: string }) => e.path)).toEqual(['body.version']);

    expect((await t.call('GET', '/api/v1/policy')).json).toEqual(current);
    expect(await auditCount(t)).toBe(before);
  });

  it('lets only admins edit it', async () => {
    const t = get();
    const current = (await t.call('GET', '/api/v1/policy')).json;
    const before = await auditCount(t);
    for (const role of ['viewer', 'responder', 'manager'] as const) {
      const token = await t.tokenFor(role);
      const res = await t.call('PUT', '/api/v1/policy', {
        token,
        body: { policy: current.policy, version: current.version },
      });
      expect(res.status, role).toBe(403);
      expect(res.json.code).toBe('AUTH_FORBIDDEN');
    }
    const anonymous = await t.call('PUT', '/api/v1/policy', {
      token: null,
      body: { policy: current.policy, version: current.version },
    });
    expect(anonymous.status).toBe(401);
    const reads = await t.call('GET', '/api/v1/policy', { token: null });
    expect(reads.status).toBe(401);
    // The tokens above were created through the service (audited); the refused PUTs wrote nothing.
    expect((await t.call('GET', '/api/v1/policy')).json).toEqual(current);
    const audit = await t.call('GET', '/api/v1/audit-log?target_type=policy&limit=200');
    expect(audit.json.items).toHaveLength(current.version);
    expect(await auditCount(t)).toBe(before + 3);
  });
});

// Apps of their own run after the shared ones: one live PostgreSQL schema per process at a time.
for (const engine of ENGINES) {
  describe(`policy API with a fresh database [${engine}]`, () => {
    it('lets exactly one of several concurrent first edits win', async () => {
      const t = await createTestApp(engine);
      try {
        const results = await Promise.all(
          [24, 36, 48, 60].map((hours) =>
            t.call('PUT', '/api/v1/policy', {
              body: { policy: { postmortems: { deadline_hours: hours } }, version: 0 },
            }),
          ),
        );
        const statuses = results.map((r) => r.status).sort();
        expect(statuses).toEqual([200, 409, 409, 409]);
        for (const r of results.filter((x) => x.status === 409)) {
          expect(r.json.code).toBe('POLICY_VERSION_CONFLICT');
        }
        const winner = results.find((r) => r.status === 200)!;
        const read = await t.call('GET', '/api/v1/policy');
        expect(read.json.version).toBe(1);
        expect(read.json.policy).toEqual(winner.json.policy);
        const audit = await t.call('GET', '/api/v1/audit-log?target_type=policy');
        expect(audit.json.items).toHaveLength(1);
      } finally {
        await t.close();
      }
    });
  });
}
