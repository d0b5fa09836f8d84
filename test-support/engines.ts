import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { buildApp } from '../apps/server/src/app.ts';
import { type Config, loadConfig } from '../apps/server/src/config/config.ts';
import { type Container, createContainer } from '../apps/server/src/container.ts';
import { createDatabase, type DatabaseHandle, type Engine } from '../apps/server/src/db/database.ts';
import { systemPrincipal } from '../apps/server/src/platform/access/permissions.ts';
import { type Clock, systemClock } from '../apps/server/src/platform/clock.ts';
import { createLogger } from '../apps/server/src/platform/logger.ts';

/**
 * Integration tests run once per database engine: SQLite always, PostgreSQL when
 * ENGOPS_TEST_DATABASE_URL is set. In CI a missing PostgreSQL is a failure, never a skip.
 */
export const PG_URL = process.env.ENGOPS_TEST_DATABASE_URL;
if (process.env.CI === 'true' && !PG_URL) {
  throw new Error(
    'CI=true but ENGOPS_TEST_DATABASE_URL is not set: PostgreSQL tests cannot be skipped in CI',
  );
}
export const ENGINES: Engine[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestDatabase {
  handle: DatabaseHandle;
  config: Config['database'];
  drop(): Promise<void>;
}

/** A private database: a SQLite file in a temp dir, or a fresh PostgreSQL schema. */
export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-test-'));
    const config = { kind: 'sqlite' as const, file: path.join(dir, 'engops.sqlite') };
    const handle = createDatabase(config);
    return { handle, config, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  if (!PG_URL) throw new Error('ENGOPS_TEST_DATABASE_URL is not set');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const config = { kind: 'postgres' as const, url: PG_URL, schema };
  const handle = createDatabase(config);
  return {
    handle,
    config,
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    ENGOPS_LOG_LEVEL: 'silent',
    ENGOPS_DATA_DIR: os.tmpdir(),
    ENGOPS_WORKER_POLL_MS: '50',
    ...overrides,
  });
}

export interface TestApp {
  engine: Engine;
  app: FastifyInstance;
  container: Container;
  database: TestDatabase;
  /** An org-wide admin token. */
  adminToken: string;
  /** A token with `role` (org-wide, or on `teamId`). */
  tokenFor(role: 'viewer' | 'responder' | 'manager' | 'admin', teamId?: string): Promise<string>;
  /** app.inject with a bearer token and a JSON body; returns status, headers and parsed JSON. */
  call(
    method: string,
    url: string,
    options?: { token?: string | null; body?: unknown; headers?: Record<string, string>; payload?: string },
  ): Promise<{
    status: number;
    headers: Record<string, unknown>;
    // biome-ignore lint/suspicious/noExplicitAny: test responses are asserted field by field
    json: any;
    body: string;
  }>;
  close(): Promise<void>;
}

export async function createTestApp(
  engine: Engine,
  options: { env?: Record<string, string>; clock?: Clock } = {},
): Promise<TestApp> {
  const database = await createTestDatabase(engine);
  const config = testConfig(options.env);
  const container = createContainer(config, {
    database: database.handle,
    clock: options.clock ?? systemClock,
    logger: createLogger('silent'),
    processMetrics: false,
  });
  await container.migrate();
  const app = await buildApp(container);
  await app.ready();
  const admin = await container.access.service.createToken(
    { principal: systemPrincipal },
    { name: 'test-admin', role: 'admin' },
  );
  const testApp: TestApp = {
    engine,
    app,
    container,
    database,
    adminToken: admin.token,
    async tokenFor(role, teamId) {
      const t = await container.access.service.createToken(
        { principal: systemPrincipal },
        { name: `test-${role}`, role, ...(teamId ? { team_id: teamId } : {}) },
      );
      return t.token;
    },
    async call(method, url, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      const token = opts.token === undefined ? admin.token : opts.token;
      if (token) headers.authorization = `Bearer ${token}`;
      const inject: InjectOptions = { method: method as InjectOptions['method'], url, headers };
      if (opts.payload !== undefined) inject.payload = opts.payload;
      else if (opts.body !== undefined) {
        headers['content-type'] = 'application/json';
        inject.payload = JSON.stringify(opts.body);
      }
      const res = await app.inject(inject);
      let json: unknown;
      try {
        json = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, headers: res.headers, json, body: res.body };
    },
    async close() {
      await app.close();
      await container.close();
      await database.drop();
    },
  };
  return testApp;
}

/** `describe` once per engine, with a fresh app for the block. */
export function describeEachEngine(
  name: string,
  body: (get: () => TestApp) => void,
  options: { env?: Record<string, string> } = {},
): void {
  for (const engine of ENGINES) {
    describe(`${name} [${engine}]`, () => {
      let current: TestApp | undefined;
      beforeAll(async () => {
        current = await createTestApp(engine, options);
      });
      afterAll(async () => {
        await current?.close();
      });
      body(() => {
        if (!current) throw new Error('test app not ready');
        return current;
      });
    });
  }
}
