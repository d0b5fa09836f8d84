import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContainer, loadConfig } from '@engops/server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The real `engops` command, spawned as a child process (node apps/cli/bin/engops.js) on a private
 * database: a temp ENGOPS_DATA_DIR (SQLite), and a fresh PostgreSQL database when
 * ENGOPS_TEST_DATABASE_URL is set. Servers it starts are stopped with SIGTERM in afterAll.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'apps/cli/bin/engops.js');
const PG_URL = process.env.ENGOPS_TEST_DATABASE_URL;

type Env = Record<string, string | undefined>;

/** The environment of a child: this process's, minus every engops setting, plus `extra`. */
function childEnv(extra: Env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('ENGOPS_') && key !== 'PORT') env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Env, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** Runs the CLI and expects exit code 0, showing its output when it is not. */
async function ok(args: string[], env: Env, stdin?: string): Promise<CliResult> {
  const result = await cli(args, env, stdin);
  expect(result.code, `engops ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
  return result;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Served {
  url: string;
  child: ChildProcess;
  output(): string;
}

/** `engops serve` on a free port; resolves once /healthz answers 200 (at most ~30 s). */
async function serve(env: Env): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--no-web-build'], {
    cwd: ROOT,
    env: childEnv({ ...env, ENGOPS_HOST: '127.0.0.1', ENGOPS_LOG_LEVEL: 'warn' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`engops serve exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return { url, child, output: () => output };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`engops serve did not become healthy:\n${output}`);
}

async function stop(served: Served | undefined): Promise<number | null> {
  if (!served || served.child.exitCode !== null) return served?.child.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => served.child.once('exit', (code) => resolve(code)));
  served.child.kill('SIGTERM');
  return exited;
}

async function api(url: string, token: string, pathname: string) {
  const response = await fetch(`${url}${pathname}`, { headers: { authorization: `Bearer ${token}` } });
  return {
    status: response.status,
    json: (await response.json()) as Record<string, unknown> & { items?: unknown[] },
  };
}

/** Opens the database as the server would (through its container) and runs `fn` on it. */
async function withDatabase<T>(
  env: Env,
  fn: (container: ReturnType<typeof createContainer>) => Promise<T>,
): Promise<T> {
  const container = createContainer(loadConfig({ ...env, ENGOPS_LOG_LEVEL: 'silent' }), {
    processMetrics: false,
  });
  try {
    return await fn(container);
  } finally {
    await container.close();
  }
}

describe('engops CLI', () => {
  it('lists its commands, and every command has --help', async () => {
    const top = await ok(['--help'], {});
    for (const command of ['serve', 'migrate', 'user', 'token', 'demo'])
      expect(top.stdout).toContain(command);
    expect(top.stdout).toContain('ENGOPS_URL');

    // commander gives every command --help; check the ones with options of their own.
    const [userCreate, tokenCreate, tokenList, demo, missing] = await Promise.all([
      ok(['user', 'create', '--help'], {}),
      ok(['token', 'create', '--help'], {}),
      ok(['token', 'list', '--help'], {}),
      ok(['demo', '--help'], {}),
      cli(['token', 'create', '--name', 'x'], {}),
    ]);
    expect(userCreate.stdout).toContain('Usage: engops user create');
    expect(userCreate.stdout).toContain('--password-stdin');
    expect(tokenCreate.stdout).toContain('--expires-at');
    expect(tokenList.stdout).toContain('--include-revoked');
    expect(demo.stdout).toContain('Usage: engops demo');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("required option '--role <role>'");
  });
});

