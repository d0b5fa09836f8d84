/**
 * CVSS v3.x base score from a vector string (FIRST's CVSS v3.1 specification, section 7), and the
 * qualitative rating of a score. Pure.
 */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'none' | 'unknown';

const WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

/** Round up to one decimal the way the specification's Roundup function does (no float drift). */
export function roundUp(value: number): number {
  const int = Math.round(value * 100000);
  return int % 10000 === 0 ? int / 100000 : (Math.floor(int / 10000) + 1) / 10;
}

/** The base score of a `CVSS:3.0/...` or `CVSS:3.1/...` vector, or null when it is not one. */
export function cvss3BaseScore(vector: string): number | null {
  if (!/^CVSS:3\.[01]\//.test(vector)) return null;
  const metrics = new Map<string, string>();
  for (const part of vector.split('/').slice(1)) {
    const [k, v] = part.split(':');
    if (k && v) metrics.set(k, v);
  }
  const get = <T extends Record<string, number>>(key: string, table: T): number | null => {
    const value = metrics.get(key);
    return value !== undefined && value in table ? table[value as keyof T]! : null;
  };
  const scope = metrics.get('S');
  if (scope !== 'U' && scope !== 'C') return null;
  const changed = scope === 'C';
  const av = get('AV', WEIGHTS.AV);
  const ac = get('AC', WEIGHTS.AC);
  const ui = get('UI', WEIGHTS.UI);
  const pr = get('PR', changed ? { N: 0.85, L: 0.68, H: 0.5 } : { N: 0.85, L: 0.62, H: 0.27 });
  const c = get('C', WEIGHTS.CIA);
  const i = get('I', WEIGHTS.CIA);
  const a = get('A', WEIGHTS.CIA);
  if (av === null || ac === null || ui === null || pr === null || c === null || i === null || a === null)
    return null;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return changed
    ? roundUp(Math.min(1.08 * (impact + exploitability), 10))
    : roundUp(Math.min(impact + exploitability, 10));
}

export function ratingOf(score: number): Severity {
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

export const SEVERITY_RANK: Record<Severity, number> = {
  critical: 5,
  high: 4,
  medium: 3,
  low: 2,
  unknown: 1,
  none: 0,
};
