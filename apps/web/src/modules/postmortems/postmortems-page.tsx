import { type FormEvent, type ReactNode, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, fetchAll } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime } from '../../app/format.ts';
import type { Team } from '../../app/types.ts';
import { usePagedList, useResource } from '../../app/use-resource.ts';
import { useUrlFilters } from '../../app/use-url-filters.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { OVERDUE_FILTER_OPTIONS, teamFilterOptions } from '../../ui/filter-options.ts';
import { PageHeader } from '../../ui/page-header.tsx';
import { type Column, LoadMore, Table } from '../../ui/table.tsx';
import { OverdueActionItems } from './overdue-action-items.tsx';
import { PostmortemStyles } from './postmortem-styles.tsx';
import {
  type MissingPostmortems,
  POSTMORTEM_STATUS_LABEL,
  type Postmortem,
  type PostmortemSearchHit,
  type PostmortemStats,
  type PostmortemSummary,
} from './postmortem-types.ts';

/** The snippet with its matched words in <mark> (plain text: React escapes it). */
function Snippet({ hit }: { hit: PostmortemSearchHit }) {
  const parts: ReactNode[] = [];
  let at = 0;
  for (const [start, end] of hit.highlights) {
    if (start < at) continue;
    parts.push(hit.snippet.slice(at, start));
    parts.push(<mark key={start}>{hit.snippet.slice(start, end)}</mark>);
    at = end;
  }
  parts.push(hit.snippet.slice(at));
  return <span className="search-snippet">{parts}</span>;
}

type Missing = MissingPostmortems['items'][number];

/** Full-text search results, best match first, with the filters of the list. */
function SearchResults({
  q,
  filters,
  columns,
}: {
  q: string;
  filters: Record<string, string | undefined>;
  columns: Column<PostmortemSearchHit>[];
}) {
  const hits = usePagedList<PostmortemSearchHit>('/api/v1/postmortems/search', { ...filters, q }, 20);
  return (
    <>
      <ErrorBanner error={hits.error} onRetry={hits.reload} />
      <Table
        caption="Search results"
        columns={columns}
        rows={hits.items}
        rowKey={(p) => p.id}
        loading={hits.loading}
        empty={`No postmortem matches “${q}”.`}
      />
      <LoadMore hasMore={hits.hasMore} loading={hits.loadingMore} onLoadMore={hits.loadMore} />
    </>
  );
}

