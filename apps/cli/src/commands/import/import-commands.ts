import path from 'node:path';
import {
  GIT_IMPORT_MAX_COLUMN_COMMITS,
  type GitImportResult,
  type GitImportState,
  gitImportBatchSchema,
} from '@engops/contracts';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { printJson, say, TARGET_HELP } from '../../output.ts';
import { onServerOrLocal, validateBody } from '../../target.ts';
import {
  DEFAULT_GIT_BATCH,
  type GitImportBatchInput,
  type GitImportSummary,
  importGitHistory,
} from './git-import.ts';

const FLAGS = { service_id: '--service', 'deployments.0.environment': '--env' };

/** A batch cut down to the fields set by flags (git's own output is validated by the server). */
function flagFields(batch: GitImportBatchInput): GitImportBatchInput {
  return {
    service_id: batch.service_id,
    deployments: batch.deployments.slice(0, 1).map((d) => ({ ...d, shas: [] })),
  };
}

export function registerImportCommands(program: Command): void {
  const imports = program.command('import').description('Import history from other tools');
  imports
    .command('git <path>')
    .description("Import a local git repository's commits (and tags as deployments) for a service")
    .requiredOption('--service <name|id>', 'the service the repository belongs to')
    .option('--deploy-tags <pattern>', "tags that are production deployments, e.g. 'v*'")
    .option('--ref <ref>', 'the branch or ref whose history is imported', 'HEAD')
    .option('--env <environment>', 'environment of the tag deployments (default: the production environment)')
    .option(
      '--batch <n>',
      `commits per request (at most ${GIT_IMPORT_MAX_COLUMN_COMMITS}; a tag's commit list goes in parts of 3 times that, at most 50000)`,
      String(DEFAULT_GIT_BATCH),
    )
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Re-running it imports only what is new: engops remembers the commits the last import reached and
the tags it recorded. Times are the commits' own (committer date); a tag deployment finishes at the
tag's date (tagger date, or the commit date of a lightweight tag) and ships the commits it holds
that no earlier matching tag held.

Example:
  engops import git . --service api --deploy-tags 'v*'
${TARGET_HELP}`,
    )
    .action(
      async (
        repo: string,
        options: {
          service: string;
          deployTags?: string;
          ref: string;
          env?: string;
          batch: string;
          progress?: boolean;
          json?: boolean;
        },
      ) => {
        const showBar = options.progress !== false && Boolean(process.stderr.isTTY) && !options.json;
        const bar = showBar
          ? new cliProgress.SingleBar(
              {
                stream: process.stderr,
                format: '{phase} [{bar}] {value}/{total}',
                hideCursor: true,
              },
              cliProgress.Presets.shades_classic,
            )
          : null;
        let phase = '';
        const onProgress = (p: { phase: 'commits' | 'tags'; done: number; total: number | null }) => {
          if (!bar) return;
          if (p.phase !== phase) {
            if (phase) bar.stop();
            phase = p.phase;
            bar.start(p.total ?? 0, p.done, { phase: p.phase === 'commits' ? 'commits' : 'tags   ' });
          } else {
            // The commits are counted beside the walk: the total arrives after the first batches.
            if (p.total !== null && p.total !== bar.getTotal()) bar.setTotal(p.total);
            bar.update(p.done);
          }
        };
        const common = {
          path: path.resolve(repo),
          service: options.service,
          deployTags: options.deployTags,
          ref: options.ref,
          environment: options.env,
          batchSize: Number(options.batch) || DEFAULT_GIT_BATCH,
          // Without a bar the commits are not counted at all (one walk of the history fewer).
          onProgress: bar ? onProgress : undefined,
        };
        const { result, where } = await onServerOrLocal<GitImportSummary>(
          {
            api: (client) =>
              importGitHistory(common, {
                state: () =>
                  client.request<GitImportState>(
                    'GET',
                    `/api/v1/imports/git?${new URLSearchParams({ service_id: options.service })}`,
                  ),
                send: async (batch) => {
                  // The server validates every field; here only what the flags set (the same in
                  // every batch), so that a bad --service or --env names its flag.
                  await validateBody(gitImportBatchSchema, flagFields(batch), FLAGS);
                  return client.request<GitImportResult>('POST', '/api/v1/imports/git', batch);
                },
              }),
            local: async (container) => {
              const { systemPrincipal } = await import('@engops/server');
              const ctx = { principal: systemPrincipal };
              const service = await container.dora.service.findService(options.service);
              return importGitHistory(
                { ...common, service: service.id },
                {
                  state: () => container.dora.service.gitImportState(service.id),
                  send: async (batch) =>
                    container.dora.service.importGit(
                      ctx,
                      await validateBody(gitImportBatchSchema, batch, FLAGS),
                      service,
                    ),
                },
              );
            },
          },
          FLAGS,
        ).finally(() => bar?.stop());
        if (options.json) return printJson(result);
        if (result.already_imported) {
          say(`Nothing new in ${common.path} for ${options.service}: already imported (in ${where}).`);
          return;
        }
        say(
          `Imported ${result.commits_read} commits (${result.commits_created} new) and ` +
            `${result.deployments_created} tag deployments` +
            (result.deployments_existing ? ` (${result.deployments_existing} already recorded)` : '') +
            ` for ${options.service}; in ${where}.`,
        );
      },
    );
}
