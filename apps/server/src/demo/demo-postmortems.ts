import type { Container } from '../container.ts';
import { createIncidentsHistoryWriter } from '../modules/incidents/index.ts';
import { createPostmortemsHistoryWriter } from '../modules/postmortems/index.ts';
import { systemPrincipal } from '../platform/access/permissions.ts';
import { fixedClock } from '../platform/clock.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The postmortems part of the demo, written in the past with a clock of its own: one published on
 * time with an action item done and one open, one published late, and the newest resolved
 * incident's postmortem still a draft past its deadline (with a dismissed lint finding). Skipped when
 * postmortems exist.
 */
export async function seedPostmortemsDemo(container: Container): Promise<number> {
  if ((await container.postmortems.service.list({ limit: 1 })).items.length > 0) return 0;
  const resolved = (await container.incidents.service.list({ limit: 50, statuses: ['resolved'] })).items;
  if (resolved.length < 3) return 0;
  const now = container.clock.now().getTime();
  const clock = fixedClock(new Date(now));
  const incidents = createIncidentsHistoryWriter({ ...container, catalog: container.catalog.service, clock });
  const postmortems = createPostmortemsHistoryWriter({
    ...container,
    clock,
    catalog: container.catalog.service,
    incidents: incidents.service,
    policy: container.policy.service,
    baseUrl: () => container.state.baseUrl,
  });

  // Newest first: [0] stays a draft past its deadline; [2] is published on time, [4] late.
  const [draft, , onTime, , late] = resolved;
  let created = 0;

  const author = async (teamId: string) => {
    const members = await container.catalog.service.listMembers(teamId);
    const people = members.filter((m) => m.role !== 'viewer');
    const ctx = (m: (typeof people)[number] | undefined) =>
      m
        ? {
            principal: {
              ...systemPrincipal,
              kind: 'user' as const,
              id: m.user_id,
              userId: m.user_id,
              name: m.name,
            },
          }
        : { principal: systemPrincipal };
    return {
      first: people[0],
      second: people[1] ?? people[0],
      ctx: ctx(people[0]),
      handle: (m: (typeof people)[number] | undefined) => (m ? m.email.split('@')[0]! : 'nobody'),
    };
  };

  if (onTime?.resolved_at) {
    const resolvedAt = Date.parse(onTime.resolved_at);
    const team = await author(onTime.team_id);
    clock.set(new Date(resolvedAt + 20 * HOUR));
    const { postmortem } = await postmortems.createForIncident(team.ctx, onTime.id);
    const markdown = postmortem.markdown
      .replace(
        '_What in the system allowed this to happen? Describe mechanisms, not people._',
        'A configuration change raised the connection pool size above what the database allows. ' +
          'The deploy pipeline applied configuration without checking it against the database limits.',
      )
      .replace(
        '_What made it more likely, larger or slower to detect and fix?_',
        '- The alert fired on error rate only, 12 minutes after connections began to fail.\n' +
          '- The rollback runbook did not cover configuration-only changes.',
      )
      .replace(
        '_One line per item: `- [ ] what to change (@owner, due YYYY-MM-DD)`_',
        `- [x] Validate pool sizes against database limits in CI (@${team.handle(team.first)}, due ${date(resolvedAt + 7 * DAY)})\n` +
          `- [ ] Alert on connection saturation (@${team.handle(team.second)}, due ${date(now + 14 * DAY)})`,
      )
      .replace(
        '_What went well, what went badly, where we got lucky._',
        'Rolling back was fast once the change was found; finding it took too long.',
      );
    const saved = await postmortems.update(team.ctx, postmortem.id, markdown, postmortem.version);
    clock.advance(4 * HOUR);
    await postmortems.submit(team.ctx, saved.id);
    clock.advance(2 * HOUR);
    await postmortems.publish(team.ctx, saved.id);
    created++;
  }

  if (late?.resolved_at) {
    const resolvedAt = Date.parse(late.resolved_at);
    const team = await author(late.team_id);
    clock.set(new Date(resolvedAt + 30 * HOUR));
    const { postmortem } = await postmortems.createForIncident(team.ctx, late.id);
    const markdown = postmortem.markdown.replace(
      '_What in the system allowed this to happen? Describe mechanisms, not people._',
      'A certificate renewal job had been failing silently since the secrets store moved.',
    );
    await postmortems.update(team.ctx, postmortem.id, markdown, postmortem.version);
    clock.set(new Date(resolvedAt + 70 * HOUR));
    await postmortems.publish(team.ctx, postmortem.id);
    created++;
  }

  if (draft?.resolved_at) {
    const team = await author(draft.team_id);
    clock.set(new Date(Date.parse(draft.resolved_at) + 2 * HOUR));
    const { postmortem } = await postmortems.createForIncident(team.ctx, draft.id);
    // Half written: "Nightwatch" is the monitoring system, so the lint's person-as-subject finding
    // on it is dismissed as a false positive (and stays dismissed while the text is edited).
    const markdown = postmortem.markdown.replace(
      '_What in the system allowed this to happen? Describe mechanisms, not people._',
      'Nightwatch ignored the disk-full signal: its threshold was 99% and the disk filled in minutes.',
    );
    await postmortems.update(team.ctx, postmortem.id, markdown, postmortem.version);
    await postmortems.dismiss(team.ctx, postmortem.id, {
      rule: 'person-as-subject',
      text: 'Nightwatch ignored',
      reason: 'Nightwatch is our monitoring system, not a person.',
    });
    created++;
  }
  return created;
}
