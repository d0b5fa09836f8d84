import fs from 'node:fs/promises';
import { z } from 'zod';
import { SecretScanError } from './git-history.ts';
import { BUILTIN_RULES, type SecretRule } from './rules.ts';
import type { ScannerOptions } from './scanner.ts';

/**
 * The config file (`--config <file>`), JSON:
 *
 *   {
 *     "version": 1,
 *     "rules": [{ "id": "acme-api-key", "description": "ACME API key", "regex": "\\b(acme_[a-z0-9]{32})\\b",
 *                 "flags": "i", "keywords": ["acme_"], "entropy": 3.5, "secretGroup": 1 }],
 *     "disable": ["jwt"],
 *     "allowlist": { "paths": ["^test/fixtures/"], "secrets": ["^sk_live_testonly"] }
 *   }
 *
 * Custom rules run after the built-in provider rules and before the generic assignment rule.
 */
const ruleSchema = z.object({
  id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'kebab-case id (a-z, 0-9, -)'),
  description: z.string().min(1),
  regex: z.string().min(1),
  flags: z
    .string()
    .regex(/^[imsu]*$/, 'flags among i, m, s, u')
    .optional(),
  keywords: z.array(z.string().min(1)).default([]),
  entropy: z.number().min(0).max(8).default(0),
  secretGroup: z.number().int().min(0).default(0),
});

export const secretsConfigSchema = z.object({
  version: z.literal(1),
  rules: z.array(ruleSchema).default([]),
  disable: z.array(z.string()).default([]),
  allowlist: z
    .object({ paths: z.array(z.string()).default([]), secrets: z.array(z.string()).default([]) })
    .default({ paths: [], secrets: [] }),
});

export type SecretsConfig = z.infer<typeof secretsConfigSchema>;

function compile(source: string, flags: string, where: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw new SecretScanError(`${where}: invalid regular expression: ${(error as Error).message}`);
  }
}

/** Turns a parsed config into scanner options (rules in priority order, allowlists). */
export function scannerOptionsFromConfig(config: unknown, source = 'config'): Required<ScannerOptions> {
  const parsed = secretsConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SecretScanError(`${source} is not a valid secrets config: ${issues.join('; ')}`);
  }
  const { rules, disable, allowlist } = parsed.data;
  const builtinIds = new Set(BUILTIN_RULES.map((r) => r.id));
  for (const id of disable)
    if (!builtinIds.has(id))
      throw new SecretScanError(`${source}: disable: unknown rule ${JSON.stringify(id)}`);
  const seen = new Set(builtinIds);
  const custom: SecretRule[] = rules.map((rule, i) => {
    const where = `${source}: rules[${i}] (${rule.id})`;
    if (seen.has(rule.id)) throw new SecretScanError(`${where}: the id is already used`);
    seen.add(rule.id);
    const regex = compile(rule.regex, rule.flags ?? '', where);
    const groups = (new RegExp(`${regex.source}|`, regex.flags).exec('')?.length ?? 1) - 1;
    if (rule.secretGroup > groups)
      throw new SecretScanError(
        `${where}: secretGroup ${rule.secretGroup} but the regex has ${groups} groups`,
      );
    return {
      id: rule.id,
      description: rule.description,
      regex,
      keywords: rule.keywords.map((k) => k.toLowerCase()),
      entropy: rule.entropy,
      secretGroup: rule.secretGroup,
    };
  });
  const builtins = BUILTIN_RULES.filter((r) => !disable.includes(r.id));
  const specific = builtins.filter((r) => !r.generic);
  const generic = builtins.filter((r) => r.generic);
  return {
    rules: [...specific, ...custom, ...generic],
    allowPaths: allowlist.paths.map((p, i) => compile(p, '', `${source}: allowlist.paths[${i}]`)),
    allowSecrets: allowlist.secrets.map((p, i) => compile(p, '', `${source}: allowlist.secrets[${i}]`)),
  };
}

/** Reads and validates a config file. */
export async function loadSecretsConfig(file: string): Promise<Required<ScannerOptions>> {
  const text = await fs.readFile(file, 'utf8').catch((error: Error) => {
    throw new SecretScanError(`cannot read config ${file}: ${error.message}`);
  });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SecretScanError(`config ${file} is not JSON: ${(error as Error).message}`);
  }
  return scannerOptionsFromConfig(data, file);
}
