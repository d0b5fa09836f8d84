import { SARIF_SCHEMA, SARIF_VERSION } from '../secrets/sarif.ts';
import type { Severity } from './cvss.ts';
import { DEPS_TOOL_NAME, DEPS_TOOL_VERSION, type DepFinding, type IgnoreEntry } from './scan-deps.ts';

/** The key of a finding's fingerprint in SARIF `partialFingerprints`. */
export const DEPS_FINGERPRINT_KEY = 'engopsDependency/v1';

export interface DepsReport {
  tool: string;
  version: string;
  target: string;
  advisories: number;
  lockfiles: string[];
  dependencies: number;
  ignored: number;
  expired_ignores: IgnoreEntry[];
  findings: DepFinding[];
}

export function toDepsJsonReport(input: Omit<DepsReport, 'tool' | 'version'>): DepsReport {
  return { tool: DEPS_TOOL_NAME, version: DEPS_TOOL_VERSION, ...input };
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  none: 'note',
  unknown: 'warning',
};

/** SARIF 2.1.0: one rule per advisory, one result per vulnerable package in a lockfile. */
export function toDepsSarif(findings: readonly DepFinding[]) {
  const rules = new Map<string, DepFinding>();
  for (const f of findings) if (!rules.has(f.advisory)) rules.set(f.advisory, f);
  const ids = [...rules.keys()];
  return {
    $schema: SARIF_SCHEMA,
    version: SARIF_VERSION,
    runs: [
      {
        tool: {
          driver: {
            name: DEPS_TOOL_NAME,
            version: DEPS_TOOL_VERSION,
            rules: ids.map((id) => {
              const f = rules.get(id)!;
              return {
                id,
                shortDescription: { text: f.summary },
                ...(f.url ? { helpUri: f.url } : {}),
                defaultConfiguration: { level: LEVEL[f.severity] },
                properties: {
                  tags: ['security', 'dependency', f.ecosystem],
                  ...(f.score !== null ? { 'security-severity': f.score.toFixed(1) } : {}),
                },
              };
            }),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.advisory,
          ruleIndex: ids.indexOf(f.advisory),
          level: LEVEL[f.severity],
          message: {
            text: `${f.package}@${f.version} (${f.ecosystem}) is affected by ${f.advisory} (${f.severity}): ${f.summary}. ${f.fixed ? `Fixed in ${f.fixed}.` : 'No fixed version.'} Path: ${f.path.join(' > ')}`,
          },
          locations: [
            {
              physicalLocation: {
                artifactLocation: {
                  uri: f.file.split('/').map(encodeURIComponent).join('/'),
                  uriBaseId: '%SRCROOT%',
                },
                region: { startLine: f.line },
              },
            },
          ],
          partialFingerprints: { [DEPS_FINGERPRINT_KEY]: f.fingerprint },
          properties: {
            package: f.package,
            version: f.version,
            ecosystem: f.ecosystem,
            severity: f.severity,
            fixed: f.fixed,
            path: f.path,
          },
        })),
        columnKind: 'unicodeCodePoints',
      },
    ],
  };
}
