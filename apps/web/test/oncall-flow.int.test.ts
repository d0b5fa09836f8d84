import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, type TestApp } from '../../../test-support/engines.ts';
import { startReceiver } from '../../server/src/modules/oncall/oncall-test-support.ts';
import { toLocalInput, wallClock, zonedToInstant } from '../src/modules/oncall/oncall-format.ts';
import { ADMIN, launchBrowser, logIn, serveWebApp, watchConsole } from './browser-support.ts';

/**
 * On-call in headless Chromium against a real server (real database, real HTTP): a weekly schedule
 * made in the UI, who is on call now matching the API, an override made in the UI changing who is
 * on call for its window, the iCal URL copied and fetched, an escalation policy and the load report;
 * no console errors on the way.
 */
const ZONE = 'America/New_York';

const PEOPLE = [
  { email: 'ann@example.test', name: 'Ann Able' },
  { email: 'bob@example.test', name: 'Bob Baker' },
  { email: 'cid@example.test', name: 'Cid Carter' },
];

let browser: Browser | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

for (const engine of ENGINES) {
  describe(`web UI: on-call [${engine}]`, () => {
    let t: TestApp | undefined;
    let baseUrl = '';
    let context: BrowserContext | undefined;
    let page: Page | undefined;
    let problems: string[] = [];
    let teamId = '';
    let serviceId = '';
    let scheduleId = '';
    const userIds: Record<string, string> = {};
    const nameOf = (id: string) => PEOPLE.find((p) => userIds[p.name] === id)?.name ?? id;
    const shot = (name: string) => `/tmp/engops-oncall-${engine}-${name}.png`;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;

    beforeAll(async () => {
      receiver = await startReceiver();
      // iCal URLs name this server's address, as serve() makes them once listening.
      ({ t, baseUrl } = await serveWebApp(engine, { timeZone: ZONE }));
      const team = await t.call('POST', '/api/v1/teams', { body: { name: 'Payments', time_zone: ZONE } });
      expect(team.status).toBe(201);
      teamId = team.json.id;
      for (const person of PEOPLE) {
        const user = await t.call('POST', '/api/v1/users', { body: { ...person, time_zone: ZONE } });
        expect(user.status).toBe(201);
        userIds[person.name] = user.json.id;
        const member = await t.call('POST', `/api/v1/teams/${teamId}/members`, {
          body: { user_id: user.json.id, role: 'responder' },
        });
        expect(member.status).toBe(201);
      }
      const service = await t.call('POST', '/api/v1/services', {
        body: { name: 'checkout-api', team_id: teamId, tier: 'tier-1' },
      });
      expect(service.status).toBe(201);
      serviceId = service.json.id;
    });

    afterAll(async () => {
      await context?.close();
      await t?.close();
      await receiver?.close();
    });

    it('creates a weekly schedule in the UI and shows who is on call now, as the API says', async () => {
      if (!browser || !t) throw new Error('not started');
      context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
      page = await context.newPage();
      problems = watchConsole(page);

      await logIn(page, `${baseUrl}/teams`);
      await page.getByRole('heading', { level: 1, name: 'Teams' }).waitFor();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'On-call' }).click();
      await page.getByRole('heading', { level: 1, name: 'On-call' }).waitFor();
      await page.getByText('No schedules yet. Create one to put people on call.').waitFor();

      await page.getByRole('button', { name: 'New schedule' }).click();
      const form = page.getByRole('form', { name: 'New schedule' });
      await form.getByLabel('Name', { exact: true }).fill('Payments primary');
      await form.getByLabel('Team', { exact: true }).selectOption({ label: 'Payments' });
      await form.getByLabel('Time zone').fill(ZONE);
      await form.getByLabel('Rotation unit').selectOption('week');
      await form.getByLabel('Turn length').fill('1');
      // Started 15 days ago, half a day away from the current local hour (no handoff mid-test).
      const now = Date.now();
      const w = wallClock(now, ZONE);
      const startDay = toLocalInput(now - 15 * 86_400_000, ZONE).slice(0, 10);
      const startLocal = `${startDay}T${String((w.hour + 12) % 24).padStart(2, '0')}:00`;
      await form.getByLabel('Rotation start').fill(startLocal);
      // The team's members in order: Ann, Bob, Cid.
      await form.getByText('Ann Able (ann@example.test)').waitFor({ state: 'attached' });
      for (const person of PEOPLE) {
        await form.getByLabel('Team member').selectOption({ label: `${person.name} (${person.email})` });
        await form.getByRole('button', { name: 'Add participant' }).click();
      }
      expect(
        await form.getByRole('list', { name: 'Participants' }).locator('.participant-name').allTextContents(),
      ).toEqual(PEOPLE.map((p) => p.name));
      expect(await form.textContent()).toContain('A team of 1-3 people');
      await page.screenshot({ path: shot('1-new-schedule'), fullPage: true });
      await form.getByRole('button', { name: 'Create schedule' }).click();

      await page.getByRole('heading', { level: 1, name: 'Payments primary' }).waitFor();
      scheduleId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
      expect(scheduleId).not.toBe('');
      const stored = await t.call('GET', `/api/v1/schedules/${scheduleId}`);
      expect(stored.json).toMatchObject({
        name: 'Payments primary',
        team_id: teamId,
        time_zone: ZONE,
        layers: [
          {
            name: 'primary',
            start: `${startLocal}:00`,
            rotation: { unit: 'week', length: 1 },
            participants: PEOPLE.map((p) => userIds[p.name]),
          },
        ],
      });

      // Who is on call now: the API and the page agree.
      const oncall = await t.call('GET', `/api/v1/schedules/${scheduleId}/oncall`);
      expect(oncall.json.on_call).toHaveLength(1);
      const current = oncall.json.on_call[0].user_id as string;
      const card = page.getByTestId('on-call-now');
      await card.locator(`[data-user-id="${current}"]`).waitFor();
      expect(await card.locator('.oncall-person').allTextContents()).toEqual([nameOf(current)]);

      // The timeline: 14 local days, bars for the rotation, no gaps (the rotation started before).
      const days = page.locator('.oncall-day');
      expect(await days.count()).toBe(14);
      expect(await page.locator('.oncall-day-today .oncall-bar').count()).toBeGreaterThan(0);
      expect(await page.locator('[data-gap="true"]').count()).toBe(0);
      await page.getByText('No coverage gaps in these days.').waitFor();
      const barPeople = new Set(
        await page
          .locator('.oncall-bar')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-user-id'))),
      );
      expect(barPeople.has(current)).toBe(true);
      expect(barPeople.size).toBeGreaterThanOrEqual(2);
      await page.screenshot({ path: shot('2-schedule'), fullPage: true });

      // The overview lists it with the same person, and who is next, as the API says; a team without
      // a schedule is listed too, with nobody on call.
      const platform = await t.call('POST', '/api/v1/teams', { body: { name: 'Platform', time_zone: ZONE } });
      expect(platform.status).toBe(201);
      await page.getByRole('link', { name: 'Schedules', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'On-call' }).waitFor();
      const overview = page.locator(`.oncall-card[data-schedule-id="${scheduleId}"]`);
      await overview.locator(`[data-user-id="${current}"]`).waitFor();
      expect(await overview.locator('.oncall-person').allTextContents()).toEqual([nameOf(current)]);
      const upcoming = await t.call(
        'GET',
        `/api/v1/schedules/${scheduleId}/shifts?from=${encodeURIComponent(oncall.json.at)}&to=${encodeURIComponent(
          new Date(Date.parse(oncall.json.at) + 14 * 86_400_000).toISOString(),
        )}`,
      );
      const following = (upcoming.json.shifts as Array<{ user_id: string; start: string }>).find(
        (s) => Date.parse(s.start) > Date.parse(oncall.json.at),
      )!;
      expect(following.user_id).not.toBe(current);
      expect(await overview.locator('.oncall-next').textContent()).toBe(
        `Next: ${nameOf(following.user_id)} from ${toLocalInput(Date.parse(following.start), ZONE).replace('T', ' ')}`,
      );
      const empty = page.locator(`.oncall-card[data-team-id="${platform.json.id}"]`);
      await empty.waitFor();
      expect(await empty.locator('.oncall-person').textContent()).toBe('No schedule: nobody is on call');
      expect(await page.locator(`.oncall-card[data-team-id="${teamId}"]`).count()).toBe(0);
      await page.getByRole('row', { name: /Payments primary/ }).waitFor();
      await page.screenshot({ path: shot('3-overview'), fullPage: true });
      expect(problems).toEqual([]);
    });

    it('an override made in the UI changes who is on call for its window only', async () => {
      if (!page || !t || !scheduleId) throw new Error('the schedule test did not run');
      await page.goto(`${baseUrl}/oncall/schedules/${scheduleId}`);
      await page.getByRole('heading', { level: 1, name: 'Payments primary' }).waitFor();
      const before = (await t.call('GET', `/api/v1/schedules/${scheduleId}/oncall`)).json.on_call[0]
        .user_id as string;
      const cover = PEOPLE.map((p) => userIds[p.name] ?? '').find((id) => id !== before) ?? '';

      // Now, floored to the hour, for four hours, in the schedule's zone.
      const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
      const start = hour;
      const end = hour + 4 * 3_600_000;
      const form = page.getByRole('form', { name: 'Create an override' });
      await form
        .getByLabel('Person')
        .selectOption({ label: `${nameOf(cover)} (${PEOPLE.find((p) => p.name === nameOf(cover))?.email})` });
      await form.getByLabel('Start', { exact: true }).fill(toLocalInput(start, ZONE));
      await form.getByLabel('End', { exact: true }).fill(toLocalInput(end, ZONE));
      await form.getByRole('button', { name: 'Add override' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Override added: ${nameOf(cover)}` })
        .waitFor();

      const card = page.getByTestId('on-call-now');
      await card.locator(`[data-user-id="${cover}"]`).waitFor();
      expect(await card.locator('.oncall-person').allTextContents()).toEqual([`${nameOf(cover)}override`]);
      const overrides = page.getByRole('table', { name: 'Overrides' });
      await overrides.getByRole('row', { name: new RegExp(nameOf(cover)) }).waitFor();
      expect(
        await page.locator(`.oncall-bar[data-layer="override"][data-user-id="${cover}"]`).count(),
      ).toBeGreaterThan(0);

      // The API: the override person during the window, the rotation again after it.
      const during = await t.call('GET', `/api/v1/schedules/${scheduleId}/oncall`);
      expect(during.json.on_call).toEqual([
        {
          user_id: cover,
          layer: 'override',
          start: new Date(start).toISOString(),
          end: new Date(end).toISOString(),
        },
      ]);
      const after = await t.call(
        'GET',
        `/api/v1/schedules/${scheduleId}/oncall?at=${encodeURIComponent(new Date(end + 3_600_000).toISOString())}`,
      );
      expect(after.json.on_call.map((s: { user_id: string }) => s.user_id)).toEqual([before]);
      const schedule = await t.call('GET', `/api/v1/schedules/${scheduleId}`);
      expect(schedule.json.overrides).toMatchObject([
        { user_id: cover, start: new Date(start).toISOString(), end: new Date(end).toISOString() },
      ]);

      // A swap, in the future: the third person takes the current person's window and vice versa.
      const third =
        PEOPLE.map((p) => userIds[p.name] ?? '').find((id) => id !== before && id !== cover) ?? '';
      const swapForm = page.getByRole('form', { name: 'Swap shifts' });
      const a = { start: end + 24 * 3_600_000, end: end + 26 * 3_600_000 };
      const b = { start: end + 48 * 3_600_000, end: end + 50 * 3_600_000 };
      const label = (id: string) => `${nameOf(id)} (${PEOPLE.find((p) => p.name === nameOf(id))?.email})`;
      await swapForm.getByLabel('First person', { exact: true }).selectOption({ label: label(before) });
      await swapForm.getByLabel('Second person', { exact: true }).selectOption({ label: label(third) });
      await swapForm.getByLabel("First person's shift: start").fill(toLocalInput(a.start, ZONE));
      await swapForm.getByLabel("First person's shift: end").fill(toLocalInput(a.end, ZONE));
      await swapForm.getByLabel("Second person's shift: start").fill(toLocalInput(b.start, ZONE));
      await swapForm.getByLabel("Second person's shift: end").fill(toLocalInput(b.end, ZONE));
      await swapForm.getByRole('button', { name: 'Swap shifts' }).click();
      await page.getByRole('status').filter({ hasText: 'Swap made between' }).waitFor();
      await overrides.getByRole('row').nth(3).waitFor();
      const at = async (ms: number) =>
        (
          await t?.call(
            'GET',
            `/api/v1/schedules/${scheduleId}/oncall?at=${encodeURIComponent(new Date(ms).toISOString())}`,
          )
        )?.json.on_call.map((s: { user_id: string; layer: string }) => [s.user_id, s.layer]);
      expect(await at(a.start + 60_000)).toEqual([[third, 'override']]);
      expect(await at(b.start + 60_000)).toEqual([[before, 'override']]);
      expect((await t.call('GET', `/api/v1/schedules/${scheduleId}`)).json.overrides).toHaveLength(3);

      // Dragging across the last day of the timeline, from a quarter to a half of it, fills the form.
      const lastDay = page.locator('li.oncall-day').last();
      const date = (await lastDay.getAttribute('data-date')) ?? '';
      const [y, m, d] = date.split('-').map(Number) as [number, number, number];
      const dayStart = zonedToInstant({ year: y, month: m, day: d, hour: 0, minute: 0, second: 0 }, ZONE);
      const next = new Date(Date.UTC(y, m - 1, d + 1));
      const dayEnd = zonedToInstant(
        {
          year: next.getUTCFullYear(),
          month: next.getUTCMonth() + 1,
          day: next.getUTCDate(),
          hour: 0,
          minute: 0,
          second: 0,
        },
        ZONE,
      );
      const quarter = (f: number) => Math.round((dayStart + f * (dayEnd - dayStart)) / 900_000) * 900_000;
      const box = (await lastDay.locator('.oncall-track').boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
      await expect
        .poll(() => form.getByLabel('Start', { exact: true }).inputValue())
        .toBe(toLocalInput(quarter(0.25), ZONE));
      expect(await form.getByLabel('End', { exact: true }).inputValue()).toBe(
        toLocalInput(quarter(0.5), ZONE),
      );

      // Removing an override from the table.
      await page.getByRole('button', { name: `Remove the override of ${nameOf(third)}` }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Override of ${nameOf(third)} removed` })
        .waitFor();
      expect((await t.call('GET', `/api/v1/schedules/${scheduleId}`)).json.overrides).toHaveLength(2);
      await page.screenshot({ path: shot('4-override'), fullPage: true });
      expect(problems).toEqual([]);
    });

    it('copies the iCal URL, which serves the shifts as text/calendar, and rotates it', async () => {
      if (!page || !t || !scheduleId) throw new Error('the schedule test did not run');
      await page.getByRole('button', { name: 'Copy iCal URL' }).click();
      await page.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
      const url = (await page.evaluate(() => navigator.clipboard.readText())) as string;
      expect(url.startsWith(`${baseUrl}/ical/schedules/${scheduleId}.ics?token=`)).toBe(true);
      expect(await page.getByRole('textbox', { name: 'iCal URL' }).inputValue()).toBe(url);
      const feed = await fetch(url);
      expect(feed.status).toBe(200);
      expect(feed.headers.get('content-type')).toMatch(/^text\/calendar/);
      const body = await feed.text();
      expect(body).toMatch(/^BEGIN:VCALENDAR\r\n/);
      expect((body.match(/BEGIN:VEVENT/g) ?? []).length).toBeGreaterThanOrEqual(3);
      for (const person of PEOPLE) expect(body).toContain(`On call: ${person.name}`);

      // Rotate: a new URL is shown and the old one stops working.
      await page.getByRole('button', { name: 'Rotate URL' }).click();
      await page.getByRole('status').filter({ hasText: 'Calendar URL rotated' }).waitFor();
      await expect.poll(() => page?.getByRole('textbox', { name: 'iCal URL' }).inputValue()).not.toBe(url);
      expect((await fetch(url)).status).toBe(401);
      const fresh = await page.getByRole('textbox', { name: 'iCal URL' }).inputValue();
      expect((await fetch(fresh)).status).toBe(200);
      await page.screenshot({ path: shot('5-ical'), fullPage: true });
      expect(problems).toEqual([]);
    });

    it('creates an escalation policy, sets it on a service, and shows the load report', async () => {
      if (!page || !t || !scheduleId) throw new Error('the schedule test did not run');
      await page
        .getByRole('navigation', { name: 'On-call' })
        .getByRole('link', { name: 'Escalation policies' })
        .click();
      await page.getByRole('heading', { level: 1, name: 'Escalation policies' }).waitFor();
      const form = page.getByRole('form', { name: 'New escalation policy' });
      await form.getByLabel('Name', { exact: true }).fill('Payments escalation');
      await form.getByLabel('Level 1 targets').selectOption([`schedule:${scheduleId}`]);
      await form.getByLabel('Level 1 delay (minutes)').fill('5');
      await form.getByRole('button', { name: 'Add level' }).click();
      await form.getByLabel('Level 2 targets').selectOption([`user:${userIds['Cid Carter']}`]);
      await form.getByLabel('Level 2 delay (minutes)').fill('15');
      await form.getByRole('button', { name: 'Create policy' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: 'Escalation policy Payments escalation created' })
        .waitFor();
      const row = page.getByRole('row', { name: /Payments escalation/ });
      await row.waitFor();
      expect(await row.textContent()).toContain('on call on Payments primary');
      expect(await row.textContent()).toContain('Cid Carter');
      const policies = await t.call('GET', '/api/v1/escalation-policies');
      expect(policies.json.items).toHaveLength(1);
      const policy = policies.json.items[0];
      expect(policy).toMatchObject({
        name: 'Payments escalation',
        team_id: teamId,
        levels: [
          { delay_seconds: 300, targets: [{ type: 'schedule', id: scheduleId }] },
          { delay_seconds: 900, targets: [{ type: 'user', id: userIds['Cid Carter'] }] },
        ],
      });
      // Until it is linked, checkout-api is flagged as having no escalation policy.
      await page.getByRole('alert').filter({ hasText: 'Without an escalation policy' }).waitFor();

      const set = page.getByRole('form', { name: "Set a service's policy" });
      await set.getByLabel('Service', { exact: true }).selectOption({ label: 'checkout-api (Payments)' });
      await set.getByLabel('Escalation policy').selectOption({ label: 'Payments escalation' });
      await set.getByRole('button', { name: 'Set policy' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: 'checkout-api now pages through Payments escalation' })
        .waitFor();
      expect(await t.container.oncall.service.servicePolicy(serviceId)).toMatchObject({
        escalation_policy_id: policy.id,
      });
      await page.getByRole('row', { name: /Payments escalation.*checkout-api/ }).waitFor();
      // Edit it: repeat twice, level 2 after 20 minutes.
      await page.getByRole('button', { name: 'Edit Payments escalation' }).click();
      const edit = page.getByRole('form', { name: 'Edit Payments escalation' });
      await edit.getByLabel('Repeat').fill('2');
      await edit.getByLabel('Level 2 delay (minutes)').fill('20');
      await edit.getByRole('button', { name: 'Save policy' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: 'Escalation policy Payments escalation saved' })
        .waitFor();
      expect((await t.call('GET', `/api/v1/escalation-policies/${policy.id}`)).json).toMatchObject({
        repeat: 2,
        levels: [
          { delay_seconds: 300, targets: [{ type: 'schedule', id: scheduleId }] },
          { delay_seconds: 1200, targets: [{ type: 'user', id: userIds['Cid Carter'] }] },
        ],
      });
      await page.screenshot({ path: shot('6-policies'), fullPage: true });

      // The load report over the default window (the last 30 days and today).
      await page
        .getByRole('navigation', { name: 'On-call' })
        .getByRole('link', { name: 'Load report' })
        .click();
      await page.getByRole('heading', { level: 1, name: 'On-call load' }).waitFor();
      const table = page.getByRole('table', { name: 'On-call load per person' });
      for (const person of PEOPLE) await table.getByRole('row', { name: new RegExp(person.name) }).waitFor();
      const from = await page.getByLabel('From (UTC day)').inputValue();
      const to = await page.getByLabel('To (UTC day, exclusive)').inputValue();
      const load = await t.call(
        'GET',
        `/api/v1/oncall/load?team_id=${teamId}&from=${from}T00:00:00Z&to=${to}T00:00:00Z`,
      );
      for (const p of load.json.people as Array<{ user_id: string; hours_on_call: number }>) {
        const cells = await table
          .getByRole('row', { name: new RegExp(nameOf(p.user_id)) })
          .getByRole('cell')
          .allTextContents();
        expect(cells[0]).toBe(p.hours_on_call.toFixed(1));
      }
      await page.screenshot({ path: shot('7-load'), fullPage: true });

      // The rotation check: three responders, so the handbook's informal structure fits.
      await page
        .getByRole('navigation', { name: 'On-call' })
        .getByRole('link', { name: 'Schedules' })
        .click();
      const check = page.locator(`li[data-team-id="${teamId}"]`);
      await check.waitFor();
      expect(await check.textContent()).toContain('informal');

      // My on-call: a webhook contact method verified with the code it received, and a rule.
      await page
        .getByRole('navigation', { name: 'On-call' })
        .getByRole('link', { name: 'My on-call' })
        .click();
      await page.getByRole('heading', { level: 1, name: 'My on-call' }).waitFor();
      const add = page.getByRole('form', { name: 'Add a contact method' });
      await add.getByLabel('Type').selectOption('webhook');
      await add.getByLabel('Address').fill(receiver.url('/ada'));
      await add.getByRole('button', { name: 'Add and send a code' }).click();
      await page.getByRole('status').filter({ hasText: 'A verification code was sent' }).waitFor();
      await t.container.worker.drain();
      const code = String(receiver.received.find((r) => r.path === '/ada')?.body.data.code ?? '');
      expect(code).toMatch(/^\d{6}$/);
      const verify = page.getByRole('form', { name: `Verify ${receiver.url('/ada')}` });
      await verify.getByLabel(/Code sent to/).fill(code);
      await verify.getByRole('button', { name: 'Verify' }).click();
      await page.getByRole('status').filter({ hasText: 'verified' }).waitFor();
      const methods = page.getByRole('table', { name: 'My contact methods' });
      // The list reloads after the status line: wait for the verified row.
      await methods
        .getByRole('row', { name: /webhook/ })
        .filter({ hasText: 'yes' })
        .waitFor();
      const rule = page.getByRole('form', { name: 'Add a notification rule' });
      await rule.getByLabel('After (minutes)').fill('5');
      await rule.getByRole('button', { name: 'Add rule' }).click();
      await page
        .getByRole('table', { name: 'My notification rules' })
        .getByRole('row', { name: /after 5 min/ })
        .waitFor();
      const me = (await t.call('GET', '/api/v1/users')).json.items.find(
        (u: { email: string }) => u.email === ADMIN.email,
      );
      const rules = await t.call('GET', `/api/v1/users/${me.id}/notification-rules`);
      expect(rules.json.items.map((r: { delay_seconds: number }) => r.delay_seconds)).toEqual([300]);
      await page.screenshot({ path: shot('8-me'), fullPage: true });

      // Off-hours pay for this month, with the CSV link.
      await page
        .getByRole('navigation', { name: 'On-call' })
        .getByRole('link', { name: 'Off-hours pay' })
        .click();
      await page.getByRole('heading', { level: 1, name: 'Off-hours pay' }).waitFor();
      const pay = page.getByRole('table', { name: 'Off-hours pay per person' });
      await pay
        .getByRole('row', { name: /Ann Able|Bob Baker|Cid Carter/ })
        .first()
        .waitFor();
      const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
      expect(href).toContain('/api/v1/oncall/pay.csv?team_id=');
      await page.screenshot({ path: shot('9-pay'), fullPage: true });
      expect(problems).toEqual([]);
    });
  });
}
