import type { Service, UploadedFinding } from '@engops/contracts';
import type { Container } from '../container.ts';
import { systemPrincipal } from '../platform/access/permissions.ts';

const DAY = 86_400_000;

const DEPENDENCY_FINDINGS: Record<string, UploadedFinding[]> = {
  'checkout-api': [
    {
      fingerprint: 'demo-lodash-4.17.15',
      rule: 'GHSA-35jh-r3h4-6jhm',
      title: 'lodash@4.17.15: Command Injection in lodash',
      severity: 'high',
      file: 'package-lock.json',
      line: 37,
      package: 'lodash',
      version: '4.17.15',
      ecosystem: 'npm',
      fixed_version: '4.17.21',
      dependency_path: ['lodash@4.17.15'],
    },
    {
      fingerprint: 'demo-qs-6.7.0',
      rule: 'GHSA-hrpp-h998-j3pp',
      title: 'qs@6.7.0: qs vulnerable to Prototype Pollution',
      severity: 'high',
      file: 'package-lock.json',
      line: 34,
      package: 'qs',
      version: '6.7.0',
      ecosystem: 'npm',
      fixed_version: '6.7.3',
      dependency_path: ['express@4.17.1', 'qs@6.7.0'],
    },
    {
      fingerprint: 'demo-minimist-1.2.0',
      rule: 'GHSA-xvch-5gv4-984h',
      title: 'minimist@1.2.0: Prototype Pollution in minimist',
      severity: 'critical',
      file: 'package-lock.json',
      line: 40,
      package: 'minimist',
      version: '1.2.0',
      ecosystem: 'npm',
      fixed_version: '1.2.6',
      dependency_path: ['mocha@5.2.0', 'minimist@1.2.0'],
    },
    {
      fingerprint: 'demo-axios-1.5.1',
      rule: 'GHSA-wf5p-g6vw-rhxx',
      title: 'axios@1.5.1: Axios Cross-Site Request Forgery Vulnerability',
      severity: 'medium',
      file: 'package-lock.json',
      line: 22,
      package: 'axios',
      version: '1.5.1',
      ecosystem: 'npm',
      fixed_version: '1.6.0',
      dependency_path: ['axios@1.5.1'],
    },
  ],
  'api-gateway': [
    {
      fingerprint: 'demo-x-text-0.3.7',
      rule: 'GO-2022-1059',
      title: 'golang.org/x/text@v0.3.7: Denial of service via crafted Accept-Language header',
      severity: 'high',
      file: 'go.sum',
      line: 3,
      package: 'golang.org/x/text',
      version: 'v0.3.7',
      ecosystem: 'Go',
      fixed_version: '0.3.8',
      dependency_path: ['golang.org/x/text@v0.3.7'],
    },
  ],
};

/**
 * Security for the demo: dependency and secret findings (one acknowledged, one a false positive,
 * one resolved by a push scan), an access register with a stale grant, a response exercise, two training courses with completions (one expired) and an open access
 * review with a few grants certified. Returns how many things it created (0 when already seeded).
 */
