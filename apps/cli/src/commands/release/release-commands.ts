import fs from 'node:fs';
import {
  createReleaseSchema,
  type Judgement,
  pushMetricsSchema,
  type Release,
  rollbackReleaseSchema,
  stageEventSchema,
} from '@engops/contracts';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { z } from 'zod';
import { CliError } from '../../cli-error.ts';
import { printJson, say, TARGET_HELP } from '../../output.ts';
import { onServerOrLocal, validateBody } from '../../target.ts';

const CREATE_FLAGS = {
  service_id: '<service>',
  version: '<version>',
  commit_sha: '--sha',
  pipeline_id: '--pipeline',
};
const STAGE_FLAGS = { status: '<status>', details: '--details', override: '--override-reason' };
const METRICS_FLAGS = { group: '--group', metric: '--metric', values: '--values / --file' };
/** The API takes at most this many values per request; larger files go up in chunks. */
const CHUNK = 10_000;

async function systemContext() {
  const { systemPrincipal } = await import('@engops/server');
  return { principal: systemPrincipal };
}

const enc = encodeURIComponent;

function stageLine(r: Release): string {
  return r.stages.map((s) => `${s.name}:${s.status}`).join(' ');
}

/** Numbers separated by commas, spaces or line breaks. */
export function parseValues(text: string): number[] {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  return parts.map((p) => {
    const n = Number(p);
    if (!Number.isFinite(n)) throw new CliError(`"${p.slice(0, 40)}" is not a number (--values / --file)`);
    return n;
  });
}

