import type { Role } from '@engops/contracts';

/**
 * Least privilege, deny by default. Every route names one permission; a permission names the
 * lowest role that holds it and whether a team-level grant can satisfy it (`team`) or only an
 * org-wide grant can (`org`).
 */
export const PERMISSIONS = {
  'catalog.read': { role: 'viewer', scope: 'team' },
  'teams.create': { role: 'manager', scope: 'org' },
  'teams.write': { role: 'manager', scope: 'team' },
  'teams.delete': { role: 'admin', scope: 'org' },
  'services.write': { role: 'manager', scope: 'team' },
  'users.write': { role: 'admin', scope: 'org' },
  'tokens.manage': { role: 'admin', scope: 'org' },
  'audit.read': { role: 'manager', scope: 'org' },
  'policy.read': { role: 'viewer', scope: 'team' },
  'policy.write': { role: 'admin', scope: 'org' },
  'notifications.read': { role: 'manager', scope: 'org' },
  'notifications.send': { role: 'admin', scope: 'org' },
  'jobs.read': { role: 'admin', scope: 'org' },
  'incidents.read': { role: 'viewer', scope: 'team' },
  'incidents.respond': { role: 'responder', scope: 'team' },
  'integrations.manage': { role: 'manager', scope: 'team' },
  'postmortems.read': { role: 'viewer', scope: 'team' },
  'postmortems.write': { role: 'responder', scope: 'team' },
  'dora.read': { role: 'viewer', scope: 'team' },
  'deployments.write': { role: 'responder', scope: 'team' },
  'dora.manage': { role: 'admin', scope: 'org' },
  'workflow.read': { role: 'viewer', scope: 'team' },
  'workflow.manage': { role: 'admin', scope: 'org' },
  'oncall.read': { role: 'viewer', scope: 'team' },
  'oncall.manage': { role: 'manager', scope: 'team' },
  'flags.read': { role: 'viewer', scope: 'team' },
  'flags.write': { role: 'manager', scope: 'team' },
  'flags.manage': { role: 'manager', scope: 'org' },
  'security.read': { role: 'viewer', scope: 'team' },
  'security.write': { role: 'responder', scope: 'team' },
  'security.triage': { role: 'manager', scope: 'team' },
  'security.review': { role: 'manager', scope: 'team' },
  'security.manage': { role: 'admin', scope: 'org' },
  'releases.read': { role: 'viewer', scope: 'team' },
  'releases.write': { role: 'responder', scope: 'team' },
  'releases.manage': { role: 'manager', scope: 'team' },
  'releases.admin': { role: 'admin', scope: 'org' },
} as const satisfies Record<string, { role: Role; scope: 'org' | 'team' }>;

export type Permission = keyof typeof PERMISSIONS;

const RANK: Record<Role, number> = { viewer: 1, responder: 2, manager: 3, admin: 4 };

export interface Principal {
  readonly kind: 'user' | 'token' | 'system';
  readonly id: string;
  readonly name: string;
  /** The user behind a session, or the user who created a token; null for system actors. */
  readonly userId: string | null;
  readonly orgRole: Role | null;
  readonly teamRoles: ReadonlyMap<string, Role>;
  /** Set for cookie sessions: mutations must echo it in X-CSRF-Token. */
  readonly csrfToken?: string;
}

export const systemPrincipal: Principal = {
  kind: 'system',
  id: 'system',
  name: 'engops',
  userId: null,
  orgRole: 'admin',
  teamRoles: new Map(),
};

function atLeast(role: Role | null | undefined, needed: Role): boolean {
  return role != null && RANK[role] >= RANK[needed];
}

/**
 * May `principal` use `permission`? With `teamId`, team grants on that team count (for team-scoped
 * permissions). Without it, a team-scoped permission is held if any team grant is high enough:
 * routes then narrow with a team id once they know which team a change touches.
 */
export function can(principal: Principal, permission: Permission, teamId?: string | null): boolean {
  const spec = PERMISSIONS[permission];
  if (atLeast(principal.orgRole, spec.role)) return true;
  if (spec.scope === 'org') return false;
  if (teamId) return atLeast(principal.teamRoles.get(teamId), spec.role);
  for (const role of principal.teamRoles.values()) if (atLeast(role, spec.role)) return true;
  return false;
}

/** The highest of two roles (null counts as none). */
export function maxRole(a: Role | null, b: Role | null): Role | null {
  if (!a) return b;
  if (!b) return a;
  return RANK[a] >= RANK[b] ? a : b;
}
