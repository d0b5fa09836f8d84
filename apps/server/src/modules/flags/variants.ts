import { type EvaluationInput, resolveContextValue } from './constraints.ts';
import { normalizedHash, VARIANT_SEED } from './normalized-hash.ts';
import type { VariantDefinition } from './types.ts';

/** Unleash's random variant seed when the context has no stickiness value. */
function randomSeed(random: () => number): string {
  return String(Math.round(random() * 100_000));
}

/** The identifier a variant choice hashes: the stickiness field, or userId/sessionId/remoteAddress. */
export function variantSeed(stickiness: string | undefined, input: EvaluationInput): string {
  const { context } = input;
  if (stickiness && stickiness !== 'default') {
    return resolveContextValue(context, stickiness) ?? randomSeed(input.random);
  }
  return (
    resolveContextValue(context, 'userId') ??
    resolveContextValue(context, 'sessionId') ??
    resolveContextValue(context, 'remoteAddress') ??
    randomSeed(input.random)
  );
}

function override(
  variants: readonly VariantDefinition[],
  input: EvaluationInput,
): VariantDefinition | undefined {
  for (const variant of variants) {
    for (const o of variant.overrides ?? []) {
      const value = resolveContextValue(input.context, o.contextName);
      if (value !== undefined && o.values.includes(value)) return variant;
    }
  }
  return undefined;
}

/**
 * Picks a variant by weight: overrides first, then the hash of `groupId:seed` (seed 86028157)
 * normalised to 1..total weight. Null when the weights add up to nothing.
 */
export function selectVariant(
  variants: readonly VariantDefinition[],
  groupId: string,
  stickiness: string | undefined,
  input: EvaluationInput,
): VariantDefinition | null {
  let total = 0;
  for (const v of variants) total += v.weight;
  if (total <= 0) return null;
  const forced = override(variants, input);
  if (forced) return forced;
  const target = normalizedHash(variantSeed(stickiness, input), groupId, total, VARIANT_SEED);
  let counter = 0;
  for (const v of variants) {
    if (v.weight === 0) continue;
    counter += v.weight;
    if (counter >= target) return v;
  }
  return null;
}
