import type { Db } from '../../db/database.ts';

/**
 * When each person last used engops, for stale-access flags on their role grants: the latest of
 * their sessions' last use (`sessions.last_seen_at`, kept while the session lives: logout, expiry,
 * a password change or disabling deletes it), their sign-ins (`auth.login` in the audit log, kept
 * for good) and the last use of any API token they created (`api_tokens.last_used_at`). Session and
 * token use are recorded at most once a minute per session or token (access's touch throttle).
 */
export async function lastActivity(db: Db): Promise<Map<string, string>> {
  const [sessions, logins, tokens] = await Promise.all([
    db
      .selectFrom('sessions')
      .select((eb) => ['user_id as who', eb.fn.max('last_seen_at').as('at')])
      .groupBy('user_id')
      .execute(),
    db
      .selectFrom('audit_log')
      .select((eb) => ['target_id as who', eb.fn.max('at').as('at')])
      .where('target_type', '=', 'user')
      .where('action', '=', 'auth.login')
      .groupBy('target_id')
      .execute(),
    db
      .selectFrom('api_tokens')
      .select((eb) => ['created_by as who', eb.fn.max('last_used_at').as('at')])
      .where('created_by', 'is not', null)
      .where('last_used_at', 'is not', null)
      .groupBy('created_by')
      .execute(),
  ]);
  const latest = new Map<string, string>();
  for (const row of [...sessions, ...logins, ...tokens]) {
    if (!row.who || !row.at) continue;
    const at = String(row.at);
    const seen = latest.get(row.who);
    if (!seen || at > seen) latest.set(row.who, at);
  }
  return latest;
}
