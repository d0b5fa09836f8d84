import fs from 'node:fs';
import { clientFeaturesSchema, createSdkTokenSchema, type Flag, type SdkToken } from '@engops/contracts';
import type { Command } from 'commander';
import { CliError } from '../../cli-error.ts';
import { printJson, printTable, say, TARGET_HELP } from '../../output.ts';
import { onServerOrLocal, readStdin, validateBody } from '../../target.ts';

const enc = encodeURIComponent;
const TOKEN_FLAGS = { name: '--name', type: '--type', environment: '--env' };
const ENV_FLAGS = { environment: '--env', env: '--env' };

async function systemContext() {
  const { systemPrincipal } = await import('@engops/server');
  return { principal: systemPrincipal };
}

/** The rollout of an environment in words: off, on, or the percentage of its first gradual rollout. */
export function stateOf(flag: Flag, environment: string): string {
  const env = flag.environments[environment];
  if (!env?.enabled) return 'off';
  const rollout = env.strategies.find((s) => s.name === 'flexibleRollout')?.parameters?.rollout;
  return rollout === undefined || rollout === null ? 'on' : `on ${rollout}%`;
}

export function registerFlagCommands(program: Command): void {
  const flag = program
    .command('flag')
    .description('Feature flags: kill switch, import/export in the Unleash format, SDK tokens');

  flag
    .command('list')
    .description('List flags with their state in each environment')
    .option('--env <key>', 'only this environment')
    .option('--json', 'print the flags as JSON')
    .addHelpText('after', TARGET_HELP)
    .action(async (options: { env?: string; json?: boolean }) => {
      const { result } = await onServerOrLocal<Flag[]>({
        api: async (client) => (await client.request<{ items: Flag[] }>('GET', '/api/v1/flags')).items,
        local: (container) => container.flags.service.listFlags(),
      });
      if (options.json) return printJson(result);
      if (result.length === 0) return say('No flags.');
      const envs = options.env ? [options.env] : Object.keys(result[0]?.environments ?? {});
      printTable(
        ['KEY', 'TYPE', ...envs.map((e) => e.toUpperCase())],
        result.map((f) => [f.key, f.type, ...envs.map((e) => stateOf(f, e))]),
      );
    });

  for (const state of ['on', 'off'] as const)
    flag
      .command(state)
      .description(
        state === 'off'
          ? 'Kill switch: turn a flag off in an environment at once (never waits for approval)'
          : 'Turn a flag on in an environment (a protected environment asks for approval instead)',
      )
      .argument('<key>', 'the flag key')
      .requiredOption('--env <key>', 'the environment, e.g. production')
      .option('--json', 'print the flag as JSON')
      .addHelpText(
        'after',
        `
Example (ENGOPS_URL and ENGOPS_TOKEN set to a manager token of the flag's team):
  engops flag off checkout.one-page --env production
${TARGET_HELP}`,
      )
      .action(async (key: string, options: { env: string; json?: boolean }) => {
        const { result, where } = await onServerOrLocal<Flag>(
          {
            api: (client) =>
              client.request('POST', `/api/v1/flags/${enc(key)}/environments/${enc(options.env)}/${state}`),
            local: async (container) =>
              container.flags.service.updateEnvironment(await systemContext(), key, options.env, {
                enabled: state === 'on',
              }),
          },
          ENV_FLAGS,
        );
        if (options.json) return printJson(result);
        say(`${result.key} is ${stateOf(result, options.env)} in ${options.env}; in ${where}.`);
      });

  flag
    .command('export')
    .description('Export the flags of an environment in the Unleash client-features format')
    .requiredOption('--env <key>', 'the environment')
    .option('--output <file>', 'write to this file instead of standard output')
    .addHelpText('after', TARGET_HELP)
    .action(async (options: { env: string; output?: string }) => {
      const { result } = await onServerOrLocal<{ features: unknown[]; segments?: unknown[] }>(
        {
          api: (client) => client.request('GET', `/api/v1/flags/export?environment=${enc(options.env)}`),
          local: (container) => container.flags.service.exportEnvironment(options.env),
        },
        ENV_FLAGS,
      );
      const text = `${JSON.stringify(result, null, 2)}\n`;
      if (!options.output) return void process.stdout.write(text);
      fs.writeFileSync(options.output, text);
      say(
        `Wrote ${result.features.length} flags and ${result.segments?.length ?? 0} segments to ${options.output}.`,
      );
    });

  flag
    .command('import')
    .description('Create or replace flags in an environment from an Unleash client-features document')
    .argument('<file>', 'a JSON file as Unleash serves at /api/client/features, or - for standard input')
    .requiredOption('--env <key>', 'the environment')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Example (moving from Unleash in one call):
  curl -H "Authorization: $UNLEASH_CLIENT_TOKEN" "$UNLEASH/api/client/features" > flags.json
  engops flag import flags.json --env production
${TARGET_HELP}`,
    )
    .action(async (file: string, options: { env: string; json?: boolean }) => {
      const text = file === '-' ? await readStdin() : readFile(file);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new CliError(`${file} is not JSON: ${(error as Error).message}`);
      }
      const doc = await validateBody(clientFeaturesSchema, parsed);
      const { result, where } = await onServerOrLocal<{
        environment: string;
        flags: number;
        segments: number;
      }>(
        {
          api: (client) =>
            client.request('POST', `/api/v1/flags/import?environment=${enc(options.env)}`, parsed),
          local: async (container) =>
            container.flags.service.importEnvironment(await systemContext(), options.env, doc),
        },
        ENV_FLAGS,
      );
      if (options.json) return printJson(result);
      say(
        `Imported ${result.flags} flags and ${result.segments} segments into ${result.environment}; in ${where}.`,
      );
    });

  flag
    .command('token')
    .description('Create an SDK token that reads the flags of one environment; its secret is printed once')
    .requiredOption('--name <name>', 'what the token is for, e.g. "checkout-api"')
    .requiredOption('--type <type>', 'client (server SDKs, OFREP) or frontend (/api/frontend, OFREP)')
    .requiredOption('--env <key>', 'the environment it reads')
    .option('--json', 'print the token (with its secret) as JSON')
    .addHelpText(
      'after',
      `
Output: the secret alone on standard output, the details on standard error, so that
  UNLEASH_TOKEN=$(engops flag token --name checkout-api --type client --env production)
captures only the secret.
${TARGET_HELP}`,
    )
    .action(async (options: { name: string; type: string; env: string; json?: boolean }) => {
      const input = { name: options.name, type: options.type, environment: options.env };
      const body = await validateBody(createSdkTokenSchema, input, TOKEN_FLAGS);
      const { result, where } = await onServerOrLocal<SdkToken & { token: string }>(
        {
          api: (client) => client.request('POST', '/api/v1/tokens', input),
          local: async (container) => container.flags.service.createSdkToken(await systemContext(), body),
        },
        TOKEN_FLAGS,
      );
      if (options.json) return printJson(result);
      say(
        `Created ${result.type} SDK token ${result.id} "${result.name}" for ${result.environment}; in ${where}.`,
        'stderr',
      );
      say('Its secret follows; it is shown only this once, so store it now:', 'stderr');
      say(result.token);
    });
}

function readFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read ${file}: ${(error as Error).message}`);
  }
}
