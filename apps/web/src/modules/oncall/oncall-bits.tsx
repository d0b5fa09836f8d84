import type { EscalationPolicy, Override, Schedule, teamMemberSchema } from '@engops/contracts';
import { useMemo } from 'react';
import { NavLink } from 'react-router';
import type { z } from 'zod';
import { fetchAll } from '../../app/api-client.ts';
import type { Team, User } from '../../app/types.ts';
import { type Resource, useResource } from '../../app/use-resource.ts';

export type { EscalationPolicy, Override, Schedule };
export type TeamMember = z.infer<typeof teamMemberSchema>;

export interface Shift {
  user_id: string;
  layer: string;
  start: string;
  end: string;
}
export interface OnCallAnswer {
  at: string;
  on_call: Shift[];
}
export interface ShiftsAnswer {
  from: string;
  to: string;
  shifts: Shift[];
  gaps: Array<{ start: string; end: string }>;
}
export interface LoadReport {
  team_id: string;
  from: string;
  to: string;
  working_hours: { start: string; end: string };
  people: Array<{ user_id: string; hours_on_call: number; off_hours_hours: number; pages: number }>;
}

/** The links between the on-call pages. */
export function OncallNav() {
  const cls = ({ isActive }: { isActive: boolean }) =>
    isActive ? 'button button-secondary button-small pill-active' : 'button button-quiet button-small';
  return (
    <nav className="oncall-subnav" aria-label="On-call">
      <NavLink to="/oncall" end className={cls}>
        Schedules
      </NavLink>
      <NavLink to="/oncall/policies" className={cls}>
        Escalation policies
      </NavLink>
      <NavLink to="/oncall/load" className={cls}>
        Load report
      </NavLink>
    </nav>
  );
}

/** Everyone, by id (for names), and the teams. */
export function useDirectory(): {
  people: Resource<User[]>;
  teams: Resource<Team[]>;
  nameOf: (id: string) => string;
  teamName: (id: string) => string;
} {
  const people = useResource('oncall-people', () => fetchAll<User>('/api/v1/users'));
  const teams = useResource('oncall-teams', () => fetchAll<Team>('/api/v1/teams'));
  const byId = useMemo(() => new Map((people.data ?? []).map((u) => [u.id, u] as const)), [people.data]);
  const teamById = useMemo(() => new Map((teams.data ?? []).map((t) => [t.id, t] as const)), [teams.data]);
  return {
    people,
    teams,
    nameOf: (id) => byId.get(id)?.name ?? id,
    teamName: (id) => teamById.get(id)?.name ?? id,
  };
}
