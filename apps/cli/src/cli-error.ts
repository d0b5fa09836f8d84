import type { Problem } from '@engops/contracts';

/** Flag names for request fields, used in error messages: `{ team_id: '--team' }`. */
export type FlagMap = Readonly<Record<string, string>>;

/**
 * An error the CLI reports to the user and exits on (code 1): a plain message, or the problem
 * details the API (or the same service, run locally) answered with.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly problem?: Problem;
  readonly flags?: FlagMap;

  constructor(message: string, options: { problem?: Problem; flags?: FlagMap; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    if (options.problem) this.problem = options.problem;
    if (options.flags) this.flags = options.flags;
  }

  /** The same error, with flag names to show beside the fields at fault. */
  withFlags(flags: FlagMap): CliError {
    return new CliError(this.message, {
      ...(this.problem ? { problem: this.problem } : {}),
      flags: { ...this.flags, ...flags },
      cause: this.cause,
    });
  }
}

/** `body.time_zone` -> `--time-zone` (or what `flags` says for `time_zone`). */
function flagOf(path: string, flags: FlagMap): string | undefined {
  const match = /^body\.([a-z_]+)/.exec(path);
  if (!match?.[1]) return undefined;
  return flags[match[1]] ?? `--${match[1].replace(/_/g, '-')}`;
}

/**
 * The text printed for a problem: its code and detail, then each field at fault with the flag that
 * sets it, e.g.
 *   error: HTTP_VALIDATION_FAILED: The request has invalid fields.
 *     body.email (--email): Invalid email address
 */
export function formatProblem(problem: Problem, flags: FlagMap = {}): string {
  const lines = [`error: ${problem.code}: ${problem.detail}`];
  for (const field of problem.errors ?? []) {
    const flag = flagOf(field.path, flags);
    lines.push(`  ${field.path}${flag ? ` (${flag})` : ''}: ${field.message}`);
  }
  if (problem.code === 'AUTH_UNAUTHENTICATED' || problem.code === 'AUTH_INVALID_TOKEN') {
    lines.push('  Set ENGOPS_TOKEN to a valid API token (engops token create on the server host).');
  } else if (problem.code === 'AUTH_FORBIDDEN') {
    lines.push('  The token in ENGOPS_TOKEN lacks the role this command needs.');
  }
  if (problem.request_id) lines.push(`  (request id ${problem.request_id})`);
  return lines.join('\n');
}

/** The text printed for any error that ends a command. */
export function formatError(error: unknown): string {
  if (error instanceof CliError) {
    return error.problem ? formatProblem(error.problem, error.flags) : `error: ${error.message}`;
  }
  return `error: ${error instanceof Error ? error.message : String(error)}`;
}
