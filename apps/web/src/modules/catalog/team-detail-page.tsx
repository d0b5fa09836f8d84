import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, fetchAll } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { text } from '../../app/format.ts';
import { type Service, TEAM_ROLES, type Team, type TeamMember, type User } from '../../app/types.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button, buttonClass } from '../../ui/button.tsx';
import { ConfirmDialog } from '../../ui/dialog.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { OverdueActionItems } from '../postmortems/overdue-action-items.tsx';
import { ServiceFormDialog } from './service-form.tsx';
import { TeamFormDialog } from './team-form.tsx';

interface TeamDetail {
  team: Team;
  members: TeamMember[];
  services: Service[];
}

export function TeamDetailPage() {
  const { id = '' } = useParams();
  const auth = useAuth();
  const navigate = useNavigate();
  const path = `/api/v1/teams/${encodeURIComponent(id)}`;
  const detail = useResource<TeamDetail>(`team:${id}`, async () => {
    const [team, members, services] = await Promise.all([
      api.get<Team>(path),
      api.get<{ items: TeamMember[] }>(`${path}/members`),
      fetchAll<Service>('/api/v1/services', { team_id: id }),
    ]);
    return { team, members: members.items, services };
  });
  const canWrite = auth.can('teams.write');
  const people = useResource(canWrite ? 'people' : 'people:none', () =>
    canWrite ? fetchAll<User>('/api/v1/users') : Promise.resolve([] as User[]),
  );
  const [dialog, setDialog] = useState<'edit' | 'delete' | 'service' | null>(null);
  const [removing, setRemoving] = useState<TeamMember | null>(null);
  const [status, setStatus] = useState('');

  if (!detail.data) {
    return detail.error ? (
      <>
        <PageHeader title="Team" />
        <ErrorBanner error={detail.error} onRetry={detail.reload} />
        <p>
          <Link to="/teams">Back to teams</Link>
        </p>
      </>
    ) : (
      <p role="status">Loading team…</p>
    );
  }
  const { team, members, services } = detail.data;

  const memberColumns: Column<TeamMember>[] = [
    {
      key: 'name',
      header: 'Name',
      cell: (m) => (m.disabled ? `${m.name} (disabled: not notified)` : m.name),
    },
    { key: 'email', header: 'Email', cell: (m) => m.email },
    { key: 'role', header: 'Team role', cell: (m) => m.role },
  ];
  if (canWrite) {
    memberColumns.push({
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      kind: 'actions',
      cell: (m) => (
        <Button small variant="danger" onClick={() => setRemoving(m)} aria-label={`Remove ${m.name}`}>
          Remove
        </Button>
      ),
    });
  }
  const serviceColumns: Column<Service>[] = [
    { key: 'name', header: 'Name', cell: (s) => <span className="mono">{s.name}</span> },
    { key: 'tier', header: 'Tier', cell: (s) => s.tier ?? '—' },
    { key: 'description', header: 'Description', cell: (s) => s.description ?? '' },
  ];

  return (
    <>
      <p className="breadcrumb">
        <Link to="/teams">Teams</Link> <span aria-hidden="true">/</span>
      </p>
      <PageHeader
        title={team.name}
        documentTitle={`Team ${team.name}`}
        description={
          <>
            Time zone {team.time_zone}
            {team.description ? ` · ${team.description}` : ''}
          </>
        }
        actions={
          <>
            {canWrite ? <Button onClick={() => setDialog('edit')}>Edit team</Button> : null}
            {auth.can('teams.delete') ? (
              <Button variant="danger" onClick={() => setDialog('delete')}>
                Delete team
              </Button>
            ) : null}
          </>
        }
      />
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      <ErrorBanner error={detail.error} onRetry={detail.reload} />

      <section aria-labelledby="members-heading" className="section">
        <h2 id="members-heading">Members ({members.length})</h2>
        <Table
          caption={`Members of ${team.name}`}
          columns={memberColumns}
          rows={members}
          rowKey={(m) => m.user_id}
          empty="No members yet."
        />
        {canWrite ? (
          <div className="inline-form">
            <h3>Add a member or change a role</h3>
            <ErrorBanner error={people.error} />
            <Form
              label="Add member"
              submitLabel="Save member"
              onSubmit={async (values, form) => {
                const member = await api.post<TeamMember>(`${path}/members`, {
                  user_id: text(values, 'user_id'),
                  role: text(values, 'role'),
                });
                form.reset();
                setStatus(`${member.name} is now ${member.role} of ${team.name}.`);
                detail.reload();
              }}
            >
              <div className="form-row">
                <SelectField
                  label="Person"
                  name="user_id"
                  required
                  defaultValue=""
                  options={[
                    { value: '', label: 'Choose a person' },
                    ...(people.data ?? []).map((p) => ({ value: p.id, label: `${p.name} (${p.email})` })),
                  ]}
                />
                <SelectField
                  label="Team role"
                  name="role"
                  defaultValue="responder"
                  options={TEAM_ROLES.map((r) => ({ value: r, label: r }))}
                />
              </div>
            </Form>
          </div>
        ) : null}
      </section>

      <section aria-labelledby="services-heading" className="section">
        <div className="section-header">
          <h2 id="services-heading">Services ({services.length})</h2>
          <span className="button-row">
            <Link
              className={buttonClass('secondary', true)}
              to={`/services?team=${encodeURIComponent(team.id)}`}
            >
              Manage services
            </Link>
            {auth.can('services.write') ? (
              <Button small variant="primary" onClick={() => setDialog('service')}>
                New service
              </Button>
            ) : null}
          </span>
        </div>
        <Table
          caption={`Services of ${team.name}`}
          columns={serviceColumns}
          rows={services}
          rowKey={(s) => s.id}
          empty="This team owns no services yet."
        />
      </section>

      <OverdueActionItems teamId={team.id} />

      {dialog === 'edit' ? (
        <TeamFormDialog
          team={team}
          onClose={() => setDialog(null)}
          onSaved={(saved) => {
            setStatus(`Team ${saved.name} saved.`);
            setDialog(null);
            detail.reload();
          }}
        />
      ) : null}
      {dialog === 'service' ? (
        <ServiceFormDialog
          teams={[team]}
          defaultTeamId={team.id}
          onClose={() => setDialog(null)}
          onSaved={(service) => {
            setStatus(`Service ${service.name} created.`);
            setDialog(null);
            detail.reload();
          }}
        />
      ) : null}
      {dialog === 'delete' ? (
        <ConfirmDialog
          title="Delete team"
          message={
            <>
              Delete <strong>{team.name}</strong>? A team that still owns services cannot be deleted.
            </>
          }
          confirmLabel="Delete team"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.delete(path);
            navigate('/teams');
          }}
        />
      ) : null}
      {removing ? (
        <ConfirmDialog
          title="Remove member"
          message={
            <>
              Remove <strong>{removing.name}</strong> from {team.name}?
            </>
          }
          confirmLabel="Remove member"
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await api.delete(`${path}/members/${encodeURIComponent(removing.user_id)}`);
            setStatus(`${removing.name} removed from ${team.name}.`);
            setRemoving(null);
            detail.reload();
          }}
        />
      ) : null}
    </>
  );
}
