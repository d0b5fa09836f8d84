import { Command } from 'commander';
import { registerServerCommands } from './commands/server/server-commands.ts';

const program = new Command();
program
  .name('engops')
  .description(
    'Self-hosted engineering operations: catalog, incidents, on-call, postmortems, DORA, releases, flags, security.',
  )
  .version('0.1.0')
  .showHelpAfterError();

registerServerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
