import { useId, useRef, useState } from 'react';
import { api, fetchAll } from '../../app/api-client.ts';
import { formatDateTime, optional, text } from '../../app/format.ts';
import { type CreatedToken, ROLES, type Role, type Team, type Token } from '../../app/types.ts';
import { usePagedList, useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ConfirmDialog, Dialog } from '../../ui/dialog.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { CheckboxField, Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, LoadMore, Table } from '../../ui/table.tsx';

function tokenStatus(token: Token): string {
  if (token.revoked_at) return 'Revoked';
  if (token.expires_at && new Date(token.expires_at).getTime() <= Date.now()) return 'Expired';
  return 'Active';
}

export function TokensPage() {
  const [includeRevoked, setIncludeRevoked] = useState(false);
  const tokens = usePagedList<Token>('/api/v1/tokens', {
    include_revoked: includeRevoked ? 'true' : undefined,
  });
  const teams = useResource('teams', () => fetchAll<Team>('/api/v1/teams'));
  const teamName = (id: string | null) =>
    id ? (teams.data?.find((t) => t.id === id)?.name ?? id) : 'All teams';
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const [status, setStatus] = useState('');

  const columns: Column<Token>[] = [
    { key: 'name', header: 'Name', cell: (t) => t.name },
    { key: 'prefix', header: 'Prefix', cell: (t) => <code>{t.prefix}…</code> },
    { key: 'role', header: 'Role', cell: (t) => t.role },
    { key: 'team', header: 'Scope', cell: (t) => teamName(t.team_id) },
    {
      key: 'expires',
      header: 'Expires',
      cell: (t) => (t.expires_at ? formatDateTime(t.expires_at) : 'Never'),
    },
    {
      key: 'used',
      header: 'Last used',
      cell: (t) => (t.last_used_at ? formatDateTime(t.last_used_at) : 'Never'),
    },
    { key: 'created', header: 'Created', cell: (t) => formatDateTime(t.created_at) },
    {
      key: 'status',
      header: 'Status',
      cell: (t) => <span className={`pill pill-${tokenStatus(t).toLowerCase()}`}>{tokenStatus(t)}</span>,
    },
    {
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      kind: 'actions',
      cell: (t) =>
        t.revoked_at ? null : (
          <Button small variant="danger" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.name}`}>
            Revoke
          </Button>
        ),
    },
  ];

  return (
    <>
      <PageHeader
        title="API tokens"
        description="Tokens let scripts, CI pipelines and the CLI call the API. Each has a role, org-wide or on one team."
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            New token
          </Button>
        }
      />
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      <div className="toolbar">
        <CheckboxField
          label="Show revoked tokens"
          name="include_revoked"
          checked={includeRevoked}
          onChange={(e) => setIncludeRevoked(e.currentTarget.checked)}
        />
      </div>
      <ErrorBanner error={tokens.error} onRetry={tokens.reload} />
      <Table
        caption="API tokens"
        columns={columns}
        rows={tokens.items}
        rowKey={(t) => t.id}
        loading={tokens.loading}
        empty="No tokens yet."
      />
      <LoadMore hasMore={tokens.hasMore} loading={tokens.loadingMore} onLoadMore={tokens.loadMore} />

      {creating ? (
        <Dialog title="New API token" onClose={() => setCreating(false)}>
          <Form
            submitLabel="Create token"
            onCancel={() => setCreating(false)}
            onSubmit={async (values) => {
              const expires = optional(values, 'expires_at');
              const team = optional(values, 'team_id');
              const token = await api.post<CreatedToken>('/api/v1/tokens', {
                name: text(values, 'name'),
                role: text(values, 'role') as Role,
                ...(team ? { team_id: team } : {}),
                ...(expires ? { expires_at: new Date(expires).toISOString() } : {}),
              });
              setCreating(false);
              setCreated(token);
              setStatus(`Token ${token.name} created.`);
              tokens.reload();
            }}
          >
            <Field label="Name" name="name" required hint="What uses it, such as “deploy pipeline”." />
            <SelectField
              label="Role"
              name="role"
              defaultValue="viewer"
              options={ROLES.map((r) => ({ value: r, label: r }))}
            />
            <SelectField
              label="Team"
              name="team_id"
              defaultValue=""
              hint="Limit the token to one team (team tokens cannot be admin)."
              options={[
                { value: '', label: 'All teams (org-wide)' },
                ...(teams.data ?? []).map((t) => ({ value: t.id, label: t.name })),
              ]}
            />
            <Field
              label="Expires at"
              optional
              name="expires_at"
              type="datetime-local"
              hint="Optional, in your local time. Leave empty for a token that does not expire."
            />
          </Form>
        </Dialog>
      ) : null}

      {created ? <SecretDialog token={created} onClose={() => setCreated(null)} /> : null}

      {revoking ? (
        <ConfirmDialog
          title="Revoke token"
          message={
            <>
              Revoke <strong>{revoking.name}</strong>? Anything using it will stop working immediately.
            </>
          }
          confirmLabel="Revoke token"
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api.delete(`/api/v1/tokens/${encodeURIComponent(revoking.id)}`);
            setStatus(`Token ${revoking.name} revoked.`);
            setRevoking(null);
            tokens.reload();
          }}
        />
      ) : null}
    </>
  );
}

/** Shows a new token's secret once, with a copy button. */
function SecretDialog({ token, onClose }: { token: CreatedToken; onClose: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  const [copyState, setCopyState] = useState('');

  async function copy() {
    try {
      await navigator.clipboard.writeText(token.token);
      setCopyState('Copied to the clipboard.');
    } catch {
      input.current?.select();
      setCopyState('Copying is not allowed here: the secret is selected, press Ctrl+C (or ⌘C) to copy it.');
    }
  }

  return (
    <Dialog title="Token created" onClose={onClose}>
      <p>
        Copy the secret of <strong>{token.name}</strong> now. It is shown only this once; engops stores only a
        hash of it.
      </p>
      <div className="field">
        <label htmlFor={id}>Token secret</label>
        <div className="input-with-button">
          <input
            id={id}
            ref={input}
            readOnly
            value={token.token}
            className="mono"
            onFocus={(e) => e.currentTarget.select()}
          />
          <Button variant="primary" onClick={copy}>
            Copy
          </Button>
        </div>
      </div>
      <p className="status-message" role="status">
        {copyState}
      </p>
      <div className="form-actions">
        <Button onClick={onClose}>Done</Button>
      </div>
    </Dialog>
  );
}
