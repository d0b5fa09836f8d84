import { ERROR_CATALOGUE } from '@engops/contracts';
import type { Container } from '@engops/server';
import type { z } from 'zod';
import { type ApiClient, apiClientFromEnv } from './api-client.ts';
import { CliError, type FlagMap } from './cli-error.ts';
import { withLocalContainer } from './local-database.ts';

/**
 * Checks a request body with the API's own zod schema (from @engops/contracts) and reports it the
 * way the API does: HTTP_VALIDATION_FAILED with `body.<field>: <message>` for each field at fault.
 */
export async function validateBody<S extends z.ZodType>(
  schema: S,
  input: unknown,
  flags: FlagMap = {},
): Promise<z.output<S>> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const { zodErrors } = await import('@engops/server');
  const code = 'HTTP_VALIDATION_FAILED';
  throw new CliError('The request has invalid fields.', {
    problem: {
      type: `/docs/errors#${code}`,
      title: ERROR_CATALOGUE[code].title,
      status: ERROR_CATALOGUE[code].status,
      code,
      detail: 'The request has invalid fields.',
      errors: zodErrors('body', parsed.error),
    },
    flags,
  });
}

export interface Operation<R> {
  /** When ENGOPS_URL is set: the call to that server's API (ENGOPS_TOKEN authenticates it). */
  api(client: ApiClient): Promise<R>;
  /** Otherwise: the same work through the server's services on the configured local database. */
  local(container: Container): Promise<R>;
}

/**
 * Runs an operation on the server named by ENGOPS_URL, or on the local database when it is unset.
 * Returns the result and where it ran (the server URL or the database), for messages. Errors carry
 * `flags` so that fields at fault are shown with the option that sets them.
 */
export async function onServerOrLocal<R>(
  operation: Operation<R>,
  flags: FlagMap = {},
): Promise<{ result: R; where: string }> {
  try {
    const client = apiClientFromEnv();
    if (client) return { result: await operation.api(client), where: client.url };
    return await withLocalContainer(async (container, where) => ({
      result: await operation.local(container),
      where,
    }));
  } catch (error) {
    throw error instanceof CliError ? error.withFlags(flags) : error;
  }
}

/** Reads all of standard input (for --password-stdin), without its final line break. */
export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Reading from standard input (end with Ctrl-D)...\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
