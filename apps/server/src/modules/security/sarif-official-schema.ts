import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * For tests: the official OASIS SARIF 2.1.0 JSON schema (2.1.0-rtm.5, as shipped by the
 * `@microsoft/jest-sarif` dev dependency; read from node_modules, never copied into the repository),
 * compiled with ajv 8.
 *
 * The file declares JSON Schema draft-04, which ajv 8 does not load as such. Its only draft-04-only
 * constructs are the top-level `$schema` and `id` (no boolean `exclusiveMinimum`/`exclusiveMaximum`,
 * no `dependencies`): every other keyword it uses means the same in draft-07. So the two top-level
 * keys are replaced (`id` becomes `$id`) and the rest is compiled unchanged with ajv's `strictSchema`,
 * which fails on any keyword it does not know rather than ignoring it. Its `language` pattern
 * (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`) has a stray `]` that is a syntax error under the
 * regular-expression `u` flag ajv 8 uses by default, so patterns are compiled without it, as plain
 * ECMA-262 patterns (which JSON Schema specifies); no pattern in the schema needs Unicode mode.
 */
export const SARIF_SCHEMA_FILE = '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json';

export function loadOfficialSarifSchema(): Record<string, unknown> {
  const file = createRequire(import.meta.url).resolve(SARIF_SCHEMA_FILE);
  const { $schema, id, ...rest } = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  if ($schema !== 'http://json-schema.org/draft-04/schema#' || typeof id !== 'string')
    throw new Error(`${file}: not the draft-04 SARIF schema this loader expects`);
  return { $schema: 'http://json-schema.org/draft-07/schema#', $id: id, ...rest };
}

let compiled: ValidateFunction | undefined;

/** A validator for whole SARIF logs against the official schema, with ajv-formats' uri/date-time checks. */
export async function officialSarifValidator(): Promise<ValidateFunction> {
  if (compiled) return compiled;
  const { default: addFormats } = await import('ajv-formats');
  const ajv = new Ajv({
    allErrors: true,
    strictSchema: true,
    strictTypes: false,
    strictTuples: false,
    unicodeRegExp: false,
  });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  compiled = ajv.compile(loadOfficialSarifSchema());
  return compiled;
}
