/** Secret scanning: rules, scanner, history and staged scans, reports, suppression. */
export { applyBaseline, loadBaseline, loadIgnoreFile, parseBaseline, parseIgnoreFile } from './baseline.ts';
export { loadSecretsConfig, type SecretsConfig, scannerOptionsFromConfig } from './custom-rules.ts';
export { shannonEntropy } from './entropy.ts';
export { DiffParser, SecretScanError, scanGitHistory, scanStaged } from './git-history.ts';
export { type SecretsReport, toJsonReport } from './report.ts';
export { BUILTIN_RULES, RULESET_VERSION, type SecretRule } from './rules.ts';
export { type SarifLog, toSarif } from './sarif.ts';
export {
  type Finding,
  fingerprintOf,
  isPlaceholder,
  redact,
  type ScannerOptions,
  SecretScanner,
  SUPPRESS_MARKER,
  sortFindings,
} from './scanner.ts';
export { listFiles, scanPath } from './working-tree.ts';
