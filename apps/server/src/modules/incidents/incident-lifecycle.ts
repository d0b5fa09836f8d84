/**
 * The incident lifecycle, pure: detect -> respond -> mitigate -> resolve -> review.
 *
 *   triggered -> acknowledged -> mitigated -> resolved -> reviewed
 *
 * Moving forward may skip states (resolving a triggered incident is allowed); the skipped stamps
 * stay empty rather than being invented. The only way back is `reopen` (resolved -> triggered),
 * which clears nothing from the history: the timeline keeps every step.
 */
export const INCIDENT_STATUSES = ['triggered', 'acknowledged', 'mitigated', 'resolved', 'reviewed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const INCIDENT_ACTIONS = ['acknowledge', 'mitigate', 'resolve', 'reopen', 'review'] as const;
export type IncidentAction = (typeof INCIDENT_ACTIONS)[number];

const TARGET: Record<IncidentAction, IncidentStatus> = {
  acknowledge: 'acknowledged',
  mitigate: 'mitigated',
  resolve: 'resolved',
  reopen: 'triggered',
  review: 'reviewed',
};

const ORDER: Record<IncidentStatus, number> = {
  triggered: 0,
  acknowledged: 1,
  mitigated: 2,
  resolved: 3,
  reviewed: 4,
};

export type TransitionResult = { ok: true; to: IncidentStatus } | { ok: false; reason: string };

export function transition(from: IncidentStatus, action: IncidentAction): TransitionResult {
  const to = TARGET[action];
  if (action === 'reopen') {
    return from === 'resolved'
      ? { ok: true, to }
      : { ok: false, reason: `only a resolved incident can be reopened (this one is ${from})` };
  }
  if (action === 'review') {
    return from === 'resolved'
      ? { ok: true, to }
      : { ok: false, reason: `only a resolved incident can be marked reviewed (this one is ${from})` };
  }
  if (from === 'reviewed') return { ok: false, reason: 'a reviewed incident is closed' };
  if (ORDER[to] <= ORDER[from]) {
    return { ok: false, reason: `cannot ${action} an incident that is already ${from}` };
  }
  return { ok: true, to };
}

export function isOpen(status: IncidentStatus): boolean {
  return status === 'triggered' || status === 'acknowledged' || status === 'mitigated';
}

/** Which timestamp column an action stamps. */
export function stampOf(
  action: IncidentAction,
): 'acknowledged' | 'mitigated' | 'resolved' | 'reviewed' | null {
  switch (action) {
    case 'acknowledge':
      return 'acknowledged';
    case 'mitigate':
      return 'mitigated';
    case 'resolve':
      return 'resolved';
    case 'review':
      return 'reviewed';
    case 'reopen':
      return null;
  }
}

export const SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** PagerDuty-style alert severities mapped onto incident severities (defaults; policy can change). */
export function severityFromAlert(severity: 'critical' | 'error' | 'warning' | 'info'): Severity {
  return ({ critical: 'SEV1', error: 'SEV2', warning: 'SEV3', info: 'SEV4' } as const)[severity];
}

/** Durations in seconds between stamps, null where a stamp is missing (skipped, never invented). */
export function responseTimes(incident: {
  triggered_at: string;
  acknowledged_at: string | null;
  mitigated_at: string | null;
  resolved_at: string | null;
}): { tta: number | null; ttm: number | null; ttr: number | null } {
  const start = Date.parse(incident.triggered_at);
  const since = (t: string | null) => (t ? Math.max(0, (Date.parse(t) - start) / 1000) : null);
  return {
    tta: since(incident.acknowledged_at),
    ttm: since(incident.mitigated_at),
    ttr: since(incident.resolved_at),
  };
}

/** The states a forward move jumps over (resolve from triggered skips acknowledged and mitigated). */
export function skippedStates(from: IncidentStatus, to: IncidentStatus): IncidentStatus[] {
  if (ORDER[to] <= ORDER[from] || to === 'reviewed') return [];
  return INCIDENT_STATUSES.filter((s) => ORDER[s] > ORDER[from] && ORDER[s] < ORDER[to]);
}
