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
  if (typeof key === 'string') {
    // Fast path: an ASCII string is its own UTF-8, so hash its char codes without encoding it; the
    // hash gives up (-1) at the first non-ASCII code and the UTF-8 bytes are hashed instead.
    const ascii = hashAscii(key, seed);
    return ascii >= 0 ? ascii : hashBytes(encoder.encode(key), seed);
  }
  return hashBytes(key, seed);
}

function mixK(input: number): number {
  let k = Math.imul(input, C1);
  k = rotl32(k, 15);
  return Math.imul(k, C2);
}

function hashAscii(key: string, seed: number): number {
  const length = key.length;
  const blocks = length - (length % 4);
  let h = seed >>> 0;
  for (let i = 0; i < blocks; i += 4) {
    const c0 = key.charCodeAt(i);
    const c1 = key.charCodeAt(i + 1);
    const c2 = key.charCodeAt(i + 2);
    const c3 = key.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) > 0x7f) return -1;
    h ^= mixK(c0 | (c1 << 8) | (c2 << 16) | (c3 << 24));
    h = rotl32(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  const rest = length & 3;
  for (let i = blocks; i < length; i++) if (key.charCodeAt(i) > 0x7f) return -1;
  if (rest === 3) tail ^= key.charCodeAt(blocks + 2) << 16;
  if (rest >= 2) tail ^= key.charCodeAt(blocks + 1) << 8;
  if (rest >= 1) {
    tail ^= key.charCodeAt(blocks);
    h ^= mixK(tail);
  }
  h ^= length;
  return fmix32(h);
}

function hashBytes(bytes: Uint8Array, seed: number): number {
  const length = bytes.length;
  const blocks = length - (length % 4);
  let h = seed >>> 0;
  for (let i = 0; i < blocks; i += 4) {
    h ^= mixK(
      (bytes[i] as number) |
        ((bytes[i + 1] as number) << 8) |
        ((bytes[i + 2] as number) << 16) |
        ((bytes[i + 3] as number) << 24),
    );
    h = rotl32(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  const rest = length & 3;
  if (rest === 3) tail ^= (bytes[blocks + 2] as number) << 16;
  if (rest >= 2) tail ^= (bytes[blocks + 1] as number) << 8;
  if (rest >= 1) {
    tail ^= bytes[blocks] as number;
    h ^= mixK(tail);
  }
  h ^= length;
  return fmix32(h);
}
