import { Link } from 'react-router';
import { fetchAll } from '../../app/api-client.ts';
import { useResource } from '../../app/use-resource.ts';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { PostmortemStyles } from './postmortem-styles.tsx';
import { ACTION_ITEM_STATUS_LABEL, type ActionItem } from './postmortem-types.ts';

/**
 * A team's (or a person's) overdue action items, for embedding in their page, with a link to the
 * full list. Usage on the team page: `<OverdueActionItems teamId={team.id} />`.
 */
export function OverdueActionItems({ teamId, ownerId }: { teamId?: string; ownerId?: string }) {
  const key = `overdue-items:${teamId ?? ''}:${ownerId ?? ''}`;
  const items = useResource(key, () =>
    fetchAll<ActionItem>('/api/v1/action-items', { team_id: teamId, owner_id: ownerId, overdue: 'true' }),
  );
  const all = `/action-items?${new URLSearchParams({
    ...(teamId ? { team: teamId } : {}),
    owner: ownerId ?? '',
    overdue: 'true',
  }).toString()}`;
  const columns: Column<ActionItem>[] = [
    {
      key: 'title',
      header: 'Action item',
      cell: (i) => <Link to={`/postmortems/${i.postmortem_id}`}>{i.title}</Link>,
    },
    {
      key: 'due',
      header: 'Due',
      cell: (i) => (
        <>
          {i.due_date} <span className="pill pill-overdue">Overdue</span>
        </>
      ),
    },
    { key: 'status', header: 'Status', cell: (i) => ACTION_ITEM_STATUS_LABEL[i.status] },
  ];
  return (
    <section className="section" aria-labelledby={`${key}-heading`}>
      <PostmortemStyles />
      <h2 id={`${key}-heading`}>Overdue action items</h2>
      <ErrorBanner error={items.error} onRetry={items.reload} />
      <Table
        caption="Overdue action items"
        columns={columns}
        rows={items.data ?? []}
        rowKey={(i) => i.id}
        loading={items.loading}
        empty="Nothing overdue."
      />
      <p>
        <Link to={all}>All action items</Link>
      </p>
    </section>
  );
}
