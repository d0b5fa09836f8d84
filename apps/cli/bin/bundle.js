// Builds (when stale) and returns a single-file bundle of engops' own TypeScript: the CLI, the
// server and the contracts. Third-party packages stay external and load from node_modules as usual.
// Starting from the bundle skips compiling hundreds of modules through a loader on every start.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SOURCES = ['apps/cli/src', 'apps/server/src', 'packages/contracts/src'].map((d) => path.join(ROOT, d));
const ENTRY = path.join(ROOT, 'apps/cli/src/main.ts');
const OUT = path.join(ROOT, 'apps/cli/dist/engops.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function externals() {
  const names = new Set();
  const manifests = [path.join(ROOT, 'package.json')];
  for (const group of ['apps', 'packages']) {
    for (const dir of fs.readdirSync(path.join(ROOT, group)))
      manifests.push(path.join(ROOT, group, dir, 'package.json'));
  }
  for (const file of manifests) {
    if (!fs.existsSync(file)) continue;
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const key of ['dependencies', 'devDependencies', 'optionalDependencies']) {
      for (const name of Object.keys(manifest[key] ?? {})) if (!name.startsWith('@engops/')) names.add(name);
    }
  }
  return [...names];
}

/** The bundle's path, rebuilt first if any source is newer; null when it cannot be built. */
export async function bundledEntry() {
  if (process.env.ENGOPS_NO_BUNDLE === '1') return null;
  try {
    const built = fs.existsSync(OUT) ? fs.statSync(OUT).mtimeMs : 0;
    if (built > 0 && SOURCES.every((dir) => newestSource(dir) < built)) return OUT;
    await buildBundle(ENTRY, OUT);
    return OUT;
  } catch (error) {
    if (process.env.ENGOPS_DEBUG) console.error('engops: running from sources, bundling failed:', error);
    return null;
  }
}

/**
 * Bundles `entry` and the engops TypeScript it imports into `outfile`, as `engops` runs it
 * (benchmarks build their server processes this way too). `outfile` must be inside the
 * repository: the third-party packages are loaded from its node_modules.
 */
export async function buildBundle(entry, outfile) {
  const esbuild = await import('esbuild');
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  // Several processes may start at once: each writes its own file and renames it into place.
  const tmp = `${outfile}.${process.pid}.tmp`;
  await esbuild.build({
    entryPoints: [entry],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: externals(),
    logLevel: 'error',
    sourcemap: 'inline',
  });
  fs.renameSync(tmp, outfile);
}
