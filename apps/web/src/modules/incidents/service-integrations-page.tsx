import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime, text } from '../../app/format.ts';
import { INTEGRATION_KINDS, type Integration, type IntegrationKind, type Service } from '../../app/types.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ConfirmDialog } from '../../ui/dialog.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { CopyButton } from './incident-bits.tsx';
import { KIND_INFO, maskSecret, snippetsFor } from './integration-snippets.ts';
import { MaintenanceWindows } from './maintenance-windows.tsx';

/** One integration's setup: the snippets for its kind, each with a copy button. */
function Snippets({
  integration,
  serviceName,
  revealed,
}: {
  integration: Integration;
  serviceName: string;
  revealed: boolean;
}) {
  return (
    <div className="snippets">
      {snippetsFor(integration, serviceName).map((snippet) => (
        <figure key={snippet.id} className="snippet">
          <figcaption className="snippet-header">
            <span>{snippet.title}</span>
            <CopyButton value={snippet.code} label={`Copy ${snippet.title} for ${integration.name}`} />
          </figcaption>
          <pre className="code-block" data-language={snippet.language}>
            <code>{revealed ? snippet.code : maskSecret(snippet.code, integration.key)}</code>
          </pre>
          {snippet.note ? <p className="field-hint">{snippet.note}</p> : null}
        </figure>
      ))}
    </div>
  );
}