export async function seedSecurityDemo(container: Container, services: Service[]): Promise<number> {
  const security = container.security.service;
  const ctx = { principal: systemPrincipal };
  const allowAll = () => {};
  const existing = await container.db
    .selectFrom('security_scans')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  if (Number(existing.n) > 0) return 0;
  let created = 0;
  const now = container.clock.now().getTime();
  const byName = new Map(services.map((s) => [s.name, s]));

  for (const [name, findings] of Object.entries(DEPENDENCY_FINDINGS)) {
    if (!byName.has(name)) continue;
    await security.findings.upload(
      ctx,
      { service_id: name, kind: 'dependency', tool: 'engops-deps', complete: true, findings },
      allowAll,
    );
    created += findings.length;
  }
  for (const s of services) {
    await security.findings.upload(
      ctx,
      {
        service_id: s.id,
        kind: 'secret',
        tool: 'engops-secrets',
        complete: true,
        findings:
          s.name === 'mobile-bff'
            ? [
                {
                  fingerprint: 'demo-aws-key-mobile-bff',
                  rule: 'aws-access-key-id',
                  title: 'AWS access key ID: AKIA…',
                  severity: 'high',
                  file: 'config/staging.env',
                  line: 4,
                  commit: '4f2a9c1e0b7d3a6f8e5c2b1a0d9f8e7c6b5a4d3e',
                  author: 'Kenji Sato',
                },
              ]
            : [],
      },
      allowAll,
    );
  }
  const findings = await security.findings.list({ limit: 50, status: 'open' }, systemPrincipal, allowAll);
  const qs = findings.items.find((f) => f.package === 'qs');
  if (qs)
    await security.findings.setStatus(
      ctx,
      qs.id,
      { status: 'acknowledged', reason: 'Upgrade with the Express 5 migration, sprint 14' },
      allowAll,
    );
  const minimist = findings.items.find((f) => f.package === 'minimist');
  if (minimist)
    await security.findings.setStatus(
      ctx,
      minimist.id,
      { status: 'false_positive', reason: 'Dev-only: mocha CLI argument parsing, never shipped' },
      allowAll,
    );

  // A later push upgraded axios past its fix: the push scan resolved the finding on its own.
  const axios = findings.items.find((f) => f.package === 'axios');
  if (axios)
    await security.findings.resolve({ principal: { ...systemPrincipal, name: 'engops-push-scan' } }, [
      {
        id: axios.id,
        reason:
          'axios upgraded to 1.6.2 in package-lock.json, past the fixed version 1.6.0; ' +
          'GHSA-wf5p-g6vw-rhxx no longer applies (commit 9c1d7e2a4b6f)',
      },
    ]);

  const checkout = byName.get('checkout-api');
  if (checkout) {
    await security.plans.recordExercise(
      ctx,
      {
        service_id: checkout.id,
        kind: 'tabletop',
        exercised_at: new Date(now - 60 * DAY).toISOString(),
        notes: 'Card processor outage: failover to the second acquirer.',
      },
      allowAll,
    );
    created++;
  }

  const secure = await security.training.createCourse(ctx, {
    name: 'Secure coding basics',
    description: 'OWASP Top 10, secrets handling, dependency hygiene.',
    validity_days: 365,
    required_team_ids: [],
  });
  const payments = (await container.catalog.service.listTeams({ limit: 50 })).items.find(
    (t) => t.name === 'Payments',
  );
  const oncall = await security.training.createCourse(ctx, {
    name: 'Incident response for on-call engineers',
    validity_days: 730,
    required_team_ids: payments ? [payments.id] : [],
  });
  created += 2;
  const people = (await container.catalog.service.listUsers({ limit: 200 })).items.filter((u) =>
    u.email.endsWith('@demo.engops.test'),
  );
  for (const [i, person] of people.entries()) {
    if (i % 3 === 2) continue; // every third person has not taken it yet
    const daysAgo = i % 4 === 0 ? 400 : 30 + i * 7; // some completions have expired
    await security.training.recordCompletion(ctx, {
      course_id: secure.id,
      user_id: person.id,
      completed_at: new Date(now - daysAgo * DAY).toISOString(),
    });
    if (payments && person.teams.some((t) => t.team_id === payments.id))
      await security.training.recordCompletion(ctx, {
        course_id: oncall.id,
        user_id: person.id,
        completed_at: new Date(now - 90 * DAY).toISOString(),
      });
    created++;
  }

  // Who holds what in AWS (an export), owned by Payments; one grant unused for half a year is stale.
  await security.register.importSystem(ctx, {
    system: 'AWS production',
    ...(payments ? { owner_team_id: payments.id } : {}),
    grants: [
      {
        person: 'Payments deployer',
        access: 'DeployRole',
        last_used_at: new Date(now - 2 * DAY).toISOString(),
      },
      {
        person: 'Former contractor',
        email: 'contractor@partner.example',
        access: 'ReadOnlyAccess',
        last_used_at: new Date(now - 200 * DAY).toISOString(),
      },
    ],
  });
  created++;

  const campaign = await security.reviews.start(ctx, {
    name: 'Quarterly access review',
    close_policy: 'keep',
  });
  created++;
  for (const item of campaign.items.filter((i) => i.kind === 'team_role').slice(0, 4)) {
    await security.reviews.decide(ctx, campaign.id, item.id, {
      decision: 'certify',
      note: 'Still on the team and on call.',
    });
  }
  return created;
}
