import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, clientError } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime, text } from '../../app/format.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { CopyButton } from '../incidents/incident-bits.tsx';
import {
  type OnCallAnswer,
  OncallNav,
  type Override,
  type Schedule,
  type ShiftsAnswer,
  type TeamMember,
  useDirectory,
} from './oncall-bits.tsx';
import { formatSpan, localDays, localInputToIso, toLocalInput } from './oncall-format.ts';
import { OncallStyles } from './oncall-styles.tsx';
import { ScheduleTimeline } from './schedule-timeline.tsx';

const DAYS = 14;

interface Loaded {
  schedule: Schedule;
  now: OnCallAnswer;
  shifts: ShiftsAnswer;
  members: TeamMember[];
  days: ReturnType<typeof localDays>;
  at: number;
}

/** /oncall/schedules/:id: who is on call, the next 14 days, overrides, swaps and the calendar feed. */
export function SchedulePage() {
  const { id = '' } = useParams();
  const auth = useAuth();
  const directory = useDirectory();
  const [version, setVersion] = useState(0);
  const [message, setMessage] = useState('');
  /** A window picked by dragging on the timeline, for the override form. */
  const [draft, setDraft] = useState<{ start: number; end: number } | null>(null);
  const path = `/api/v1/schedules/${encodeURIComponent(id)}`;
  const data = useResource<Loaded>(`schedule:${id}:${version}`, async () => {
    const schedule = await api.get<Schedule>(path);
    const at = Date.now();
    const days = localDays(at, schedule.time_zone, DAYS);
    const from = new Date(days[0]?.start ?? at).toISOString();
    const to = new Date(days[days.length - 1]?.end ?? at).toISOString();
    const [now, shifts, members] = await Promise.all([
      api.get<OnCallAnswer>(`${path}/oncall`),
      api.get<ShiftsAnswer>(`${path}/shifts`, { from, to }),
      api
        .get<{ items: TeamMember[] }>(`/api/v1/teams/${encodeURIComponent(schedule.team_id)}/members`)
        .then((r) => r.items),
    ]);
    return { schedule, now, shifts, members, days, at };
  });
  const reload = () => setVersion((v) => v + 1);
  const d = data.data;
  const canManage = auth.can('oncall.manage');
  const order = useMemo(() => (d ? d.schedule.layers.flatMap((l) => l.participants) : []), [d]);

  if (!d) {
    return (
      <>
        <OncallStyles />
        <PageHeader title="Schedule" />
        <ErrorBanner error={data.error} onRetry={data.reload} />
        {data.loading ? <p className="muted">Loading…</p> : null}
      </>
    );
  }
  const { schedule } = d;
  const zone = schedule.time_zone;
  const memberOptions = d.members.map((m) => ({ value: m.user_id, label: `${m.name} (${m.email})` }));
  const gapMs = d.shifts.gaps.reduce((sum, g) => sum + Date.parse(g.end) - Date.parse(g.start), 0);

  const overrideColumns: Column<Override>[] = [
    { key: 'who', header: 'Person', cell: (o) => directory.nameOf(o.user_id) },
    {
      key: 'start',
      header: `Start (${zone})`,
      cell: (o) => toLocalInput(Date.parse(o.start), zone).replace('T', ' '),
    },
    {
      key: 'end',
      header: `End (${zone})`,
      cell: (o) => toLocalInput(Date.parse(o.end), zone).replace('T', ' '),
    },
    { key: 'span', header: 'Length', cell: (o) => formatSpan(Date.parse(o.end) - Date.parse(o.start)) },
    { key: 'by', header: 'Created', cell: (o) => formatDateTime(o.created_at) },
    ...(canManage
      ? [
          {
            key: 'actions',
            header: 'Actions',
            cell: (o: Override) => (
              <Button
                small
                variant="quiet"
                aria-label={`Remove the override of ${directory.nameOf(o.user_id)}`}
                onClick={async () => {
                  try {
                    await api.delete(`${path}/overrides/${encodeURIComponent(o.id)}`);
                    setMessage(`Override of ${directory.nameOf(o.user_id)} removed`);
                    reload();
                  } catch (error) {
                    setMessage(error instanceof Error ? error.message : String(error));
                  }
                }}
              >
                Remove
              </Button>
            ),
          },
        ]
      : []),
  ];

  function windowOf(form: FormData, prefix: string) {
    const start = localInputToIso(text(form, `${prefix}start`), zone);
    const end = localInputToIso(text(form, `${prefix}end`), zone);
    if (!start || !end)
      throw clientError('Invalid window', 'Give a start and an end (date and time).', [
        ...(!start ? [{ path: `body.${prefix}start`, message: 'is required' }] : []),
        ...(!end ? [{ path: `body.${prefix}end`, message: 'is required' }] : []),
      ]);
    if (Date.parse(end) <= Date.parse(start))
      throw clientError('Invalid window', 'The end must be after the start.', [
        { path: `body.${prefix}end`, message: 'must be after start' },
      ]);
    return { start, end };
  }

  async function addOverride(form: FormData, el: HTMLFormElement) {
    const userId = text(form, 'user_id');
    const w = windowOf(form, '');
    await api.post(`${path}/overrides`, { user_id: userId, ...w });
    setMessage(
      `Override added: ${directory.nameOf(userId)} is on call ${formatSpan(Date.parse(w.end) - Date.parse(w.start))}`,
    );
    el.reset();
    reload();
  }

  async function swap(form: FormData, el: HTMLFormElement) {
    const a = text(form, 'user_id');
    const b = text(form, 'swap_user_id');
    if (a === b) throw clientError('Invalid swap', 'A swap needs two different people.');
    const first = windowOf(form, '');
    const second = windowOf(form, 'swap_');
    await api.post(`${path}/overrides`, { user_id: b, ...first, swap: { user_id: a, ...second } });
    setMessage(`Swap made between ${directory.nameOf(a)} and ${directory.nameOf(b)}`);
    el.reset();
    reload();
  }

  async function rotate() {
    await api.post(`${path}/ical-url/rotate`);
    setMessage('Calendar URL rotated: the old link no longer works');
    reload();
  }

  const startDefault = toLocalInput(draft?.start ?? Math.floor(d.at / 3_600_000) * 3_600_000, zone);
  const endDefault = toLocalInput(
    draft?.end ?? Math.floor(d.at / 3_600_000) * 3_600_000 + 4 * 3_600_000,
    zone,
  );

  return (
    <>
      <OncallStyles />
      <p className="breadcrumb">
        <Link to="/oncall">On-call</Link> /
      </p>
      <PageHeader
        title={schedule.name}
        description={`${directory.teamName(schedule.team_id)} · ${zone} · ${schedule.layers
          .map(
            (l) =>
              `${l.name}: every ${l.rotation.length} ${l.rotation.unit}${l.rotation.length > 1 ? 's' : ''} from ${l.start.replace('T', ' ')}`,
          )
          .join('; ')}`}
      />
      <OncallNav />
      {message ? <StatusMessage>{message}</StatusMessage> : null}
      <ErrorBanner error={data.error} onRetry={reload} />

      <section className="section" aria-labelledby="on-call-now">
        <h2 id="on-call-now">On call now</h2>
        <div className="oncall-card" data-testid="on-call-now">
          {d.now.on_call.length === 0 ? (
            <p className="oncall-person oncall-nobody">Nobody (coverage gap)</p>
          ) : null}
          {d.now.on_call.map((s) => (
            <div key={`${s.user_id}:${s.layer}`}>
              <p className="oncall-person" data-user-id={s.user_id}>
                {directory.nameOf(s.user_id)}
                {s.layer === 'override' ? <span className="badge">override</span> : null}
              </p>
              <p className="oncall-until">
                {s.layer} · {toLocalInput(Date.parse(s.start), zone).replace('T', ' ')} –{' '}
                {toLocalInput(Date.parse(s.end), zone).replace('T', ' ')}
              </p>
            </div>
          ))}
        </div>
      </section>

      <section className="section" aria-labelledby="timeline">
        <div className="section-header">
          <h2 id="timeline">Next {DAYS} days</h2>
          <Button small onClick={reload}>
            Refresh
          </Button>
        </div>
        <p className={gapMs > 0 ? 'oncall-gaps-summary' : 'muted'} role="note">
          {gapMs > 0
            ? `${d.shifts.gaps.length} coverage gap${d.shifts.gaps.length > 1 ? 's' : ''} (${formatSpan(gapMs)} with nobody on call)`
            : 'No coverage gaps in these days.'}
        </p>
        <ScheduleTimeline
          days={d.days}
          data={d.shifts}
          zone={zone}
          order={order}
          nameOf={directory.nameOf}
          now={d.at}
          onSelect={
            canManage
              ? (start, end) => {
                  setDraft({ start, end });
                  document.getElementById('override')?.scrollIntoView({ block: 'center' });
                }
              : undefined
          }
        />
      </section>

      {canManage ? (
        <div className="oncall-columns">
          <section className="section" aria-labelledby="override">
            <h2 id="override">Create an override</h2>
            <p className="muted">
              Puts someone on call for a window, replacing whoever was. Times are in {zone}.
            </p>
            <p className="muted">Or drag across a day in the timeline to pick the window.</p>
            <Form
              key={draft ? `${draft.start}-${draft.end}` : 'now'}
              onSubmit={addOverride}
              submitLabel="Add override"
              label="Create an override"
            >
              <SelectField label="Person" name="user_id" options={memberOptions} required />
              <div className="form-row">
                <Field
                  label="Start"
                  name="start"
                  type="datetime-local"
                  defaultValue={startDefault}
                  required
                />
                <Field label="End" name="end" type="datetime-local" defaultValue={endDefault} required />
              </div>
            </Form>
          </section>
          <section className="section" aria-labelledby="swap">
            <h2 id="swap">Swap shifts</h2>
            <p className="muted">
              The second person covers the first window, and the first person covers the second: two overrides
              made as one. Times are in {zone}.
            </p>
            <Form onSubmit={swap} submitLabel="Swap shifts" label="Swap shifts">
              <div className="form-row">
                <SelectField label="First person" name="user_id" options={memberOptions} required />
                <SelectField
                  label="Second person"
                  name="swap_user_id"
                  options={memberOptions}
                  defaultValue={memberOptions[1]?.value}
                  required
                />
              </div>
              <div className="form-row">
                <Field label="First person's shift: start" name="start" type="datetime-local" required />
                <Field label="First person's shift: end" name="end" type="datetime-local" required />
              </div>
              <div className="form-row">
                <Field
                  label="Second person's shift: start"
                  name="swap_start"
                  type="datetime-local"
                  required
                />
                <Field label="Second person's shift: end" name="swap_end" type="datetime-local" required />
              </div>
            </Form>
          </section>
        </div>
      ) : null}

      <section className="section" aria-labelledby="overrides">
        <h2 id="overrides">Overrides</h2>
        <Table
          caption="Overrides"
          columns={overrideColumns}
          rows={[...schedule.overrides].sort((a, b) => Date.parse(b.start) - Date.parse(a.start))}
          rowKey={(o) => o.id}
          empty="No overrides."
        />
      </section>

      <section className="section" aria-labelledby="ical">
        <h2 id="ical">Calendar subscription</h2>
        <p className="muted">
          Subscribe from Google Calendar or Outlook with this secret URL (iCalendar, 30 days back and 180
          ahead). Anyone with the link can read the schedule: rotate it to revoke every link handed out
          before.
        </p>
        <div className="ical-url">
          <input
            readOnly
            value={schedule.ical_url}
            aria-label="iCal URL"
            onFocus={(e) => e.currentTarget.select()}
          />
          <CopyButton value={schedule.ical_url} label="Copy iCal URL" small={false} />
          {canManage ? <RotateButton onRotate={rotate} /> : null}
        </div>
      </section>
    </>
  );
}

function RotateButton({ onRotate }: { onRotate: () => Promise<void> }) {
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  return (
    <>
      <Button
        variant="danger"
        disabled={pending}
        onClick={() => {
          setPending(true);
          setError(null);
          onRotate().then(
            () => setPending(false),
            (e: unknown) => {
              setError(e);
              setPending(false);
            },
          );
        }}
      >
        {pending ? 'Rotating…' : 'Rotate URL'}
      </Button>
      <ErrorBanner error={error} />
    </>
  );
}
