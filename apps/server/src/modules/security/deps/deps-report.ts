import { SARIF_SCHEMA, SARIF_VERSION } from '../secrets/sarif.ts';
import type { Severity } from './cvss.ts';
import {
  DEPS_TOOL_NAME,
  DEPS_TOOL_VERSION,
  type DepFinding,
  type IgnoredFinding,
  type IgnoreEntry,
} from './scan-deps.ts';

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

/**
 * SARIF 2.1.0: one rule per advisory, one result per vulnerable package in a lockfile. Findings
 * ignored by an ignore entry (`suppressions` from `applyIgnores`) are included as results with an
 * accepted external suppression carrying the entry's reason and expiry, so code-scanning UIs show
 * them as dismissed rather than not at all.
 */
export function toDepsSarif(findings: readonly DepFinding[], suppressions: readonly IgnoredFinding[] = []) {
  const all = [...findings, ...suppressions.map((s) => s.finding)];
  const rules = new Map<string, DepFinding>();
  for (const f of all) if (!rules.has(f.advisory)) rules.set(f.advisory, f);
  const ids = [...rules.keys()];
  const result = (f: DepFinding) => ({
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
  });
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
        results: [
          ...findings.map(result),
          ...suppressions.map(({ finding, entry }) => ({
            ...result(finding),
            suppressions: [
              {
                kind: 'external' as const,
                status: 'accepted' as const,
                justification: `${entry.reason}${entry.expires ? ` (ignored until ${entry.expires})` : ''}`,
              },
            ],
          })),
        ],
        columnKind: 'unicodeCodePoints',
      },
    ],
  };
}
