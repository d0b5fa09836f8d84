import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const WEB_DIR = path.dirname(createRequire(import.meta.url).resolve('@engops/web/package.json'));

/** The Vite that the web workspace depends on (it may differ from the one tests use). */
function viteBin(): string {
  return path.join(
    path.dirname(createRequire(path.join(WEB_DIR, 'package.json')).resolve('vite/package.json')),
    'bin/vite.js',
  );
}

/** Builds the web UI with Vite when its dist/ is missing (first `npm start` on a fresh clone). */
export async function buildWebIfNeeded(log: (line: string) => void): Promise<void> {
  if (fs.existsSync(path.join(WEB_DIR, 'dist', 'index.html'))) return;
  if (!fs.existsSync(path.join(WEB_DIR, 'vite.config.ts'))) return;
  log('Building the web UI (first start only)...');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [viteBin(), 'build', '--logLevel', 'warn'], {
      cwd: WEB_DIR,
      stdio: 'inherit',
    });
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`web UI build failed (exit ${code})`)),
    );
    child.on('error', reject);
  });
}
