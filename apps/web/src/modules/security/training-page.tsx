import { useState } from 'react';
import { api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime, optional, text } from '../../app/format.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { SecurityNav } from './security-nav.tsx';
import { type Course, percent, type TrainingStatus } from './security-types.ts';

type TeamRow = TrainingStatus['teams'][number];
type OverdueRow = TrainingStatus['overdue'][number];

/** Security training: compliance per team, who is overdue, and recording a completion. */
export function TrainingPage() {
  const auth = useAuth();
  const status = useResource('training-status', () =>
    api.get<TrainingStatus>('/api/v1/security/training/status'),
  );
  const courses = useResource('training-courses', () =>
    api.get<Course[]>('/api/v1/security/training/courses'),
  );
  const [recording, setRecording] = useState(false);
  const [creating, setCreating] = useState(false);
  const [message, setMessage] = useState('');
  const reload = () => {
    status.reload();
    courses.reload();
  };

  const teamColumns: Column<TeamRow>[] = [
    { key: 'team', header: 'Team', cell: (t) => t.team_name },
    { key: 'done', header: 'Completed', cell: (t) => `${t.complete}/${t.required}` },
    { key: 'compliance', header: 'Compliance', kind: 'number', cell: (t) => percent(t.compliance) },
  ];
  const overdueColumns: Column<OverdueRow>[] = [
    { key: 'who', header: 'Person', cell: (o) => o.name },
    { key: 'course', header: 'Course', cell: (o) => o.course_name },
    {
      key: 'status',
      header: 'Status',
      cell: (o) => (
        <span className="pill pill-expired">{o.status === 'expired' ? 'Expired' : 'Not taken'}</span>
      ),
    },
  ];
  const courseColumns: Column<Course>[] = [
    { key: 'name', header: 'Course', cell: (c) => c.name },
    {
      key: 'valid',
      header: 'Valid for',
      cell: (c) => (c.validity_days === null ? 'ever' : `${c.validity_days} days`),
    },
    {
      key: 'who',
      header: 'Required for',
      cell: (c) => (c.required_team_ids.length === 0 ? 'everyone' : `${c.required_team_ids.length} team(s)`),
    },
  ];

  return (
    <>
      <PageHeader
        title="Security training"
        description="Who completed which course and when; expired and missing courses are overdue."
        actions={
          <>
            {auth.session?.user ? (
              <Button variant="primary" onClick={() => setRecording(true)} disabled={!courses.data?.length}>
                Record my completion
              </Button>
            ) : null}
            {auth.can('security.manage') ? (
              <Button onClick={() => setCreating(true)}>New course</Button>
            ) : null}
          </>
        }
      />
      <SecurityNav />
      <StatusMessage>{message}</StatusMessage>
      <ErrorBanner error={status.error ?? courses.error} onRetry={reload} />
      <h2>Compliance per team</h2>
      <Table
        caption="Training compliance per team"
        columns={teamColumns}
        rows={status.data?.teams ?? []}
        rowKey={(t) => t.team_id}
        loading={status.loading}
      />
      <h2>Overdue</h2>
      <Table
        caption="Overdue training"
        columns={overdueColumns}
        rows={status.data?.overdue ?? []}
        rowKey={(o) => `${o.user_id}:${o.course_id}`}
        loading={status.loading}
        empty="Nobody is overdue."
      />
      <h2>Courses</h2>
      <Table
        caption="Training courses"
        columns={courseColumns}
        rows={courses.data ?? []}
        rowKey={(c) => c.id}
        loading={courses.loading}
        empty="No course yet."
      />
      {recording && (
        <Dialog title="Record a completed course" onClose={() => setRecording(false)}>
          <Form
            label="Record completion"
            submitLabel="Record"
            onCancel={() => setRecording(false)}
            onSubmit={async (values) => {
              const day = text(values, 'completed_on');
              await api.post('/api/v1/security/training/completions', {
                course_id: text(values, 'course_id'),
                // Noon of the chosen day, but never later than now: today before noon is not the future.
                completed_at: day
                  ? new Date(Math.min(Date.parse(`${day}T12:00:00`), Date.now())).toISOString()
                  : '',
              });
              setRecording(false);
              setMessage('Completion recorded.');
              reload();
            }}
          >
            <SelectField
              label="Course"
              name="course_id"
              options={(courses.data ?? []).map((c) => ({ value: c.id, label: c.name }))}
            />
            <Field
              label="Completed on"
              name="completed_on"
              type="date"
              required
              defaultValue={new Date().toISOString().slice(0, 10)}
            />
          </Form>
        </Dialog>
      )}
      {creating && (
        <Dialog title="New training course" onClose={() => setCreating(false)}>
          <Form
            label="New course"
            submitLabel="Create"
            onCancel={() => setCreating(false)}
            onSubmit={async (values) => {
              const days = optional(values, 'validity_days');
              await api.post('/api/v1/security/training/courses', {
                name: text(values, 'name'),
                ...(days ? { validity_days: Number(days) } : {}),
              });
              setCreating(false);
              setMessage('Course created.');
              reload();
            }}
          >
            <Field label="Name" name="name" required />
            <Field
              label="Valid for (days)"
              name="validity_days"
              type="number"
              min={1}
              optional
              hint="Default: the policy's training validity."
            />
          </Form>
        </Dialog>
      )}
      {status.data && status.data.people.length > 0 ? (
        <p className="muted">
          {status.data.people.length} people tracked · last completion{' '}
          {formatDateTime(
            status.data.people
              .flatMap((p) => p.courses.map((c) => c.completed_at))
              .filter((d): d is string => d !== null)
              .sort()
              .at(-1) ?? null,
          )}
        </p>
      ) : null}
    </>
  );
}
