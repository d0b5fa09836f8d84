import { useMemo } from 'react';
import { fetchAll } from './api-client.ts';
import { useAuth } from './auth-context.tsx';
import type { Service, Team } from './types.ts';
import { useResource } from './use-resource.ts';

/**
 * The scope of an organisation / team / service report page (DORA, workflow), kept in the URL as
 * `scope=` (empty: the organisation, `team:<id>`, `service:<id>`). Someone without an org-wide role
 * may read only their teams' reports: they start on their first team and are offered only their
 * teams and those teams' services.
 */
export function useReportScope(params: URLSearchParams, cacheKey: string) {
  const user = useAuth().session?.user;
  const teamOnly = user != null && user.role === null;
  const firstTeam = teamOnly ? user.teams[0]?.team_id : undefined;
  const scope = params.get('scope') ?? (firstTeam ? `team:${firstTeam}` : '');
  const teams = useResource(`${cacheKey}-teams`, () => fetchAll<Team>('/api/v1/teams'));
  const services = useResource(`${cacheKey}-services`, () => fetchAll<Service>('/api/v1/services'));

  const scopeQuery = useMemo((): { team_id?: string; service_id?: string } => {
    const [kind, id] = scope.split(':');
    if (kind === 'team' && id) return { team_id: id };
    if (kind === 'service' && id) return { service_id: id };
    return {};
  }, [scope]);

  const mine = new Set((user?.teams ?? []).map((t) => t.team_id));
  const scopeOptions = [
    ...(teamOnly ? [] : [{ value: '', label: 'Whole organisation' }]),
    ...(teams.data ?? [])
      .filter((t) => !teamOnly || mine.has(t.id))
      .map((t) => ({ value: `team:${t.id}`, label: `Team: ${t.name}` })),
    ...(services.data ?? [])
      .filter((s) => !teamOnly || mine.has(s.team_id))
      .map((s) => ({ value: `service:${s.id}`, label: `Service: ${s.name}` })),
  ];
  return { scope, scopeQuery, scopeOptions, teams, services };
}
