/**
 * Just enough YAML and TOML for lockfiles (pnpm-lock.yaml; poetry.lock and Cargo.lock): block maps,
 * scalars, block lists of scalars and single-line flow values kept as text; TOML tables, arrays of
 * tables and string/array values. Not general parsers: lockfiles are machine-written and regular.
 */
export type YamlValue = string | YamlMap | string[];
export interface YamlMap {
  [key: string]: YamlValue;
}

function unquote(text: string): string {
  const t = text.trim();
  if ((t.startsWith("'") && t.endsWith("'")) || (t.startsWith('"') && t.endsWith('"'))) {
    const inner = t.slice(1, -1);
    return t.startsWith("'") ? inner.replace(/''/g, "'") : inner.replace(/\\"/g, '"');
  }
  return t;
}

/** Splits `key: value` at the first ": " (or trailing ":") outside quotes. */
function splitKey(line: string): [string, string] | null {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ':' && (i === line.length - 1 || line[i + 1] === ' '))
      return [unquote(line.slice(0, i)), line.slice(i + 1).trim()];
  }
  return null;
}

export function parseYamlSubset(text: string): YamlMap {
  const root: YamlMap = {};
  // Stack of open containers with the indentation of their keys.
  const stack: Array<{ indent: number; map: YamlMap; key?: string }> = [{ indent: -1, map: root }];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '' || raw.trimStart().startsWith('#') || raw.startsWith('---')) continue;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    while (stack.length > 1 && indent <= stack[stack.length - 1]!.indent) stack.pop();
    const top = stack[stack.length - 1]!;
    if (line.startsWith('- ')) {
      // A list item of the last key of the enclosing map.
      const parent = stack[stack.length - 1]!;
      const owner = parent.key !== undefined ? parent : null;
      if (!owner) continue;
      const holder = stack[stack.length - 2]?.map;
      if (!holder) continue;
      const current = holder[owner.key!];
      const list = Array.isArray(current) ? current : [];
      list.push(unquote(line.slice(2)));
      holder[owner.key!] = list;
      continue;
    }
    const kv = splitKey(line);
    if (!kv) continue;
    const [key, value] = kv;
    if (value === '' || value === '|' || value === '>') {
      const child: YamlMap = {};
      top.map[key] = child;
      stack.push({ indent, map: child, key });
    } else top.map[key] = unquote(value);
  }
  return root;
}

export type TomlValue = string | boolean | number | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

function tomlScalar(text: string): TomlValue {
  const t = text.trim();
  if (t.startsWith('[')) {
    const items: TomlValue[] = [];
    for (const m of t.slice(1, -1).matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|\{[^}]*\}/g))
      items.push(m[1] ?? m[2] ?? m[0]);
    return items;
  }
  if (t.startsWith('"') || t.startsWith("'")) return unquote(t);
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return t;
}

/** TOML tables `[a.b]`, arrays of tables `[[a]]` (sub-tables attach to the last element). */
export function parseTomlSubset(text: string): TomlTable {
  const root: TomlTable = {};
  let current: TomlTable = root;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^(\[\[?)\s*([^\]]+?)\s*\]\]?$/.exec(line);
    if (header) {
      const isArray = header[1] === '[[';
      const keys = header[2]!.split('.').map((k) => unquote(k));
      let table: TomlTable = root;
      keys.forEach((key, n) => {
        const last = n === keys.length - 1;
        let next = table[key];
        if (last && isArray) {
          const list = Array.isArray(next) ? next : [];
          const item: TomlTable = {};
          list.push(item);
          table[key] = list;
          table = item;
          return;
        }
        if (Array.isArray(next)) next = next[next.length - 1] as TomlTable;
        if (!next || typeof next !== 'object') {
          next = {};
          table[key] = next;
        }
        table = next as TomlTable;
      });
      current = table;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = unquote(line.slice(0, eq));
    let value = line.slice(eq + 1).trim();
    // Multi-line arrays: read on to the closing bracket.
    if (value.startsWith('[') && !value.endsWith(']')) {
      while (i + 1 < lines.length && !value.trimEnd().endsWith(']')) value += ` ${lines[++i]!.trim()}`;
    }
    current[key] = tomlScalar(value);
  }
  return root;
}
