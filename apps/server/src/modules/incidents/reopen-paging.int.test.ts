import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { startSmtp } from '../../../../../test-support/smtp.ts';
import { fixedClock } from '../../platform/clock.ts';

/**
 * A reopened incident pages again (a new page job per reopen) and reaches the triggered listeners
 * (a rollout plan pauses at once); a page job that runs again after its completion was lost pages
 * nobody twice and writes its timeline once.
 */
for (const engine of ENGINES) {
  describe(`reopen pages again; page jobs are idempotent [${engine}]`, () => {
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let t: TestApp;
    const clock = fixedClock('2026-03-09T09:00:00.000Z');

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
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
    });

    /** The page job, then the deliveries it enqueued (and jobs those enqueue). */
    const drain = async () => {
      await t.container.worker.drain();
      await t.container.worker.drain();
    };
    const subjectsTo = (email: string) =>
      smtp.mails
        .filter((m) => m.to.includes(email))
        .map((m) => /Subject: (.*(?:\r\n[ \t].*)*)/.exec(m.raw)?.[1]?.replace(/\r\n[ \t]/g, ' '))
        .filter((s) => !s?.includes('Rollout'));
    const rolloutMails = () => smtp.mails.filter((m) => m.raw.includes('Rollout of pay.v4 paused')).length;
    const timeline = async (id: string) =>
      (await t.call('GET', `/api/v1/incidents/${id}/timeline`)).json.items as Array<{
        kind: string;
        text: string;
        data: Record<string, unknown> | null;
      }>;
    /** The job's worker died after its effect, before recording it: its lease runs out, it runs again. */
    const loseCompletion = async (dedupeKey: string) => {
      const job = await t.container.db
        .selectFrom('jobs')
        .select(['id', 'status'])
        .where('dedupe_key', '=', dedupeKey)
        .executeTakeFirstOrThrow();
      expect(job.status).toBe('done');
      await t.container.db
        .updateTable('jobs')
        .set({
          status: 'running',
          lease_owner: 'a-worker-that-died',
          lease_until: new Date(clock.now().getTime() - 1).toISOString(),
          finished_at: null,
        })
        .where('id', '=', job.id)
        .execute();
      return job.id;
    };

    async function teamWith(suffix: string, people: string[]) {
      const team = (
        await t.call('POST', '/api/v1/teams', { body: { name: `Payments ${suffix}`, time_zone: 'UTC' } })
      ).json;
      const service = (
        await t.call('POST', '/api/v1/services', { body: { name: `payments-${suffix}`, team_id: team.id } })
      ).json;
      const emails: string[] = [];
      for (const name of people) {
        const email = `${name}.${suffix}@example.test`;
        const user = (await t.call('POST', '/api/v1/users', { body: { email, name, role: null } })).json;
        await t.call('POST', `/api/v1/teams/${team.id}/members`, {
          body: { user_id: user.id, role: 'responder' },
        });
        emails.push(email);
      }
      return { team, service, emails };
    }

    /** A one-level escalation policy paging the person with this email, set on the service. */
    async function policyFor(teamId: string, serviceId: string, name: string, email: string) {
      const users = (await t.call('GET', '/api/v1/users?limit=200')).json.items as Array<{
        id: string;
        email: string;
      }>;
      const userId = users.find((u) => u.email === email)!.id;
      const policy = await t.call('POST', '/api/v1/escalation-policies', {
        body: {
          name,
          team_id: teamId,
          levels: [{ delay_seconds: 600, targets: [{ type: 'user', id: userId }] }],
        },
      });
      expect(policy.status, JSON.stringify(policy.json)).toBe(201);
      await t.call('PATCH', `/api/v1/services/${serviceId}`, {
        body: { escalation_policy_id: policy.json.id },
      });
      return userId;
    }

    it('pages again on each reopen and pauses a linked rollout plan at once', async () => {
      const { team, service, emails } = await teamWith('a', ['rita']);
      const rita = emails[0]!;
      await t.call('POST', '/api/v1/flags', { body: { key: 'pay.v4', owner_team_id: team.id } });
      const planId = (
        await t.call('POST', '/api/v1/flags/pay.v4/rollout-plans', {
          body: {
            environment: 'production',
            steps: [10, 50, 100],
            interval_minutes: 60,
            service_ids: [service.id],
          },
        })
      ).json.id as string;
      await drain();
      const plan = async () => (await t.call('GET', `/api/v1/rollout-plans/${planId}`)).json;
      expect((await plan()).current_percent).toBe(10);

      const incident = (
        await t.call('POST', '/api/v1/incidents', {
          body: { service_id: service.id, title: 'Card payments failing', severity: 'SEV2' },
        })
      ).json;
      await drain();
      expect(subjectsTo(rita)).toEqual([`[engops] #${incident.number} SEV2: Card payments failing`]);
      expect((await plan()).status).toBe('paused');
      await t.call('POST', `/api/v1/incidents/${incident.id}/resolve`);
      clock.advance(60_000);
      expect((await t.call('POST', `/api/v1/rollout-plans/${planId}/resume`)).json.status).toBe('active');
      await drain();
      expect((await plan()).current_percent).toBe(10);

      // Reopened: paged again, and the plan is paused and rolled back now, not at its next step.
      clock.advance(60_000);
      const reopened = await t.call('POST', `/api/v1/incidents/${incident.id}/reopen`);
      expect(reopened.status).toBe(200);
      expect(reopened.json).toMatchObject({ status: 'triggered', suppressed: false });
      await drain();
      expect(subjectsTo(rita)).toEqual([
        `[engops] #${incident.number} SEV2: Card payments failing`,
        `[engops] #${incident.number} SEV2: Card payments failing (reopened)`,
      ]);
      expect(await plan()).toMatchObject({
        status: 'paused',
        current_percent: 0,
        paused_incident_id: incident.id,
      });
      expect(rolloutMails()).toBe(2);

      // A second reopen pages again.
      await t.call('POST', `/api/v1/incidents/${incident.id}/resolve`);
      await t.call('POST', `/api/v1/incidents/${incident.id}/reopen`);
      await drain();
      expect(subjectsTo(rita)).toHaveLength(3);

      // The first reopen's page job runs again (its completion was lost): nobody is paged twice.
      await loseCompletion(`page:${incident.id}:reopen:1`);
      expect(await t.container.worker.drain()).toBe(1);
      await drain();
      expect(subjectsTo(rita)).toHaveLength(3);
      const pages = (await timeline(incident.id)).filter((e) => e.kind === 'notification');
      expect(pages.map((e) => [e.text, e.data?.reopen ?? 0])).toEqual([
        ['Paged rita by email', 0],
        ['Paged rita by email (reopened)', 1],
        ['Paged rita by email (reopened)', 2],
      ]);
      const audit = (await t.call('GET', '/api/v1/audit-log?limit=200')).json.items as Array<{
        action: string;
        target_id: string;
      }>;
      expect(audit.filter((e) => e.target_id === incident.id && e.action === 'incident.reopen')).toHaveLength(
        2,
      );
    });

    it('a page job of an earlier reopen that runs after a newer reopen pages nobody', async () => {
      const { service, emails } = await teamWith('f', ['quinn']);
      const incident = (
        await t.call('POST', '/api/v1/incidents', {
          body: { service_id: service.id, title: 'Payouts delayed', severity: 'SEV2' },
        })
      ).json;
      await drain();
      expect(subjectsTo(emails[0]!)).toHaveLength(1);
      // Reopened twice before the worker gets to the first reopen's page job (a backlog).
      for (let i = 0; i < 2; i++) {
        await t.call('POST', `/api/v1/incidents/${incident.id}/resolve`);
        expect((await t.call('POST', `/api/v1/incidents/${incident.id}/reopen`)).status).toBe(200);
      }
      await drain();
      // Paged once for the reopen that stands (reopen 2), not also for the one it replaced.
      expect(subjectsTo(emails[0]!)).toEqual([
        `[engops] #${incident.number} SEV2: Payouts delayed`,
        `[engops] #${incident.number} SEV2: Payouts delayed (reopened)`,
      ]);
      const pages = (await timeline(incident.id)).filter((e) => e.kind === 'notification');
      expect(pages.map((e) => [e.text, e.data?.reopen ?? 0])).toEqual([
        ['Paged quinn by email', 0],
        ['Paged quinn by email (reopened)', 2],
      ]);
    });

    it('a reopen escalates again from level 1 of the policy, once per page job', async () => {
      const { team, service, emails } = await teamWith('e', ['eve']);
      await policyFor(team.id, service.id, 'Core', emails[0]!);
      const incident = (
        await t.call('POST', '/api/v1/incidents', {
          body: { service_id: service.id, title: 'Core down', severity: 'SEV1' },
        })
      ).json;
      await drain();
      expect(subjectsTo(emails[0]!)).toEqual([`[engops] #${incident.number} SEV1: Core down`]);
      await t.call('POST', `/api/v1/incidents/${incident.id}/resolve`);
      await t.call('POST', `/api/v1/incidents/${incident.id}/reopen`);
      await drain();
      expect(subjectsTo(emails[0]!)).toEqual([
        `[engops] #${incident.number} SEV1: Core down`,
        `[engops] #${incident.number} SEV1: Core down (reopened)`,
      ]);
      await loseCompletion(`page:${incident.id}:reopen:1`);
      await drain();
      expect(subjectsTo(emails[0]!)).toHaveLength(2);
      const lines = (await timeline(incident.id)).filter((e) => e.kind === 'notification').map((e) => e.text);
      expect(lines).toEqual([
        'Paged eve by email (escalation level 1, via user)',
        'Paged eve by email (escalation level 1, via user, reopen 1)',
        'The page for reopen 1 ran again after a lost completion; nobody is paged twice',
      ]);
    });

    it('a reopen the escalation policy reaches nobody for emails the team instead, and says so', async () => {
      const { team, service, emails } = await teamWith('g', ['gus', 'hal']);
      const gus = await policyFor(team.id, service.id, 'Only gus', emails[0]!);
      const incident = (
        await t.call('POST', '/api/v1/incidents', {
          body: { service_id: service.id, title: 'Ledger split', severity: 'SEV2' },
        })
      ).json;
      await drain();
      expect(subjectsTo(emails[0]!)).toEqual([`[engops] #${incident.number} SEV2: Ledger split`]);
      expect(subjectsTo(emails[1]!)).toEqual([]);
      // Gus leaves: the policy's only target can be paged no more.
      const disabled = await t.call('PATCH', `/api/v1/users/${gus}`, { body: { disabled: true } });
      expect(disabled.status, JSON.stringify(disabled.json)).toBe(200);
      await t.call('POST', `/api/v1/incidents/${incident.id}/resolve`);
      await t.call('POST', `/api/v1/incidents/${incident.id}/reopen`);
      await drain();
      // The reopen still reaches someone: the team's other responder, by email.
      expect(subjectsTo(emails[0]!)).toHaveLength(1);
      expect(subjectsTo(emails[1]!)).toEqual([`[engops] #${incident.number} SEV2: Ledger split (reopened)`]);
      const lines = (await timeline(incident.id)).filter((e) => e.kind === 'notification').map((e) => e.text);
      expect(lines).toEqual([
        'Paged gus by email (escalation level 1, via user)',
        'The escalation policy paged nobody again after reopen 1: emailing the team',
        'Paged hal by email (reopened)',
      ]);
    });

    it('records a reopen inside a maintenance window without paging or telling listeners', async () => {
      const { service, emails } = await teamWith('b', ['mia']);
      const incident = (
        await t.call('POST', '/api/v1/incidents', {
          body: { service_id: service.id, title: 'Ledger lag', severity: 'SEV3' },
        })
      ).json;
      await drain();
      expect(subjectsTo(emails[0]!)).toHaveLength(1);
      await t.call('POST', `/api/v1/incidents/${incident.id}/resolve`);
      const now = clock.now().getTime();
      const window = await t.call('POST', `/api/v1/services/${service.id}/maintenance-windows`, {
        body: {
          starts_at: new Date(now - 60_000).toISOString(),
          ends_at: new Date(now + 3600_000).toISOString(),
          reason: 'database upgrade',
        },
      });
      expect(window.status).toBe(201);
      const reopened = await t.call('POST', `/api/v1/incidents/${incident.id}/reopen`);
      expect(reopened.json).toMatchObject({ status: 'triggered', suppressed: true });
      await drain();
      expect(subjectsTo(emails[0]!)).toHaveLength(1);
      const pageJobs = await t.container.db
        .selectFrom('jobs')
        .select('dedupe_key')
        .where('dedupe_key', 'like', `page:${incident.id}%`)
        .execute();
      expect(pageJobs.map((j) => j.dedupe_key)).toEqual([`page:${incident.id}`]);
      expect((await timeline(incident.id)).map((e) => e.kind).slice(-2)).toEqual([
        'status.triggered',
        'incident.suppressed',
      ]);

      // The window ends with the reopened incident still unanswered (no alert fires: a person
      // reopened it): the on-call is paged then, for this reopen (not swallowed as a repeat of the
      // first trigger's page).
      clock.advance(3600_000 + 1000);
      await drain();
      await drain();
      expect(subjectsTo(emails[0]!)).toHaveLength(2);
      const after = await t.container.db
        .selectFrom('jobs')
        .select('dedupe_key')
        .where('dedupe_key', 'like', `page:${incident.id}%`)
        .orderBy('dedupe_key')
        .execute();
      expect(after.map((j) => j.dedupe_key)).toEqual([`page:${incident.id}`, `page:${incident.id}:reopen:1`]);
      const entries = await timeline(incident.id);
      expect(entries.find((e) => e.kind === 'incident.unsuppressed')).toMatchObject({
        text: 'The maintenance window ended with the incident reopened: paging the on-call',
        data: { firing_alerts: 0, paged: true },
      });
      const texts = entries.map((e) => e.text);
      expect(texts, JSON.stringify(texts)).toContain('Paged mia by email (reopened)');
      expect((await t.call('GET', `/api/v1/incidents/${incident.id}`)).json.suppressed).toBe(false);
    });

    it('a page job run again after a lost completion sends no second email', async () => {
      const { service, emails } = await teamWith('c', ['ola', 'pat']);
      const incident = (
        await t.call('POST', '/api/v1/incidents', {
          body: { service_id: service.id, title: 'Refunds stuck', severity: 'SEV1' },
        })
      ).json;
      await drain();
      await loseCompletion(`page:${incident.id}`);
      expect(await t.container.worker.drain()).toBe(1);
      await drain();
      for (const email of emails) expect(subjectsTo(email)).toHaveLength(1);
      const deliveries = await t.container.db
        .selectFrom('notifications')
        .select('target')
        .where('source', '=', `incident:${incident.id}`)
        .execute();
      expect(deliveries.map((d) => d.target).sort()).toEqual([...emails].sort());
      expect(
        (await timeline(incident.id)).filter((e) => e.kind === 'notification').map((e) => e.text),
      ).toEqual(['Paged ola by email', 'Paged pat by email']);
    });

    it('a page job that paged nobody, run again, says so once', async () => {
      const { service } = await teamWith('d', []);
      const incident = (
        await t.call('POST', '/api/v1/incidents', {
          body: { service_id: service.id, title: 'Nobody home', severity: 'SEV4' },
        })
      ).json;
      await drain();
      const jobId = await loseCompletion(`page:${incident.id}`);
      expect(await t.container.worker.drain()).toBe(1);
      expect((await t.container.jobs.get(jobId))?.status).toBe('done');
      const lines = (await timeline(incident.id)).filter((e) => e.kind === 'notification');
      expect(lines.map((e) => [e.text, e.data?.page_job_id])).toEqual([
        ['Nobody was paged: no escalation policy or email channel reaches this team', jobId],
      ]);
    });
  });
}
