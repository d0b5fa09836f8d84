import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { UploadedFinding } from '@engops/contracts';
import { SEVERITY_RANK, type Severity } from './cvss.ts';
import { type Dependency, isLockfile, type LockfileError, manifestFor, parseLockfile } from './lockfiles.ts';
import { type AdvisoryIndex, severityOf } from './osv.ts';

export const DEPS_TOOL_NAME = 'engops-deps';
export const DEPS_TOOL_VERSION = '1.0.0';

/** One vulnerable dependency: an advisory matched against a resolved package version. */
export interface DepFinding {
  advisory: string;
  aliases: string[];
  summary: string;
  severity: Severity;
  /** CVSS v3 base score, when the advisory carries a vector. */
  score: number | null;
  ecosystem: string;
  package: string;
  version: string;
  /** The lowest fixed version above the installed one, or null when no fix is published. */
  fixed: string | null;
  file: string;
  /** Line of the package in the lockfile (1 when not found). */
  line: number;
  direct: boolean;
  dev: boolean;
  path: string[];
  fingerprint: string;
  url: string | null;
}

/** An ignore entry: an advisory (optionally for one package) with a reason and an expiry. */
export interface IgnoreEntry {
  id: string;
  package?: string;
  reason: string;
  expires?: string;
}

/** Why a finding an ignore entry covers is set aside: the entry's advisory, package, reason and expiry. */
export function ignoreReason(entry: IgnoreEntry): string {
  return (
    `Ignored by the entry for ${entry.id}${entry.package ? ` (${entry.package})` : ''}: ${entry.reason}` +
    (entry.expires ? ` (until ${entry.expires})` : '')
  ).slice(0, 500);
}

/**
 * A match as a finding upload (the server's severity scale has no "none"). `withLine`: the line
 * in the lockfile, known when the lockfile itself was read (not for a stored inventory).
 */
export function dependencyUpload(f: DepFinding, withLine: boolean): UploadedFinding {
  return {
    fingerprint: f.fingerprint,
    rule: f.advisory,
    title: `${f.package}@${f.version}: ${f.summary}`.slice(0, 500),
    severity: f.severity === 'none' ? 'low' : f.severity,
    file: f.file,
    ...(withLine ? { line: f.line } : {}),
    package: f.package,
    version: f.version,
    ecosystem: f.ecosystem,
    fixed_version: f.fixed,
    dependency_path: f.path.slice(0, 100),
    url: f.url,
  };
}

export class DepsScanError extends Error {}

export function depFingerprint(
  f: Pick<DepFinding, 'advisory' | 'ecosystem' | 'package' | 'version' | 'file'>,
) {
  return createHash('sha256')
    .update(`${f.advisory}\u0000${f.ecosystem}\u0000${f.package}\u0000${f.version}\u0000${f.file}`)
    .digest('hex')
    .slice(0, 32);
}

/** Parses an ignore file: `{ "ignore": [{ "id", "reason", "expires"?, "package"? }] }`. */
export function parseIgnoreEntries(text: string, where: string): IgnoreEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DepsScanError(`${where}: not JSON`);
  }
  const list = (value as { ignore?: unknown })?.ignore;
  if (!Array.isArray(list)) throw new DepsScanError(`${where}: expected { "ignore": [ ... ] }`);
  return list.map((raw, i) => {
    const e = raw as Partial<IgnoreEntry>;
    if (typeof e.id !== 'string' || e.id === '')
      throw new DepsScanError(`${where}: ignore[${i}] needs an "id"`);
    if (typeof e.reason !== 'string' || e.reason.trim() === '')
      throw new DepsScanError(`${where}: ignore[${i}] (${e.id}) needs a "reason"`);
    if (e.expires !== undefined && (typeof e.expires !== 'string' || Number.isNaN(Date.parse(e.expires))))
      throw new DepsScanError(`${where}: ignore[${i}] (${e.id}) has an "expires" that is not a date`);
    return {
      id: e.id,
      reason: e.reason,
      ...(e.package ? { package: e.package } : {}),
      ...(e.expires ? { expires: e.expires } : {}),
    };
  });
}

/** An ignored finding with the ignore entry that matched it (its reason goes into SARIF `suppressions`). */
export interface IgnoredFinding {
  finding: DepFinding;
  entry: IgnoreEntry;
}

/**
 * Splits findings into kept and ignored. An entry matches the advisory id or one of its aliases
 * (and the package, when it names one); an expired entry ignores nothing and is reported.
 * `suppressions` pairs each ignored finding with the first live entry that matched it.
 */
export function applyIgnores(
  findings: readonly DepFinding[],
  entries: readonly IgnoreEntry[],
  now: Date,
): { kept: DepFinding[]; ignored: DepFinding[]; suppressions: IgnoredFinding[]; expired: IgnoreEntry[] } {
  const live = entries.filter((e) => !e.expires || Date.parse(e.expires) > now.getTime());
  const expired = entries.filter((e) => e.expires && Date.parse(e.expires) <= now.getTime());
  const kept: DepFinding[] = [];
  const ignored: DepFinding[] = [];
  const suppressions: IgnoredFinding[] = [];
  for (const f of findings) {
    const entry = live.find(
      (e) => (e.id === f.advisory || f.aliases.includes(e.id)) && (!e.package || e.package === f.package),
    );
    if (entry) {
      ignored.push(f);
      suppressions.push({ finding: f, entry });
    } else kept.push(f);
  }
  return { kept, ignored, suppressions, expired };
}

