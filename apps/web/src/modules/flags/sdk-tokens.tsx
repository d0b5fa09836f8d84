import { useId, useRef, useState } from 'react';
import { api } from '../../app/api-client.ts';
import { formatDateTime, text } from '../../app/format.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ConfirmDialog, Dialog } from '../../ui/dialog.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { StatusMessage } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { CopyButton } from '../incidents/incident-bits.tsx';
import { type CreatedSdkToken, type FlagEnvironment, SDK_TOKEN_TYPES, type SdkToken } from './flag-types.ts';

/** SDK tokens: list, create (the secret shown once) and revoke. Needs flags.manage. */
export function SdkTokensSection({ environments }: { environments: readonly FlagEnvironment[] }) {
  const tokens = useResource('sdk-tokens', () =>
    api.get<{ items: SdkToken[] }>('/api/v1/sdk-tokens').then((r) => r.items),
  );
  const [created, setCreated] = useState<CreatedSdkToken | null>(null);
  const [revoking, setRevoking] = useState<SdkToken | null>(null);
  const [status, setStatus] = useState('');

  const columns: Column<SdkToken>[] = [
    { key: 'name', header: 'Name', cell: (t) => t.name },
    { key: 'prefix', header: 'Prefix', cell: (t) => <code>{t.prefix}…</code> },
    { key: 'type', header: 'Type', cell: (t) => t.type },
    { key: 'environment', header: 'Environment', cell: (t) => t.environment },
    {
      key: 'used',
      header: 'Last used',
      cell: (t) => (t.last_used_at ? formatDateTime(t.last_used_at) : 'Never'),
    },
    { key: 'created', header: 'Created', cell: (t) => formatDateTime(t.created_at) },
    {
      key: 'status',
      header: 'Status',
      cell: (t) =>
        t.revoked_at ? (
          <span className="pill pill-revoked">Revoked</span>
        ) : (
          <span className="pill pill-active">Active</span>
        ),
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
    <section className="section" aria-labelledby="sdk-tokens-heading">
      <h2 id="sdk-tokens-heading">SDK tokens</h2>
      <p className="muted">
        A token reads the flags of one environment. Client tokens serve server SDKs (Unleash client API and
        OFREP); frontend tokens serve browser SDKs (Unleash frontend API and OFREP).
      </p>
      <ErrorBanner error={tokens.error} onRetry={tokens.reload} />
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      <Table
        caption="SDK tokens"
        columns={columns}
        rows={tokens.data ?? []}
        rowKey={(t) => t.id}
        loading={tokens.loading}
        empty="No SDK tokens yet."
      />
      <div className="inline-form">
        <Form
          label="New SDK token"
          submitLabel="Create SDK token"
          pendingLabel="Creating…"
          onSubmit={async (form, element) => {
            const token = await api.post<CreatedSdkToken>('/api/v1/sdk-tokens', {
              name: text(form, 'name'),
              type: text(form, 'type'),
              environment: text(form, 'environment'),
            });
            element.reset();
            setStatus('');
            setCreated(token);
            tokens.reload();
          }}
        >
          <div className="form-row">
            <Field label="Token name" name="name" required autoComplete="off" hint="Which app uses it." />
            <SelectField
              label="Token type"
              name="type"
              options={SDK_TOKEN_TYPES.map((t) => ({ value: t, label: t }))}
            />
            <SelectField
              label="Token environment"
              name="environment"
              options={environments.map((e) => ({ value: e.key, label: e.name }))}
            />
          </div>
        </Form>
      </div>
      {created ? <SdkSecretDialog token={created} onClose={() => setCreated(null)} /> : null}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          message="SDKs using this token stop receiving flags at once (they keep their last copy)."
          confirmLabel="Revoke"
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api.delete(`/api/v1/sdk-tokens/${encodeURIComponent(revoking.id)}`);
            setStatus(`SDK token ${revoking.name} revoked.`);
            setRevoking(null);
            tokens.reload();
          }}
        />
      ) : null}
    </section>
  );
}

function SdkSecretDialog({ token, onClose }: { token: CreatedSdkToken; onClose(): void }) {
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  return (
    <Dialog title="SDK token created" onClose={onClose}>
      <p>
        Copy the secret of <strong>{token.name}</strong> ({token.type}, {token.environment}) now. It is shown
        only this once.
      </p>
      <div className="field">
        <label htmlFor={id}>SDK token secret</label>
        <div className="input-with-button">
          <input
            id={id}
            ref={input}
            readOnly
            value={token.token}
            className="mono"
            onFocus={(e) => e.currentTarget.select()}
          />
          <CopyButton value={token.token} label="Copy the SDK token" small={false} />
        </div>
      </div>
      <div className="form-actions">
        <Button onClick={onClose}>Done</Button>
      </div>
    </Dialog>
  );
}

/** How to point the SDKs teams already run at this server. */
export function SdkSetup({ origin }: { origin: string }) {
  const unleash = `import { Unleash } from 'unleash-client';

const unleash = new Unleash({
  url: '${origin}/api/',
  appName: 'my-service',
  // ENGOPS_FLAGS_TOKEN: a client SDK token
  customHeaders: { Authorization: process.env.ENGOPS_FLAGS_TOKEN },
});
unleash.on('synchronized', () => {
  unleash.isEnabled('my.flag', { userId: 'u-42' });
});`;
  const ofrep = `import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';

await OpenFeature.setProviderAndWait(
  new OFREPProvider({
    baseUrl: '${origin}',
    headers: [['Authorization', 'Bearer <client or frontend SDK token>']],
  }),
);
const client = OpenFeature.getClient();
await client.getBooleanValue('my.flag', false, { targetingKey: 'u-42' });`;
  const curl = `curl -X POST '${origin}/ofrep/v1/evaluate/flags/my.flag' \\
  -H 'Authorization: Bearer <SDK token>' -H 'content-type: application/json' \\
  -d '{"context":{"targetingKey":"u-42"}}'`;
  return (
    <section className="section" aria-labelledby="sdk-setup-heading">
      <h2 id="sdk-setup-heading">SDK setup</h2>
      <p className="muted">
        Existing Unleash and OpenFeature SDKs work unchanged: change the URL and the token.
      </p>
      <div className="flag-snippets">
        {[
          { title: 'Unleash client (Node.js)', code: unleash },
          { title: 'OpenFeature with the OFREP provider', code: ofrep },
          { title: 'OFREP with curl', code: curl },
        ].map((s) => (
          <figure key={s.title} style={{ margin: 0 }}>
            <figcaption>
              <h3>{s.title}</h3>
            </figcaption>
            <pre className="code-block">
              <code>{s.code}</code>
            </pre>
            <CopyButton value={s.code} label={`Copy the ${s.title} snippet`} />
          </figure>
        ))}
      </div>
    </section>
  );
}
