/**
 * Flag evaluation in process: evaluations per second of engops' engine and of unleash-client's own
 * evaluation (its UnleashClient class with its default strategies, the code `unleash.isEnabled`
 * and `unleash.getVariant` run), on the same flags and the same contexts, in the same run.
 * Target (issue 7): engops at least as fast as unleash-client on every case.
 *
 *   node --import tsx bench/flag-eval.ts [--rounds 5] [--ms 300]
 *   (npm run bench:flag-eval)
 *
 * Before timing, every case checks that both answer the same for every context (enabled and
 * variant). Each round times engops then unleash-client (the order alternates per round) for `ms`
 * milliseconds over 1,000 contexts; the figure is the median of the rounds. Results go to
 * bench/results/ (gitignored).
 */
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import * as clientModule from 'unleash-client/lib/client.js';
import { defaultStrategies } from 'unleash-client/lib/strategy/index.js';
import { createEngine } from '../apps/server/src/modules/flags/evaluate.ts';
import type {
  ClientFeature,
  ClientFeatures,
  FlagContext,
  Segment,
} from '../apps/server/src/modules/flags/types.ts';
import { writeResults } from './results-file.ts';

// A CommonJS module: its default export arrives wrapped when imported from ESM.
const wrapped = clientModule as unknown as { default: { default?: unknown } };
type ClientClass = new (
  repository: unknown,
  strategies: unknown,
) => {
  isEnabled(name: string, context: object, fallback: () => boolean): boolean;
  getVariant(name: string, context: object): unknown;
  on(event: string, listener: () => void): unknown;
};
const UnleashClient = (wrapped.default.default ?? wrapped.default) as ClientClass;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const TARGET_RATIO = 1;
const NOW = new Date('2026-06-01T12:00:00.000Z');

const segments: Segment[] = [
  {
    id: 1,
    name: 'nordics',
    constraints: [{ contextName: 'country', operator: 'IN', values: ['NO', 'SE', 'DK', 'FI', 'IS'] }],
  },
  { id: 2, name: 'adults', constraints: [{ contextName: 'age', operator: 'NUM_GTE', value: '18' }] },
];

const countries = [
  'NO',
  'SE',
  'DK',
  'FI',
  'IS',
  'DE',
  'FR',
  'GB',
  'US',
  'CA',
  'BR',
  'JP',
  'IN',
  'AU',
  'NZ',
  'ES',
  'IT',
  'PL',
  'NL',
  'BE',
];

/** One case: a flag (plus what it needs), and whether we time isEnabled or getVariant. */
interface Case {
  name: string;
  flag: string;
  kind: 'isEnabled' | 'getVariant';
  features: ClientFeature[];
}

