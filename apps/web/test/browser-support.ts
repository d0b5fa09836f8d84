import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type ConsoleMessage, chromium, type Page } from 'playwright-core';

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
