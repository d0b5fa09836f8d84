import type { ResponsePlan } from '@engops/contracts';
import type { Principal } from '../../platform/access/permissions.ts';
import type { AuditContext } from '../../platform/audit.ts';
import { newId } from '../../platform/ids.ts';
import { allServices, allTeams, readableTeams, type SecurityContext } from './security-deps.ts';
import { responsePlanItems, scheduleIdsOf } from './security-rules.ts';

type Authorize = (permission: 'security.read' | 'security.triage', teamId?: string | null) => void;

const LOOK_AHEAD_MS = 14 * 24 * 3600 * 1000;

/** Per-service incident response plan checklist, and the exercises that keep it fresh. */
export function createPlansService(ctx: SecurityContext) {
  const { db, clock, audit, repo, catalog, policy, oncall } = ctx;

  async function plans(teamFilter: string[] | null): Promise<ResponsePlan[]> {
    const [services, teams, exercises, settings] = await Promise.all([
      allServices(catalog),
      allTeams(catalog),
      repo.lastExercises(db),
      policy.current(),
    ]);
    const teamById = new Map(teams.map((t) => [t.id, t]));
    const lastExercise = new Map(exercises.map((e) => [e.service_id, e.at === null ? null : String(e.at)]));
    const at = clock.now();
    const from = at.toISOString();
    const to = new Date(at.getTime() + LOOK_AHEAD_MS).toISOString();
    const out: ResponsePlan[] = [];
    for (const service of services) {
      if (teamFilter && !teamFilter.includes(service.team_id)) continue;
      const team = teamById.get(service.team_id);
      let policyId: string | null = null;
      const schedules: Array<{ id: string; gaps: number }> = [];
      if (oncall) {
        const link = await oncall.servicePolicy(service.id).catch(() => null);
        policyId = link?.escalation_policy_id ?? null;
        for (const id of scheduleIdsOf(link?.policy ?? null)) {
          const shifts = await oncall.shifts(id, from, to).catch(() => null);
          if (shifts) schedules.push({ id, gaps: shifts.gaps.length });
        }
      }
      const plan = responsePlanItems(
        {
          teamName: team?.name ?? null,
          teamMembers: team?.member_count ?? 0,
          escalationPolicyId: policyId,
          schedules,
          runbookUrl: service.runbook_url,
          lastExerciseAt: lastExercise.get(service.id) ?? null,
        },
        at,
        settings.security.exercise_max_age_days,
      );
      out.push({ service_id: service.id, service_name: service.name, team_id: service.team_id, ...plan });
    }
    return out.sort((a, b) => a.service_name.localeCompare(b.service_name));
  }

  return {
    plans,
    async list(teamId: string | undefined, principal: Principal, authorize: Authorize) {
      if (teamId) {
        await catalog.getTeam(teamId);
        authorize('security.read', teamId);
        return plans([teamId]);
      }
      return plans(readableTeams(principal, 'security.read', [...principal.teamRoles.keys()]));
    },
    async recordExercise(
      actx: AuditContext,
      input: { service_id: string; kind: string; exercised_at: string; notes?: string | undefined },
      authorize: Authorize,
    ) {
      const service = await catalog.getService(input.service_id);
      authorize('security.triage', service.team_id);
      const row = {
        id: newId('sx'),
        service_id: service.id,
        team_id: service.team_id,
        kind: input.kind,
        exercised_at: new Date(input.exercised_at).toISOString(),
        notes: input.notes ?? null,
        recorded_by: actx.principal.name,
        created_at: clock.now().toISOString(),
      };
      await db.transaction().execute(async (tx) => {
        await repo.insertExercise(tx, row);
        await audit.record(tx, actx, {
          action: 'security.exercise.record',
          targetType: 'service',
          targetId: service.id,
          teamId: service.team_id,
          after: row,
        });
      });
      return row;
    },
  };
}

export type PlansService = ReturnType<typeof createPlansService>;
