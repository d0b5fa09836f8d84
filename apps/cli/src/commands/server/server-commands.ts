import type { Command } from 'commander';
import { buildWebIfNeeded } from './web-build.ts';

export function registerServerCommands(program: Command): void {
  program
    .command('serve')
    .description(
      'Run the server: web UI, API and background jobs (SQLite by default, PostgreSQL with ENGOPS_DATABASE_URL)',
    )
    .option('--demo', 'fill a fresh database with a demo organisation')
    .option('--port <port>', 'port to listen on (default 8080, or PORT / ENGOPS_PORT)')
    .option('--no-web-build', 'do not build the web UI when it is missing')
    .action(async (options: { demo?: boolean; port?: string; webBuild: boolean }) => {
      if (options.port) process.env.ENGOPS_PORT = options.port;
      if (options.webBuild) await buildWebIfNeeded((line) => console.log(line));
      const { loadConfig, serve, stopOnSignals } = await import('@engops/server');
      const server = await serve({
        config: loadConfig(),
        demo: options.demo ?? false,
        announce: (line) => console.log(line),
      });
      stopOnSignals(server);
    });

  program
    .command('migrate')
    .description('Apply pending database migrations and exit')
    .action(async () => {
      const { createDatabase, loadConfig, migrateToLatest } = await import('@engops/server');
      const config = loadConfig();
      const database = createDatabase(config.database);
      try {
        const { applied } = await migrateToLatest(database.db);
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
      } finally {
        await database.close();
      }
    });
}
