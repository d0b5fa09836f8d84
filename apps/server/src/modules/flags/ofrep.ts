import type { Evaluation, FlagEngine } from './evaluate.ts';
import type { FlagContext } from './types.ts';

/** OFREP (OpenFeature Remote Evaluation Protocol) shapes and the mapping from our evaluations. */
export type OfrepErrorCode =
  | 'PARSE_ERROR'
  | 'TARGETING_KEY_MISSING'
  | 'INVALID_CONTEXT'
  | 'FLAG_NOT_FOUND'
  | 'GENERAL';

export interface OfrepSuccess {
  key: string;
  /** Absent when the flag has no value for this context (disabled, or no variant): use the code default. */
  value?: unknown;
  reason: string;
  variant: string;
  metadata: Record<string, string | number | boolean>;
}

export interface OfrepFailure {
  key: string;
  errorCode: OfrepErrorCode;
  errorDetails: string;
}

export const OFREP_STATUS: Record<OfrepErrorCode, number> = {
  PARSE_ERROR: 400,
  TARGETING_KEY_MISSING: 400,
  INVALID_CONTEXT: 400,
  FLAG_NOT_FOUND: 404,
  GENERAL: 500,
};

const STANDARD_FIELDS = new Set(['sessionId', 'remoteAddress', 'environment', 'appName', 'currentTime']);

/**
 * Maps an OpenFeature evaluation context to the Unleash context as Unleash itself does:
 * `targetingKey` is `userId`; sessionId, remoteAddress, environment, appName and currentTime are
 * standard fields; every other key is a custom property. Returns a string when the context is invalid.
 */
export function toUnleashContext(raw: unknown): FlagContext | string {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) return 'context must be an object';
  const context: FlagContext = {};
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === null || value === undefined) continue;
    if (key === 'targetingKey') {
      if (typeof value !== 'string') return 'targetingKey must be a string';
      context.userId = value;
      continue;
    }
    const text =
      typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : undefined;
    if (text === undefined) continue; // structures have no Unleash counterpart
    if (STANDARD_FIELDS.has(key)) context[key] = text;
    else properties[key] = text;
  }
  context.properties = properties;
  return context;
}

function needsTargetingKey(engine: FlagEngine, key: string): boolean {
  const feature = engine.feature(key);
  return (feature?.strategies ?? []).some(
    (s) =>
      !s.disabled &&
      (s.name === 'userWithId' ||
        s.name === 'gradualRolloutUserId' ||
        (s.name === 'flexibleRollout' && s.parameters?.stickiness === 'userId')),
  );
}

function flagValue(type: string, evaluation: Evaluation): { value?: unknown } | { error: string } {
  if (type === 'boolean') return { value: evaluation.enabled };
  const variant = evaluation.variant;
  if (!variant.enabled) return {};
  const payload = variant.payload;
  if (type === 'string') return { value: payload ? payload.value : variant.name };
  if (!payload) return { error: `variant ${variant.name} has no payload` };
  if (type === 'number') {
    const n = Number(payload.value);
    return Number.isNaN(n) ? { error: `variant ${variant.name} payload is not a number` } : { value: n };
  }
  try {
    return { value: JSON.parse(payload.value) };
  } catch {
    return { error: `variant ${variant.name} payload is not JSON` };
  }
}

/** One flag's OFREP answer (success or failure), for a context already mapped to Unleash's. */
export function evaluateOfrep(
  engine: FlagEngine,
  types: ReadonlyMap<string, string>,
  key: string,
  context: FlagContext,
  environment: string,
): OfrepSuccess | OfrepFailure {
  const evaluation = engine.evaluate(key, context);
  if (!evaluation) return { key, errorCode: 'FLAG_NOT_FOUND', errorDetails: `flag ${key} was not found` };
  if (context.userId === undefined && needsTargetingKey(engine, key))
    return {
      key,
      errorCode: 'TARGETING_KEY_MISSING',
      errorDetails: `flag ${key} targets users: send a targetingKey`,
    };
  const type = types.get(key) ?? 'boolean';
  const resolved = flagValue(type, evaluation);
  if ('error' in resolved) return { key, errorCode: 'GENERAL', errorDetails: resolved.error };
  const variant = evaluation.variant.enabled ? evaluation.variant.name : evaluation.enabled ? 'on' : 'off';
  const success: OfrepSuccess = {
    key,
    reason: evaluation.reason,
    variant,
    metadata: { flagType: type, environment },
  };
  if ('value' in resolved) success.value = resolved.value;
  return success;
}

