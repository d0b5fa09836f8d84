/**
 * The postmortem pages' styles, hoisted into <head> once by React (a `<style>` with `href` and
 * `precedence`), so the module needs no edit of the shared stylesheet.
 */
const CSS = `
.postmortem-editor {
  display: grid;
  grid-template-columns: minmax(0, 1fr) minmax(0, 1fr) minmax(14rem, 18rem);
  gap: 1rem;
  align-items: start;
}
@media (max-width: 70rem) {
  .postmortem-editor {
    grid-template-columns: 1fr;
  }
}
.postmortem-editor textarea {
  width: 100%;
  min-height: 32rem;
  font-family: ui-monospace, monospace;
  font-size: 0.875rem;
}
.postmortem-preview {
  border: 1px solid var(--border, #d0d7de);
  border-radius: 6px;
  padding: 0 1rem;
  min-height: 32rem;
  overflow: auto;
}
.postmortem-timeline ol {
  list-style: none;
  padding: 0;
  margin: 0;
}
.postmortem-timeline li {
  display: flex;
  gap: 0.5rem;
  align-items: baseline;
  justify-content: space-between;
  padding: 0.25rem 0;
  border-bottom: 1px solid var(--border, #eee);
  font-size: 0.875rem;
}
.lint-findings li {
  margin-bottom: 0.5rem;
}
.pill-overdue {
  background: #fde8e8;
  color: #9b1c1c;
}
.postmortem-actions {
  display: flex;
  gap: 0.5rem;
  flex-wrap: wrap;
  margin: 1rem 0;
}
`;

export function PostmortemStyles() {
  return (
    <style href="engops-postmortems" precedence="default">
      {CSS}
    </style>
  );
}