describe('engops CLI on SQLite', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-cli-'));
  const env: Env = { ENGOPS_DATA_DIR: dir };
  let server: Served | undefined;
  let adminToken = '';

  beforeAll(async () => {
    const created = await ok(
      [
        'user',
        'create',
        '--email',
        'Ada@Example.com',
        '--name',
        'Ada',
        '--role',
        'admin',
        '--password-stdin',
      ],
      env,
      'secret-password-1\n',
    );
    expect(created.stdout).toContain('Created user usr_');
    expect(created.stdout).toContain('ada@example.com');
    expect(created.stdout).toContain(path.join(dir, 'engops.sqlite'));

    const token = await ok(['token', 'create', '--name', 'cli-test', '--role', 'admin'], env);
    adminToken = token.stdout.trim();
    expect(adminToken).toMatch(/^eo_\S+$/);
    expect(token.stderr).toContain('shown only this once');

    server = await serve(env);
  });

  afterAll(async () => {
    await stop(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates users and tokens on the local database, audited as the system', async () => {
    const user = await withDatabase(env, (c) => c.catalog.service.findUserByEmail('ada@example.com'));
    expect(user).toMatchObject({ name: 'Ada', role: 'admin', has_password: true, time_zone: 'UTC' });

    const users = await api(server!.url, adminToken, '/api/v1/users');
    expect(users.status).toBe(200);
    expect(users.json.items).toEqual([expect.objectContaining({ email: 'ada@example.com' })]);

    const audit = await api(server!.url, adminToken, '/api/v1/audit-log?action=user.create');
    expect(audit.status).toBe(200);
    expect(audit.json.items).toEqual([
      expect.objectContaining({ actor_type: 'system', target_id: user!.id, action: 'user.create' }),
    ]);

    const login = await fetch(`${server!.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ada@example.com', password: 'secret-password-1' }),
    });
    expect(login.status).toBe(200);
  });

  it('rejects bad input with the API schema messages, naming fields and flags, and writes nothing', async () => {
    const [bad, short, expiry, taken] = await Promise.all([
      cli(
        [
          'user',
          'create',
          '--email',
          'not-an-email',
          '--name',
          'X',
          '--time-zone',
          'Mars/Olympus',
          '--role',
          'boss',
        ],
        env,
      ),
      cli(['user', 'create', '--email', 'b@example.com', '--name', 'B', '--password', 'short'], env),
      cli(['token', 'create', '--name', 'x', '--role', 'viewer', '--expires-at', 'soon'], env),
      cli(['user', 'create', '--email', 'ADA@example.com', '--name', 'Again'], env),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('HTTP_VALIDATION_FAILED');
    expect(bad.stderr).toMatch(/body\.email \(--email\): .*email/i);
    expect(bad.stderr).toContain('body.time_zone (--time-zone): must be an IANA time zone');
    expect(bad.stderr).toMatch(/body\.role \(--role\): .*viewer/);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('body.password (--password): must be at least 10 characters');
    expect(expiry.code).toBe(1);
    expect(expiry.stderr).toContain('body.expires_at (--expires-at)');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('CATALOG_USER_EMAIL_TAKEN');

    expect(await withDatabase(env, (c) => c.catalog.service.countUsers())).toBe(1);
    const tokens = await withDatabase(env, (c) => c.access.service.listTokens({ limit: 200 }));
    expect(tokens.items.map((t) => t.name)).toEqual(['cli-test']);
  });

  it('talks to a server through ENGOPS_URL and ENGOPS_TOKEN, printing its problem details', async () => {
    const remote: Env = { ...env, ENGOPS_URL: server!.url, ENGOPS_TOKEN: adminToken };
    const [created, viewerOut, otherOut] = await Promise.all([
      ok(
        [
          'user',
          'create',
          '--email',
          'bo@example.com',
          '--name',
          'Bo',
          '--time-zone',
          'Europe/Berlin',
          '--json',
        ],
        remote,
      ),
      ok(['token', 'create', '--name', 'viewer', '--role', 'viewer', '--json'], remote),
      ok(['token', 'create', '--name', 'v2', '--role', 'viewer', '--json'], remote),
    ]);
    const bo = JSON.parse(created.stdout) as { id: string; role: string; time_zone: string };
    expect(bo).toMatchObject({ role: 'viewer', time_zone: 'Europe/Berlin' });
    const fetched = await api(server!.url, adminToken, `/api/v1/users/${bo.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.json.email).toBe('bo@example.com');
    const viewer = JSON.parse(viewerOut.stdout) as { id: string; token: string; role: string };
    expect(viewer.role).toBe('viewer');
    expect((await api(server!.url, viewer.token, '/api/v1/users')).status).toBe(200);
    const other = JSON.parse(otherOut.stdout) as { token: string };

    // Errors found by the server (not by the local schema) come back as problem+json and are printed.
    const [taken, scoped, unknownTeam, forbidden, noToken, badToken, listed, table] = await Promise.all([
      cli(['user', 'create', '--email', 'bo@example.com', '--name', 'Bo'], remote),
      cli(['token', 'create', '--name', 's', '--role', 'admin', '--team', 'team_x'], remote),
      cli(['token', 'create', '--name', 's', '--role', 'viewer', '--team', 'team_x'], remote),
      cli(['user', 'create', '--email', 'cy@example.com', '--name', 'Cy'], {
        ...remote,
        ENGOPS_TOKEN: other.token,
      }),
      cli(['token', 'list'], { ...remote, ENGOPS_TOKEN: undefined }),
      cli(['token', 'list'], { ...remote, ENGOPS_TOKEN: 'eo_not-a-token' }),
      ok(['token', 'list', '--json'], remote),
      ok(['token', 'list'], remote),
    ]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('CATALOG_USER_EMAIL_TAKEN');
    expect(taken.stderr).toContain('request id');
    expect(scoped.code).toBe(1);
    expect(scoped.stderr).toContain('HTTP_VALIDATION_FAILED');
    expect(scoped.stderr).toContain(
      'body.role (--role): team-scoped tokens are viewer, responder or manager',
    );
    expect(unknownTeam.code).toBe(1);
    expect(unknownTeam.stderr).toContain('CATALOG_TEAM_NOT_FOUND');
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain('AUTH_FORBIDDEN');
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('ENGOPS_TOKEN is not');
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toContain('AUTH_INVALID_TOKEN');
    const names = (JSON.parse(listed.stdout) as Array<{ name: string }>).map((t) => t.name);
    expect(names.sort()).toEqual(['cli-test', 'v2', 'viewer']);
    expect(table.stdout).toMatch(/^ID\s+NAME/);
    expect(table.stdout).toContain(viewer.id);
    expect(table.stdout).not.toContain(viewer.token);
    const users = await api(server!.url, adminToken, '/api/v1/users');
    expect((users.json.items as Array<{ email: string }>).map((u) => u.email).sort()).toEqual([
      'ada@example.com',
      'bo@example.com',
    ]);

    const revoked = await ok(['token', 'revoke', viewer.id], remote);
    expect(revoked.stdout).toContain(`Revoked token ${viewer.id}`);
    expect((await api(server!.url, viewer.token, '/api/v1/users')).status).toBe(401);
  });

  it('migrate reports an up-to-date database', async () => {
    const migrated = await ok(['migrate'], env);
    expect(migrated.stdout).toContain('Database is up to date.');
  });

  it('demo fills an empty database once, and leaves a database with people alone', async () => {
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-cli-demo-'));
    try {
      const [first, notEmpty] = await Promise.all([
        ok(['demo'], { ENGOPS_DATA_DIR: fresh }),
        ok(['demo'], env),
      ]);
      expect(first.stdout).toContain('Demo organisation loaded');
      expect(first.stdout).toContain('admin@demo.engops.test with password demo-password-1');
      expect(notEmpty.stdout).toContain('already has people');
      expect(
        await withDatabase(env, (c) => c.catalog.service.findUserByEmail('admin@demo.engops.test')),
      ).toBe(undefined);

      const second = await ok(['demo', '--json'], { ENGOPS_DATA_DIR: fresh });
      expect(JSON.parse(second.stdout)).toMatchObject({ outcome: 'present', created: false });
      const counts = await withDatabase({ ENGOPS_DATA_DIR: fresh }, async (c) => ({
        users: await c.catalog.service.countUsers(),
        teams: (await c.catalog.service.listTeams({ limit: 200 })).items.length,
        services: (await c.catalog.service.listServices({ limit: 200 })).items.length,
      }));
      expect(counts).toEqual({ users: 10, teams: 3, services: 8 });
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!PG_URL)('engops CLI on PostgreSQL', () => {
  const database = `cli_${randomBytes(6).toString('hex')}`;
  let env: Env = {};

  async function admin(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    await admin(`create database ${database}`);
    const url = new URL(PG_URL!);
    url.pathname = `/${database}`;
    env = { ENGOPS_DATABASE_URL: url.toString(), ENGOPS_DATA_DIR: os.tmpdir() };
  });

  afterAll(async () => {
    await admin(`drop database if exists ${database} with (force)`);
  });

  it('loads the demo, creates a user and a token, and migrates, all on ENGOPS_DATABASE_URL', async () => {
    const demo = await ok(['demo'], env);
    expect(demo.stdout).toContain('Demo organisation loaded into the PostgreSQL database');

    const [again, , tokenOut] = await Promise.all([
      ok(['demo'], env),
      ok(['user', 'create', '--email', 'pg@example.com', '--name', 'Pg', '--role', 'manager'], env),
      ok(['token', 'create', '--name', 'pg', '--role', 'viewer', '--json'], env),
    ]);
    expect(again.stdout).toContain('Demo data already exists');
    const token = JSON.parse(tokenOut.stdout) as { id: string; token: string };
    expect(token.token).toMatch(/^eo_/);

    const [listed, migrated] = await Promise.all([
      ok(['token', 'list', '--json'], env),
      ok(['migrate'], env),
    ]);
    expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((t) => t.id)).toEqual([token.id]);
    expect(migrated.stdout).toContain('Database is up to date.');

    const user = await withDatabase(env, (c) => c.catalog.service.findUserByEmail('pg@example.com'));
    expect(user).toMatchObject({ name: 'Pg', role: 'manager' });
    expect(await withDatabase(env, (c) => c.catalog.service.countUsers())).toBe(11);
  });
});
