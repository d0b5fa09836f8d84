import { z } from 'zod';

/** Roles from least to most privileged. Granted org-wide (user.role, token.role) or per team. */
export const ROLES = ['viewer', 'responder', 'manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);
export const TEAM_ROLES = ['viewer', 'responder', 'manager'] as const;
export const teamRoleSchema = z.enum(TEAM_ROLES);
