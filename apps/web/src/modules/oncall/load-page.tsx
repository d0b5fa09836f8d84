import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../../app/api-client.ts';
import { useResource } from '../../app/use-resource.ts';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { PageHeader } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { type LoadReport, OncallNav, useDirectory } from './oncall-bits.tsx';
import { OncallStyles } from './oncall-styles.tsx';

type Person = LoadReport['people'][number];

const DAY = 86_400_000;
const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

/** /oncall/load: hours on call, off-hours hours and pages per person of a team over a window. */
export function LoadPage() {
  const directory = useDirectory();
  const [params, setParams] = useSearchParams();
  const teams = directory.teams.data ?? [];
  const team = params.get('team') || teams[0]?.id || '';
  const [today] = useState(() => Date.now());
  const from = params.get('from') || isoDay(today - 30 * DAY);
  const to = params.get('to') || isoDay(today + DAY);
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to) && from < to;
  const report = useResource<LoadReport | null>(`oncall-load:${team}:${from}:${to}`, () =>
    team && valid
      ? api.get<LoadReport>('/api/v1/oncall/load', {
          team_id: team,
          from: `${from}T00:00:00Z`,
          to: `${to}T00:00:00Z`,
        })
      : Promise.resolve(null),
  );

  function set(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }

  const people = report.data?.people ?? [];
  const max = Math.max(1, ...people.map((p) => p.hours_on_call));
  const windowHours = valid
    ? (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 3_600_000
    : 0;
  const columns: Column<Person>[] = [
    { key: 'who', header: 'Person', cell: (p) => directory.nameOf(p.user_id) },
    {
      key: 'hours',
      header: 'Hours on call',
      kind: 'number',
      cell: (p) => (
        <>
          {p.hours_on_call.toFixed(1)}
          <span
            className="load-bar"
            style={{ width: `${(p.hours_on_call / max) * 6}rem` }}
            aria-hidden="true"
          />
        </>
      ),
    },
    {
      key: 'share',
      header: 'Share of window',
      kind: 'number',
      cell: (p) => (windowHours > 0 ? `${Math.round((p.hours_on_call / windowHours) * 100)} %` : '—'),
    },
    { key: 'off', header: 'Off-hours hours', kind: 'number', cell: (p) => p.off_hours_hours.toFixed(1) },
    { key: 'pages', header: 'Pages', kind: 'number', cell: (p) => p.pages },
    { key: 'night', header: 'Night pages', kind: 'number', cell: (p) => p.night_pages },
    { key: 'incidents', header: 'Incidents', kind: 'number', cell: (p) => p.incidents },
    {
      key: 'busiest',
      header: 'Busiest 12-hour shift (incidents)',
      kind: 'number',
      cell: (p) => p.max_incidents_per_12h,
    },
    {
      key: 'flags',
      header: 'Flags',
      cell: (p) =>
        p.flags.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          <strong className="oncall-flag">{p.flags.join('; ')}</strong>
        ),
    },
  ];
  type Rotation = LoadReport['rotations'][number];
  const rotationColumns: Column<Rotation>[] = [
    { key: 'rotation', header: 'Rotation', cell: (r) => `${r.schedule_name} · ${r.layer}` },
    {
      key: 'members',
      header: 'Hours per member',
      cell: (r) => r.members.map((m) => `${directory.nameOf(m.user_id)} ${m.hours.toFixed(1)}`).join(', '),
    },
    { key: 'mean', header: 'Mean hours', kind: 'number', cell: (r) => r.mean_hours.toFixed(1) },
    { key: 'spread', header: 'Spread', kind: 'number', cell: (r) => `${Math.round(r.spread_pct)} %` },
  ];

  return (
    <>
      <OncallStyles />
      <PageHeader
        title="On-call load"
        description="Sustainable rotations: hours on call, hours outside working hours (each person's time zone; the team's working days, hours and holidays), pages (at night too) and incidents per shift; fairness within each rotation."
      />
      <OncallNav />
      <div className="load-controls">
        <SelectField
          label="Team"
          name="team"
          value={team}
          onChange={(e) => set('team', e.currentTarget.value)}
          options={teams.map((t) => ({ value: t.id, label: t.name }))}
        />
        <Field
          label="From (UTC day)"
          name="from"
          type="date"
          value={from}
          onChange={(e) => set('from', e.currentTarget.value)}
        />
        <Field
          label="To (UTC day, exclusive)"
          name="to"
          type="date"
          value={to}
          onChange={(e) => set('to', e.currentTarget.value)}
        />
      </div>
      {!valid ? <p className="field-error">The window needs a start day before its end day.</p> : null}
      {report.data ? (
        <p className="muted">
          Working hours {report.data.working_hours.start}–{report.data.working_hours.end} on weekdays.
        </p>
      ) : null}
      <ErrorBanner error={report.error ?? directory.teams.error} onRetry={report.reload} />
      <Table
        caption="On-call load per person"
        columns={columns}
        rows={people}
        rowKey={(p) => p.user_id}
        loading={report.loading}
        empty="Nobody was on call or paged in this window."
      />
      {report.data ? (
        <p className="muted">
          Flagged above {report.data.thresholds.max_incidents_per_12h} incidents per 12-hour shift (policy
          on_call.max_pages_per_shift) or on call more than{' '}
          {Math.round(report.data.thresholds.max_on_call_share * 100)}% of the window. Night pages:
          22:00–07:00 in each person's time zone.
        </p>
      ) : null}
      <section className="section" aria-labelledby="fairness">
        <h2 id="fairness">Fairness by rotation</h2>
        <Table
          caption="Hours per member of each rotation"
          columns={rotationColumns}
          rows={report.data?.rotations ?? []}
          rowKey={(r) => `${r.schedule_id}:${r.layer}`}
          loading={report.loading}
          empty="No rotation with two or more members."
        />
      </section>
    </>
  );
}
