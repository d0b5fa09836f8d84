import { ROLES, type Role } from '@engops/contracts';
import { describe, expect, it } from 'vitest';
import {
  can,
  maxRole,
  PERMISSIONS,
  type Permission,
  type Principal,
  systemPrincipal,
} from './permissions.ts';

function principal(orgRole: Role | null, teams: Record<string, Role> = {}): Principal {
  return {
    kind: 'token',
    id: 'tok_test',
    name: 'token:test',
    userId: null,
    orgRole,
    teamRoles: new Map(Object.entries(teams)),
  };
}

const ALL = Object.keys(PERMISSIONS) as Permission[];
const rank = (role: Role) => ROLES.indexOf(role);

describe('can()', () => {
  it('grants an org-wide role every permission whose role it meets, and nothing above it', () => {
    for (const role of ROLES) {
      for (const permission of ALL) {
        const expected = rank(role) >= rank(PERMISSIONS[permission].role);
        expect(can(principal(role), permission), `${role} ${permission}`).toBe(expected);
        // An org-wide grant holds on any team as well.
        expect(can(principal(role), permission, 'team_a'), `${role} ${permission} on team_a`).toBe(expected);
      }
    }
  });

  it('denies everything to a principal with no grants (default deny)', () => {
    for (const permission of ALL) {
      expect(can(principal(null), permission)).toBe(false);
      expect(can(principal(null), permission, 'team_a')).toBe(false);
    }
  });

  it('lets a team grant satisfy team-scoped permissions on that team only', () => {
    const manager = principal(null, { team_a: 'manager' });
    expect(can(manager, 'services.write', 'team_a')).toBe(true);
    expect(can(manager, 'teams.write', 'team_a')).toBe(true);
    expect(can(manager, 'services.write', 'team_b')).toBe(false);
    expect(can(manager, 'teams.write', 'team_b')).toBe(false);
    // Without a team id a team-scoped permission is held if some team grant is high enough.
    expect(can(manager, 'services.write')).toBe(true);
    expect(can(manager, 'catalog.read')).toBe(true);
  });

  it('never lets a team grant satisfy an org-scoped permission', () => {
    const manager = principal(null, { team_a: 'manager' });
    const orgScoped = ALL.filter((p) => PERMISSIONS[p].scope === 'org');
    expect(orgScoped).toEqual(expect.arrayContaining(['teams.create', 'users.write', 'tokens.manage']));
    for (const permission of orgScoped) {
      expect(can(manager, permission), permission).toBe(false);
      expect(can(manager, permission, 'team_a'), `${permission} on team_a`).toBe(false);
    }
  });

  it('requires the team role to reach the permission role', () => {
    const responder = principal(null, { team_a: 'responder' });
    expect(can(responder, 'catalog.read', 'team_a')).toBe(true);
    expect(can(responder, 'services.write', 'team_a')).toBe(false);
    expect(can(responder, 'services.write')).toBe(false);
  });

  it('takes the higher of an org role and a team role', () => {
    const p = principal('viewer', { team_a: 'manager' });
    expect(can(p, 'catalog.read', 'team_b')).toBe(true);
    expect(can(p, 'services.write', 'team_a')).toBe(true);
    expect(can(p, 'services.write', 'team_b')).toBe(false);
    expect(can(p, 'audit.read')).toBe(false);
  });

  it('gives the system principal every permission', () => {
    for (const permission of ALL) expect(can(systemPrincipal, permission)).toBe(true);
  });
});

describe('maxRole()', () => {
  it('returns the more privileged role, treating null as none', () => {
    expect(maxRole(null, null)).toBeNull();
    expect(maxRole('viewer', null)).toBe('viewer');
    expect(maxRole(null, 'manager')).toBe('manager');
    expect(maxRole('admin', 'responder')).toBe('admin');
    expect(maxRole('responder', 'manager')).toBe('manager');
  });
});
