import { createUserSchema, type User } from '@engops/contracts';
import type { Command } from 'commander';
import { CliError } from '../../cli-error.ts';
import { printJson, say, TARGET_HELP } from '../../output.ts';
import { onServerOrLocal, readStdin, validateBody } from '../../target.ts';

interface CreateOptions {
  email: string;
  name: string;
  timeZone?: string;
  role?: string;
  password?: string;
  passwordStdin?: boolean;
  json?: boolean;
}

const FLAGS = {
  email: '--email',
  name: '--name',
  time_zone: '--time-zone',
  role: '--role',
  password: '--password',
};

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('Manage people (users)');

  user
    .command('create')
    .description('Create a person; with a password they can log in to the web UI')
    .requiredOption('--email <email>', 'email address (unique, case-insensitive)')
    .requiredOption('--name <name>', 'display name')
    .option('--time-zone <zone>', 'IANA time zone such as Europe/Berlin (default UTC)')
    .option(
      '--role <role>',
      'org-wide role: viewer, responder, manager or admin; "none" for team roles only (default viewer)',
    )
    .option('--password <password>', 'password for web login, at least 10 characters (see --password-stdin)')
    .option('--password-stdin', 'read the password from standard input (keeps it out of the process list)')
    .option('--json', 'print the created user as JSON')
    .addHelpText(
      'after',
      `${TARGET_HELP}

Examples:
  engops user create --email ada@example.com --name "Ada Okafor" --role admin --password-stdin < pw.txt
  ENGOPS_URL=https://engops.example.com ENGOPS_TOKEN=eo_... engops user create --email bo@example.com --name Bo`,
    )
    .action(async (options: CreateOptions) => {
      if (options.password !== undefined && options.passwordStdin) {
        throw new CliError('use either --password or --password-stdin, not both');
      }
      const password = options.passwordStdin ? await readStdin() : options.password;
      const input = {
        email: options.email,
        name: options.name,
        ...(options.timeZone !== undefined ? { time_zone: options.timeZone } : {}),
        ...(options.role !== undefined ? { role: options.role === 'none' ? null : options.role } : {}),
        ...(password !== undefined ? { password } : {}),
      };
      const body = await validateBody(createUserSchema, input, FLAGS);
      const { result, where } = await onServerOrLocal<User>(
        {
          api: (client) => client.request('POST', '/api/v1/users', input),
          local: async (container) => {
            const { systemPrincipal } = await import('@engops/server');
            return container.catalog.service.createUser({ principal: systemPrincipal }, body);
          },
        },
        FLAGS,
      );
      if (options.json) return printJson(result);
      say(
        `Created user ${result.id} ${result.name} <${result.email}>: role ${result.role ?? 'none (team roles only)'}, ` +
          `time zone ${result.time_zone}, ${result.has_password ? 'can log in with a password' : 'no password (cannot log in yet)'}; in ${where}.`,
      );
    });
}
