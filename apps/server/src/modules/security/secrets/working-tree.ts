import fs from 'node:fs/promises';
import path from 'node:path';
import { runGit, SecretScanError } from './git-history.ts';
import { type Finding, type SecretScanner, sortFindings } from './scanner.ts';

/** Files larger than this are skipped (data dumps, archives checked in by mistake). */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;
const SKIPPED_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn']);

export interface TreeScanResult {
  findings: Finding[];
  files: number;
}

async function walk(root: string, dir: string, out: string[]): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) await walk(root, full, out);
    } else if (entry.isFile()) {
      out.push(path.relative(root, full));
    }
  }
}

/**
 * The files to scan under `root`: in a git work tree, the tracked and untracked files that are not
 * ignored (`git ls-files -co --exclude-standard`); elsewhere every file, minus .git and node_modules.
 */
export async function listFiles(root: string): Promise<string[]> {
  const inGit = await runGit(root, ['rev-parse', '--is-inside-work-tree']).then(
    (out) => out.trim() === 'true',
    () => false,
  );
  if (inGit) {
    const out = await runGit(root, [
      '-c',
      'core.quotepath=off',
      'ls-files',
      '-z',
      '-co',
      '--exclude-standard',
    ]);
    return out.split('\0').filter((file) => file !== '');
  }
  const files: string[] = [];
  await walk(root, root, files);
  return files;
}

function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}

/**
 * Scans a file or a directory tree on disk. Paths in findings are relative to `target` when it
 * is a directory, and the file's own name when it is a file.
 */
export async function scanPath(
  target: string,
  scanner: SecretScanner,
  options: { onFile?: (done: number, total: number) => void } = {},
): Promise<TreeScanResult> {
  const stat = await fs.stat(target).catch(() => null);
  if (!stat) throw new SecretScanError(`no such file or directory: ${target}`);
  const root = stat.isDirectory() ? target : path.dirname(target);
  const files = stat.isDirectory() ? await listFiles(target) : [path.basename(target)];
  const findings: Finding[] = [];
  let scanned = 0;
  for (const [index, relative] of files.entries()) {
    const file = relative.split(path.sep).join('/');
    options.onFile?.(index + 1, files.length);
    if (scanner.skipsPath(file)) continue;
    const full = path.join(root, relative);
    const info = await fs.lstat(full).catch(() => null);
    if (!info?.isFile() || info.size > MAX_FILE_BYTES) continue;
    const content = await fs.readFile(full);
    if (isBinary(content)) continue;
    scanned += 1;
    findings.push(...scanner.scanText(content.toString('utf8'), file));
  }
  return { findings: sortFindings(findings), files: scanned };
}
