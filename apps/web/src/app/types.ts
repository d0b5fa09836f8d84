import type {
  auditEntrySchema,
  createdTokenSchema,
  policyResponseSchema,
  Role,
  Service,
  Team,
  teamMemberSchema,
  tokenSchema,
  User,
} from '@engops/contracts';
import type { z } from 'zod';

/** Response shapes, inferred from the shared contracts (types only: no zod in the bundle). */
export type { Role, Service, Team, User };
export type TeamMember = z.infer<typeof teamMemberSchema>;
export type Token = z.infer<typeof tokenSchema>;
export type CreatedToken = z.infer<typeof createdTokenSchema>;
export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type PolicyResponse = z.infer<typeof policyResponseSchema>;

/** The permissions the server names in session responses (apps/server/src/platform/access/permissions.ts). */
export type Permission =
  | 'catalog.read'
  | 'teams.create'
  | 'teams.write'
  | 'teams.delete'
  | 'services.write'
  | 'users.write'
  | 'tokens.manage'
  | 'audit.read'
  | 'policy.read'
  | 'policy.write'
  | 'notifications.read'
  | 'notifications.send'
  | 'jobs.read';

export interface Session {
  user: User | null;
  csrf_token: string | null;
  permissions: string[];
  principal?: { kind: string; id: string; name: string };
}

/** Kept in step with packages/contracts (ROLES, TEAM_ROLES, SERVICE_TIERS) without importing zod. */
export const ROLES: readonly Role[] = ['viewer', 'responder', 'manager', 'admin'];
export const TEAM_ROLES = ['viewer', 'responder', 'manager'] as const;
export const SERVICE_TIERS = ['tier-1', 'tier-2', 'tier-3', 'tier-4'] as const;
