import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { ContactMethod, NotificationRule } from '@engops/contracts';
import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { OncallContactMethodsTable, OncallNotificationRulesTable } from '../../db/schema.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError, isUniqueViolation } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { ChannelName, Notifier } from '../../platform/notifications/notifications-service.ts';
import type { CatalogService } from '../catalog/index.ts';

type MethodRow = Selectable<OncallContactMethodsTable>;
type RuleRow = Selectable<OncallNotificationRulesTable>;

/** A verification code is good for an hour and five tries; then send a new one. */
const CODE_TTL_MS = 3_600_000;
const CODE_MAX_ATTEMPTS = 5;

/** How one person is reached when paged: a channel, an address, and when (seconds after the page). */
export interface ContactStep {
  channel: ChannelName;
  address: string;
  delay_seconds: number;
  contact_method_id: string | null;
  rule_id: string | null;
}

function hashCode(methodId: string, code: string): string {
  return createHash('sha256').update(`${methodId}:${code}`).digest('hex');
}

function methodView(row: MethodRow): ContactMethod {
  return {
    id: row.id,
    user_id: row.user_id,
    type: row.type as ContactMethod['type'],
    address: row.address,
    label: row.label,
    verified: Number(row.verified) === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function ruleView(row: RuleRow): NotificationRule {
  return {
    id: row.id,
    user_id: row.user_id,
    contact_method_id: row.contact_method_id,
    delay_seconds: Number(row.delay_seconds),
    created_at: row.created_at,
  };
}

/** Masks an address for people who may see that a method exists but not where it points. */
export function maskAddress(type: string, address: string): string {
  if (type === 'email') {
    const [local = '', domain = ''] = address.split('@');
    return `${local.slice(0, 1)}…@${domain}`;
  }
  try {
    return `${new URL(address).origin}/…`;
  } catch {
    return '…';
  }
}

/**
 * Contact methods (email, webhook, Slack) and notification rules per person. A method receives
 * pages only once verified with the code sent to it. Without rules every verified method is
 * notified at once; a person with no contact method at all is paged at their account email.
 */
export function createContactsService(deps: {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  notifier: Notifier;
  catalog: CatalogService;
}) {
  const { db, clock, audit } = deps;
  const now = () => clock.now().toISOString();

  async function mustMethod(tx: Db, userId: string, id: string): Promise<MethodRow> {
    const row = await tx
      .selectFrom('oncall_contact_methods')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row)
      throw new AppError('ONCALL_CONTACT_METHOD_NOT_FOUND', `Person ${userId} has no contact method ${id}.`);
    return row;
  }

  /** Issues a fresh code, stores its hash, and sends it to the address (same transaction). */
  async function sendCode(tx: Db, row: MethodRow): Promise<void> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await tx
      .updateTable('oncall_contact_methods')
      .set({
        code_hash: hashCode(row.id, code),
        code_expires_at: new Date(clock.now().getTime() + CODE_TTL_MS).toISOString(),
        code_attempts: 0,
        updated_at: now(),
      })
      .where('id', '=', row.id)
      .execute();
    await deps.notifier.send(tx, {
      channel: row.type as ChannelName,
      target: row.address,
      subject: 'engops: verify this contact method',
      text: `Your engops verification code is ${code}. It expires in one hour. If you did not add this contact method, ignore this message.`,
      data: { kind: 'contact-method-verification', contact_method_id: row.id, code },
      source: `contact-method:${row.id}`,
    });
  }

  return {
    async list(userId: string): Promise<ContactMethod[]> {
      await deps.catalog.getUser(userId);
      const rows = await db
        .selectFrom('oncall_contact_methods')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(methodView);
    },

    async create(
      ctx: AuditContext,
      userId: string,
      input: { type: ChannelName; address: string; label?: string | undefined },
    ): Promise<ContactMethod> {
      await deps.catalog.getUser(userId);
      if (!deps.notifier.isConfigured(input.type))
        throw new AppError('NOTIFICATIONS_CHANNEL_NOT_CONFIGURED', `engops cannot send ${input.type} yet.`);
      const at = now();
      const row: MethodRow = {
        id: newId('cm'),
        user_id: userId,
        type: input.type,
        address: input.address,
        label: input.label ?? null,
        verified: 0,
        code_hash: null,
        code_expires_at: null,
        code_attempts: 0,
        created_at: at,
        updated_at: at,
      };
      try {
        await db.transaction().execute(async (tx) => {
          await tx.insertInto('oncall_contact_methods').values(row).execute();
          await sendCode(tx, row);
          await audit.record(tx, ctx, {
            action: 'contact_method.create',
            targetType: 'user',
            targetId: userId,
            after: { id: row.id, type: row.type, address: row.address },
          });
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError(
            'ONCALL_CONTACT_METHOD_TAKEN',
            `This person already has ${input.type} ${input.address}.`,
            {
              errors: [{ path: 'body.address', message: 'already added' }],
            },
          );
        throw error;
      }
      return methodView(row);
    },

    async resendCode(ctx: AuditContext, userId: string, id: string): Promise<ContactMethod> {
      return db.transaction().execute(async (tx) => {
        const row = await mustMethod(tx, userId, id);
        if (Number(row.verified) === 1) return methodView(row);
        await sendCode(tx, row);
        await audit.record(tx, ctx, {
          action: 'contact_method.send_code',
          targetType: 'user',
          targetId: userId,
          after: { id },
        });
        return methodView(await mustMethod(tx, userId, id));
      });
    },

    async verify(ctx: AuditContext, userId: string, id: string, code: string): Promise<ContactMethod> {
      const outcome = await db.transaction().execute(async (tx) => {
        const row = await mustMethod(tx, userId, id);
        if (Number(row.verified) === 1) return { ok: true as const, row };
        const expired = !row.code_expires_at || Date.parse(row.code_expires_at) <= clock.now().getTime();
        const tooMany = Number(row.code_attempts) >= CODE_MAX_ATTEMPTS;
        const expected = Buffer.from(row.code_hash ?? '', 'hex');
        const given = Buffer.from(hashCode(row.id, code), 'hex');
        const match = expected.length === given.length && timingSafeEqual(expected, given);
        if (expired || tooMany || !match) {
          // The failed try counts (committed), so guessing is bounded.
          await tx
            .updateTable('oncall_contact_methods')
            .set({ code_attempts: Number(row.code_attempts) + 1 })
            .where('id', '=', id)
            .execute();
          return { ok: false as const, row };
        }
        const at = now();
        await tx
          .updateTable('oncall_contact_methods')
          .set({ verified: 1, code_hash: null, code_expires_at: null, updated_at: at })
          .where('id', '=', id)
          .execute();
        await audit.record(tx, ctx, {
          action: 'contact_method.verify',
          targetType: 'user',
          targetId: userId,
          after: { id, type: row.type, address: row.address },
        });
        return { ok: true as const, row: { ...row, verified: 1, updated_at: at } };
      });
      if (!outcome.ok)
        throw new AppError('ONCALL_CONTACT_CODE_INVALID', 'This code does not verify the contact method.', {
          errors: [{ path: 'body.code', message: 'wrong, expired or tried too often' }],
        });
      return methodView(outcome.row);
    },

    async remove(ctx: AuditContext, userId: string, id: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const row = await mustMethod(tx, userId, id);
        await tx.deleteFrom('oncall_notification_rules').where('contact_method_id', '=', id).execute();
        await tx.deleteFrom('oncall_contact_methods').where('id', '=', id).execute();
        await audit.record(tx, ctx, {
          action: 'contact_method.delete',
          targetType: 'user',
          targetId: userId,
          before: { id, type: row.type, address: row.address },
        });
      });
    },

    async listRules(userId: string): Promise<{ items: NotificationRule[]; default_rules: boolean }> {
      await deps.catalog.getUser(userId);
      const rows = await db
        .selectFrom('oncall_notification_rules')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('delay_seconds')
        .orderBy('id')
        .execute();
      return { items: rows.map(ruleView), default_rules: rows.length === 0 };
    },

    async createRule(
      ctx: AuditContext,
      userId: string,
      input: { contact_method_id: string; delay_seconds: number },
    ): Promise<NotificationRule> {
      const row: RuleRow = {
        id: newId('nrule'),
        user_id: userId,
        contact_method_id: input.contact_method_id,
        delay_seconds: input.delay_seconds,
        created_at: now(),
      };
      try {
        await db.transaction().execute(async (tx) => {
          await mustMethod(tx, userId, input.contact_method_id).catch((error: unknown) => {
            if (error instanceof AppError)
              throw new AppError('ONCALL_CONTACT_METHOD_NOT_FOUND', error.message, {
                errors: [
                  { path: 'body.contact_method_id', message: 'not one of this person’s contact methods' },
                ],
              });
            throw error;
          });
          await tx.insertInto('oncall_notification_rules').values(row).execute();
          await audit.record(tx, ctx, {
            action: 'notification_rule.create',
            targetType: 'user',
            targetId: userId,
            after: { id: row.id, contact_method_id: row.contact_method_id, delay_seconds: row.delay_seconds },
          });
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError('ONCALL_NOTIFICATION_RULE_TAKEN', 'This rule exists already.', {
            errors: [
              { path: 'body.delay_seconds', message: 'this method is already notified after this delay' },
            ],
          });
        throw error;
      }
      return ruleView(row);
    },

    async removeRule(ctx: AuditContext, userId: string, ruleId: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const row = await tx
          .selectFrom('oncall_notification_rules')
          .selectAll()
          .where('id', '=', ruleId)
          .where('user_id', '=', userId)
          .executeTakeFirst();
        if (!row)
          throw new AppError(
            'ONCALL_NOTIFICATION_RULE_NOT_FOUND',
            `Person ${userId} has no notification rule ${ruleId}.`,
          );
        await tx.deleteFrom('oncall_notification_rules').where('id', '=', ruleId).execute();
        await audit.record(tx, ctx, {
          action: 'notification_rule.delete',
          targetType: 'user',
          targetId: userId,
          before: ruleView(row),
        });
      });
    },

    /**
     * The contact plan for paging a person: their rules over verified methods; without rules every
     * verified method at once; with no contact method at all, their account email at once. Empty
     * when they have methods but none verified (the caller notes it on the timeline).
     */
    async plan(userId: string, accountEmail: string): Promise<ContactStep[]> {
      const methods = await db
        .selectFrom('oncall_contact_methods')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      if (methods.length === 0)
        return [
          {
            channel: 'email',
            address: accountEmail,
            delay_seconds: 0,
            contact_method_id: null,
            rule_id: null,
          },
        ];
      const verified = new Map(methods.filter((m) => Number(m.verified) === 1).map((m) => [m.id, m]));
      const rules = await db
        .selectFrom('oncall_notification_rules')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('delay_seconds')
        .orderBy('id')
        .execute();
      const steps: ContactStep[] = [];
      if (rules.length === 0) {
        for (const m of verified.values())
          steps.push({
            channel: m.type as ChannelName,
            address: m.address,
            delay_seconds: 0,
            contact_method_id: m.id,
            rule_id: null,
          });
        return steps;
      }
      for (const r of rules) {
        const m = verified.get(r.contact_method_id);
        if (!m) continue;
        steps.push({
          channel: m.type as ChannelName,
          address: m.address,
          delay_seconds: Number(r.delay_seconds),
          contact_method_id: m.id,
          rule_id: r.id,
        });
      }
      return steps;
    },

    /** A verified method, for a delayed notification job (null if removed or unverified since). */
    async verifiedMethod(id: string): Promise<MethodRow | undefined> {
      return db
        .selectFrom('oncall_contact_methods')
        .selectAll()
        .where('id', '=', id)
        .where('verified', '=', 1)
        .executeTakeFirst();
    },
  };
}

export type ContactsService = ReturnType<typeof createContactsService>;
