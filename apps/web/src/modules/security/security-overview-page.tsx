import { useState } from 'react';
import { Link } from 'react-router';
import { ApiError, api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime } from '../../app/format.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { SecurityNav } from './security-nav.tsx';
import { KIND_LABEL, percent, type SecurityOverview } from './security-types.ts';

type TeamRow = SecurityOverview['teams'][number];
type ServiceRow = SecurityOverview['services'][number];
type StaleRow = SecurityOverview['stale_access'][number];

/** Where each team and service stands on the handbook's security basics. */
export function SecurityOverviewPage() {
  const overview = useResource('security-overview', () =>
    api.get<SecurityOverview>('/api/v1/security/overview'),
  );
  const auth = useAuth();
  const [scanMessage, setScanMessage] = useState('');
  /** Queues a scan of the service's repository (lockfiles of the default branch) now. */
  async function scanNow(row: ServiceRow) {
    try {
      await api.post(`/api/v1/security/services/${row.service_id}/repository-scan`);
      setScanMessage(
        `A scan of ${row.service_name}'s repository is queued; its results appear here when it finishes.`,
      );
    } catch (error) {
      setScanMessage(error instanceof ApiError ? error.message : String(error));
    }
  }
  const teams: Column<TeamRow>[] = [
    { key: 'team', header: 'Team', cell: (t) => t.team_name },
    { key: 'open', header: 'Open findings', kind: 'number', cell: (t) => t.open_findings },
    { key: 'overdue', header: 'Past SLA', kind: 'number', cell: (t) => t.overdue_findings },
    {
      key: 'training',
      header: 'Training compliance',
      kind: 'number',
      cell: (t) => percent(t.training_compliance),
    },
    {
      key: 'review',
      header: 'Access review',
      cell: (t) =>
        t.review_total === 0 ? '—' : `${t.review_total - t.review_pending}/${t.review_total} reviewed`,
    },
    { key: 'plans', header: 'Response plans complete', cell: (t) => `${t.plans_complete}/${t.services}` },
    { key: 'stale', header: 'Stale grants', kind: 'number', cell: (t) => t.stale_grants },
  ];
  const stale: Column<StaleRow>[] = [
    { key: 'kind', header: 'Grant', cell: (g) => KIND_LABEL[g.kind] },
    { key: 'subject', header: 'Who or what', cell: (g) => g.subject_name },
    { key: 'team', header: 'Team', cell: (g) => g.team_name ?? <span className="muted">org-wide</span> },
    { key: 'role', header: 'Role or access', cell: (g) => g.role },
    {
      key: 'last',
      header: 'Last used',
      cell: (g) => (g.last_used_at ? formatDateTime(g.last_used_at) : <span className="muted">never</span>),
    },
    { key: 'reason', header: 'Why stale', cell: (g) => g.stale_reason },
  ];
  const services: Column<ServiceRow>[] = [
    {
      key: 'service',
      header: 'Service',
      cell: (s) => <Link to={`/security/findings?service_id=${s.service_id}`}>{s.service_name}</Link>,
    },
    { key: 'critical', header: 'Critical', kind: 'number', cell: (s) => s.open.critical },
    { key: 'high', header: 'High', kind: 'number', cell: (s) => s.open.high },
    { key: 'medium', header: 'Medium', kind: 'number', cell: (s) => s.open.medium },
    { key: 'low', header: 'Low', kind: 'number', cell: (s) => s.open.low + s.open.unknown },
    { key: 'overdue', header: 'Past SLA', kind: 'number', cell: (s) => s.overdue },
    {
      key: 'deps',
      header: 'Dependency scan',
      cell: (s) =>
        s.last_scan.dependency ? (
          formatDateTime(s.last_scan.dependency)
        ) : (
          <span className="muted">never</span>
        ),
    },
    {
      key: 'secrets',
      header: 'Secret scan',
      cell: (s) =>
        s.last_scan.secret ? formatDateTime(s.last_scan.secret) : <span className="muted">never</span>,
    },
    {
      key: 'plan',
      header: 'Response plan',
      cell: (s) => (
        <Link to="/security/response-plans">
          {s.response_plan.done}/{s.response_plan.total}
          {s.response_plan.complete ? ' complete' : ' items'}
        </Link>
      ),
    },
    ...(auth.can('security.write')
      ? [
          {
            key: 'scan',
            header: 'Repository',
            cell: (s: ServiceRow) => (
              <Button small aria-label={`Scan ${s.service_name} now`} onClick={() => void scanNow(s)}>
                Scan now
              </Button>
            ),
          },
        ]
      : []),
  ];
  return (
    <>
      <PageHeader
        title="Security"
        description="Dependencies scanned, secrets kept out of code, least privilege reviewed, training current, a response plan per service."
      />
      <SecurityNav />
      <ErrorBanner error={overview.error} onRetry={overview.reload} />
      <h2>Teams</h2>
      <Table
        caption="Security by team"
        columns={teams}
        rows={overview.data?.teams ?? []}
        rowKey={(t) => t.team_id}
        loading={overview.loading}
        empty="No teams yet."
      />
      <h2>Services</h2>
      {scanMessage ? <StatusMessage>{scanMessage}</StatusMessage> : null}
      <Table
        caption="Security by service"
        columns={services}
        rows={overview.data?.services ?? []}
        rowKey={(s) => s.service_id}
        loading={overview.loading}
        empty="No services yet."
      />
      <h2>Stale access</h2>
      <p className="muted">
        Grants unused for the policy's stale period: people who have not signed in or used a token they
        created, tokens never or long unused, and other systems' grants. Revoke them in an{' '}
        <Link to="/security/access-reviews">access review</Link>.
      </p>
      <Table
        caption="Stale access"
        columns={stale}
        rows={overview.data?.stale_access ?? []}
        rowKey={(g) => `${g.kind}:${g.subject_id}:${g.team_id ?? ''}`}
        loading={overview.loading}
        empty="No stale grants you review."
      />
    </>
  );
}
