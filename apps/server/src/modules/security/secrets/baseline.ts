import fs from 'node:fs/promises';
import { SecretScanError } from './git-history.ts';
import { FINGERPRINT_KEY } from './sarif.ts';
import type { Finding } from './scanner.ts';

const FINGERPRINT = /^[0-9a-f]{64}$/;

/**
 * Fingerprints from an ignore file: one sha256 fingerprint per line; `#` starts a comment (use it
 * to say why), blank lines are skipped. Anything else is an error, so typos do not go unnoticed.
 */
export function parseIgnoreFile(text: string, source = 'ignore file'): Set<string> {
  const fingerprints = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const [fingerprint = ''] = line.split(/\s+/);
    if (!FINGERPRINT.test(fingerprint))
      throw new SecretScanError(
        `${source}:${i + 1}: not a finding fingerprint (64 hex characters): ${fingerprint}`,
      );
    fingerprints.add(fingerprint);
  });
  return fingerprints;
}

/**
 * Fingerprints from a previous report: the JSON report (`--format json`, `findings[].fingerprint`)
 * or a SARIF log (`runs[].results[].partialFingerprints`).
 */
export function parseBaseline(text: string, source = 'baseline'): Set<string> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SecretScanError(`${source} is not JSON: ${(error as Error).message}`);
  }
  const fingerprints = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === 'string' && FINGERPRINT.test(value)) fingerprints.add(value);
  };
  const record = data as { findings?: unknown; runs?: unknown };
  if (Array.isArray(record?.findings)) {
    for (const finding of record.findings) add((finding as { fingerprint?: unknown })?.fingerprint);
  } else if (Array.isArray(record?.runs)) {
    for (const run of record.runs as Array<{ results?: unknown }>) {
      for (const result of Array.isArray(run?.results) ? run.results : [])
        add(
          (result as { partialFingerprints?: Record<string, unknown> })?.partialFingerprints?.[
            FINGERPRINT_KEY
          ],
        );
    }
  } else {
    throw new SecretScanError(`${source} has neither "findings" (JSON report) nor "runs" (SARIF)`);
  }
  return fingerprints;
}

export async function loadIgnoreFile(file: string): Promise<Set<string>> {
  const text = await fs.readFile(file, 'utf8').catch((error: Error) => {
    throw new SecretScanError(`cannot read ignore file ${file}: ${error.message}`);
  });
  return parseIgnoreFile(text, file);
}

export async function loadBaseline(file: string): Promise<Set<string>> {
  const text = await fs.readFile(file, 'utf8').catch((error: Error) => {
    throw new SecretScanError(`cannot read baseline ${file}: ${error.message}`);
  });
  return parseBaseline(text, file);
}

/** Splits findings into those to report and those whose fingerprint is known. */
export function applyBaseline(
  findings: readonly Finding[],
  known: ReadonlySet<string>,
): { kept: Finding[]; suppressed: Finding[] } {
  const kept: Finding[] = [];
  const suppressed: Finding[] = [];
  for (const finding of findings) (known.has(finding.fingerprint) ? suppressed : kept).push(finding);
  return { kept, suppressed };
}
