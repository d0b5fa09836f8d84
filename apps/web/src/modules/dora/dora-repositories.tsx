import type { RepositoryMapping } from '@engops/contracts';
import { useState } from 'react';
import { api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime } from '../../app/format.ts';
import type { Service } from '../../app/types.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ConfirmDialog, Dialog } from '../../ui/dialog.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField, TextAreaField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { StatusMessage } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';

/** Workflow names typed one per line or comma-separated; none means "any workflow named deploy". */
export function parseWorkflows(text: string): string[] | undefined {
  const names = text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length ? [...new Set(names)] : undefined;
}

/**
 * The repository -> service mappings in the page's scope (organisation, team or service): which
 * service a GitHub/GitLab repository's webhooks and imports belong to when its URL is not the
 * service's own repository_url (a monorepo, a renamed repository), and which workflows deploy it.
 */
export function DoraRepositories({
  scopeQuery,
  services,
}: {
  scopeQuery: { service_id?: string; team_id?: string };
  services: Service[];
}) {
  const auth = useAuth();
  const canWrite = auth.can('services.write');
  const key = `dora-repositories:${scopeQuery.service_id ?? ''}:${scopeQuery.team_id ?? ''}`;
  const list = useResource(key, () =>
    api.get<{ items: RepositoryMapping[] }>('/api/v1/repositories', scopeQuery),
  );
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<RepositoryMapping | null>(null);
  const [status, setStatus] = useState('');
  const serviceName = new Map(services.map((s) => [s.id, s.name] as const));
  const choices = scopeQuery.team_id
    ? services.filter((s) => s.team_id === scopeQuery.team_id)
    : scopeQuery.service_id
      ? services.filter((s) => s.id === scopeQuery.service_id)
      : services;

  const columns: Column<RepositoryMapping>[] = [
    {
      key: 'repository',
      header: 'Repository',
      cell: (m) => (
        <>
          <span className="mono">{m.repository_key}</span>
          {m.repository_url !== m.repository_key ? (
            <span className="dora-basis"> ({m.repository_url})</span>
          ) : null}
        </>
      ),
    },
    { key: 'service', header: 'Service', cell: (m) => serviceName.get(m.service_id) ?? m.service_id },
    {
      key: 'workflows',
      header: 'Deploy workflows',
      cell: (m) => (m.deploy_workflows?.length ? m.deploy_workflows.join(', ') : 'any named "deploy"'),
    },
    { key: 'created', header: 'Mapped', cell: (m) => formatDateTime(m.created_at) },
  ];
  if (canWrite)
    columns.push({
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      kind: 'actions',
      cell: (m) => (
        <Button
          small
          variant="danger"
          onClick={() => setRemoving(m)}
          aria-label={`Remove mapping of ${m.repository_key}`}
        >
          Remove
        </Button>
      ),
    });

  return (
    <section aria-labelledby="dora-repositories-heading" className="section dora-repositories">
      <div className="section-header">
        <h2 id="dora-repositories-heading">Repositories</h2>
        {canWrite && choices.length ? (
          <Button small variant="primary" onClick={() => setAdding(true)}>
            Map a repository
          </Button>
        ) : null}
      </div>
      <p className="dora-basis">
        Webhooks and git imports from these repositories count for the service named here, before a service's
        own repository URL is matched.
      </p>
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      <ErrorBanner error={list.error} onRetry={list.reload} />
      {list.data ? (
        <Table
          caption="Repository mappings"
          columns={columns}
          rows={list.data.items}
          rowKey={(m) => m.repository_key}
          empty="No repository is mapped explicitly; each service's repository URL is used."
        />
      ) : list.loading ? (
        <p aria-live="polite">Loading repositories…</p>
      ) : null}
      {adding ? (
        <Dialog title="Map a repository" onClose={() => setAdding(false)}>
          <Form
            label="Map a repository"
            submitLabel="Map repository"
            onCancel={() => setAdding(false)}
            onSubmit={async (values) => {
              const workflows = parseWorkflows(String(values.get('deploy_workflows') ?? ''));
              const mapping = await api.post<RepositoryMapping>('/api/v1/repositories', {
                repository_url: String(values.get('repository_url') ?? ''),
                service_id: String(values.get('service_id') ?? ''),
                ...(workflows ? { deploy_workflows: workflows } : {}),
              });
              setAdding(false);
              setStatus(
                `${mapping.repository_key} mapped to ${serviceName.get(mapping.service_id) ?? mapping.service_id}.`,
              );
              list.reload();
            }}
          >
            <Field
              label="Repository URL"
              name="repository_url"
              required
              placeholder="https://github.com/acme/platform"
              hint="The web or clone URL; host/owner/name is what is matched."
            />
            <SelectField
              label="Service"
              name="service_id"
              defaultValue={choices[0]?.id}
              options={choices.map((s) => ({ value: s.id, label: s.name }))}
            />
            <TextAreaField
              label="Deploy workflows"
              name="deploy_workflows"
              optional
              rows={2}
              hint="GitHub workflow names or .github/workflows/ paths whose successful runs are production deployments, one per line. Empty: workflows with “deploy” in their name."
            />
          </Form>
        </Dialog>
      ) : null}
      {removing ? (
        <ConfirmDialog
          title="Remove repository mapping"
          message={
            <>
              Stop mapping <strong>{removing.repository_key}</strong> to{' '}
              {serviceName.get(removing.service_id) ?? removing.service_id}? Recorded deployments and commits
              stay; later deliveries fall back to matching repository URLs.
            </>
          }
          confirmLabel="Remove mapping"
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await api.delete(`/api/v1/repositories/${encodeURIComponent(removing.repository_key)}`);
            setStatus(`${removing.repository_key} is no longer mapped.`);
            setRemoving(null);
            list.reload();
          }}
        />
      ) : null}
    </section>
  );
}
