import { RULESET_VERSION, type SecretRule } from './rules.ts';
import type { Finding } from './scanner.ts';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const SARIF_VERSION = '2.1.0';
export const TOOL_NAME = 'engops-secrets';
/** The key of the finding's fingerprint in SARIF `partialFingerprints`. */
export const FINGERPRINT_KEY = 'engopsSecret/v1';

/** How a suppressed finding is marked: SARIF `suppressions` (external: an ignore file or baseline). */
export const BASELINE_SUPPRESSION = {
  kind: 'external',
  status: 'accepted',
  justification: 'Fingerprint listed in the ignore file or the baseline.',
} as const;

interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  defaultConfiguration: { level: 'error' };
  properties: { tags: string[]; precision: string };
}

export interface SarifLog {
  $schema: string;
  version: string;
  runs: Array<{
    tool: { driver: { name: string; version: string; semanticVersion?: string; rules: SarifRule[] } };
    automationDetails?: { id: string };
    results: Array<{
      ruleId: string;
      ruleIndex: number;
      level: 'error';
      message: { text: string };
      locations: Array<{
        physicalLocation: {
          artifactLocation: { uri: string; uriBaseId: string };
          region: { startLine: number; startColumn: number };
        };
      }>;
      partialFingerprints: Record<string, string>;
      properties?: Record<string, string>;
      suppressions?: Array<typeof BASELINE_SUPPRESSION>;
    }>;
    columnKind: 'unicodeCodePoints';
  }>;
}

function pascalName(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

function encodeUri(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

type SarifResult = SarifLog['runs'][number]['results'][number];

/**
 * A SARIF 2.1.0 log of the findings (one run), for code-scanning UIs. Results carry the redacted
 * secret in their message only, the fingerprint in partialFingerprints, and the commit and author
 * as properties for history scans. Findings suppressed by the ignore file or a baseline (`suppressed`
 * from `applyBaseline`) follow as results with an accepted external suppression, so code-scanning
 * UIs show them as dismissed; inline `engops:allow-secret` lines are never reported at all.
 */
export function toSarif(
  findings: readonly Finding[],
  rules: readonly SecretRule[],
  suppressed: readonly Finding[] = [],
): SarifLog {
  const index = new Map(rules.map((rule, i) => [rule.id, i]));
  const result = (f: Finding): SarifResult => ({
    ruleId: f.rule,
    ruleIndex: index.get(f.rule) ?? -1,
    level: 'error',
    message: {
      text: `${f.description}: ${f.redacted}${f.commit ? ` (added in ${f.commit.slice(0, 12)}${f.author ? ` by ${f.author}` : ''})` : ''}`,
    },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: encodeUri(f.file), uriBaseId: '%SRCROOT%' },
          region: { startLine: f.line, startColumn: f.column },
        },
      },
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
    ...(f.commit
      ? {
          properties: {
            commit: f.commit,
            ...(f.author ? { author: f.author } : {}),
            ...(f.date ? { date: f.date } : {}),
          },
        }
      : {}),
  });
  return {
    $schema: SARIF_SCHEMA,
    version: SARIF_VERSION,
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            version: RULESET_VERSION,
            rules: rules.map((rule) => ({
              id: rule.id,
              name: pascalName(rule.id),
              shortDescription: { text: rule.description },
              fullDescription: {
                text: `${rule.description}. Keywords: ${rule.keywords.join(', ') || 'none'}; minimum entropy ${rule.entropy} bits per character.`,
              },
              defaultConfiguration: { level: 'error' },
              properties: { tags: ['security', 'secret'], precision: rule.generic ? 'medium' : 'high' },
            })),
          },
        },
        results: [
          ...findings.map(result),
          ...suppressed.map((f) => ({ ...result(f), suppressions: [BASELINE_SUPPRESSION] })),
        ],
        columnKind: 'unicodeCodePoints',
      },
    ],
  };
}
