#!/usr/bin/env node
// `npm test`: typecheck, lint, build the web UI if needed, then every Vitest project
// (unit, integration on SQLite and PostgreSQL, browser). Extra arguments go to Vitest.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const run = (cmd, args, env = process.env) => {
  const result = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

if (!process.env.ENGOPS_TEST_DATABASE_URL) {
  const msg =
    'ENGOPS_TEST_DATABASE_URL is not set: integration tests run on SQLite only (CI always runs PostgreSQL too).';
  if (process.env.CI === 'true') {
    console.error(`error: ${msg}`);
    process.exit(1);
  }
  console.warn(`\nwarning: ${msg}\n`);
}
const args = process.argv.slice(2);
if (args.length === 0) {
  run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
  run('npx', ['biome', 'check', '.']);
}
if (!fs.existsSync('apps/web/dist/index.html') || process.env.CI === 'true') run('npm', ['run', 'build:web']);
run('npx', ['vitest', 'run', ...args]);
