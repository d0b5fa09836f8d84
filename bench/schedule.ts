/**
 * On-call schedule engine (issue 4): "who is on call at T" for a schedule with 3 layers, 12 people
 * and 200 overrides, and rendering one year of final shifts. Targets: under 50 us per query and
 * under 50 ms per year rendered.
 *
 *   node --import tsx bench/schedule.ts [--queries 20000] [--years 20]
 *
 * Baselines, measured in the same run:
 * - query: render the whole year once per question and pick the shifts that contain T (what a
 *   straightforward implementation on top of a renderer does);
 * - query, previous engine: render only the window around T (one longest turn either side) and pick
 *   the shifts that contain T. The engine's answers must equal it exactly (start and end too);
 * - year: a naive renderer that, for every elementary segment between two boundaries, scans every
 *   interval of every layer and every override (no cursors). Its output must equal the engine's,
 *   which the benchmark checks before timing anything.
 * Times are CPU time of this process (process.cpuUsage), so other load on a shared machine does not
 * inflate them. The schedule is in America/New_York (two DST switches in the year); overrides come from a seeded
 * generator, so every run measures the same schedule.
 */
import {
  layerIntervals,
  renderShifts,
  type ScheduleDefinition,
  type Shift,
  whoIsOnCall,
  whoIsOnCallByRendering,
} from '../apps/server/src/modules/oncall/schedule-math.ts';
import { writeResults } from './results-file.ts';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** Mulberry32: a small seeded PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOUR = 3_600_000;
const YEAR_FROM = Date.parse('2026-01-01T05:00:00Z');
const YEAR_TO = Date.parse('2027-01-01T05:00:00Z');

function buildSchedule(): ScheduleDefinition {
  const people = Array.from({ length: 12 }, (_, i) => `usr_${String(i + 1).padStart(2, '0')}`);
  const random = prng(42);
  const overrides = Array.from({ length: 200 }, (_, i) => {
    const start = YEAR_FROM + Math.floor((random() * (YEAR_TO - YEAR_FROM - 48 * HOUR)) / 60_000) * 60_000;
    const hours = 1 + Math.floor(random() * 48);
    return {
      id: `ovr_${i}`,
      user_id: people[Math.floor(random() * people.length)]!,
      start: new Date(start).toISOString(),
      end: new Date(start + hours * HOUR).toISOString(),
    };
  });
  return {
    time_zone: 'America/New_York',
    layers: [
      // Lowest: a weekly rotation of six, Monday 09:00 local.
      {
        name: 'weekly',
        start: '2025-12-29T09:00',
        rotation: { unit: 'week', length: 1 },
        participants: people.slice(0, 6),
      },
      // Business hours, daily turns of four.
      {
        name: 'business-hours',
        start: '2026-01-01T00:00',
        rotation: { unit: 'day', length: 1 },
        participants: people.slice(6, 10),
        restrictions: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' }],
      },
      // Weekend nights, 12-hour turns of two.
      {
        name: 'weekend-nights',
        start: '2026-01-02T19:00',
        rotation: { unit: 'hour', length: 12 },
        participants: people.slice(10, 12),
        restrictions: [{ days: ['fri', 'sat', 'sun'], from: '19:00', to: '07:00' }],
      },
    ],
    overrides,
  };
}

