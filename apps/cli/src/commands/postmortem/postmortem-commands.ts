import type { ActionItem, Postmortem, PostmortemSearchHit } from '@engops/contracts';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { CliError } from '../../cli-error.ts';
import { allPages, printJson, printTable, say, TARGET_HELP } from '../../output.ts';
import { onServerOrLocal } from '../../target.ts';

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

async function systemContext() {
  const { systemPrincipal } = await import('@engops/server');
  return { principal: systemPrincipal };
}

/** The detail of a failed call: the problem's detail from the API, the message locally. */
function reasonOf(error: unknown): string {
  if (error instanceof CliError) return error.problem?.detail ?? error.message;
  return error instanceof Error ? error.message : String(error);
}

const query = (params: Record<string, string | undefined>) => {
  const entries = Object.entries(params).filter(
    (e): e is [string, string] => e[1] !== undefined && e[1] !== '',
  );
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
};

export function registerPostmortemCommands(program: Command): void {
  const postmortem = program
    .command('postmortem')
    .description('Postmortems: search, action items, GitHub export');

  postmortem
    .command('search')
    .description('Full-text search over postmortems, best match first')
    .argument('<query...>', 'words, "a phrase", or, -word')
    .option('--team <id>', 'only this team')
    .option('--status <status>', 'draft, in_review or published')
    .option('--limit <n>', 'at most this many', '20')
    .option('--json', 'print the hits as JSON')
    .addHelpText(
      'after',
      `
Example:
  engops postmortem search '"connection pool" -dns' --status published
${TARGET_HELP}`,
    )
    .action(
      async (words: string[], options: { team?: string; status?: string; limit: string; json?: boolean }) => {
        const q = words.join(' ');
        const params = { q, team_id: options.team, status: options.status, limit: options.limit };
        const { result } = await onServerOrLocal<{ items: PostmortemSearchHit[] }>({
          api: (client) => client.request('GET', `/api/v1/postmortems/search${query(params)}`),
          local: async (container) => {
            const { postmortemSearchQuerySchema } = await import('@engops/contracts');
            const parsed = postmortemSearchQuerySchema.safeParse(params);
            if (!parsed.success)
              throw new CliError(`invalid search: ${parsed.error.issues[0]?.message ?? ''}`);
            return container.postmortems.service.search(parsed.data.q, {
              limit: parsed.data.limit,
              teamId: parsed.data.team_id,
              status: parsed.data.status,
            });
          },
        });
        if (options.json) return printJson(result.items);
        if (result.items.length === 0) return say(`No postmortem matches ${q}.`);
        for (const hit of result.items) {
          say(`${hit.id}  ${hit.status.padEnd(9)}  ${hit.title}`);
          if (hit.snippet) say(`    ${hit.snippet}`);
        }
      },
    );

  postmortem
    .command('overdue')
    .description('Overdue action items: yours (--owner me), a person’s, or a team’s')
    .option('--owner <id|me>', 'the owner (me: the user of ENGOPS_TOKEN)')
    .option('--team <id>', 'the team')
    .option('--fail', 'exit with status 1 when any item is overdue (for pipelines)')
    .option('--json', 'print the items as JSON')
    .addHelpText('after', TARGET_HELP)
    .action(async (options: { owner?: string; team?: string; fail?: boolean; json?: boolean }) => {
      const { result } = await onServerOrLocal<ActionItem[]>({
        api: (client) =>
          allPages((cursor) =>
            client.request<Page<ActionItem>>(
              'GET',
              `/api/v1/action-items${query({ owner_id: options.owner, team_id: options.team, overdue: 'true', limit: '200', cursor })}`,
            ),
          ),
        local: async (container) => {
          if (options.owner === 'me') throw new CliError('--owner me needs ENGOPS_URL and ENGOPS_TOKEN');
          return allPages((cursor) =>
            container.postmortems.service.listItems({
              limit: 200,
              cursor,
              ownerId: options.owner,
              teamId: options.team,
              overdue: true,
            }),
          );
        },
      });
      if (options.json) printJson(result);
      else if (result.length === 0) say('No overdue action items.');
      else
        printTable(
          ['ID', 'DUE', 'STATUS', 'OWNER', 'TITLE'],
          result.map((i) => [
            i.id,
            i.due_date ?? '',
            i.status,
            i.owner_id ?? `@${i.owner_handle ?? '?'}`,
            i.title,
          ]),
        );
      if (options.fail && result.length > 0) process.exitCode = 1;
    });

  postmortem
    .command('export-items')
    .description('Export the action items of a postmortem as GitHub issues (each at most once)')
    .argument('<postmortem-id>', 'the postmortem')
    .option('--repo <owner/name>', "the repository (default: the GitHub settings' default_repo)")
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the outcome per item as JSON')
    .addHelpText(
      'after',
      `
Items already exported keep their issue; items marked won't do are skipped. Exits with status 1
when an export fails (the reason is printed; run it again to retry: no issue is filed twice).

Example:
  engops postmortem export-items pm_01h... --repo acme/payments
${TARGET_HELP}`,
    )
    .action(async (id: string, options: { repo?: string; progress?: boolean; json?: boolean }) => {
      const body = options.repo ? { repo: options.repo } : {};
      const outcomes: Array<{
        id: string;
        title: string;
        outcome: string;
        issue: string | null;
        error?: string;
      }> = [];
      const showBar = options.progress !== false && Boolean(process.stderr.isTTY) && !options.json;
      await onServerOrLocal<void>({
        api: async (client) => {
          const pm = await client.request<Postmortem>('GET', `/api/v1/postmortems/${encodeURIComponent(id)}`);
          await exportAll(pm.action_items, async (item) =>
            client.request<ActionItem>(
              'POST',
              `/api/v1/action-items/${encodeURIComponent(item.id)}/export`,
              body,
            ),
          );
        },
        local: async (container) => {
          const service = container.postmortems.service;
          const pm = await service.get(id);
          const ctx = await systemContext();
          await exportAll(
            pm.action_items,
            async (item) => (await service.exportItem(ctx, item.id, body)).item,
          );
        },
      });

      async function exportAll(items: ActionItem[], run: (item: ActionItem) => Promise<ActionItem>) {
        const todo = items.filter((i) => !i.tracker_issue && i.status !== 'wont_do');
        for (const i of items)
          if (i.tracker_issue)
            outcomes.push({ id: i.id, title: i.title, outcome: 'already', issue: i.tracker_issue.url });
        const bar = showBar
          ? new cliProgress.SingleBar(
              { stream: process.stderr, format: 'Exporting [{bar}] {value}/{total}', hideCursor: true },
              cliProgress.Presets.shades_classic,
            )
          : null;
        bar?.start(todo.length, 0);
        for (const item of todo) {
          try {
            const done = await run(item);
            outcomes.push({
              id: item.id,
              title: item.title,
              outcome: 'exported',
              issue: done.tracker_issue?.url ?? null,
            });
          } catch (error) {
            outcomes.push({
              id: item.id,
              title: item.title,
              outcome: 'failed',
              issue: null,
              error: reasonOf(error),
            });
          }
          bar?.increment();
        }
        bar?.stop();
      }

      const failed = outcomes.filter((o) => o.outcome === 'failed');
      if (options.json) printJson(outcomes);
      else if (outcomes.length === 0) say('No action items to export.');
      else
        printTable(
          ['ID', 'OUTCOME', 'ISSUE', 'TITLE'],
          outcomes.map((o) => [o.id, o.outcome, o.issue ?? o.error ?? '', o.title]),
        );
      if (failed.length > 0) {
        say(`error: ${failed.length} of ${outcomes.length} action item(s) could not be exported`, 'stderr');
        process.exitCode = 1;
      }
    });
}
