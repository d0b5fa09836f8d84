import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lowercase

let lastMs = -1;
let lastRandom = new Uint8Array(10);

/** Random bytes drawn 4 KiB at a time (one call into the CSPRNG per 409 ids, not per id). */
const POOL_BYTES = 4096;
let pool: Uint8Array<ArrayBuffer> = new Uint8Array(0);
let poolAt = 0;
function random10(): Uint8Array<ArrayBuffer> {
  if (poolAt + 10 > pool.length) {
    pool = new Uint8Array(randomBytes(POOL_BYTES));
    poolAt = 0;
  }
  poolAt += 10;
  return pool.slice(poolAt - 10, poolAt);
}

function encode(bytes: Uint8Array, length: number): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out.slice(0, length);
}

function encodeTime(ms: number): string {
  let out = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

/**
 * Time-ordered identifiers (ULID layout, lowercase) with a readable prefix: `team_01jd…`.
 * Ids made later in the same process sort after earlier ones, so cursors can page by id.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  if (now <= lastMs) {
    // Same millisecond (or clock went back): increment the random part to keep order.
    const next = new Uint8Array(lastRandom);
    for (let i = next.length - 1; i >= 0; i--) {
      const byte = next[i]!;
      if (byte < 255) {
        next[i] = byte + 1;
        break;
      }
      next[i] = 0;
    }
    lastRandom = next;
  } else {
    lastMs = now;
    lastRandom = random10();
  }
  return `${prefix}_${encodeTime(lastMs)}${encode(lastRandom, 16)}`;
}

/** The millisecond a `newId` id was made at, or undefined for another string. */
export function idTime(id: string): number | undefined {
  const time = id.slice(id.lastIndexOf('_') + 1, id.lastIndexOf('_') + 11);
  if (time.length !== 10) return undefined;
  let ms = 0;
  for (const c of time) {
    const digit = ALPHABET.indexOf(c);
    if (digit < 0) return undefined;
    ms = ms * 32 + digit;
  }
  return ms;
}

/** Sorts before every `prefix` id made at `ms` or later, and after every one made earlier. */
export const idFloor = (prefix: string, ms: number): string => `${prefix}_${encodeTime(Math.max(0, ms))}`;

/** A random secret, URL-safe, with a readable prefix (`eo_` for API tokens). */
export function newSecret(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}
