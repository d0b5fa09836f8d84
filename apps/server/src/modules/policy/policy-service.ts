import { type Policy, policySchema } from '@engops/contracts';
import type { Db } from '../../db/database.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError, isUniqueViolation } from '../../platform/errors.ts';

const ROW_ID = 'org';

export interface PolicyDocument {
  policy: Policy;
  version: number;
  updated_at: string | null;
  updated_by: string | null;
}

/** The handbook's defaults: what an organisation gets before anyone edits its policy. */
export const defaultPolicy = (): Policy => policySchema.parse({});

/**
 * The one organisation policy. Stored documents are re-parsed on read, so settings added by a
 * later release get their defaults without a data migration.
 */
export function createPolicyService(deps: { db: Db; clock: Clock; audit: AuditLog }) {
  const { db, clock, audit } = deps;

  async function read(tx: Db): Promise<PolicyDocument> {
    const row = await tx.selectFrom('policy').selectAll().where('id', '=', ROW_ID).executeTakeFirst();
    if (!row) return { policy: defaultPolicy(), version: 0, updated_at: null, updated_by: null };
    return {
      policy: policySchema.parse(JSON.parse(row.document)),
      version: row.version,
      updated_at: row.updated_at,
      updated_by: row.updated_by,
    };
  }

  function write(ctx: AuditContext, policy: Policy, version: number): Promise<PolicyDocument> {
    return db.transaction().execute(async (tx) => {
      const before = await read(tx);
      if (before.version !== version) {
        throw new AppError(
          'POLICY_VERSION_CONFLICT',
          `You edited version ${version}; the current version is ${before.version}.`,
        );
      }
      const at = clock.now().toISOString();
      const next = {
        id: ROW_ID,
        document: JSON.stringify(policy),
        version: version + 1,
        updated_at: at,
        updated_by: ctx.principal.name,
      };
      if (version === 0) await tx.insertInto('policy').values(next).execute();
      else {
        const result = await tx
          .updateTable('policy')
          .set(next)
          .where('id', '=', ROW_ID)
          .where('version', '=', version)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) throw new AppError('POLICY_VERSION_CONFLICT');
      }
      await audit.record(tx, ctx, {
        action: 'policy.update',
        targetType: 'policy',
        targetId: ROW_ID,
        before: before.policy,
        after: policy,
      });
      return { policy, version: version + 1, updated_at: at, updated_by: ctx.principal.name };
    });
  }

  return {
    get: () => read(db),
    async current(): Promise<Policy> {
      return (await read(db)).policy;
    },
    async update(ctx: AuditContext, policy: Policy, version: number): Promise<PolicyDocument> {
      try {
        return await write(ctx, policy, version);
      } catch (error) {
        // Two first edits at once: the loser's insert of the policy row hits its primary key.
        if (isUniqueViolation(error)) {
          throw new AppError('POLICY_VERSION_CONFLICT', 'The policy was changed meanwhile.', {
            cause: error,
          });
        }
        throw error;
      }
    },
  };
}

export type PolicyService = ReturnType<typeof createPolicyService>;
