import type { Service, Team, User } from '@engops/contracts';
import type { Db } from '../../db/database.ts';
import { can, type Permission, type Principal } from '../../platform/access/permissions.ts';
import type { AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/errors.ts';
import type { GitlabApiConfig } from '../../platform/gitlab-api.ts';
import type { JobQueue, Worker } from '../../platform/jobs.ts';
import type { Notifier } from '../../platform/notifications/notifications-service.ts';
import type { Signer } from '../../platform/signing.ts';
import type { AccessService } from '../access/index.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { PolicyService } from '../policy/index.ts';
import type { SecurityRepository } from './kysely-security-repository.ts';

/** What the security module reads from on-call: a service's escalation policy and schedule gaps. */
export interface OncallReader {
  servicePolicy(serviceId: string): Promise<{ escalation_policy_id: string | null; policy: unknown }>;
  shifts(scheduleId: string, from: string, to: string): Promise<{ gaps: readonly unknown[] }>;
}

export interface SecurityDeps {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  jobs: JobQueue;
  worker?: Worker;
  notifier: Notifier;
  signer: Signer;
  catalog: CatalogService;
  access: AccessService;
  policy: PolicyService;
  oncall?: OncallReader;
  baseUrl: () => string;
  /** Which service a pushed repository belongs to (DORA's repository mappings), for push scans. */
  repositories?: { serviceForRepository(keys: string[]): Promise<Service | undefined> };
  /** The GitHub REST API that push scans read commits and lockfiles from. */
  github?: { url: string; token?: string };
  /** The GitLab REST API that push scans read commit diffs and lockfiles from. */
  gitlab?: GitlabApiConfig;
}

export interface SecurityContext extends SecurityDeps {
  repo: SecurityRepository;
}

/** Every item of a paged catalog list. */
export async function allOf<T>(
  fetch: (page: { limit: number; cursor?: string }) => Promise<{ items: T[]; next_cursor: string | null }>,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetch({ limit: 200, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

export const allServices = (catalog: CatalogService): Promise<Service[]> =>
  allOf((p) => catalog.listServices(p));
/**
 * The service a scanner or a person names (by id or by name, as pipelines do), once the caller may
 * write security data on its team: 404 `CATALOG_SERVICE_NOT_FOUND`, else 403 from `authorize`.
 */
export async function writableService(
  catalog: CatalogService,
  idOrName: string,
  authorize: (permission: 'security.write', teamId?: string | null) => void,
): Promise<Service> {
  const service = await catalog.findService(idOrName);
  if (!service) throw new AppError('CATALOG_SERVICE_NOT_FOUND', `No service ${idOrName}.`);
  authorize('security.write', service.team_id);
  return service;
}
export const allTeams = (catalog: CatalogService): Promise<Team[]> => allOf((p) => catalog.listTeams(p));
export const allUsers = (catalog: CatalogService): Promise<User[]> => allOf((p) => catalog.listUsers(p));

/** The teams whose data `principal` may read with `permission`, or null for every team (org-wide). */
export function readableTeams(
  principal: Principal,
  permission: Permission,
  teams: readonly string[],
): string[] | null {
  if (can({ ...principal, teamRoles: new Map() }, permission)) return null;
  return teams.filter((t) => can(principal, permission, t));
}
