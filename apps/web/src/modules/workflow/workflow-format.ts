/** Durations as people read them: 45 min, 5.5 h, 3.2 d. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 72 * 3600) return `${Math.round((seconds / 3600) * 10) / 10} h`;
  return `${Math.round((seconds / 86400) * 10) / 10} d`;
}

export function formatShare(share: number | null | undefined): string {
  return share === null || share === undefined ? '—' : `${Math.round(share * 100)}%`;
}

/** The last `days` days, ending now (rounded to the minute so the cache key is stable). */
export function windowOf(days: number, now = Date.now()): { from: string; to: string } {
  const to = Math.floor(now / 60_000) * 60_000;
  return { from: new Date(to - days * 86_400_000).toISOString(), to: new Date(to).toISOString() };
}

/** The review-time chart's vertical scale: at least 1.5 times the target so the line shows. */
export function chartMax(values: readonly number[], targetSeconds: number): number {
  return Math.max(targetSeconds * 1.5, ...values.map((v) => v * 1.1));
}
