import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';

describeEachEngine('severity descriptions in the policy', (get) => {
  it('defaults to the handbook-style descriptions and takes an organisation’s own', async () => {
    const t = get();
    const current = await t.call('GET', '/api/v1/policy');
    expect(current.json.policy.incidents.severity_descriptions).toEqual({
      SEV1: 'Critical: user-facing outage',
      SEV2: 'Major degradation',
      SEV3: 'Minor: limited impact',
      SEV4: 'Low or no user impact',
    });
    const policy = structuredClone(current.json.policy);
    policy.incidents.severity_descriptions.SEV1 = 'Checkout or login down for everyone';
    const saved = await t.call('PUT', '/api/v1/policy', { body: { policy, version: current.json.version } });
    expect(saved.status).toBe(200);
    expect(
      (await t.call('GET', '/api/v1/policy', { token: await t.tokenFor('viewer') })).json.policy.incidents
        .severity_descriptions.SEV1,
    ).toBe('Checkout or login down for everyone');
    policy.incidents.severity_descriptions.SEV2 = '';
    const bad = await t.call('PUT', '/api/v1/policy', { body: { policy, version: saved.json.version } });
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].path).toBe('body.policy.incidents.severity_descriptions.SEV2');
  });
});
