import { Command } from 'commander';
import { formatError } from './cli-error.ts';
import { registerDemoCommands } from './commands/demo/demo-commands.ts';
import { registerDoraCommands } from './commands/dora/dora-commands.ts';
import { registerFlagCommands } from './commands/flag/flag-commands.ts';
import { registerImportCommands } from './commands/import/import-commands.ts';
import { registerOncallCommands } from './commands/oncall/oncall-commands.ts';
import { registerPostmortemCommands } from './commands/postmortem/postmortem-commands.ts';
import { registerReleaseCommands } from './commands/release/release-commands.ts';
import { registerScanCommands } from './commands/scan/scan-commands.ts';
import { registerServerCommands } from './commands/server/server-commands.ts';
import { registerTokenCommands } from './commands/token/token-commands.ts';
import { registerUserCommands } from './commands/user/user-commands.ts';
import { registerWorkflowCommands } from './commands/workflow/workflow-commands.ts';

const program = new Command();
program
  .name('engops')
  .description(
    'Self-hosted engineering operations: catalog, incidents, on-call, postmortems, DORA, releases, flags, security.',
  )
  .version('0.1.0')
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Environment:
  ENGOPS_URL, ENGOPS_TOKEN  server URL and API token for the commands that can talk to a server
                            (user, token); without ENGOPS_URL they act on the local database
  ENGOPS_DATA_DIR           where the SQLite database lives (default ./data)
  ENGOPS_DATABASE_URL       postgres://... to use PostgreSQL instead of SQLite

Run "engops <command> --help" for a command's options.`,
  );

registerServerCommands(program);
registerUserCommands(program);
registerTokenCommands(program);
registerDemoCommands(program);
registerDoraCommands(program);
registerImportCommands(program);
registerScanCommands(program);
registerReleaseCommands(program);
registerWorkflowCommands(program);
registerOncallCommands(program);
registerPostmortemCommands(program);
registerFlagCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`${formatError(error)}\n`);
  process.exit(1);
}
