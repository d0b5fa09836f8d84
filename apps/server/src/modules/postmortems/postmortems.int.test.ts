import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from '../../../../../test-support/engines.ts';
import { startSmtp } from '../../../../../test-support/smtp.ts';
import { fixedClock } from '../../platform/clock.ts';

const START = '2025-04-01T12:00:00.000Z';
const MIN = 60_000;
const HOUR = 60 * MIN;

/** A real HTTP receiver on 127.0.0.1 (the Slack webhook). */
async function startReceiver() {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slack`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The Subject header of a raw message (unfolded; subjects here are ASCII). */
function subjectOf(raw: string): string {
  const head = (raw.split(/\r?\n\r?\n/)[0] ?? '').replace(/\r?\n[ \t]+/g, ' ');
  return /^subject:\s*(.*)$/im.exec(head)?.[1] ?? '';
}

for (const engine of ENGINES) {
  describe(`postmortems [${engine}]`, () => {
    const clock = fixedClock(START);
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let slack: Awaited<ReturnType<typeof startReceiver>>;
    let t: TestApp;
    let teamId: string;
    let otherTeamId: string;
    let serviceId: string;
    let ada: { id: string; email: string };
    let bruno: { id: string; email: string };
    let counter = 0;

    beforeAll(async () => {
      smtp = await startSmtp();
      slack = await startReceiver();
      t = await createTestApp(engine, {
        clock,
        env: {
          ENGOPS_SMTP_HOST: '127.0.0.1',
          ENGOPS_SMTP_PORT: String(smtp.port),
          ENGOPS_SMTP_FROM: 'engops <engops@example.test>',
        },
      });
      const team = await t.call('POST', '/api/v1/teams', {
        body: { name: 'Payments', time_zone: 'Europe/Berlin' },
      });
      teamId = team.json.id;
      otherTeamId = (await t.call('POST', '/api/v1/teams', { body: { name: 'Other', time_zone: 'UTC' } }))
        .json.id;
      const user = async (name: string, email: string) => {
        const u = await t.call('POST', '/api/v1/users', { body: { name, email, role: 'viewer' } });
        expect(u.status).toBe(201);
        const m = await t.call('POST', `/api/v1/teams/${teamId}/members`, {
          body: { user_id: u.json.id, role: 'responder' },
        });
        expect(m.status).toBe(201);
        return { id: u.json.id as string, email };
      };
      ada = await user('Ada Okafor', 'ada@example.test');
      bruno = await user('Bruno Silva', 'bruno@example.test');
      serviceId = (
        await t.call('POST', '/api/v1/services', { body: { name: 'checkout-api', team_id: teamId } })
      ).json.id;
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
      await slack?.close();
    });

    /** A real incident: declared, acknowledged, a note, a commander, resolved 95 minutes in. */
    async function resolvedIncident(options: { resolve?: boolean } = {}) {
      counter++;
      const title = `Checkout errors ${counter}`;
      const inc = await t.call('POST', '/api/v1/incidents', {
        body: { service_id: serviceId, title, severity: 'SEV2' },
      });
      expect(inc.status).toBe(201);
      const id = inc.json.id as string;
      clock.advance(5 * MIN);
      expect((await t.call('POST', `/api/v1/incidents/${id}/acknowledge`)).status).toBe(200);
      expect(
        (await t.call('PATCH', `/api/v1/incidents/${id}`, { body: { commander_id: ada.id } })).status,
      ).toBe(200);
      clock.advance(20 * MIN);
      await t.call('POST', `/api/v1/incidents/${id}/notes`, { body: { text: 'Rolled back the deploy' } });
      clock.advance(30 * MIN);
      expect((await t.call('POST', `/api/v1/incidents/${id}/mitigate`)).status).toBe(200);
      if (options.resolve !== false) {
        clock.advance(40 * MIN);
        expect((await t.call('POST', `/api/v1/incidents/${id}/resolve`)).status).toBe(200);
      }
      return { id, title };
    }

    async function createPostmortem(incidentId: string) {
      const res = await t.call('POST', `/api/v1/incidents/${incidentId}/postmortem`);
      expect(res.status).toBe(201);
      return res.json;
    }

    it('creates the postmortem from the template: headings, order and the timeline in the team zone', async () => {
      clock.set(START);
      counter++;
      const open = await t.call('POST', '/api/v1/incidents', {
        body: { service_id: serviceId, title: 'Still open', severity: 'SEV3' },
      });
      const refused = await t.call('POST', `/api/v1/incidents/${open.json.id}/postmortem`);
      expect(refused.status).toBe(409);
      expect(refused.json.code).toBe('POSTMORTEMS_INCIDENT_NOT_READY');

      clock.set(START);
      const { id, title } = await resolvedIncident();
      const incident = (await t.call('GET', `/api/v1/incidents/${id}`)).json;
      const pm = await createPostmortem(id);
      expect(pm).toMatchObject({
        incident_id: id,
        team_id: teamId,
        status: 'draft',
        version: 1,
        overdue: false,
      });
      expect(pm.due_at).toBe(new Date(Date.parse(incident.resolved_at) + 48 * HOUR).toISOString());

      const lines: string[] = pm.markdown.split('\n');
      expect(lines[0]).toBe(`# Incident: ${title}`);
      const order = [
        'Date:',
        'Duration:',
        'Impact:',
        '## Timeline',
        '## Root Cause',
        '## Contributing Factors',
        '## Action Items',
        '## Lessons Learned',
      ].map((h) => lines.findIndex((l) => l.startsWith(h)));
      expect(order.every((i) => i > 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(lines).toContain('Date: 2025-04-01 (Europe/Berlin)');
      expect(lines.find((l) => l.startsWith('Duration:'))).toMatch(/^Duration: 1 h 35 min /);

      // One line per entry of the incident's real timeline, at Berlin time (UTC+2 in April).
      const timeline = (await t.call('GET', `/api/v1/incidents/${id}/timeline`)).json;
      const entries = Array.isArray(timeline) ? timeline : timeline.items;
      expect(entries.length).toBeGreaterThanOrEqual(5);
      const berlin = (at: string) => {
        const d = new Date(Date.parse(at) + 2 * HOUR);
        return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
      };
      const section = lines.slice(lines.indexOf('## Timeline'), lines.indexOf('## Root Cause'));
      expect(section.filter((l) => l.startsWith('- '))).toEqual(
        entries.map((e: { at: string; text: string }) => `- ${berlin(e.at)} — ${e.text}`),
      );
      expect(section).toContain(`- 14:00 — ${entries[0].text}`);

      // One postmortem per incident: a second POST returns it with 200.
      const again = await t.call('POST', `/api/v1/incidents/${id}/postmortem`);
      expect(again.status).toBe(200);
      expect(again.json.id).toBe(pm.id);
      expect((await t.call('GET', `/api/v1/incidents/${id}/postmortem`)).json.id).toBe(pm.id);
    });

    it('rejects a stale version with 409 and never overwrites silently', async () => {
      clock.set(START);
      const { id } = await resolvedIncident();
      const pm = await createPostmortem(id);
      const first = await t.call('PUT', `/api/v1/postmortems/${pm.id}`, {
        body: { markdown: `${pm.markdown}\nFirst edit.`, version: 1 },
      });
      expect(first.status).toBe(200);
      expect(first.json.version).toBe(2);
      const stale = await t.call('PUT', `/api/v1/postmortems/${pm.id}`, {
        body: { markdown: 'Second edit from an old copy', version: 1 },
      });
      expect(stale.status).toBe(409);
      expect(stale.json.code).toBe('POSTMORTEMS_VERSION_CONFLICT');
      const read = await t.call('GET', `/api/v1/postmortems/${pm.id}`);
      expect(read.json.version).toBe(2);
      expect(read.json.markdown).toContain('First edit.');

      // Concurrent saves of the same version: exactly one wins.
      const results = await Promise.all(
        ['a', 'b', 'c'].map((x) =>
          t.call('PUT', `/api/v1/postmortems/${pm.id}`, {
            body: { markdown: `${pm.markdown}\n${x}`, version: 2 },
          }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
      expect((await t.call('GET', `/api/v1/postmortems/${pm.id}`)).json.version).toBe(3);
    });

    it('tracks action items: both owner and due date required, parsed from Markdown, publish gated', async () => {
      clock.set(START);
      const { id } = await resolvedIncident();
      const pm = await createPostmortem(id);
      for (const body of [
        { title: 'No owner', due_date: '2025-04-10' },
        { title: 'No date', owner_id: ada.id },
        { title: 'Bad date', owner_id: ada.id, due_date: '10/04/2025' },
      ]) {
        const res = await t.call('POST', `/api/v1/postmortems/${pm.id}/action-items`, { body });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.json.code).toBe('HTTP_VALIDATION_FAILED');
      }
      const added = await t.call('POST', `/api/v1/postmortems/${pm.id}/action-items`, {
        body: { title: 'Add a canary stage', owner_id: bruno.id, due_date: '2025-04-20' },
      });
      expect(added.status).toBe(201);
      expect(added.json).toMatchObject({ status: 'open', owner_id: bruno.id, source: 'api', overdue: false });

      const markdown = pm.markdown.replace(
        '## Lessons Learned',
        '- [ ] Alert on payment timeouts (@ada, due 2025-04-10)\n- [ ] Load test the provider (@nobody)\n\n## Lessons Learned',
      );
      const saved = await t.call('PUT', `/api/v1/postmortems/${pm.id}`, { body: { markdown, version: 1 } });
      expect(saved.status).toBe(200);
      const fromMd = saved.json.action_items.filter((i: { source: string }) => i.source === 'markdown');
      expect(fromMd).toHaveLength(2);
      expect(fromMd[0]).toMatchObject({
        title: 'Alert on payment timeouts',
        owner_id: ada.id,
        due_date: '2025-04-10',
      });
      expect(fromMd[1]).toMatchObject({
        title: 'Load test the provider',
        owner_id: null,
        owner_handle: 'nobody',
      });

      const blocked = await t.call('POST', `/api/v1/postmortems/${pm.id}/publish`);
      expect(blocked.status).toBe(409);
      expect(blocked.json.code).toBe('POSTMORTEMS_ACTION_ITEMS_INCOMPLETE');
      expect(blocked.json.errors).toHaveLength(1);
      expect(blocked.json.errors[0].message).toContain('Load test the provider');
      expect((await t.call('GET', `/api/v1/incidents/${id}`)).json.status).toBe('resolved');

      const fixed = await t.call('PUT', `/api/v1/postmortems/${pm.id}`, {
        body: {
          markdown: markdown.replace('(@nobody)', '(@bruno, due 2025-04-15)'),
          version: 2,
        },
      });
      expect(fixed.status).toBe(200);
      expect(fixed.json.action_items).toHaveLength(3);
      expect((await t.call('POST', `/api/v1/postmortems/${pm.id}/submit`)).json.status).toBe('in_review');

      const published = await t.call('POST', `/api/v1/postmortems/${pm.id}/publish`);
      expect(published.status).toBe(200);
      expect(published.json).toMatchObject({ status: 'published', published_on_time: true });
      // Publishing marks the incident reviewed, through the incidents service.
      const incident = (await t.call('GET', `/api/v1/incidents/${id}`)).json;
      expect(incident.status).toBe('reviewed');
      expect(incident.reviewed_at).toEqual(expect.any(String));
      const final = await t.call('PUT', `/api/v1/postmortems/${pm.id}`, {
        body: { markdown: 'x', version: 3 },
      });
      expect(final.status).toBe(409);

      // Status changes; won't do needs a reason.
      const item = fixed.json.action_items.find((i: { owner_id: string }) => i.owner_id === ada.id);
      const noReason = await t.call('PATCH', `/api/v1/action-items/${item.id}`, {
        body: { status: 'wont_do' },
      });
      expect(noReason.status).toBe(400);
      const wont = await t.call('PATCH', `/api/v1/action-items/${item.id}`, {
        body: { status: 'wont_do', reason: 'Covered by the provider SLO alert' },
      });
      expect(wont.status).toBe(200);
      expect(wont.json).toMatchObject({ status: 'wont_do', reason: 'Covered by the provider SLO alert' });
      // The Markdown shows the live status of its tracked items.
      const live = (await t.call('GET', `/api/v1/postmortems/${pm.id}`)).json.markdown;
      expect(live).toContain('- [x] Alert on payment timeouts (@ada, due 2025-04-10)');
      expect(live).toContain('- [ ] Load test the provider (@bruno, due 2025-04-15)');
      const done = await t.call('PATCH', `/api/v1/action-items/${added.json.id}`, {
        body: { status: 'done' },
      });
      expect(done.json.status).toBe('done');
      expect(done.json.completed_at).toEqual(expect.any(String));

      const mine = await t.call('GET', `/api/v1/action-items?owner_id=${bruno.id}`);
      expect(mine.json.items.map((i: { title: string }) => i.title).sort()).toEqual([
        'Add a canary stage',
        'Load test the provider',
      ]);
      expect(
        (await t.call('GET', `/api/v1/action-items?owner_id=${bruno.id}&status=done`)).json.items,
      ).toHaveLength(1);
    });

    it('computes due dates, overdue flags and on-time stats from the clock', async () => {
      clock.set('2025-05-01T08:00:00.000Z');
      const late = await resolvedIncident();
      const latePm = await createPostmortem(late.id);
      const onTime = await resolvedIncident();
      const onTimePm = await createPostmortem(onTime.id);

      clock.set(new Date(Date.parse(latePm.due_at) - MIN));
      expect((await t.call('GET', `/api/v1/postmortems/${latePm.id}`)).json.overdue).toBe(false);
      expect((await t.call('POST', `/api/v1/postmortems/${onTimePm.id}/publish`)).status).toBe(200);

      clock.set(new Date(Date.parse(latePm.due_at) + MIN));
      expect((await t.call('GET', `/api/v1/postmortems/${latePm.id}`)).json.overdue).toBe(true);
      const overdue = await t.call('GET', `/api/v1/postmortems?overdue=true&team_id=${teamId}`);
      expect(overdue.json.items.map((p: { id: string }) => p.id)).toContain(latePm.id);
      expect(overdue.json.items.map((p: { id: string }) => p.id)).not.toContain(onTimePm.id);
      const notOverdue = await t.call('GET', '/api/v1/postmortems?overdue=false');
      expect(notOverdue.json.items.map((p: { id: string }) => p.id)).toContain(onTimePm.id);

      const stats = await t.call('GET', `/api/v1/postmortems/stats?team_id=${teamId}`);
      expect(stats.status).toBe(200);
      expect(stats.json.overdue).toBeGreaterThanOrEqual(1);
      const may = stats.json.by_team_month.find((g: { month: string }) => g.month === '2025-05');
      expect(may).toEqual({
        team_id: teamId,
        month: '2025-05',
        due: 2,
        published: 1,
        published_on_time: 1,
        overdue: 1,
        on_time_share: 0.5,
      });

      // Published late: counted as published, not on time.
      expect((await t.call('POST', `/api/v1/postmortems/${latePm.id}/publish`)).json.published_on_time).toBe(
        false,
      );
      const after = (
        await t.call('GET', `/api/v1/postmortems/stats?team_id=${teamId}`)
      ).json.by_team_month.find((g: { month: string }) => g.month === '2025-05');
      expect(after).toMatchObject({
        due: 2,
        published: 2,
        published_on_time: 1,
        overdue: 0,
        on_time_share: 0.5,
      });
    });

    it('reminds the commander before the deadline and when it passes, and owners around due dates', async () => {
      clock.set('2025-06-01T08:00:00.000Z');
      const { id, title } = await resolvedIncident();
      const pm = await createPostmortem(id);
      const added = await t.call('POST', `/api/v1/postmortems/${pm.id}/action-items`, {
        body: { title: `Fix retries for ${title}`, owner_id: bruno.id, due_date: '2025-06-20' },
      });
      expect(added.status).toBe(201);
      const mailsAbout = (text: string) => smtp.mails.filter((m) => subjectOf(m.raw).includes(text));

      await t.container.worker.drain();
      expect(mailsAbout(title)).toHaveLength(0);

      clock.set(new Date(Date.parse(pm.due_at) - 11 * HOUR));
      await t.container.worker.drain();
      const before = mailsAbout(`Postmortem due`).filter((m) => subjectOf(m.raw).includes(title));
      expect(before).toHaveLength(1);
      expect(before[0]!.to).toEqual([ada.email]);
      expect(mailsAbout(`Postmortem overdue: ${title}`)).toHaveLength(0);

      clock.set(new Date(Date.parse(pm.due_at) + MIN));
      await t.container.worker.drain();
      const overdue = mailsAbout(`Postmortem overdue: ${title}`);
      expect(overdue).toHaveLength(1);
      expect(overdue[0]!.to).toEqual([ada.email]);

      clock.set('2025-06-19T09:00:00.000Z');
      await t.container.worker.drain();
      const itemBefore = mailsAbout(`Action item due 2025-06-20: Fix retries for ${title}`);
      expect(itemBefore).toHaveLength(1);
      expect(itemBefore[0]!.to).toEqual([bruno.email]);
      expect(
        (await t.call('GET', `/api/v1/action-items?owner_id=${bruno.id}&overdue=true`)).json.items.map(
          (i: { id: string }) => i.id,
        ),
      ).not.toContain(added.json.id);

      clock.set('2025-06-21T09:00:00.000Z');
      await t.container.worker.drain();
      expect(mailsAbout(`Action item overdue: Fix retries for ${title}`)).toHaveLength(1);
      expect(
        (await t.call('GET', `/api/v1/action-items?owner_id=${bruno.id}&overdue=true`)).json.items.map(
          (i: { id: string }) => i.id,
        ),
      ).toContain(added.json.id);
      // Nothing is sent twice.
      await t.container.worker.drain();
      expect(mailsAbout(title)).toHaveLength(4);
    });

    it('notifies the team, the org-wide list and the Slack webhook on publish', async () => {
      clock.set('2025-07-01T08:00:00.000Z');
      const current = (await t.call('GET', '/api/v1/policy')).json;
      const put = await t.call('PUT', '/api/v1/policy', {
        body: {
          policy: {
            ...current.policy,
            postmortems: {
              ...current.policy.postmortems,
              publish_email_list: ['engineering@example.test'],
              publish_slack_webhook_url: slack.url,
            },
          },
          version: current.version,
        },
      });
      expect(put.status).toBe(200);
      const { id, title } = await resolvedIncident();
      const pm = await createPostmortem(id);
      expect((await t.call('POST', `/api/v1/postmortems/${pm.id}/publish`)).status).toBe(200);
      await t.container.worker.drain();
      const published = smtp.mails.filter((m) => subjectOf(m.raw) === `Postmortem published: ${title}`);
      expect(published.flatMap((m) => m.to).sort()).toEqual(
        [ada.email, bruno.email, 'engineering@example.test'].sort(),
      );
      expect(slack.bodies.some((b) => b.includes(`Postmortem published: ${title}`))).toBe(true);
      expect(slack.bodies.some((b) => b.includes(`/postmortems/${pm.id}`))).toBe(true);
    });

    it('lints for blame with the people in the catalog', async () => {
      const res = await t.call('POST', '/api/v1/postmortems/lint', {
        body: {
          markdown:
            '## Root Cause\n\nAda Okafor broke the deploy. The deploy pipeline allowed an unreviewed change.\n\n## Lessons Learned\n\nIt was human error.',
        },
      });
      expect(res.status).toBe(200);
      expect(res.json.findings.map((f: { rule: string; line: number }) => [f.rule, f.line])).toEqual([
        ['person-as-subject', 3],
        ['human-error', 7],
      ]);
      const dismissed = await t.call('POST', '/api/v1/postmortems/lint', {
        body: { markdown: 'It was human error.', dismissed: [{ rule: 'human-error', text: 'human error' }] },
      });
      expect(dismissed.json.findings).toEqual([]);
    });

    it('exports a standalone HTML page that is inert for XSS payloads', async () => {
      clock.set('2025-08-01T08:00:00.000Z');
      const { id } = await resolvedIncident();
      const pm = await createPostmortem(id);
      const markdown = `${pm.markdown}\n<script>alert(1)</script>\n[x](javascript:alert(1))\n<img src=x onerror=alert(1)>\n<iframe src="https://example.test"></iframe>\n[d](data:text/html,hi)\n`;
      expect(
        (await t.call('PUT', `/api/v1/postmortems/${pm.id}`, { body: { markdown, version: 1 } })).status,
      ).toBe(200);
      const page = await t.call('GET', `/api/v1/postmortems/${pm.id}/html`);
      expect(page.status).toBe(200);
      expect(String(page.headers['content-type'])).toMatch(/^text\/html/);
      expect(String(page.headers['content-security-policy'])).toContain("default-src 'none'");
      expect(page.body).toContain('<h2>Root Cause</h2>');
      expect(page.body).toContain('<br />Duration: 1 h 35 min');
      expect(page.body).not.toMatch(/<script|javascript:|onerror|<iframe|href="data:/i);
      // The Markdown export is the saved text itself, as a file.
      const md = await t.call('GET', `/api/v1/postmortems/${pm.id}/markdown`);
      expect(md.status).toBe(200);
      expect(String(md.headers['content-type'])).toBe('text/markdown; charset=utf-8');
      expect(String(md.headers['content-disposition'])).toMatch(
        /^attachment; filename="postmortem-Checkout-errors-\d+\.md"$/,
      );
      expect(md.body).toBe(markdown);
      const preview = await t.call('POST', '/api/v1/postmortems/render', {
        token: await t.tokenFor('viewer'),
        body: { markdown: '## Hi\n<img src=x onerror=alert(1)>[a](javascript:x)' },
      });
      expect(preview.status).toBe(200);
      expect(preview.json.html).toContain('<h2>Hi</h2>');
      expect(preview.json.html).not.toMatch(/onerror|javascript:/);
    });

    it('lets viewers read but not write, and team responders write only their team', async () => {
      clock.set('2025-09-01T08:00:00.000Z');
      const { id } = await resolvedIncident();
      const viewer = await t.tokenFor('viewer');
      const outsider = await t.tokenFor('responder', otherTeamId);
      const teamResponder = await t.tokenFor('responder', teamId);
      for (const token of [viewer, outsider]) {
        const res = await t.call('POST', `/api/v1/incidents/${id}/postmortem`, { token });
        expect(res.status).toBe(403);
        expect(res.json.code).toBe('AUTH_FORBIDDEN');
      }
      const created = await t.call('POST', `/api/v1/incidents/${id}/postmortem`, { token: teamResponder });
      expect(created.status).toBe(201);
      const pmId = created.json.id;
      const writes: Array<[string, string, unknown]> = [
        ['PUT', `/api/v1/postmortems/${pmId}`, { markdown: 'x', version: 1 }],
        ['POST', `/api/v1/postmortems/${pmId}/submit`, undefined],
        ['POST', `/api/v1/postmortems/${pmId}/publish`, undefined],
        [
          'POST',
          `/api/v1/postmortems/${pmId}/action-items`,
          { title: 'x', owner_id: ada.id, due_date: '2025-09-10' },
        ],
      ];
      for (const token of [viewer, outsider]) {
        for (const [method, url, body] of writes) {
          const res = await t.call(method, url, { token, ...(body ? { body } : {}) });
          expect(res.status, `${method} ${url}`).toBe(403);
        }
      }
      expect((await t.call('GET', `/api/v1/postmortems/${pmId}`, { token: viewer })).status).toBe(200);
      // A draft is the team's; once published every signed-in user may read it.
      expect(
        (
          await t.call('GET', `/api/v1/postmortems/${pmId}`, {
            token: await t.tokenFor('viewer', otherTeamId),
          })
        ).status,
      ).toBe(403);
      expect(
        (await t.call('POST', `/api/v1/postmortems/${pmId}/publish`, { token: teamResponder })).status,
      ).toBe(200);
      expect(
        (
          await t.call('GET', `/api/v1/postmortems/${pmId}`, {
            token: await t.tokenFor('viewer', otherTeamId),
          })
        ).status,
      ).toBe(200);
      expect((await t.call('GET', '/api/v1/postmortems', { token: null })).status).toBe(401);
    });

    it('lists incidents that need a postmortem and have none, and searches title and body', async () => {
      clock.set('2025-11-01T08:00:00.000Z');
      const { id } = await resolvedIncident();
      const missing = await t.call('GET', `/api/v1/postmortems/missing?team_id=${teamId}`);
      expect(missing.status).toBe(200);
      const entry = missing.json.items.find((m: { incident_id: string }) => m.incident_id === id);
      expect(entry).toMatchObject({ severity: 'SEV2', status: 'resolved', overdue: false });
      clock.advance(49 * HOUR);
      expect(
        (await t.call('GET', '/api/v1/postmortems/missing')).json.items.find(
          (m: { incident_id: string }) => m.incident_id === id,
        ).overdue,
      ).toBe(true);
      const pm = await createPostmortem(id);
      expect(
        (await t.call('GET', '/api/v1/postmortems/missing')).json.items.map(
          (m: { incident_id: string }) => m.incident_id,
        ),
      ).not.toContain(id);

      await t.call('PUT', `/api/v1/postmortems/${pm.id}`, {
        body: { markdown: `${pm.markdown}\nThe Zeppelin cache evicted 100% of keys.`, version: 1 },
      });
      const found = await t.call('GET', '/api/v1/postmortems?q=zePPelin');
      expect(found.json.items.map((p: { id: string }) => p.id)).toEqual([pm.id]);
      expect((await t.call('GET', '/api/v1/postmortems?q=100%25%20of')).json.items).toHaveLength(1);
      expect((await t.call('GET', '/api/v1/postmortems?q=%25%25%25')).json.items).toHaveLength(0);
    });

    it('writes a postmortem for a mitigated incident, 404 for an unknown one', async () => {
      clock.set('2025-10-01T08:00:00.000Z');
      const { id } = await resolvedIncident({ resolve: false });
      const incident = (await t.call('GET', `/api/v1/incidents/${id}`)).json;
      const pm = await createPostmortem(id);
      expect(pm.due_at).toBe(new Date(Date.parse(incident.mitigated_at) + 48 * HOUR).toISOString());
      expect((await t.call('POST', '/api/v1/incidents/inc_nope/postmortem')).status).toBe(404);
      expect((await t.call('GET', '/api/v1/postmortems/pm_nope')).json.code).toBe('POSTMORTEMS_NOT_FOUND');
    });
  });
}
