import type { EscalationPolicy, Override, Schedule, teamMemberSchema } from '@engops/contracts';
import { useMemo } from 'react';
import { NavLink } from 'react-router';
import type { z } from 'zod';
import { fetchAll } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
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
  working_days: string[];
  thresholds: { max_incidents_per_12h: number; max_on_call_share: number };
  people: Array<{
    user_id: string;
    name: string;
    time_zone: string;
    hours_on_call: number;
    off_hours_hours: number;
    pages: number;
    night_pages: number;
    shifts: number;
    incidents: number;
    max_incidents_per_12h: number;
    on_call_share: number;
    flags: string[];
  }>;
  rotations: Array<{
    schedule_id: string;
    schedule_name: string;
    layer: string;
    members: Array<{ user_id: string; hours: number }>;
    mean_hours: number;
    spread_pct: number;
  }>;
}

/** The links between the on-call pages. */
export function OncallNav() {
  const auth = useAuth();
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
      <NavLink to="/oncall/me" className={cls}>
        My on-call
      </NavLink>
      <NavLink to="/oncall/load" className={cls}>
        Load report
      </NavLink>
      {auth.can('oncall.manage') ? (
        <NavLink to="/oncall/pay" className={cls}>
          Off-hours pay
        </NavLink>
      ) : null}
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