const cases: Case[] = [
  {
    name: 'default strategy',
    flag: 'c.default',
    kind: 'isEnabled',
    features: [{ name: 'c.default', enabled: true, strategies: [{ name: 'default', parameters: {} }] }],
  },
  {
    name: 'disabled flag',
    flag: 'c.off',
    kind: 'isEnabled',
    features: [{ name: 'c.off', enabled: false, strategies: [{ name: 'default', parameters: {} }] }],
  },
  {
    name: 'gradual rollout 50% (userId)',
    flag: 'c.rollout',
    kind: 'isEnabled',
    features: [
      {
        name: 'c.rollout',
        enabled: true,
        strategies: [
          {
            name: 'flexibleRollout',
            parameters: { rollout: '50', stickiness: 'default', groupId: 'c.rollout' },
          },
        ],
      },
    ],
  },
  {
    name: 'user ids (100)',
    flag: 'c.users',
    kind: 'isEnabled',
    features: [
      {
        name: 'c.users',
        enabled: true,
        strategies: [
          {
            name: 'userWithId',
            parameters: { userIds: Array.from({ length: 100 }, (_, i) => `user-${i * 7}`).join(',') },
          },
        ],
      },
    ],
  },
  {
    name: 'constraints IN + STR_CONTAINS ci + NUM_GT',
    flag: 'c.constraints',
    kind: 'isEnabled',
    features: [
      {
        name: 'c.constraints',
        enabled: true,
        strategies: [
          {
            name: 'flexibleRollout',
            parameters: { rollout: '100', stickiness: 'default', groupId: 'c.constraints' },
            constraints: [
              { contextName: 'country', operator: 'IN', values: countries.slice(0, 12) },
              { contextName: 'email', operator: 'STR_CONTAINS', values: ['@EXAMPLE'], caseInsensitive: true },
              { contextName: 'age', operator: 'NUM_GT', value: '20' },
            ],
          },
        ],
      },
    ],
  },
  {
    name: 'SEMVER_GT + DATE_AFTER + REGEX',
    flag: 'c.semver',
    kind: 'isEnabled',
    features: [
      {
        name: 'c.semver',
        enabled: true,
        strategies: [
          {
            name: 'default',
            parameters: {},
            constraints: [
              { contextName: 'appVersion', operator: 'SEMVER_GT', value: '2.3.0' },
              { contextName: 'currentTime', operator: 'DATE_AFTER', value: '2026-01-01T00:00:00.000Z' },
              { contextName: 'email', operator: 'REGEX', value: '^user-[0-9]+@' },
            ],
          },
        ],
      },
    ],
  },
  {
    name: 'segments (2) + rollout 30%',
    flag: 'c.segments',
    kind: 'isEnabled',
    features: [
      {
        name: 'c.segments',
        enabled: true,
        strategies: [
          {
            name: 'flexibleRollout',
            parameters: { rollout: '30', stickiness: 'userId', groupId: 'c.segments' },
            segments: [1, 2],
          },
        ],
      },
    ],
  },
  {
    name: 'dependency on a parent flag',
    flag: 'c.child',
    kind: 'isEnabled',
    features: [
      {
        name: 'c.parent',
        enabled: true,
        strategies: [
          { name: 'flexibleRollout', parameters: { rollout: '70', stickiness: 'default', groupId: 'p' } },
        ],
      },
      {
        name: 'c.child',
        enabled: true,
        dependencies: [{ feature: 'c.parent' }],
        strategies: [{ name: 'default', parameters: {} }],
      },
    ],
  },
  {
    name: 'getVariant: 4 weighted variants with payloads',
    flag: 'c.variants',
    kind: 'getVariant',
    features: [
      {
        name: 'c.variants',
        enabled: true,
        strategies: [{ name: 'default', parameters: {} }],
        variants: ['a', 'b', 'c', 'd'].map((name, i) => ({
          name,
          weight: [100, 200, 300, 400][i] as number,
          weightType: 'variable',
          stickiness: 'default',
          payload: { type: 'string', value: `value-${name}` },
        })),
      },
    ],
  },
  {
    name: 'getVariant: strategy variants + constraint',
    flag: 'c.strategy-variants',
    kind: 'getVariant',
    features: [
      {
        name: 'c.strategy-variants',
        enabled: true,
        strategies: [
          {
            name: 'flexibleRollout',
            parameters: { rollout: '80', stickiness: 'default', groupId: 'sv' },
            constraints: [{ contextName: 'country', operator: 'NOT_IN', values: ['US'] }],
            variants: [
              { name: 'control', weight: 500, weightType: 'variable', stickiness: 'default' },
              { name: 'treatment', weight: 500, weightType: 'variable', stickiness: 'default' },
            ],
          },
        ],
      },
    ],
  },
];

const contexts: FlagContext[] = Array.from({ length: 1000 }, (_, i) => ({
  userId: `user-${i}`,
  sessionId: `session-${(i * 7919) % 100_000}`,
  remoteAddress: `10.0.${i % 256}.${(i * 31) % 256}`,
  appName: 'bench',
  environment: 'production',
  currentTime: NOW,
  properties: {
    country: countries[i % countries.length] as string,
    email: i % 3 === 0 ? `user-${i}@example.com` : `someone${i}@other.test`,
    age: String(10 + (i % 60)),
    appVersion: `${1 + (i % 4)}.${i % 10}.${i % 3}`,
  },
}));

