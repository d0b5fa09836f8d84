import { RULESET_VERSION } from './rules.ts';
import { TOOL_NAME } from './sarif.ts';
import type { Finding } from './scanner.ts';

/** The JSON report (`--format json`); also readable back as a baseline. */
export interface SecretsReport {
  tool: string;
  ruleset_version: string;
  mode: 'tree' | 'git' | 'staged';
  target: string;
  scanned: { files?: number; commits?: number };
  suppressed: number;
  findings: Finding[];
}

export function toJsonReport(input: Omit<SecretsReport, 'tool' | 'ruleset_version'>): SecretsReport {
  return { tool: TOOL_NAME, ruleset_version: RULESET_VERSION, ...input };
}
