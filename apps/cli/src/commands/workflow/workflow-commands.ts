import {
  setWorkflowIdentitySchema,
  type User,
  type WorkflowSummary,
  workflowIdentityParamsSchema,
  workflowQuerySchema,
} from '@engops/contracts';
import cliProgress from 'cli-progress';
import { type Command, Option } from 'commander';
import { CliError } from '../../cli-error.ts';
import { printJson, printTable, say, TARGET_HELP } from '../../output.ts';
import { onServerOrLocal, validateBody } from '../../target.ts';
import { type ImportDelivery, importGithubRepository } from './github-import.ts';

const FLAGS = {
  service_id: '--service',
  team_id: '--team',
  repository: '--repo',
  from: '--from',
  to: '--to',
};

/** Durations as people read them: 45 min, 5.5 h, 3.2 d. */
export function duration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 72 * 3600) return `${Math.round((seconds / 3600) * 10) / 10} h`;
  return `${Math.round((seconds / 86400) * 10) / 10} d`;
}

const share = (v: number | null) => (v === null ? '-' : `${Math.round(v * 100)}%`);

/** The summary as a terminal report. */
export function summaryLines(s: WorkflowSummary, scope: string): string[] {
  const stat = (x: { median_seconds: number | null; p90_seconds: number | null; count: number }) =>
    `median ${duration(x.median_seconds)}, p90 ${duration(x.p90_seconds)} (${x.count})`;
  const hours = s.targets.review_target_hours;
  return [
    `Development workflow of ${scope}, ${s.window.from} to ${s.window.to}`,
    `Pull requests: ${s.pull_requests.opened} opened, ${s.pull_requests.merged} merged, ${s.pull_requests.open} open`,
    `Review time:   ${stat(s.review_time)}; first review within ${hours} h: ${share(s.within_review_target.share)} (${s.within_review_target.within} of ${s.within_review_target.reviewed})${s.targets.business_hours ? ', business hours' : ''}`,
    `Time to approve: ${stat(s.approve_time)}`,
    `Time to merge: ${stat(s.merge_time)}`,
    `Cycle time (medians): coding ${duration(s.cycle_time.coding.median_seconds)}, pickup ${duration(s.cycle_time.pickup.median_seconds)}, review ${duration(s.cycle_time.review.median_seconds)}, deploy ${duration(s.cycle_time.deploy.median_seconds)}`,
    `Size: median ${s.size.median_lines ?? '-'} lines; small (<= ${s.size.threshold_lines}): ${share(s.size.small_share)}; ${s.descriptions_flagged} without a real description`,
    `Merged without CI: ${s.merged_without_ci.count}; without an approving review: ${s.merged_without_review.count}; code without tests: ${s.code_without_tests.count}`,
    `Author response to feedback: ${stat(s.response_time)}; self-reviewed: ${share(s.self_reviewed_share)}`,
    `Branch lifetime: ${stat(s.branches.lifetime)}; open past ${Math.round(s.targets.branch_max_age_hours / 24)} days: ${s.branches.long_lived.length}`,
  ];
}

