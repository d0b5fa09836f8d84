import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/database.ts';

/**
 * Signed, expiring tokens for links sent in notifications (acknowledge from an email). The key
 * lives in the database so every server process signs and verifies alike.
 */
export function createSigner(deps: { db: Db }) {
  let key: Promise<Buffer> | undefined;

  async function load(): Promise<Buffer> {
    const at = new Date().toISOString();
    await deps.db
      .insertInto('instance_settings')
      .values({ key: 'signing_key', value: randomBytes(32).toString('base64url'), updated_at: at })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const row = await deps.db
      .selectFrom('instance_settings')
      .select('value')
      .where('key', '=', 'signing_key')
      .executeTakeFirstOrThrow();
    return Buffer.from(row.value, 'base64url');
  }
  const getKey = () => {
    key ??= load().catch((error: unknown) => {
      key = undefined;
      throw error;
    });
    return key;
  };

  return {
    async sign(claims: Record<string, string | number>): Promise<string> {
      const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
      const mac = createHmac('sha256', await getKey())
        .update(body)
        .digest('base64url');
      return `${body}.${mac}`;
    },
    /** The claims when the signature is valid and `exp` (unix seconds) is in the future, else null. */
    async verify(token: string, now: Date): Promise<Record<string, string | number> | null> {
      const [body, mac] = token.split('.');
      if (!body || !mac) return null;
      const expected = createHmac('sha256', await getKey())
        .update(body)
        .digest();
      const given = Buffer.from(mac, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      try {
        const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<
          string,
          string | number
        >;
        if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now.getTime()) return null;
        return claims;
      } catch {
        return null;
      }
    },
  };
}

export type Signer = ReturnType<typeof createSigner>;
