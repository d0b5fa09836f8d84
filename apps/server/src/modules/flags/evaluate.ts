import { compileConstraints, type EvaluationInput, type Predicate } from './constraints.ts';
import { compileStrategy, type StrategyRule } from './strategies.ts';
import {
  type ClientFeature,
  type ClientFeatures,
  DISABLED_VARIANT_NAME,
  type FlagContext,
  type FlagDependency,
  type Segment,
  type VariantDefinition,
  type VariantResult,
} from './types.ts';
import { selectVariant } from './variants.ts';

/**
 * Why a flag evaluated as it did, in OpenFeature's vocabulary: DISABLED (off in this environment
 * or a dependency unmet), STATIC (on with no targeting), TARGETING_MATCH (a strategy matched),
 * SPLIT (a variant chosen by weight), DEFAULT (on, but no strategy matched).
 */
export type EvaluationReason = 'DISABLED' | 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DEFAULT';

export interface Evaluation {
  name: string;
  enabled: boolean;
  variant: VariantResult;
  reason: EvaluationReason;
}

interface CompiledStrategy {
  rule: StrategyRule;
  constraints: Predicate;
  variants: VariantDefinition[];
  groupId: string;
  stickiness: string | undefined;
  targeted: boolean;
}

interface CompiledFeature {
  feature: ClientFeature;
  strategies: CompiledStrategy[];
  variants: VariantDefinition[];
  dependencies: FlagDependency[];
}

export interface EngineOptions {
  /** The time DATE_* constraints compare with when the context has no currentTime. */
  now?: () => Date;
  /** Random source for random stickiness (tests pass a seeded one). */
  random?: () => number;
  /** This host's name, for the applicationHostname strategy. */
  hostname?: string;
}

interface StrategyOutcome {
  enabled: boolean;
  variant?: VariantDefinition;
  targeted: boolean;
}

// Answers are shared, frozen objects: the same variant is the same object in every evaluation
// (callers compare them by identity to reuse work, as the OFREP bulk evaluator does).
const DISABLED_OFF: VariantResult = Object.freeze({
  name: DISABLED_VARIANT_NAME,
  enabled: false,
  feature_enabled: false,
});
const DISABLED_ON: VariantResult = Object.freeze({
  name: DISABLED_VARIANT_NAME,
  enabled: false,
  feature_enabled: true,
});
const disabledVariant = (featureEnabled: boolean): VariantResult =>
  featureEnabled ? DISABLED_ON : DISABLED_OFF;

const results = new WeakMap<VariantDefinition, VariantResult>();
function toResult(variant: VariantDefinition): VariantResult {
  let result = results.get(variant);
  if (!result) {
    result = Object.freeze(
      variant.payload
        ? { name: variant.name, payload: variant.payload, enabled: true, feature_enabled: true }
        : { name: variant.name, enabled: true, feature_enabled: true },
    );
    results.set(variant, result);
  }
  return result;
}

/**
 * The evaluation engine: compiles one environment's flags (Unleash client-features format) once,
 * then answers isEnabled / getVariant / evaluate with Unleash's semantics. Pure: time and
 * randomness are injected.
 */
