/** Dependency scanning: lockfile parsers, OSV advisories and range matching, reports. */
export { indexAdvisories, loadAdvisories, readZipJsonEntries } from './advisory-source.ts';
export { cvss3BaseScore, ratingOf, SEVERITY_RANK, type Severity } from './cvss.ts';
export { DEPS_FINGERPRINT_KEY, type DepsReport, toDepsJsonReport, toDepsSarif } from './deps-report.ts';
export { type Dependency, LOCKFILE_NAMES, LockfileError, parseLockfile } from './lockfiles.ts';
export { AdvisoryFormatError, AdvisoryIndex, inRange, type OsvAdvisory, severityOf } from './osv.ts';
export { fetchAdvisoriesFromOsvApi } from './osv-client.ts';
export {
  applyIgnores,
  type DepFinding,
  DepsScanError,
  dependencyUpload,
  findLockfiles,
  type IgnoredFinding,
  type IgnoreEntry,
  ignoreReason,
  matchDependencies,
  matchLockfiles,
  type ParsedLockfile,
  parseIgnoreEntries,
  readLockfiles,
} from './scan-deps.ts';
export { compareVersions, type Ecosystem } from './versions.ts';
