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
