import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  createDeploymentSchema,
  createRepositoryMappingSchema,
  type Deployment,
  type DoraReport,
  doraQuerySchema,
  type RepositoryMapping,
} from '@engops/contracts';
import type { Command } from 'commander';
import { CliError } from '../../cli-error.ts';
import { printJson, printTable, say, TARGET_HELP } from '../../output.ts';
import { onServerOrLocal, validateBody } from '../../target.ts';

const run = promisify(execFile);

const DEPLOY_FLAGS = {
  service_id: '--service',
  environment: '--env',
  commit_sha: '--sha',
  status: '--status',
  version: '--release',
  kind: '--kind',
  finished_at: '--finished-at',
  started_at: '--started-at',
  rollback_of: '--rollback-of',
  external_id: '--external-id',
};
const DORA_FLAGS = { service_id: '--service', team_id: '--team', from: '--from', to: '--to' };
const MAX_COMMITS = 10_000;

async function systemContext() {
  const { systemPrincipal } = await import('@engops/server');
  return { principal: systemPrincipal };
}

interface GitCommit {
  sha: string;
  committed_at: string;
  authored_at: string;
  message: string;
}

/** Commits in `range` of the git checkout in the working directory, newest first (bounded). */
async function gitCommits(range: string[]): Promise<GitCommit[]> {
  const { stdout } = await run(
    'git',
    ['log', `--max-count=${MAX_COMMITS}`, '--format=%H%x1f%cI%x1f%aI%x1f%s%x1e', ...range],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout
    .split('\x1e')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [sha = '', committed = '', authored = '', message = ''] = line.split('\x1f');
      return { sha, committed_at: committed, authored_at: authored, message: message.slice(0, 10_000) };
    });
}

