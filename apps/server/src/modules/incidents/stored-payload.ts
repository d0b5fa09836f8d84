const FIELD = '"routing_key"';

const isSpace = (c: string | undefined) => c === ' ' || c === '\n' || c === '\r' || c === '\t';

/**
 * The copy of an alert body that alert_events keeps: the body as it was sent (`text`, the request's
 * JSON text), less its top-level `routing_key` (the integration's secret). The field is cut out of
 * the text when that is certain (`withoutField`); otherwise the parsed body is serialised again
 * without it. Cutting costs a few string searches; serialising the whole body again costs more.
 */
export function storedPayload(body: unknown, text: string | undefined): string {
  const key =
    body && typeof body === 'object' && !Array.isArray(body) && 'routing_key' in body
      ? (body as { routing_key: unknown }).routing_key
      : undefined;
  if (text !== undefined) {
    if (key === undefined && !text.includes(FIELD)) return text;
    if (typeof key === 'string' && key !== '') {
      const cut = withoutField(text, key);
      if (cut !== undefined) return cut;
    }
  }
  if (key === undefined || !body || typeof body !== 'object') return JSON.stringify(body);
  const { routing_key: _secret, ...rest } = body as Record<string, unknown>;
  return JSON.stringify(rest);
}

/**
 * `text` without `"routing_key": "<key>"` and one comma beside it, when that is certain: the text
 * has no \u escape (so the top-level field is spelled plainly, with the key written as it is), the
 * first such field has the key as its value, and the key appears nowhere else. That field is then
 * the top-level one, whatever else the body holds, and no copy of the secret is kept.
 */
function withoutField(text: string, key: string): string | undefined {
  if (text.includes('\\u')) return undefined;
  const at = text.indexOf(FIELD);
  if (at < 0) return undefined;
  let end = at + FIELD.length;
  while (isSpace(text[end])) end++;
  if (text[end] !== ':') return undefined;
  end++;
  while (isSpace(text[end])) end++;
  const value = JSON.stringify(key);
  if (!text.startsWith(value, end)) return undefined;
  if (text.indexOf(key) !== end + 1 || text.indexOf(key, end + value.length) >= 0) return undefined;
  end += value.length;
  let start = at;
  let after = end;
  while (isSpace(text[after])) after++;
  if (text[after] === ',') {
    end = after + 1;
    while (isSpace(text[end])) end++;
  } else {
    // The last field: the comma before it goes instead (none when it was the only field).
    let before = start - 1;
    while (isSpace(text[before])) before--;
    if (text[before] === ',') start = before;
    else if (text[before] !== '{' || text[after] !== '}') return undefined;
  }
  return text.slice(0, start) + text.slice(end);
}
