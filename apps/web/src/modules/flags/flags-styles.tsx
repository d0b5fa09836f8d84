/**
 * The flags pages' styles, hoisted into <head> once by React (a `<style>` with `href` and
 * `precedence`), so the module needs no edit of the shared stylesheet. On/off is said in text as
 * well as colour.
 */
const CSS = `
.flag-switch { display: inline-flex; align-items: center; gap: 0.4rem; border: 1px solid var(--border); border-radius: 999px; padding: 0.15rem 0.6rem 0.15rem 0.2rem; background: var(--surface); cursor: pointer; font: inherit; font-size: 0.8rem; font-weight: 600; color: #57606a; }
.flag-switch::before { content: ''; width: 1.1rem; height: 1.1rem; border-radius: 50%; background: #8c959f; }
.flag-switch[aria-checked='true'] { background: #dafbe1; border-color: #4ac26b; color: #116329; }
.flag-switch[aria-checked='true']::before { background: #1a7f37; }
.flag-switch:disabled { cursor: not-allowed; opacity: 0.6; }
.flag-switch:focus-visible { outline: 3px solid #1f5fbf; outline-offset: 2px; }
.flag-env-cell { display: flex; flex-direction: column; gap: 0.2rem; align-items: flex-start; }
.flag-rollout { font-size: 0.75rem; color: var(--muted); }
.flag-tags { display: flex; flex-wrap: wrap; gap: 0.25rem; }
.flag-search { display: flex; gap: 1rem; align-items: end; margin-bottom: 1rem; }
.flag-search .field { min-width: 18rem; margin: 0; }
.flag-envs { display: grid; grid-template-columns: repeat(auto-fit, minmax(24rem, 1fr)); gap: 1rem; margin: 1rem 0; }
.flag-plans { list-style: none; padding: 0; display: grid; gap: 0.75rem; }
.flag-plan { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 0.75rem 1rem; }
.flag-plan-steps { display: flex; gap: 0.4rem; list-style: none; padding: 0; margin: 0.5rem 0; flex-wrap: wrap; }
.flag-plan-steps li { border: 1px solid var(--border); border-radius: 999px; padding: 0.05rem 0.6rem; font-size: 0.8rem; }
.flag-plan-steps li[aria-current='step'] { background: #dafbe1; border-color: #4ac26b; font-weight: 700; }
.flag-plan-paused { color: #cf222e; font-weight: 600; }
.flag-verdict { padding: 0.5rem 0.75rem; border-radius: var(--radius); background: #f6f8fa; border-left: 4px solid #8c959f; }
.flag-verdict-winner { border-left-color: #1a7f37; }
.flag-verdict-loser, .flag-verdict-sample_ratio_mismatch { border-left-color: #cf222e; }
.flag-chart { margin: 1rem 0; display: grid; gap: 0.35rem; max-width: 40rem; }
.flag-chart-row { display: grid; grid-template-columns: 8rem 1fr 5rem; gap: 0.5rem; align-items: center; }
.flag-chart-track { background: #f6f8fa; border-radius: 4px; height: 1rem; display: block; }
.flag-chart-bar { background: #1f5fbf; border-radius: 4px; height: 100%; display: block; }
.flag-chart-value { text-align: right; font-variant-numeric: tabular-nums; }
.flag-env { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 0.75rem 1rem; box-shadow: var(--shadow); }
.flag-env-production { border-top: 4px solid #cf222e; }
.flag-env-header { display: flex; justify-content: space-between; align-items: center; gap: 0.5rem; }
.flag-env-header h2 { margin: 0; font-size: 1.05rem; }
.flag-strategies { list-style: none; padding: 0; margin: 0.75rem 0; display: flex; flex-direction: column; gap: 0.5rem; }
.flag-strategy { border: 1px solid var(--border); border-radius: var(--radius); padding: 0.5rem 0.75rem; display: flex; justify-content: space-between; gap: 0.5rem; align-items: center; }
.flag-strategy-name { font-weight: 600; }
.flag-strategy-text { color: var(--muted); font-size: 0.875rem; }
.flag-editor { border: 1px dashed var(--border); border-radius: var(--radius); padding: 0.75rem; margin: 0.5rem 0; }
.flag-editor .field { margin-bottom: 0.6rem; }
.flag-slider { display: flex; gap: 0.75rem; align-items: center; }
.flag-slider input[type='range'] { flex: 1; }
.flag-slider output { min-width: 3.5rem; font-weight: 700; }
.flag-constraint, .flag-variant { display: grid; gap: 0.5rem; align-items: end; margin-bottom: 0.5rem; padding-bottom: 0.5rem; border-bottom: 1px solid var(--border); }
.flag-constraint { grid-template-columns: 1fr 1fr 2fr auto; }
.flag-variant { grid-template-columns: 1.2fr 0.6fr 0.7fr 1.5fr auto; }
.flag-constraint .field, .flag-variant .field { margin: 0; }
.flag-constraint-flags { grid-column: 1 / -1; display: flex; gap: 1rem; }
.flag-constraint-flags .field { margin: 0; }
.flag-segments { border: 0; padding: 0; margin: 0 0 0.6rem; }
.flag-segments legend { font-weight: 600; margin-bottom: 0.25rem; }
.flag-snippets { display: grid; grid-template-columns: repeat(auto-fit, minmax(26rem, 1fr)); gap: 1rem; }
.flag-snippets h3 { font-size: 0.95rem; margin: 0 0 0.4rem; }
.flag-history { list-style: none; padding: 0; margin: 0; }
.flag-history li { padding: 0.4rem 0; border-bottom: 1px solid var(--border); }
.flag-history-action { font-weight: 600; }
.flag-history-meta { color: var(--muted); font-size: 0.85rem; margin-left: 0.5rem; }
`;

export function FlagsStyles() {
  return (
    <style href="engops-flags" precedence="default">
      {CSS}
    </style>
  );
}
