import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../test-support/engines.ts';
import { seedSecurityDemo } from './demo-security.ts';

/**
 * The demo's security data on the demo's service names: findings with triage, training, a response
 * exercise and an open access review; seeding twice adds nothing. (seedDemo as a whole also seeds
 * months of DORA history, too slow for a focused test.)
 */
describeEachEngine('demo security data', (get) => {
  it('seeds findings, training, an exercise and an access review once', async () => {
    const t = get();
    const team = (await t.call('POST', '/api/v1/teams', { body: { name: 'Payments', time_zone: 'UTC' } }))
      .json.id;
    for (const [i, name] of ['Ada Okafor', 'Bruno Silva', 'Chen Wei'].entries()) {
      const user = await t.call('POST', '/api/v1/users', {
        body: { name, email: `${name.split(' ')[0]!.toLowerCase()}@demo.engops.test`, role: 'responder' },
      });
      await t.call('POST', `/api/v1/teams/${team}/members`, {
        body: { user_id: user.json.id, role: i === 0 ? 'manager' : 'responder' },
      });
    }
    const services = [];
    for (const name of ['checkout-api', 'api-gateway', 'mobile-bff'])
      services.push((await t.call('POST', '/api/v1/services', { body: { name, team_id: team } })).json);

    expect(await seedSecurityDemo(t.container, services)).toBeGreaterThan(0);
    const findings = (await t.call('GET', '/api/v1/security/findings')).json.items as Array<{
      service_name: string;
      package: string | null;
      rule: string;
      status: string;
    }>;
    expect(findings.map((f) => `${f.service_name} ${f.package ?? f.rule} ${f.status}`).sort()).toEqual([
      'api-gateway golang.org/x/text open',
      'checkout-api axios fixed',
      'checkout-api lodash open',
      'checkout-api minimist false_positive',
      'checkout-api qs acknowledged',
      'mobile-bff aws-access-key-id open',
    ]);
    const plans = (await t.call('GET', '/api/v1/security/response-plans')).json as Array<{
      service_name: string;
      items: Array<{ key: string; ok: boolean }>;
    }>;
    expect(
      plans.find((p) => p.service_name === 'checkout-api')!.items.find((i) => i.key === 'recent_exercise')!
        .ok,
    ).toBe(true);
    // Ada (i=0) completed 400 days ago: expired; Chen (i=2) never took it.
    const training = (await t.call('GET', '/api/v1/security/training/status')).json;
    expect(
      training.overdue
        .map(
          (o: { name: string; course_name: string; status: string }) =>
            `${o.name}: ${o.course_name} ${o.status}`,
        )
        .sort(),
    ).toEqual([
      'Ada Okafor: Secure coding basics expired',
      'Chen Wei: Incident response for on-call engineers missing',
      'Chen Wei: Secure coding basics missing',
    ]);
    const reviews = (await t.call('GET', '/api/v1/security/access-reviews')).json;
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({
      name: 'Quarterly access review',
      status: 'open',
      reviewed: 3,
      stale: 1,
    });
    const axios = (await t.call('GET', '/api/v1/security/findings?status=fixed')).json.items[0];
    expect(axios).toMatchObject({ package: 'axios', status_changed_by: 'engops-push-scan' });
    expect(axios.status_reason).toContain('past the fixed version 1.6.0');
    const overview = (await t.call('GET', '/api/v1/security/overview')).json;
    expect(
      overview.stale_access.map((g: { subject_name: string; stale_reason: string }) => g.subject_name),
    ).toEqual(['Former contractor <contractor@partner.example> on AWS production']);
    expect(overview.teams[0]).toMatchObject({ team_name: 'Payments', stale_grants: 1 });

    expect(await seedSecurityDemo(t.container, services)).toBe(0);
    expect((await t.call('GET', '/api/v1/security/access-reviews')).json).toHaveLength(1);
  }, 60_000);
});
