import type { IncidentSeverity, IncidentStatus } from '../../app/types.ts';

/**
 * Pure helpers of the incident pages: severity and status wording, the legal transitions, and
 * relative times and durations. No I/O, no React.
 */

export const SEVERITY_INFO: Record<IncidentSeverity, { label: string; description: string }> = {
  SEV1: { label: 'SEV1', description: 'Critical: user-facing outage' },
  SEV2: { label: 'SEV2', description: 'Major degradation' },
  SEV3: { label: 'SEV3', description: 'Minor: limited impact' },
  SEV4: { label: 'SEV4', description: 'Low or no user impact' },
};

export const STATUS_LABEL: Record<IncidentStatus, string> = {
  triggered: 'Triggered',
  acknowledged: 'Acknowledged',
  mitigated: 'Mitigated',
  resolved: 'Resolved',
  reviewed: 'Reviewed',
};

/** Triggered, acknowledged or mitigated: someone still has work to do. */
export const OPEN_STATUSES: readonly IncidentStatus[] = ['triggered', 'acknowledged', 'mitigated'];

export type IncidentAction = 'acknowledge' | 'mitigate' | 'resolve' | 'reopen';

export const ACTION_INFO: Record<IncidentAction, { label: string; pending: string; done: string }> = {
  acknowledge: { label: 'Acknowledge', pending: 'Acknowledging…', done: 'acknowledged' },
  mitigate: { label: 'Mitigate', pending: 'Marking mitigated…', done: 'marked mitigated' },
  resolve: { label: 'Resolve', pending: 'Resolving…', done: 'resolved' },
  reopen: { label: 'Reopen', pending: 'Reopening…', done: 'reopened' },
};

/**
 * The actions the server accepts from `status` (apps/server/src/modules/incidents/incident-lifecycle.ts):
 * forward moves may skip states, the only way back is reopening a resolved incident, and a reviewed
 * incident is closed. `review` is the postmortem module's, never a button here.
 */
export function legalActions(status: IncidentStatus): IncidentAction[] {
  switch (status) {
    case 'triggered':
      return ['acknowledge', 'mitigate', 'resolve'];
    case 'acknowledged':
      return ['mitigate', 'resolve'];
    case 'mitigated':
      return ['resolve'];
    case 'resolved':
      return ['reopen'];
    case 'reviewed':
      return [];
  }
}

/** The `status` query value: absent means the open incidents, '' means every status. */
export function parseStatusFilter(value: string | null): IncidentStatus[] {
  if (value === null) return [...OPEN_STATUSES];
  const known = new Set<string>(['triggered', 'acknowledged', 'mitigated', 'resolved', 'reviewed']);
  return value.split(',').filter((s): s is IncidentStatus => known.has(s));
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

let relativeFormat: Intl.RelativeTimeFormat | undefined;

/** "5 minutes ago", "in 2 hours", "now": the largest whole unit between `iso` and `now`. */
export function formatRelative(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = Math.round((at - now) / 1000);
  if (Math.abs(seconds) < 10) return 'just now';
  relativeFormat ??= new Intl.RelativeTimeFormat('en', { numeric: 'auto', style: 'long' });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'second') {
      return relativeFormat.format(Math.trunc(seconds / size), unit);
    }
  }
  return iso;
}

/** A duration in seconds as "45 s", "4 min 12 s", "2 h 5 min", "3 d 4 h"; '—' when unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return s % 60 ? `${minutes} min ${s % 60} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** How a timeline entry's kind reads: a short label and a symbol (the symbol is decoration). */
export function timelineKind(kind: string): { label: string; icon: string; tone: string } {
  if (kind === 'incident.triggered') return { label: 'Opened', icon: '●', tone: 'danger' };
  if (kind === 'incident.suppressed') return { label: 'Maintenance', icon: '◌', tone: 'muted' };
  if (kind === 'alert.triggered') return { label: 'Alert', icon: '▲', tone: 'danger' };
  if (kind === 'alert.resolved') return { label: 'Alert resolved', icon: '▽', tone: 'success' };
  if (kind === 'note') return { label: 'Note', icon: '✎', tone: 'accent' };
  if (kind === 'role') return { label: 'Role', icon: '☺', tone: 'accent' };
  if (kind === 'update') return { label: 'Update', icon: '✱', tone: 'muted' };
  if (kind === 'notification') return { label: 'Page', icon: '✉', tone: 'muted' };
  if (kind.startsWith('status.')) {
    const status = kind.slice('status.'.length);
    const known: Record<string, { label: string; icon: string; tone: string }> = {
      triggered: { label: 'Reopened', icon: '↺', tone: 'danger' },
      acknowledged: { label: 'Acknowledged', icon: '✓', tone: 'warning' },
      mitigated: { label: 'Mitigated', icon: '◐', tone: 'accent' },
      resolved: { label: 'Resolved', icon: '✔', tone: 'success' },
      reviewed: { label: 'Reviewed', icon: '★', tone: 'success' },
    };
    return known[status] ?? { label: status, icon: '→', tone: 'muted' };
  }
  return { label: kind, icon: '•', tone: 'muted' };
}

/** Replaces every id in `text` that names a known person with that person's name. */
export function withNames(text: string, names: ReadonlyMap<string, string>): string {
  if (names.size === 0) return text;
  return text.replace(/\b[a-z]+_[A-Za-z0-9]+\b/g, (token) => names.get(token) ?? token);
}
