import { cvss3BaseScore, ratingOf, type Severity } from './cvss.ts';
import { compareVersions, ECOSYSTEMS, type Ecosystem } from './versions.ts';

/** The parts of an OSV advisory (https://ossf.github.io/osv-schema/) that matching uses. */
export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}
export interface OsvRange {
  type: 'SEMVER' | 'ECOSYSTEM' | 'GIT';
  events: OsvEvent[];
}
export interface OsvAffected {
  package?: { ecosystem: string; name: string; purl?: string };
  ranges?: OsvRange[];
  versions?: string[];
  database_specific?: Record<string, unknown>;
}
export interface OsvAdvisory {
  id: string;
  modified?: string;
  published?: string;
  withdrawn?: string;
  aliases?: string[];
  summary?: string;
  details?: string;
  severity?: Array<{ type: string; score: string }>;
  affected?: OsvAffected[];
  references?: Array<{ type: string; url: string }>;
  database_specific?: Record<string, unknown>;
}

export class AdvisoryFormatError extends Error {}

/** Checks the shape of one OSV record enough to match with it; throws AdvisoryFormatError. */
export function parseAdvisory(value: unknown, where: string): OsvAdvisory {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new AdvisoryFormatError(`${where}: an OSV advisory must be a JSON object`);
  const record = value as OsvAdvisory;
  if (typeof record.id !== 'string' || record.id === '')
    throw new AdvisoryFormatError(`${where}: the advisory has no "id"`);
  if (record.affected !== undefined && !Array.isArray(record.affected))
    throw new AdvisoryFormatError(`${where}: "affected" of ${record.id} must be an array`);
  for (const affected of record.affected ?? []) {
    for (const range of affected.ranges ?? []) {
      if (!Array.isArray(range.events))
        throw new AdvisoryFormatError(`${where}: a range of ${record.id} has no "events" array`);
    }
  }
  return record;
}

/** The OSV ecosystem name of a package ecosystem ("Go", "PyPI"...), or null when unsupported. */
export function ecosystemOf(name: string | undefined): Ecosystem | null {
  if (!name) return null;
  const base = name.split(':')[0]!;
  return (ECOSYSTEMS as readonly string[]).includes(base) ? (base as Ecosystem) : null;
}

/** PyPI names compare after PEP 503 normalisation; the others as written. */
export function normalizeName(ecosystem: Ecosystem, name: string): string {
  return ecosystem === 'PyPI' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}

/**
 * The OSV range algorithm: events sorted by version ("0" first); walking them, `introduced` at or
 * below the version turns the state vulnerable, `fixed` at or below it turns it safe again,
 * `last_affected` below it likewise.
 */
export function inRange(ecosystem: Ecosystem, range: OsvRange, version: string): boolean {
  if (range.type === 'GIT') return false;
  const order = range.type === 'SEMVER' ? 'SEMVER' : ecosystem;
  const compare = (a: string, b: string) => compareVersions(order, a, b);
  const keyOf = (e: OsvEvent) => e.introduced ?? e.fixed ?? e.last_affected ?? e.limit ?? '0';
  const events = [...range.events]
    .filter((e) => e.limit === undefined)
    .sort((a, b) => {
      const x = keyOf(a);
      const y = keyOf(b);
      if (x === '0' && a.introduced !== undefined) return -1;
      if (y === '0' && b.introduced !== undefined) return 1;
      return compare(x, y);
    });
  let vulnerable = false;
  for (const e of events) {
    if (e.introduced !== undefined) {
      if (e.introduced === '0' || compare(version, e.introduced) >= 0) vulnerable = true;
    } else if (e.fixed !== undefined) {
      if (compare(version, e.fixed) >= 0) vulnerable = false;
    } else if (e.last_affected !== undefined) {
      if (compare(version, e.last_affected) > 0) vulnerable = false;
    }
  }
  return vulnerable;
}

/** The lowest `fixed` version above `version` in the ranges that affect it, if any. */
export function fixedVersionFor(ecosystem: Ecosystem, affected: OsvAffected, version: string): string | null {
  let best: string | null = null;
  for (const range of affected.ranges ?? []) {
    if (range.type === 'GIT' || !inRange(ecosystem, range, version)) continue;
    const order = range.type === 'SEMVER' ? 'SEMVER' : ecosystem;
    for (const e of range.events) {
      if (e.fixed === undefined || compareVersions(order, e.fixed, version) <= 0) continue;
      if (best === null || compareVersions(order, e.fixed, best) < 0) best = e.fixed;
    }
  }
  return best;
}

export function isAffected(ecosystem: Ecosystem, affected: OsvAffected, version: string): boolean {
  if ((affected.versions ?? []).includes(version)) return true;
  return (affected.ranges ?? []).some((range) => inRange(ecosystem, range, version));
}

const WORDS: Record<string, Severity> = {
  critical: 'critical',
  high: 'high',
  moderate: 'medium',
  medium: 'medium',
  low: 'low',
};

/**
 * An advisory's severity: the highest CVSS v3 base score it carries, else the database's own word
 * (GitHub's "MODERATE" is medium), else unknown.
 */
export function severityOf(advisory: OsvAdvisory): { severity: Severity; score: number | null } {
  let score: number | null = null;
  for (const s of advisory.severity ?? []) {
    const value = s.type.startsWith('CVSS_V3') ? cvss3BaseScore(s.score) : null;
    if (value !== null && (score === null || value > score)) score = value;
  }
  if (score !== null) return { severity: ratingOf(score), score };
  const word = advisory.database_specific?.severity;
  if (typeof word === 'string' && WORDS[word.toLowerCase()])
    return { severity: WORDS[word.toLowerCase()]!, score: null };
  return { severity: 'unknown', score: null };
}

/** Advisories indexed by ecosystem and normalised package name. */
export class AdvisoryIndex {
  private readonly byPackage = new Map<string, Array<{ advisory: OsvAdvisory; affected: OsvAffected }>>();
  private count = 0;

  add(advisory: OsvAdvisory): void {
    if (advisory.withdrawn) return;
    this.count++;
    for (const affected of advisory.affected ?? []) {
      const ecosystem = ecosystemOf(affected.package?.ecosystem);
      if (!ecosystem || !affected.package) continue;
      const key = `${ecosystem}\u0000${normalizeName(ecosystem, affected.package.name)}`;
      const list = this.byPackage.get(key) ?? [];
      list.push({ advisory, affected });
      this.byPackage.set(key, list);
    }
  }

  get size(): number {
    return this.count;
  }

  /** The advisories affecting one package version, with the fixed version for each. */
  match(
    ecosystem: Ecosystem,
    name: string,
    version: string,
  ): Array<{ advisory: OsvAdvisory; fixed: string | null }> {
    const out: Array<{ advisory: OsvAdvisory; fixed: string | null }> = [];
    const seen = new Set<string>();
    for (const { advisory, affected } of this.byPackage.get(
      `${ecosystem}\u0000${normalizeName(ecosystem, name)}`,
    ) ?? []) {
      if (seen.has(advisory.id) || !isAffected(ecosystem, affected, version)) continue;
      seen.add(advisory.id);
      out.push({ advisory, fixed: fixedVersionFor(ecosystem, affected, version) });
    }
    return out;
  }
}