/** unleash-client's evaluation behind a repository that holds the same document. */
function unleashClientFor(doc: ClientFeatures) {
  const toggles = new Map(doc.features.map((f) => [f.name, f]));
  const segmentMap = new Map((doc.segments ?? []).map((s) => [s.id, s]));
  const repository = Object.assign(new EventEmitter(), {
    getToggle: (name: string) => toggles.get(name),
    getToggles: () => [...toggles.values()],
    getTogglesWithSegmentData: () => [...toggles.values()],
    getSegment: (id: number) => segmentMap.get(id),
    stop: () => {},
    start: async () => {},
  });
  // biome-ignore lint/suspicious/noExplicitAny: the repository interface is structural.
  const client = new UnleashClient(repository as any, defaultStrategies);
  client.on('warn', () => {});
  return client;
}

/** What both must agree on: the boolean, or the variant's name, enabled, payload and feature_enabled. */
function comparable(answer: unknown): unknown {
  if (typeof answer !== 'object' || answer === null) return answer;
  const v = answer as { name: string; enabled: boolean; payload?: unknown; feature_enabled?: boolean };
  return [v.name, v.enabled, v.payload ?? null, v.feature_enabled];
}

function time(run: (i: number) => unknown, ms: number): number {
  let n = 0;
  let sink = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let k = 0; k < 1000; k++) if (run(k)) sink++;
    n += 1000;
    elapsed = performance.now() - started;
  }
  if (sink < 0) console.log(sink);
  return (n / elapsed) * 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function main(): void {
  const rounds = Math.round(option('rounds', 5));
  const ms = option('ms', 300);
  console.log(
    `flag-eval: ${cases.length} cases x 1,000 contexts, ${rounds} rounds of ${ms} ms each; node ${process.version}, ` +
      `${os.cpus().length} CPUs, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
  );
  const rows: Array<{ case: string; engops: number; unleashClient: number; ratio: number }> = [];
  for (const c of cases) {
    const doc: ClientFeatures = { version: 2, features: c.features, segments };
    const engine = createEngine(doc, { now: () => NOW });
    const client = unleashClientFor(doc);
    const fallback = () => false;
    const ours = (i: number) => {
      const context = contexts[i] as FlagContext;
      return c.kind === 'isEnabled' ? engine.isEnabled(c.flag, context) : engine.getVariant(c.flag, context);
    };
    const theirs = (i: number) => {
      // biome-ignore lint/suspicious/noExplicitAny: FlagContext is Unleash's context shape.
      const context = contexts[i] as any;
      return c.kind === 'isEnabled'
        ? client.isEnabled(c.flag, context, fallback)
        : client.getVariant(c.flag, context);
    };
    let enabledCount = 0;
    for (let i = 0; i < contexts.length; i++) {
      const a = JSON.stringify(comparable(ours(i)));
      const b = JSON.stringify(comparable(theirs(i)));
      if (a !== b) throw new Error(`${c.name}: context ${i} engops ${a} vs unleash-client ${b}`);
      if (c.kind === 'isEnabled' ? ours(i) === true : (ours(i) as { enabled: boolean }).enabled)
        enabledCount++;
    }
    const a: number[] = [];
    const b: number[] = [];
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        a.push(time(ours, ms));
        b.push(time(theirs, ms));
      } else {
        b.push(time(theirs, ms));
        a.push(time(ours, ms));
      }
    }
    const row = { case: c.name, engops: median(a), unleashClient: median(b), ratio: median(a) / median(b) };
    rows.push(row);
    console.log(
      `  ${c.name.padEnd(46)} engops ${(row.engops / 1e6).toFixed(2).padStart(6)} M/s   unleash-client ` +
        `${(row.unleashClient / 1e6).toFixed(2).padStart(6)} M/s   ratio ${row.ratio.toFixed(2)}` +
        `   (same answers, ${enabledCount}/1000 on)`,
    );
  }
  const worst = Math.min(...rows.map((r) => r.ratio));
  const met = worst >= TARGET_RATIO;
  console.log(
    `\nworst ratio ${worst.toFixed(2)} (target >= ${TARGET_RATIO.toFixed(2)} on every case): ${met ? 'met' : 'NOT met'}`,
  );
  const file = writeResults('flag-eval', {
    node: process.version,
    cpus: os.cpus().length,
    rounds,
    msPerMeasurement: ms,
    contexts: contexts.length,
    rows,
    worstRatio: worst,
    targetRatio: TARGET_RATIO,
    met,
  });
  console.log(`results: ${file}`);
}

main();
