import path from 'node:path';
import {
  parseTomlSubset,
  parseYamlSubset,
  type TomlTable,
  type YamlMap,
  type YamlValue,
} from './mini-formats.ts';
import type { Ecosystem } from './versions.ts';

/** One resolved package of a lockfile. */
export interface Dependency {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  /** The lockfile, relative to the scanned root. */
  file: string;
  /** True when the project itself asks for it (not only a dependency of a dependency). */
  direct: boolean;
  dev: boolean;
  /** How the project comes to depend on it: `name@version` from a direct dependency down to it. */
  path: string[];
}

export class LockfileError extends Error {}

export const LOCKFILE_NAMES = [
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'requirements.txt',
  'poetry.lock',
  'go.sum',
  'Cargo.lock',
  'Gemfile.lock',
  'composer.lock',
] as const;

export function isLockfile(file: string): boolean {
  const base = path.basename(file);
  return (LOCKFILE_NAMES as readonly string[]).includes(base) || /^requirements.*\.txt$/.test(base);
}

interface Node {
  name: string;
  version: string;
  dev: boolean;
  edges: string[];
}

/**
 * Shortest dependency paths by breadth-first search from the roots; nodes no root reaches are
 * listed as direct (they are in the lockfile, so something installs them).
 */
function withPaths(
  ecosystem: Ecosystem,
  file: string,
  nodes: Map<string, Node>,
  roots: readonly string[],
  rootsKnown: boolean,
): Dependency[] {
  const pathOf = new Map<string, string[]>();
  const queue: string[] = [];
  for (const id of roots) {
    const node = nodes.get(id);
    if (!node || pathOf.has(id)) continue;
    pathOf.set(id, [`${node.name}@${node.version}`]);
    queue.push(id);
  }
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    for (const next of nodes.get(id)?.edges ?? []) {
      const node = nodes.get(next);
      if (!node || pathOf.has(next)) continue;
      pathOf.set(next, [...pathOf.get(id)!, `${node.name}@${node.version}`]);
      queue.push(next);
    }
  }
  const rootSet = new Set(roots);
  const out: Dependency[] = [];
  const seen = new Set<string>();
  for (const [id, node] of nodes) {
    const key = `${node.name}@${node.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      ecosystem,
      name: node.name,
      version: node.version,
      file,
      direct: rootSet.has(id) || (!rootsKnown && !pathOf.has(id)),
      dev: node.dev,
      path: pathOf.get(id) ?? [key],
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1));
}

/** Roots when the lockfile does not name them: packages nothing else depends on. */
function unrequired(nodes: Map<string, Node>): string[] {
  const required = new Set<string>();
  for (const node of nodes.values()) for (const e of node.edges) required.add(e);
  return [...nodes.keys()].filter((id) => !required.has(id));
}

function json(text: string, file: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new LockfileError(`${file}: not a JSON object`);
}

type StringMap = Record<string, string>;
const keysOf = (...maps: Array<unknown>): string[] =>
  maps.flatMap((m) => (m && typeof m === 'object' ? Object.keys(m as object) : []));

// ---------------------------------------------------------------- npm

interface NpmPackage {
  name?: string;
  version?: string;
  dev?: boolean;
  link?: boolean;
  resolved?: string;
  dependencies?: StringMap;
  optionalDependencies?: StringMap;
  peerDependencies?: StringMap;
  devDependencies?: StringMap;
}

/** package-lock.json / npm-shrinkwrap.json, lockfileVersion 1, 2 and 3. */
export function parsePackageLock(text: string, file: string): Dependency[] {
  const lock = json(text, file);
  const nodes = new Map<string, Node>();
  let roots: string[];
  if (lock.packages && typeof lock.packages === 'object') {
    const packages = lock.packages as Record<string, NpmPackage>;
    const target = (key: string): string => {
      const entry = packages[key];
      return entry?.link && entry.resolved !== undefined ? entry.resolved : key;
    };
    // Node's resolution: node_modules/<name> in the requiring folder, then in each parent.
    const resolve = (name: string, from: string): string | null => {
      let base = from;
      for (;;) {
        const key = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
        if (packages[key]) return target(key);
        if (base === '') return null;
        const cut = base.lastIndexOf('/node_modules/');
        base = cut < 0 ? '' : base.slice(0, cut);
        // A workspace folder ("packages/a") resolves from the root next.
        if (cut < 0 && !from.startsWith('node_modules/')) base = '';
      }
    };
    const edgesOf = (key: string, entry: NpmPackage, withDev: boolean): string[] =>
      keysOf(
        entry.dependencies,
        entry.optionalDependencies,
        entry.peerDependencies,
        withDev ? entry.devDependencies : undefined,
      )
        .map((name) => resolve(name, key))
        .filter((k): k is string => k !== null);
    for (const [key, entry] of Object.entries(packages)) {
      if (!key.includes('node_modules/') || entry.link || !entry.version) continue;
      const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
      nodes.set(key, {
        name,
        version: entry.version,
        dev: entry.dev === true,
        edges: edgesOf(key, entry, false),
      });
    }
    // Roots: what the root package and each workspace package ask for.
    roots = [];
    for (const [key, entry] of Object.entries(packages)) {
      if (key.includes('node_modules/')) continue;
      roots.push(...edgesOf(key, entry, true));
    }
    return withPaths('npm', file, nodes, roots, true);
  }
  // lockfileVersion 1: nested "dependencies" with "requires".
  interface V1 {
    version?: string;
    dev?: boolean;
    requires?: StringMap;
    dependencies?: Record<string, V1>;
  }
  const tree = new Map<string, V1>();
  const walk = (deps: Record<string, V1> | undefined, base: string) => {
    for (const [name, entry] of Object.entries(deps ?? {})) {
      const key = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
      tree.set(key, entry);
      walk(entry.dependencies, key);
    }
  };
  walk(lock.dependencies as Record<string, V1> | undefined, '');
  const resolve = (name: string, from: string): string | null => {
    let base = from;
    for (;;) {
      const key = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
      if (tree.has(key)) return key;
      if (base === '') return null;
      const cut = base.lastIndexOf('/node_modules/');
      base = cut < 0 ? '' : base.slice(0, cut);
    }
  };
  for (const [key, entry] of tree) {
    if (!entry.version || entry.version.startsWith('file:')) continue;
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    nodes.set(key, {
      name,
      version: entry.version,
      dev: entry.dev === true,
      edges: keysOf(entry.requires)
        .map((n) => resolve(n, key))
        .filter((k): k is string => k !== null),
    });
  }
  roots = unrequired(nodes);
  return withPaths('npm', file, nodes, roots, true);
}

// ---------------------------------------------------------------- yarn

/** The package name of a yarn descriptor `name@range` (scoped names start with @). */
function descriptorName(spec: string): string {
  const at = spec.indexOf('@', 1);
  return at < 0 ? spec : spec.slice(0, at);
}

/** yarn.lock, classic (v1) and Berry (v2+), with package.json's dependencies as roots when given. */
export function parseYarnLock(text: string, file: string, manifest?: string): Dependency[] {
  const berry = /^__metadata:/m.test(text);
  interface Entry {
    specs: string[];
    version?: string;
    deps: Array<[string, string]>;
  }
  const entries: Entry[] = [];
  let entry: Entry | null = null;
  let inDeps = false;
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (indent === 0) {
      entry = null;
      if (!line.endsWith(':') || line.startsWith('__metadata')) continue;
      const specs = line
        .slice(0, -1)
        .split(/,\s*/)
        .map((s) => s.trim().replace(/^"|"$/g, ''));
      entry = { specs, deps: [] };
      entries.push(entry);
      inDeps = false;
      continue;
    }
    if (!entry) continue;
    if (indent === 2) {
      inDeps = /^(dependencies|optionalDependencies):?$/.test(line);
      const m = /^version:?\s+"?([^"\s]+)"?$/.exec(line);
      if (m) entry.version = m[1]!;
      continue;
    }
    if (indent >= 4 && inDeps) {
      const m = /^"?((?:@[^@"\s:]+\/)?[^@"\s:]+)"?:?\s+"?([^"]+)"?$/.exec(line);
      if (m) entry.deps.push([m[1]!, m[2]!]);
    }
  }
  const nodes = new Map<string, Node>();
  const bySpec = new Map<string, string>();
  let workspaceRoots: string[] = [];
  entries.forEach((e, i) => {
    const id = String(i);
    for (const spec of e.specs) bySpec.set(spec, id);
    if (e.specs.some((s) => s.includes('@workspace:'))) {
      workspaceRoots = workspaceRoots.concat(e.deps.map(([n, r]) => `${n}@${r}`));
      return;
    }
    if (!e.version || !e.specs[0]) return;
    nodes.set(id, { name: descriptorName(e.specs[0]), version: e.version, dev: false, edges: [] });
  });
  const lookup = (name: string, range: string): string | undefined =>
    bySpec.get(`${name}@${range}`) ??
    (berry && !range.includes(':') ? bySpec.get(`${name}@npm:${range}`) : undefined);
  entries.forEach((e, i) => {
    const node = nodes.get(String(i));
    if (!node) return;
    node.edges = e.deps.map(([n, r]) => lookup(n, r)).filter((id): id is string => id !== undefined);
  });
  let roots: string[];
  let known = true;
  if (manifest) {
    const pkg = json(manifest, 'package.json') as Record<string, StringMap | undefined>;
    const devNames = new Set(Object.keys(pkg.devDependencies ?? {}));
    roots = [];
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'] as const) {
      for (const [n, r] of Object.entries(pkg[field] ?? {})) {
        const id = lookup(n, r);
        if (id) {
          roots.push(id);
          if (devNames.has(n) && field === 'devDependencies') nodes.get(id)!.dev = true;
        }
      }
    }
  } else if (workspaceRoots.length > 0) {
    roots = workspaceRoots
      .map((spec) => lookup(descriptorName(spec), spec.slice(descriptorName(spec).length + 1)))
      .filter((id): id is string => id !== undefined);
  } else {
    roots = unrequired(nodes);
    known = false;
  }
  return withPaths('npm', file, nodes, roots, known);
}

// ---------------------------------------------------------------- pnpm

/** `name@version(peer)` (v6+), `/name@version` (v6) or `/name/version_peer` (v5) to name and version. */
export function pnpmKey(key: string): { name: string; version: string } | null {
  const k = key.replace(/^\//, '').replace(/\(.*$/, '');
  const at = k.indexOf('@', 1);
  if (at > 0 && !k.slice(0, at).includes('/', k.startsWith('@') ? k.indexOf('/') + 1 : 0)) {
    return { name: k.slice(0, at), version: k.slice(at + 1) };
  }
  // v5: /name/version or /@scope/name/version, peers after "_".
  const parts = k.split('/');
  const version = parts.pop();
  if (!version || parts.length === 0) return null;
  return { name: parts.join('/'), version: version.split('_')[0]! };
}

export function parsePnpmLock(text: string, file: string): Dependency[] {
  const doc = parseYamlSubset(text);
  const major = Number.parseFloat(String(doc.lockfileVersion ?? '5'));
  const nodes = new Map<string, Node>();
  const idOf = (name: string, version: string) => `${name}@${version.replace(/\(.*$/, '').split('_')[0]}`;
  const depMap = (value: YamlValue | undefined): Array<[string, string]> => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
    return Object.entries(value).map(([n, v]) => {
      const version =
        typeof v === 'string' ? v : typeof v === 'object' && !Array.isArray(v) ? String(v.version ?? '') : '';
      return [n, version];
    });
  };
  const packages = (doc.packages ?? {}) as YamlMap;
  for (const [key, value] of Object.entries(packages)) {
    const parsed = pnpmKey(key);
    if (!parsed || typeof value !== 'object' || Array.isArray(value)) continue;
    if (parsed.version.startsWith('link:') || parsed.version.startsWith('file:')) continue;
    const id = idOf(parsed.name, parsed.version);
    nodes.set(id, { name: parsed.name, version: parsed.version, dev: value.dev === 'true', edges: [] });
  }
  // Edges: v9 keeps them in "snapshots", older versions in the package entries.
  const edgeSource = (major >= 9 ? doc.snapshots : doc.packages) as YamlMap | undefined;
  for (const [key, value] of Object.entries(edgeSource ?? {})) {
    const parsed = pnpmKey(key);
    if (!parsed || typeof value !== 'object' || Array.isArray(value)) continue;
    const node = nodes.get(idOf(parsed.name, parsed.version));
    if (!node) continue;
    for (const [n, v] of [...depMap(value.dependencies), ...depMap(value.optionalDependencies)]) {
      node.edges.push(v.startsWith('/') ? idOf(pnpmKey(v)!.name, pnpmKey(v)!.version) : idOf(n, v));
    }
  }
  // Roots: importers (workspaces, v6+ and v9) or the top-level dependency maps (v5 single project).
  const importers = (doc.importers as YamlMap | undefined) ?? { '.': doc };
  const roots: string[] = [];
  for (const importer of Object.values(importers)) {
    if (typeof importer !== 'object' || Array.isArray(importer)) continue;
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
      for (const [n, v] of depMap(importer[field])) {
        if (v.startsWith('link:')) continue;
        const id = idOf(n, v);
        roots.push(id);
        const node = nodes.get(id);
        if (node && field === 'devDependencies') node.dev = true;
      }
    }
  }
  return withPaths('npm', file, nodes, roots, true);
}

// ---------------------------------------------------------------- Python

/** requirements.txt: pinned `name==version` lines (hashes, markers, extras and comments allowed). */
export function parseRequirements(text: string, file: string): Dependency[] {
  const out = new Map<string, Dependency>();
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '' || line.startsWith('-')) continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([^\s;,]+)/.exec(line);
    if (!m) continue;
    const dep: Dependency = {
      ecosystem: 'PyPI',
      name: m[1]!,
      version: m[2]!,
      file,
      direct: true,
      dev: false,
      path: [`${m[1]}@${m[2]}`],
    };
    out.set(`${dep.name.toLowerCase()}@${dep.version}`, dep);
  }
  return [...out.values()];
}

const normalizePy = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

/** poetry.lock: [[package]] tables; roots from pyproject.toml's dependencies when given. */
export function parsePoetryLock(text: string, file: string, manifest?: string): Dependency[] {
  const doc = parseTomlSubset(text);
  const nodes = new Map<string, Node>();
  for (const item of (doc.package as TomlTable[] | undefined) ?? []) {
    if (typeof item.name !== 'string' || typeof item.version !== 'string') continue;
    const deps = item.dependencies && typeof item.dependencies === 'object' ? item.dependencies : {};
    nodes.set(normalizePy(item.name), {
      name: item.name,
      version: item.version,
      dev: item.category === 'dev',
      edges: Object.keys(deps).map(normalizePy),
    });
  }
  let roots: string[] = unrequired(nodes);
  let known = false;
  if (manifest) {
    const pyproject = parseTomlSubset(manifest);
    const poetry = ((pyproject.tool as TomlTable | undefined)?.poetry ?? {}) as TomlTable;
    const groups = (poetry.group ?? {}) as TomlTable;
    const names = [
      ...Object.keys((poetry.dependencies ?? {}) as TomlTable),
      ...Object.keys((poetry['dev-dependencies'] ?? {}) as TomlTable),
      ...Object.values(groups).flatMap((g) =>
        Object.keys(((g as TomlTable).dependencies ?? {}) as TomlTable),
      ),
    ];
    roots = names.map(normalizePy).filter((n) => nodes.has(n));
    known = true;
  }
  return withPaths('PyPI', file, nodes, roots, known);
}

// ---------------------------------------------------------------- Go, Rust, Ruby, PHP

/** go.sum: each module version (the `/go.mod`-only lines count too: Go reads them to build). */
export function parseGoSum(text: string, file: string): Dependency[] {
  const out = new Map<string, Dependency>();
  for (const line of text.split(/\r?\n/)) {
    const [module, rawVersion] = line.trim().split(/\s+/);
    if (!module || !rawVersion) continue;
    const version = rawVersion.replace(/\/go\.mod$/, '');
    const key = `${module}@${version}`;
    if (!out.has(key))
      out.set(key, { ecosystem: 'Go', name: module, version, file, direct: true, dev: false, path: [key] });
  }
  return [...out.values()];
}

/** Cargo.lock: [[package]]; packages without a source are the workspace's own crates (the roots). */
export function parseCargoLock(text: string, file: string): Dependency[] {
  const doc = parseTomlSubset(text);
  const nodes = new Map<string, Node>();
  const own: string[] = [];
  const items = ((doc.package as TomlTable[] | undefined) ?? []).filter(
    (p) => typeof p.name === 'string' && typeof p.version === 'string',
  );
  const versionsOf = new Map<string, string[]>();
  for (const p of items)
    versionsOf.set(p.name as string, [...(versionsOf.get(p.name as string) ?? []), p.version as string]);
  for (const p of items) {
    const id = `${p.name}@${p.version}`;
    const edges = ((p.dependencies as string[] | undefined) ?? []).map((d) => {
      const [n, v] = d.split(' ');
      return `${n}@${v ?? versionsOf.get(n!)?.[0] ?? ''}`;
    });
    if (p.source === undefined) {
      own.push(id);
      nodes.set(id, { name: p.name as string, version: p.version as string, dev: false, edges });
    } else nodes.set(id, { name: p.name as string, version: p.version as string, dev: false, edges });
  }
  const roots = own.flatMap((id) => nodes.get(id)?.edges ?? []);
  for (const id of own) nodes.delete(id);
  return withPaths('crates.io', file, nodes, roots, own.length > 0);
}

/** Gemfile.lock: the GEM specs (platform suffixes dropped) and DEPENDENCIES as roots. */
export function parseGemfileLock(text: string, file: string): Dependency[] {
  const nodes = new Map<string, Node>();
  const byName = new Map<string, string>();
  const roots: string[] = [];
  let section = '';
  let inSpecs = false;
  let current: Node | null = null;
  const rootNames: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '') continue;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (indent === 0) {
      section = line;
      inSpecs = false;
      continue;
    }
    if (section === 'GEM' || section === 'GIT' || section === 'PATH') {
      if (indent === 2) inSpecs = line === 'specs:';
      else if (inSpecs && indent === 4) {
        const m = /^(\S+) \(([^)]+)\)$/.exec(line);
        current = null;
        if (m && section === 'GEM') {
          const version = m[2]!.replace(
            /-(x86|x64|arm|aarch|universal|java|mingw|mswin|darwin|linux).*$/,
            '',
          );
          current = { name: m[1]!, version, dev: false, edges: [] };
          nodes.set(`${m[1]}@${version}`, current);
          byName.set(m[1]!, `${m[1]}@${version}`);
        }
      } else if (inSpecs && indent === 6 && current) {
        current.edges.push(line.split(' ')[0]!);
      }
    } else if (section === 'DEPENDENCIES' && indent === 2) {
      rootNames.push(line.split(/[ !]/)[0]!);
    }
  }
  for (const node of nodes.values())
    node.edges = node.edges.map((n) => byName.get(n)).filter((id): id is string => id !== undefined);
  for (const n of rootNames) {
    const id = byName.get(n);
    if (id) roots.push(id);
  }
  return withPaths('RubyGems', file, nodes, roots, rootNames.length > 0);
}

/** composer.lock: packages and packages-dev; composer.json's require as roots when given. */
export function parseComposerLock(text: string, file: string, manifest?: string): Dependency[] {
  const lock = json(text, file);
  const nodes = new Map<string, Node>();
  const add = (list: unknown, dev: boolean) => {
    for (const p of Array.isArray(list) ? list : []) {
      const item = p as { name?: string; version?: string; require?: StringMap };
      if (!item.name || !item.version) continue;
      nodes.set(item.name.toLowerCase(), {
        name: item.name,
        version: item.version.replace(/^v(?=\d)/, ''),
        dev,
        edges: Object.keys(item.require ?? {}).map((n) => n.toLowerCase()),
      });
    }
  };
  add(lock.packages, false);
  add(lock['packages-dev'], true);
  if (manifest) {
    const pkg = json(manifest, 'composer.json') as Record<string, StringMap | undefined>;
    const roots = keysOf(pkg.require, pkg['require-dev']).map((n) => n.toLowerCase());
    return withPaths('Packagist', file, nodes, roots, true);
  }
  return withPaths('Packagist', file, nodes, unrequired(nodes), false);
}

/** The manifest a lockfile's roots come from, when it sits beside it. */
export function manifestFor(file: string): string | null {
  switch (path.basename(file)) {
    case 'yarn.lock':
      return 'package.json';
    case 'poetry.lock':
      return 'pyproject.toml';
    case 'composer.lock':
      return 'composer.json';
    default:
      return null;
  }
}

/** Parses one lockfile by its name. `manifest` is the text of manifestFor(file), if present. */
export function parseLockfile(file: string, text: string, manifest?: string): Dependency[] {
  const base = path.basename(file);
  try {
    switch (base) {
      case 'package-lock.json':
      case 'npm-shrinkwrap.json':
        return parsePackageLock(text, file);
      case 'yarn.lock':
        return parseYarnLock(text, file, manifest);
      case 'pnpm-lock.yaml':
        return parsePnpmLock(text, file);
      case 'poetry.lock':
        return parsePoetryLock(text, file, manifest);
      case 'go.sum':
        return parseGoSum(text, file);
      case 'Cargo.lock':
        return parseCargoLock(text, file);
      case 'Gemfile.lock':
        return parseGemfileLock(text, file);
      case 'composer.lock':
        return parseComposerLock(text, file, manifest);
      default:
        if (/^requirements.*\.txt$/.test(base)) return parseRequirements(text, file);
        throw new LockfileError(`${file}: not a lockfile engops reads`);
    }
  } catch (error) {
    if (error instanceof LockfileError) throw error;
    throw new LockfileError(`${file}: ${(error as Error).message}`);
  }
}
