/**
 * The releases pages' styles, hoisted into <head> once by React. Stage and verdict colours always
 * come with a text label (never colour alone).
 */
const CSS = `
.rel-controls { display: flex; flex-wrap: wrap; gap: 1rem; align-items: end; margin-bottom: 1rem; }
.rel-controls .field { min-width: 14rem; margin: 0; }
.rel-stage { display: inline-block; padding: 0.1rem 0.55rem; border-radius: 999px; font-size: 0.8rem; font-weight: 600; background: var(--st-soft); color: var(--st-text); white-space: nowrap; }
.st-pending { --st-soft: #eaeef2; --st-text: #57606a; }
.st-started { --st-soft: #e8f0fc; --st-text: #174c9c; }
.st-succeeded, .st-released, .st-promote, .st-pass { --st-soft: #dafbe1; --st-text: #116329; }
.st-failed, .st-rolled_back, .st-rollback, .st-high, .st-low, .st-harmful { --st-soft: #ffebe9; --st-text: #a40e26; }
.st-skipped, .st-hold, .st-nodata, .st-in_progress { --st-soft: #fff8c5; --st-text: #7d4e00; }
.rel-steps { list-style: none; display: flex; flex-wrap: wrap; gap: 0.5rem; padding: 0; margin: 0 0 1rem; }
.rel-steps li { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 0.5rem 0.75rem; min-width: 10rem; }
.rel-steps h3 { margin: 0 0 0.25rem; font-size: 0.95rem; }
.rel-steps p { margin: 0.15rem 0 0; color: var(--muted); font-size: 0.8rem; }
.rel-summary { display: flex; flex-wrap: wrap; gap: 1.5rem; margin: 0 0 1rem; }
.rel-summary div { display: flex; flex-direction: column; }
.rel-summary dt { color: var(--muted); font-size: 0.8rem; }
.rel-summary dd { margin: 0; font-weight: 600; }
.rel-charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 1rem; margin: 1rem 0; }
.rel-charts figure { margin: 0; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 0.5rem 0.75rem; }
.rel-charts figcaption { font-weight: 600; font-size: 0.9rem; display: flex; justify-content: space-between; gap: 0.5rem; }
.rel-chart { width: 100%; height: 120px; display: block; }
.rel-chart .canary { fill: #cf222e; }
.rel-chart .baseline { fill: #1f5fbf; }
.rel-chart .median { stroke-width: 2; }
.rel-chart .median.canary { stroke: #cf222e; }
.rel-chart .median.baseline { stroke: #1f5fbf; }
.rel-chart text { font-size: 10px; fill: #57606a; }
.rel-verdict { font-size: 1.1rem; margin: 0.5rem 0; }
.rel-stats { color: var(--muted); font-size: 0.8rem; margin: 0.25rem 0 0; }
.rel-timeline { list-style: none; padding: 0; margin: 0; }
.rel-timeline li { padding: 0.35rem 0; border-bottom: 1px solid var(--border); display: flex; gap: 0.75rem; flex-wrap: wrap; }
.rel-freezes { margin-top: 2rem; }
.rel-timeline time { color: var(--muted); font-size: 0.85rem; min-width: 11rem; }
`;

export function ReleasesStyles() {
  return (
    <style href="engops-releases" precedence="default">
      {CSS}
    </style>
  );
}

/** A status pill: the status word, coloured by class. */
export function StatusPill({ status, label }: { status: string; label?: string }) {
  return <span className={`rel-stage st-${status}`}>{label ?? status.replace('_', ' ')}</span>;
}
