import { createHash } from 'node:crypto';
import type { ExperimentResult, experimentQuerySchema, flagEventSchema } from '@engops/contracts';
import type { z } from 'zod';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/errors.ts';
import {
  chanceToBeatControl,
  chanceToBeatControlMeans,
  compareMeans,
  compareProportions,
  sampleRatioMismatch,
  summarise,
} from './experiment-stats.ts';
import type { FlagsService } from './flags-service.ts';

type FlagEvent = z.output<typeof flagEventSchema>;
type ExperimentQuery = z.output<typeof experimentQuerySchema>;

/** Users every variant needs before results mean anything (and conversions, for rates). */
export const MIN_USERS_PER_VARIANT = 100;
export const MIN_CONVERSIONS = 10;

/** The stored id of an event: the caller's, or a hash of what it says (so a resend is a no-op). */
export function eventId(event: FlagEvent): string {
  if (event.id) return `c:${event.id}`;
  const fields = [
    event.type,
    event.flag_key,
    event.variant,
    event.user_key,
    event.metric ?? '',
    event.value ?? '',
    new Date(event.at).toISOString(),
  ];
  return `h:${createHash('sha256').update(JSON.stringify(fields)).digest('base64url')}`;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/**
 * A/B experiments: a flag with variants, exposures and conversions (POST /api/v1/events, batched
 * and idempotent), and per-variant results against a control variant.
 */
export function createExperiments(deps: { db: Db; clock: Clock; flags: FlagsService }) {
  const { db, clock, flags } = deps;

  return {
    /** Stores events; unknown flags make the whole batch a 400 with nothing written. */
    async record(events: FlagEvent[], path = 'events'): Promise<{ accepted: number; duplicates: number }> {
      const keys = new Set((await flags.listFlags()).map((f) => f.key));
      const problems = events.flatMap((e, i) =>
        keys.has(e.flag_key)
          ? []
          : [
              {
                path: path === '' ? 'body.flag_key' : `body.${path}.${i}.flag_key`,
                message: `no flag ${e.flag_key}`,
              },
            ],
      );
      if (problems.length > 0)
        throw new AppError('HTTP_VALIDATION_FAILED', 'Some events name flags that do not exist.', {
          errors: problems,
        });
      const receivedAt = clock.now().toISOString();
      const rows = new Map(
        events.map((e) => {
          const id = eventId(e);
          return [
            id,
            {
              id,
              type: e.type,
              flag_key: e.flag_key,
              variant: e.variant,
              user_key: e.user_key,
              metric: e.type === 'exposure' ? '' : (e.metric ?? 'conversion'),
              value: e.type === 'exposure' ? null : (e.value ?? 1),
              at: new Date(e.at).toISOString(),
              received_at: receivedAt,
            },
          ];
        }),
      );
      let accepted = 0;
      await db.transaction().execute(async (tx) => {
        const all = [...rows.values()];
        for (let i = 0; i < all.length; i += 100) {
          const inserted = await tx
            .insertInto('flag_events')
            .values(all.slice(i, i + 100))
            .onConflict((oc) => oc.column('id').doNothing())
            .returning('id')
            .execute();
          accepted += inserted.length;
        }
      });
      return { accepted, duplicates: events.length - accepted };
    },

    async results(flagKey: string, query: ExperimentQuery): Promise<ExperimentResult> {
      const flag = await flags.getFlag(flagKey);
      const env = flag.environments[query.environment];
      if (!env) throw new AppError('FLAGS_ENVIRONMENT_NOT_FOUND', `No environment ${query.environment}.`);
      const variants = env.variants ?? flag.variants;
      if (variants.length < 2)
        throw new AppError(
          'HTTP_VALIDATION_FAILED',
          `${flagKey} needs two variants or more to be an experiment.`,
          {
            errors: [{ path: 'variants', message: 'an experiment needs at least two variants' }],
          },
        );
      const control = query.control ?? (variants[0]?.name as string);
      if (!variants.some((v) => v.name === control))
        throw new AppError('HTTP_VALIDATION_FAILED', `${flagKey} has no variant ${control}.`, {
          errors: [{ path: 'query.control', message: `no variant ${control}` }],
        });

      // Each user counts in the variant of their first exposure.
      const exposures = await db
        .selectFrom('flag_events')
        .select(['user_key', 'variant', 'at'])
        .where('flag_key', '=', flagKey)
        .where('type', '=', 'exposure')
        .orderBy('at')
        .orderBy('id')
        .execute();
      const variantOf = new Map<string, string>();
      for (const e of exposures) if (!variantOf.has(e.user_key)) variantOf.set(e.user_key, e.variant);
      const conversions = await db
        .selectFrom('flag_events')
        .select([
          'user_key',
          (eb) => eb.fn.sum<number>('value').as('total'),
          (eb) => eb.fn.countAll<number>().as('n'),
        ])
        .where('flag_key', '=', flagKey)
        .where('type', '=', 'conversion')
        .where('metric', '=', query.metric)
        .groupBy('user_key')
        .execute();
      const convertedBy = new Map(
        conversions.map((c) => [c.user_key, { total: Number(c.total), n: Number(c.n) }]),
      );
      const sdk = await db
        .selectFrom('flag_metrics_hourly')
        .select(['variant', (eb) => eb.fn.sum<number>('yes_count').as('n')])
        .where('flag_key', '=', flagKey)
        .where('environment', '=', query.environment)
        .where('variant', '!=', '')
        .groupBy('variant')
        .execute();
      const sdkOf = new Map(sdk.map((r) => [r.variant, Number(r.n)]));

      const groups = variants.map((v) => {
        const values: number[] = [];
        let converted = 0;
        for (const [user, variant] of variantOf) {
          if (variant !== v.name) continue;
          const c = convertedBy.get(user);
          if (c && c.n > 0) converted++;
          values.push(c ? c.total : 0);
        }
        return { name: v.name, weight: v.weight, values, converted, summary: summarise(values) };
      });
      const base = groups.find((g) => g.name === control) as (typeof groups)[number];
      const rows: ExperimentResult['variants'] = groups.map((g) => {
        const users = g.values.length;
        const value = users === 0 ? null : query.kind === 'conversion' ? g.converted / users : g.summary.mean;
        const row = {
          name: g.name,
          weight: g.weight,
          users,
          sdk_evaluations: sdkOf.get(g.name) ?? 0,
          conversions: g.converted,
          value,
          absolute_lift: null,
          absolute_ci: null,
          relative_lift: null,
          relative_ci: null,
          p_value: null,
          chance_to_beat_control: null,
        };
        if (g === base || users < 2 || base.values.length < 2) return row;
        if (query.kind === 'conversion') {
          const c = { conversions: base.converted, users: base.values.length };
          const t = { conversions: g.converted, users };
          const r = compareProportions(c, t);
          return { ...row, ...pick(r), chance_to_beat_control: chanceToBeatControl(c, t) };
        }
        const r = compareMeans(base.summary, g.summary);
        return {
          ...row,
          ...pick(r),
          chance_to_beat_control: chanceToBeatControlMeans(base.summary, g.summary),
        };
      });
      const srm = sampleRatioMismatch(
        groups.map((g) => g.values.length),
        groups.map((g) => g.weight),
      );
      const judged = judge(rows, control, srm.mismatch, query.kind);
      const { verdict } = judged;
      let { guidance } = judged;
      // SDK metrics count evaluations without user ids: they show traffic, never users.
      const evaluations = rows.reduce((a, r) => a + r.sdk_evaluations, 0);
      if (evaluations > 0 && rows.every((r) => r.users === 0)) {
        const n = (x: number) => x.toLocaleString('en');
        const split = rows.map((r) => `${r.name} ${n(r.sdk_evaluations)}`).join(', ');
        guidance = `Not enough data yet: the SDKs report ${n(evaluations)} evaluations (${split}), but SDK metrics carry no user ids. Send exposures and conversions to POST /api/v1/events for results.`;
      }
      return {
        flag_key: flagKey,
        environment: query.environment,
        metric: query.metric,
        kind: query.kind,
        control,
        variants: rows,
        sample_ratio: srm,
        verdict,
        guidance,
      };
    },
  };
}

function pick(r: {
  absolute_lift: number;
  absolute_ci: { low: number; high: number };
  relative_lift: number | null;
  relative_ci: { low: number; high: number } | null;
  p_value: number;
}) {
  return {
    absolute_lift: r.absolute_lift,
    absolute_ci: r.absolute_ci,
    relative_lift: r.relative_lift,
    relative_ci: r.relative_ci,
    p_value: r.p_value,
  };
}

/** Plain words for the table: enough data? a trustworthy split? a significant difference? */
export function judge(
  rows: ExperimentResult['variants'],
  control: string,
  mismatch: boolean,
  kind: 'conversion' | 'mean',
): { verdict: ExperimentResult['verdict']; guidance: string } {
  const short = rows.filter((r) => r.users < MIN_USERS_PER_VARIANT);
  const conversions = rows.reduce((a, r) => a + r.conversions, 0);
  if (short.length > 0 || (kind === 'conversion' && conversions < MIN_CONVERSIONS))
    return {
      verdict: 'not_enough_data',
      guidance:
        short.length > 0
          ? `Not enough data yet: every variant needs ${MIN_USERS_PER_VARIANT} users (${short
              .map((r) => `${r.name} has ${r.users}`)
              .join(', ')}).`
          : `Not enough data yet: ${conversions} conversions so far; wait for at least ${MIN_CONVERSIONS}.`,
    };
  if (mismatch)
    return {
      verdict: 'sample_ratio_mismatch',
      guidance:
        'Sample ratio mismatch: users are not split as the variant weights say (p < 0.001). Fix the assignment or the exposure logging before trusting any result.',
    };
  const significant = rows
    .filter((r) => r.name !== control && r.p_value !== null && r.p_value < 0.05)
    .sort((a, b) => (a.p_value ?? 1) - (b.p_value ?? 1));
  const best = significant[0];
  const show = (x: number) => (kind === 'conversion' ? pct(x) : x.toFixed(3));
  if (best && (best.absolute_lift ?? 0) > 0)
    return {
      verdict: 'winner',
      guidance: `${best.name} beats ${control}: ${show(best.value ?? 0)} against ${show(
        rows.find((r) => r.name === control)?.value ?? 0,
      )} (p = ${(best.p_value ?? 0).toFixed(4)}, ${pct(best.chance_to_beat_control ?? 0)} chance to beat control).`,
    };
  if (best)
    return {
      verdict: 'loser',
      guidance: `${best.name} does worse than ${control} (p = ${(best.p_value ?? 0).toFixed(4)}).`,
    };
  return {
    verdict: 'no_difference',
    guidance:
      'No significant difference from control yet (all p ≥ 0.05): keep the experiment running or stop it as a tie.',
  };
}

export type Experiments = ReturnType<typeof createExperiments>;
