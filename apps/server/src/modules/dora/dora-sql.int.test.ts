import { expect, it } from 'vitest';
import { describeEachEngine, type TestApp } from '../../../../../test-support/engines.ts';
import { backfillDoraChanges } from '../../db/migrations/0008-dora-changes.ts';
import { computeDora, type IncidentRecord, type Window } from './dora-metrics.ts';
import { createDoraRepository } from './kysely-dora-repository.ts';

/**
 * The SQL aggregation behind GET /api/v1/dora (counts in SQL, lead-time ranks from the stored
 * per-commit first deployment) against the pure reference computeDora, fed with every raw row
 * the old way (deployments and deployment_commits joined to commits). A seeded generator records
 * deployments out of order (so a later-recorded, earlier-finished deployment takes a commit over),
 * re-ships commits, learns commit times after the deployments (a staging deployment carrying them),
 * rolls back, fails, hotfixes and names deployments as incident causes.
 */

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;
const BASE = Date.parse('2026-03-01T00:00:00.000Z');
const at = (ms: number) => new Date(ms).toISOString();

async function reference(t: TestApp, serviceIds: string[], window: Window) {
  const repo = createDoraRepository();
  const filter = { serviceIds, environment: 'production', ...window };
  const deployments = await repo.windowDeployments(t.container.db, filter);
  const changes = await repo.windowChanges(t.container.db, filter);
  const incidents = await t.container.db
    .selectFrom('incidents')
    .select(['id', 'service_id', 'triggered_at', 'mitigated_at', 'resolved_at', 'caused_by_deployment_id'])
    .where('service_id', 'in', serviceIds)
    .execute();
  return computeDora({
    window,
    deployments: deployments.map((d) => ({
      ...d,
      status: d.status as 'success' | 'failure',
      kind: d.kind as 'normal' | 'rollback' | 'hotfix',
    })),
    changes,
    incidents: incidents as IncidentRecord[],
  });
}

