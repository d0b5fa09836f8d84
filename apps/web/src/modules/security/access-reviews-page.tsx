import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime, optional, text } from '../../app/format.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button, buttonClass } from '../../ui/button.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField, TextAreaField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { SecurityNav } from './security-nav.tsx';
import {
  type Campaign,
  type CampaignDetail,
  KIND_LABEL,
  OUTCOME_LABEL,
  type RegisterEntry,
  type ReviewItem,
} from './security-types.ts';

/** Access review campaigns: progress of each, and starting a new one (admins). */
export function AccessReviewsPage() {
  const auth = useAuth();
  const navigate = useNavigate();
  const campaigns = useResource('access-reviews', () =>
    api.get<Campaign[]>('/api/v1/security/access-reviews'),
  );
  const [starting, setStarting] = useState(false);
  const register = useResource(`access-register:${auth.can('security.manage')}`, () =>
    auth.can('security.manage')
      ? api.get<RegisterEntry[]>('/api/v1/security/access-register')
      : Promise.resolve([]),
  );
  const registerColumns: Column<RegisterEntry>[] = [
    { key: 'system', header: 'System', cell: (g) => g.system },
    { key: 'person', header: 'Person', cell: (g) => (g.email ? `${g.person} <${g.email}>` : g.person) },
    { key: 'access', header: 'Access', cell: (g) => g.access },
    {
      key: 'used',
      header: 'Last used',
      cell: (g) => (g.last_used_at ? formatDateTime(g.last_used_at) : '—'),
    },
    {
      key: 'state',
      header: 'State',
      cell: (g) =>
        g.removed_at ? (
          <span className="pill pill-revoked" title={g.removal_note ?? undefined}>
            Removed {formatDateTime(g.removed_at)}
          </span>
        ) : (
          <span className="pill pill-active">Live</span>
        ),
    },
  ];
  const columns: Column<Campaign>[] = [
    {
      key: 'name',
      header: 'Campaign',
      cell: (c) => <Link to={`/security/access-reviews/${c.id}`}>{c.name}</Link>,
    },
    { key: 'status', header: 'Status', cell: (c) => (c.status === 'open' ? 'Open' : 'Closed') },
    { key: 'due', header: 'Due', cell: (c) => formatDateTime(c.due_at) },
    { key: 'progress', header: 'Reviewed', cell: (c) => `${c.reviewed}/${c.total}` },
    { key: 'revoked', header: 'Revoked', kind: 'number', cell: (c) => c.revoked },
    { key: 'stale', header: 'Stale grants', kind: 'number', cell: (c) => c.stale },
  ];
  return (
    <>
      <PageHeader
        title="Access reviews"
        description="Every org role, team role and API token, certified or revoked by its reviewer on a schedule."
        actions={
          auth.can('security.manage') ? (
            <Button variant="primary" onClick={() => setStarting(true)}>
              Start a review
            </Button>
          ) : undefined
        }
      />
      <SecurityNav />
      <ErrorBanner error={campaigns.error} onRetry={campaigns.reload} />
      <Table
        caption="Access review campaigns"
        columns={columns}
        rows={campaigns.data ?? []}
        rowKey={(c) => c.id}
        loading={campaigns.loading}
        empty="No access review yet."
      />
      {auth.can('security.manage') ? (
        <>
          <h2>Access in other systems</h2>
          <p className="muted">
            Imported per system with PUT /api/v1/security/access-register (JSON or CSV); reviewed in the same
            campaigns.
          </p>
          <ErrorBanner error={register.error} onRetry={register.reload} />
          <Table
            caption="Access register"
            columns={registerColumns}
            rows={register.data ?? []}
            rowKey={(g) => g.id}
            loading={register.loading}
            empty="No other system imported yet."
          />
        </>
      ) : null}
      {starting && (
        <Dialog title="Start an access review" onClose={() => setStarting(false)}>
          <Form
            label="Start an access review"
            submitLabel="Start"
            onCancel={() => setStarting(false)}
            onSubmit={async (values) => {
              const name = optional(values, 'name');
              const due = optional(values, 'due');
              const created = await api.post<CampaignDetail>('/api/v1/security/access-reviews', {
                ...(name ? { name } : {}),
                ...(due ? { due_at: new Date(`${due}T23:59:59`).toISOString() } : {}),
                close_policy: text(values, 'close_policy'),
              });
              setStarting(false);
              navigate(`/security/access-reviews/${created.id}`);
            }}
          >
            <Field label="Name" name="name" optional placeholder="Q3 access review" />
            <Field
              label="Due"
              name="due"
              type="date"
              optional
              hint="Default: the policy's review duration."
            />
            <SelectField
              label="Grants nobody reviewed by closing time"
              name="close_policy"
              defaultValue="revoke"
              options={[
                { value: 'revoke', label: 'Revoke them' },
                { value: 'keep', label: 'Keep them' },
              ]}
            />
          </Form>
        </Dialog>
      )}
    </>
  );
}

