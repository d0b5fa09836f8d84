/** The workflow page's styles, hoisted into <head> once by React (no edit of the shared stylesheet). */
const CSS = `
.wf-controls { display: flex; flex-wrap: wrap; gap: 1rem; align-items: end; margin-bottom: 1rem; }
.wf-controls .field { min-width: 14rem; margin: 0; }
.wf-tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(13rem, 1fr)); gap: 1rem; margin-bottom: 1rem; }
.wf-tile { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 0.75rem 1rem; box-shadow: var(--shadow); }
.wf-tile h2 { font-size: 0.95rem; margin: 0 0 0.25rem; color: var(--muted); font-weight: 600; }
.wf-value { font-size: 1.5rem; font-weight: 700; }
.wf-basis { color: var(--muted); font-size: 0.875rem; margin: 0; }
.wf-section { margin: 1.5rem 0; }
.wf-chart { width: 100%; max-width: 48rem; height: auto; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); }
.wf-bar.wf-ok, .wf-size-bar.wf-ok { fill: #1a7f37; background: #1a7f37; }
.wf-bar.wf-late, .wf-size-bar.wf-late { fill: #cf222e; background: #cf222e; }
.wf-target { stroke: #1f2328; stroke-width: 1.5; stroke-dasharray: 6 4; }
.wf-target-label { font-size: 11px; fill: #1f2328; }
.wf-axis { stroke: #8c959f; }
.wf-sizes { list-style: none; padding: 0; margin: 0; max-width: 40rem; }
.wf-sizes li { display: grid; grid-template-columns: 10rem 1fr 3rem; align-items: center; gap: 0.5rem; margin: 0.25rem 0; }
.wf-size-bar { display: block; height: 0.9rem; border-radius: 3px; min-width: 2px; }
.wf-size-count { text-align: right; font-variant-numeric: tabular-nums; }
`;

export function WorkflowStyles() {
  return (
    <style href="engops-workflow" precedence="default">
      {CSS}
    </style>
  );
}
