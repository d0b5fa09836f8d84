import { useState } from 'react';
import { api, clientError } from '../../app/api-client.ts';
import { formatDateTime, optional, text } from '../../app/format.ts';
import type { MaintenanceWindow } from '../../app/types.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ConfirmDialog } from '../../ui/dialog.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { StatusMessage } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';

/** A `datetime-local` value (the browser's local time) as an ISO instant, or null when invalid. */
export function localToIso(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** An instant as a `datetime-local` value in the browser's time zone (minutes precision). */
export function isoToLocal(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function phase(w: MaintenanceWindow, now: number): 'active' | 'upcoming' | 'past' {
  if (Date.parse(w.ends_at) <= now) return 'past';
  return Date.parse(w.starts_at) <= now ? 'active' : 'upcoming';
}

/** A service's maintenance windows: alerts inside one are recorded but page nobody. */
export function MaintenanceWindows({
  serviceId,
  serviceName,
  canManage,
}: {
  serviceId: string;
  serviceName: string;
  canManage: boolean;
}) {
  const path = `/api/v1/services/${encodeURIComponent(serviceId)}/maintenance-windows`;
  const windows = useResource(`maintenance:${serviceId}`, async () => {
    const page = await api.get<{ items: MaintenanceWindow[] }>(path);
    return page.items;
  });
  const [deleting, setDeleting] = useState<MaintenanceWindow | null>(null);
  const [status, setStatus] = useState('');
  const now = Date.now();
  const rows = [...(windows.data ?? [])].sort((a, b) => b.starts_at.localeCompare(a.starts_at));

  const columns: Column<MaintenanceWindow>[] = [
    { key: 'starts', header: 'Starts', cell: (w) => formatDateTime(w.starts_at) },
    { key: 'ends', header: 'Ends', cell: (w) => formatDateTime(w.ends_at) },
    {
      key: 'state',
      header: 'State',
      cell: (w) => {
        const p = phase(w, now);
        return <span className={`pill maintenance-${p}`}>{p}</span>;
      },
    },
    { key: 'reason', header: 'Reason', cell: (w) => w.reason ?? '' },
    { key: 'by', header: 'Created by', cell: (w) => w.created_by ?? '—' },
  ];
  if (canManage) {
    columns.push({
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      kind: 'actions',
      cell: (w) => (
        <Button
          small
          variant="danger"
          onClick={() => setDeleting(w)}
          aria-label={`Delete maintenance window starting ${formatDateTime(w.starts_at)}`}
        >
          Delete
        </Button>
      ),
    });
  }

  const start = new Date(Math.ceil(now / 3_600_000) * 3_600_000);
  const end = new Date(start.getTime() + 3_600_000);

  return (
    <section aria-labelledby="maintenance-heading" className="section">
      <h2 id="maintenance-heading">Maintenance windows</h2>
      <p className="muted">
        Alerts for {serviceName} during a window are recorded and open incidents, but page nobody.
      </p>
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      <ErrorBanner error={windows.error} onRetry={windows.reload} />
      <Table
        caption={`Maintenance windows of ${serviceName}`}
        columns={columns}
        rows={rows}
        rowKey={(w) => w.id}
        loading={windows.loading && rows.length === 0}
        empty="No maintenance windows."
      />
      {canManage ? (
        <div className="inline-form">
          <h3>New maintenance window</h3>
          <Form
            label="New maintenance window"
            submitLabel="Create window"
            pendingLabel="Creating…"
            onSubmit={async (values, form) => {
              const startsAt = localToIso(text(values, 'starts_at'));
              const endsAt = localToIso(text(values, 'ends_at'));
              if (!startsAt || !endsAt) {
                throw clientError('Check the times', 'Both the start and the end need a date and a time.');
              }
              const reason = optional(values, 'reason');
              await api.post<MaintenanceWindow>(path, {
                starts_at: startsAt,
                ends_at: endsAt,
                ...(reason ? { reason } : {}),
              });
              form.reset();
              setStatus('Maintenance window created.');
              windows.reload();
            }}
          >
            <div className="form-row">
              <Field
                label="Starts"
                name="starts_at"
                type="datetime-local"
                required
                defaultValue={isoToLocal(start)}
                hint="In your browser's time zone."
              />
              <Field
                label="Ends"
                name="ends_at"
                type="datetime-local"
                required
                defaultValue={isoToLocal(end)}
              />
            </div>
            <Field label="Reason" name="reason" optional maxLength={1000} autoComplete="off" />
          </Form>
        </div>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete maintenance window"
          message={
            <>
              Delete the window from <strong>{formatDateTime(deleting.starts_at)}</strong> to{' '}
              <strong>{formatDateTime(deleting.ends_at)}</strong>? Alerts in that time will page again.
            </>
          }
          confirmLabel="Delete window"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.delete(`${path}/${encodeURIComponent(deleting.id)}`);
            setStatus('Maintenance window deleted.');
            setDeleting(null);
            windows.reload();
          }}
        />
      ) : null}
    </section>
  );
}
