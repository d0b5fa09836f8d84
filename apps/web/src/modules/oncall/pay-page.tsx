import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { text } from '../../app/format.ts';
import { useResource } from '../../app/use-resource.ts';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { OncallNav, useDirectory } from './oncall-bits.tsx';
import { OncallStyles } from './oncall-styles.tsx';

interface PayPerson {
  user_id: string;
  name: string;
  on_call_hours: number;
  off_hours_hours: number;
  weekday_off_hours: number;
  weekend_hours: number;
  holiday_hours: number;
  off_hours_shifts: number;
  off_hours_pages: number;
  amount: number;
}
interface PayReport {
  team_id: string;
  from: string;
  to: string;
  time_zone: string;
  currency: string;
  working_hours: { start: string; end: string };
  people: PayPerson[];
  total: number;
}
interface PayPolicy {
  currency: string;
  hourly_rate: number;
  per_off_hours_shift: number;
  per_off_hours_page: number;
  weekend_multiplier: number;
  holiday_multiplier: number;
  working_days: string[];
  working_hours: { start: string; end: string } | null;
  holidays: string[];
}

const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/**
 * /oncall/pay: compensation for off-hours work over a pay period (a calendar month by default),
 * in the team's time zone, priced by the team's pay policy; CSV export for payroll.
 */
