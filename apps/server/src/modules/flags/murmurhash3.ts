/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain algorithm), over the UTF-8 bytes
 * of a string. Unleash hashes `groupId:stickinessValue` with it, so our numbers must be bit-exact.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const encoder = new TextEncoder();

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix32(input: number): number {
  let h = input;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The unsigned 32-bit hash of `key` (a string is hashed as UTF-8). */
export function murmurhash3(key: string | Uint8Array, seed = 0): number {
  const bytes = typeof key === 'string' ? encoder.encode(key) : key;
  const length = bytes.length;
  const blocks = length - (length % 4);
  let h = seed >>> 0;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, C1);
    k = rotl32(k, 15);
    k = Math.imul(k, C2);
    h ^= k;
    h = rotl32(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  const rest = length & 3;
  if (rest === 3) tail ^= (bytes[blocks + 2] as number) << 16;
  if (rest >= 2) tail ^= (bytes[blocks + 1] as number) << 8;
  if (rest >= 1) {
    tail ^= bytes[blocks] as number;
    tail = Math.imul(tail, C1);
    tail = rotl32(tail, 15);
    tail = Math.imul(tail, C2);
    h ^= tail;
  }
  h ^= length;
  return fmix32(h);
}
