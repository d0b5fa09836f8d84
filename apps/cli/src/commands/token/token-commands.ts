import { createTokenSchema, type tokenSchema } from '@engops/contracts';
import type { Command } from 'commander';
import type { z } from 'zod';
import { allPages, printJson, printTable, say, TARGET_HELP } from '../../output.ts';
import { onServerOrLocal, validateBody } from '../../target.ts';

type Token = z.infer<typeof tokenSchema>;
type CreatedToken = Token & { token: string };

const FLAGS = { name: '--name', role: '--role', team_id: '--team', expires_at: '--expires-at' };

function scopeOf(token: Token): string {
  return token.team_id ? `team ${token.team_id}` : 'org-wide';
}

async function systemContext() {
  const { systemPrincipal } = await import('@engops/server');
  return { principal: systemPrincipal };
}

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('Manage API tokens (for scripts, CI and integrations)');

  token
    .command('create')
    .description('Create an API token; its secret is printed once')
    .requiredOption('--name <name>', 'what the token is for, e.g. "ci-deploys"')
    .requiredOption('--role <role>', 'viewer, responder, manager or admin')
    .option('--team <id>', 'limit the token to one team (its role then applies to that team only)')
    .option(
      '--expires-at <instant>',
      'expiry as an ISO-8601 instant, e.g. 2030-01-01T00:00:00Z (default never)',
    )
    .option('--json', 'print the token (with its secret) as JSON')
    .addHelpText(
      'after',
      `
Output: the secret alone on standard output, the details on standard error, so that
  ENGOPS_TOKEN=$(engops token create --name ci --role responder)
captures only the secret. It is shown once; engops keeps only its hash.
${TARGET_HELP}`,
    )
    .action(
      async (options: { name: string; role: string; team?: string; expiresAt?: string; json?: boolean }) => {
        const input = {
          name: options.name,
          role: options.role,
          ...(options.team !== undefined ? { team_id: options.team } : {}),
          ...(options.expiresAt !== undefined ? { expires_at: options.expiresAt } : {}),
        };
        const body = await validateBody(createTokenSchema, input, FLAGS);
        const { result, where } = await onServerOrLocal<CreatedToken>(
          {
            api: (client) => client.request('POST', '/api/v1/tokens', input),
            local: async (container) => container.access.service.createToken(await systemContext(), body),
          },
          FLAGS,
        );
        if (options.json) return printJson(result);
        say(
          `Created token ${result.id} "${result.name}": role ${result.role}, ${scopeOf(result)}, ` +
            `${result.expires_at ? `expires ${result.expires_at}` : 'never expires'}; in ${where}.`,
          'stderr',
        );
        say('Its secret follows; it is shown only this once, so store it now:', 'stderr');
        say(result.token);
      },
    );

  token
    .command('list')
    .description('List API tokens (never their secrets)')
    .option('--include-revoked', 'include revoked tokens')
    .option('--json', 'print the tokens as JSON')
    .addHelpText('after', TARGET_HELP)
    .action(async (options: { includeRevoked?: boolean; json?: boolean }) => {
      const includeRevoked = options.includeRevoked ?? false;
      const { result } = await onServerOrLocal<Token[]>({
        api: (client) =>
          allPages((cursor) => {
            const query = new URLSearchParams({ limit: '200' });
            if (includeRevoked) query.set('include_revoked', 'true');
            if (cursor) query.set('cursor', cursor);
            return client.request('GET', `/api/v1/tokens?${query}`);
          }),
        local: (container) =>
          allPages((cursor) =>
            container.access.service.listTokens({
              limit: 200,
              include_revoked: includeRevoked,
              ...(cursor ? { cursor } : {}),
            }),
          ),
      });
      if (options.json) return printJson(result);
      if (result.length === 0) return say('No API tokens.');
      printTable(
        ['ID', 'NAME', 'PREFIX', 'ROLE', 'SCOPE', 'EXPIRES', 'LAST USED', 'REVOKED'],
        result.map((t) => [
          t.id,
          t.name,
          t.prefix,
          t.role,
          scopeOf(t),
          t.expires_at ?? 'never',
          t.last_used_at ?? '-',
          t.revoked_at ?? '-',
        ]),
      );
    });

  token
    .command('revoke')
    .description('Revoke an API token: it stops working at once')
    .argument('<id>', 'the token id (tok_...), as token list shows it')
    .option('--json', 'print the revoked token as JSON')
    .addHelpText('after', TARGET_HELP)
    .action(async (id: string, options: { json?: boolean }) => {
      const { result, where } = await onServerOrLocal<Token>({
        api: (client) => client.request('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`),
        local: async (container) => container.access.service.revokeToken(await systemContext(), id),
      });
      if (options.json) return printJson(result);
      say(`Revoked token ${result.id} "${result.name}" (revoked at ${result.revoked_at}); in ${where}.`);
    });
}
