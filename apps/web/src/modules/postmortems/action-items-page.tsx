import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { api, fetchAll } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import type { Team, User } from '../../app/types.ts';
import { usePagedList, useResource } from '../../app/use-resource.ts';
import { useUrlFilters } from '../../app/use-url-filters.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { OVERDUE_FILTER_OPTIONS, teamFilterOptions } from '../../ui/filter-options.ts';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, LoadMore, Table } from '../../ui/table.tsx';
import { PostmortemStyles } from './postmortem-styles.tsx';
import { ACTION_ITEM_STATUS_LABEL, type ActionItem, type GithubSettings } from './postmortem-types.ts';

/**
 * Action items across postmortems: an owner's own (`?owner=me`, the default), a person's or a
 * team's (`?team=`), overdue first-class (`?overdue=true`). Admins set up the GitHub export here.
 */
export function ActionItemsPage() {
  const auth = useAuth();
  // An empty owner means everyone's items (without the parameter the page shows yours).
  const { params, setFilter } = useUrlFilters(['owner']);
  const me = auth.session?.user?.id ?? null;
  const owner = params.get('owner') ?? (me && !params.get('team') ? 'me' : '');
  const teamId = params.get('team') ?? '';
  const overdue = params.get('overdue') ?? '';
  const status = params.get('status') ?? '';

  const query = {
    owner_id: owner || undefined,
    team_id: teamId || undefined,
    overdue: overdue || undefined,
    status: status || undefined,
  };
  const list = usePagedList<ActionItem>('/api/v1/action-items', query);
  const overdueCount = useResource(`ai-overdue:${owner}:${teamId}`, async () => {
    const all = await fetchAll<ActionItem>('/api/v1/action-items', {
      owner_id: owner || undefined,
      team_id: teamId || undefined,
      overdue: 'true',
    });
    return all.length;
  });
  const users = useResource('pm-users', () => fetchAll<User>('/api/v1/users'));
  const teams = useResource('teams', () => fetchAll<Team>('/api/v1/teams'));
  const userName = (id: string | null) => (id ? (users.data?.find((u) => u.id === id)?.name ?? id) : '—');
  const teamName = (id: string) => teams.data?.find((t) => t.id === id)?.name ?? id;

  const label =
    owner === 'me' || (owner && owner === me)
      ? 'Your action items'
      : owner
        ? `Action items of ${userName(owner)}`
        : teamId
          ? `Action items of ${teamName(teamId)}`
          : 'All action items';

  const columns: Column<ActionItem>[] = [
    {
      key: 'title',
      header: 'Action item',
      cell: (i) => <Link to={`/postmortems/${i.postmortem_id}`}>{i.title}</Link>,
    },
    {
      key: 'owner',
      header: 'Owner',
      cell: (i) => (i.owner_id ? userName(i.owner_id) : `@${i.owner_handle ?? '?'}`),
    },
    { key: 'team', header: 'Team', cell: (i) => teamName(i.team_id) },
    {
      key: 'due',
      header: 'Due',
      cell: (i) => (
        <>
          {i.due_date ?? '—'} {i.overdue ? <span className="pill pill-overdue">Overdue</span> : null}
        </>
      ),
    },
    { key: 'status', header: 'Status', cell: (i) => ACTION_ITEM_STATUS_LABEL[i.status] },
    {
      key: 'issue',
      header: 'Issue',
      cell: (i) =>
        i.tracker_issue ? (
          <a href={i.tracker_issue.url} target="_blank" rel="noreferrer noopener">
            {i.tracker_issue.key}
          </a>
        ) : (
          '—'
        ),
    },
  ];

  return (
    <>
      <PostmortemStyles />
      <PageHeader
        title="Action items"
        description={
          overdueCount.data === undefined
            ? 'Tracked to completion: every item has an owner and a due date.'
            : `${label}: ${overdueCount.data} overdue.`
        }
      />
      <div className="inline-form">
        <SelectField
          label="Owner"
          name="owner"
          value={owner}
          onChange={(e) => setFilter('owner', e.target.value)}
          options={[
            ...(me ? [{ value: 'me', label: 'Me' }] : []),
            { value: '', label: 'Anyone' },
            ...(users.data ?? []).filter((u) => u.id !== me).map((u) => ({ value: u.id, label: u.name })),
          ]}
        />
        <SelectField
          label="Team"
          name="team"
          value={teamId}
          onChange={(e) => setFilter('team', e.target.value)}
          options={teamFilterOptions(teams.data)}
        />
        <SelectField
          label="Due"
          name="overdue"
          value={overdue}
          onChange={(e) => setFilter('overdue', e.target.value)}
          options={OVERDUE_FILTER_OPTIONS}
        />
        <SelectField
          label="Status"
          name="status"
          value={status}
          onChange={(e) => setFilter('status', e.target.value)}
          options={[
            { value: '', label: 'Any' },
            ...Object.entries(ACTION_ITEM_STATUS_LABEL).map(([value, label]) => ({ value, label })),
          ]}
        />
      </div>
      <ErrorBanner error={list.error} onRetry={list.reload} />
      <Table
        caption={label}
        columns={columns}
        rows={list.items}
        rowKey={(i) => i.id}
        loading={list.loading}
        empty="No action items match."
      />
      <LoadMore hasMore={list.hasMore} loading={list.loadingMore} onLoadMore={list.loadMore} />
      {auth.can('policy.write') ? <GithubSettingsForm /> : null}
    </>
  );
}

/** Where "Export to GitHub" files issues: GitHub or a GitHub Enterprise Server, token, repository. */
function GithubSettingsForm() {
  const settings = useResource('pm-github', () =>
    api.get<GithubSettings>('/api/v1/postmortems/settings/github'),
  );
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState('');

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const token = String(data.get('token') ?? '').trim();
    const repo = String(data.get('default_repo') ?? '').trim();
    const labels = String(data.get('labels') ?? '')
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean);
    setError(null);
    setMessage('');
    try {
      await api.put('/api/v1/postmortems/settings/github', {
        api_url: String(data.get('api_url') ?? '').trim(),
        ...(token ? { token } : {}),
        default_repo: repo || null,
        labels,
      });
      setMessage('GitHub settings saved');
      settings.reload();
    } catch (failure) {
      setError(failure);
    }
  }

  const s = settings.data;
  return (
    <section className="section" aria-labelledby="pm-github-heading">
      <h2 id="pm-github-heading">GitHub export</h2>
      <p className="muted">
        Action items can be exported as GitHub issues. For GitHub Enterprise Server, the API URL is
        https://&lt;host&gt;/api/v3. The token is stored and never shown again.
      </p>
      <ErrorBanner error={error ?? settings.error} />
      {message ? <StatusMessage>{message}</StatusMessage> : null}
      {s ? (
        <form className="inline-form" onSubmit={(e) => void save(e)} aria-label="GitHub export settings">
          <Field
            label="API URL"
            name="api_url"
            defaultValue={s.api_url ?? 'https://api.github.com'}
            required
          />
          <Field
            label="Token"
            name="token"
            type="password"
            autoComplete="off"
            placeholder={s.token_set ? 'stored (leave empty to keep)' : ''}
          />
          <Field
            label="Default repository"
            name="default_repo"
            defaultValue={s.default_repo ?? ''}
            placeholder="owner/name"
          />
          <Field label="Labels" name="labels" defaultValue={s.labels.join(', ')} placeholder="postmortem" />
          <Button type="submit">Save</Button>
        </form>
      ) : null}
    </section>
  );
}