/** The naive renderer: every segment scans every interval of every layer and every override. */
function naiveRender(schedule: ScheduleDefinition, from: number, to: number): Shift[] {
  const perLayer = schedule.layers.map((l) => ({
    name: l.name,
    intervals: layerIntervals(schedule.time_zone, l, from, to),
  }));
  const overrides = (schedule.overrides ?? []).map((o) => ({
    user: o.user_id,
    start: Date.parse(o.start),
    end: Date.parse(o.end),
  }));
  const points = new Set<number>([from, to]);
  for (const l of perLayer)
    for (const i of l.intervals) points.add(Math.max(from, i.start)).add(Math.min(to, i.end));
  for (const o of overrides)
    if (o.end > from && o.start < to) points.add(Math.max(from, o.start)).add(Math.min(to, o.end));
  const sorted = [...points].sort((a, b) => a - b);
  const done: Array<{ shift: Shift; start: number }> = [];
  const open = new Map<string, { shift: Shift; end: number }>();
  for (let p = 0; p + 1 < sorted.length; p++) {
    const s = sorted[p]!;
    const e = sorted[p + 1]!;
    let covers = overrides
      .filter((o) => o.start <= s && o.end >= e)
      .map((o) => ({ user: o.user, layer: 'override' }));
    for (let li = perLayer.length - 1; li >= 0 && covers.length === 0; li--) {
      const layer = perLayer[li]!;
      covers = layer.intervals
        .filter((i) => i.start <= s && i.end >= e)
        .map((i) => ({ user: i.user, layer: layer.name }));
    }
    const seen = new Set<string>();
    for (const c of covers) {
      const key = `${c.layer}\u0000${c.user}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const current = open.get(key);
      if (current && current.end === s) {
        current.end = e;
        current.shift.end = new Date(e).toISOString();
      } else {
        const shift = {
          user_id: c.user,
          layer: c.layer,
          start: new Date(s).toISOString(),
          end: new Date(e).toISOString(),
        };
        open.set(key, { shift, end: e });
        done.push({ shift, start: s });
      }
    }
  }
  return done
    .sort((a, b) => a.start - b.start || a.shift.user_id.localeCompare(b.shift.user_id))
    .map((d) => d.shift);
}

/**
 * Milliseconds per call, as CPU time of this process (user + system): the machine these benchmarks
 * run on is shared, and wall time would count the time other processes hold the CPU.
 */
function timeIt(rounds: number, fn: () => void): number {
  const t0 = process.cpuUsage();
  for (let i = 0; i < rounds; i++) fn();
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / 1000 / rounds;
}

function main() {
  const queries = option('queries', 20_000);
  const years = option('years', 20);
  const schedule = buildSchedule();

  // Correctness first: both renderers agree on the year, and each sampled answer matches the year.
  const year = renderShifts(schedule, YEAR_FROM, YEAR_TO);
  const naiveYear = naiveRender(schedule, YEAR_FROM, YEAR_TO);
  if (JSON.stringify(year) !== JSON.stringify(naiveYear))
    throw new Error('the naive renderer disagrees with the engine');
  const random = prng(7);
  const instants = Array.from(
    { length: queries },
    () => YEAR_FROM + 2 * 24 * HOUR + Math.floor(random() * (YEAR_TO - YEAR_FROM - 4 * 24 * HOUR)),
  );
  for (const t of instants.slice(0, 200)) {
    const fast = whoIsOnCall(schedule, new Date(t))
      .map((s) => `${s.layer}:${s.user_id}`)
      .sort();
    const slow = year
      .filter((s) => Date.parse(s.start) <= t && Date.parse(s.end) > t)
      .map((s) => `${s.layer}:${s.user_id}`)
      .sort();
    if (fast.join() !== slow.join()) throw new Error(`whoIsOnCall disagrees at ${new Date(t).toISOString()}`);
  }
  for (const t of instants.slice(0, 2_000))
    if (
      JSON.stringify(whoIsOnCall(schedule, new Date(t))) !==
      JSON.stringify(whoIsOnCallByRendering(schedule, new Date(t)))
    )
      throw new Error(`whoIsOnCall disagrees with the window render at ${new Date(t).toISOString()}`);

  // Warm up both paths (JIT, zone offset caches), then measure.
  for (let i = 0; i < 2_000; i++) whoIsOnCall(schedule, new Date(instants[i % instants.length]!));
  renderShifts(schedule, YEAR_FROM, YEAR_TO);
  naiveRender(schedule, YEAR_FROM, YEAR_TO);

  let q = 0;
  const queryUs =
    timeIt(queries, () => whoIsOnCall(schedule, new Date(instants[q++ % instants.length]!))) * 1000;
  q = 0;
  const windowQueryUs =
    timeIt(Math.max(1_000, Math.floor(queries / 5)), () =>
      whoIsOnCallByRendering(schedule, new Date(instants[q++ % instants.length]!)),
    ) * 1000;
  const baselineQueries = Math.max(20, Math.floor(queries / 1000));
  q = 0;
  const baselineQueryUs =
    timeIt(baselineQueries, () => {
      const t = instants[q++ % instants.length]!;
      renderShifts(schedule, YEAR_FROM, YEAR_TO).filter(
        (s) => Date.parse(s.start) <= t && Date.parse(s.end) > t,
      );
    }) * 1000;
  const yearMs = timeIt(years, () => renderShifts(schedule, YEAR_FROM, YEAR_TO));
  const baselineYearMs = timeIt(Math.max(3, Math.floor(years / 4)), () =>
    naiveRender(schedule, YEAR_FROM, YEAR_TO),
  );

  const result = {
    schedule: {
      layers: 3,
      people: 12,
      overrides: 200,
      time_zone: 'America/New_York',
      shifts_in_year: year.length,
    },
    query: {
      engine_us: Math.round(queryUs * 10) / 10,
      baseline_us: Math.round(baselineQueryUs * 10) / 10,
      speedup: Math.round((baselineQueryUs / queryUs) * 10) / 10,
      previous_engine_us: Math.round(windowQueryUs * 10) / 10,
      speedup_vs_previous: Math.round((windowQueryUs / queryUs) * 10) / 10,
      target_us: 50,
      met: queryUs < 50,
    },
    year: {
      engine_ms: Math.round(yearMs * 100) / 100,
      baseline_ms: Math.round(baselineYearMs * 100) / 100,
      speedup: Math.round((baselineYearMs / yearMs) * 10) / 10,
      target_ms: 50,
      met: yearMs < 50,
    },
  };
  console.log(
    `schedule: 3 layers, 12 people, 200 overrides, ${year.length} final shifts in 2026 (America/New_York)`,
  );
  console.log(
    `who is on call at T: ${result.query.engine_us} us/query   baseline (render the year, filter) ${result.query.baseline_us} us   x${result.query.speedup}   target < 50 us: ${result.query.met ? 'met' : 'NOT met'}`,
  );
  console.log(
    `                     previous engine (render the window around T, filter) ${result.query.previous_engine_us} us   x${result.query.speedup_vs_previous}`,
  );
  console.log(
    `one year rendered:   ${result.year.engine_ms} ms/year    baseline (naive scan) ${result.year.baseline_ms} ms   x${result.year.speedup}   target < 50 ms: ${result.year.met ? 'met' : 'NOT met'}`,
  );
  console.log(`results: ${writeResults('schedule', result)}`);
}

main();
