/**
 * The DORA arithmetic, pure: records in, figures and the records behind them out. The definitions
 * are engops' own (docs/guides/dora.md) and this file is their one implementation.
 *
 * Windows are half-open, [from, to): a deployment counts when it finished at or after `from` and
 * before `to`; an incident counts when it was triggered in the window.
 */

export interface Window {
  /** ISO-8601 UTC instants. */
  from: string;
  to: string;
}

export interface DeploymentRecord {
  id: string;
  service_id: string;
  status: 'success' | 'failure';
  kind: 'normal' | 'rollback' | 'hotfix';
  rollback_of: string | null;
  finished_at: string;
  version?: string | null;
  commit_sha?: string;
  /** Some later deployment (inside or outside the window) is a rollback of this one. */
  rolled_back?: boolean;
}

/** One commit contained in one successful production deployment. */
export interface ChangeRecord {
  service_id: string;
  sha: string;
  /** Commit time; null when engops never learnt it (such a change has no lead time). */
  committed_at: string | null;
  deployment_id: string;
  /** Finish of the deployment that contains it. */
  deployed_at: string;
  /** The commit was already in a successful production deployment that finished before the window. */
  deployed_before?: boolean;
}

export interface IncidentRecord {
  id: string;
  service_id: string;
  triggered_at: string;
  mitigated_at: string | null;
  resolved_at: string | null;
  caused_by_deployment_id: string | null;
}

export interface DoraInput {
  window: Window;
  /** Production deployments; those outside the window are ignored. */
  deployments: DeploymentRecord[];
  /** Commits of successful production deployments (any deployments; see leadTimes). */
  changes: ChangeRecord[];
  /** Incidents of the same services: those triggered in the window count for time to restore; any incident can name a deployment as its cause. */
  incidents: IncidentRecord[];
}

export interface FailedDeployment extends DeploymentRecord {
  failed: boolean;
  failure_reasons: Array<'status' | 'rolled_back' | 'incident'>;
}

export interface LeadTimeChange {
  service_id: string;
  sha: string;
  committed_at: string;
  deployment_id: string;
  deployed_at: string;
  lead_seconds: number;
}

export interface RestoreRecord {
  id: string;
  service_id: string;
  triggered_at: string;
  restored_at: string | null;
  restore_seconds: number | null;
}

export interface DoraFigures {
  window: { from: string; to: string; days: number };
  deployment_frequency: { per_day: number; deployments: number };
  lead_time: { median_seconds: number | null; p90_seconds: number | null; changes: number };
  change_failure_rate: { value: number | null; failed: number; deployments: number };
  time_to_restore: { median_seconds: number | null; incidents: number };
  rework_rate: { value: number | null; reworked: number; deployments: number };
  evidence: {
    deployments: FailedDeployment[];
    successful: DeploymentRecord[];
    changes: LeadTimeChange[];
    incidents: RestoreRecord[];
  };
}

const DAY_MS = 86_400_000;

const ms = (iso: string) => Date.parse(iso);
export const inWindow = (iso: string, w: Window) => {
  const t = ms(iso);
  return t >= ms(w.from) && t < ms(w.to);
};

/** Median of the values (mean of the two middle values for an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile: the smallest value with at least p% of values at or below it. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function windowDays(w: Window): number {
  return (ms(w.to) - ms(w.from)) / DAY_MS;
}

/**
 * Lead time: each commit counts once, at the first successful production deployment containing
 * it, if that deployment finished in the window and no earlier one (before the window) shipped it.
 */
