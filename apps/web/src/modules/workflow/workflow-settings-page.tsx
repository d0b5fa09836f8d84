import { useState } from 'react';
import { Link } from 'react-router';
import { api, fetchAll } from '../../app/api-client.ts';
import { formatDateTime } from '../../app/format.ts';
import type { User } from '../../app/types.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ConfirmDialog } from '../../ui/dialog.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { CheckboxField, Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { WorkflowStyles } from './workflow-styles.tsx';

/** Kept in step with packages/contracts workflowIdentitySchema / workflowGithubSettingsSchema. */
interface Identity {
  provider: 'github' | 'gitlab';
  login: string;
  user_id: string;
  created_at: string;
}
interface GithubSettings {
  configured: boolean;
  api_url: string | null;
  token_set: boolean;
  merge_gate: boolean;
  checklist: boolean;
  updated_at: string | null;
}

const PROVIDERS = [
  { value: 'github', label: 'GitHub' },
  { value: 'gitlab', label: 'GitLab' },
];
const providerLabel = (p: string) => (p === 'gitlab' ? 'GitLab' : 'GitHub');

/**
 * Workflow settings (admins): which engops person each code-host login is (reviewer nudges reach
 * people through it), and the GitHub REST API settings of the merge gate, the reviewer checklist
 * and the pull request file lists.
 */
export function WorkflowSettingsPage() {
  return (
    <>
      <WorkflowStyles />
      <PageHeader
        title="Workflow settings"
        description={
          <>
            Code-host logins of people and the GitHub calls engops makes.{' '}
            <Link to="/workflow">Back to the workflow</Link>
          </>
        }
      />
      <IdentitiesSection />
      <GithubSection />
    </>
  );
}

function IdentitiesSection() {
  const identities = useResource('wf-identities', () =>
    api.get<{ items: Identity[] }>('/api/v1/workflow/identities'),
  );
  const users = useResource('wf-users', () => fetchAll<User>('/api/v1/users'));
  const [removing, setRemoving] = useState<Identity | null>(null);
  const [status, setStatus] = useState('');
  const [formKey, setFormKey] = useState(0);
  const byId = new Map((users.data ?? []).map((u) => [u.id, u] as const));
  const person = (id: string) => {
    const u = byId.get(id);
    return u ? `${u.name} (${u.email})` : id;
  };

  const columns: Column<Identity>[] = [
    { key: 'provider', header: 'Code host', cell: (i) => providerLabel(i.provider) },
    { key: 'login', header: 'Login', cell: (i) => <span className="mono">{i.login}</span> },
    { key: 'person', header: 'Person', cell: (i) => person(i.user_id) },
    { key: 'linked', header: 'Linked', cell: (i) => formatDateTime(i.created_at) },
    {
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      kind: 'actions',
      cell: (i) => (
        <Button
          small
          variant="danger"
          onClick={() => setRemoving(i)}
          aria-label={`Unlink ${providerLabel(i.provider)} login ${i.login}`}
        >
          Unlink
        </Button>
      ),
    },
  ];

  return (
    <section className="wf-section" aria-labelledby="wf-identities-heading">
      <h2 id="wf-identities-heading">Code-host logins</h2>
      <p className="wf-basis">
        Reviewer nudges reach a requested reviewer through the engops person linked to their login; an
        unlinked reviewer gets no email (the team nudge still goes out).
      </p>
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      <ErrorBanner error={identities.error ?? users.error} onRetry={identities.reload} />
      {identities.data ? (
        <Table
          caption="Linked code-host logins"
          columns={columns}
          rows={identities.data.items}
          rowKey={(i) => `${i.provider}:${i.login}`}
          empty="No login is linked yet."
        />
      ) : identities.loading ? (
        <p aria-live="polite">Loading logins…</p>
      ) : null}
      {users.data ? (
        <Form
          key={formKey}
          label="Link a login"
          submitLabel="Link login"
          className="inline-form"
          onSubmit={async (values) => {
            const row = await api.put<Identity>('/api/v1/workflow/identities', {
              provider: String(values.get('provider') ?? 'github'),
              login: String(values.get('login') ?? ''),
              user_id: String(values.get('user_id') ?? ''),
            });
            setStatus(`${providerLabel(row.provider)} login ${row.login} linked to ${person(row.user_id)}.`);
            setFormKey((k) => k + 1);
            identities.reload();
          }}
        >
          <div className="form-row">
            <SelectField label="Code host" name="provider" defaultValue="github" options={PROVIDERS} />
            <Field label="Login" name="login" required autoComplete="off" placeholder="octocat" />
            <SelectField
              label="Person"
              name="user_id"
              options={users.data
                .filter((u) => !u.disabled)
                .map((u) => ({ value: u.id, label: `${u.name} (${u.email})` }))}
            />
          </div>
        </Form>
      ) : null}
      {removing ? (
        <ConfirmDialog
          title="Unlink login"
          message={`Unlink ${providerLabel(removing.provider)} login ${removing.login} from ${person(removing.user_id)}?`}
          confirmLabel="Unlink"
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await api.delete(
              `/api/v1/workflow/identities/${removing.provider}/${encodeURIComponent(removing.login)}`,
            );
            setStatus(`${providerLabel(removing.provider)} login ${removing.login} unlinked.`);
            setRemoving(null);
            identities.reload();
          }}
        />
      ) : null}
    </section>
  );
}

function GithubSection() {
  const settings = useResource('wf-github', () =>
    api.get<GithubSettings>('/api/v1/workflow/settings/github'),
  );
  const [status, setStatus] = useState('');
  const s = settings.data;
  return (
    <section className="wf-section" aria-labelledby="wf-github-heading">
      <h2 id="wf-github-heading">GitHub</h2>
      <p className="wf-basis">
        engops reads each pull request's file list (the tests focus) and, when switched on, posts the{' '}
        <span className="mono">engops/ci-required</span> commit status and the reviewer checklist. For GitHub
        Enterprise Server the API URL is https://&lt;host&gt;/api/v3. The token is stored and never shown
        again.
      </p>
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      <ErrorBanner error={settings.error} onRetry={settings.reload} />
      {s ? (
        <Form
          label="GitHub settings"
          submitLabel="Save GitHub settings"
          className="inline-form"
          onSubmit={async (values) => {
            const token = String(values.get('token') ?? '').trim();
            const saved = await api.put<GithubSettings>('/api/v1/workflow/settings/github', {
              api_url: String(values.get('api_url') ?? '').trim(),
              ...(token ? { token } : {}),
              merge_gate: values.get('merge_gate') === 'true',
              checklist: values.get('checklist') === 'true',
            });
            setStatus(`GitHub settings saved ${formatDateTime(saved.updated_at)}.`);
            settings.reload();
          }}
        >
          <div className="form-row">
            <Field
              label="API URL"
              name="api_url"
              required
              defaultValue={s.api_url ?? 'https://api.github.com'}
            />
            <Field
              label="Token"
              name="token"
              type="password"
              autoComplete="off"
              required={!s.token_set}
              optional={s.token_set}
              placeholder={s.token_set ? 'stored (leave empty to keep)' : ''}
            />
          </div>
          <CheckboxField
            label="Post the engops/ci-required commit status (merge gate)"
            name="merge_gate"
            defaultChecked={s.merge_gate}
          />
          <CheckboxField
            label="Comment the reviewer checklist on new pull requests"
            name="checklist"
            defaultChecked={s.checklist}
          />
        </Form>
      ) : null}
    </section>
  );
}
