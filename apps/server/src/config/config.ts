import path from 'node:path';
import { z } from 'zod';

/**
 * Every setting of the server, read from the environment in one place. Nothing else in the
 * server reads process.env: code receives a `Config` object.
 */
const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const envSchema = z.object({
  ENGOPS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  ENGOPS_HOST: z.string().default('0.0.0.0'),
  ENGOPS_DATA_DIR: z.string().default('data'),
  ENGOPS_DATABASE_URL: z.string().optional(),
  ENGOPS_PUBLIC_URL: z.string().url().optional(),
  ENGOPS_ADMIN_TOKEN: z.string().min(16, 'ENGOPS_ADMIN_TOKEN must be at least 16 characters').optional(),
  ENGOPS_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ENGOPS_WORKER: boolish.default(true),
  ENGOPS_WORKER_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  ENGOPS_SECURE_COOKIES: boolish.default(false),
  /** Behind a reverse proxy: take the client address from X-Forwarded-For (login rate limits use it). */
  ENGOPS_TRUST_PROXY: boolish.default(false),
  ENGOPS_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  ENGOPS_SMTP_HOST: z.string().optional(),
  ENGOPS_SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
  ENGOPS_SMTP_SECURE: boolish.default(false),
  ENGOPS_SMTP_USER: z.string().optional(),
  ENGOPS_SMTP_PASSWORD: z.string().optional(),
  ENGOPS_SMTP_FROM: z.string().default('engops <engops@localhost>'),
  ENGOPS_WEB_DIST: z.string().optional(),
  /** Verifies GitHub webhooks (X-Hub-Signature-256) unless an admin stores another secret. */
  ENGOPS_GITHUB_WEBHOOK_SECRET: z.string().min(1).optional(),
  /** Checks GitLab webhooks (X-Gitlab-Token) unless an admin stores another token. */
  ENGOPS_GITLAB_WEBHOOK_TOKEN: z.string().min(1).optional(),
  /** The GitHub REST API that push scans read commits from, and a token that may read the repositories. */
  ENGOPS_GITHUB_API_URL: z.url().default('https://api.github.com'),
  ENGOPS_GITHUB_TOKEN: z.string().min(1).optional(),
  /** The GitLab REST API (v4) read for pushed commits and merge request sizes, and a token that may read them. */
  ENGOPS_GITLAB_API_URL: z.url().default('https://gitlab.com/api/v4'),
  ENGOPS_GITLAB_TOKEN: z.string().min(1).optional(),
});

/** The names of every environment variable the server reads (the settings table in the docs lists each). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema?: string };

export interface SmtpConfig {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly user?: string;
  readonly password?: string;
  readonly from: string;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly publicUrl?: string;
  readonly adminToken?: string;
  readonly logLevel: string;
  readonly worker: { readonly enabled: boolean; readonly pollMs: number };
  readonly secureCookies: boolean;
  readonly trustProxy: boolean;
  readonly bodyLimitBytes: number;
  readonly smtp?: SmtpConfig;
  readonly webDist?: string;
  readonly githubWebhookSecret?: string;
  readonly gitlabWebhookToken?: string;
  readonly githubApi: { readonly url: string; readonly token?: string };
  readonly gitlabApi: { readonly url: string; readonly token?: string };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.ENGOPS_DATA_DIR);
  return {
    port: e.ENGOPS_PORT ?? e.PORT ?? 8080,
    host: e.ENGOPS_HOST,
    dataDir,
    database: databaseFromUrl(e.ENGOPS_DATABASE_URL, dataDir),
    ...(e.ENGOPS_PUBLIC_URL ? { publicUrl: e.ENGOPS_PUBLIC_URL } : {}),
    ...(e.ENGOPS_ADMIN_TOKEN ? { adminToken: e.ENGOPS_ADMIN_TOKEN } : {}),
    logLevel: e.ENGOPS_LOG_LEVEL,
    worker: { enabled: e.ENGOPS_WORKER, pollMs: e.ENGOPS_WORKER_POLL_MS },
    secureCookies: e.ENGOPS_SECURE_COOKIES,
    trustProxy: e.ENGOPS_TRUST_PROXY,
    bodyLimitBytes: e.ENGOPS_BODY_LIMIT_BYTES,
    ...(e.ENGOPS_SMTP_HOST
      ? {
          smtp: {
            host: e.ENGOPS_SMTP_HOST,
            port: e.ENGOPS_SMTP_PORT,
            secure: e.ENGOPS_SMTP_SECURE,
            ...(e.ENGOPS_SMTP_USER ? { user: e.ENGOPS_SMTP_USER } : {}),
            ...(e.ENGOPS_SMTP_PASSWORD ? { password: e.ENGOPS_SMTP_PASSWORD } : {}),
            from: e.ENGOPS_SMTP_FROM,
          },
        }
      : {}),
    ...(e.ENGOPS_WEB_DIST ? { webDist: path.resolve(e.ENGOPS_WEB_DIST) } : {}),
    ...(e.ENGOPS_GITHUB_WEBHOOK_SECRET ? { githubWebhookSecret: e.ENGOPS_GITHUB_WEBHOOK_SECRET } : {}),
    ...(e.ENGOPS_GITLAB_WEBHOOK_TOKEN ? { gitlabWebhookToken: e.ENGOPS_GITLAB_WEBHOOK_TOKEN } : {}),
    githubApi: {
      url: e.ENGOPS_GITHUB_API_URL.replace(/\/+$/, ''),
      ...(e.ENGOPS_GITHUB_TOKEN ? { token: e.ENGOPS_GITHUB_TOKEN } : {}),
    },
    gitlabApi: {
      url: e.ENGOPS_GITLAB_API_URL.replace(/\/+$/, ''),
      ...(e.ENGOPS_GITLAB_TOKEN ? { token: e.ENGOPS_GITLAB_TOKEN } : {}),
    },
  };
}

export function databaseFromUrl(url: string | undefined, dataDir: string): DatabaseConfig {
  if (!url) return { kind: 'sqlite', file: path.join(dataDir, 'engops.sqlite') };
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', file: path.resolve(url.slice('sqlite:'.length)) };
  throw new ConfigError('ENGOPS_DATABASE_URL must start with postgres:// (or sqlite:<file>)');
}
