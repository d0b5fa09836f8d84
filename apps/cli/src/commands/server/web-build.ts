import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../web');

/** Builds the web UI with Vite when its dist/ is missing (first `npm start` on a fresh clone). */
export async function buildWebIfNeeded(log: (line: string) => void): Promise<void> {
  if (fs.existsSync(path.join(WEB_DIR, 'dist', 'index.html'))) return;
  if (!fs.existsSync(path.join(WEB_DIR, 'vite.config.ts'))) return;
  log('Building the web UI (first start only)...');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(WEB_DIR, '../../node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
      {
        cwd: WEB_DIR,
        stdio: 'inherit',
      },
    );
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`web UI build failed (exit ${code})`)),
    );
    child.on('error', reject);
  });
}
