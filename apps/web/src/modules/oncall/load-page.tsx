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
  ];

  return (
    <>
      <OncallStyles />
      <PageHeader
        title="On-call load"
        description="Sustainable rotations: hours on call, hours outside working hours (each person's time zone; weekends count whole) and pages received."
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
    </>
  );
}
