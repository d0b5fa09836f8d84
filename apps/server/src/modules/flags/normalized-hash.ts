import { murmurhash3 } from './murmurhash3.ts';

/** The seed Unleash hashes with when choosing a variant (rollout uses seed 0). */
export const VARIANT_SEED = 86028157;

/**
 * Unleash's normalisation: MurmurHash3 of `groupId:identifier`, mapped onto 1..normalizer. Rollout
 * compares it with a percentage (normalizer 100, seed 0); variants with the total weight and
 * {@link VARIANT_SEED}.
 */
export function normalizedHash(identifier: string, groupId: string, normalizer = 100, seed = 0): number {
  return (murmurhash3(`${groupId}:${identifier}`, seed) % normalizer) + 1;
}
