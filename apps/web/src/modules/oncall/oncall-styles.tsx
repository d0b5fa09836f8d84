/**
 * The on-call pages' styles, hoisted into <head> once by React (a `<style>` with `href` and
 * `precedence`), so the module needs no edit of the shared stylesheet. Each person has a colour and
 * a text label (never colour alone); coverage gaps are hatched red.
 */
const CSS = `
.rotation-checks { list-style: none; padding: 0; margin: 0; display: flex; flex-direction: column; gap: 0.5rem; }
.oncall-ok { border-left: 4px solid var(--accent); padding: 0.5rem 0.75rem; background: var(--surface); }
.oncall-flag { color: var(--danger); }
.oncall-track-select { cursor: crosshair; touch-action: none; }
.oncall-selection { position: absolute; top: 0; bottom: 0; background: rgb(37 99 235 / 25%); border: 1px dashed var(--accent); z-index: 2; }
.oncall-warning { border: 1px solid var(--danger); border-left-width: 4px; border-radius: var(--radius); padding: 0.5rem 0.75rem; margin: 0 0 1rem; background: var(--surface); }
.oncall-subnav { display: flex; gap: 0.5rem; flex-wrap: wrap; margin: -0.5rem 0 1rem; }
.oncall-now { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: 1rem; margin: 0; padding: 0; list-style: none; }
.oncall-card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); padding: 0.75rem 1rem; }
.oncall-card h3 { margin: 0 0 0.25rem; font-size: 1rem; }
.oncall-card .oncall-person { font-size: 1.15rem; font-weight: 700; margin: 0.25rem 0; }
.oncall-card .oncall-until { color: var(--muted); font-size: 0.85rem; margin: 0; }
.oncall-card .oncall-nobody { color: var(--danger); font-weight: 700; }
.participant-list { list-style: none; margin: 0.25rem 0 0.75rem; padding: 0; display: flex; flex-direction: column; gap: 0.35rem; }
.participant-list li { display: flex; align-items: center; gap: 0.5rem; }
.participant-list .participant-order { width: 1.5rem; text-align: right; color: var(--muted); }
.participant-list .participant-name { flex: 1; }
.participant-pick { display: flex; gap: 0.5rem; align-items: end; }
.participant-pick .field { flex: 0 1 24rem; margin: 0; }
.participant-pick select { width: 100%; }
.oncall-timeline { border: 1px solid var(--border); border-radius: var(--radius); background: var(--surface); padding: 0.5rem 0.75rem; }
.oncall-hours, .oncall-day { display: grid; grid-template-columns: 7.5rem 1fr; align-items: center; gap: 0.5rem; }
.oncall-hours .oncall-track { height: 1.1rem; border: 0; background: none; }
.oncall-hour { position: absolute; top: 0; font-size: 0.7rem; color: var(--muted); transform: translateX(-50%); }
.oncall-day { min-height: 2rem; border-top: 1px solid var(--border); padding: 0.2rem 0; }
.oncall-day-label { font-size: 0.85rem; font-weight: 600; }
.oncall-day-today .oncall-day-label::after { content: ' (today)'; color: var(--accent); font-weight: 600; }
.oncall-track { position: relative; height: 1.7rem; background: #f0f2f5; border-radius: 4px; overflow: hidden; }
.oncall-bar { position: absolute; top: 0.15rem; bottom: 0.15rem; border-radius: 3px; color: #fff; font-size: 0.72rem; line-height: 1.4rem; padding: 0 0.3rem; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; border: 1px solid rgb(0 0 0 / 15%); }
.oncall-bar-override { outline: 2px dashed #1c2430; outline-offset: -2px; }
.oncall-gap { position: absolute; top: 0; bottom: 0; background: repeating-linear-gradient(45deg, #fdecea, #fdecea 4px, #f4b4ad 4px, #f4b4ad 8px); border-left: 2px solid var(--danger); border-right: 2px solid var(--danger); color: var(--danger); font-size: 0.7rem; font-weight: 700; line-height: 1.7rem; padding: 0 0.2rem; overflow: hidden; white-space: nowrap; }
.oncall-now-line { position: absolute; top: 0; bottom: 0; width: 2px; background: var(--danger); }
.oncall-legend { display: flex; flex-wrap: wrap; gap: 0.4rem 1rem; list-style: none; margin: 0.5rem 0 0; padding: 0; font-size: 0.85rem; }
.oncall-legend li { display: flex; align-items: center; gap: 0.35rem; }
.oncall-swatch { display: inline-block; width: 0.9rem; height: 0.9rem; border-radius: 3px; }
.oncall-gaps-summary { color: var(--danger); font-weight: 600; }
.oncall-c0 { background: #1f5fbf; } .oncall-c1 { background: #1a7f37; } .oncall-c2 { background: #8250df; }
.oncall-c3 { background: #bc4c00; } .oncall-c4 { background: #0a7b83; } .oncall-c5 { background: #bf3989; }
.oncall-c6 { background: #57606a; } .oncall-c7 { background: #7d4e00; }
.oncall-gap-swatch { background: repeating-linear-gradient(45deg, #fdecea, #fdecea 3px, #f4b4ad 3px, #f4b4ad 6px); border: 1px solid var(--danger); }
.oncall-columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 1.5rem; }
.ical-url { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; }
.ical-url input { flex: 1; min-width: 20rem; font-family: var(--mono); font-size: 0.8rem; }
.policy-step { border: 1px solid var(--border); border-radius: var(--radius); padding: 0.5rem 0.75rem; margin: 0 0 0.75rem; }
.policy-step legend { font-weight: 600; padding: 0 0.25rem; }
.policy-step select[multiple] { min-height: 6rem; }
.policy-steps { margin: 0; padding-left: 1.25rem; }
.load-controls { display: flex; flex-wrap: wrap; gap: 1rem; align-items: end; margin-bottom: 1rem; }
.load-controls .field { margin: 0; min-width: 12rem; }
.load-bar { display: inline-block; height: 0.6rem; background: var(--accent); border-radius: 2px; vertical-align: middle; margin-left: 0.4rem; }
`;

export function OncallStyles() {
  return (
    <style href="engops-oncall" precedence="default">
      {CSS}
    </style>
  );
}