/**
 * The line of a package's entry in its lockfile: an entry header (npm key, yarn or pnpm entry)
 * or a `name = "..."` table line with the version close below, else a line with both name and
 * version (requirements.txt, go.sum, Gemfile.lock), else the first line naming it.
 */
export function lineOf(text: string, dep: Pick<Dependency, 'name' | 'version'>): number {
  const lines = text.split('\n');
  const near = (i: number) => lines.slice(i, i + 4).some((l) => l.includes(dep.version));
  const quoted = [`= "${dep.name}"`, `"name": "${dep.name}"`];
  const tests: Array<(l: string, i: number) => boolean> = [
    (l, i) => l.includes(dep.name) && /[{:]$/.test(l.trimEnd()) && near(i),
    (l, i) => quoted.some((q) => l.includes(q)) && near(i),
    (l) => l.includes(dep.name) && l.includes(dep.version),
    (l) => l.includes(dep.name),
  ];
  for (const test of tests) {
    const i = lines.findIndex(test);
    if (i >= 0) return i + 1;
  }
  return 1;
}

/** Matches every dependency of one parsed lockfile against the advisories. */
export function matchDependencies(
  deps: readonly Dependency[],
  index: AdvisoryIndex,
  text = '',
): DepFinding[] {
  const out: DepFinding[] = [];
  for (const dep of deps) {
    for (const { advisory, fixed } of index.match(dep.ecosystem, dep.name, dep.version)) {
      const { severity, score } = severityOf(advisory);
      const base = {
        advisory: advisory.id,
        ecosystem: dep.ecosystem,
        package: dep.name,
        version: dep.version,
        file: dep.file,
      };
      out.push({
        ...base,
        aliases: advisory.aliases ?? [],
        summary: advisory.summary ?? advisory.details?.split('\n')[0]?.slice(0, 200) ?? advisory.id,
        severity,
        score,
        fixed,
        line: lineOf(text, dep),
        direct: dep.direct,
        dev: dep.dev,
        path: dep.path,
        fingerprint: depFingerprint(base),
        url:
          advisory.references?.find((r) => r.type === 'ADVISORY')?.url ??
          advisory.references?.[0]?.url ??
          null,
      });
    }
  }
  return out;
}

export function sortDepFindings(findings: DepFinding[]): DepFinding[] {
  return findings.sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      a.file.localeCompare(b.file) ||
      a.package.localeCompare(b.package) ||
      a.advisory.localeCompare(b.advisory),
  );
}

const SKIPPED = new Set(['.git', 'node_modules', 'vendor', 'target', '.venv', 'venv', '__pycache__', 'dist']);

/** Lockfiles under `root` (or `root` itself when it is one), relative paths, sorted. */
export async function findLockfiles(root: string): Promise<string[]> {
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await fs.stat(root);
  } catch {
    throw new DepsScanError(`${root}: no such file or folder`);
  }
  if (!stat.isDirectory()) {
    if (!isLockfile(root)) throw new DepsScanError(`${root}: not a lockfile engops reads`);
    return [path.basename(root)];
  }
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED.has(entry.name)) await walk(full);
      } else if (entry.isFile() && isLockfile(entry.name))
        out.push(path.relative(root, full).split(path.sep).join('/'));
    }
  };
  await walk(root);
  return out.sort();
}

export interface ParsedLockfile {
  file: string;
  text: string;
  deps: Dependency[];
}

/** Reads and parses every lockfile under `target` (or `target` itself). */
export async function readLockfiles(
  target: string,
  onProgress?: (done: number, total: number) => void,
): Promise<ParsedLockfile[]> {
  const lockfiles = await findLockfiles(target);
  const dirOf = (await fs.stat(target)).isDirectory() ? target : path.dirname(target);
  const out: ParsedLockfile[] = [];
  for (const [i, rel] of lockfiles.entries()) {
    const full = path.join(dirOf, rel);
    const text = await fs.readFile(full, 'utf8');
    const manifestName = manifestFor(rel);
    const manifest = manifestName
      ? await fs.readFile(path.join(path.dirname(full), manifestName), 'utf8').catch(() => undefined)
      : undefined;
    try {
      out.push({ file: rel, text, deps: parseLockfile(rel, text, manifest) });
    } catch (error) {
      throw new DepsScanError((error as LockfileError).message);
    }
    onProgress?.(i + 1, lockfiles.length);
  }
  return out;
}

/** Every finding of the parsed lockfiles, most severe first. */
export function matchLockfiles(parsed: readonly ParsedLockfile[], index: AdvisoryIndex): DepFinding[] {
  return sortDepFindings(parsed.flatMap((p) => matchDependencies(p.deps, index, p.text)));
}
