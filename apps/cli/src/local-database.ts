import type { AppError, Container } from '@engops/server';
import { CliError } from './cli-error.ts';

/** Where local commands act, for messages: "the SQLite database data/engops.sqlite". */
export function describeDatabase(database: Container['config']['database']): string {
  if (database.kind === 'sqlite') return `the SQLite database ${database.file}`;
  let where = '';
  try {
    const url = new URL(database.url);
    where = ` ${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}`;
  } catch {
    // an unparsable URL is the driver's to report
  }
  return `the PostgreSQL database${where}`;
}

/**
 * Runs `fn` on the database the server would use (ENGOPS_DATA_DIR / ENGOPS_DATABASE_URL), through
 * the server's own services: builds the container quietly, applies pending migrations, and closes
 * it afterwards. Service errors become CliErrors with the same problem details the API would send.
 */
export async function withLocalContainer<T>(
  fn: (container: Container, where: string) => Promise<T>,
  env: Record<string, string | undefined> = process.env,
): Promise<T> {
  const server = await import('@engops/server');
  const config = server.loadConfig(env);
  const container = server.createContainer(config, {
    logger: server.createLogger('silent'),
    processMetrics: false,
  });
  try {
    await container.migrate();
    return await fn(container, describeDatabase(config.database));
  } catch (error) {
    if (error instanceof server.AppError) {
      const problem = server.problemOf(error as AppError);
      throw new CliError(`${problem.code}: ${problem.detail}`, { problem, cause: error });
    }
    throw error;
  } finally {
    await container.close();
  }
}
