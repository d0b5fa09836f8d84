import { ERROR_CATALOGUE } from '@engops/contracts';

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1a1a2e}
code,pre{font:13px ui-monospace,monospace;background:#f4f4f8;border-radius:4px}pre{padding:.6rem;overflow:auto;max-height:24rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
.m{display:inline-block;min-width:4.5rem;font-weight:700}.GET{color:#0a6}.POST{color:#06c}.PUT,.PATCH{color:#a60}.DELETE{color:#c33}
details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.4rem .7rem}summary{cursor:pointer}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** A readable rendering of /openapi.json, with no script and nothing loaded from elsewhere. */
export function renderApiDocs(spec: {
  info: { title: string; version: string };
  paths: Record<string, Record<string, Record<string, unknown>>>;
}): string {
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = ((op.tags as string[] | undefined) ?? ['other'])[0] ?? 'other';
      const m = method.toUpperCase();
      const body = (op.requestBody as { content: Record<string, { schema: unknown }> } | undefined)?.content[
        'application/json'
      ]?.schema;
      const responses = Object.entries(
        (op.responses as Record<
          string,
          { description: string; content?: Record<string, { schema: unknown }> }
        >) ?? {},
      );
      const html = `<details><summary><span class="m ${m}">${m}</span> <code>${escapeHtml(path)}</code> ${escapeHtml(String(op.summary ?? ''))}</summary>
${op.description ? `<p>${escapeHtml(String(op.description))}</p>` : ''}
${op.parameters ? `<h4>Parameters</h4><pre>${escapeHtml(JSON.stringify(op.parameters, null, 2))}</pre>` : ''}
${body ? `<h4>Request body</h4><pre>${escapeHtml(JSON.stringify(body, null, 2))}</pre>` : ''}
<h4>Responses</h4><table>${responses
        .map(([status, r]) => {
          const schema = r.content?.['application/json']?.schema;
          return `<tr><td>${status}</td><td>${escapeHtml(r.description)}${schema ? `<pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre>` : ''}</td></tr>`;
        })
        .join('')}</table></details>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const sections = [...byTag.entries()]
    .map(([tag, ops]) => `<h2 id="${escapeHtml(tag)}">${escapeHtml(tag)}</h2>${ops.join('\n')}`)
    .join('\n');
  return page(
    `${spec.info.title} ${spec.info.version}`,
    `<h1>${escapeHtml(spec.info.title)} <small>${escapeHtml(spec.info.version)}</small></h1>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errors: <a href="/docs/errors">error catalogue</a>.
Authenticate with <code>Authorization: Bearer &lt;token&gt;</code>.</p>${sections}`,
  );
}

export function renderErrorCatalogue(): string {
  const rows = Object.entries(ERROR_CATALOGUE)
    .map(
      ([code, e]) =>
        `<tr id="${code}"><td><code>${code}</code></td><td>${e.status}</td><td>${escapeHtml(e.title)}</td><td>${escapeHtml(e.description)}</td></tr>`,
    )
    .join('');
  return page(
    'engops error catalogue',
    `<h1>Error catalogue</h1><p>Every error is <code>application/problem+json</code>: <code>{type, title, status, detail, code, errors?: [{path, message}]}</code>. The <code>code</code> is stable.</p>
<table><thead><tr><th>code</th><th>status</th><th>title</th><th>meaning</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}
