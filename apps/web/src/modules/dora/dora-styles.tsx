/**
 * The DORA page's styles, hoisted into <head> once by React (a `<style>` with `href` and
 * `precedence`), so the module needs no edit of the shared stylesheet. Tier colours: elite green,
 * high blue, medium amber, low red, no data grey (each with a text label, never colour alone).
 */
const CSS = `
.dora-controls { display: flex; flex-wrap: wrap; gap: 1rem; align-items: end; margin-bottom: 1rem; }
.dora-controls .field { min-width: 14rem; margin: 0; }
.dora-tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr)); gap: 1rem; margin-bottom: 1rem; }
.dora-tile { background: var(--surface); border: 1px solid var(--border); border-left: 6px solid var(--tier); border-radius: var(--radius); padding: 0.75rem 1rem; box-shadow: var(--shadow); display: flex; flex-direction: column; gap: 0.35rem; }
.dora-tile h2 { font-size: 0.95rem; margin: 0; color: var(--muted); font-weight: 600; }
.dora-value { font-size: 1.5rem; font-weight: 700; line-height: 1.2; }
.dora-basis, .dora-next { color: var(--muted); font-size: 0.875rem; margin: 0; }
.dora-tier { display: inline-block; align-self: flex-start; padding: 0.1rem 0.6rem; border-radius: 999px; font-weight: 700; font-size: 0.8rem; background: var(--tier-soft); color: var(--tier-text); }
.tier-elite { --tier: #1a7f37; --tier-soft: #dafbe1; --tier-text: #116329; }
.tier-high { --tier: #1f5fbf; --tier-soft: #e8f0fc; --tier-text: #174c9c; }
.tier-medium { --tier: #bf8700; --tier-soft: #fff8c5; --tier-text: #7d4e00; }
.tier-low { --tier: #cf222e; --tier-soft: #ffebe9; --tier-text: #a40e26; }
.tier-none { --tier: #8c959f; --tier-soft: #eaeef2; --tier-text: #57606a; }
.dora-tile .dora-actions { margin-top: auto; }
.dora-chart { width: 100%; height: 150px; display: block; }
.dora-band rect { opacity: 0.35; }
.dora-band text { font-size: 9px; fill: #57606a; }
.dora-band-elite rect { fill: #4ac26b; }
.dora-band-high rect { fill: #80b3ff; }
.dora-band-medium rect { fill: #ffd33d; }
.dora-band-low rect { fill: #ff8182; }
.dora-line { fill: none; stroke: #1c2430; stroke-width: 2; }
.dora-point { fill: #1c2430; }
.dora-axis { font-size: 9px; fill: #57606a; }
.dora-trends { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; margin: 1rem 0; }
.dora-trends figure { margin: 0; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 0.5rem 0.75rem; }
.dora-trends figcaption { font-weight: 600; font-size: 0.9rem; margin-bottom: 0.25rem; }
.dora-evidence { margin-top: 1rem; }
.dora-overall { margin-left: 0.5rem; vertical-align: middle; }
`;

export function DoraStyles() {
  return (
    <style href="engops-dora" precedence="default">
      {CSS}
    </style>
  );
}
