import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { type Config, loadConfig } from './config/config.ts';
import { type Container, createContainer } from './container.ts';
import { seedDemo } from './demo/demo.ts';

export interface ServeOptions {
  config?: Config;
  demo?: boolean;
  /** Print the URL and credentials on stdout for people (the CLI does). */
  announce?: (line: string) => void;
}

export interface RunningServer {
  app: FastifyInstance;
  container: Container;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the whole server: HTTP first (healthz says 503 until ready), then migrations, the admin
 * token from ENGOPS_ADMIN_TOKEN, the optional demo data, and the job worker. SIGTERM/SIGINT close
 * the listener, let in-flight requests and jobs finish, then close the database.
 */
export async function serve(options: ServeOptions = {}): Promise<RunningServer> {
  const config = options.config ?? loadConfig();
  const announce = options.announce ?? (() => {});
  const container = createContainer(config);
  const app = await buildApp(container);
  const startDraining = drainConnectionsOnStop(app);
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = config.publicUrl ?? `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  container.state.baseUrl = url;

  try {
    const { applied } = await container.migrate();
    if (applied.length > 0) container.logger.info({ applied }, 'migrations applied');
    // Not ready (healthz 503) until module start-up, the ENGOPS_ADMIN_TOKEN token and any demo data
    // are in place: a client that waits for healthz must find its admin token already valid.
    container.state.ready = false;
    await container.start();
    if (config.adminToken) {
      const outcome = await container.access.service.ensureAdminToken(config.adminToken);
      if (outcome === 'revoked')
        container.logger.warn('ENGOPS_ADMIN_TOKEN matches a revoked token; it stays revoked');
      else container.logger.info({ outcome }, 'admin token from ENGOPS_ADMIN_TOKEN');
    }
    if (options.demo) {
      // An empty database would offer the first-admin setup until the demo is in.
      const demo = await seedDemo(container);
      if (demo.created)
        announce(`Demo organisation loaded. Log in as ${demo.adminEmail} / ${demo.adminPassword}`);
      else if (demo.outcome === 'not-empty')
        announce(
          'The database already has people who are not the demo organisation; no demo data was added.',
        );
      else announce('Demo data already present; left as it is.');
    }
    container.state.ready = true;
  } catch (error) {
    await app.close();
    await container.close();
    throw error;
  }
  if (config.worker.enabled) container.worker.start();

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      container.state.shuttingDown = true;
      startDraining();
      await app.close();
      await container.close();
    })();
    return stopping;
  };
  announce(
    `engops ${container.engine === 'sqlite' ? `(SQLite: ${config.database.kind === 'sqlite' ? config.database.file : ''})` : '(PostgreSQL)'} listening on ${url}`,
  );
  container.logger.info({ url, database: container.engine }, 'engops ready');
  return { app, container, url, stop };
}

/**
 * Lets keep-alive connections go once their last answer is out. Node closes the connections that are
 * idle when the listener closes, but a connection whose request is still in flight stays open after
 * its answer until the keep-alive timeout (72 s): a client that pools connections (a reverse proxy)
 * would hold `app.close()` past the force-exit timer. While stopping, answers carry
 * `Connection: close`, and each finished answer closes the connections left idle.
 */
function drainConnectionsOnStop(app: FastifyInstance): () => void {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  app.server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (draining && !response.headersSent) response.setHeader('connection', 'close');
    inFlight.add(response);
    response.once('close', () => {
      inFlight.delete(response);
      if (draining) app.server.closeIdleConnections();
    });
  });
  return () => {
    draining = true;
    for (const response of inFlight) {
      if (!response.headersSent) response.setHeader('connection', 'close');
    }
  };
}

/** Installs SIGTERM/SIGINT handlers that stop the server gracefully, then exit. */
export function stopOnSignals(server: RunningServer): void {
  const handler = (signal: string) => {
    server.container.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      server.container.logger.error('graceful shutdown took over 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    server
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        server.container.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
