import type { Service } from '@engops/contracts';
import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';
import { seedReleasesDemo } from '../../demo/demo-releases.ts';

describeEachEngine('demo: releases', (get) => {
  it('seeds checkout-api releases in production, canary and CI, with settings, a pipeline and freezes, once', async () => {
    const t = get();
    const shop = await t.call('POST', '/api/v1/teams', { body: { name: 'Shop', time_zone: 'UTC' } });
    const edge = await t.call('POST', '/api/v1/teams', { body: { name: 'Edge', time_zone: 'UTC' } });
    const checkout = await t.call('POST', '/api/v1/services', {
      body: { name: 'checkout-api', team_id: shop.json.id },
    });
    const gateway = await t.call('POST', '/api/v1/services', {
      body: { name: 'api-gateway', team_id: edge.json.id },
    });
    // An open SEV1 on checkout-api: the demo overrides the gate, with its reason on the timeline.
    await t.call('POST', '/api/v1/incidents', {
      body: { service_id: checkout.json.id, title: 'Card payments failing', severity: 'SEV1' },
    });
    const services = [checkout.json, gateway.json] as Service[];
    expect(await seedReleasesDemo(t.container, services)).toBe(3);

    const list = await t.call('GET', `/api/v1/releases?service_id=${checkout.json.id}`);
    expect(
      list.json.items.map((r: { version: string; current_stage: string }) => [r.version, r.current_stage]),
    ).toEqual([
      ['2026.11.3', 'ci'],
      ['2026.11.2', 'canary'],
      ['2026.11.1', 'monitor'],
    ]);
    const [building, regressed, shipped] = list.json.items;
    expect(building.stages[0].status).toBe('started');
    expect(regressed.judgement.verdict).toBe('rollback');
    expect(
      regressed.judgement.metrics.find((m: { metric: string }) => m.metric === 'latency_p99_ms')
        .classification,
    ).toBe('high');
    expect(shipped.judgement.verdict).toBe('promote');
    expect(shipped.deployment_id).toEqual(expect.any(String));
    const timeline = await t.call('GET', `/api/v1/releases/${shipped.id}/timeline`);
    expect(timeline.json.items.filter((e: { kind: string }) => e.kind === 'override')).toHaveLength(2);
    const settings = await t.call('GET', `/api/v1/release-settings/${checkout.json.id}`);
    expect(settings.json.metrics.map((m: { metric: string }) => m.metric)).toEqual([
      'latency_p99_ms',
      'error_rate',
      'cpu_percent',
    ]);
    const pipelines = await t.call('GET', '/api/v1/pipelines');
    expect(pipelines.json.items.map((p: { name: string }) => p.name)).toEqual([
      'Handbook release process',
      'Edge pipeline',
    ]);
    const freezes = await t.call('GET', '/api/v1/freezes');
    expect(freezes.json.items.map((f: { reason: string }) => f.reason)).toEqual([
      'End-of-quarter close: no checkout changes',
      'Holiday freeze (whole organisation)',
    ]);
    expect(await seedReleasesDemo(t.container, services)).toBe(0);
    expect((await t.call('GET', `/api/v1/releases?service_id=${checkout.json.id}`)).json.items).toHaveLength(
      3,
    );
  });
});
