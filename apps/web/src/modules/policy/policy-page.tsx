import { useState } from 'react';
import { api, clientError } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime } from '../../app/format.ts';
import type { PolicyResponse } from '../../app/types.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { TextAreaField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';

/** The organisation policy: read-only for most, editable as JSON by admins (optimistic version check). */
export function PolicyPage() {
  const auth = useAuth();
  const policy = useResource('policy', () => api.get<PolicyResponse>('/api/v1/policy'));
  const [status, setStatus] = useState('');
  const canWrite = auth.can('policy.write');
  const data = policy.data;

  return (
    <>
      <PageHeader
        title="Policy"
        description="The handbook's numbers (DORA tiers, postmortem deadlines, review targets, on-call rules) as one organisation policy."
        actions={<Button onClick={policy.reload}>Reload</Button>}
      />
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      <ErrorBanner error={policy.error} onRetry={policy.reload} />
      {!data ? (
        policy.error ? null : (
          <p role="status">Loading policy…</p>
        )
      ) : (
        <>
          <dl className="facts">
            <div>
              <dt>Version</dt>
              <dd>{data.version}</dd>
            </div>
            <div>
              <dt>Last changed</dt>
              <dd>{data.updated_at ? formatDateTime(data.updated_at) : 'Never (defaults)'}</dd>
            </div>
            <div>
              <dt>Changed by</dt>
              <dd>{data.updated_by ?? '—'}</dd>
            </div>
          </dl>
          {canWrite ? (
            <Form
              key={data.version}
              label="Edit policy"
              submitLabel="Save policy"
              onSubmit={async (values) => {
                let parsed: unknown;
                try {
                  parsed = JSON.parse(String(values.get('policy') ?? ''));
                } catch (error) {
                  const message = error instanceof Error ? error.message : 'not valid JSON';
                  throw clientError('Invalid JSON', 'The policy is not valid JSON.', [
                    { path: 'body.policy', message },
                  ]);
                }
                const saved = await api.put<PolicyResponse>('/api/v1/policy', {
                  policy: parsed,
                  version: data.version,
                });
                setStatus(`Policy saved as version ${saved.version}.`);
                policy.reload();
              }}
            >
              <TextAreaField
                label="Policy (JSON)"
                name="policy"
                className="field-code"
                defaultValue={JSON.stringify(data.policy, null, 2)}
                rows={22}
                spellCheck={false}
                hint={`You are editing version ${data.version}. If someone saves first, reload and apply your change again.`}
              />
            </Form>
          ) : (
            <section aria-labelledby="policy-json">
              <h2 id="policy-json">Current policy</h2>
              <pre className="code-block">{JSON.stringify(data.policy, null, 2)}</pre>
            </section>
          )}
        </>
      )}
    </>
  );
}
