import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import {
  applyIgnores,
  type DepFinding,
  DepsScanError,
  dependencyUpload,
  fetchAdvisoriesFromOsvApi,
  type IgnoreEntry,
  ignoreReason,
  indexAdvisories,
  loadAdvisories,
  matchLockfiles,
  parseIgnoreEntries,
  readLockfiles,
  SEVERITY_RANK,
  type Severity,
  toDepsJsonReport,
  toDepsSarif,
} from '../../../../server/src/modules/security/deps/index.ts';
import { REPOSITORY_SCAN_FILES } from '../../../../server/src/modules/security/repository-files.ts';
import { apiClientFromEnv } from '../../api-client.ts';
import { printJson, say } from '../../output.ts';
import { onServerOrLocal } from '../../target.ts';

/** Exit codes of `engops scan deps` (as `engops scan secrets`). */
export const DEPS_EXIT = { clean: 0, vulnerable: 1, error: 2 } as const;
export const DEFAULT_IGNORE_FILE = REPOSITORY_SCAN_FILES.depsIgnore;
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'unknown'] as const;

interface DepsOptions {
  advisories?: string[];
  osvUrl?: string;
  format: string;
  ignoreFile?: string;
  failOn: string;
  dev: boolean;
  upload?: boolean;
  service?: string;
  progress?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function printText(findings: DepFinding[], summary: string, expired: IgnoreEntry[]): void {
  for (const f of findings) {
    say(
      `${f.file}:${f.line}  ${f.package}@${f.version} (${f.ecosystem})  ${f.advisory}  ${f.severity}${f.score !== null ? ` ${f.score.toFixed(1)}` : ''}`,
    );
    say(`  ${f.summary}`);
    say(
      `  ${f.fixed ? `fix: upgrade to ${f.fixed}` : 'no fixed version published'}; path: ${f.path.join(' > ')}${f.dev ? ' (dev)' : ''}`,
    );
  }
  for (const e of expired)
    say(`warning: ignore entry for ${e.id} expired on ${e.expires} (${e.reason})`, 'stderr');
  if (findings.length > 0) say('');
  say(summary, findings.length > 0 ? 'stdout' : 'stderr');
}

async function runDepsScan(target: string, options: DepsOptions): Promise<number> {
  if (!['text', 'json', 'sarif'].includes(options.format))
    throw new DepsScanError(`--format must be text, json or sarif, not ${JSON.stringify(options.format)}`);
  if (!(SEVERITIES as readonly string[]).includes(options.failOn))
    throw new DepsScanError(
      `--fail-on must be one of ${SEVERITIES.join(', ')}, not ${JSON.stringify(options.failOn)}`,
    );
  if (!options.advisories?.length && !options.osvUrl)
    throw new DepsScanError(
      'no advisories: pass --advisories <OSV file, folder or zip> or --osv-url <OSV API server>',
    );
  if (options.upload && !options.service) throw new DepsScanError('--upload needs --service <name|id>');
  const api = options.upload ? apiClientFromEnv() : undefined;
  if (options.upload && !api)
    throw new DepsScanError('--upload needs ENGOPS_URL and ENGOPS_TOKEN (the server to send findings to)');

  const root = path.resolve(target);
  const showBar = options.progress !== false && Boolean(process.stderr.isTTY);
  const bar = showBar
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: 'reading lockfiles [{bar}] {value}/{total}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let started = false;
  const parsed = await readLockfiles(root, (done, total) => {
    if (!bar) return;
    if (!started) {
      bar.start(total, 0);
      started = true;
    }
    bar.update(done);
  }).finally(() => bar?.stop());
  for (const p of parsed) if (!options.dev) p.deps = p.deps.filter((d) => !d.dev);

  const advisories = [
    ...(options.advisories?.length ? await loadAdvisories(options.advisories) : []),
    ...(options.osvUrl
      ? await fetchAdvisoriesFromOsvApi(
          options.osvUrl,
          parsed.flatMap((p) => p.deps),
        )
      : []),
  ];
  const index = indexAdvisories(advisories);
  const findings = matchLockfiles(parsed, index);

  const ignorePath =
    options.ignoreFile ??
    (fs.existsSync(path.join(root, DEFAULT_IGNORE_FILE)) ? path.join(root, DEFAULT_IGNORE_FILE) : undefined);
  const entries = ignorePath
    ? parseIgnoreEntries(
        await fs.promises.readFile(ignorePath, 'utf8').catch(() => {
          throw new DepsScanError(`${ignorePath}: cannot read the ignore file`);
        }),
        ignorePath,
      )
    : [];
  const { kept, ignored, suppressions, expired } = applyIgnores(findings, entries, new Date());
  const dependencies = parsed.reduce((n, p) => n + p.deps.length, 0);
  const lockfiles = parsed.map((p) => p.file);

  if (options.format === 'json') {
    printJson(
      toDepsJsonReport({
        target,
        advisories: index.size,
        lockfiles,
        dependencies,
        ignored: ignored.length,
        expired_ignores: expired,
        findings: kept,
      }),
    );
  } else if (options.format === 'sarif') {
    // Ignored findings stay in the log as suppressed results with the ignore entry's reason.
    printJson(toDepsSarif(kept, suppressions));
  } else {
    const hidden = ignored.length > 0 ? ` (${ignored.length} ignored)` : '';
    const scanned = `${dependencies} package version${dependencies === 1 ? '' : 's'} in ${lockfiles.length} lockfile${lockfiles.length === 1 ? '' : 's'}, ${index.size} advisories`;
    printText(
      kept,
      kept.length > 0
        ? `${kept.length} vulnerable dependenc${kept.length === 1 ? 'y' : 'ies'} found (${scanned})${hidden}. Upgrade to the fixed versions; see docs/guides/security.md.`
        : `No vulnerable dependencies (${scanned})${hidden}.`,
      expired,
    );
  }

  if (api && options.service) {
    // The inventory lets the server match later advisories against these versions (daily rescans).
    await api.request('PUT', '/api/v1/security/dependencies', {
      service_id: options.service,
      dependencies: parsed.flatMap((p) =>
        p.deps.map((d) => ({
          ecosystem: d.ecosystem,
          name: d.name,
          version: d.version,
          file: d.file,
          direct: d.direct,
          dev: d.dev,
          path: d.path.slice(0, 100),
        })),
      ),
      // The server's later rescans leave out what this scan ignored (expired entries included, as
      // here: an expired entry ignores nothing).
      ignores: entries.map((e) => ({
        id: e.id,
        ...(e.package ? { package: e.package } : {}),
        reason: e.reason,
        ...(e.expires ? { expires: e.expires } : {}),
      })),
    });
    const result = await api.request<{
      created: number;
      reopened: number;
      fixed: number;
      acknowledged: number;
      open: number;
    }>('POST', '/api/v1/security/scans', {
      service_id: options.service,
      kind: 'dependency',
      tool: 'engops-deps',
      findings: kept.map((f) => dependencyUpload(f, true)),
      // What the ignore entries cover: set aside on the server (acknowledged), not taken for fixed.
      ignored: suppressions.map(({ finding, entry }) => ({
        fingerprint: finding.fingerprint,
        reason: ignoreReason(entry),
      })),
    });
    const aside = result.acknowledged ? `, ${result.acknowledged} set aside by ignore entries` : '';
    say(
      `Uploaded to ${api.url} for ${options.service}: ${result.created} new, ${result.reopened} reopened, ${result.fixed} fixed${aside}, ${result.open} open.`,
      'stderr',
    );
  }
  const threshold = SEVERITY_RANK[options.failOn as Severity];
  return kept.some((f) => SEVERITY_RANK[f.severity] >= threshold) ? DEPS_EXIT.vulnerable : DEPS_EXIT.clean;
}

export function registerDepsCommand(scan: Command): void {
  scan
    .command('deps')
    .description('Find dependencies with known vulnerabilities in lockfiles, matched against OSV advisories')
    .argument('[path]', 'a lockfile, or a directory searched for lockfiles', '.')
    .option(
      '--advisories <path>',
      'OSV advisories: a JSON file, a folder of them, or a zip archive (repeatable)',
      collect,
    )
    .option(
      '--osv-url <url>',
      "a server speaking OSV's API (POST /v1/querybatch), e.g. a mirror inside your network",
    )
    .option('--format <format>', 'text, json or sarif (SARIF 2.1.0)', 'text')
    .option(
      '--ignore-file <file>',
      `ignore entries with reasons and expiries (default: ${DEFAULT_IGNORE_FILE} in path)`,
    )
    .option(
      '--fail-on <severity>',
      'lowest severity that fails the scan: critical, high, medium, low or unknown',
      'unknown',
    )
    .option('--no-dev', 'leave out development dependencies')
    .option('--upload', 'send the findings to the engops server (ENGOPS_URL, ENGOPS_TOKEN) for --service')
    .option('--service <name|id>', 'the service these lockfiles belong to (with --upload)')
    .option('--no-progress', 'no progress bar, even on a terminal')
    .addHelpText(
      'after',
      `
Lockfiles: package-lock.json / npm-shrinkwrap.json (v1-v3), yarn.lock (classic and Berry),
pnpm-lock.yaml (v5-v9), requirements*.txt (pinned ==), poetry.lock, go.sum, Cargo.lock,
Gemfile.lock, composer.lock. node_modules, vendor, target and .git are skipped.

Exit codes: 0 nothing vulnerable at or above --fail-on, 1 vulnerable dependencies found,
2 the scan could not run (bad path, lockfile, advisories, ignore file or server).

Ignore file (${DEFAULT_IGNORE_FILE}):
  { "ignore": [ { "id": "GHSA-xxxx-xxxx-xxxx", "package": "lodash", "reason": "not reachable",
                  "expires": "2026-06-30" } ] }
  An entry matches the advisory id or an alias (CVE); an expired entry ignores nothing.

Examples:
  engops scan deps . --advisories osv-npm.zip
  engops scan deps . --advisories advisories/ --format sarif > deps.sarif
  engops scan deps . --osv-url http://osv-mirror.internal:8080 --fail-on high
  engops scan deps . --advisories osv.zip --upload --service checkout-api`,
    )
    .action(async (target: string, options: DepsOptions) => {
      try {
        process.exitCode = await runDepsScan(target, options);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`error: ${message}\n`);
        process.exitCode = DEPS_EXIT.error;
      }
    });
}