export function registerReleaseCommands(program: Command): void {
  const release = program
    .command('release')
    .description('Releases through the pipeline stages, canary samples and judgement (for CI/CD pipelines)');

  release
    .command('create')
    .description('Create a release of a service (the same version and commit again returns the existing one)')
    .argument('<service>', 'the service, by name or id')
    .argument('<version>', 'the version released')
    .requiredOption('--sha <sha>', 'the commit released')
    .option('--pipeline <id>', "a pipeline id (default: the team's default pipeline, else the handbook's)")
    .option('--quiet', 'print only the release id (for $(...) in a pipeline)')
    .option('--json', 'print the release as JSON')
    .addHelpText(
      'after',
      `
Example (ENGOPS_URL and ENGOPS_TOKEN set to a team responder token):
  RELEASE=$(engops release create api "$VERSION" --sha "$GIT_SHA" --quiet)
  engops release stage "$RELEASE" ci succeeded
${TARGET_HELP}`,
    )
    .action(
      async (
        service: string,
        version: string,
        options: { sha: string; pipeline?: string; quiet?: boolean; json?: boolean },
      ) => {
        const input = {
          service_id: service,
          version,
          commit_sha: options.sha,
          ...(options.pipeline ? { pipeline_id: options.pipeline } : {}),
        };
        const body = await validateBody(createReleaseSchema, input, CREATE_FLAGS);
        const { result, where } = await onServerOrLocal<Release>(
          {
            api: (client) => client.request('POST', '/api/v1/releases', body),
            local: async (container) => {
              const found = await container.releases.service.findService(body.service_id);
              return (await container.releases.service.create(await systemContext(), body, found)).release;
            },
          },
          CREATE_FLAGS,
        );
        if (options.json) return printJson(result);
        if (options.quiet) return say(result.id);
        say(`Release ${result.id}: ${service} ${result.version} (${stageLine(result)}); in ${where}.`);
      },
    );

  release
    .command('stage')
    .description('Report a stage event: started, succeeded or failed (stages run in pipeline order)')
    .argument('<release>', 'the release id')
    .argument('<stage>', 'the stage name (ci, staging, canary, production, monitor, or your own)')
    .argument('<status>', 'started, succeeded or failed')
    .option('--details <json>', 'a JSON object kept on the timeline (build URL, run id, ...)')
    .option('--override-reason <text>', 'admins only: skip earlier stages and closed gates, with this reason')
    .option('--json', 'print the release as JSON')
    .addHelpText('after', TARGET_HELP)
    .action(
      async (
        id: string,
        stage: string,
        status: string,
        options: { details?: string; overrideReason?: string; json?: boolean },
      ) => {
        let details: unknown;
        if (options.details !== undefined) {
          try {
            details = JSON.parse(options.details);
          } catch {
            throw new CliError('--details is not valid JSON');
          }
        }
        const input = {
          status,
          ...(details !== undefined ? { details } : {}),
          ...(options.overrideReason !== undefined ? { override: { reason: options.overrideReason } } : {}),
        };
        const body = await validateBody(stageEventSchema, input, STAGE_FLAGS);
        const { result } = await onServerOrLocal<Release>(
          {
            api: (client) => client.request('POST', `/api/v1/releases/${enc(id)}/stages/${enc(stage)}`, body),
            local: async (container) =>
              container.releases.service.stageEvent(await systemContext(), id, stage, body),
          },
          STAGE_FLAGS,
        );
        if (options.json) return printJson(result);
        say(
          `Release ${result.id} ${result.version}: ${stage} ${status}; now ${result.status} (${stageLine(result)}).`,
        );
        if (result.deployment_id && stage === 'production' && status === 'succeeded')
          say(`DORA deployment ${result.deployment_id} recorded.`);
      },
    );

  release
    .command('metrics')
    .description('Push canary or baseline samples of a metric (large files go up in chunks, with progress)')
    .argument('<release>', 'the release id')
    .requiredOption('--group <group>', 'canary or baseline')
    .requiredOption('--metric <name>', 'the metric name (latency_ms, error_rate, ...)')
    .option('--values <numbers>', 'comma-separated values')
    .option('--file <path>', 'a file of values (separated by commas, spaces or lines; - for stdin)')
    .option('--json', 'print the last answer as JSON')
    .addHelpText('after', TARGET_HELP)
    .action(
      async (
        id: string,
        options: { group: string; metric: string; values?: string; file?: string; json?: boolean },
      ) => {
        if ((options.values === undefined) === (options.file === undefined))
          throw new CliError('give exactly one of --values and --file');
        const text =
          options.values ?? fs.readFileSync(options.file === '-' ? 0 : (options.file as string), 'utf8');
        const values = parseValues(text);
        if (values.length === 0) throw new CliError('no values given (--values / --file)');
        const chunks: number[][] = [];
        for (let i = 0; i < values.length; i += CHUNK) chunks.push(values.slice(i, i + CHUNK));
        const bodies: Array<z.output<typeof pushMetricsSchema>> = [];
        for (const chunk of chunks)
          bodies.push(
            await validateBody(
              pushMetricsSchema,
              { group: options.group, metric: options.metric, values: chunk },
              METRICS_FLAGS,
            ),
          );
        const bar =
          chunks.length > 1 && process.stderr.isTTY
            ? new cliProgress.SingleBar(
                {
                  stream: process.stderr,
                  format: 'uploading [{bar}] {value}/{total} values',
                  hideCursor: true,
                },
                cliProgress.Presets.shades_classic,
              )
            : undefined;
        bar?.start(values.length, 0);
        type Answer = { metric: string; group: string; count: number };
        const { result } = await onServerOrLocal<Answer>(
          {
            api: async (client) => {
              let last: Answer | undefined;
              for (const body of bodies) {
                last = await client.request<Answer>('POST', `/api/v1/releases/${enc(id)}/metrics`, body);
                bar?.increment(body.values.length);
              }
              return last as Answer;
            },
            local: async (container) => {
              const ctx = await systemContext();
              let last: Answer | undefined;
              for (const body of bodies) {
                last = await container.releases.service.pushMetrics(ctx, id, body);
                bar?.increment(body.values.length);
              }
              return last as Answer;
            },
          },
          METRICS_FLAGS,
        ).finally(() => bar?.stop());
        if (options.json) return printJson(result);
        say(`Pushed ${values.length} ${result.group} values of ${result.metric}; ${result.count} in all.`);
      },
    );

  release
    .command('approve')
    .description('Approve a stage of a release (not by whoever created it)')
    .argument('<release>', 'the release id')
    .argument('<stage>', 'the stage to approve')
    .option('--comment <text>', 'a comment kept on the timeline')
    .addHelpText('after', TARGET_HELP)
    .action(async (id: string, stage: string, options: { comment?: string }) => {
      const body = { stage, ...(options.comment !== undefined ? { comment: options.comment } : {}) };
      const { result } = await onServerOrLocal<Release>({
        api: (client) => client.request('POST', `/api/v1/releases/${enc(id)}/approvals`, body),
        local: async (container) =>
          container.releases.service.approve(await systemContext(), id, stage, options.comment),
      });
      const s = result.stages.find((x) => x.name === stage);
      say(
        `Approved ${stage} of release ${result.id}: ${s?.approvals_given ?? 0} of ${s?.approvals ?? 0} needed.`,
      );
    });

  release
    .command('rollback')
    .description('Roll a release back: the rollback hook is called and a rollback deployment recorded')
    .argument('<release>', 'the release id')
    .requiredOption('--reason <text>', 'why (kept on the timeline and in the audit log)')
    .addHelpText('after', TARGET_HELP)
    .action(async (id: string, options: { reason: string }) => {
      const body = await validateBody(
        rollbackReleaseSchema,
        { reason: options.reason },
        { reason: '--reason' },
      );
      const { result } = await onServerOrLocal<Release>({
        api: (client) => client.request('POST', `/api/v1/releases/${enc(id)}/rollback`, body),
        local: async (container) =>
          container.releases.service.rollback(await systemContext(), id, body.reason),
      });
      say(`Release ${result.id} ${result.version} is ${result.status}; the rollback runs as a job.`);
    });

  release
    .command('judge')
    .description('Judge the canary now: a score 0-100 and promote / hold / rollback')
    .argument('<release>', 'the release id')
    .option('--gate', 'exit 0 only on promote (2 on hold, 3 on rollback), to stop a pipeline')
    .option('--json', 'print the judgement as JSON')
    .addHelpText('after', TARGET_HELP)
    .action(async (id: string, options: { gate?: boolean; json?: boolean }) => {
      const { result } = await onServerOrLocal<Judgement>({
        api: (client) => client.request('POST', `/api/v1/releases/${enc(id)}/judge`),
        local: async (container) => container.releases.service.judge(await systemContext(), id),
      });
      if (options.json) printJson(result);
      else {
        say(`Canary score ${result.score} of 100: ${result.verdict}.`);
        for (const m of result.metrics)
          say(
            `  ${m.metric.padEnd(24)} ${m.classification.padEnd(7)} ` +
              (m.p_value === null
                ? `(${m.canary_count} canary / ${m.baseline_count} baseline samples: too few)`
                : `U ${m.u}, p ${m.p_value < 0.0001 ? m.p_value.toExponential(2) : m.p_value.toFixed(4)}`),
          );
      }
      if (options.gate && result.verdict !== 'promote') process.exitCode = result.verdict === 'hold' ? 2 : 3;
    });
}
