import type { MetricJudgement } from '@engops/contracts';

const W = 360;
const H = 120;
const PAD = { left: 70, right: 12, top: 12, bottom: 22 };

/**
 * Canary against baseline for one metric: every sample as a dot on one axis per group, the
 * medians as bars. Inline SVG with a text title; the classification is written beside it.
 */
export function CanaryChart({
  metric,
  canary,
  baseline,
  judged,
}: {
  metric: string;
  canary: readonly number[];
  baseline: readonly number[];
  judged: MetricJudgement | undefined;
}) {
  const all = [...canary, ...baseline];
  const lo = all.length ? Math.min(...all) : 0;
  const hi = all.length ? Math.max(...all) : 1;
  const span = hi - lo || 1;
  const x = (v: number) => PAD.left + ((v - lo) / span) * (W - PAD.left - PAD.right);
  const rows = [
    { group: 'canary', values: canary, y: PAD.top + 22, median: judged?.canary_median ?? null },
    { group: 'baseline', values: baseline, y: PAD.top + 62, median: judged?.baseline_median ?? null },
  ] as const;
  const label = `${metric}: ${canary.length} canary and ${baseline.length} baseline samples${
    judged ? `, ${judged.classification}` : ''
  }`;
  return (
    <svg className="rel-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-metric={metric}>
      <title>{label}</title>
      {rows.map((row) => (
        <g key={row.group}>
          <text x={4} y={row.y + 4}>
            {row.group}
          </text>
          {dots(row.group, row.values).map((p) => (
            <circle key={p.id} className={row.group} cx={x(p.v)} cy={row.y + p.dy} r={2.5} opacity={0.7} />
          ))}
          {row.median !== null ? (
            <line
              className={`median ${row.group}`}
              x1={x(row.median)}
              x2={x(row.median)}
              y1={row.y - 10}
              y2={row.y + 10}
            />
          ) : null}
        </g>
      ))}
      <text x={PAD.left} y={H - 6}>
        {formatNumber(lo)}
      </text>
      <text x={W - PAD.right} y={H - 6} textAnchor="end">
        {formatNumber(hi)}
      </text>
    </svg>
  );
}

/** Samples as dots, jittered over five lanes so that equal values stay visible. */
function dots(group: string, values: readonly number[]) {
  return values.map((v, n) => ({ id: `${group}:${n}`, v, dy: ((n % 5) - 2) * 2 }));
}

export function formatNumber(n: number | null): string {
  if (n === null) return '—';
  if (Math.abs(n) >= 1000 || Number.isInteger(n)) return String(Math.round(n * 100) / 100);
  return n.toPrecision(4);
}

export function formatP(p: number | null): string {
  if (p === null) return '—';
  return p < 0.0001 ? p.toExponential(2) : p.toFixed(4);
}
