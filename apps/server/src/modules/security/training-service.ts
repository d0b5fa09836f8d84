import type { User } from '@engops/contracts';
import type { Principal } from '../../platform/access/permissions.ts';
import { can } from '../../platform/access/permissions.ts';
import type { AuditContext } from '../../platform/audit.ts';
import { AppError, isUniqueViolation } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { CompletionRow, CourseRow } from './kysely-security-repository.ts';
import { allTeams, allUsers, readableTeams, type SecurityContext } from './security-deps.ts';
import { addDays, type TrainingState, trainingState } from './security-rules.ts';

export const TRAINING_REMINDER_JOB = 'security.training.reminder';

/** Security training: courses, who must take them, completions with expiry, reminders, compliance. */
export function createTrainingService(ctx: SecurityContext) {
  const { db, clock, audit, repo, catalog, policy, jobs, notifier } = ctx;

  const courseView = (c: CourseRow) => ({
    id: c.id,
    name: c.name,
    description: c.description,
    validity_days: c.validity_days,
    required_team_ids: JSON.parse(c.required_team_ids) as string[],
    created_at: c.created_at,
  });
  const completionView = (c: CompletionRow) => ({
    id: c.id,
    course_id: c.course_id,
    user_id: c.user_id,
    completed_at: c.completed_at,
    expires_at: c.expires_at,
    recorded_by: c.recorded_by,
  });

  ctx.worker?.register(TRAINING_REMINDER_JOB, async (job) => {
    const { completion_id } = job.payload as { completion_id: string };
    const completion = await repo.getCompletion(db, completion_id);
    if (!completion || !notifier.isConfigured('email')) return;
    // A newer completion of the same course makes this reminder moot.
    const newer = (await repo.listCompletions(db)).some(
      (c) =>
        c.user_id === completion.user_id &&
        c.course_id === completion.course_id &&
        c.completed_at > completion.completed_at,
    );
    const course = await repo.getCourse(db, completion.course_id);
    const user = await catalog.getUser(completion.user_id).catch(() => undefined);
    if (newer || !course || !user || user.disabled) return;
    const expired = completion.expires_at !== null && completion.expires_at <= clock.now().toISOString();
    await db.transaction().execute(async (tx) => {
      await notifier.send(tx, {
        channel: 'email',
        target: user.email,
        subject: `Security training ${expired ? 'expired' : 'expires'} ${completion.expires_at?.slice(0, 10)}: ${course.name}`,
        text: `Your completion of "${course.name}" (${completion.completed_at.slice(0, 10)}) ${expired ? 'expired' : 'expires'} at ${completion.expires_at}. Take it again and record it in engops: ${ctx.baseUrl()}/security/training`,
        source: `training:${completion.id}`,
        data: { completion_id: completion.id, course_id: course.id },
      });
    });
  });

  /** Who must take `course`: everyone, or members of its teams. */
  const mustTake = (course: { required_team_ids: string[] }, user: User) =>
    course.required_team_ids.length === 0 ||
    user.teams.some((t) => course.required_team_ids.includes(t.team_id));

  return {
    async createCourse(
      actx: AuditContext,
      input: {
        name: string;
        description?: string | undefined;
        validity_days?: number | null | undefined;
        required_team_ids: string[];
      },
    ) {
      for (const [i, teamId] of input.required_team_ids.entries()) {
        if (!(await catalog.findTeam(teamId)))
          throw new AppError('HTTP_VALIDATION_FAILED', `No team ${teamId}.`, {
            errors: [{ path: `body.required_team_ids.${i}`, message: 'no such team' }],
          });
      }
      const settings = (await policy.current()).security;
      const row: CourseRow = {
        id: newId('crs'),
        name: input.name,
        description: input.description ?? null,
        validity_days:
          input.validity_days === undefined ? settings.training_validity_days : input.validity_days,
        required_team_ids: JSON.stringify([...new Set(input.required_team_ids)]),
        created_at: clock.now().toISOString(),
      };
      try {
        await db.transaction().execute(async (tx) => {
          await repo.insertCourse(tx, row);
          await audit.record(tx, actx, {
            action: 'security.training.course.create',
            targetType: 'training_course',
            targetId: row.id,
            after: courseView(row),
          });
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError('SECURITY_COURSE_NAME_TAKEN', undefined, { cause: error });
        throw error;
      }
      return courseView(row);
    },

    async courses() {
      return (await repo.listCourses(db)).map(courseView);
    },

    async recordCompletion(
      actx: AuditContext,
      input: { course_id: string; user_id?: string | undefined; completed_at: string },
    ) {
      const userId = input.user_id ?? actx.principal.userId;
      if (!userId) throw new AppError('SECURITY_NO_USER');
      if (userId !== actx.principal.userId && !can(actx.principal, 'security.manage'))
        throw new AppError(
          'AUTH_FORBIDDEN',
          'Recording training for someone else needs the security.manage permission.',
        );
      const course = await repo.getCourse(db, input.course_id);
      if (!course) throw new AppError('SECURITY_COURSE_NOT_FOUND');
      await catalog.getUser(userId);
      const completedAt = new Date(input.completed_at).toISOString();
      if (completedAt > clock.now().toISOString())
        throw new AppError('HTTP_VALIDATION_FAILED', 'A completion cannot be in the future.', {
          errors: [{ path: 'body.completed_at', message: 'must not be in the future' }],
        });
      const row: CompletionRow = {
        id: newId('trc'),
        course_id: course.id,
        user_id: userId,
        completed_at: completedAt,
        expires_at: course.validity_days === null ? null : addDays(completedAt, course.validity_days),
        recorded_by: actx.principal.name,
        created_at: clock.now().toISOString(),
      };
      const reminderDays = (await policy.current()).security.training_reminder_days;
      await db.transaction().execute(async (tx) => {
        await repo.insertCompletion(tx, row);
        if (row.expires_at) {
          await jobs.enqueue(tx, {
            kind: TRAINING_REMINDER_JOB,
            payload: { completion_id: row.id },
            runAt: new Date(
              Math.max(Date.parse(row.expires_at) - reminderDays * 24 * 3600 * 1000, clock.now().getTime()),
            ),
            dedupeKey: `training:${row.id}`,
          });
        }
        await audit.record(tx, actx, {
          action: 'security.training.complete',
          targetType: 'training_course',
          targetId: course.id,
          after: completionView(row),
        });
      });
      return completionView(row);
    },

    /** Each person's standing on the courses they must take, the overdue list and per-team compliance. */
    async status(
      teamId: string | undefined,
      principal: Principal,
      authorize: (p: 'security.read', t?: string | null) => void,
    ) {
      let teamFilter: string[] | null;
      if (teamId) {
        await catalog.getTeam(teamId);
        authorize('security.read', teamId);
        teamFilter = [teamId];
      } else teamFilter = readableTeams(principal, 'security.read', [...principal.teamRoles.keys()]);
      const [users, teams, courses, completions, settings] = await Promise.all([
        allUsers(catalog),
        allTeams(catalog),
        repo.listCourses(db),
        repo.listCompletions(db),
        policy.current(),
      ]);
      const at = clock.now();
      const latest = new Map<string, CompletionRow>();
      for (const c of completions) latest.set(`${c.user_id}\u0000${c.course_id}`, c); // ordered by completed_at
      const views = courses.map(courseView);
      const people = users
        .filter(
          (u) => !u.disabled && (teamFilter === null || u.teams.some((t) => teamFilter.includes(t.team_id))),
        )
        .map((u) => ({
          user_id: u.id,
          name: u.name,
          email: u.email,
          teams: u.teams.map((t) => t.team_id),
          courses: views
            .filter((c) => mustTake(c, u))
            .map((c) => {
              const done = latest.get(`${u.id}\u0000${c.id}`);
              return {
                course_id: c.id,
                course_name: c.name,
                status: trainingState(done, at, settings.security.training_reminder_days),
                completed_at: done?.completed_at ?? null,
                expires_at: done?.expires_at ?? null,
              };
            }),
        }));
      const good = (s: TrainingState) => s === 'complete' || s === 'expiring';
      const overdue = people.flatMap((p) =>
        p.courses
          .filter((c) => !good(c.status))
          .map((c) => ({
            user_id: p.user_id,
            name: p.name,
            course_id: c.course_id,
            course_name: c.course_name,
            status: c.status as 'expired' | 'missing',
          })),
      );
      const teamRows = teams
        .filter((t) => teamFilter === null || teamFilter.includes(t.id))
        .map((t) => {
          const pairs = people.filter((p) => p.teams.includes(t.id)).flatMap((p) => p.courses);
          const complete = pairs.filter((c) => good(c.status)).length;
          return {
            team_id: t.id,
            team_name: t.name,
            required: pairs.length,
            complete,
            compliance: pairs.length === 0 ? null : Math.round((complete / pairs.length) * 1000) / 1000,
          };
        });
      return { people: people.map(({ teams: _teams, ...p }) => p), overdue, teams: teamRows };
    },
  };
}

export type TrainingService = ReturnType<typeof createTrainingService>;