export function createEngine(state: ClientFeatures, options: EngineOptions = {}) {
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const segments = new Map<number, Segment>((state.segments ?? []).map((s) => [s.id, s]));
  const features = new Map<string, CompiledFeature>();

  for (const feature of state.features) {
    const strategies: CompiledStrategy[] = [];
    for (const strategy of feature.strategies ?? []) {
      if (strategy.disabled === true) continue;
      const constraints = [
        ...(strategy.constraints ?? []),
        ...(strategy.segments ?? []).flatMap((id) => segments.get(id)?.constraints ?? [undefined]),
      ];
      const groupId = strategy.parameters?.groupId;
      const stickiness = strategy.parameters?.stickiness;
      strategies.push({
        rule: compileStrategy(strategy, feature.name, options.hostname),
        constraints: compileConstraints(constraints),
        variants: strategy.variants ?? [],
        groupId: groupId ? String(groupId) : feature.name,
        stickiness: stickiness ? String(stickiness) : undefined,
        targeted: strategy.name !== 'default' || constraints.length > 0,
      });
    }
    features.set(feature.name, {
      feature,
      strategies,
      variants: feature.variants ?? [],
      dependencies: feature.dependencies ?? [],
    });
  }
  const hasDisabledOnly = (f: CompiledFeature) =>
    f.strategies.length === 0 && (f.feature.strategies ?? []).length > 0;

  function runStrategies(compiled: CompiledFeature, input: EvaluationInput): StrategyOutcome {
    if (compiled.strategies.length === 0) return { enabled: !hasDisabledOnly(compiled), targeted: false };
    for (const s of compiled.strategies) {
      if (!s.constraints(input) || !s.rule(input)) continue;
      const variant =
        s.variants.length > 0
          ? (selectVariant(s.variants, s.groupId, s.stickiness, input) ?? undefined)
          : undefined;
      return variant
        ? { enabled: true, variant, targeted: s.targeted }
        : { enabled: true, targeted: s.targeted };
    }
    return { enabled: false, targeted: true };
  }

  function dependenciesMet(compiled: CompiledFeature, input: EvaluationInput): boolean {
    for (const dep of compiled.dependencies) {
      const parent = features.get(dep.feature);
      // Missing parents and parents that themselves depend on others (no chains) never satisfy.
      if (!parent || parent.dependencies.length > 0) return false;
      const outcome = parent.feature.enabled ? runStrategies(parent, input) : { enabled: false };
      if (dep.enabled === false) {
        if (outcome.enabled) return false;
        continue;
      }
      if (!outcome.enabled) return false;
      if (dep.variants && dep.variants.length > 0) {
        const name = variantOf(parent, outcome as StrategyOutcome, input).name;
        if (!dep.variants.includes(name)) return false;
      }
    }
    return true;
  }

  function variantOf(
    compiled: CompiledFeature,
    outcome: StrategyOutcome,
    input: EvaluationInput,
  ): VariantResult {
    if (!outcome.enabled) return disabledVariant(false);
    if (outcome.variant) return toResult(outcome.variant);
    if (compiled.variants.length === 0) return disabledVariant(true);
    const stickiness = compiled.variants[0]?.stickiness;
    const chosen = selectVariant(compiled.variants, compiled.feature.name, stickiness, input);
    return chosen ? toResult(chosen) : disabledVariant(true);
  }

  function evaluate(name: string, context: FlagContext = {}): Evaluation | undefined {
    const compiled = features.get(name);
    if (!compiled) return undefined;
    const input: EvaluationInput = { context, now, random };
    if (
      !compiled.feature.enabled ||
      (compiled.dependencies.length > 0 && !dependenciesMet(compiled, input))
    ) {
      return { name, enabled: false, variant: disabledVariant(false), reason: 'DISABLED' };
    }
    const outcome = runStrategies(compiled, input);
    const variant = variantOf(compiled, outcome, input);
    let reason: EvaluationReason;
    if (!outcome.enabled) reason = 'DEFAULT';
    else if (variant.enabled && !outcome.variant && compiled.variants.length > 1) reason = 'SPLIT';
    else if (outcome.variant && compiled.strategies.some((s) => s.variants.length > 1)) reason = 'SPLIT';
    else reason = outcome.targeted ? 'TARGETING_MATCH' : 'STATIC';
    return { name, enabled: outcome.enabled, variant, reason };
  }

  return {
    has: (name: string) => features.has(name),
    names: () => [...features.keys()],
    feature: (name: string) => features.get(name)?.feature,
    evaluate,
    /** evaluate(...).enabled without choosing a variant (the SDKs' hot path). */
    isEnabled(name: string, context: FlagContext = {}): boolean {
      const compiled = features.get(name);
      if (!compiled?.feature.enabled) return false;
      const input: EvaluationInput = { context, now, random };
      if (compiled.dependencies.length > 0 && !dependenciesMet(compiled, input)) return false;
      return runStrategies(compiled, input).enabled;
    },
    /** evaluate(...).variant without the reason (the SDKs' other hot path). */
    getVariant(name: string, context: FlagContext = {}): VariantResult {
      const compiled = features.get(name);
      if (!compiled?.feature.enabled) return disabledVariant(false);
      const input: EvaluationInput = { context, now, random };
      if (compiled.dependencies.length > 0 && !dependenciesMet(compiled, input))
        return disabledVariant(false);
      return variantOf(compiled, runStrategies(compiled, input), input);
    },
  };
}

export type FlagEngine = ReturnType<typeof createEngine>;

/** Unleash delta-API events (hydration, feature-updated/removed, segment-updated/removed). */
export type DeltaEvent =
  | { eventId: number; type: 'hydration'; features: ClientFeature[]; segments?: Segment[] }
  | { eventId: number; type: 'feature-updated'; feature: ClientFeature }
  | { eventId: number; type: 'feature-removed'; featureName: string }
  | { eventId: number; type: 'segment-updated'; segment: Segment }
  | { eventId: number; type: 'segment-removed'; segmentId: number };

/** Folds delta events into a client-features state. */
export function applyDeltaEvents(events: readonly DeltaEvent[], base?: ClientFeatures): ClientFeatures {
  const features = new Map((base?.features ?? []).map((f) => [f.name, f]));
  const segments = new Map((base?.segments ?? []).map((s) => [s.id, s]));
  for (const event of events) {
    switch (event.type) {
      case 'hydration':
        features.clear();
        segments.clear();
        for (const f of event.features) features.set(f.name, f);
        for (const s of event.segments ?? []) segments.set(s.id, s);
        break;
      case 'feature-updated':
        features.set(event.feature.name, event.feature);
        break;
      case 'feature-removed':
        features.delete(event.featureName);
        break;
      case 'segment-updated':
        segments.set(event.segment.id, event.segment);
        break;
      case 'segment-removed':
        segments.delete(event.segmentId);
        break;
    }
  }
  return { version: base?.version ?? 2, features: [...features.values()], segments: [...segments.values()] };
}
