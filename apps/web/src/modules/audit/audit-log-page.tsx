import { useId, useState } from 'react';
import { useSearchParams } from 'react-router';
import { formatDateTime, text } from '../../app/format.ts';
import type { AuditEntry } from '../../app/types.ts';
import { usePagedList } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { PageHeader } from '../../ui/page-header.tsx';
import { type Column, LoadMore, Table } from '../../ui/table.tsx';

const TARGET_TYPES = ['team', 'user', 'service', 'token', 'policy', 'notification'];
const ACTIONS = ['auth.', 'team.', 'team.member.', 'user.', 'service.', 'token.', 'policy.', 'notification.'];

function json(value: unknown): string {
  return value === null || value === undefined ? '—' : JSON.stringify(value, null, 2);
}

export function AuditLogPage() {
  const [params, setParams] = useSearchParams();
  const action = params.get('action') ?? '';
  const targetType = params.get('target_type') ?? '';
  const entries = usePagedList<AuditEntry>('/api/v1/audit-log', {
    action: action || undefined,
    target_type: targetType || undefined,
  });
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const actionsListId = useId();

  function toggle(id: string) {
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }

  const columns: Column<AuditEntry>[] = [
    { key: 'at', header: 'When', cell: (e) => <time dateTime={e.at}>{formatDateTime(e.at)}</time> },
    {
      key: 'actor',
      header: 'Actor',
      cell: (e) => (
        <>
          {e.actor_name} <span className="muted">({e.actor_type})</span>
        </>
      ),
    },
    { key: 'action', header: 'Action', cell: (e) => <code>{e.action}</code> },
    {
      key: 'target',
      header: 'Target',
      cell: (e) => (
        <>
          {e.target_type}
          {e.target_id ? <span className="muted mono"> {e.target_id}</span> : null}
        </>
      ),
    },
    {
      key: 'changes',
      header: <span className="visually-hidden">Changes</span>,
      kind: 'actions',
      cell: (e) => (
        <Button
          small
          variant="quiet"
          aria-expanded={open.has(e.id)}
          aria-controls={open.has(e.id) ? `audit-${e.id}` : undefined}
          onClick={() => toggle(e.id)}
        >
          {open.has(e.id) ? 'Hide changes' : 'Show changes'}
          <span className="visually-hidden">
            {' '}
            of {e.action} at {formatDateTime(e.at)}
          </span>
        </Button>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change, newest first: who did what, and the values before and after."
      />
      <form
        className="toolbar"
        aria-label="Filter the audit log"
        onSubmit={(event) => {
          event.preventDefault();
          const values = new FormData(event.currentTarget);
          const next: Record<string, string> = {};
          const a = text(values, 'action');
          const t = text(values, 'target_type');
          if (a) next.action = a;
          if (t) next.target_type = t;
          setParams(next);
        }}
      >
        <Field
          label="Action starts with"
          name="action"
          defaultValue={action}
          list={actionsListId}
          placeholder="e.g. service."
          autoComplete="off"
          key={`action:${action}`}
        />
        <datalist id={actionsListId}>
          {ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <SelectField
          label="Target type"
          name="target_type"
          defaultValue={targetType}
          key={`target:${targetType}`}
          options={[{ value: '', label: 'Any' }, ...TARGET_TYPES.map((t) => ({ value: t, label: t }))]}
        />
        <Button type="submit" variant="primary">
          Apply filters
        </Button>
        {action || targetType ? <Button onClick={() => setParams({})}>Clear</Button> : null}
      </form>
      <ErrorBanner error={entries.error} onRetry={entries.reload} />
      <Table
        caption="Audit log entries, newest first"
        columns={columns}
        rows={entries.items}
        rowKey={(e) => e.id}
        loading={entries.loading}
        empty="No entries match."
        detail={(e) =>
          open.has(e.id) ? (
            <div className="audit-detail" id={`audit-${e.id}`}>
              <div>
                <h3>Before</h3>
                <pre>{json(e.before)}</pre>
              </div>
              <div>
                <h3>After</h3>
                <pre>{json(e.after)}</pre>
              </div>
              <p className="muted audit-meta">
                Entry <code>{e.id}</code>
                {e.team_id ? (
                  <>
                    {' '}
                    · team <code>{e.team_id}</code>
                  </>
                ) : null}
                {e.request_id ? (
                  <>
                    {' '}
                    · request <code>{e.request_id}</code>
                  </>
                ) : null}
              </p>
            </div>
          ) : null
        }
      />
      <LoadMore hasMore={entries.hasMore} loading={entries.loadingMore} onLoadMore={entries.loadMore} />
    </>
  );
}