/** One campaign: the grants this reviewer may decide, each certified or revoked with a note. */
export function AccessReviewPage() {
  const { id = '' } = useParams();
  const auth = useAuth();
  const detail = useResource(`access-review:${id}`, () =>
    api.get<CampaignDetail>(`/api/v1/security/access-reviews/${id}`),
  );
  const [deciding, setDeciding] = useState<{ item: ReviewItem; decision: 'certify' | 'revoke' } | null>(null);
  const [closing, setClosing] = useState(false);
  const [message, setMessage] = useState('');
  const campaign = detail.data;
  const open = campaign?.status === 'open';

  const columns: Column<ReviewItem>[] = [
    {
      key: 'who',
      header: 'Who or what',
      cell: (i) => (
        <>
          {i.subject_name}
          {i.stale_reason ? <div className="pill pill-expired">Stale: {i.stale_reason}</div> : null}
        </>
      ),
    },
    { key: 'kind', header: 'Grant', cell: (i) => KIND_LABEL[i.kind] },
    { key: 'scope', header: 'Scope', cell: (i) => i.team_name ?? 'Organisation' },
    { key: 'role', header: 'Role', cell: (i) => i.role },
    {
      key: 'used',
      header: 'Last used',
      // People: their last sign-in or token use; other systems: what the import said (if anything).
      cell: (i) =>
        i.last_used_at ? formatDateTime(i.last_used_at) : i.kind === 'system_grant' ? '—' : 'never',
    },
    {
      key: 'outcome',
      header: 'Decision',
      cell: (i) => (
        <>
          <span>{OUTCOME_LABEL[i.outcome]}</span>
          {i.note ? <div className="muted">{`${i.decided_by}: ${i.note}`}</div> : null}
        </>
      ),
    },
    {
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      kind: 'actions',
      cell: (i) =>
        open && i.outcome !== 'revoked' ? (
          <>
            {i.outcome === 'pending' ? (
              <Button small onClick={() => setDeciding({ item: i, decision: 'certify' })}>
                Certify
                <span className="visually-hidden">
                  {' '}
                  {i.subject_name} {i.role}
                </span>
              </Button>
            ) : null}
            <Button small variant="danger" onClick={() => setDeciding({ item: i, decision: 'revoke' })}>
              Revoke
              <span className="visually-hidden">
                {' '}
                {i.subject_name} {i.role}
              </span>
            </Button>
          </>
        ) : null,
    },
  ];

  return (
    <>
      <PageHeader
        title={campaign?.name ?? 'Access review'}
        description={
          campaign
            ? `${campaign.status === 'open' ? 'Open' : 'Closed'} · due ${formatDateTime(campaign.due_at)} · ${campaign.reviewed}/${campaign.total} reviewed · ${campaign.revoked} revoked · unreviewed grants are ${campaign.close_policy === 'revoke' ? 'revoked' : 'kept'} on close`
            : undefined
        }
        actions={
          auth.can('security.manage') && campaign ? (
            <>
              <a className={buttonClass()} href={`/api/v1/security/access-reviews/${id}/evidence`} download>
                Evidence (signed JSON)
              </a>
              <a
                className={buttonClass()}
                href={`/api/v1/security/access-reviews/${id}/evidence?format=csv`}
                download
              >
                Evidence (CSV)
              </a>
              {open ? (
                <Button variant="danger" onClick={() => setClosing(true)}>
                  Close review
                </Button>
              ) : null}
            </>
          ) : undefined
        }
      />
      <SecurityNav />
      <StatusMessage>{message}</StatusMessage>
      <ErrorBanner error={detail.error} onRetry={detail.reload} />
      <Table
        caption="Grants to review"
        columns={columns}
        rows={campaign?.items ?? []}
        rowKey={(i) => i.id}
        loading={detail.loading}
        empty="No grant in this campaign is yours to review."
      />
      {deciding && (
        <Dialog
          title={`${deciding.decision === 'revoke' ? 'Revoke' : 'Certify'} ${deciding.item.subject_name}`}
          onClose={() => setDeciding(null)}
        >
          <Form
            label="Review decision"
            submitLabel={deciding.decision === 'revoke' ? 'Revoke access' : 'Certify'}
            submitVariant={deciding.decision === 'revoke' ? 'danger' : 'primary'}
            onCancel={() => setDeciding(null)}
            onSubmit={async (values) => {
              await api.post(`/api/v1/security/access-reviews/${id}/items/${deciding.item.id}/decision`, {
                decision: deciding.decision,
                note: text(values, 'note'),
              });
              setMessage(
                `${deciding.decision === 'revoke' ? 'Revoked' : 'Certified'}: ${deciding.item.subject_name} (${deciding.item.role}).`,
              );
              setDeciding(null);
              detail.reload();
            }}
          >
            <p>
              {KIND_LABEL[deciding.item.kind]} <strong>{deciding.item.role}</strong> on{' '}
              {deciding.item.team_name ?? 'the organisation'}.
              {deciding.decision === 'revoke' ? ' Revoking removes the access now.' : ''}
            </p>
            <TextAreaField label="Note" name="note" rows={3} required hint="Why: kept as evidence." />
          </Form>
        </Dialog>
      )}
      {closing && (
        <Dialog title="Close this review" onClose={() => setClosing(false)}>
          <Form
            label="Close review"
            submitLabel="Close review"
            submitVariant="danger"
            onCancel={() => setClosing(false)}
            onSubmit={async () => {
              await api.post(`/api/v1/security/access-reviews/${id}/close`);
              setClosing(false);
              setMessage('Review closed.');
              detail.reload();
            }}
          >
            <p>
              Grants nobody reviewed will be {campaign?.close_policy === 'revoke' ? 'revoked' : 'kept'}.
              Decisions are final afterwards.
            </p>
          </Form>
        </Dialog>
      )}
    </>
  );
}
