import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type ConsoleMessage, chromium, type Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../../../test-support/engines.ts';
import type { Engine } from '../../server/src/db/database.ts';

/** What every browser test shares: the built web UI, Debian's Chromium, and a console watch. */
const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(WEB_DIR, 'dist');
const ROOT = path.resolve(WEB_DIR, '../..');

/** Builds the web UI when it is missing (`npm test` builds it first; a direct vitest run may not). */
export function ensureWebBuilt(): void {
  if (fs.existsSync(path.join(DIST, 'index.html'))) return;
  const built = spawnSync('npm', ['run', 'build', '--workspace', '@engops/web'], {
    cwd: ROOT,
    stdio: 'inherit',
    // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (built.status !== 0) throw new Error(`vite build failed (exit ${built.status})`);
}

/** Headless Debian Chromium (never a downloaded browser), with the web UI built. */
export async function launchBrowser(): Promise<Browser> {
  ensureWebBuilt();
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Console errors/warnings and uncaught page errors, as text. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      problems.push(`${message.type()}: ${message.text()} (${message.location().url})`);
    }
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}

/** The first admin of every browser test's organisation. */
export const ADMIN = { email: 'ada@example.test', name: 'Ada Admin', password: 'correct-horse-battery' };

/**
 * A real server on 127.0.0.1 serving the built web UI, its links naming that address (as serve()
 * does once listening), with the first admin set up in `timeZone` unless `setup` is false.
 */
export async function serveWebApp(
  engine: Engine,
  options: { env?: Record<string, string>; timeZone?: string; setup?: boolean; admin?: typeof ADMIN } = {},
): Promise<{ t: TestApp; baseUrl: string }> {
  const t = await createTestApp(engine, { env: { ENGOPS_WEB_DIST: DIST, ...options.env } });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  t.container.state.baseUrl = baseUrl;
  if (options.setup !== false) {
    const admin = options.admin ?? ADMIN;
    const setup = await t.call('POST', '/api/v1/setup', {
      token: null,
      body: { ...admin, time_zone: options.timeZone ?? 'UTC' },
    });
    if (setup.status !== 201) throw new Error(`setup answered ${setup.status}: ${setup.body}`);
  }
  return { t, baseUrl };
}

/** Opens `path`, which asks for a login, and logs in through the form. */
export async function logIn(
  page: Page,
  url: string,
  who: { email: string; password: string } = ADMIN,
): Promise<void> {
  await page.goto(url);
  await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Log in' }).click();
}