describeEachEngine('DORA SQL aggregation', (get) => {
  it('gives exactly what the pure definitions give on generated histories, for every window', async () => {
    const t = get();
    const random = rng(20261128);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Gen', time_zone: 'UTC' } });
    const serviceIds: string[] = [];
    for (const name of ['gen-api', 'gen-web']) {
      const svc = await t.call('POST', '/api/v1/services', {
        body: { name, team_id: team.json.id, tier: 'tier-2' },
      });
      serviceIds.push(svc.json.id as string);
    }
    // Per service, 40 commits with times over 40 days; some become known only later.
    const commits = serviceIds.map((_, s) =>
      Array.from({ length: 40 }, (_, i) => ({
        sha: `${s + 1}${i.toString(16).padStart(3, '0')}`.padEnd(12, 'c'),
        committed_at: at(BASE - 5 * DAY + i * DAY + Math.floor(random() * 20) * 3_600_000 + 1234 * i),
      })),
    );
    const plan: Array<{ service: number; body: Record<string, unknown> }> = [];
    for (let i = 0; i < 70; i++) {
      const service = i % 2;
      const finished = BASE - 3 * DAY + Math.floor(random() * 35 * DAY);
      const shipped = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(commits[service]!));
      const head = shipped[0]!;
      const known = random() < 0.7;
      plan.push({
        service,
        body: {
          service_id: serviceIds[service],
          environment: random() < 0.85 ? 'production' : 'staging',
          commit_sha: head.sha,
          status: random() < 0.15 ? 'failure' : 'success',
          finished_at: at(finished),
          kind: random() < 0.1 ? 'hotfix' : 'normal',
          ...(known ? { commits: shipped } : {}),
        },
      });
    }
    const ids: string[][] = [[], []];
    for (const { service, body } of plan) {
      const previous = ids[service]!;
      if (previous.length && random() < 0.12) {
        body.kind = 'rollback';
        body.rollback_of = pick(previous);
      }
      const res = await t.call('POST', '/api/v1/deployments', { body });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      previous.push(res.json.id as string);
    }
    // Commit times learnt afterwards: a staging deployment carries every commit of each service.
    for (const [s, list] of commits.entries()) {
      const res = await t.call('POST', '/api/v1/deployments', {
        body: {
          service_id: serviceIds[s],
          environment: 'staging',
          commit_sha: list[0]!.sha,
          status: 'failure',
          finished_at: at(BASE + 60 * DAY),
          commits: list,
        },
      });
      expect(res.status).toBe(201);
    }
    // Incidents, some naming a deployment as cause, some never mitigated, one still open.
    const incidents = Array.from({ length: 12 }, (_, i) => {
      const triggered = BASE - DAY + Math.floor(random() * 30 * DAY);
      const s = i % 2;
      return {
        service_id: serviceIds[s],
        title: `Generated ${i}`,
        severity: 'SEV2',
        triggered_at: at(triggered),
        ...(i % 3 !== 0 ? { mitigated_at: at(triggered + 600_000 * (1 + i)) } : {}),
        ...(i !== 4 ? { resolved_at: at(triggered + 3_600_000 * (1 + i)) } : {}),
        ...(i % 2 === 0 ? { caused_by_deployment_id: pick(ids[s]!) } : {}),
        external_id: `GEN-${i}`,
      };
    });
    const imported = await t.call('POST', '/api/v1/incidents/import', { body: { incidents } });
    expect(imported.json.created, JSON.stringify(imported.json)).toBe(12);

    const windows: Window[] = [
      { from: at(BASE), to: at(BASE + 30 * DAY) },
      { from: at(BASE + 7 * DAY), to: at(BASE + 14 * DAY) },
      { from: at(BASE - 10 * DAY), to: at(BASE + 40 * DAY) },
      { from: at(BASE + 3 * DAY + 12 * 3_600_000), to: at(BASE + 4 * DAY) },
      { from: at(BASE + 100 * DAY), to: at(BASE + 101 * DAY) },
    ];
    let compared = 0;
    for (const window of windows) {
      for (const scope of [serviceIds, [serviceIds[0]!]]) {
        const expected = await reference(t, scope, window);
        const q = new URLSearchParams({
          ...(scope.length === 1 ? { service_id: scope[0]! } : { team_id: team.json.id }),
          from: window.from,
          to: window.to,
        });
        const res = await t.call('GET', `/api/v1/dora?${q}`);
        expect(res.status).toBe(200);
        const { evidence: _evidence, ...figures } = expected;
        for (const key of Object.keys(figures) as Array<keyof typeof figures>)
          expect({ [key]: res.json[key] }).toMatchObject({ [key]: figures[key] });
        compared++;
      }
    }
    expect(compared).toBe(10);
    // The generated data exercises what it should: re-shipped commits, unknown heads, rollbacks.
    const whole = await reference(t, serviceIds, windows[2]!);
    expect(whole.lead_time.changes).toBeGreaterThan(20);
    expect(whole.change_failure_rate.failed).toBeGreaterThan(5);
    expect(whole.evidence.deployments.some((d) => d.failure_reasons.includes('rolled_back'))).toBe(true);
    expect(whole.evidence.deployments.some((d) => d.failure_reasons.includes('incident'))).toBe(true);
    expect(whole.time_to_restore.incidents).toBeGreaterThan(5);

    // Migration 0008's backfill (SQL on each engine) rebuilds exactly what the write path stored.
    const db = t.container.db;
    const snapshot = () =>
      db
        .selectFrom('dora_changes')
        .selectAll()
        .orderBy('service_id')
        .orderBy('sha')
        .orderBy('environment')
        .execute();
    const written = await snapshot();
    expect(written.length).toBeGreaterThan(60);
    await db.deleteFrom('dora_changes').execute();
    await backfillDoraChanges(db as never);
    const rebuilt = await snapshot();
    expect(
      rebuilt.map((c) => ({ ...c, lead_seconds: c.lead_seconds === null ? null : Number(c.lead_seconds) })),
    ).toEqual(
      written.map((c) => ({ ...c, lead_seconds: c.lead_seconds === null ? null : Number(c.lead_seconds) })),
    );
  });
});
