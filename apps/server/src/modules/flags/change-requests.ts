import type {
  ChangeRequest,
  createChangeRequestSchema,
  EnvironmentChange,
  RolloutPlanChange,
} from '@engops/contracts';
import type { z } from 'zod';
import type { Db } from '../../db/database.ts';
import type { FlagChangeRequestsTable } from '../../db/schema.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { FlagsService } from './flags-service.ts';
import type { RolloutPlans } from './rollout-plans.ts';

type CreateChangeRequest = z.output<typeof createChangeRequestSchema>;

/** Who a principal is for four-eyes purposes: the person behind a session or token. */
export const personOf = (ctx: AuditContext) => ({
  id: ctx.principal.userId ?? ctx.principal.id,
  name: ctx.principal.name,
});

function toChangeRequest(row: FlagChangeRequestsTable): ChangeRequest {
  return {
    id: row.id,
    flag_key: row.flag_key,
    environment: row.environment,
    kind: row.kind as ChangeRequest['kind'],
    change: JSON.parse(row.change_json),
    reason: row.reason,
    status: row.status as ChangeRequest['status'],
    base_version: row.base_version,
    requested_by: { id: row.requested_by_id, name: row.requested_by_name },
    requested_at: row.requested_at,
    decided_by:
      row.decided_by_id === null ? null : { id: row.decided_by_id, name: row.decided_by_name ?? '' },
    decided_at: row.decided_at,
    decision_comment: row.decision_comment,
  };
}

/**
 * Change requests: in an environment that requires approval, a change to a flag (or a rollout
 * plan) is requested by one person and applied when a second person approves it: the change, the
 * request's new state and both audit entries commit in one transaction, or nothing does. A request
 * made against an older version of the flag is refused (FLAGS_CHANGE_REQUEST_STALE).
 */
export function createChangeRequests(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  flags: FlagsService;
  plans: RolloutPlans;
}) {
  const { db, clock, audit, flags, plans } = deps;
  const now = () => clock.now().toISOString();

  async function must(tx: Db, id: string): Promise<FlagChangeRequestsTable> {
    const row = await tx
      .selectFrom('flag_change_requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('FLAGS_CHANGE_REQUEST_NOT_FOUND', `No change request ${id}.`);
    return row;
  }

  async function decide(
    ctx: AuditContext,
    id: string,
    decision: 'applied' | 'rejected' | 'cancelled',
    comment: string | undefined,
  ): Promise<ChangeRequest> {
    const pending = await must(db, id);
    if (decision === 'applied' && pending.kind === 'rollout_plan')
      await plans.checkServices(
        (JSON.parse(pending.change_json) as { service_ids?: string[] }).service_ids,
        'change.service_ids',
      );
    return flags.transact(async (tx) => {
      const row = await must(tx, id);
      if (row.status !== 'pending')
        throw new AppError('FLAGS_CHANGE_REQUEST_CLOSED', `Change request ${id} is ${row.status}.`);
      const person = personOf(ctx);
      if (decision === 'applied' && person.id === row.requested_by_id)
        throw new AppError('FLAGS_SELF_APPROVAL', 'You requested this change: someone else must approve it.');
      if (decision === 'cancelled' && person.id !== row.requested_by_id)
        throw new AppError('AUTH_FORBIDDEN', 'Only the person who requested a change can cancel it.');
      const flag = await flags.getFlagIn(tx, row.flag_key);
      if (decision === 'applied') {
        if (flag.version !== row.base_version)
          throw new AppError(
            'FLAGS_CHANGE_REQUEST_STALE',
            `${row.flag_key} is at version ${flag.version}; the request was made at ${row.base_version}.`,
          );
        const change = JSON.parse(row.change_json);
        if (row.kind === 'environment')
          await flags.updateEnvironmentIn(tx, ctx, row.flag_key, row.environment, change, {
            approved: true,
          });
        else
          await plans.createIn(
            tx,
            ctx,
            row.flag_key,
            { ...change, environment: row.environment },
            { approved: true },
          );
      }
      const patch = {
        status: decision,
        decided_by_id: person.id,
        decided_by_name: person.name,
        decided_at: now(),
        decision_comment: comment ?? null,
      };
      await tx.updateTable('flag_change_requests').set(patch).where('id', '=', id).execute();
      const after = toChangeRequest({ ...row, ...patch });
      await audit.record(tx, ctx, {
        action: `flags.change_request.${decision === 'applied' ? 'approve' : decision === 'rejected' ? 'reject' : 'cancel'}`,
        targetType: 'flag_change_request',
        targetId: id,
        teamId: flag.owner_team_id,
        before: toChangeRequest(row),
        after,
      });
      return after;
    });
  }

  return {
    async create(ctx: AuditContext, input: CreateChangeRequest): Promise<ChangeRequest> {
      if (input.kind === 'environment') flags.checkEnvironmentPatch(input.change as EnvironmentChange);
      else
        await plans.checkServices((input.change as RolloutPlanChange).service_ids, 'body.change.service_ids');
      return flags.transact(async (tx) => {
        const flag = await flags.getFlagIn(tx, input.flag_key);
        await flags.requireEnvironmentIn(tx, input.environment);
        const person = personOf(ctx);
        const row: FlagChangeRequestsTable = {
          id: newId('fcr'),
          flag_key: input.flag_key,
          environment: input.environment,
          kind: input.kind,
          change_json: JSON.stringify(input.change),
          reason: input.reason ?? null,
          status: 'pending',
          base_version: flag.version,
          requested_by_id: person.id,
          requested_by_name: person.name,
          requested_at: now(),
          decided_by_id: null,
          decided_by_name: null,
          decided_at: null,
          decision_comment: null,
        };
        await tx.insertInto('flag_change_requests').values(row).execute();
        const view = toChangeRequest(row);
        await audit.record(tx, ctx, {
          action: 'flags.change_request.create',
          targetType: 'flag_change_request',
          targetId: row.id,
          teamId: flag.owner_team_id,
          after: view,
        });
        return view;
      });
    },
    async get(id: string): Promise<ChangeRequest> {
      return toChangeRequest(await must(db, id));
    },
    async list(filter: { status?: string | undefined; flag_key?: string | undefined } = {}) {
      let q = db.selectFrom('flag_change_requests').selectAll().orderBy('requested_at', 'desc').orderBy('id');
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.flag_key) q = q.where('flag_key', '=', filter.flag_key);
      return (await q.limit(500).execute()).map(toChangeRequest);
    },
    approve: (ctx: AuditContext, id: string, comment?: string) => decide(ctx, id, 'applied', comment),
    reject: (ctx: AuditContext, id: string, comment?: string) => decide(ctx, id, 'rejected', comment),
    cancel: (ctx: AuditContext, id: string) => decide(ctx, id, 'cancelled', undefined),
  };
}

export type ChangeRequests = ReturnType<typeof createChangeRequests>;
