import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime } from '../../app/format.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { Table } from '../../ui/table.tsx';
import { FlagsStyles } from './flags-styles.tsx';
import { ChangeRequestsSection } from './release-panels.tsx';

interface StaleFlag {
  key: string;
  owner_team_id: string | null;
  reasons: Array<{ kind: 'fully_on' | 'fully_off' | 'unused'; since: string; days: number }>;
}

const REASON: Record<StaleFlag['reasons'][number]['kind'], string> = {
  fully_on: 'On for everyone',
  fully_off: 'Off',
  unused: 'Not evaluated',
};

/** Change requests waiting for approval, flags ready for cleanup, and archived flags. */
export function FlagReviewsPage() {
  const auth = useAuth();
  const [status, setStatus] = useState('');
  const [version, setVersion] = useState(0);
  const stale = useResource(`stale-flags:${version}`, () =>
    api
      .get<{ items: StaleFlag[] }>('/api/v1/stale-flags', { environment: 'production' })
      .then((r) => r.items),
  );
  const archived = useResource(`archived-flags:${version}`, () =>
    api
      .get<{ items: Array<{ key: string; description: string | null; archived_at: string }> }>(
        '/api/v1/archived-flags',
      )
      .then((r) => r.items),
  );
  const [error, setError] = useState<unknown>(null);
  const canWrite = auth.can('flags.write');
  const changed = (message: string) => {
    setStatus(message);
    setVersion((v) => v + 1);
  };

  return (
    <>
      <FlagsStyles />
      <p className="breadcrumb">
        <Link to="/flags">Feature flags</Link>
      </p>
      <PageHeader
        title="Flag reviews"
        description="Approve changes to protected environments, and clean up flags that have done their job."
      />
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      <ErrorBanner error={error} />
      <ChangeRequestsSection canWrite={canWrite} onChanged={changed} />
      <section className="section" aria-labelledby="stale-heading">
        <h2 id="stale-heading">Stale flags in production</h2>
        <p className="muted">
          Fully on or off for 30 days, or not evaluated by any SDK for 30 days: remove them from the code,
          then archive them.
        </p>
        <ErrorBanner error={stale.error} onRetry={stale.reload} />
        <Table
          caption="Stale flags"
          rows={stale.data ?? []}
          rowKey={(f) => f.key}
          loading={stale.loading}
          empty="No stale flags."
          columns={[
            {
              key: 'key',
              header: 'Flag',
              cell: (f) => (
                <Link to={`/flags/${encodeURIComponent(f.key)}`} className="mono">
                  {f.key}
                </Link>
              ),
            },
            {
              key: 'why',
              header: 'Why',
              cell: (f) => f.reasons.map((r) => `${REASON[r.kind]} for ${r.days} days`).join('; '),
            },
            {
              key: 'actions',
              header: 'Action',
              kind: 'actions',
              cell: (f) =>
                canWrite ? (
                  <Button
                    small
                    variant="quiet"
                    aria-label={`Archive ${f.key}`}
                    onClick={async () => {
                      setError(null);
                      try {
                        await api.delete(`/api/v1/flags/${encodeURIComponent(f.key)}`);
                        changed(`${f.key} archived.`);
                      } catch (failure) {
                        setError(failure);
                      }
                    }}
                  >
                    Archive
                  </Button>
                ) : null,
            },
          ]}
        />
      </section>
      <section className="section" aria-labelledby="archived-heading">
        <h2 id="archived-heading">Archived flags</h2>
        <ErrorBanner error={archived.error} onRetry={archived.reload} />
        <Table
          caption="Archived flags"
          rows={archived.data ?? []}
          rowKey={(f) => f.key}
          loading={archived.loading}
          empty="No archived flags."
          columns={[
            { key: 'key', header: 'Flag', cell: (f) => <span className="mono">{f.key}</span> },
            { key: 'description', header: 'Description', cell: (f) => f.description ?? '—' },
            { key: 'at', header: 'Archived', cell: (f) => formatDateTime(f.archived_at) },
            {
              key: 'actions',
              header: 'Action',
              kind: 'actions',
              cell: (f) =>
                auth.can('flags.manage') ? (
                  <Button
                    small
                    aria-label={`Revive ${f.key}`}
                    onClick={async () => {
                      setError(null);
                      try {
                        await api.post(`/api/v1/archived-flags/${encodeURIComponent(f.key)}/revive`);
                        changed(`${f.key} revived (off everywhere).`);
                      } catch (failure) {
                        setError(failure);
                      }
                    }}
                  >
                    Revive
                  </Button>
                ) : null,
            },
          ]}
        />
      </section>
    </>
  );
}
