import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { buildBundle } from '../apps/cli/bin/bundle.js';
import { RESULTS_DIR } from './results-file.ts';

/**
 * A benchmark's server processes run engops as `engops serve` does: compiled ahead into one bundle
 * (apps/cli/bin/bundle.js), not through tsx's loader. The loader is for development; among other
 * things it names each function it creates at run time (esbuild's keepNames), a cost a user's
 * server does not pay. This bundles the benchmark's own file `self` (its server roles and the
 * engops modules they import) the same way, into bench/results/ (gitignored, inside the
 * repository so that third-party packages load from its node_modules), and returns its path, for
 * `forkSelf`. With `--from-sources` on the command line it builds nothing and returns undefined:
 * the servers then run from the sources through tsx.
 */
export async function compiledSelf(self: string): Promise<string | undefined> {
  if (process.argv.includes('--from-sources')) return undefined;
  const out = path.join(RESULTS_DIR, 'compiled', `${path.basename(self, path.extname(self))}.mjs`);
  await buildBundle(self, out);
  return out;
}

/** Forks a benchmark's own file with `args`: its `compiled` bundle when given, else its source through tsx. */
export function forkSelf(
  self: string,
  compiled: string | undefined,
  args: string[],
  execArgv: string[] = [],
): ChildProcess {
  return fork(compiled ?? self, args, {
    execArgv: [...(compiled ? [] : ['--import', 'tsx']), ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
