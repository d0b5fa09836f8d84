import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime, optional, text } from '../../app/format.ts';
import { usePagedList } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { SelectField, TextAreaField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, LoadMore, Table } from '../../ui/table.tsx';
import { SecurityNav, SeverityPill } from './security-nav.tsx';
import { FINDING_STATUS_LABEL, SEVERITIES, type SecurityFinding } from './security-types.ts';

const STATUS_OPTIONS = [
  { value: 'open', label: 'Open' },
  { value: 'acknowledged', label: 'Acknowledged' },
  { value: 'false_positive', label: 'False positive' },
  { value: 'fixed', label: 'Fixed' },
];

/** Secret and dependency findings per service, with their SLA, and triage for managers. */
export function FindingsPage() {
  const auth = useAuth();
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? 'unresolved';
  const kind = params.get('kind') ?? '';
  const severity = params.get('severity') ?? '';
  const serviceId = params.get('service_id') ?? '';
  const list = usePagedList<SecurityFinding>('/api/v1/security/findings', {
    status: status === 'all' ? undefined : status,
    kind: kind || undefined,
    severity: severity || undefined,
    service_id: serviceId || undefined,
  });
  const [triage, setTriage] = useState<SecurityFinding | null>(null);
  const [message, setMessage] = useState('');

  function setFilter(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }

  const columns: Column<SecurityFinding>[] = [
    {
      key: 'what',
      header: 'Finding',
      cell: (f) => (
        <>
          <Link to={`/security/findings/${f.id}`}>
            <strong>{f.kind === 'dependency' ? `${f.package}@${f.version}` : f.rule}</strong>
          </Link>{' '}
          <span className="muted">{f.rule !== f.title ? f.title : ''}</span>
          <div className="muted mono">
            {f.file}
            {f.line ? `:${f.line}` : ''}
            {f.dependency_path.length > 1 ? ` — ${f.dependency_path.join(' > ')}` : ''}
          </div>
        </>
      ),
    },
    { key: 'service', header: 'Service', cell: (f) => f.service_name },
    { key: 'severity', header: 'Severity', cell: (f) => <SeverityPill severity={f.severity} /> },
    {
      key: 'fix',
      header: 'Fix',
      cell: (f) =>
        f.kind === 'secret'
          ? 'Revoke and rotate'
          : f.fixed_version
            ? `Upgrade to ${f.fixed_version}`
            : 'No fix yet',
    },
    {
      key: 'status',
      header: 'Status',
      cell: (f) => (
        <>
          <span>{FINDING_STATUS_LABEL[f.status]}</span>
          {f.status_reason ? <div className="muted">{f.status_reason}</div> : null}
        </>
      ),
    },
    {
      key: 'due',
      header: 'Fix by',
      cell: (f) =>
        f.due_at && (f.status === 'open' || f.status === 'acknowledged') ? (
          <span className={f.overdue ? 'pill pill-expired' : undefined}>
            {formatDateTime(f.due_at)}
            {f.overdue ? ' (overdue)' : ''}
          </span>
        ) : (
          '—'
        ),
    },
    {
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      kind: 'actions',
      cell: (f) =>
        auth.can('security.triage') ? (
          <Button small onClick={() => setTriage(f)}>
            Triage
            <span className="visually-hidden">
              {' '}
              {f.kind === 'dependency' ? `${f.package}@${f.version}` : f.rule}
            </span>
          </Button>
        ) : null,
    },
  ];

  return (
    <>
      <PageHeader
        title="Security findings"
        description="Fix each by the date its severity's SLA sets (see the policy)."
      />
      <SecurityNav />
      <fieldset className="toolbar security-filters">
        <legend className="visually-hidden">Filter findings</legend>
        <SelectField
          label="Status"
          name="status"
          value={status}
          onChange={(e) => setFilter('status', e.target.value)}
          options={[
            { value: 'unresolved', label: 'Open or acknowledged' },
            ...STATUS_OPTIONS,
            { value: 'all', label: 'All' },
          ]}
        />
        <SelectField
          label="Kind"
          name="kind"
          value={kind}
          onChange={(e) => setFilter('kind', e.target.value)}
          options={[
            { value: '', label: 'All' },
            { value: 'dependency', label: 'Dependencies' },
            { value: 'secret', label: 'Secrets' },
          ]}
        />
        <SelectField
          label="Severity"
          name="severity"
          value={severity}
          onChange={(e) => setFilter('severity', e.target.value)}
          options={[{ value: '', label: 'All' }, ...SEVERITIES.map((s) => ({ value: s, label: s }))]}
        />
      </fieldset>
      <StatusMessage>{message}</StatusMessage>
      <ErrorBanner error={list.error} onRetry={list.reload} />
      <Table
        caption="Security findings"
        columns={columns}
        rows={list.items}
        rowKey={(f) => f.id}
        loading={list.loading}
        empty="No findings match. Upload scans with engops scan deps --upload or engops scan secrets --upload."
      />
      <LoadMore hasMore={list.hasMore} loading={list.loadingMore} onLoadMore={list.loadMore} />
      {triage && (
        <Dialog
          title={`Triage ${triage.kind === 'dependency' ? `${triage.package}@${triage.version}` : triage.rule}`}
          onClose={() => setTriage(null)}
        >
          <Form
            label="Triage finding"
            submitLabel="Save"
            onCancel={() => setTriage(null)}
            onSubmit={async (values) => {
              const next = text(values, 'status');
              const reason = optional(values, 'reason');
              await api.post(`/api/v1/security/findings/${triage.id}/status`, {
                status: next,
                ...(reason ? { reason } : {}),
              });
              setMessage(
                `Marked ${triage.rule} as ${FINDING_STATUS_LABEL[next as SecurityFinding['status']].toLowerCase()}.`,
              );
              setTriage(null);
              list.reload();
            }}
          >
            <SelectField
              label="New status"
              name="status"
              defaultValue={triage.status}
              options={STATUS_OPTIONS}
            />
            <TextAreaField
              label="Reason"
              name="reason"
              optional
              hint="Required for acknowledged and false positive: it stays in the audit log."
              rows={3}
            />
          </Form>
        </Dialog>
      )}
    </>
  );
}
