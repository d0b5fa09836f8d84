/**
 * Unleash's REGEX operator uses RE2 syntax (linear time: no look-around, no back-references).
 * This translates the RE2 subset into a JavaScript RegExp and rejects what RE2 rejects, so a
 * pattern behaves the same here as in Unleash's own engines. Null means "invalid: never matches".
 */
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const MAX_PATTERN_LENGTH = 10_000;

export function compileRe2(pattern: string, caseInsensitive = false): RegExp | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return null;
  const flags = new Set<string>(caseInsensitive ? ['i'] : []);
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) return null;
      if (/[1-9]/.test(next) || next === 'k') return null; // back-references
      if (!inClass && next === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && next === 'z') out += '(?![\\s\\S])';
      else if (next === 'Q') {
        // \Q...\E quotes literally.
        const end = pattern.indexOf('\\E', i + 2);
        const literal = pattern.slice(i + 2, end === -1 ? undefined : end);
        out += literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
        i = end === -1 ? pattern.length : end + 1;
        continue;
      } else out += c + next;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const end = pattern.indexOf(':]', i + 2);
        if (end === -1) return null;
        const name = pattern.slice(i + 2, end);
        const range = POSIX_CLASSES[name];
        if (!range) return null;
        out += range;
        i = end + 1;
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A leading ']' (or '^]') is literal in RE2.
      if (pattern[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (pattern[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (/^[=!]/.test(rest) || /^<[=!]/.test(rest)) return null; // look-around
      const named = /^P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) {
        out += `(?<${named[1]}>`;
        i += 1 + named[0].length;
        continue;
      }
      const flagGroup = /^([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
      if (flagGroup && (flagGroup[1] || flagGroup[2] || flagGroup[3] === ':')) {
        // Flags apply to the whole pattern here (RE2 scopes them from that point on).
        for (const f of flagGroup[1] ?? '') if (f !== 'U') flags.add(f);
        for (const f of flagGroup[2] ?? '') flags.delete(f);
        if (flagGroup[1]?.includes('U') || flagGroup[2]?.includes('U')) return null;
        out += flagGroup[3] === ':' ? '(?:' : '';
        i += 1 + flagGroup[0].length;
        continue;
      }
      if (rest.startsWith(':')) {
        out += '(?:';
        i += 2;
        continue;
      }
      return null;
    }
    out += c;
  }
  if (inClass) return null;
  try {
    return new RegExp(out, [...flags].join(''));
  } catch {
    return null;
  }
}