async function isCommit(sha: string): Promise<boolean> {
  try {
    await run('git', ['cat-file', '-e', `${sha}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/** Whether the working directory is a git checkout that holds `sha` (then deploy sends its commits). */
async function checkoutHolds(sha: string): Promise<boolean> {
  try {
    await run('git', ['rev-parse', '--is-inside-work-tree']);
  } catch {
    return false;
  }
  return isCommit(sha);
}

/** The commits between the previous deployment's sha and this one (just this one when unknown). */
async function commitsSince(previousSha: string | undefined, sha: string): Promise<GitCommit[]> {
  try {
    await run('git', ['rev-parse', '--is-inside-work-tree']);
  } catch {
    throw new CliError('--commits-from-git needs a git checkout as the working directory');
  }
  if (!(await isCommit(sha))) throw new CliError(`commit ${sha} is not in this git checkout (--sha)`);
  if (previousSha && previousSha !== sha && (await isCommit(previousSha)))
    return gitCommits([`${previousSha}..${sha}`]);
  return gitCommits(['-1', sha]);
}

function fmtSeconds(s: number | null): string {
  if (s === null) return 'no data';
  if (s >= 86_400) return `${(s / 86_400).toFixed(1)} days`;
  if (s >= 3600) return `${(s / 3600).toFixed(1)} hours`;
  return `${(s / 60).toFixed(1)} minutes`;
}

function fmtTier(tier: string | null): string {
  return tier ? tier[0]!.toUpperCase() + tier.slice(1) : 'no tier (no data)';
}

function printReport(r: DoraReport, scope: string): void {
  const pct = (v: number | null) => (v === null ? 'no data' : `${(v * 100).toFixed(1)}%`);
  const lines = [
    `DORA for ${scope}, ${r.window.from} to ${r.window.to} (${Number(r.window.days.toFixed(2))} days)`,
    '',
    `Deployment frequency  ${r.deployment_frequency.per_day.toFixed(2)} per day (${r.deployment_frequency.deployments} successful)  ${fmtTier(r.deployment_frequency.tier)}`,
    `Lead time for changes median ${fmtSeconds(r.lead_time.median_seconds)}, p90 ${fmtSeconds(r.lead_time.p90_seconds)} (${r.lead_time.changes} changes)  ${fmtTier(r.lead_time.tier)}`,
    `Change failure rate   ${pct(r.change_failure_rate.value)} (${r.change_failure_rate.failed} of ${r.change_failure_rate.deployments})  ${fmtTier(r.change_failure_rate.tier)}`,
    `Time to restore       median ${fmtSeconds(r.time_to_restore.median_seconds)} (${r.time_to_restore.incidents} incidents)  ${fmtTier(r.time_to_restore.tier)}`,
    `Rework rate           ${pct(r.rework_rate.value)} (${r.rework_rate.reworked} of ${r.rework_rate.deployments})`,
    '',
    `Overall: ${fmtTier(r.overall_tier)}`,
  ];
  const steps = [r.deployment_frequency, r.lead_time, r.change_failure_rate, r.time_to_restore]
    .map((m) => m.next?.needs)
    .filter((s): s is string => Boolean(s));
  if (steps.length) lines.push('', 'Next steps:', ...steps.map((s) => `  - ${s}`));
  for (const line of lines) say(line);
}

const REPOSITORY_FLAGS = {
  repository_url: '<url>',
  service_id: '--service',
  team_id: '--team',
  deploy_workflows: '--deploy-workflow',
};

/** `engops repository list|map|unmap`: the explicit repository -> service mappings. */
function registerRepositoryCommands(program: Command): void {
  const repository = program
    .command('repository')
    .description('Which service a repository belongs to, for webhooks and git imports (explicit mappings)');
  repository
    .command('list')
    .description('List the mappings (of one service or team; all with an org-wide role)')
    .option('--service <name|id>', 'one service')
    .option('--team <id>', 'one team (its services)')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', TARGET_HELP)
    .action(async (options: { service?: string; team?: string; json?: boolean }) => {
      const scope = {
        ...(options.service !== undefined ? { service_id: options.service } : {}),
        ...(options.team !== undefined ? { team_id: options.team } : {}),
      };
      const { result } = await onServerOrLocal<{ items: RepositoryMapping[] }>(
        {
          api: (client) => client.request('GET', `/api/v1/repositories?${new URLSearchParams(scope)}`),
          local: async (container) => {
            const ctx = await systemContext();
            return container.dora.service.listRepositories(ctx.principal, () => {}, scope);
          },
        },
        REPOSITORY_FLAGS,
      );
      if (options.json) return printJson(result);
      if (!result.items.length) return say('No repository is mapped explicitly.');
      printTable(
        ['REPOSITORY', 'SERVICE', 'DEPLOY WORKFLOWS'],
        result.items.map((m) => [
          m.repository_key,
          m.service_id,
          m.deploy_workflows?.join(', ') ?? '(named "deploy")',
        ]),
      );
    });
  repository
    .command('map <url>')
    .description("Map a repository (web or clone URL) to a service, before services' repository_url")
    .requiredOption('--service <name|id>', 'the service its deliveries belong to')
    .option(
      '--deploy-workflow <name>',
      'a GitHub workflow (name or .github/workflows/ path) whose runs are deployments; repeatable',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--json', 'print the mapping as JSON')
    .addHelpText('after', TARGET_HELP)
    .action(async (url: string, options: { service: string; deployWorkflow?: string[]; json?: boolean }) => {
      const input = {
        repository_url: url,
        service_id: options.service,
        ...(options.deployWorkflow ? { deploy_workflows: options.deployWorkflow } : {}),
      };
      const body = await validateBody(createRepositoryMappingSchema, input, REPOSITORY_FLAGS);
      const { result, where } = await onServerOrLocal<RepositoryMapping>(
        {
          api: (client) => client.request('POST', '/api/v1/repositories', body),
          local: async (container) => {
            const ctx = await systemContext();
            const service = await container.dora.service.findService(body.service_id);
            return container.dora.service.mapRepository(ctx, body, service);
          },
        },
        REPOSITORY_FLAGS,
      );
      if (options.json) return printJson(result);
      say(`Mapped ${result.repository_key} to service ${options.service}; in ${where}.`);
    });
  repository
    .command('unmap <url-or-key>')
    .description('Remove a mapping (deliveries fall back to matching repository_url)')
    .addHelpText('after', TARGET_HELP)
    .action(async (key: string) => {
      const { where } = await onServerOrLocal<null>(
        {
          api: async (client) => {
            await client.request('DELETE', `/api/v1/repositories/${encodeURIComponent(key)}`);
            return null;
          },
          local: async (container) => {
            const ctx = await systemContext();
            const dora = container.dora.service;
            const mapping = await dora.getRepositoryMapping(key);
            const service = await container.catalog.service.getService(mapping.service_id);
            await dora.unmapRepository(ctx, mapping.repository_key, service.team_id);
            return null;
          },
        },
        REPOSITORY_FLAGS,
      );
      say(`Removed the mapping of ${key}; in ${where}.`);
    });
}

export function registerDoraCommands(program: Command): void {
  registerRepositoryCommands(program);
  program
    .command('deploy')
    .description('Record a deployment (for CI/CD pipelines)')
    .requiredOption('--service <name|id>', 'the service deployed')
    .requiredOption('--sha <sha>', 'the commit deployed')
    .requiredOption('--status <status>', 'success or failure')
    .option('--env <environment>', 'the environment', 'production')
    .option('--release <version>', 'the version deployed (--version prints the CLI version)')
    .option('--kind <kind>', 'normal, rollback or hotfix', 'normal')
    .option('--rollback-of <id>', 'the deployment a rollback undoes')
    .option('--started-at <instant>', 'when the deployment started (ISO-8601)')
    .option('--finished-at <instant>', 'when it finished (ISO-8601; default now)')
    .option('--external-id <id>', 'an id of the pipeline run; re-sending it records nothing new')
    .option(
      '--commits-from-git',
      "send the commits between the previous successful deployment's sha and --sha, read from the git checkout here " +
        '(the default inside a git checkout that holds --sha; with this flag, an error elsewhere)',
    )
    .option('--no-commits-from-git', 'send no commits, even inside a git checkout')
    .option('--json', 'print the deployment as JSON')
    .addHelpText(
      'after',
      `
Run inside the git checkout of the deployed commit, it sends the commits between the previous
successful deployment's sha and --sha (the lead time of each); elsewhere it records the deployment
alone.

Example (in a pipeline, with ENGOPS_URL and ENGOPS_TOKEN set to a team responder token):
  engops deploy --service api --env production --sha "$GIT_SHA" --status success
${TARGET_HELP}`,
    )
    .action(
      async (options: {
        service: string;
        sha: string;
        status: string;
        env: string;
        release?: string;
        kind: string;
        rollbackOf?: string;
        startedAt?: string;
        finishedAt?: string;
        externalId?: string;
        commitsFromGit?: boolean;
        json?: boolean;
      }) => {
        const input: Record<string, unknown> = {
          service_id: options.service,
          environment: options.env,
          commit_sha: options.sha,
          status: options.status,
          kind: options.kind,
          finished_at: options.finishedAt ?? new Date().toISOString(),
          ...(options.release !== undefined ? { version: options.release } : {}),
          ...(options.rollbackOf !== undefined ? { rollback_of: options.rollbackOf } : {}),
          ...(options.startedAt !== undefined ? { started_at: options.startedAt } : {}),
          ...(options.externalId !== undefined ? { external_id: options.externalId } : {}),
        };
        await validateBody(createDeploymentSchema, input, DEPLOY_FLAGS);
        const withCommits = async (previousSha: string | undefined) => {
          if (options.commitsFromGit === false) return input;
          if (options.commitsFromGit === undefined && !(await checkoutHolds(options.sha))) return input;
          const commits = await commitsSince(previousSha, options.sha);
          return { ...input, commits };
        };
        const { result, where } = await onServerOrLocal<Deployment>(
          {
            api: async (client) => {
              // The API takes a service's name or id.
              const previous = await client.request<{ items: Deployment[] }>(
                'GET',
                `/api/v1/deployments?${new URLSearchParams({ service_id: options.service, environment: options.env, status: 'success', limit: '1' })}`,
              );
              return client.request(
                'POST',
                '/api/v1/deployments',
                await withCommits(previous.items[0]?.commit_sha),
              );
            },
            local: async (container) => {
              const ctx = await systemContext();
              const service = await container.dora.service.findService(options.service);
              const previous = await container.dora.service.list(
                { limit: 1, service_id: service.id, environment: options.env, status: 'success' },
                ctx.principal,
                () => {},
              );
              const body = await validateBody(
                createDeploymentSchema,
                await withCommits(previous.items[0]?.commit_sha),
                DEPLOY_FLAGS,
              );
              return container.dora.service.record(ctx, body, service);
            },
          },
          DEPLOY_FLAGS,
        );
        if (options.json) return printJson(result);
        say(
          `Recorded deployment ${result.id}: ${options.service} ${result.environment} ${result.commit_sha.slice(0, 12)} ` +
            `${result.status} (${result.kind}, ${result.commit_count} commits); in ${where}.`,
        );
      },
    );

  program
    .command('dora')
    .description('DORA metrics of a service, a team or the organisation, with tiers and next steps')
    .option('--service <name|id>', 'one service')
    .option('--team <id>', 'one team (its services)')
    .option('--from <instant>', 'window start, ISO-8601 (default 30 days before --to)')
    .option('--to <instant>', 'window end, ISO-8601 (default now)')
    .option('--json', 'print the API response as JSON')
    .addHelpText('after', TARGET_HELP)
    .action(
      async (options: { service?: string; team?: string; from?: string; to?: string; json?: boolean }) => {
        const input = {
          ...(options.service !== undefined ? { service_id: options.service } : {}),
          ...(options.team !== undefined ? { team_id: options.team } : {}),
          ...(options.from !== undefined ? { from: options.from } : {}),
          ...(options.to !== undefined ? { to: options.to } : {}),
        };
        const query = await validateBody(doraQuerySchema, input, DORA_FLAGS);
        const { result } = await onServerOrLocal<DoraReport>(
          {
            api: (client) => client.request('GET', `/api/v1/dora?${new URLSearchParams(input)}`),
            local: async (container) => {
              const ctx = await systemContext();
              return container.dora.service.report(query, ctx.principal, () => {});
            },
          },
          DORA_FLAGS,
        );
        if (options.json) return printJson(result);
        printReport(
          result,
          options.service
            ? `service ${options.service}`
            : options.team
              ? `team ${options.team}`
              : 'the organisation',
        );
      },
    );
}
