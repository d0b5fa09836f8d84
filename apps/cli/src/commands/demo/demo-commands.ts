import type { Command } from 'commander';
import { withLocalContainer } from '../../local-database.ts';
import { printJson, say } from '../../output.ts';

export function registerDemoCommands(program: Command): void {
  program
    .command('demo')
    .description('Fill an empty database with a demo organisation (teams, people, services)')
    .option('--json', 'print the outcome and the admin credentials as JSON')
    .addHelpText(
      'after',
      `
Acts on the local database the server uses (ENGOPS_DATA_DIR, or ENGOPS_DATABASE_URL for
PostgreSQL), applying pending migrations first. A database that already has people is left as it is.
Then start the server with "engops serve" and log in with the printed credentials.
("engops serve --demo" does both in one step.)`,
    )
    .action(async (options: { json?: boolean }) => {
      if (process.env.ENGOPS_URL)
        say('note: demo acts on the local database; ENGOPS_URL is not used.', 'stderr');
      const { seedDemo } = await import('@engops/server');
      const { demo, where } = await withLocalContainer(async (container, where) => ({
        demo: await seedDemo(container),
        where,
      }));
      if (options.json) {
        return printJson({
          outcome: demo.outcome,
          created: demo.created,
          database: where,
          admin_email: demo.adminEmail,
          admin_password: demo.outcome === 'not-empty' ? null : demo.adminPassword,
        });
      }
      const login = `Log in as ${demo.adminEmail} with password ${demo.adminPassword}`;
      switch (demo.outcome) {
        case 'created':
          say(`Demo organisation loaded into ${where}.\n${login}`);
          break;
        case 'completed':
          say(`Demo organisation completed in ${where} (an earlier run had stopped half-way).\n${login}`);
          break;
        case 'present':
          say(`Demo data already exists in ${where}; nothing changed.\n${login}`);
          break;
        case 'not-empty':
          say(
            `The database already has people (${where}); nothing changed. ` +
              'The demo organisation is only loaded into an empty database.',
          );
          break;
      }
    });
}
