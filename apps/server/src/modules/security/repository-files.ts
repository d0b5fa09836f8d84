/**
 * The scanner files a repository keeps in its root. `engops scan secrets|deps` read each one found
 * in the scanned folder unless a flag names another file, and the server's push scans read them at
 * the pushed commit, so a local scan and the server agree.
 */
export const REPOSITORY_SCAN_FILES = {
  /** Custom rules, disabled rules and allowlists (`engops scan secrets --config`). */
  secretsConfig: '.engops-secrets.json',
  /** Fingerprints of accepted secret findings, one a line (`--ignore-file`). */
  secretsIgnore: '.engops-secrets-ignore',
  /** A JSON report or SARIF log whose findings are known (`--baseline`). */
  secretsBaseline: '.engops-secrets-baseline.json',
  /** Dependency ignore entries with a reason and an expiry (`engops scan deps --ignore-file`). */
  depsIgnore: '.engops-deps-ignore.json',
} as const;