export function PayPage() {
  const auth = useAuth();
  const directory = useDirectory();
  const [params, setParams] = useSearchParams();
  const teams = (directory.teams.data ?? []).filter(() => auth.can('oncall.manage'));
  const team = params.get('team') || teams[0]?.id || '';
  const [today] = useState(() => new Date());
  const monthStart = isoDay(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
  const nextMonth = isoDay(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 1));
  const from = params.get('from') || monthStart;
  const to = params.get('to') || nextMonth;
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to) && from < to;
  const [message, setMessage] = useState('');
  const query = { team_id: team, from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z` };
  const report = useResource<PayReport | null>(`oncall-pay:${team}:${from}:${to}`, () =>
    team && valid ? api.get<PayReport>('/api/v1/oncall/pay', query) : Promise.resolve(null),
  );
  const policy = useResource<{ policy: PayPolicy } | null>(`oncall-pay-policy:${team}`, () =>
    team ? api.get(`/api/v1/oncall/teams/${encodeURIComponent(team)}/pay-policy`) : Promise.resolve(null),
  );

  function set(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }

  const currency = report.data?.currency ?? '';
  const money = (n: number) => `${n.toFixed(2)} ${currency}`;
  const max = Math.max(1, ...(report.data?.people ?? []).map((p) => p.amount));
  const columns: Column<PayPerson>[] = [
    { key: 'who', header: 'Person', cell: (p) => p.name },
    { key: 'on', header: 'On call (h)', kind: 'number', cell: (p) => p.on_call_hours.toFixed(1) },
    {
      key: 'wd',
      header: 'Weekday off-hours (h)',
      kind: 'number',
      cell: (p) => p.weekday_off_hours.toFixed(1),
    },
    { key: 'we', header: 'Weekend (h)', kind: 'number', cell: (p) => p.weekend_hours.toFixed(1) },
    { key: 'hol', header: 'Holiday (h)', kind: 'number', cell: (p) => p.holiday_hours.toFixed(1) },
    { key: 'shifts', header: 'Off-hours shifts', kind: 'number', cell: (p) => p.off_hours_shifts },
    { key: 'pages', header: 'Off-hours pages', kind: 'number', cell: (p) => p.off_hours_pages },
    {
      key: 'amount',
      header: 'Amount',
      kind: 'number',
      cell: (p) => (
        <>
          {money(p.amount)}
          <span className="load-bar" style={{ width: `${(p.amount / max) * 6}rem` }} aria-hidden="true" />
        </>
      ),
    },
  ];
  const csv = `/api/v1/oncall/pay.csv?${new URLSearchParams(query).toString()}`;
  const p = policy.data?.policy;

  return (
    <>
      <OncallStyles />
      <PageHeader
        title="Off-hours pay"
        description="Compensation for off-hours work: on-call hours outside working hours and pages received off-hours, in the team's time zone (DST-correct), priced by the team's pay policy. Overlapping shifts are paid once."
      />
      <OncallNav />
      {message ? <StatusMessage>{message}</StatusMessage> : null}
      <div className="load-controls">
        <SelectField
          label="Team"
          name="team"
          value={team}
          onChange={(e) => set('team', e.currentTarget.value)}
          options={teams.map((t) => ({ value: t.id, label: t.name }))}
        />
        <Field
          label="From (day)"
          name="from"
          type="date"
          value={from}
          onChange={(e) => set('from', e.currentTarget.value)}
        />
        <Field
          label="To (day, exclusive)"
          name="to"
          type="date"
          value={to}
          onChange={(e) => set('to', e.currentTarget.value)}
        />
      </div>
      {!valid ? <p className="field-error">The pay period needs a start day before its end day.</p> : null}
      <ErrorBanner error={report.error ?? policy.error ?? directory.teams.error} onRetry={report.reload} />
      {report.data ? (
        <p className="muted">
          Team time zone {report.data.time_zone}; working hours {report.data.working_hours.start}–
          {report.data.working_hours.end}. Total {money(report.data.total)}.{' '}
          <a href={csv} download>
            Download CSV
          </a>
        </p>
      ) : null}
      <Table
        caption="Off-hours pay per person"
        columns={columns}
        rows={report.data?.people ?? []}
        rowKey={(x) => x.user_id}
        loading={report.loading}
        empty="Nobody was on call in this pay period."
      />
      {p ? (
        <section className="section" aria-labelledby="pay-policy">
          <h2 id="pay-policy">Pay policy</h2>
          <Form
            key={`${team}:${JSON.stringify(p)}`}
            label="Pay policy"
            submitLabel="Save pay policy"
            onSubmit={async (form) => {
              const start = text(form, 'work_start');
              const end = text(form, 'work_end');
              await api.put(`/api/v1/oncall/teams/${encodeURIComponent(team)}/pay-policy`, {
                currency: text(form, 'currency'),
                hourly_rate: Number(text(form, 'hourly_rate')),
                per_off_hours_shift: Number(text(form, 'per_off_hours_shift')),
                per_off_hours_page: Number(text(form, 'per_off_hours_page')),
                weekend_multiplier: Number(text(form, 'weekend_multiplier')),
                holiday_multiplier: Number(text(form, 'holiday_multiplier')),
                working_days: form.getAll('working_days').map(String),
                working_hours: start && end ? { start, end } : null,
                holidays: text(form, 'holidays')
                  .split(/[\s,]+/)
                  .filter(Boolean),
              });
              setMessage('Pay policy saved');
              policy.reload();
              report.reload();
            }}
          >
            <div className="form-row">
              <Field label="Currency" name="currency" defaultValue={p.currency} maxLength={3} required />
              <Field
                label="Hourly rate"
                name="hourly_rate"
                type="number"
                step="0.01"
                min={0}
                defaultValue={p.hourly_rate}
              />
              <Field
                label="Per off-hours shift"
                name="per_off_hours_shift"
                type="number"
                step="0.01"
                min={0}
                defaultValue={p.per_off_hours_shift}
              />
              <Field
                label="Per off-hours page"
                name="per_off_hours_page"
                type="number"
                step="0.01"
                min={0}
                defaultValue={p.per_off_hours_page}
              />
            </div>
            <div className="form-row">
              <Field
                label="Weekend multiplier"
                name="weekend_multiplier"
                type="number"
                step="0.05"
                min={0}
                defaultValue={p.weekend_multiplier}
              />
              <Field
                label="Holiday multiplier"
                name="holiday_multiplier"
                type="number"
                step="0.05"
                min={0}
                defaultValue={p.holiday_multiplier}
              />
              <Field
                label="Working hours from"
                name="work_start"
                type="time"
                defaultValue={p.working_hours?.start ?? ''}
                hint="Empty: the organisation policy's hours."
              />
              <Field
                label="Working hours to"
                name="work_end"
                type="time"
                defaultValue={p.working_hours?.end ?? ''}
              />
            </div>
            <SelectField
              label="Working days"
              name="working_days"
              multiple
              defaultValue={p.working_days}
              options={DAYS.map((d) => ({ value: d, label: d }))}
            />
            <Field
              label="Public holidays"
              name="holidays"
              defaultValue={p.holidays.join(' ')}
              hint="Days YYYY-MM-DD, separated by spaces; they count as off-hours all day."
            />
          </Form>
        </section>
      ) : null}
    </>
  );
}
