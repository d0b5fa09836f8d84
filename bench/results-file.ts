import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

/**
 * JSON as Biome formats it (2 spaces; arrays of plain values on one line when they fit in 110
 * columns), so that results left in bench/results/ never fail `biome check .` in `npm test`.
 * (Longer arrays of plain values would need Biome's fill layout; the benchmarks write none.)
 */
export function formatJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2).replace(
    /^( *)("[^"\n]*": )?\[\n((?: *(?:-?[\d.e+-]+|"[^"\n]*"|true|false|null),?\n)+) *\]/gm,
    (whole: string, indent: string, key: string | undefined, items: string) => {
      const line = `${indent}${key ?? ''}[${items
        .split('\n')
        .map((item) => item.trim().replace(/,$/, ''))
        .filter((item) => item !== '')
        .join(', ')}]`;
      return line.length <= 110 ? line : whole;
    },
  );
  return `${text}\n`;
}

/** Writes `<name>-<timestamp>.json` to bench/results/ and returns its path. */
export function writeResults(name: string, value: unknown): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, formatJson(value));
  return file;
}
