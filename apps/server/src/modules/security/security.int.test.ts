import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { startSmtp } from '../../../../../test-support/smtp.ts';
import { fixedClock } from '../../platform/clock.ts';

/**
 * The security module through the real HTTP stack on both engines, with an injected clock and a
 * real SMTP server on 127.0.0.1 for reminders: findings from upload to triage and SLA, training
 * records, response-plan checklists, and an access review from start to signed evidence.
 */
const START = '2026-03-02T09:00:00.000Z';
const DAY = 24 * 3600 * 1000;
const at = (days: number) => new Date(Date.parse(START) + days * DAY).toISOString();

const subjectOf = (raw: string) =>
  /^subject:\s*(.*)$/im.exec((raw.split(/\r?\n\r?\n/)[0] ?? '').replace(/\r?\n[ \t]+/g, ' '))?.[1] ?? '';

const finding = (fingerprint: string, severity: string, over: Record<string, unknown> = {}) => ({
  fingerprint,
  rule: `GHSA-${fingerprint.slice(0, 4)}`,
  title: `Advisory ${fingerprint}`,
  severity,
  file: 'package-lock.json',
  line: 12,
  package: 'lodash',
  version: '4.17.15',
  ecosystem: 'npm',
  fixed_version: '4.17.21',
  dependency_path: ['express@4.17.1', 'lodash@4.17.15'],
  ...over,
});