export function ServiceIntegrationsPage() {
  const { id = '' } = useParams();
  const auth = useAuth();
  const path = `/api/v1/services/${encodeURIComponent(id)}`;
  const service = useResource<Service>(`service:${id}`, () => api.get<Service>(path));
  const integrations = useResource(`integrations:${id}`, async () => {
    const page = await api.get<{ items: Integration[] }>(`${path}/integrations`);
    return page.items;
  });
  const [revealed, setRevealed] = useState<ReadonlySet<string>>(new Set());
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const [deleting, setDeleting] = useState<Integration | null>(null);
  const [kind, setKind] = useState<IntegrationKind>('events-v2');
  const [status, setStatus] = useState('');
  const canManage = auth.can('integrations.manage');

  const toggle = (set: ReadonlySet<string>, key: string, on: boolean) => {
    const next = new Set(set);
    if (on) next.add(key);
    else next.delete(key);
    return next;
  };

  if (!service.data) {
    return service.error ? (
      <>
        <PageHeader title="Integrations" />
        <ErrorBanner error={service.error} onRetry={service.reload} />
        <p>
          <Link to="/services">Back to services</Link>
        </p>
      </>
    ) : (
      <p role="status">Loading service…</p>
    );
  }
  const svc = service.data;
  const rows = integrations.data ?? [];

  const columns: Column<Integration>[] = [
    { key: 'name', header: 'Name', cell: (i) => i.name },
    {
      key: 'kind',
      header: 'Kind',
      cell: (i) => (
        <span title={KIND_INFO[i.kind].description}>
          {KIND_INFO[i.kind].label}
          {i.heartbeat ? (
            <span className={`pill heartbeat-${i.heartbeat.state}`}>
              {i.heartbeat.state}
              {i.heartbeat.last_at ? `, last ${formatDateTime(i.heartbeat.last_at)}` : ''}
            </span>
          ) : null}
        </span>
      ),
    },
    {
      key: 'url',
      header: 'URL',
      cell: (i) => (
        <span className="secret-cell">
          <code className="integration-url">{revealed.has(i.id) ? i.url : maskSecret(i.url, i.key)}</code>
          <CopyButton value={i.url} label={`Copy URL of ${i.name}`} />
        </span>
      ),
    },
    {
      key: 'key',
      header: 'Key',
      cell: (i) => (
        <span className="secret-cell">
          <code className="integration-key">{revealed.has(i.id) ? i.key : maskSecret(i.key, i.key)}</code>
          <Button
            small
            variant="quiet"
            aria-pressed={revealed.has(i.id)}
            aria-label={`${revealed.has(i.id) ? 'Hide' : 'Show'} key of ${i.name}`}
            onClick={() => setRevealed((s) => toggle(s, i.id, !s.has(i.id)))}
          >
            {revealed.has(i.id) ? 'Hide' : 'Show'}
          </Button>
          <CopyButton value={i.key} label={`Copy key of ${i.name}`} />
        </span>
      ),
    },
    {
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      kind: 'actions',
      cell: (i) => (
        <span className="button-row">
          <Button
            small
            aria-expanded={open.has(i.id)}
            aria-label={`${open.has(i.id) ? 'Hide' : 'Show'} setup of ${i.name}`}
            onClick={() => setOpen((s) => toggle(s, i.id, !s.has(i.id)))}
          >
            Setup
          </Button>
          {canManage ? (
            <Button small variant="danger" onClick={() => setDeleting(i)} aria-label={`Delete ${i.name}`}>
              Delete
            </Button>
          ) : null}
        </span>
      ),
    },
  ];

  return (
    <>
      <p className="breadcrumb">
        <Link to="/services">Services</Link> <span aria-hidden="true">/</span>{' '}
        <Link to={`/services?team=${encodeURIComponent(svc.team_id)}`} className="mono">
          {svc.name}
        </Link>{' '}
        <span aria-hidden="true">/</span>
      </p>
      <PageHeader
        title={`Integrations of ${svc.name}`}
        description="Point the monitoring you already run at engops: each integration has a URL and a secret key. Alerts become incidents of this service."
        actions={
          <Link className="button button-secondary" to={`/incidents?service=${encodeURIComponent(svc.id)}`}>
            Incidents of {svc.name}
          </Link>
        }
      />
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      <ErrorBanner error={integrations.error} onRetry={integrations.reload} />
      <Table
        caption={`Integrations of ${svc.name}`}
        columns={columns}
        rows={rows}
        rowKey={(i) => i.id}
        loading={integrations.loading && rows.length === 0}
        empty="No integrations yet: create one below to receive alerts."
        detail={(i) =>
          open.has(i.id) ? (
            <Snippets integration={i} serviceName={svc.name} revealed={revealed.has(i.id)} />
          ) : null
        }
      />

      {canManage ? (
        <div className="inline-form">
          <h2>New integration</h2>
          <Form
            label="New integration"
            submitLabel="Create integration"
            pendingLabel="Creating…"
            onSubmit={async (values, form) => {
              const heartbeat = kind === 'heartbeat';
              const created = await api.post<Integration>(`${path}/integrations`, {
                kind,
                name: text(values, 'name'),
                ...(heartbeat
                  ? {
                      heartbeat_interval_seconds: Number(text(values, 'interval')),
                      heartbeat_grace_seconds: Number(text(values, 'grace')),
                    }
                  : {}),
              });
              form.reset();
              setKind('events-v2');
              setOpen((s) => toggle(s, created.id, true));
              setStatus(`Integration ${created.name} created. Its setup is shown below it.`);
              integrations.reload();
            }}
          >
            <div className="form-row">
              <SelectField
                label="Kind"
                name="kind"
                value={kind}
                onChange={(e) => setKind(e.currentTarget.value as IntegrationKind)}
                options={INTEGRATION_KINDS.map((k) => ({ value: k, label: KIND_INFO[k].label }))}
                hint={KIND_INFO[kind].description}
              />
              <Field
                label="Name"
                name="name"
                required
                maxLength={200}
                autoComplete="off"
                placeholder={kind === 'heartbeat' ? 'nightly-backup' : 'Production Prometheus'}
              />
            </div>
            {kind === 'heartbeat' ? (
              <div className="form-row">
                <Field
                  label="Interval (seconds)"
                  name="interval"
                  type="number"
                  min={10}
                  max={7 * 24 * 3600}
                  defaultValue={300}
                  required
                  hint="How often the job sends a heartbeat."
                />
                <Field
                  label="Grace (seconds)"
                  name="grace"
                  type="number"
                  min={0}
                  max={24 * 3600}
                  defaultValue={60}
                  required
                  hint="How late a heartbeat may be before an incident opens."
                />
              </div>
            ) : null}
          </Form>
        </div>
      ) : null}

      <MaintenanceWindows serviceId={svc.id} serviceName={svc.name} canManage={canManage} />

      {deleting ? (
        <ConfirmDialog
          title="Delete integration"
          message={
            <>
              Delete <strong>{deleting.name}</strong>? Its key stops working at once: alerts sent with it are
              refused. The alerts and incidents it already created are kept, with their history; the
              integration is disabled and leaves this list.
            </>
          }
          confirmLabel="Delete integration"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.delete(`${path}/integrations/${encodeURIComponent(deleting.id)}`);
            setStatus(`Integration ${deleting.name} deleted.`);
            setDeleting(null);
            integrations.reload();
          }}
        />
      ) : null}
    </>
  );
}
