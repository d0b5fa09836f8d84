import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Container } from './container.ts';
import { registerAuth } from './http/auth.ts';
import { isClientRoute } from './http/client-routes.ts';
import { renderApiDocs, renderErrorCatalogue } from './http/docs-pages.ts';
import { buildOpenApi } from './http/openapi.ts';
import { platformRoutes } from './http/platform-routes.ts';
import { frameworkErrors, registerProblemHandlers, sendProblem } from './http/problem.ts';
import { type RouteSpec, registerRoutes } from './http/route.ts';
import { AppError } from './platform/errors.ts';

export const VERSION = '0.1.0';

/** The built web UI, found through the @engops/web workspace package (works from sources and bundles). */
export const DEFAULT_WEB_DIST = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@engops/web/package.json')),
  'dist',
);

const ALWAYS_OPEN = new Set(['/healthz', '/metrics']);

/** The Fastify instance with every route. Never listens: main.ts does, tests use app.inject(). */
export async function buildApp(container: Container): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: container.logger.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: container.config.bodyLimitBytes,
    trustProxy: container.config.trustProxy,
    frameworkErrors,
    // Shutdown answers come from the onRequest hook below, as problem+json.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  });

  const webDist = container.config.webDist ?? DEFAULT_WEB_DIST;
  const indexHtml = path.join(webDist, 'index.html');
  const shellHtml = fs.existsSync(indexHtml) ? fs.readFileSync(indexHtml, 'utf8') : undefined;
  const spa = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(shellHtml);
  // Client-side routes: any other GET that is not API, docs or a file gets the app shell.
  registerProblemHandlers(app, (request, reply) => {
    if (shellHtml && request.method === 'GET' && isClientRoute(request.url)) return spa(reply);
    return undefined;
  });
  // HTML forms (signed action links) post urlencoded bodies.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    },
  );

  app.addHook('onRequest', async (request, reply) => {
    if (ALWAYS_OPEN.has(request.url.split('?')[0]!)) return;
    if (container.state.shuttingDown) {
      reply.header('connection', 'close');
      return sendProblem(
        reply,
        new AppError('HTTP_SERVICE_UNAVAILABLE', 'The server is shutting down.'),
        request,
      );
    }
    if (!container.state.ready) {
      return sendProblem(reply, new AppError('HTTP_SERVICE_UNAVAILABLE', 'The server is starting.'), request);
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    container.metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  registerAuth(app, container.access.service.authenticator);

  const registry: RouteSpec[] = [];
  registerRoutes(app, container.access.routes, registry);
  registerRoutes(app, container.catalog.routes, registry);
  registerRoutes(app, container.policy.routes, registry);
  registerRoutes(app, container.incidents.routes, registry);
  await app.register(container.incidents.ingestScope(registry));
  registerRoutes(app, container.oncall.routes, registry);
  registerRoutes(app, container.postmortems.routes, registry);
  registerRoutes(app, container.dora.routes, registry);
  registerRoutes(app, container.flags.routes, registry);
  registerRoutes(app, container.workflow.routes, registry);
  registerRoutes(app, container.releases.routes, registry);
  registerRoutes(app, container.security.routes, registry);
  await app.register(container.dora.webhooks(registry));
  registerRoutes(
    app,
    platformRoutes({ db: container.db, notifier: container.notifier, audit: container.audit }),
    registry,
  );

  app.get('/healthz', async (_request, reply) => {
    const ok = container.state.ready && !container.state.shuttingDown;
    return reply
      .code(ok ? 200 : 503)
      .send({ status: ok ? 'ok' : 'starting', version: VERSION, database: container.engine });
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(container.metrics.registry.contentType);
    return container.metrics.registry.metrics();
  });

  let openapi: ReturnType<typeof buildOpenApi> | undefined;
  const spec = () => {
    openapi ??= buildOpenApi(registry, VERSION);
    return openapi;
  };
  app.get('/openapi.json', async () => spec());
  app.get('/api/docs', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(renderApiDocs(spec() as never)),
  );
  app.get('/docs/errors', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(renderErrorCatalogue()),
  );

  if (shellHtml) {
    // @fastify/static registers a route per file; Vite's hashed assets can be cached for good.
    await app.register(fastifyStatic, {
      root: webDist,
      wildcard: false,
      index: false,
      cacheControl: false,
      setHeaders: (res, filePath) => {
        const immutable = filePath.startsWith(path.join(webDist, 'assets') + path.sep);
        res.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    app.get('/', async (_request, reply) => spa(reply));
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><title>engops</title><p>The web UI is not built. Run <code>npm run build:web</code>; the API is at <a href="/api/docs">/api/docs</a>.</p>',
        ),
    );
  }

  return app;
}