for (const engine of ENGINES) {
  describe(`security [${engine}]`, () => {
    const clock = fixedClock(START);
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let t: TestApp;
    let payments: string;
    let other: string;
    let checkout: string;
    let ledger: string;
    const people: Record<string, { id: string; headers: Record<string, string> }> = {};
    const password = 'a long enough password';
    /** Sessions last 7 days of the injected clock: each test logs everyone in at its own time. */
    const loginAll = async () => {
      for (const [key, p] of Object.entries(people)) {
        const login = await t.call('POST', '/api/v1/auth/login', {
          token: null,
          body: { email: `${key}@example.test`, password },
        });
        expect(login.status).toBe(200);
        p.headers = {
          cookie: String(login.headers['set-cookie']).split(';')[0]!,
          'x-csrf-token': login.json.csrf_token,
        };
      }
    };

    const countRows = async (table: 'security_findings' | 'audit_log' | 'access_review_items') =>
      Number(
        (
          await t.container.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    beforeAll(async () => {
      smtp = await startSmtp();
      t = await createTestApp(engine, {
        clock,
        env: {
          ENGOPS_SMTP_HOST: '127.0.0.1',
          ENGOPS_SMTP_PORT: String(smtp.port),
          ENGOPS_SMTP_FROM: 'engops <engops@example.test>',
        },
      });
      payments = (await t.call('POST', '/api/v1/teams', { body: { name: 'Payments', time_zone: 'UTC' } }))
        .json.id;
      other = (await t.call('POST', '/api/v1/teams', { body: { name: 'Other', time_zone: 'UTC' } })).json.id;
      checkout = (
        await t.call('POST', '/api/v1/services', { body: { name: 'checkout-api', team_id: payments } })
      ).json.id;
      ledger = (await t.call('POST', '/api/v1/services', { body: { name: 'ledger', team_id: other } })).json
        .id;
      const person = async (key: string, role: string | null, teamRole?: string) => {
        const email = `${key}@example.test`;
        const u = await t.call('POST', '/api/v1/users', { body: { email, name: key, role, password } });
        expect(u.status).toBe(201);
        if (teamRole) {
          const m = await t.call('POST', `/api/v1/teams/${payments}/members`, {
            body: { user_id: u.json.id, role: teamRole },
          });
          expect(m.status).toBe(201);
        }
        const login = await t.call('POST', '/api/v1/auth/login', { token: null, body: { email, password } });
        expect(login.status).toBe(200);
        people[key] = {
          id: u.json.id,
          headers: {
            cookie: String(login.headers['set-cookie']).split(';')[0]!,
            'x-csrf-token': login.json.csrf_token,
          },
        };
      };
      await person('mia', null, 'manager');
      await person('sam', null, 'responder');
      await person('olga', 'viewer');
      await person('ada', 'admin');
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
    });
    const as = (key: string) => ({ token: null, headers: people[key]!.headers });

    it('records scans per service, triages findings with audit, and applies the SLA from the policy', async () => {
      clock.set(START);
      await loginAll();
      const ci = await t.tokenFor('responder', payments);
      const upload = (findings: unknown[], token = ci, service = checkout) =>
        t.call('POST', '/api/v1/security/scans', {
          token,
          body: { service_id: service, kind: 'dependency', tool: 'engops-deps', findings },
        });
      const first = await upload([
        finding('aaaa1111', 'critical'),
        finding('bbbb2222', 'low', { package: 'qs' }),
      ]);
      expect(first.status).toBe(201);
      expect(first.json).toMatchObject({ created: 2, reopened: 0, unchanged: 0, fixed: 0, open: 2 });

      // Another team's CI token, and a bad body: refused, nothing written.
      const before = await countRows('security_findings');
      const foreign = await upload([finding('cccc3333', 'high')], await t.tokenFor('responder', other));
      expect(foreign.status).toBe(403);
      const bad = await upload([finding('cccc3333', 'severe')]);
      expect(bad.status).toBe(400);
      expect(bad.headers['content-type']).toContain('application/problem+json');
      expect(bad.json.errors).toEqual([expect.objectContaining({ path: 'body.findings.0.severity' })]);
      expect(await countRows('security_findings')).toBe(before);

      const list = await t.call('GET', `/api/v1/security/findings?service_id=${checkout}`);
      expect(list.status).toBe(200);
      const critical = list.json.items.find((f: { severity: string }) => f.severity === 'critical');
      const low = list.json.items.find((f: { severity: string }) => f.severity === 'low');
      // Policy defaults: critical 7 days, low 180 days from first seen.
      expect(critical).toMatchObject({
        status: 'open',
        due_at: at(7),
        overdue: false,
        fixed_version: '4.17.21',
      });
      expect(critical.dependency_path).toEqual(['express@4.17.1', 'lodash@4.17.15']);
      expect(low.due_at).toBe(at(180));

      clock.set(at(8));
      await loginAll();
      const later = await t.call('GET', `/api/v1/security/findings/${critical.id}`);
      expect(later.json.overdue).toBe(true);
      const overdueLow = await t.call('GET', `/api/v1/security/findings/${low.id}`);
      expect(overdueLow.json.overdue).toBe(false);

      // A policy with a 10-day SLA for critical moves the deadline.
      const doc = await t.call('GET', '/api/v1/policy');
      const policy = doc.json.policy;
      policy.security.finding_sla_days.critical = 10;
      expect(
        (await t.call('PUT', '/api/v1/policy', { body: { policy, version: doc.json.version } })).status,
      ).toBe(200);
      expect((await t.call('GET', `/api/v1/security/findings/${critical.id}`)).json).toMatchObject({
        due_at: at(10),
        overdue: false,
      });

      // Triage: a reason is required for false positives; viewers and the CI token cannot triage.
      const noReason = await t.call('POST', `/api/v1/security/findings/${low.id}/status`, {
        body: { status: 'false_positive' },
      });
      expect(noReason.status).toBe(400);
      expect(noReason.json.errors).toEqual([expect.objectContaining({ path: 'body.reason' })]);
      const byCi = await t.call('POST', `/api/v1/security/findings/${low.id}/status`, {
        token: ci,
        body: { status: 'false_positive', reason: 'test fixture only' },
      });
      expect(byCi.status).toBe(403);
      const byMia = await t.call('POST', `/api/v1/security/findings/${low.id}/status`, {
        ...as('mia'),
        body: { status: 'false_positive', reason: 'only used by the test fixtures' },
      });
      expect(byMia.status).toBe(200);
      expect(byMia.json).toMatchObject({
        status: 'false_positive',
        status_changed_by: 'mia',
        overdue: false,
      });
      expect(byMia.json.history.map((h: { action: string; to: string }) => `${h.action}:${h.to}`)).toEqual([
        'security.finding.create:open',
        'security.finding.status:false_positive',
      ]);

      // A complete scan without the critical one fixes it; the false positive stays as it is.
      const second = await upload([finding('bbbb2222', 'low', { package: 'qs' })]);
      expect(second.json).toMatchObject({ created: 0, reopened: 0, unchanged: 1, fixed: 1, open: 0 });
      const fixed = await t.call('GET', `/api/v1/security/findings/${critical.id}`);
      expect(fixed.json).toMatchObject({ status: 'fixed', fixed_at: at(8), overdue: false });
      // Seen again: reopened.
      const third = await upload([
        finding('aaaa1111', 'critical'),
        finding('bbbb2222', 'low', { package: 'qs' }),
      ]);
      expect(third.json).toMatchObject({ created: 0, reopened: 1, unchanged: 1, fixed: 0, open: 1 });
      expect(
        (await t.call('GET', `/api/v1/security/findings/${critical.id}`)).json.history.map(
          (h: { to: string }) => h.to,
        ),
      ).toEqual(['open', 'fixed', 'open']);

      // Team-scoped readers see their team's findings only.
      const otherViewer = await t.tokenFor('viewer', other);
      expect((await t.call('GET', '/api/v1/security/findings', { token: otherViewer })).json.items).toEqual(
        [],
      );
      expect(
        (await t.call('GET', `/api/v1/security/findings/${critical.id}`, { token: otherViewer })).status,
      ).toBe(403);

      const overview = await t.call('GET', '/api/v1/security/overview');
      expect(overview.status).toBe(200);
      const row = overview.json.services.find((s: { service_id: string }) => s.service_id === checkout);
      expect(row).toMatchObject({
        open: { critical: 1, high: 0, medium: 0, low: 0, unknown: 0 },
        overdue: 0,
        last_scan: { dependency: at(8), secret: null },
      });
    });

    it('imports OSV advisories and rescans uploaded inventories on import and daily', async () => {
      clock.set(START);
      const osv = path.join(import.meta.dirname, 'deps/fixtures/osv');
      const records = JSON.parse(fs.readFileSync(path.join(osv, 'advisories.json'), 'utf8')) as Array<
        Record<string, unknown>
      >;
      const lodash = JSON.parse(fs.readFileSync(path.join(osv, 'GHSA-35jh-r3h4-6jhm.json'), 'utf8'));

      const bad = await t.call('POST', '/api/v1/security/advisories', {
        body: { advisories: [records[0], { id: 'X-1', affected: [{ ranges: [{ type: 'ECOSYSTEM' }] }] }] },
      });
      expect(bad.status).toBe(400);
      expect(bad.json.errors).toEqual([expect.objectContaining({ path: 'body.advisories.1' })]);
      expect(
        (
          await t.call('POST', '/api/v1/security/advisories', {
            token: await t.tokenFor('manager'),
            body: { advisories: records },
          })
        ).status,
      ).toBe(403);
      const first = await t.call('POST', '/api/v1/security/advisories', { body: { advisories: records } });
      expect(first.json).toEqual({ imported: 7, updated: 0, unchanged: 0, total: 7 });
      const again = await t.call('POST', '/api/v1/security/advisories', { body: { advisories: records } });
      expect(again.json).toEqual({ imported: 0, updated: 0, unchanged: 7, total: 7 });

      // The ledger service's inventory: qs 6.7.0 (affected), lodash 4.17.15 (no advisory stored yet).
      const ci = await t.tokenFor('responder', other);
      const inventory = await t.call('PUT', '/api/v1/security/dependencies', {
        token: ci,
        body: {
          service_id: 'ledger',
          dependencies: [
            {
              ecosystem: 'npm',
              name: 'qs',
              version: '6.7.0',
              file: 'package-lock.json',
              path: ['express@4.17.1', 'qs@6.7.0'],
            },
            { ecosystem: 'npm', name: 'lodash', version: '4.17.15', file: 'package-lock.json', direct: true },
          ],
        },
      });
      expect(inventory.json).toEqual({ service_id: ledger, dependencies: 2 });
      expect(
        (
          await t.call('PUT', '/api/v1/security/dependencies', {
            token: ci,
            body: { service_id: 'checkout-api', dependencies: [] },
          })
        ).status,
      ).toBe(403);

      const ledgerFindings = async () =>
        (
          (await t.call('GET', `/api/v1/security/findings?service_id=${ledger}`)).json.items as Array<{
            rule: string;
            fixed_version: string;
            dependency_path: string[];
          }>
        )
          .map((f) => `${f.rule} ${f.fixed_version} ${f.dependency_path.join('>')}`)
          .sort();
      // The daily rescan is queued by start(); run it at 03:00 the next day.
      await t.container.start();
      clock.set('2026-03-03T03:00:00.000Z');
      await t.container.worker.drain();
      expect(await ledgerFindings()).toEqual(['GHSA-hrpp-h998-j3pp 6.7.3 express@4.17.1>qs@6.7.0']);
      const next = await t.container.db
        .selectFrom('jobs')
        .select(['run_at', 'status'])
        .where('dedupe_key', '=', 'security:rescan:daily:2026-03-04')
        .executeTakeFirst();
      expect(next).toEqual({ run_at: '2026-03-04T03:00:00.000Z', status: 'pending' });

      // A new advisory: imported, and the rescan it triggers finds lodash.
      const added = await t.call('POST', '/api/v1/security/advisories', { body: { advisories: [lodash] } });
      expect(added.json).toMatchObject({ imported: 1, total: 8 });
      await t.container.worker.drain();
      expect(await ledgerFindings()).toEqual([
        'GHSA-35jh-r3h4-6jhm 4.17.21 lodash@4.17.15',
        'GHSA-hrpp-h998-j3pp 6.7.3 express@4.17.1>qs@6.7.0',
      ]);
      const overview = await t.call('GET', `/api/v1/security/overview?team_id=${other}`);
      expect(overview.json.services[0]).toMatchObject({
        service_name: 'ledger',
        open: { high: 2 },
        last_scan: { dependency: '2026-03-03T03:00:00.000Z' },
      });
    });

    it('keeps training records with expiry, lists what is overdue and computes compliance per team', async () => {
      clock.set(START);
      await loginAll();
      const course = async (body: Record<string, unknown>) => {
        const res = await t.call('POST', '/api/v1/security/training/courses', { body });
        expect(res.status).toBe(201);
        return res.json.id as string;
      };
      const secure = await course({
        name: 'Secure coding',
        validity_days: 365,
        required_team_ids: [payments],
      });
      const phishing = await course({ name: 'Phishing awareness', validity_days: null });
      expect(
        (await t.call('POST', '/api/v1/security/training/courses', { body: { name: 'Secure coding' } })).json
          .code,
      ).toBe('SECURITY_COURSE_NAME_TAKEN');
      const record = (body: Record<string, unknown>, who = 'ada') =>
        t.call('POST', '/api/v1/security/training/completions', { ...as(who), body });
      expect(
        (await record({ course_id: secure, user_id: people.mia!.id, completed_at: at(-300) })).status,
      ).toBe(201);
      expect(
        (await record({ course_id: phishing, user_id: people.mia!.id, completed_at: at(-30) })).status,
      ).toBe(201);
      expect(
        (await record({ course_id: secure, user_id: people.sam!.id, completed_at: at(-400) })).status,
      ).toBe(201);
      // Sam may record his own, not Mia's.
      expect(
        (await record({ course_id: phishing, user_id: people.mia!.id, completed_at: at(-1) }, 'sam')).status,
      ).toBe(403);
      expect((await record({ course_id: phishing, completed_at: at(1) }, 'sam')).status).toBe(400);

      const status = await t.call('GET', `/api/v1/security/training/status?team_id=${payments}`);
      expect(status.status).toBe(200);
      const courseOf = (user: string, id: string) =>
        status.json.people
          .find((p: { user_id: string }) => p.user_id === people[user]!.id)
          .courses.find((c: { course_id: string }) => c.course_id === id);
      expect(courseOf('mia', secure)).toMatchObject({ status: 'complete', expires_at: at(65) });
      expect(courseOf('mia', phishing)).toMatchObject({ status: 'complete', expires_at: null });
      expect(courseOf('sam', secure)).toMatchObject({ status: 'expired', expires_at: at(-35) });
      expect(courseOf('sam', phishing)).toMatchObject({ status: 'missing' });
      expect(
        status.json.overdue
          .map(
            (o: { name: string; course_name: string; status: string }) =>
              `${o.name}/${o.course_name}/${o.status}`,
          )
          .sort(),
      ).toEqual(['sam/Phishing awareness/missing', 'sam/Secure coding/expired']);
      expect(status.json.teams).toEqual([
        { team_id: payments, team_name: 'Payments', required: 4, complete: 2, compliance: 0.5 },
      ]);

      expect((await record({ course_id: phishing, completed_at: at(0) }, 'sam')).status).toBe(201);
      const after = await t.call('GET', `/api/v1/security/training/status?team_id=${payments}`);
      expect(after.json.teams[0]).toMatchObject({ required: 4, complete: 3, compliance: 0.75 });

      // 36 days on, Mia's secure-coding completion is within 30 days of expiry: expiring, and reminded.
      clock.set(at(36));
      await t.container.worker.drain();
      const soon = await t.call('GET', `/api/v1/security/training/status?team_id=${payments}`);
      expect(
        soon.json.people
          .find((p: { name: string }) => p.name === 'mia')
          .courses.find((c: { course_id: string }) => c.course_id === secure).status,
      ).toBe('expiring');
      const all = smtp.mails.filter((m) => subjectOf(m.raw).startsWith('Security training'));
      expect(all.map((m) => [m.to, subjectOf(m.raw)]).sort()).toEqual([
        [['mia@example.test'], `Security training expires ${at(65).slice(0, 10)}: Secure coding`],
        [['sam@example.test'], `Security training expired ${at(-35).slice(0, 10)}: Secure coding`],
      ]);
    });

    it('shows a response-plan checklist per service with what is missing', async () => {
      clock.set(START);
      await loginAll();
      expect(
        (
          await t.call('PATCH', `/api/v1/services/${checkout}`, {
            body: { runbook_url: 'https://wiki.example.test/checkout' },
          })
        ).status,
      ).toBe(200);
      const plans = async () =>
        (await t.call('GET', `/api/v1/security/response-plans?team_id=${payments}`)).json as Array<{
          service_id: string;
          done: number;
          total: number;
          complete: boolean;
          items: Array<{ key: string; ok: boolean; detail: string }>;
          missing: string[];
        }>;
      let plan = (await plans()).find((p) => p.service_id === checkout)!;
      expect(plan.items.map((i) => `${i.key}:${i.ok}`)).toEqual([
        'owner_team:true',
        'escalation_policy:false',
        'oncall_no_gaps:false',
        'runbook:true',
        'recent_exercise:false',
      ]);
      expect(plan.items[0]!.detail).toBe('Payments (2 members)');
      expect(plan).toMatchObject({ done: 2, total: 5, complete: false });
      expect(plan.missing).toContain('A recent response exercise: never exercised');

      const bad = await t.call('POST', '/api/v1/security/exercises', {
        body: { service_id: checkout, kind: 'fire_drill', exercised_at: at(-10) },
      });
      expect(bad.status).toBe(400);
      const foreign = await t.call('POST', '/api/v1/security/exercises', {
        token: await t.tokenFor('manager', other),
        body: { service_id: checkout, exercised_at: at(-10) },
      });
      expect(foreign.status).toBe(403);
      const ok = await t.call('POST', '/api/v1/security/exercises', {
        ...as('mia'),
        body: {
          service_id: checkout,
          kind: 'tabletop',
          exercised_at: at(-10),
          notes: 'Card processor outage',
        },
      });
      expect(ok.status).toBe(201);
      plan = (await plans()).find((p) => p.service_id === checkout)!;
      expect(plan.items[4]).toMatchObject({
        key: 'recent_exercise',
        ok: true,
        detail: `last on ${at(-10).slice(0, 10)}`,
      });
      expect(plan.done).toBe(3);
      clock.set(at(356));
      plan = (await plans()).find((p) => p.service_id === checkout)!;
      expect(plan.items[4]!.ok).toBe(false);
      // The other team's service is not in Payments' list.
      expect((await plans()).map((p) => p.service_id)).toEqual([checkout]);
      expect(ledger).toBeTruthy();
    });

    it('checks the escalation policy and on-call gaps through the on-call module', async () => {
      clock.set(START);
      // The rotation starts three days from now: the next 14 days have a gap before it.
      const schedule = await t.call('POST', '/api/v1/schedules', {
        body: {
          name: 'Payments primary',
          team_id: payments,
          time_zone: 'UTC',
          layers: [
            {
              name: 'primary',
              start: at(3).slice(0, 16),
              rotation: { unit: 'week', length: 1 },
              participants: [people.mia!.id, people.sam!.id],
            },
          ],
        },
      });
      expect(schedule.status).toBe(201);
      const policy = await t.call('POST', '/api/v1/escalation-policies', {
        body: {
          name: 'Payments',
          team_id: payments,
          levels: [{ delay_seconds: 300, targets: [{ type: 'schedule', id: schedule.json.id }] }],
        },
      });
      expect(policy.status).toBe(201);
      const linked = await t.call('PATCH', `/api/v1/services/${checkout}`, {
        body: { escalation_policy_id: policy.json.id },
      });
      expect(linked.status).toBe(200);
      const item = async (key: string) =>
        (
          (await t.call('GET', `/api/v1/security/response-plans?team_id=${payments}`)).json as Array<{
            service_id: string;
            items: Array<{ key: string; ok: boolean; detail: string }>;
          }>
        )
          .find((p) => p.service_id === checkout)!
          .items.find((i) => i.key === key)!;
      expect(await item('escalation_policy')).toMatchObject({ ok: true, detail: 'set' });
      expect(await item('oncall_no_gaps')).toMatchObject({ ok: false, detail: '1 gap in the next 14 days' });
      clock.set(at(4));
      expect(await item('oncall_no_gaps')).toMatchObject({ ok: true, detail: '1 schedule, no gaps' });
    });

    it('runs an access review campaign from start to signed evidence; a revoke removes the access', async () => {
      clock.set(START);
      await loginAll();
      const deploy = await t.call('POST', '/api/v1/tokens', {
        body: { name: 'old-deploy', role: 'responder', team_id: payments },
      });
      const deployToken = deploy.json.token as string;
      clock.set(at(100));
      await loginAll();
      // Sam can upload scans for his team before the review.
      const upload = () =>
        t.call('POST', '/api/v1/security/scans', {
          ...as('sam'),
          body: { service_id: checkout, kind: 'secret', findings: [] },
        });
      expect((await upload()).status).toBe(201);

      // Access in another system, from its CSV export; Payments owns it.
      const badCsv = await t.call('PUT', '/api/v1/security/access-register', {
        body: {
          system: 'AWS production',
          owner_team_id: payments,
          csv: 'person,email,access\nMia,not-an-email,Admin\n',
        },
      });
      expect(badCsv.status).toBe(400);
      expect(badCsv.json.errors[0].path).toBe('body.csv.line2.email');
      const awsCsv = [
        'person,email,access,last_used_at',
        `mia,mia@example.test,AdministratorAccess,${at(90)}`,
        `"Contractor, Old",,ReadOnlyAccess,${at(-20)}`,
      ].join('\r\n');
      const imported = await t.call('PUT', '/api/v1/security/access-register', {
        body: { system: 'AWS production', owner_team_id: payments, csv: awsCsv },
      });
      expect(imported.json).toEqual({ system: 'AWS production', added: 2, kept: 0, gone: 0 });

      expect(
        (await t.call('POST', '/api/v1/security/access-reviews', { ...as('mia'), body: {} })).status,
      ).toBe(403);
      const started = await t.call('POST', '/api/v1/security/access-reviews', {
        body: { name: 'Q2 review' },
      });
      expect(started.status).toBe(201);
      const campaign = started.json;
      expect(campaign).toMatchObject({
        status: 'open',
        due_at: at(114),
        close_policy: 'revoke',
        reviewed: 0,
      });
      type Item = {
        id: string;
        kind: string;
        subject_name: string;
        team_name: string | null;
        role: string;
        stale_reason: string | null;
        outcome: string;
      };
      const items = campaign.items as Item[];
      const find = (kind: string, name: string) =>
        items.find((i) => i.kind === kind && i.subject_name.startsWith(name))!;
      expect(find('org_role', 'olga')).toMatchObject({ role: 'viewer', team_name: null });
      expect(find('team_role', 'sam')).toMatchObject({ role: 'responder', team_name: 'Payments' });
      expect(find('system_grant', 'Contractor, Old on AWS production')).toMatchObject({
        role: 'ReadOnlyAccess',
        team_name: 'Payments',
        stale_reason: `unused since ${at(-20).slice(0, 10)}`,
      });
      expect(find('system_grant', 'mia <mia@example.test> on AWS production').stale_reason).toBeNull();
      expect(find('token', 'old-deploy')).toMatchObject({
        role: 'responder',
        stale_reason: `never used since it was created ${START.slice(0, 10)}`,
      });
      expect(
        items
          .filter((i) => i.kind === 'team_role')
          .map((i) => i.subject_name.split(' ')[0])
          .sort(),
      ).toEqual(['mia', 'sam']);
      expect(campaign.total).toBe(items.length);

      // Mia (manager of Payments) sees and decides only Payments' team grants.
      const miaView = await t.call('GET', `/api/v1/security/access-reviews/${campaign.id}`, as('mia'));
      expect(miaView.json.items.map((i: Item) => i.kind).sort()).toEqual([
        'system_grant',
        'system_grant',
        'team_role',
        'team_role',
      ]);
      const decide = (item: Item, decision: string, who?: string, note = 'checked with the team') =>
        t.call('POST', `/api/v1/security/access-reviews/${campaign.id}/items/${item.id}/decision`, {
          ...(who ? as(who) : {}),
          body: { decision, note },
        });
      expect((await decide(find('org_role', 'olga'), 'revoke', 'mia')).status).toBe(403);
      const noNote = await t.call(
        'POST',
        `/api/v1/security/access-reviews/${campaign.id}/items/${find('team_role', 'sam').id}/decision`,
        {
          ...as('mia'),
          body: { decision: 'revoke' },
        },
      );
      expect(noNote.status).toBe(400);
      expect((await upload()).status).toBe(201);
      const revoked = await decide(find('team_role', 'sam'), 'revoke', 'mia', 'moved to the data team');
      expect(revoked.status).toBe(200);
      expect(revoked.json).toMatchObject({ decision: 'revoke', outcome: 'revoked', decided_by: 'mia' });
      // The revoke really took the access away: Sam's next write to Payments is refused.
      const denied = await upload();
      expect(denied.status).toBe(403);
      expect(denied.json.code).toBe('AUTH_FORBIDDEN');
      // Any revoke wins: certifying it afterwards is refused.
      expect((await decide(find('team_role', 'sam'), 'certify', 'mia')).json.code).toBe(
        'SECURITY_GRANT_REVOKED',
      );

      // A grant in another system: the revoke is recorded in the register for its owners to carry out.
      expect(
        (await decide(find('system_grant', 'Contractor'), 'revoke', 'mia', 'contract ended')).status,
      ).toBe(200);
      const register = (await t.call('GET', '/api/v1/security/access-register?system=AWS%20production')).json;
      expect(register.find((g: { person: string }) => g.person === 'Contractor, Old')).toMatchObject({
        removed_at: at(100),
        removed_by: 'mia',
        removal_note: `revoked in access review ${campaign.id}`,
      });
      // A later import of the system keeps what is listed and never revives what was revoked.
      const reimport = await t.call('PUT', '/api/v1/security/access-register', {
        body: {
          system: 'AWS production',
          owner_team_id: payments,
          grants: [{ person: 'mia', email: 'mia@example.test', access: 'AdministratorAccess' }],
        },
      });
      expect(reimport.json).toEqual({ system: 'AWS production', added: 0, kept: 1, gone: 0 });

      // The stale deploy token: revoked by an admin, and dead at once.
      expect((await t.call('GET', `/api/v1/services/${checkout}`, { token: deployToken })).status).toBe(200);
      expect((await decide(find('token', 'old-deploy'), 'revoke', 'ada', 'never used')).status).toBe(200);
      const dead = await t.call('GET', `/api/v1/services/${checkout}`, { token: deployToken });
      expect(dead.status).toBe(401);
      expect(dead.json.code).toBe('AUTH_INVALID_TOKEN');

      // Reminder two days before the due date, to the reviewers of what is still pending.
      clock.set(at(112));
      await t.container.worker.drain();
      const reminder = smtp.mails.filter(
        (m) => subjectOf(m.raw) === `Access review due ${at(114).slice(0, 10)}: Q2 review`,
      );
      // Mia's own team grant is still pending, so she is reminded too; org grants go to admins.
      expect(reminder.map((m) => m.to[0]).sort()).toEqual(['ada@example.test', 'mia@example.test']);
      clock.set(at(114));
      await loginAll();
      await t.container.worker.drain();
      const escalation = smtp.mails.filter((m) =>
        subjectOf(m.raw).startsWith('Access review overdue: Q2 review'),
      );
      expect(escalation.map((m) => m.to)).toEqual([['ada@example.test']]);

      // Certify everything else but Olga's org role; closing revokes what nobody reviewed.
      for (const item of items) {
        if (item.outcome !== 'pending' || item.subject_name.startsWith('olga')) continue;
        if (item.kind === 'team_role' && item.subject_name.startsWith('sam')) continue;
        if (item.kind === 'token' && item.subject_name.startsWith('old-deploy')) continue;
        if (item.kind === 'system_grant' && item.subject_name.startsWith('Contractor')) continue;
        expect((await decide(item, 'certify', 'ada')).status).toBe(200);
      }
      const closed = await t.call('POST', `/api/v1/security/access-reviews/${campaign.id}/close`);
      expect(closed.status).toBe(200);
      expect(closed.json).toMatchObject({
        status: 'closed',
        closed_at: at(114),
        revoked: 4,
        reviewed: items.length - 1,
      });
      expect(closed.json.items.find((i: Item) => i.subject_name.startsWith('olga')).outcome).toBe(
        'revoked_on_close',
      );
      expect((await t.call('GET', `/api/v1/users/${people.olga!.id}`)).json.role).toBeNull();
      expect((await decide(find('token', 'old-deploy'), 'certify', 'ada')).json.code).toBe(
        'SECURITY_CAMPAIGN_CLOSED',
      );

      // Evidence: signed JSON that verifies, fails once altered; CSV with one row per grant.
      const evidence = await t.call('GET', `/api/v1/security/access-reviews/${campaign.id}/evidence`);
      expect(evidence.status).toBe(200);
      expect(evidence.json.report.items).toHaveLength(items.length);
      const verify = (report: unknown) =>
        t.call('POST', '/api/v1/security/access-reviews/evidence/verify', {
          body: { report, signature: evidence.json.signature },
        });
      expect((await verify(evidence.json.report)).json).toEqual({ valid: true, campaign_id: campaign.id });
      const altered = structuredClone(evidence.json.report);
      altered.items[0].note = 'changed after signing';
      expect((await verify(altered)).json.valid).toBe(false);
      const csv = await t.call('GET', `/api/v1/security/access-reviews/${campaign.id}/evidence?format=csv`);
      expect(csv.headers['content-type']).toContain('text/csv');
      const lines = csv.body.trim().split('\r\n');
      expect(lines[0]).toBe(
        'item_id,kind,subject,team,role,last_used_at,stale,decision,note,decided_by,decided_at,outcome',
      );
      expect(lines).toHaveLength(items.length + 1);
      expect(lines.find((l) => l.includes('moved to the data team'))).toContain(
        ',revoke,moved to the data team,mia,',
      );

      const audited = await t.container.db
        .selectFrom('audit_log')
        .select('action')
        .where('action', 'like', 'security.access_review.%')
        .execute();
      const actions = audited.map((a) => a.action);
      expect(actions.filter((a) => a === 'security.access_review.revoke')).toHaveLength(3);
      expect(actions).toContain('security.access_review.start');
      expect(actions).toContain('security.access_review.close');
    });

    it('closing with the revoke policy keeps the last admin an admin', async () => {
      await loginAll();
      const started = await t.call('POST', '/api/v1/security/access-reviews', {
        ...as('ada'),
        body: { name: 'Nobody reviews', close_policy: 'revoke' },
      });
      expect(started.status).toBe(201);
      const adaItem = (started.json.items as Array<{ kind: string; subject_name: string }>).find(
        (i) => i.kind === 'org_role' && i.subject_name.startsWith('ada'),
      );
      expect(adaItem).toBeDefined();
      const closed = await t.call(
        'POST',
        `/api/v1/security/access-reviews/${started.json.id}/close`,
        as('ada'),
      );
      expect(closed.status).toBe(200);
      const outcomeOf = (name: string) =>
        closed.json.items.find(
          (i: { kind: string; subject_name: string }) =>
            i.kind === 'org_role' && i.subject_name.startsWith(name),
        )?.outcome;
      expect(outcomeOf('ada')).toBe('kept_on_close');
      const ada = await t.call('GET', `/api/v1/users/${people.ada!.id}`, as('ada'));
      expect(ada.status).toBe(200);
      expect(ada.json.role).toBe('admin');
    });
  });
}
