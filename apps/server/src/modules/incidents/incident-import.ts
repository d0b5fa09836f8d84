/**
 * Incident import, pure parts: checking the times of past incidents and the state they end in.
 * An imported incident keeps the times it really had; the skipped stamps stay empty.
 */
import type { IncidentStatus, Severity } from './incident-lifecycle.ts';

export interface ImportItem {
  service_id: string;
  title: string;
  severity: Severity;
  description?: string | undefined;
  triggered_at: string;
  acknowledged_at?: string | undefined;
  mitigated_at?: string | undefined;
  resolved_at?: string | undefined;
  caused_by_deployment_id?: string | undefined;
  external_id?: string | undefined;
}

export interface ImportProblem {
  path: string;
  message: string;
}

export const IMPORT_STAMPS = ['triggered_at', 'acknowledged_at', 'mitigated_at', 'resolved_at'] as const;

/** The stamps of an item as ISO-8601 UTC, in lifecycle order (absent ones omitted). */
export function importTimes(item: ImportItem): Array<[field: (typeof IMPORT_STAMPS)[number], at: string]> {
  const out: Array<[(typeof IMPORT_STAMPS)[number], string]> = [];
  for (const field of IMPORT_STAMPS) {
    const value = item[field];
    if (value !== undefined) out.push([field, new Date(value).toISOString()]);
  }
  return out;
}

/**
 * Problems of one item: every recorded stamp no earlier than the one before it
 * (triggered <= acknowledged <= mitigated <= resolved) and none after `now`.
 * Paths name the field as the request does: `body.incidents.<index>.<field>`.
 */
export function importProblems(item: ImportItem, index: number, now: Date): ImportProblem[] {
  const problems: ImportProblem[] = [];
  const base = `body.incidents.${index}`;
  let previous: [string, number] | null = null;
  for (const [field, at] of importTimes(item)) {
    const ms = Date.parse(at);
    if (ms > now.getTime())
      problems.push({ path: `${base}.${field}`, message: `is in the future (${at} > ${now.toISOString()})` });
    if (previous && ms < previous[1])
      problems.push({ path: `${base}.${field}`, message: `is before ${previous[0]}` });
    previous = [field, ms];
  }
  return problems;
}

/** The state a past incident ends in: the last lifecycle step it has a time for. */
export function importedStatus(item: ImportItem): IncidentStatus {
  if (item.resolved_at) return 'resolved';
  if (item.mitigated_at) return 'mitigated';
  if (item.acknowledged_at) return 'acknowledged';
  return 'triggered';
}
