import type { DeploymentCommits } from '@engops/contracts';
import { api } from '../../app/api-client.ts';
import { formatDateTime } from '../../app/format.ts';
import { useResource } from '../../app/use-resource.ts';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { formatSeconds } from './dora-format.ts';

type Commit = DeploymentCommits['items'][number];

/**
 * The commits one deployment shipped, drilled down from the deployments behind a figure: each
 * with its lead time when this deployment shipped it first, or the deployment that did.
 */
export function DeploymentCommitsPanel({ deploymentId, label }: { deploymentId: string; label: string }) {
  const commits = useResource(`dora-deployment-commits:${deploymentId}`, () =>
    api.get<DeploymentCommits>(`/api/v1/deployments/${encodeURIComponent(deploymentId)}/commits`),
  );
  const columns: Column<Commit>[] = [
    { key: 'sha', header: 'Commit', cell: (c) => <code>{c.sha.slice(0, 10)}</code> },
    { key: 'message', header: 'Message', cell: (c) => c.message ?? '—' },
    { key: 'committed', header: 'Committed', cell: (c) => formatDateTime(c.committed_at) },
    {
      key: 'lead',
      header: 'Lead time',
      kind: 'number',
      cell: (c) =>
        c.lead_seconds !== null
          ? formatSeconds(c.lead_seconds)
          : c.first_deployment_id && c.first_deployment_id !== deploymentId
            ? `shipped first by ${c.first_deployment_id}`
            : c.committed_at === null
              ? 'commit time unknown'
              : 'not counted',
    },
  ];
  return (
    <section className="dora-evidence" aria-label={`Commits shipped by ${label}`}>
      <ErrorBanner error={commits.error} onRetry={commits.reload} />
      {commits.data ? (
        <>
          <Table
            caption={`Commits shipped by ${label}`}
            columns={columns}
            rows={commits.data.items}
            rowKey={(c) => c.sha}
            empty="This deployment names no commits."
          />
          {commits.data.truncated ? (
            <p className="dora-basis">Only the first 1000 commits are shown.</p>
          ) : null}
        </>
      ) : commits.loading ? (
        <p aria-live="polite">Loading commits…</p>
      ) : null}
    </section>
  );
}