/**
 * Bulk OFREP evaluation as JSON text, for one environment snapshot. A flag answers one of a few
 * outcomes (on/off, a variant, a reason), so each outcome's JSON is built once and reused: a bulk
 * request evaluates every flag and joins the pieces. The ETag part is two 32-bit mixes of the
 * outcome ids (64 bits), cheaper than hashing the body and changing whenever it does.
 */
export function createBulkEvaluator(
  engine: FlagEngine,
  types: ReadonlyMap<string, string>,
  environment: string,
) {
  const REASONS: Record<string, number> = {
    DISABLED: 0,
    STATIC: 1,
    TARGETING_MATCH: 2,
    SPLIT: 3,
    DEFAULT: 4,
  };
  const keys = engine.names();
  // Per flag: the engine's (shared) variant answer -> outcome slots by reason, enabled and
  // whether the context has a targeting key.
  const outcomes = keys.map(() => new Map<object, Array<{ id: number; json: string } | undefined>>());
  let nextId = 1;
  let stored = 0;
  // Evaluations served, per flag: on and off (for SDK usage and the stale-flag report).
  const yes = new Float64Array(keys.length);
  const no = new Float64Array(keys.length);
  let counted = false;
  /** The counts since the last drain (flags evaluated at least once), and a fresh start. */
  const drain = (): Array<{ key: string; yes: number; no: number }> => {
    if (!counted) return [];
    const out = [];
    for (let i = 0; i < keys.length; i++)
      if (yes[i]! + no[i]! > 0) out.push({ key: keys[i] as string, yes: yes[i]!, no: no[i]! });
    yes.fill(0);
    no.fill(0);
    counted = false;
    return out;
  };
  const evaluate = (context: FlagContext): { json: string; tag: string } => {
    const parts: string[] = [];
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    const anonymous = context.userId === undefined ? 1 : 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const evaluation = engine.evaluate(key, context);
      if (!evaluation) continue;
      if (evaluation.enabled) yes[i]!++;
      else no[i]!++;
      const byVariant = outcomes[i] as Map<object, Array<{ id: number; json: string } | undefined>>;
      let slots = byVariant.get(evaluation.variant);
      if (!slots) {
        slots = [];
        byVariant.set(evaluation.variant, slots);
      }
      const slot = ((REASONS[evaluation.reason] ?? 5) * 2 + (evaluation.enabled ? 1 : 0)) * 2 + anonymous;
      let outcome = slots[slot];
      if (!outcome) {
        outcome = {
          id: nextId++,
          json: JSON.stringify(evaluateOfrep(engine, types, key, context, environment)),
        };
        // Variants come from one compiled snapshot, so this stays small; start over if it does not.
        if (++stored > 100_000) {
          for (const map of outcomes) map.clear();
          stored = 0;
        }
        slots[slot] = outcome;
      }
      parts.push(outcome.json);
      // Two independent 32-bit mixes of the outcome ids (FNV-1a style and a multiplicative one).
      h1 = Math.imul(h1 ^ outcome.id, 0x01000193);
      h2 = Math.imul(h2 + outcome.id, 0x9e3779b1) ^ (h2 >>> 15);
    }
    counted = true;
    const tag = `${(h1 >>> 0).toString(36)}${(h2 >>> 0).toString(36)}`;
    return { json: `{"flags":[${parts.join(',')}]}`, tag };
  };
  return Object.assign(evaluate, { drain });
}
