import type { WorkflowPullRequest, WorkflowSummary } from '@engops/contracts';
import { chartMax, formatDuration } from './workflow-format.ts';

const W = 560;
const H = 180;
const PAD = { left: 8, right: 84, top: 10, bottom: 20 };

/** Review time of each reviewed PR (oldest first) as bars, with the target drawn as a line. */
export function ReviewTimeChart({
  items,
  targetHours,
}: {
  items: readonly WorkflowPullRequest[];
  targetHours: number;
}) {
  const reviewed = items
    .filter((i) => i.review_time_seconds !== null)
    .sort((a, b) => a.opened_at.localeCompare(b.opened_at));
  const target = targetHours * 3600;
  const max = chartMax(
    reviewed.map((i) => i.review_time_seconds!),
    target,
  );
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const y = (v: number) => PAD.top + (1 - v / max) * innerH;
  const bar = Math.min(40, reviewed.length ? innerW / reviewed.length : innerW);
  return (
    <svg
      className="wf-chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={`Review time of ${reviewed.length} pull requests against the ${targetHours}-hour target`}
      data-testid="review-time-chart"
    >
      {reviewed.map((i, k) => (
        <rect
          key={i.id}
          className={i.within_review_target ? 'wf-bar wf-ok' : 'wf-bar wf-late'}
          x={PAD.left + k * bar + 1}
          y={y(i.review_time_seconds!)}
          width={Math.max(1, bar - 2)}
          height={PAD.top + innerH - y(i.review_time_seconds!)}
          data-number={i.number}
        >
          <title>{`${i.repository}#${i.number}: ${formatDuration(i.review_time_seconds)}`}</title>
        </rect>
      ))}
      <line
        className="wf-target"
        x1={PAD.left}
        x2={W - PAD.right}
        y1={y(target)}
        y2={y(target)}
        data-testid="review-target-line"
        data-hours={targetHours}
      />
      <text className="wf-target-label" x={W - PAD.right + 4} y={y(target) + 4}>
        {targetHours} h target
      </text>
      <line
        className="wf-axis"
        x1={PAD.left}
        x2={W - PAD.right}
        y1={PAD.top + innerH}
        y2={PAD.top + innerH}
      />
    </svg>
  );
}

/** How many PRs fall in each size bucket; the buckets up to the threshold count as small. */
export function SizeChart({ size }: { size: WorkflowSummary['size'] }) {
  const max = Math.max(1, ...size.buckets.map((b) => b.count));
  return (
    <ul className="wf-sizes" aria-label="Pull request sizes" data-testid="size-chart">
      {size.buckets.map((b) => (
        <li key={b.label} data-bucket={b.label} data-count={b.count}>
          <span className="wf-size-label">
            {b.label} {b.max_lines === null ? `> ${size.threshold_lines * 2.5}` : `≤ ${b.max_lines}`} lines
          </span>
          <span
            className={
              b.max_lines !== null && b.max_lines <= size.threshold_lines
                ? 'wf-size-bar wf-ok'
                : 'wf-size-bar wf-late'
            }
            style={{ width: `${(b.count / max) * 100}%` }}
          />
          <span className="wf-size-count">{b.count}</span>
        </li>
      ))}
    </ul>
  );
}
