/**
 * Lead time of one change, stored at write time (table dora_changes, migration 0008) so that the
 * metric queries read numbers instead of joining commits to deployments.
 *
 * `lead_seconds` is computed exactly as dora-metrics.ts does (whole milliseconds / 1000, never
 * negative). `lead_bucket` is a monotone coarse key of it (a small float: 6 significant bits of
 * the whole seconds), so that a percentile is found by counting per bucket through an index and
 * sorting only the few rows of the bucket that holds the wanted rank.
 */

const MAX_WHOLE_SECONDS = 4_294_967_295;

/** Milliseconds from commit to deployment finish, clamped at zero (clock skew, rebased commits). */
export function leadMs(committedAt: string, deployedAt: string): number {
  return Math.max(0, Date.parse(deployedAt) - Date.parse(committedAt));
}

/**
 * The bucket of a lead of `ms` milliseconds: whole seconds below 64 are their own bucket; above,
 * 32 buckets per doubling. Monotone: a longer lead never has a smaller bucket. At most 895.
 */
export function leadBucket(ms: number): number {
  const x = Math.min(MAX_WHOLE_SECONDS, Math.floor(ms / 1000));
  if (x < 64) return x;
  const bits = 32 - Math.clz32(x);
  return (bits - 6) * 32 + Math.floor(x / 2 ** (bits - 6));
}

export const MAX_LEAD_BUCKET = leadBucket(MAX_WHOLE_SECONDS * 1000);

/** The same bucket as SQL over an integer expression of whole seconds (SQLite and PostgreSQL). */
export function leadBucketSql(wholeSeconds: string): string {
  const x = `(case when ${wholeSeconds} > ${MAX_WHOLE_SECONDS} then ${MAX_WHOLE_SECONDS} else ${wholeSeconds} end)`;
  const arms = [`when ${x} < 64 then ${x}`];
  for (let bits = 7; bits <= 32; bits++)
    arms.push(`when ${x} < ${2 ** bits} then ${(bits - 6) * 32} + (${x} / ${2 ** (bits - 6)})`);
  return `(case ${arms.join(' ')} end)`;
}

export interface ChangeLead {
  committed_at: string | null;
  lead_seconds: number | null;
  lead_bucket: number | null;
}

export function changeLead(committedAt: string | null, deployedAt: string): ChangeLead {
  if (committedAt === null) return { committed_at: null, lead_seconds: null, lead_bucket: null };
  const ms = leadMs(committedAt, deployedAt);
  return { committed_at: committedAt, lead_seconds: ms / 1000, lead_bucket: leadBucket(ms) };
}
