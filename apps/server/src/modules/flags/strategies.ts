import { cidrContains, parseCidr } from './cidr.ts';
import { type EvaluationInput, resolveContextValue } from './constraints.ts';
import { murmurhash3 } from './murmurhash3.ts';
import { normalizedHash } from './normalized-hash.ts';
import type { FlagStrategy } from './types.ts';

/** A strategy's own rule (constraints and segments are checked around it). */
export type StrategyRule = (input: EvaluationInput) => boolean;

export const STRATEGY_NAMES = [
  'default',
  'flexibleRollout',
  'userWithId',
  'remoteAddress',
  'gradualRolloutUserId',
  'gradualRolloutSessionId',
  'gradualRolloutRandom',
  'applicationHostname',
] as const;

function param(strategy: FlagStrategy, name: string): string | undefined {
  const value = strategy.parameters?.[name];
  return value === undefined || value === null ? undefined : String(value);
}

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function percentage(text: string | undefined): number {
  const n = Number(text);
  return Number.isFinite(n) ? n : 0;
}

/** Unleash's random stickiness: a fresh identifier in 1..10001. */
function randomId(random: () => number): string {
  return String(Math.round(random() * 10_000) + 1);
}

/** The value a rollout hashes for a stickiness setting; undefined means "not in the rollout". */
export function rolloutStickinessValue(stickiness: string, input: EvaluationInput): string | undefined {
  const { context } = input;
  switch (stickiness) {
    case 'default':
      return (
        resolveContextValue(context, 'userId') ??
        resolveContextValue(context, 'sessionId') ??
        randomId(input.random)
      );
    case 'random':
      return randomId(input.random);
    default:
      return resolveContextValue(context, stickiness);
  }
}

/**
 * The rule of a built-in strategy. Unknown strategies never enable (as in Unleash, which treats
 * them as custom strategies the SDK must register). `hostname` is the serving host for
 * applicationHostname, given by the caller so this stays pure.
 */
export function compileStrategy(
  strategy: FlagStrategy,
  featureName: string,
  hostname?: string,
): StrategyRule {
  switch (strategy.name) {
    case 'default':
      return () => true;
    case 'flexibleRollout': {
      const rollout = percentage(param(strategy, 'rollout'));
      const stickiness = param(strategy, 'stickiness') || 'default';
      const groupId = param(strategy, 'groupId') || featureName;
      if (rollout <= 0) return () => false;
      const prefix = `${groupId}:`;
      return (input) => {
        const id = rolloutStickinessValue(stickiness, input);
        if (id === undefined) return false;
        // normalizedHash(id, groupId), with the `groupId:` prefix built once.
        return (murmurhash3(prefix + id) % 100) + 1 <= rollout;
      };
    }
    case 'gradualRolloutUserId':
    case 'gradualRolloutSessionId': {
      const rollout = percentage(param(strategy, 'percentage'));
      const groupId = param(strategy, 'groupId') ?? '';
      const field = strategy.name === 'gradualRolloutUserId' ? 'userId' : 'sessionId';
      return ({ context }) => {
        const id = resolveContextValue(context, field);
        if (id === undefined) return false;
        return rollout > 0 && normalizedHash(id, groupId) <= rollout;
      };
    }
    case 'gradualRolloutRandom': {
      const rollout = percentage(param(strategy, 'percentage'));
      return ({ random }) => rollout >= Math.round(random() * 100) + 1;
    }
    case 'userWithId': {
      const ids = new Set(list(param(strategy, 'userIds')));
      return ({ context }) => {
        const id = resolveContextValue(context, 'userId');
        return id !== undefined && ids.has(id);
      };
    }
    case 'remoteAddress': {
      const entries = list(param(strategy, 'IPs'));
      const blocks = entries.map(parseCidr).filter((b) => b !== null);
      return ({ context }) => {
        const address = resolveContextValue(context, 'remoteAddress');
        if (address === undefined) return false;
        if (entries.includes(address)) return true;
        const ip = parseCidr(address);
        return (
          ip !== null && ip.prefix === ip.bytes.length * 8 && blocks.some((b) => cidrContains(b, ip.bytes))
        );
      };
    }
    case 'applicationHostname': {
      const hosts = new Set(list(param(strategy, 'hostNames')).map((h) => h.toLowerCase()));
      const host = (hostname ?? '').toLowerCase();
      return () => host !== '' && hosts.has(host);
    }
    default:
      return () => false;
  }
}
