import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Principal } from './access/permissions.ts';
import type { Clock } from './clock.ts';
import { newId } from './ids.ts';
import { pageById } from './pagination.ts';

export interface AuditEntryInput {
  action: string;
  targetType: string;
  targetId: string | null;
  teamId?: string | null;
  before?: unknown;
  after?: unknown;
}

export interface AuditContext {
  readonly principal: Principal;
  readonly requestId?: string;
}

const SECRET_KEYS = /^(password|password_hash|token|token_hash|secret|webhook_secret|csrf_token)$/i;

/** Drops secrets from what the audit log keeps (it records that they changed, never their value). */
export function redactForAudit(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactForAudit);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = SECRET_KEYS.test(k) ? '[redacted]' : redactForAudit(v);
    return out;
  }
  return value;
}

export interface AuditLog {
  /** Writes one entry with `db`, which must be the transaction that makes the change. */
  record(db: Db, ctx: AuditContext, entry: AuditEntryInput): Promise<void>;
}

export function createAuditLog(deps: { clock: Clock }): AuditLog {
  return {
    async record(db, ctx, entry) {
      await db
        .insertInto('audit_log')
        .values({
          id: newId('aud'),
          at: deps.clock.now().toISOString(),
          actor_type: ctx.principal.kind,
          actor_id: ctx.principal.id,
          actor_name: ctx.principal.name,
          action: entry.action,
          target_type: entry.targetType,
          target_id: entry.targetId,
          team_id: entry.teamId ?? null,
          before_json: entry.before === undefined ? null : JSON.stringify(redactForAudit(entry.before)),
          after_json: entry.after === undefined ? null : JSON.stringify(redactForAudit(entry.after)),
          request_id: ctx.requestId ?? null,
        })
        .execute();
    },
  };
}

export interface AuditQuery {
  limit: number;
  cursor?: string | undefined;
  actor_id?: string | undefined;
  action?: string | undefined;
  target_type?: string | undefined;
  target_id?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

/** Newest first. `action` matches a prefix: `team.` finds every team change. */
export function queryAuditLog(db: Db, query: AuditQuery) {
  return pageById(query, async (after, limit) => {
    let q = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit);
    if (after) q = q.where('id', '<', after);
    if (query.actor_id) q = q.where('actor_id', '=', query.actor_id);
    if (query.action) {
      // A prefix match with LIKE's wildcards escaped ('!' as the escape character on both engines).
      const prefix = `${query.action.replace(/[!%_]/g, (c) => `!${c}`)}%`;
      q = q.where(sql<boolean>`action like ${prefix} escape '!'`);
    }
    if (query.target_type) q = q.where('target_type', '=', query.target_type);
    if (query.target_id) q = q.where('target_id', '=', query.target_id);
    if (query.since) q = q.where('at', '>=', new Date(query.since).toISOString());
    if (query.until) q = q.where('at', '<', new Date(query.until).toISOString());
    const rows = await q.execute();
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor_type: r.actor_type,
      actor_id: r.actor_id,
      actor_name: r.actor_name,
      action: r.action,
      target_type: r.target_type,
      target_id: r.target_id,
      team_id: r.team_id,
      before: r.before_json ? (JSON.parse(r.before_json) as unknown) : null,
      after: r.after_json ? (JSON.parse(r.after_json) as unknown) : null,
      request_id: r.request_id,
    }));
  });
}
