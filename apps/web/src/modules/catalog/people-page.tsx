import { useState } from 'react';
import { api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { text } from '../../app/format.ts';
import { ROLES, type Role, type User } from '../../app/types.ts';
import { usePagedList } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { CheckboxField, Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, LoadMore, Table } from '../../ui/table.tsx';
import { TimeZoneField } from '../../ui/time-zone-field.tsx';

const ROLE_OPTIONS = [
  { value: '', label: 'None (team roles only)' },
  ...ROLES.map((r) => ({ value: r, label: r })),
];

function roleOf(values: FormData): Role | null {
  const value = text(values, 'role');
  return value === '' ? null : (value as Role);
}

export function PeoplePage() {
  const auth = useAuth();
  const [search, setSearch] = useState('');
  const people = usePagedList<User>('/api/v1/users', { q: search || undefined });
  const [editing, setEditing] = useState<User | 'new' | null>(null);
  const [status, setStatus] = useState('');
  const isAdmin = auth.can('users.write');
  const selfId = auth.session?.user?.id;

  const columns: Column<User>[] = [
    {
      key: 'name',
      header: 'Name',
      cell: (u) => (
        <>
          {u.name}
          {u.id === selfId ? <span className="badge">you</span> : null}
        </>
      ),
    },
    { key: 'email', header: 'Email', cell: (u) => u.email },
    { key: 'role', header: 'Org role', cell: (u) => u.role ?? '—' },
    { key: 'teams', header: 'Teams', kind: 'number', cell: (u) => u.teams.length },
    { key: 'tz', header: 'Time zone', cell: (u) => u.time_zone },
    {
      key: 'status',
      header: 'Status',
      cell: (u) =>
        u.disabled ? (
          <span className="pill pill-revoked">Disabled</span>
        ) : u.has_password ? (
          <span className="pill pill-active">Can log in</span>
        ) : (
          <span className="pill">No password</span>
        ),
    },
    {
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      kind: 'actions',
      cell: (u) =>
        isAdmin || u.id === selfId ? (
          <Button small onClick={() => setEditing(u)} aria-label={`Edit ${u.name}`}>
            Edit
          </Button>
        ) : null,
    },
  ];

  return (
    <>
      <PageHeader
        title="People"
        description="Everyone who is on a team, on call, or logs in to engops."
        actions={
          isAdmin ? (
            <Button variant="primary" onClick={() => setEditing('new')}>
              New person
            </Button>
          ) : null
        }
      />
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      <search>
        <form
          className="toolbar"
          aria-label="Search people"
          onSubmit={(e) => {
            e.preventDefault();
            setSearch(text(new FormData(e.currentTarget), 'q'));
          }}
        >
          <Field label="Search by name or email" name="q" type="search" defaultValue={search} />
          <Button type="submit">Search</Button>
        </form>
      </search>
      <ErrorBanner error={people.error} onRetry={people.reload} />
      <Table
        caption="People"
        columns={columns}
        rows={people.items}
        rowKey={(u) => u.id}
        loading={people.loading}
        empty={search ? 'Nobody matches this search.' : 'No people yet.'}
      />
      <LoadMore hasMore={people.hasMore} loading={people.loadingMore} onLoadMore={people.loadMore} />

      {editing === 'new' ? (
        <Dialog title="New person" onClose={() => setEditing(null)}>
          <Form
            submitLabel="Create person"
            onCancel={() => setEditing(null)}
            onSubmit={async (values) => {
              const password = String(values.get('password') ?? '');
              const user = await api.post<User>('/api/v1/users', {
                email: text(values, 'email'),
                name: text(values, 'name'),
                time_zone: text(values, 'time_zone'),
                role: roleOf(values),
                ...(password ? { password } : {}),
              });
              setStatus(`${user.name} added.`);
              setEditing(null);
              people.reload();
            }}
          >
            <Field label="Email" name="email" type="email" required autoComplete="off" />
            <Field label="Name" name="name" required autoComplete="off" />
            <TimeZoneField />
            <SelectField label="Org role" name="role" defaultValue="viewer" options={ROLE_OPTIONS} />
            <Field
              label="Password"
              optional
              name="password"
              type="password"
              autoComplete="new-password"
              hint="Optional: at least 10 characters. Without one the person cannot log in yet."
            />
          </Form>
        </Dialog>
      ) : editing ? (
        <Dialog title={`Edit ${editing.name}`} onClose={() => setEditing(null)}>
          <Form
            submitLabel="Save person"
            onCancel={() => setEditing(null)}
            onSubmit={async (values) => {
              const password = String(values.get('password') ?? '');
              const user = await api.patch<User>(`/api/v1/users/${encodeURIComponent(editing.id)}`, {
                name: text(values, 'name'),
                time_zone: text(values, 'time_zone'),
                ...(isAdmin
                  ? {
                      email: text(values, 'email'),
                      role: roleOf(values),
                      disabled: values.get('disabled') === 'true',
                    }
                  : {}),
                ...(password ? { password } : {}),
                // Your own new password needs your current one (the server ends your other sessions).
                ...(password && editing.id === selfId
                  ? { current_password: String(values.get('current_password') ?? '') }
                  : {}),
              });
              setStatus(`${user.name} saved.`);
              setEditing(null);
              people.reload();
              if (user.id === selfId) void auth.refresh();
            }}
          >
            {isAdmin ? (
              <Field
                label="Email"
                name="email"
                type="email"
                defaultValue={editing.email}
                required
                autoComplete="off"
              />
            ) : null}
            <Field label="Name" name="name" defaultValue={editing.name} required />
            <TimeZoneField defaultValue={editing.time_zone} />
            {isAdmin ? (
              <>
                <SelectField
                  label="Org role"
                  name="role"
                  defaultValue={editing.role ?? ''}
                  options={ROLE_OPTIONS}
                />
                <CheckboxField
                  label="Disabled (cannot log in)"
                  name="disabled"
                  defaultChecked={editing.disabled}
                />
              </>
            ) : null}
            <Field
              label="New password"
              optional
              name="password"
              type="password"
              autoComplete="new-password"
              hint="Leave empty to keep the current password."
            />
            {editing.id === selfId ? (
              <Field
                label="Current password"
                optional
                name="current_password"
                type="password"
                autoComplete="current-password"
                hint="Needed only to set a new password for yourself."
              />
            ) : null}
          </Form>
        </Dialog>
      ) : null}
    </>
  );
}
