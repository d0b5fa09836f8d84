import { Link, useParams } from 'react-router';
import { api } from '../../app/api-client.ts';
import { formatDateTime } from '../../app/format.ts';
import { useResource } from '../../app/use-resource.ts';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { PageHeader } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { SecurityNav, SeverityPill } from './security-nav.tsx';
import { FINDING_STATUS_LABEL, type FindingDetail } from './security-types.ts';

type HistoryRow = FindingDetail['history'][number];

const ACTION_LABEL: Record<string, string> = {
  'security.finding.create': 'Found',
  'security.finding.status': 'Status changed',
};

/** One finding: where it is, what fixes it, and its history (who changed its status, and why). */
export function FindingPage() {
  const { id = '' } = useParams();
  const finding = useResource(`security-finding:${id}`, () =>
    api.get<FindingDetail>(`/api/v1/security/findings/${id}`),
  );
  const f = finding.data;
  const name = f ? (f.kind === 'dependency' ? `${f.package}@${f.version}` : f.rule) : 'Finding';
  const history: Column<HistoryRow>[] = [
    { key: 'at', header: 'When', cell: (h) => formatDateTime(h.at) },
    { key: 'who', header: 'By', cell: (h) => h.actor },
    { key: 'what', header: 'What', cell: (h) => ACTION_LABEL[h.action] ?? h.action },
    {
      key: 'status',
      header: 'Status',
      cell: (h) =>
        h.to
          ? `${h.from ? `${FINDING_STATUS_LABEL[h.from as keyof typeof FINDING_STATUS_LABEL] ?? h.from} → ` : ''}${FINDING_STATUS_LABEL[h.to as keyof typeof FINDING_STATUS_LABEL] ?? h.to}`
          : '—',
    },
    { key: 'reason', header: 'Note', cell: (h) => h.reason ?? '—' },
  ];
  return (
    <>
      <PageHeader title={name} description={f?.title} documentTitle={`${name} · Security`} />
      <SecurityNav />
      <ErrorBanner error={finding.error} onRetry={finding.reload} />
      {f ? (
        <>
          <dl className="facts">
            <dt>Service</dt>
            <dd>
              <Link to={`/security/findings?service_id=${f.service_id}`}>{f.service_name}</Link>
            </dd>
            <dt>Kind</dt>
            <dd>{f.kind === 'dependency' ? 'Vulnerable dependency' : 'Secret in code'}</dd>
            <dt>Severity</dt>
            <dd>
              <SeverityPill severity={f.severity} />
            </dd>
            <dt>Status</dt>
            <dd>
              {FINDING_STATUS_LABEL[f.status]}
              {f.status_reason ? ` — ${f.status_reason}` : ''}
            </dd>
            <dt>Where</dt>
            <dd className="mono">
              {f.file}
              {f.line ? `:${f.line}` : ''}
              {f.commit ? ` @ ${f.commit.slice(0, 12)}` : ''}
            </dd>
            {f.dependency_path.length > 0 ? (
              <>
                <dt>Dependency path</dt>
                <dd className="mono">{f.dependency_path.join(' > ')}</dd>
              </>
            ) : null}
            {f.author ? (
              <>
                <dt>Author</dt>
                <dd>{f.author}</dd>
              </>
            ) : null}
            <dt>Fix</dt>
            <dd>
              {f.kind === 'secret'
                ? 'Revoke and rotate the secret: removing the line leaves it in the history.'
                : f.fixed_version
                  ? `Upgrade to ${f.fixed_version}`
                  : 'No fix published yet'}
            </dd>
            <dt>Fix by</dt>
            <dd>{f.due_at ? `${formatDateTime(f.due_at)}${f.overdue ? ' (overdue)' : ''}` : '—'}</dd>
            <dt>First seen</dt>
            <dd>{formatDateTime(f.first_seen_at)}</dd>
            <dt>Last seen</dt>
            <dd>{formatDateTime(f.last_seen_at)}</dd>
            {f.url ? (
              <>
                <dt>Advisory</dt>
                <dd>
                  <a href={f.url} rel="noreferrer">
                    {f.rule}
                  </a>
                </dd>
              </>
            ) : null}
          </dl>
          <h2>History</h2>
        </>
      ) : null}
      <Table
        caption="Finding history"
        columns={history}
        rows={f?.history ?? []}
        rowKey={(h) => `${h.at}:${h.action}:${h.from ?? ''}:${h.to ?? ''}:${h.reason ?? ''}`}
        loading={finding.loading}
        empty="No history."
      />
    </>
  );
}
