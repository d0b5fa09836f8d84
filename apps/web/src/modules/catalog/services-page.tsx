import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, fetchAll } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import type { Service, Team } from '../../app/types.ts';
import { usePagedList, useResource } from '../../app/use-resource.ts';
import { Button, buttonClass } from '../../ui/button.tsx';
import { ConfirmDialog } from '../../ui/dialog.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { SelectField } from '../../ui/field.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, LoadMore, Table } from '../../ui/table.tsx';
import { ServiceFormDialog } from './service-form.tsx';

export function ServicesPage() {
  const auth = useAuth();
  const [params, setParams] = useSearchParams();
  const teamFilter = params.get('team') ?? '';
  const services = usePagedList<Service>('/api/v1/services', { team_id: teamFilter || undefined });
  const teams = useResource('teams', () => fetchAll<Team>('/api/v1/teams'));
  const teamById = new Map((teams.data ?? []).map((t) => [t.id, t] as const));
  // Which escalation policy pages for each service (a service without one is flagged).
  const policies = useResource('escalation-policies', () =>
    api
      .get<{ items: Array<{ id: string; name: string; service_ids: string[] }> }>(
        '/api/v1/escalation-policies',
      )
      .then((r) => r.items),
  );
  const policyOf = new Map((policies.data ?? []).flatMap((p) => p.service_ids.map((id) => [id, p] as const)));
  const [editing, setEditing] = useState<Service | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Service | null>(null);
  const [status, setStatus] = useState('');
  const canWrite = auth.can('services.write');
  const canIntegrate = auth.can('incidents.respond');

  const columns: Column<Service>[] = [
    { key: 'name', header: 'Name', cell: (s) => <span className="mono">{s.name}</span> },
    {
      key: 'team',
      header: 'Team',
      cell: (s) => (
        <Link to={`/teams/${encodeURIComponent(s.team_id)}`}>
          {teamById.get(s.team_id)?.name ?? s.team_id}
        </Link>
      ),
    },
    { key: 'tier', header: 'Tier', cell: (s) => s.tier ?? '—' },
    {
      key: 'escalation',
      header: 'Escalation',
      cell: (s) => {
        if (!policies.data) return '—';
        const policy = policyOf.get(s.id);
        return policy ? (
          <Link to="/oncall/policies">{policy.name}</Link>
        ) : (
          <span className="pill pill-expired">No escalation policy</span>
        );
      },
    },
    { key: 'description', header: 'Description', cell: (s) => s.description ?? '' },
    {
      key: 'runbook',
      header: 'Runbook',
      cell: (s) =>
        s.runbook_url ? (
          <a href={s.runbook_url} target="_blank" rel="noreferrer noopener">
            Runbook<span className="visually-hidden"> for {s.name} (opens in a new tab)</span>
          </a>
        ) : (
          '—'
        ),
    },
  ];
  if (canWrite || canIntegrate) {
    columns.push({
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      kind: 'actions',
      cell: (s) => (
        <span className="button-row">
          {canIntegrate ? (
            <Link
              className={buttonClass('secondary', true)}
              to={`/services/${encodeURIComponent(s.id)}/integrations`}
              aria-label={`Integrations of ${s.name}`}
            >
              Integrations
            </Link>
          ) : null}
          {canWrite ? (
            <>
              <Button small onClick={() => setEditing(s)} aria-label={`Edit ${s.name}`}>
                Edit
              </Button>
              <Button small variant="danger" onClick={() => setDeleting(s)} aria-label={`Delete ${s.name}`}>
                Delete
              </Button>
            </>
          ) : null}
        </span>
      ),
    });
  }

  return (
    <>
      <PageHeader
        title="Services"
        description="Every service has one owning team: alerts, incidents and deployments are attributed through it."
        actions={
          canWrite ? (
            <Button variant="primary" onClick={() => setEditing('new')}>
              New service
            </Button>
          ) : null
        }
      />
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      <div className="toolbar">
        <SelectField
          label="Team"
          name="team_filter"
          value={teamFilter}
          onChange={(e) => {
            const value = e.currentTarget.value;
            setParams(value ? { team: value } : {}, { replace: true });
          }}
          options={[
            { value: '', label: 'All teams' },
            ...(teams.data ?? []).map((t) => ({ value: t.id, label: t.name })),
          ]}
        />
      </div>
      <ErrorBanner error={services.error ?? teams.error} onRetry={services.reload} />
      <Table
        caption="Services"
        columns={columns}
        rows={services.items}
        rowKey={(s) => s.id}
        loading={services.loading}
        empty={teamFilter ? 'This team owns no services.' : 'No services yet.'}
      />
      <LoadMore hasMore={services.hasMore} loading={services.loadingMore} onLoadMore={services.loadMore} />

      {editing ? (
        <ServiceFormDialog
          {...(editing === 'new' ? {} : { service: editing })}
          teams={teams.data ?? []}
          {...(teamFilter ? { defaultTeamId: teamFilter } : {})}
          onClose={() => setEditing(null)}
          onSaved={(service) => {
            setStatus(
              editing === 'new' ? `Service ${service.name} created.` : `Service ${service.name} saved.`,
            );
            setEditing(null);
            services.reload();
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete service"
          message={
            <>
              Delete <strong>{deleting.name}</strong>? This cannot be undone.
            </>
          }
          confirmLabel="Delete service"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.delete(`/api/v1/services/${encodeURIComponent(deleting.id)}`);
            setStatus(`Service ${deleting.name} deleted.`);
            setDeleting(null);
            services.reload();
          }}
        />
      ) : null}
    </>
  );
}
