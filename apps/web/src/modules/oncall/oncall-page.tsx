import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { browserTimeZone, text } from '../../app/format.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { TimeZoneField } from '../../ui/time-zone-field.tsx';
import {
  type OnCallAnswer,
  OncallNav,
  type Schedule,
  type Shift,
  type ShiftsAnswer,
  type TeamMember,
  useDirectory,
} from './oncall-bits.tsx';
import { formatSpan, toLocalInput } from './oncall-format.ts';
import { OncallStyles } from './oncall-styles.tsx';

interface NowRow {
  schedule: Schedule;
  answer: OnCallAnswer | null;
  /** The next handoff: shifts starting within two weeks. */
  next: Shift[];
  error: unknown;
}

interface RotationCheck {
  team_id: string;
  team_size: number;
  recommended: string;
  ok: boolean;
  advice: string;
  services_without_policy: string[];
}

const TWO_WEEKS = 14 * 86_400_000;

/** /oncall: who is on call now on every schedule, the schedules, and a form for a new one. */
export function OncallPage() {
  const auth = useAuth();
  const directory = useDirectory();
  const [creating, setCreating] = useState(false);
  const now = useResource<NowRow[]>('oncall-now', async () => {
    const { items } = await api.get<{ items: Schedule[] }>('/api/v1/schedules');
    return Promise.all(
      items.map(async (schedule): Promise<NowRow> => {
        const path = `/api/v1/schedules/${encodeURIComponent(schedule.id)}`;
        try {
          const answer = await api.get<OnCallAnswer>(`${path}/oncall`);
          const at = Date.parse(answer.at);
          const window = await api.get<ShiftsAnswer>(`${path}/shifts`, {
            from: answer.at,
            to: new Date(at + TWO_WEEKS).toISOString(),
          });
          const later = window.shifts.filter((x) => Date.parse(x.start) > at);
          const first = later[0]?.start;
          return { schedule, answer, next: later.filter((x) => x.start === first), error: null };
        } catch (error) {
          return { schedule, answer: null, next: [], error };
        }
      }),
    );
  });
  const rows = now.data ?? [];
  const teamIds = [...new Set(rows.map((r) => r.schedule.team_id))].sort();
  const checks = useResource<RotationCheck[]>(`oncall-rotation-checks:${teamIds.join(',')}`, () =>
    Promise.all(
      teamIds.map((id) =>
        api.get<RotationCheck>(`/api/v1/oncall/teams/${encodeURIComponent(id)}/rotation-check`),
      ),
    ),
  );

  const columns: Column<NowRow>[] = [
    {
      key: 'name',
      header: 'Schedule',
      cell: (r) => (
        <Link to={`/oncall/schedules/${encodeURIComponent(r.schedule.id)}`}>{r.schedule.name}</Link>
      ),
    },
    { key: 'team', header: 'Team', cell: (r) => directory.teamName(r.schedule.team_id) },
    { key: 'zone', header: 'Time zone', cell: (r) => <span className="mono">{r.schedule.time_zone}</span> },
    {
      key: 'layers',
      header: 'Layers',
      cell: (r) =>
        r.schedule.layers
          .map(
            (l) =>
              `${l.name}: ${l.rotation.length} ${l.rotation.unit}${l.rotation.length > 1 ? 's' : ''}, ${l.participants.length} people`,
          )
          .join('; '),
    },
    { key: 'overrides', header: 'Overrides', kind: 'number', cell: (r) => r.schedule.overrides.length },
  ];

  return (
    <>
      <OncallStyles />
      <PageHeader
        title="On-call"
        description="Who is woken up, and when. Rotations hand off at the same local time across daylight saving changes."
        actions={
          auth.can('oncall.manage') ? (
            <Button variant="primary" onClick={() => setCreating((v) => !v)} aria-expanded={creating}>
              New schedule
            </Button>
          ) : null
        }
      />
      <OncallNav />
      {creating ? (
        <section className="section" aria-labelledby="new-schedule">
          <h2 id="new-schedule">New schedule</h2>
          <NewScheduleForm directory={directory} onCancel={() => setCreating(false)} />
        </section>
      ) : null}

      <section className="section" aria-labelledby="who-now">
        <div className="section-header">
          <h2 id="who-now">Who is on call now</h2>
          <Button small onClick={now.reload}>
            Refresh
          </Button>
        </div>
        <ErrorBanner error={now.error ?? directory.people.error} onRetry={now.reload} />
        {now.loading && rows.length === 0 ? <p className="muted">Loading…</p> : null}
        {!now.loading && rows.length === 0 && !now.error ? (
          <p>No schedules yet. Create one to put people on call.</p>
        ) : null}
        <ul className="oncall-now" aria-label="On call now">
          {rows.map((r) => (
            <li
              key={r.schedule.id}
              className="oncall-card"
              data-schedule-id={r.schedule.id}
              aria-label={r.schedule.name}
            >
              <h3>
                <Link to={`/oncall/schedules/${encodeURIComponent(r.schedule.id)}`}>{r.schedule.name}</Link>
              </h3>
              <p className="muted">{directory.teamName(r.schedule.team_id)}</p>
              <ErrorBanner error={r.error} />
              {r.answer && r.answer.on_call.length === 0 ? (
                <p className="oncall-person oncall-nobody">Nobody (coverage gap)</p>
              ) : null}
              {r.answer?.on_call.map((s) => (
                <div key={`${s.user_id}:${s.layer}:${s.start}`}>
                  <p className="oncall-person" data-user-id={s.user_id}>
                    {directory.nameOf(s.user_id)}
                    {s.layer === 'override' ? <span className="badge">override</span> : null}
                  </p>
                  <p className="oncall-until">
                    {s.layer} · until{' '}
                    {toLocalInput(Date.parse(s.end), r.schedule.time_zone).replace('T', ' ')} (
                    {formatSpan(Date.parse(s.end) - Date.parse(r.answer?.at ?? s.start))} left)
                  </p>
                </div>
              ))}
              {r.next.length > 0 ? (
                <p className="oncall-until oncall-next">
                  Next: {r.next.map((x) => directory.nameOf(x.user_id)).join(', ')} from{' '}
                  {toLocalInput(Date.parse(r.next[0]!.start), r.schedule.time_zone).replace('T', ' ')}
                </p>
              ) : null}
            </li>
          ))}
          {now.data
            ? (directory.teams.data ?? [])
                .filter((team) => !rows.some((r) => r.schedule.team_id === team.id))
                .map((team) => (
                  <li key={team.id} className="oncall-card" data-team-id={team.id} aria-label={team.name}>
                    <h3>{team.name}</h3>
                    <p className="oncall-person oncall-nobody">No schedule: nobody is on call</p>
                  </li>
                ))
            : null}
        </ul>
      </section>

      {checks.data && checks.data.length > 0 ? (
        <section className="section" aria-labelledby="rotation-check">
          <h2 id="rotation-check">Rotation structure</h2>
          <p className="muted">
            The handbook's advice by team size (responders and managers): 1-3 informal, 4-8 a weekly rotation,
            more than 8 several rotations by service (sizes from the organisation policy).
          </p>
          <ul className="rotation-checks">
            {checks.data.map((c) => (
              <li key={c.team_id} className={c.ok ? 'oncall-ok' : 'oncall-warning'} data-team-id={c.team_id}>
                <strong>{directory.teamName(c.team_id)}</strong>: {c.ok ? '' : 'mismatch. '}
                {c.advice}
                {c.services_without_policy.length > 0
                  ? ` ${c.services_without_policy.length} service(s) have no escalation policy.`
                  : ''}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <section className="section" aria-labelledby="schedules">
        <h2 id="schedules">Schedules</h2>
        <Table
          caption="Schedules"
          columns={columns}
          rows={rows}
          rowKey={(r) => r.schedule.id}
          loading={now.loading}
          empty="No schedules yet."
        />
      </section>
    </>
  );
}

function NewScheduleForm({
  directory,
  onCancel,
}: {
  directory: ReturnType<typeof useDirectory>;
  onCancel: () => void;
}) {
  const navigate = useNavigate();
  const teams = directory.teams.data ?? [];
  const [teamId, setTeamId] = useState('');
  const team = teamId || teams[0]?.id || '';
  const members = useResource<TeamMember[]>(`oncall-members:${team}`, () =>
    team
      ? api
          .get<{ items: TeamMember[] }>(`/api/v1/teams/${encodeURIComponent(team)}/members`)
          .then((r) => r.items)
      : Promise.resolve([]),
  );
  const [participants, setParticipants] = useState<string[]>([]);
  const [pick, setPick] = useState('');
  const available = (members.data ?? []).filter((m) => !participants.includes(m.user_id));
  const picked = pick && available.some((m) => m.user_id === pick) ? pick : (available[0]?.user_id ?? '');
  const memberName = (id: string) =>
    members.data?.find((m) => m.user_id === id)?.name ?? directory.nameOf(id);
  const defaultZone = teams.find((t) => t.id === team)?.time_zone ?? browserTimeZone();
  const [message, setMessage] = useState('');

  function move(index: number, by: number) {
    setParticipants((list) => {
      const next = [...list];
      const [item] = next.splice(index, 1);
      if (item !== undefined) next.splice(index + by, 0, item);
      return next;
    });
  }

  async function submit(form: FormData) {
    const length = Number(text(form, 'length'));
    const start = text(form, 'start');
    const created = await api.post<Schedule>('/api/v1/schedules', {
      name: text(form, 'name'),
      team_id: team,
      time_zone: text(form, 'time_zone'),
      layers: [
        {
          name: text(form, 'layer') || 'primary',
          start: start.length === 16 ? `${start}:00` : start,
          rotation: { unit: text(form, 'unit'), length: Number.isFinite(length) ? length : 1 },
          participants,
        },
      ],
    });
    setMessage(`Schedule ${created.name} created`);
    navigate(`/oncall/schedules/${encodeURIComponent(created.id)}`);
  }

  const defaultStart = (() => {
    // Next Monday 09:00 in the browser's zone: a usual weekly handoff.
    const d = new Date();
    d.setDate(d.getDate() + ((8 - d.getDay()) % 7 || 7));
    d.setHours(9, 0, 0, 0);
    return toLocalInput(d.getTime(), browserTimeZone());
  })();

  return (
    <Form onSubmit={submit} submitLabel="Create schedule" onCancel={onCancel} label="New schedule">
      {message ? <StatusMessage>{message}</StatusMessage> : null}
      <div className="form-row">
        <Field label="Name" name="name" required maxLength={200} placeholder="Payments primary" />
        <SelectField
          label="Team"
          name="team_id"
          value={team}
          onChange={(e) => {
            setTeamId(e.currentTarget.value);
            setParticipants([]);
          }}
          options={teams.map((t) => ({ value: t.id, label: t.name }))}
          hint={
            members.data && members.data.length >= 4 && members.data.length <= 8
              ? 'A team of 4-8 people: the handbook suggests a weekly rotation.'
              : members.data && members.data.length > 8
                ? 'A team of 8+ people: the handbook suggests rotations per service.'
                : members.data && members.data.length > 0
                  ? 'A team of 1-3 people: an informal, shared rotation works.'
                  : undefined
          }
        />
        <TimeZoneField key={defaultZone} defaultValue={defaultZone} />
      </div>
      <div className="form-row">
        <Field label="Layer name" name="layer" defaultValue="primary" required maxLength={100} />
        <SelectField
          label="Rotation unit"
          name="unit"
          defaultValue="week"
          options={[
            { value: 'week', label: 'Weeks' },
            { value: 'day', label: 'Days' },
            { value: 'hour', label: 'Hours' },
          ]}
        />
        <Field label="Turn length" name="length" type="number" min={1} max={1000} defaultValue={1} required />
        <Field
          label="Rotation start"
          name="start"
          type="datetime-local"
          defaultValue={defaultStart}
          required
          hint="Wall-clock time in the schedule's time zone: the first handoff."
        />
      </div>
      <fieldset className="policy-step">
        <legend>Participants, in order of their turns</legend>
        <ErrorBanner error={members.error} />
        {participants.length === 0 ? (
          <p className="muted">Nobody yet: add the team's members below.</p>
        ) : null}
        <ol className="participant-list" aria-label="Participants">
          {participants.map((id, i) => (
            <li key={id}>
              <span className="participant-order">{i + 1}.</span>
              <span className="participant-name">{memberName(id)}</span>
              <Button
                small
                disabled={i === 0}
                onClick={() => move(i, -1)}
                aria-label={`Move ${memberName(id)} up`}
              >
                ↑
              </Button>
              <Button
                small
                disabled={i === participants.length - 1}
                onClick={() => move(i, 1)}
                aria-label={`Move ${memberName(id)} down`}
              >
                ↓
              </Button>
              <Button
                small
                variant="quiet"
                onClick={() => setParticipants((l) => l.filter((x) => x !== id))}
                aria-label={`Remove ${memberName(id)}`}
              >
                Remove
              </Button>
            </li>
          ))}
        </ol>
        <div className="participant-pick">
          <SelectField
            label="Team member"
            name="member_pick"
            value={picked}
            onChange={(e) => setPick(e.currentTarget.value)}
            options={available.map((m) => ({ value: m.user_id, label: `${m.name} (${m.email})` }))}
            disabled={available.length === 0}
          />
          <Button
            disabled={!picked}
            onClick={() => {
              if (picked) setParticipants((l) => [...l, picked]);
              setPick('');
            }}
          >
            Add participant
          </Button>
        </div>
      </fieldset>
    </Form>
  );
}
