import type { UploadedFinding } from '@engops/contracts';
import type { Db } from '../../db/database.ts';
import { indexAdvisories } from './deps/advisory-source.ts';
import type { Dependency } from './deps/lockfiles.ts';
import { normalizeName, type OsvAdvisory } from './deps/osv.ts';
import {
  applyIgnores,
  type DepFinding,
  dependencyUpload,
  type IgnoreEntry,
  ignoreReason,
  matchDependencies,
} from './deps/scan-deps.ts';

/**
 * A service's stored dependency inventory (from `engops scan deps --upload`, push scans and
 * repository scans) matched against the stored advisories, and the dependency ignore entries its
 * last scan read. The advisories' rescans and the push scans both match through here, so an entry
 * of the repository's `.engops-deps-ignore.json` keeps an advisory from being filed by either.
 */

/** A row of `security_dependencies` for one dependency of `service`. */
export function inventoryRow(
  service: { id: string; team_id: string },
  d: Pick<Dependency, 'ecosystem' | 'name' | 'version' | 'file' | 'direct' | 'dev' | 'path'>,
  id: string,
  at: string,
) {
  return {
    id,
    service_id: service.id,
    team_id: service.team_id,
    file: d.file,
    ecosystem: d.ecosystem,
    name: d.name,
    version: d.version,
    direct: d.direct ? 1 : 0,
    dev: d.dev ? 1 : 0,
    path: JSON.stringify(d.path),
    uploaded_at: at,
  };
}

/** Every advisory match of the service's stored inventory (ignore entries not applied). */
export async function matchStoredInventory(db: Db, serviceId: string): Promise<DepFinding[]> {
  const rows = await db
    .selectFrom('security_dependencies')
    .selectAll()
    .where('service_id', '=', serviceId)
    .execute();
  if (rows.length === 0) return [];
  const deps: Dependency[] = rows.map((r) => {
    const path = JSON.parse(r.path) as string[];
    return {
      ecosystem: r.ecosystem as Dependency['ecosystem'],
      name: r.name,
      version: r.version,
      file: r.file,
      direct: r.direct === 1,
      dev: r.dev === 1,
      path: path.length > 0 ? path : [`${r.name}@${r.version}`],
    };
  });
  const names = [...new Set(deps.map((d) => normalizeName(d.ecosystem, d.name)))];
  const records = new Map<string, OsvAdvisory>();
  for (let i = 0; i < names.length; i += 500) {
    const chunk = await db
      .selectFrom('security_advisories')
      .innerJoin(
        'security_advisory_packages',
        'security_advisory_packages.advisory_id',
        'security_advisories.id',
      )
      .select(['security_advisories.id', 'security_advisories.record'])
      .where('security_advisory_packages.name', 'in', names.slice(i, i + 500))
      .execute();
    for (const row of chunk) records.set(row.id, JSON.parse(row.record) as OsvAdvisory);
  }
  return matchDependencies(deps, indexAdvisories(records.values()));
}

/** The ignore entries the service's last scan read (none when no scan sent any). */
export async function storedIgnores(db: Db, serviceId: string): Promise<IgnoreEntry[]> {
  const row = await db
    .selectFrom('security_dependency_ignores')
    .select('entries_json')
    .where('service_id', '=', serviceId)
    .executeTakeFirst();
  return row ? (JSON.parse(row.entries_json) as IgnoreEntry[]) : [];
}

/** Replaces the service's stored ignore entries with what a scan just read (`source`: where from). */
export async function storeIgnores(
  db: Db,
  serviceId: string,
  entries: readonly IgnoreEntry[],
  source: string,
  at: string,
): Promise<void> {
  const values = { entries_json: JSON.stringify(entries), source, updated_at: at };
  await db
    .insertInto('security_dependency_ignores')
    .values({ service_id: serviceId, ...values })
    .onConflict((oc) => oc.column('service_id').doUpdateSet(values))
    .execute();
}

/** The matches a scan files: those no live ignore entry covers. */
export const notIgnored = (matched: readonly DepFinding[], ignores: readonly IgnoreEntry[], now: Date) =>
  applyIgnores(matched, ignores, now).kept;

/**
 * Which matched findings a live ignore entry covers (fingerprint -> why, for the finding's status)
 * and which none does (an expired entry covers nothing).
 */
export function ignoreCoverage(matched: readonly DepFinding[], ignores: readonly IgnoreEntry[], now: Date) {
  const { kept, suppressions } = applyIgnores(matched, ignores, now);
  const covered = new Map<string, string>();
  for (const { finding, entry } of suppressions) covered.set(finding.fingerprint, ignoreReason(entry));
  return { covered, uncovered: new Set(kept.map((f) => f.fingerprint)) };
}

/** A match of the stored inventory as a finding upload (no lockfile line: none is stored). */
export const toUploadedDependency = (f: DepFinding): UploadedFinding => dependencyUpload(f, false);
