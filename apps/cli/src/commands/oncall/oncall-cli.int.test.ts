import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';

/** `engops oncall who|shifts|load|pay`: the real CLI spawned against a real server on 127.0.0.1. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
const BIN = path.join(ROOT, 'apps/cli/bin/engops.js');

function cli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ENGOPS_')) clean[k] = v;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: os.tmpdir(), env: { ...clean, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describeEachEngine('engops oncall', (get) => {
  it('answers who is on call, lists shifts, checks the load and exports off-hours pay as CSV', async () => {
    const t = get();
    const team = (
      await t.call('POST', '/api/v1/teams', { body: { name: 'Ops', time_zone: 'Europe/London' } })
    ).json.id;
    const ids: string[] = [];
    for (const name of ['Ann', 'Bob']) {
      const user = await t.call('POST', '/api/v1/users', {
        body: { email: `${name.toLowerCase()}@ops.test`, name, role: null },
      });
      ids.push(user.json.id);
      await t.call('POST', `/api/v1/teams/${team}/members`, {
        body: { user_id: user.json.id, role: 'responder' },
      });
    }
    // Daily turns at 09:00 London; British Summer Time starts on Sunday 29 March 2026.
    const schedule = await t.call('POST', '/api/v1/schedules', {
      body: {
        name: 'Ops',
        team_id: team,
        time_zone: 'Europe/London',
        layers: [
          {
            name: 'primary',
            start: '2026-03-28T09:00',
            rotation: { unit: 'day', length: 1 },
            participants: ids,
          },
        ],
      },
    });
    expect(schedule.status).toBe(201);
    await t.call('PUT', `/api/v1/oncall/teams/${team}/pay-policy`, {
      body: {
        currency: 'GBP',
        hourly_rate: 2,
        weekend_multiplier: 2,
        working_hours: { start: '09:00', end: '17:00' },
      },
    });
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const env = { ENGOPS_URL: address, ENGOPS_TOKEN: await t.tokenFor('manager', team) };

    const who = await cli(
      ['oncall', 'who', '--schedule', schedule.json.id, '--at', '2026-03-29T12:00:00Z', '--json'],
      env,
    );
    expect(who.code, who.stderr).toBe(0);
    // Sunday's turn (Bob) runs 09:00 BST (08:00Z) Sunday to 09:00 BST Monday.
    expect(JSON.parse(who.stdout).on_call).toEqual([
      {
        user_id: ids[1],
        layer: 'primary',
        start: '2026-03-29T08:00:00.000Z',
        end: '2026-03-30T08:00:00.000Z',
      },
    ]);

    const shifts = await cli(
      [
        'oncall',
        'shifts',
        '--user',
        ids[0]!,
        '--from',
        '2026-03-28T00:00:00Z',
        '--to',
        '2026-03-31T00:00:00Z',
      ],
      env,
    );
    expect(shifts.code, shifts.stderr).toBe(0);
    // Saturday 09:00 GMT is 09:00Z; BST starts overnight, so the handoff is at 08:00Z: a 23-hour turn.
    expect(shifts.stdout).toContain('2026-03-28T09:00:00.000Z  2026-03-29T08:00:00.000Z');
    expect(shifts.stdout).toContain('2026-03-30T08:00:00.000Z  2026-03-31T00:00:00.000Z');

    const csv = await cli(
      [
        'oncall',
        'pay',
        '--team',
        team,
        '--from',
        '2026-03-28T00:00:00Z',
        '--to',
        '2026-03-29T23:00:00Z',
        '--csv',
      ],
      env,
    );
    expect(csv.code, csv.stderr).toBe(0);
    // Ann: Saturday 09:00 GMT to Sunday 09:00 BST = 23 h, all weekend: 2 x 23 x 2 = 92.
    // Bob: Sunday 09:00 BST to the end of the period, Monday 00:00 BST = 15 h weekend: 2 x 15 x 2 = 60.
    expect(csv.stdout.split('\r\n')).toEqual([
      'user_id,name,on_call_hours,off_hours_hours,weekday_off_hours,weekend_hours,holiday_hours,off_hours_shifts,off_hours_pages,amount,currency',
      `${ids[0]},Ann,23,23,0,23,0,1,0,92,GBP`,
      `${ids[1]},Bob,15,15,0,15,0,1,0,60,GBP`,
      '',
    ]);

    // The load report over the same period: Ann on call 23 of 47 hours (49%), Bob 15 (32%), both
    // above the default 25% share; --fail-on-flags makes a pipeline step fail on that.
    const period = ['--team', team, '--from', '2026-03-28T00:00:00Z', '--to', '2026-03-29T23:00:00Z'];
    const load = await cli(['oncall', 'load', ...period, '--json', '--fail-on-flags'], env);
    expect(load.code, load.stderr).toBe(1);
    expect(
      JSON.parse(load.stdout).people.map((p: { name: string; hours_on_call: number; flags: string[] }) => [
        p.name,
        p.hours_on_call,
        p.flags,
      ]),
    ).toEqual([
      ['Ann', 23, ['on call more than 25% of the time']],
      ['Bob', 15, ['on call more than 25% of the time']],
    ]);
    const relaxed = await cli(['oncall', 'load', ...period, '--max-share', '0.5', '--fail-on-flags'], env);
    expect(relaxed.code, relaxed.stderr).toBe(0);
    expect(relaxed.stdout).toContain('Nobody is flagged.');
    expect(relaxed.stdout).toMatch(/Ann\s+23\.0\s+23\.0\s+0\s+0\s+0\s+0\s+49%\s+-/);
    const badShare = await cli(['oncall', 'load', ...period, '--max-share', '2'], env);
    expect(badShare.code).toBe(1);
    expect(badShare.stderr).toContain('--max-share');

    const bad = await cli(['oncall', 'pay', '--team', team, '--from', 'soon', '--to', '2026-04-01'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--from');
    // Seven CLI processes, each starting TypeScript: allow for a loaded machine.
  }, 240_000);
});