export function leadTimes(window: Window, changes: readonly ChangeRecord[]): LeadTimeChange[] {
  const first = new Map<string, ChangeRecord>();
  const shippedBefore = new Set<string>();
  for (const c of changes) {
    const key = `${c.service_id}\u0000${c.sha}`;
    if (c.deployed_before || ms(c.deployed_at) < ms(window.from)) {
      shippedBefore.add(key);
      continue;
    }
    if (!inWindow(c.deployed_at, window)) continue;
    const seen = first.get(key);
    if (!seen || ms(c.deployed_at) < ms(seen.deployed_at)) first.set(key, c);
  }
  const out: LeadTimeChange[] = [];
  for (const [key, c] of first) {
    if (shippedBefore.has(key) || c.committed_at === null) continue;
    out.push({
      service_id: c.service_id,
      sha: c.sha,
      committed_at: c.committed_at,
      deployment_id: c.deployment_id,
      deployed_at: c.deployed_at,
      // A commit time after the deploy (clock skew, rebased commit) counts as zero, never negative.
      lead_seconds: Math.max(0, (ms(c.deployed_at) - ms(c.committed_at)) / 1000),
    });
  }
  return out.sort((a, b) => ms(a.deployed_at) - ms(b.deployed_at) || a.sha.localeCompare(b.sha));
}

/** Triggered -> mitigated, or -> resolved when no mitigation was recorded; null while still open. */
export function restoreSeconds(i: IncidentRecord): number | null {
  const restored = i.mitigated_at ?? i.resolved_at;
  if (!restored) return null;
  return Math.max(0, (ms(restored) - ms(i.triggered_at)) / 1000);
}

export function computeDora(input: DoraInput): DoraFigures {
  const { window } = input;
  const days = windowDays(window);
  const deployments = input.deployments
    .filter((d) => inWindow(d.finished_at, window))
    .sort((a, b) => ms(a.finished_at) - ms(b.finished_at) || a.id.localeCompare(b.id));

  // Deployment frequency.
  const successful = deployments.filter((d) => d.status === 'success');
  const perDay = days > 0 ? successful.length / days : 0;

  // Change failure rate.
  const rolledBack = new Set<string>();
  for (const d of input.deployments)
    if (d.kind === 'rollback' && d.rollback_of) rolledBack.add(d.rollback_of);
  const causedIncident = new Set<string>();
  for (const i of input.incidents)
    if (i.caused_by_deployment_id) causedIncident.add(i.caused_by_deployment_id);
  const judged: FailedDeployment[] = deployments.map((d) => {
    const reasons: FailedDeployment['failure_reasons'] = [];
    if (d.status === 'failure') reasons.push('status');
    if (d.rolled_back || rolledBack.has(d.id)) reasons.push('rolled_back');
    if (causedIncident.has(d.id)) reasons.push('incident');
    return { ...d, failed: reasons.length > 0, failure_reasons: reasons };
  });
  const failed = judged.filter((d) => d.failed).length;

  // Lead time.
  const changes = leadTimes(window, input.changes);
  const leads = changes.map((c) => c.lead_seconds);

  // Time to restore.
  const incidents: RestoreRecord[] = input.incidents
    .filter((i) => inWindow(i.triggered_at, window))
    .sort((a, b) => ms(a.triggered_at) - ms(b.triggered_at) || a.id.localeCompare(b.id))
    .map((i) => {
      const seconds = restoreSeconds(i);
      return {
        id: i.id,
        service_id: i.service_id,
        triggered_at: i.triggered_at,
        restored_at: i.mitigated_at ?? i.resolved_at,
        restore_seconds: seconds,
      };
    });
  const restores = incidents.map((i) => i.restore_seconds).filter((s): s is number => s !== null);

  // Rework rate.
  const reworked = deployments.filter((d) => d.kind === 'rollback' || d.kind === 'hotfix').length;

  const total = deployments.length;
  return {
    window: { from: window.from, to: window.to, days },
    deployment_frequency: { per_day: perDay, deployments: successful.length },
    lead_time: { median_seconds: median(leads), p90_seconds: percentile(leads, 90), changes: leads.length },
    change_failure_rate: { value: total > 0 ? failed / total : null, failed, deployments: total },
    time_to_restore: { median_seconds: median(restores), incidents: restores.length },
    rework_rate: { value: total > 0 ? reworked / total : null, reworked, deployments: total },
    evidence: { deployments: judged, successful, changes, incidents },
  };
}