/** `engops advisories import <path...>`: OSV files, folders or zips into the server's advisory store. */
export function registerAdvisoriesCommand(program: Command): void {
  program
    .command('advisories')
    .description('OSV advisories kept by the server, for server-side dependency rescans')
    .command('import')
    .description("Import OSV advisories (JSON files, folders of them, zip archives) into the server's store")
    .argument('<paths...>', 'OSV JSON files, folders or zip archives')
    .option('--no-progress', 'no progress bar, even on a terminal')
    .addHelpText(
      'after',
      `
Sends the records to ENGOPS_URL (ENGOPS_TOKEN: an admin token) in batches of 500; without
ENGOPS_URL, writes them into the local database the server uses. Records already stored with the
same "modified" time are left alone. Services whose dependency inventory was uploaded
(engops scan deps --upload) are rescanned against the new advisories.

Example:
  engops advisories import osv-npm.zip osv-pypi.zip`,
    )
    .action(async (paths: string[], options: { progress?: boolean }) => {
      try {
        const advisories = await loadAdvisories(paths);
        const batches: unknown[][] = [];
        for (let i = 0; i < advisories.length; i += 500) batches.push(advisories.slice(i, i + 500));
        const showBar = options.progress !== false && Boolean(process.stderr.isTTY) && batches.length > 1;
        const bar = showBar
          ? new cliProgress.SingleBar(
              {
                stream: process.stderr,
                format: 'importing [{bar}] {value}/{total} advisories',
                hideCursor: true,
              },
              cliProgress.Presets.shades_classic,
            )
          : null;
        bar?.start(advisories.length, 0);
        const totals = { imported: 0, updated: 0, unchanged: 0, total: 0 };
        const add = (r: typeof totals) => {
          totals.imported += r.imported;
          totals.updated += r.updated;
          totals.unchanged += r.unchanged;
          totals.total = r.total;
        };
        const { result, where } = await onServerOrLocal({
          async api(client) {
            for (const batch of batches) {
              add(
                await client.request<typeof totals>('POST', '/api/v1/security/advisories', {
                  advisories: batch,
                }),
              );
              bar?.increment(batch.length);
            }
            return totals;
          },
          async local(container) {
            const ctx = { principal: (await import('@engops/server')).systemPrincipal };
            for (const batch of batches) {
              add(await container.security.service.advisories.importAdvisories(ctx, batch));
              bar?.increment(batch.length);
            }
            return totals;
          },
        }).finally(() => bar?.stop());
        say(
          `${result.imported} new, ${result.updated} updated, ${result.unchanged} unchanged advisories in ${where} (${result.total} stored).`,
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`error: ${message}\n`);
        process.exitCode = DEPS_EXIT.error;
      }
    });
}