/** Postmortems with due dates and status; overdue ones and incidents still needing one. */
export function PostmortemsPage() {
  const auth = useAuth();
  const navigate = useNavigate();
  const { params, setFilter } = useUrlFilters();
  const status = params.get('status') ?? '';
  const overdue = params.get('overdue') ?? '';
  const teamId = params.get('team') ?? '';
  const q = params.get('q') ?? '';
  const [creating, setCreating] = useState<string | null>(null);
  const [createError, setCreateError] = useState<unknown>(null);

  const filters = {
    status: status || undefined,
    overdue: overdue || undefined,
    team_id: teamId || undefined,
  };
  const list = usePagedList<PostmortemSummary>('/api/v1/postmortems', filters);

  const teams = useResource('teams', () => fetchAll<Team>('/api/v1/teams'));
  const teamName = (id: string) => teams.data?.find((t) => t.id === id)?.name ?? id;
  const stats = useResource(`pm-stats:${teamId}`, () =>
    api.get<PostmortemStats>('/api/v1/postmortems/stats', teamId ? { team_id: teamId } : {}),
  );
  const missing = useResource(`pm-missing:${teamId}`, () =>
    api.get<MissingPostmortems>('/api/v1/postmortems/missing', teamId ? { team_id: teamId } : {}),
  );

  async function write(incidentId: string) {
    setCreating(incidentId);
    setCreateError(null);
    try {
      const pm = await api.post<Postmortem>(`/api/v1/incidents/${incidentId}/postmortem`);
      navigate(`/postmortems/${pm.id}`);
    } catch (error) {
      setCreateError(error);
      setCreating(null);
    }
  }

  const columns: Column<PostmortemSummary>[] = [
    { key: 'title', header: 'Postmortem', cell: (p) => <Link to={`/postmortems/${p.id}`}>{p.title}</Link> },
    { key: 'team', header: 'Team', cell: (p) => teamName(p.team_id) },
    {
      key: 'status',
      header: 'Status',
      cell: (p) => <span className="pill">{POSTMORTEM_STATUS_LABEL[p.status]}</span>,
    },
    {
      key: 'due',
      header: 'Due',
      cell: (p) => (
        <>
          {formatDateTime(p.due_at)} {p.overdue ? <span className="pill pill-overdue">Overdue</span> : null}
          {p.published_on_time === false ? <span className="pill pill-overdue">Late</span> : null}
        </>
      ),
    },
    { key: 'published', header: 'Published', cell: (p) => formatDateTime(p.published_at) },
  ];

  const missingColumns: Column<Missing>[] = [
    {
      key: 'incident',
      header: 'Incident',
      cell: (m) => (
        <Link to={`/incidents/${m.incident_id}`}>
          #{m.number} {m.title}
        </Link>
      ),
    },
    { key: 'sev', header: 'Severity', cell: (m) => m.severity },
    { key: 'team', header: 'Team', cell: (m) => teamName(m.team_id) },
    {
      key: 'due',
      header: 'Due',
      cell: (m) => (
        <>
          {formatDateTime(m.due_at)} {m.overdue ? <span className="pill pill-overdue">Overdue</span> : null}
        </>
      ),
    },
    {
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      kind: 'actions',
      cell: (m) =>
        auth.can('postmortems.write') ? (
          <Button small onClick={() => void write(m.incident_id)} disabled={creating !== null}>
            Write postmortem
          </Button>
        ) : null,
    },
  ];

  function search(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFilter('q', String(new FormData(event.currentTarget).get('q') ?? '').trim());
  }

  const hitColumns: Column<PostmortemSearchHit>[] = [
    {
      key: 'title',
      header: 'Postmortem',
      cell: (p) => (
        <>
          <Link to={`/postmortems/${p.id}`}>{p.title}</Link>
          <br />
          <Snippet hit={p} />
        </>
      ),
    },
    ...columns.slice(1),
  ];

  const latest = stats.data?.by_team_month.at(-1);
  return (
    <>
      <PostmortemStyles />
      <PageHeader
        title="Postmortems"
        description={
          stats.data
            ? `${stats.data.overdue} overdue${
                latest?.on_time_share != null
                  ? ` · ${Math.round(latest.on_time_share * 100)}% on time in ${latest.month}`
                  : ''
              }`
            : 'Written within 48 hours, blameless, action items tracked to completion.'
        }
      />
      <search>
        <form className="inline-form" aria-label="Search postmortems" onSubmit={search}>
          <Field
            label="Search"
            name="q"
            type="search"
            defaultValue={q}
            key={q}
            placeholder='words, "a phrase", or, -word'
          />
          <Button type="submit">Search</Button>
        </form>
      </search>
      <div className="inline-form">
        <SelectField
          label="Status"
          name="status"
          value={status}
          onChange={(e) => setFilter('status', e.target.value)}
          options={[
            { value: '', label: 'Any' },
            { value: 'draft', label: 'Draft' },
            { value: 'in_review', label: 'In review' },
            { value: 'published', label: 'Published' },
          ]}
        />
        <SelectField
          label="Deadline"
          name="overdue"
          value={overdue}
          onChange={(e) => setFilter('overdue', e.target.value)}
          options={OVERDUE_FILTER_OPTIONS}
        />
        <SelectField
          label="Team"
          name="team"
          value={teamId}
          onChange={(e) => setFilter('team', e.target.value)}
          options={teamFilterOptions(teams.data)}
        />
      </div>
      {q ? (
        <SearchResults q={q} filters={filters} columns={hitColumns} />
      ) : (
        <>
          <ErrorBanner error={list.error} onRetry={list.reload} />
          <Table
            caption="Postmortems"
            columns={columns}
            rows={list.items}
            rowKey={(p) => p.id}
            loading={list.loading}
            empty="No postmortems match."
          />
          <LoadMore hasMore={list.hasMore} loading={list.loadingMore} onLoadMore={list.loadMore} />
        </>
      )}

      {auth.session?.user ? <OverdueActionItems ownerId="me" /> : null}

      <h2>Incidents needing a postmortem</h2>
      <ErrorBanner error={missing.error ?? createError} onRetry={missing.reload} />
      <Table
        caption="Incidents needing a postmortem"
        columns={missingColumns}
        rows={missing.data?.items ?? []}
        rowKey={(m) => m.incident_id}
        loading={missing.loading}
        empty="Every incident that needs a postmortem has one."
      />
    </>
  );
}
