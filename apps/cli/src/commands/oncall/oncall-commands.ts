import { type loadReportSchema, payReportCsv, type payReportSchema } from '@engops/contracts';
import type { Command } from 'commander';
import type { z } from 'zod';
import { CliError } from '../../cli-error.ts';
import { printJson, printTable, say, TARGET_HELP } from '../../output.ts';
import { onServerOrLocal } from '../../target.ts';

type PayReport = z.infer<typeof payReportSchema>;
type LoadReport = z.infer<typeof loadReportSchema>;

interface Shift {
  user_id: string;
  layer: string;
  start: string;
  end: string;
  schedule_name?: string;
}

const DAY = 86_400_000;

function instant(value: string | undefined, flag: string, fallback: number): string {
  if (value === undefined) return new Date(fallback).toISOString();
  const t = Date.parse(value);
  if (!Number.isFinite(t)) throw new CliError(`${flag} must be an ISO-8601 instant or date, not ${value}`);
  return new Date(t).toISOString();
}

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

/**
 * `engops oncall who|shifts|load|pay`: who is on call, shifts of a schedule or person, the on-call
 * load report (burnout flags) and off-hours pay.
 */
export function registerOncallCommands(program: Command): void {
  const oncall = program
    .command('oncall')
    .description('On-call schedules: who is on call, shifts, load, off-hours pay');

  oncall
    .command('who')
    .description('Who is on call on a schedule now (or at --at)')
    .requiredOption('--schedule <id>', 'the schedule')
    .option('--at <instant>', 'an ISO-8601 instant (default now)')
    .option('--json', 'print the answer as JSON')
    .addHelpText('after', TARGET_HELP)
    .action(async (options: { schedule: string; at?: string; json?: boolean }) => {
      const at = instant(options.at, '--at', Date.now());
      const { result } = await onServerOrLocal<{ at: string; on_call: Shift[] }>({
        api: (client) =>
          client.request(
            'GET',
            `/api/v1/schedules/${encodeURIComponent(options.schedule)}/oncall?${q({ at })}`,
          ),
        local: (container) => container.oncall.service.oncall(options.schedule, new Date(at)),
      });
      if (options.json) return printJson(result);
      if (result.on_call.length === 0) return say(`Nobody is on call at ${result.at} (a coverage gap).`);
      printTable(
        ['user', 'layer', 'from', 'until'],
        result.on_call.map((s) => [s.user_id, s.layer, s.start, s.end]),
      );
    });

  oncall
    .command('shifts')
    .description('Final shifts (overrides applied) of a schedule, or of one person across schedules')
    .option('--schedule <id>', 'a schedule')
    .option('--user <id>', 'a person (all schedules)')
    .option('--from <instant>', 'window start (default now)')
    .option('--to <instant>', 'window end (default 14 days after --from)')
    .option('--json', 'print the answer as JSON')
    .addHelpText('after', TARGET_HELP)
    .action(
      async (options: { schedule?: string; user?: string; from?: string; to?: string; json?: boolean }) => {
        if (!options.schedule === !options.user) throw new CliError('give one of --schedule or --user');
        const from = instant(options.from, '--from', Date.now());
        const to = instant(options.to, '--to', Date.parse(from) + 14 * DAY);
        const { result } = await onServerOrLocal<{
          shifts: Shift[];
          gaps?: Array<{ start: string; end: string }>;
        }>({
          api: (client) =>
            client.request(
              'GET',
              options.schedule
                ? `/api/v1/schedules/${encodeURIComponent(options.schedule)}/shifts?${q({ from, to })}`
                : `/api/v1/users/${encodeURIComponent(options.user ?? '')}/shifts?${q({ from, to })}`,
            ),
          local: (container) =>
            options.schedule
              ? container.oncall.service.shifts(options.schedule, from, to)
              : container.oncall.reports
                  .personShifts(options.user ?? '', from, to)
                  .then((shifts) => ({ shifts })),
        });
        if (options.json) return printJson(result);
        printTable(
          ['user', 'schedule', 'layer', 'from', 'until'],
          result.shifts.map((s) => [
            s.user_id,
            s.schedule_name ?? options.schedule ?? '',
            s.layer,
            s.start,
            s.end,
          ]),
        );
        for (const gap of result.gaps ?? []) say(`gap: nobody on call ${gap.start} to ${gap.end}`);
      },
    );

  oncall
    .command('load')
    .description("On-call load of a team's people for a period: hours, off-hours, pages, night pages, flags")
    .requiredOption('--team <id>', 'the team')
    .requiredOption('--from <instant>', 'period start (ISO-8601)')
    .requiredOption('--to <instant>', 'period end, exclusive (ISO-8601)')
    .option('--max-share <fraction>', 'flag people on call more than this share of the period (0-1)')
    .option('--fail-on-flags', 'exit with status 1 when anyone is flagged (for a scheduled check)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Example (a monthly burnout check in a pipeline):
  engops oncall load --team team_01... --from 2026-03-01 --to 2026-04-01 --fail-on-flags
${TARGET_HELP}`,
    )
    .action(
      async (options: {
        team: string;
        from: string;
        to: string;
        maxShare?: string;
        failOnFlags?: boolean;
        json?: boolean;
      }) => {
        const from = instant(options.from, '--from', 0);
        const to = instant(options.to, '--to', 0);
        const share = options.maxShare === undefined ? undefined : Number(options.maxShare);
        if (share !== undefined && !(share >= 0 && share <= 1))
          throw new CliError(`--max-share must be a number from 0 to 1, not ${options.maxShare}`);
        const params: Record<string, string> = { team_id: options.team, from, to };
        if (share !== undefined) params.max_on_call_share = String(share);
        const { result } = await onServerOrLocal<LoadReport>(
          {
            api: (client) => client.request('GET', `/api/v1/oncall/load?${q(params)}`),
            local: (container) => container.oncall.reports.load(options.team, from, to, share),
          },
          { team_id: '--team', from: '--from', to: '--to', max_on_call_share: '--max-share' },
        );
        const flagged = result.people.filter((p) => p.flags.length > 0);
        if (options.failOnFlags && flagged.length > 0) process.exitCode = 1;
        if (options.json) return printJson(result);
        say(
          `On-call load ${result.from} to ${result.to} (flags: more than ${result.thresholds.max_incidents_per_12h} incidents in a 12-hour shift, on call more than ${Math.round(result.thresholds.max_on_call_share * 100)}% of the period)`,
        );
        printTable(
          [
            'person',
            'on call h',
            'off-hours h',
            'pages',
            'night pages',
            'incidents',
            'max/12h',
            'share',
            'flags',
          ],
          result.people.map((p) => [
            p.name,
            p.hours_on_call.toFixed(1),
            p.off_hours_hours.toFixed(1),
            String(p.pages),
            String(p.night_pages),
            String(p.incidents),
            String(p.max_incidents_per_12h),
            `${Math.round(p.on_call_share * 100)}%`,
            p.flags.join('; ') || '-',
          ]),
        );
        say(flagged.length === 0 ? 'Nobody is flagged.' : `${flagged.length} flagged.`);
      },
    );

  oncall
    .command('pay')
    .description("Off-hours pay of a team's people for a period (team time zone, the team's pay policy)")
    .requiredOption('--team <id>', 'the team')
    .requiredOption('--from <instant>', 'period start (ISO-8601)')
    .requiredOption('--to <instant>', 'period end, exclusive (ISO-8601)')
    .option('--csv', 'print CSV (for payroll)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Example (March 2026, for payroll):
  engops oncall pay --team team_01... --from 2026-03-01 --to 2026-04-01 --csv > oncall-pay-2026-03.csv
${TARGET_HELP}`,
    )
    .action(async (options: { team: string; from: string; to: string; csv?: boolean; json?: boolean }) => {
      const from = instant(options.from, '--from', 0);
      const to = instant(options.to, '--to', 0);
      const { result } = await onServerOrLocal<PayReport>(
        {
          api: (client) =>
            client.request('GET', `/api/v1/oncall/pay?${q({ team_id: options.team, from, to })}`),
          local: (container) => container.oncall.reports.payReport(options.team, from, to),
        },
        { team_id: '--team', from: '--from', to: '--to' },
      );
      if (options.csv) {
        process.stdout.write(payReportCsv(result));
        return;
      }
      if (options.json) return printJson(result);
      say(`Off-hours pay ${result.from} to ${result.to} (${result.time_zone}, ${result.currency})`);
      printTable(
        ['person', 'on call h', 'weekday off h', 'weekend h', 'holiday h', 'shifts', 'pages', 'amount'],
        result.people.map((p) => [
          p.name,
          p.on_call_hours.toFixed(1),
          p.weekday_off_hours.toFixed(1),
          p.weekend_hours.toFixed(1),
          p.holiday_hours.toFixed(1),
          String(p.off_hours_shifts),
          String(p.off_hours_pages),
          p.amount.toFixed(2),
        ]),
      );
      say(`Total ${result.total.toFixed(2)} ${result.currency}`);
    });
}
