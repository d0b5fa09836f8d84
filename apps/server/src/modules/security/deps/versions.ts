/**
 * Version ordering per OSV ecosystem: SemVer 2.0 (npm, crates.io, Go), PEP 440 (PyPI), RubyGems
 * and Composer (Packagist). Pure; `compareVersions(ecosystem, a, b)` returns <0, 0 or >0.
 */
export type Ecosystem = 'npm' | 'PyPI' | 'Go' | 'crates.io' | 'RubyGems' | 'Packagist';
export const ECOSYSTEMS: readonly Ecosystem[] = ['npm', 'PyPI', 'Go', 'crates.io', 'RubyGems', 'Packagist'];

const cmp = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0);
const cmpText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface SemVer {
  nums: [number, number, number];
  pre: string[];
}

/** Parses `1.2.3-rc.1+build` (a leading `v` and missing minor/patch are tolerated). */
export function parseSemver(version: string): SemVer | null {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(
    version.trim(),
  );
  if (!m) return null;
  return {
    nums: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)],
    pre: m[4] ? m[4].split('.') : [],
  };
}

export function compareSemver(a: string, b: string): number {
  const x = parseSemver(a);
  const y = parseSemver(b);
  if (!x || !y) return cmpText(a, b);
  for (let i = 0; i < 3; i++) {
    const c = cmp(x.nums[i]!, y.nums[i]!);
    if (c !== 0) return c;
  }
  // A pre-release sorts before its release.
  if (x.pre.length === 0 || y.pre.length === 0) return cmp(y.pre.length, x.pre.length);
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) {
      const c = cmp(Number(p), Number(q));
      if (c !== 0) return c;
    } else if (pn !== qn) return pn ? -1 : 1;
    else {
      const c = cmpText(p, q);
      if (c !== 0) return c;
    }
  }
  return 0;
}

interface Pep440 {
  epoch: number;
  release: number[];
  /** [phase, n]: phase 0 a, 1 b, 2 rc; absent = final. */
  pre: [number, number] | null;
  post: number | null;
  dev: number | null;
  local: string;
}

/** Parses a PEP 440 version (normalising the spellings PEP 440 allows). */
export function parsePep440(version: string): Pep440 | null {
  const m =
    /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i.exec(
      version,
    );
  if (!m) return null;
  const phase = m[3]?.toLowerCase();
  const pre: [number, number] | null = phase
    ? [phase.startsWith('a') ? 0 : phase === 'b' || phase === 'beta' ? 1 : 2, Number(m[4] ?? 0)]
    : null;
  const post = m[5] !== undefined ? Number(m[5]) : m[6] ? Number(m[7] ?? 0) : null;
  return {
    epoch: Number(m[1] ?? 0),
    release: m[2]!.split('.').map(Number),
    pre,
    post,
    dev: m[8] ? Number(m[9] ?? 0) : null,
    local: (m[10] ?? '').toLowerCase(),
  };
}

export function comparePep440(a: string, b: string): number {
  const x = parsePep440(a);
  const y = parsePep440(b);
  if (!x || !y) return cmpText(a, b);
  let c = cmp(x.epoch, y.epoch);
  if (c !== 0) return c;
  for (let i = 0; i < Math.max(x.release.length, y.release.length); i++) {
    c = cmp(x.release[i] ?? 0, y.release[i] ?? 0);
    if (c !== 0) return c;
  }
  // Within one release: X.devN < X.aN < X.bN < X.rcN < X < X.postN. A dev release of a pre or post
  // release sorts just before it.
  const preKey = (v: Pep440): [number, number, number] => {
    if (v.pre) return [1, v.pre[0], v.pre[1]];
    if (v.post === null && v.dev !== null) return [0, 0, 0];
    return [2, 0, 0];
  };
  const [p1, p2] = [preKey(x), preKey(y)];
  for (let i = 0; i < 3; i++) {
    c = cmp(p1[i]!, p2[i]!);
    if (c !== 0) return c;
  }
  c = cmp(x.post ?? -1, y.post ?? -1);
  if (c !== 0) return c;
  c = cmp(x.dev ?? Number.POSITIVE_INFINITY, y.dev ?? Number.POSITIVE_INFINITY);
  if (c !== 0) return c;
  return cmpText(x.local, y.local);
}

/** RubyGems (Gem::Version): segments of digits or letters; a letter segment marks a pre-release. */
export function compareRubyGems(a: string, b: string): number {
  const segments = (v: string): Array<number | string> => {
    const parts =
      v
        .trim()
        .replace(/-/g, '.pre.')
        .match(/[0-9]+|[a-z]+/gi) ?? [];
    const out: Array<number | string> = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    // Trailing zeros of the release part do not count: 1.0 == 1.0.0.
    const firstText = out.findIndex((s) => typeof s === 'string');
    const release = firstText === -1 ? out : out.slice(0, firstText);
    const rest = firstText === -1 ? [] : out.slice(firstText);
    while (release.length > 1 && release[release.length - 1] === 0) release.pop();
    return [...release, ...rest];
  };
  const x = segments(a);
  const y = segments(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? 0;
    const q = y[i] ?? 0;
    if (p === q) continue;
    if (typeof p === 'string' && typeof q === 'number') return -1;
    if (typeof p === 'number' && typeof q === 'string') return 1;
    return typeof p === 'number' ? cmp(p, q as number) : cmpText(p, q as string);
  }
  return 0;
}

const PHP_SPECIAL: Record<string, number> = {
  dev: 0,
  alpha: 1,
  a: 1,
  beta: 2,
  b: 2,
  rc: 3,
  '#': 4,
  pl: 5,
  p: 5,
};

/** Composer/Packagist ordering (PHP's version_compare on versions without a leading v). */
export function compareComposer(a: string, b: string): number {
  const canon = (v: string): string[] =>
    v
      .trim()
      .replace(/^v/i, '')
      .replace(/[-_+]/g, '.')
      .replace(/([^.\d]+)(\d)/g, '$1.$2')
      .replace(/(\d)([^.\d]+)/g, '$1.$2')
      .split('.')
      .filter((s) => s !== '');
  const order = (s: string): number => PHP_SPECIAL[s.toLowerCase()] ?? -1;
  const x = canon(a);
  const y = canon(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined || q === undefined) {
      // 1.0 vs 1.0.1 -> shorter is lower; 1.0 vs 1.0-beta -> the special form is lower.
      const other = (p ?? q)!;
      const lower = /^\d+$/.test(other) ? (p === undefined ? -1 : 1) : p === undefined ? 1 : -1;
      return order(other) >= PHP_SPECIAL.pl! ? -lower : lower;
    }
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    let c: number;
    if (pn && qn) c = cmp(Number(p), Number(q));
    else if (!pn && !qn) c = cmp(order(p), order(q));
    else c = pn ? (order(q) >= PHP_SPECIAL.pl! ? -1 : 1) : order(p) >= PHP_SPECIAL.pl! ? 1 : -1;
    if (c !== 0) return c;
  }
  return 0;
}

/** Orders two versions of one package the way its ecosystem does. */
export function compareVersions(ecosystem: Ecosystem | 'SEMVER', a: string, b: string): number {
  switch (ecosystem) {
    case 'PyPI':
      return comparePep440(a, b);
    case 'RubyGems':
      return compareRubyGems(a, b);
    case 'Packagist':
      return compareComposer(a, b);
    default:
      return compareSemver(a, b);
  }
}
