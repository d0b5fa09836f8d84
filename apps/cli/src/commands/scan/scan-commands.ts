import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { REPOSITORY_SCAN_FILES } from '../../../../server/src/modules/security/repository-files.ts';
import {
  applyBaseline,
  BUILTIN_RULES,
  type Finding,
  loadBaseline,
  loadIgnoreFile,
  loadSecretsConfig,
  RULESET_VERSION,
  type ScannerOptions,
  type SecretRule,
  SecretScanError,
  SecretScanner,
  scanGitHistory,
  scanPath,
  scanStaged,
  sortFindings,
  toJsonReport,
  toSarif,
} from '../../../../server/src/modules/security/secrets/index.ts';
import { apiClientFromEnv } from '../../api-client.ts';
import { printJson, say } from '../../output.ts';
import { registerAdvisoriesCommand, registerDepsCommand } from './deps-command.ts';

const isString = (value: string | undefined): value is string => value !== undefined;

/** Exit codes of `engops scan secrets`. */
export const SCAN_EXIT = { clean: 0, findings: 1, error: 2 } as const;

interface SecretsOptions {
  git?: boolean;
  staged?: boolean;
  format: string;
  config?: string;
  baseline?: string[];
  ignoreFile?: string[];
  progress?: boolean;
  upload?: boolean;
  service?: string;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function printText(findings: Finding[], summary: string): void {
  for (const f of findings) {
    const where = f.commit
      ? `  commit ${f.commit.slice(0, 12)}${f.author ? ` by ${f.author}` : ''}${f.date ? ` on ${f.date}` : ''}`
      : '';
    say(`${f.file}:${f.line}:${f.column}  ${f.rule}  ${f.redacted}${where}`);
    say(`  ${f.description}; fingerprint ${f.fingerprint}`);
  }
  if (findings.length > 0) say('');
  say(summary, findings.length > 0 ? 'stdout' : 'stderr');
}

async function runSecretsScan(target: string, options: SecretsOptions): Promise<number> {
  if (!['text', 'json', 'sarif'].includes(options.format))
    throw new SecretScanError(`--format must be text, json or sarif, not ${JSON.stringify(options.format)}`);
  if (options.git && options.staged) throw new SecretScanError('--git and --staged cannot be combined');
  if (options.upload && !options.service) throw new SecretScanError('--upload needs --service <name|id>');
  const api = options.upload ? apiClientFromEnv() : undefined;
  if (options.upload && !api)
    throw new SecretScanError('--upload needs ENGOPS_URL and ENGOPS_TOKEN (the server to send findings to)');
  const root = path.resolve(target);
  // The repository's own scanner files (the ones the server's push scans read) are used when the
  // scanned folder has them and no flag names another file.
  const inRoot = (name: string) => {
    const file = path.join(root, name);
    return fs.existsSync(file) ? file : undefined;
  };
  const configFile = options.config ?? inRoot(REPOSITORY_SCAN_FILES.secretsConfig);
  const baselines = options.baseline ?? [inRoot(REPOSITORY_SCAN_FILES.secretsBaseline)].filter(isString);
  const ignoreFiles = options.ignoreFile ?? [inRoot(REPOSITORY_SCAN_FILES.secretsIgnore)].filter(isString);
  const scannerOptions: ScannerOptions = configFile ? await loadSecretsConfig(configFile) : {};
  const rules: readonly SecretRule[] = scannerOptions.rules ?? BUILTIN_RULES;
  const scanner = new SecretScanner(scannerOptions);
  const known = new Set<string>();
  for (const file of baselines) for (const fp of await loadBaseline(file)) known.add(fp);
  for (const file of ignoreFiles) for (const fp of await loadIgnoreFile(file)) known.add(fp);

  let findings: Finding[];
  const scanned: { files?: number; commits?: number } = {};
  const mode = options.git ? 'git' : options.staged ? 'staged' : 'tree';
  if (options.git) {
    const showBar = options.progress !== false && Boolean(process.stderr.isTTY);
    const bar = showBar
      ? new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: 'scanning history [{bar}] {value}/{total} commits',
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    let started = false;
    const result = await scanGitHistory(root, scanner, {
      onProgress: ({ done, total }) => {
        if (!bar) return;
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        bar.update(done);
      },
    }).finally(() => bar?.stop());
    findings = sortFindings(result.findings);
    scanned.commits = result.commits;
  } else if (options.staged) {
    findings = sortFindings(await scanStaged(root, scanner));
  } else {
    const result = await scanPath(root, scanner);
    findings = result.findings;
    scanned.files = result.files;
  }
  const { kept, suppressed } = applyBaseline(findings, known);

  if (options.format === 'json') {
    printJson(toJsonReport({ mode, target, scanned, suppressed: suppressed.length, findings: kept }));
  } else if (options.format === 'sarif') {
    // Baseline findings stay in the log as suppressed results, so code-scanning UIs show them closed.
    printJson(toSarif(kept, rules, suppressed));
  } else {
    const plural = (n: number | undefined, word: string) => `${n ?? 0} ${word}${n === 1 ? '' : 's'}`;
    const what =
      mode === 'git'
        ? plural(scanned.commits, 'commit')
        : mode === 'staged'
          ? 'the staged changes'
          : plural(scanned.files, 'file');
    const noun = kept.length === 1 ? 'secret' : 'secrets';
    const hidden =
      suppressed.length > 0 ? ` (${suppressed.length} suppressed by baseline or ignore file)` : '';
    printText(
      kept,
      kept.length > 0
        ? `${kept.length} ${noun} found in ${what}${hidden}. Revoke and rotate each one, then remove it; see docs/guides/secret-scanning.md.`
        : `No secrets found in ${what}${hidden} (rules ${RULESET_VERSION}).`,
    );
  }
  if (api && options.service) {
    // Only the redacted form and the fingerprint leave this machine, never the secret.
    const result = await api.request<{ created: number; reopened: number; fixed: number; open: number }>(
      'POST',
      '/api/v1/security/scans',
      {
        service_id: options.service,
        kind: 'secret',
        tool: 'engops-secrets',
        // A history or staged scan sees part of the code only: it never marks stored findings fixed.
        complete: mode === 'tree',
        findings: kept.map((f) => ({
          fingerprint: f.fingerprint,
          rule: f.rule,
          title: `${f.description}: ${f.redacted}`.slice(0, 500),
          severity: 'high',
          file: f.file,
          line: f.line,
          commit: f.commit ?? null,
          author: f.author ?? null,
        })),
      },
    );
    say(
      `Uploaded to ${api.url} for ${options.service}: ${result.created} new, ${result.reopened} reopened, ${result.fixed} fixed, ${result.open} open.`,
      'stderr',
    );
  }
  return kept.length > 0 ? SCAN_EXIT.findings : SCAN_EXIT.clean;
}

export function registerScanCommands(program: Command): void {
  const scan = program
    .command('scan')
    .description('Scan code for security problems (secrets, vulnerable dependencies)');
  registerDepsCommand(scan);
  registerAdvisoriesCommand(program);
  scan
    .command('secrets')
    .description('Find secrets (keys, tokens, passwords) in a working tree, a git history or staged changes')
    .argument('[path]', 'file or directory to scan (the repository for --git and --staged)', '.')
    .option('--git', "scan every commit's added lines in the repository's history (HEAD)")
    .option('--staged', 'scan the staged changes (git diff --cached), for a pre-commit hook')
    .option('--format <format>', 'text, json or sarif (SARIF 2.1.0)', 'text')
    .option(
      '--config <file>',
      'JSON config: custom rules, disabled rules, allowlists (default: .engops-secrets.json in path)',
    )
    .option(
      '--baseline <report.json>',
      'ignore findings present in a previous JSON or SARIF report (default: .engops-secrets-baseline.json in path)',
      collect,
    )
    .option(
      '--ignore-file <file>',
      'ignore the fingerprints listed in this file, one a line (default: .engops-secrets-ignore in path)',
      collect,
    )
    .option('--no-progress', 'no progress bar for --git, even on a terminal')
    .option('--upload', 'send the findings (redacted, with fingerprints) to the engops server for --service')
    .option('--service <name|id>', 'the service this repository belongs to (with --upload)')
    .addHelpText(
      'after',
      `
Exit codes: 0 no secrets, 1 secrets found, 2 the scan could not run (bad path, config or baseline).
Secrets are never printed in full: findings show the first characters and a fingerprint.
Silence one line with a comment containing engops:allow-secret.

Examples:
  engops scan secrets .                                  # the working tree (git-ignored files skipped)
  engops scan secrets . --git                            # the whole history of HEAD
  engops scan secrets . --format json > secrets-baseline.json
  engops scan secrets . --baseline secrets-baseline.json # only new findings
  engops scan secrets --staged                           # in .git/hooks/pre-commit
  engops scan secrets . --format sarif > secrets.sarif   # for code-scanning UIs`,
    )
    .action(async (target: string, options: SecretsOptions) => {
      try {
        process.exitCode = await runSecretsScan(target, options);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`error: ${message}\n`);
        process.exitCode = SCAN_EXIT.error;
      }
    });
}
