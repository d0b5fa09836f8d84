import type { DoraReport } from '@engops/contracts';
import {
  type DoraThresholds,
  METRIC_LABEL,
  TIER_LABEL,
  type TileMetric,
  tierBands,
  trendValue,
} from './dora-format.ts';

const W = 360;
const H = 150;
const PAD = { left: 8, right: 8, top: 8, bottom: 22 };

/** One metric per bucket over the tier bands: inline SVG, log scale for rates and durations. */
export function DoraTrendChart({
  metric,
  buckets,
  thresholds,
}: {
  metric: TileMetric;
  buckets: readonly DoraReport[];
  thresholds: DoraThresholds;
}) {
  const { bands } = tierBands(metric, thresholds);
  const values = buckets.map((b) => trendValue(b, metric));
  const present = values.filter((v): v is number => v !== null);
  const log = metric !== 'change_failure_rate';
  const finite = bands.flatMap(([, lo, hi]) => [lo, hi]).filter((v) => Number.isFinite(v) && v > 0);
  let lo: number;
  let hi: number;
  if (log) {
    lo = Math.min(Math.min(...finite) / 4, ...present.filter((v) => v > 0));
    hi = Math.max(Math.max(...finite) * 4, ...present);
  } else {
    lo = 0;
    hi = Math.max(Math.max(...finite) * 1.6, ...present.map((v) => v * 1.1));
  }
  const scale = (v: number) => {
    const t = log
      ? (Math.log(Math.max(v, lo)) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))
      : (v - lo) / (hi - lo);
    return PAD.top + (1 - Math.min(1, Math.max(0, t))) * (H - PAD.top - PAD.bottom);
  };
  const innerW = W - PAD.left - PAD.right;
  const x = (i: number) =>
    PAD.left + (buckets.length <= 1 ? innerW / 2 : (i / (buckets.length - 1)) * innerW);
  const points = values
    .map((v, i) => (v === null ? null : { key: buckets[i]!.window.from, px: x(i), py: scale(v) }))
    .filter((p) => p !== null);
  const label = `${METRIC_LABEL[metric]} per ${buckets.length} buckets over the tier bands`;
  const first = buckets[0]?.window.from.slice(0, 10) ?? '';
  const last = buckets.at(-1)?.window.from.slice(0, 10) ?? '';
  return (
    <svg
      className="dora-chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={label}
      data-metric={metric}
      preserveAspectRatio="none"
    >
      <title>{label}</title>
      {bands.map(([tier, bandLo, bandHi]) => {
        const top = scale(Number.isFinite(bandHi) ? bandHi : hi);
        const bottom = scale(bandLo > 0 || !log ? bandLo : lo);
        return (
          <g key={tier} className={`dora-band dora-band-${tier}`}>
            <rect x={PAD.left} y={top} width={innerW} height={Math.max(0, bottom - top)} />
            {bottom - top > 11 ? (
              <text x={W - PAD.right - 4} y={top + 11} textAnchor="end">
                {TIER_LABEL[tier]}
              </text>
            ) : null}
          </g>
        );
      })}
      {points.length > 1 ? (
        <polyline className="dora-line" points={points.map((p) => `${p.px},${p.py}`).join(' ')} />
      ) : null}
      {points.map((p) => (
        <circle key={p.key} className="dora-point" cx={p.px} cy={p.py} r={3} />
      ))}
      <text className="dora-axis" x={PAD.left} y={H - 6}>
        {first}
      </text>
      <text className="dora-axis" x={W - PAD.right} y={H - 6} textAnchor="end">
        {last}
      </text>
    </svg>
  );
}
