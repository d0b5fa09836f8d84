import { useState } from 'react';
import { Link } from 'react-router';
import { useAuth } from '../../app/auth-context.tsx';
import type { Team } from '../../app/types.ts';
import { usePagedList } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, LoadMore, Table } from '../../ui/table.tsx';
import { TeamFormDialog } from './team-form.tsx';

export function TeamsPage() {
  const auth = useAuth();
  const teams = usePagedList<Team>('/api/v1/teams');
  const [editing, setEditing] = useState<Team | 'new' | null>(null);
  const [status, setStatus] = useState('');

  const columns: Column<Team>[] = [
    {
      key: 'name',
      header: 'Name',
      cell: (t) => <Link to={`/teams/${encodeURIComponent(t.id)}`}>{t.name}</Link>,
    },
    { key: 'tz', header: 'Time zone', cell: (t) => t.time_zone },
    { key: 'members', header: 'Members', kind: 'number', cell: (t) => t.member_count },
    { key: 'services', header: 'Services', kind: 'number', cell: (t) => t.service_count },
  ];
  if (auth.can('teams.write')) {
    columns.push({
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      kind: 'actions',
      cell: (t) => (
        <Button small onClick={() => setEditing(t)} aria-label={`Edit ${t.name}`}>
          Edit
        </Button>
      ),
    });
  }

  return (
    <>
      <PageHeader
        title="Teams"
        description="Teams own services and are the unit of on-call, ownership and reporting."
        actions={
          auth.can('teams.create') ? (
            <Button variant="primary" onClick={() => setEditing('new')}>
              New team
            </Button>
          ) : null
        }
      />
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      <ErrorBanner error={teams.error} onRetry={teams.reload} />
      <Table
        caption="Teams"
        columns={columns}
        rows={teams.items}
        rowKey={(t) => t.id}
        loading={teams.loading}
        empty="No teams yet."
      />
      <LoadMore hasMore={teams.hasMore} loading={teams.loadingMore} onLoadMore={teams.loadMore} />
      {editing ? (
        <TeamFormDialog
          {...(editing === 'new' ? {} : { team: editing })}
          onClose={() => setEditing(null)}
          onSaved={(team) => {
            setStatus(editing === 'new' ? `Team ${team.name} created.` : `Team ${team.name} saved.`);
            setEditing(null);
            teams.reload();
          }}
        />
      ) : null}
    </>
  );
}