/** `engops import github`, added to the `import` command when another module registered it first. */
function registerGithubImport(program: Command): void {
  const imports =
    program.commands.find((c) => c.name() === 'import') ??
    program.command('import').description('Import history from other tools');
  imports
    .command('github')
    .description(
      "Import a GitHub repository's pull requests, reviews, checks and commits (for workflow measures)",
    )
    .requiredOption(
      '--repo <owner/name>',
      'the repository (a catalog service must name it in repository_url)',
    )
    .option(
      '--api-url <url>',
      'the REST API root (GitHub Enterprise: https://HOST/api/v3)',
      process.env.ENGOPS_GITHUB_API_URL ?? 'https://api.github.com',
    )
    .option(
      '--state-file <path>',
      'where progress is kept, so an interrupted import resumes (default: .engops-import-<owner>-<name>.json)',
    )
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
The GitHub token is read from ENGOPS_GITHUB_TOKEN (read access to pull requests, checks and statuses).
Re-running it counts nothing twice: each pull request's history has stable delivery ids.
${TARGET_HELP}`,
    )
    .action(
      async (options: {
        repo: string;
        apiUrl: string;
        stateFile?: string;
        progress?: boolean;
        json?: boolean;
      }) => {
        if (!/^[^/\s]+\/[^/\s]+$/.test(options.repo)) throw new CliError('--repo must be owner/name.');
        const stateFile = options.stateFile ?? `.engops-import-${options.repo.replace('/', '-')}.json`;
        const bar =
          options.progress !== false && process.stderr.isTTY && !options.json
            ? new cliProgress.SingleBar(
                { stream: process.stderr, format: 'pull requests [{bar}] {value}/{total}', hideCursor: true },
                cliProgress.Presets.shades_classic,
              )
            : null;
        let started = false;
        const onProgress = (done: number, total: number) => {
          if (!bar) return;
          if (!started) {
            bar.start(total, done);
            started = true;
          } else {
            bar.setTotal(total);
            bar.update(done);
          }
        };
        try {
          const { result, where } = await onServerOrLocal({
            api: (client) =>
              importGithubRepository({
                repo: options.repo,
                apiUrl: options.apiUrl,
                token: process.env.ENGOPS_GITHUB_TOKEN,
                stateFile,
                onProgress,
                send: (deliveries: ImportDelivery[]) =>
                  client.request('POST', '/api/v1/workflow/deliveries', { provider: 'github', deliveries }),
              }),
            local: async (container) => {
              const { systemPrincipal } = await import('@engops/server');
              const ctx = { principal: systemPrincipal };
              return importGithubRepository({
                repo: options.repo,
                apiUrl: options.apiUrl,
                token: process.env.ENGOPS_GITHUB_TOKEN,
                stateFile,
                onProgress,
                send: async (deliveries) => {
                  const counts = { processed: 0, duplicate: 0, ignored: 0 };
                  for (const d of deliveries) {
                    const deliveryId = `import:${d.id}`;
                    const r = await container.workflow.ingest.handle(
                      { provider: 'github', deliveryId, event: d.event, payload: d.payload, receivedAt: '' },
                      {
                        onApplied: (tx, detail) =>
                          container.workflow.service.auditImport(tx, ctx, deliveryId, detail),
                      },
                    );
                    counts[r?.status ?? 'ignored'] += 1;
                  }
                  return counts;
                },
              });
            },
          });
          bar?.stop();
          if (options.json) return printJson(result);
          say(
            `Imported ${result.pull_requests} pull requests of ${options.repo}: ${result.processed} events applied, ` +
              `${result.duplicate} already known, ${result.ignored} not used; in ${where}.`,
          );
        } catch (error) {
          bar?.stop();
          if (error instanceof CliError) throw error;
          throw new CliError(
            `${error instanceof Error ? error.message : String(error)}. Progress is kept in ${stateFile}: run the same command again to resume.`,
          );
        }
      },
    );
}

interface Identity {
  provider: 'github' | 'gitlab';
  login: string;
  user_id: string;
  created_at: string;
}

async function systemContext() {
  const { systemPrincipal } = await import('@engops/server');
  return { principal: systemPrincipal };
}

const providerOption = () =>
  new Option('--provider <host>', 'the code host').choices(['github', 'gitlab']).default('github');

/** `engops workflow logins|link|unlink`: which engops person each code-host login is (reviewer nudges). */
function registerIdentityCommands(workflow: Command): void {
  workflow
    .command('logins')
    .description('List the code-host logins linked to engops people (admin)')
    .option('--json', 'print the list as JSON')
    .addHelpText('after', TARGET_HELP)
    .action(async (options: { json?: boolean }) => {
      const { result } = await onServerOrLocal<Array<Identity & { email: string | null }>>({
        api: async (client) => {
          const { items } = await client.request<{ items: Identity[] }>('GET', '/api/v1/workflow/identities');
          const emails = new Map<string, string>();
          for (const id of new Set(items.map((i) => i.user_id))) {
            const user = await client.request<User>('GET', `/api/v1/users/${encodeURIComponent(id)}`);
            emails.set(id, user.email);
          }
          return items.map((i) => ({ ...i, email: emails.get(i.user_id) ?? null }));
        },
        local: async (container) => {
          const { items } = await container.workflow.service.identities();
          const out = [];
          for (const i of items) {
            const user = await container.catalog.service.getUser(i.user_id).catch(() => undefined);
            out.push({ ...(i as Identity), email: user?.email ?? null });
          }
          return out;
        },
      });
      if (options.json) return printJson(result);
      if (!result.length) return say('No code-host login is linked.');
      printTable(
        ['PROVIDER', 'LOGIN', 'PERSON', 'LINKED'],
        result.map((i) => [i.provider, i.login, i.email ?? i.user_id, i.created_at]),
      );
    });

  workflow
    .command('link <login>')
    .description(
      "Link a code-host login to an engops person, who then gets that login's review nudges (admin)",
    )
    .requiredOption('--user <email|id>', 'the engops person')
    .addOption(providerOption())
    .addHelpText('after', TARGET_HELP)
    .action(async (login: string, options: { user: string; provider: 'github' | 'gitlab' }) => {
      const flags = { login: '<login>', user_id: '--user', provider: '--provider' };
      const byEmail = options.user.includes('@');
      const base = { provider: options.provider, login };
      await validateBody(
        setWorkflowIdentitySchema,
        { ...base, user_id: byEmail ? 'usr_email' : options.user },
        flags,
      );
      const notFound = () =>
        new CliError(`No engops person has the email ${options.user}.`, {
          problem: {
            type: '/docs/errors#CATALOG_USER_NOT_FOUND',
            title: 'User not found',
            status: 404,
            code: 'CATALOG_USER_NOT_FOUND',
            detail: `No engops person has the email ${options.user}.`,
            errors: [{ path: 'body.user_id', message: 'no such person' }],
          },
          flags,
        });
      const { result, where } = await onServerOrLocal<Identity>(
        {
          api: async (client) => {
            let userId = options.user;
            if (byEmail) {
              const page = await client.request<{ items: User[] }>(
                'GET',
                `/api/v1/users?${new URLSearchParams({ q: options.user, limit: '200' })}`,
              );
              const hit = page.items.find((u) => u.email.toLowerCase() === options.user.toLowerCase());
              if (!hit) throw notFound();
              userId = hit.id;
            }
            return client.request<Identity>('PUT', '/api/v1/workflow/identities', {
              ...base,
              user_id: userId,
            });
          },
          local: async (container) => {
            let userId = options.user;
            if (byEmail) {
              const hit = await container.catalog.service.findUserByEmail(options.user);
              if (!hit) throw notFound();
              userId = hit.id;
            }
            return (await container.workflow.service.setIdentity(await systemContext(), {
              ...base,
              user_id: userId,
            })) as Identity;
          },
        },
        flags,
      );
      say(`Linked ${result.provider} login ${result.login} to ${options.user} (${where}).`);
    });

  workflow
    .command('unlink <login>')
    .description('Unlink a code-host login (admin)')
    .addOption(providerOption())
    .addHelpText('after', TARGET_HELP)
    .action(async (login: string, options: { provider: 'github' | 'gitlab' }) => {
      const flags = { login: '<login>', provider: '--provider' };
      const params = await validateBody(
        workflowIdentityParamsSchema,
        { provider: options.provider, login },
        flags,
      );
      const { where } = await onServerOrLocal(
        {
          api: (client) =>
            client.request(
              'DELETE',
              `/api/v1/workflow/identities/${params.provider}/${encodeURIComponent(params.login)}`,
            ),
          local: async (container) =>
            container.workflow.service.deleteIdentity(await systemContext(), params.provider, params.login),
        },
        flags,
      );
      say(`Unlinked ${params.provider} login ${params.login.toLowerCase()} (${where}).`);
    });
}

export function registerWorkflowCommands(program: Command): void {
  registerGithubImport(program);
  const workflow = program.command('workflow').description('Development workflow and code review measures');
  registerIdentityCommands(workflow);
  workflow
    .command('summary')
    .description(
      'Review time against the target, cycle time, PR sizes, CI before merge, waiting PRs, old branches',
    )
    .option('--service <name|id>', 'one service')
    .option('--team <id>', 'one team (its services)')
    .option('--repo <owner/name>', 'one repository')
    .option('--from <instant>', 'window start, ISO-8601 (default 30 days before --to)')
    .option('--to <instant>', 'window end, ISO-8601 (default now)')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', TARGET_HELP)
    .action(
      async (options: {
        service?: string;
        team?: string;
        repo?: string;
        from?: string;
        to?: string;
        json?: boolean;
      }) => {
        const input = {
          ...(options.service !== undefined ? { service_id: options.service } : {}),
          ...(options.team !== undefined ? { team_id: options.team } : {}),
          ...(options.repo !== undefined ? { repository: options.repo } : {}),
          ...(options.from !== undefined ? { from: options.from } : {}),
          ...(options.to !== undefined ? { to: options.to } : {}),
        };
        const query = await validateBody(workflowQuerySchema, input, FLAGS);
        const { result } = await onServerOrLocal<WorkflowSummary>(
          {
            api: (client) => client.request('GET', `/api/v1/workflow/summary?${new URLSearchParams(input)}`),
            local: async (container) => {
              const { systemPrincipal } = await import('@engops/server');
              return container.workflow.service.summary(query, systemPrincipal, () => {});
            },
          },
          FLAGS,
        );
        if (options.json) return printJson(result);
        const scope = options.service
          ? `service ${options.service}`
          : options.team
            ? `team ${options.team}`
            : options.repo
              ? options.repo
              : 'the organisation';
        for (const line of summaryLines(result, scope)) say(line);
        if (result.waiting_for_review.length) {
          say('');
          say('Waiting for review:');
          printTable(
            ['PULL REQUEST', 'AUTHOR', 'WAITING FOR', 'SINCE'],
            result.waiting_for_review.map((p) => [
              `${p.repository}#${p.number}`,
              p.author,
              p.pending_reviewers.join(',') || 'anyone',
              p.waiting_since ?? '-',
            ]),
          );
        }
        if (result.people.length) {
          say('');
          say('People:');
          printTable(
            ['LOGIN', 'AUTHORED', 'REVIEW TIME RECEIVED', 'FIRST REVIEWS GIVEN', 'PICKUP GIVEN'],
            result.people.map((p) => [
              p.login,
              String(p.authored),
              duration(p.review_time_received_median_seconds),
              String(p.first_reviews_given),
              duration(p.pickup_given_median_seconds),
            ]),
          );
        }
        if (result.branches.long_lived.length) {
          say('');
          say('Long-lived branches:');
          printTable(
            ['BRANCH', 'OWNER', 'AGE'],
            result.branches.long_lived.map((b) => [
              `${b.repository}:${b.name}`,
              b.owner ?? '-',
              duration(b.age_seconds),
            ]),
          );
        }
      },
    );
}
