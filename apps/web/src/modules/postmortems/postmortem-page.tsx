import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, fetchAll, problemOf } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime } from '../../app/format.ts';
import type { Team, TimelineEntry, User } from '../../app/types.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { PostmortemStyles } from './postmortem-styles.tsx';
import {
  ACTION_ITEM_STATUS_LABEL,
  type ActionItem,
  type LintDismissal,
  type LintFinding,
  POSTMORTEM_STATUS_LABEL,
  type Postmortem,
  timelineLine,
} from './postmortem-types.ts';

const DEBOUNCE_MS = 400;

/** Calls `run(value)` once `value` has not changed for DEBOUNCE_MS. */
function useDebounced<T>(value: T, run: (value: T) => void) {
  const latest = useRef(run);
  latest.current = run;
  useEffect(() => {
    const timer = setTimeout(() => latest.current(value), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [value]);
}

/** The postmortem editor: Markdown beside its live preview and the incident timeline; lint; action items. */
export function PostmortemPage() {
  const { id = '' } = useParams();
  const auth = useAuth();
  const canWrite = auth.can('postmortems.write');
  const pm = useResource(`postmortem:${id}`, () => api.get<Postmortem>(`/api/v1/postmortems/${id}`));
  const [markdown, setMarkdown] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [preview, setPreview] = useState('');
  const [findings, setFindings] = useState<LintFinding[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const editor = useRef<HTMLTextAreaElement>(null);

  // The server's text replaces the editor's unless the editor holds unsaved changes to the same
  // version (a reload after dismissing a finding or adding an item must not lose typing).
  const loaded = useRef<{ markdown: string; version: number } | null>(null);
  useEffect(() => {
    if (!pm.data) return;
    const next = { markdown: pm.data.markdown, version: pm.data.version };
    setMarkdown((current) => {
      const last = loaded.current;
      const unsaved =
        current !== null && last !== null && current !== last.markdown && last.version === next.version;
      return unsaved ? current : next.markdown;
    });
    loaded.current = next;
    setVersion(pm.data.version);
  }, [pm.data]);

  const incidentId = pm.data?.incident_id;
  const timeline = useResource(`pm-timeline:${incidentId ?? ''}`, async () =>
    incidentId
      ? (await api.get<{ items: TimelineEntry[] }>(`/api/v1/incidents/${incidentId}/timeline`)).items
      : [],
  );
  const team = useResource(`pm-team:${pm.data?.team_id ?? ''}`, async () =>
    pm.data ? api.get<Team>(`/api/v1/teams/${pm.data.team_id}`) : undefined,
  );
  const users = useResource('pm-users', () => fetchAll<User>('/api/v1/users'));
  const userName = (userId: string | null) =>
    userId ? (users.data?.find((u) => u.id === userId)?.name ?? userId) : '—';

  /** Lints `text` with this postmortem's stored dismissals applied. */
  function lint(text: string) {
    api
      .post<{ findings: LintFinding[] }>('/api/v1/postmortems/lint', { markdown: text, postmortem_id: id })
      .then((r) => setFindings(r.findings))
      .catch(() => undefined);
  }

  useDebounced(markdown, (text) => {
    if (text === null) return;
    api
      .post<{ html: string }>('/api/v1/postmortems/render', { markdown: text })
      .then((r) => setPreview(r.html))
      .catch(() => undefined);
    lint(text);
  });

  if (pm.error && !pm.data) return <ErrorBanner error={pm.error} onRetry={pm.reload} />;
  if (!pm.data || markdown === null) return <p className="muted">Loading…</p>;
  const postmortem = pm.data;
  const published = postmortem.status === 'published';
  const dirty = markdown !== postmortem.markdown;

  async function act(run: () => Promise<unknown>, done: string) {
    setBusy(true);
    setError(null);
    setMessage('');
    try {
      await run();
      setMessage(done);
      pm.reload();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  const save = () =>
    act(async () => {
      const saved = await api.put<Postmortem>(`/api/v1/postmortems/${id}`, { markdown, version });
      setVersion(saved.version);
    }, 'Saved');

  function insert(line: string) {
    const area = editor.current;
    const text = markdown ?? '';
    const at = area ? area.selectionStart : text.length;
    const before = text.slice(0, at);
    const prefix = before.length === 0 || before.endsWith('\n') ? '' : '\n';
    setMarkdown(`${before}${prefix}${line}\n${text.slice(at)}`);
  }

  const itemColumns: Column<ActionItem>[] = [
    { key: 'title', header: 'Action item', cell: (i) => i.title },
    {
      key: 'owner',
      header: 'Owner',
      cell: (i) => (i.owner_id ? userName(i.owner_id) : `@${i.owner_handle ?? '?'} (unknown)`),
    },
    {
      key: 'due',
      header: 'Due',
      cell: (i) => (
        <>
          {i.due_date ?? <span className="pill pill-overdue">No due date</span>}{' '}
          {i.overdue ? <span className="pill pill-overdue">Overdue</span> : null}
        </>
      ),
    },
    {
      key: 'status',
      header: 'Status',
      cell: (i) =>
        canWrite ? (
          <select
            aria-label={`Status of ${i.title}`}
            value={i.status}
            onChange={(e) => {
              const status = e.target.value;
              const reason = status === 'wont_do' ? window.prompt("Why won't it be done?") : undefined;
              if (status === 'wont_do' && !reason) return;
              void act(
                () => api.patch(`/api/v1/action-items/${i.id}`, { status, ...(reason ? { reason } : {}) }),
                'Action item updated',
              );
            }}
          >
            {Object.entries(ACTION_ITEM_STATUS_LABEL).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        ) : (
          ACTION_ITEM_STATUS_LABEL[i.status]
        ),
    },
    {
      key: 'issue',
      header: 'Issue',
      cell: (i) =>
        i.tracker_issue ? (
          <a href={i.tracker_issue.url} target="_blank" rel="noreferrer noopener">
            {i.tracker_issue.key}
          </a>
        ) : (
          <>
            {canWrite ? (
              <Button
                small
                onClick={() =>
                  void act(() => api.post(`/api/v1/action-items/${i.id}/export`), `Exported “${i.title}”`)
                }
                disabled={busy}
                aria-label={`Export “${i.title}” to GitHub`}
              >
                Export to GitHub
              </Button>
            ) : (
              '—'
            )}
            {i.export_error ? <span className="muted"> Last attempt: {i.export_error}</span> : null}
          </>
        ),
    },
  ];

  function addItem(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    void act(async () => {
      await api.post(`/api/v1/postmortems/${id}/action-items`, {
        title: String(data.get('title') ?? ''),
        owner_id: String(data.get('owner_id') ?? ''),
        due_date: String(data.get('due_date') ?? ''),
      });
      form.reset();
    }, 'Action item added');
  }

  const dismiss = (f: LintFinding) =>
    act(async () => {
      await api.post(`/api/v1/postmortems/${id}/lint-dismissals`, { rule: f.rule, text: f.text });
      lint(markdown ?? '');
    }, `Dismissed “${f.text}”`);
  const undismiss = (d: LintDismissal) =>
    act(async () => {
      await api.delete(`/api/v1/postmortems/${id}/lint-dismissals/${d.id}`);
      lint(markdown ?? '');
    }, `“${d.text}” is checked again`);

  const problem = error ? problemOf(error) : null;
  return (
    <>
      <PostmortemStyles />
      <p className="breadcrumb">
        <Link to="/postmortems">Postmortems</Link> ›{' '}
        <Link to={`/incidents/${postmortem.incident_id}`}>Incident</Link>
      </p>
      <PageHeader
        title={postmortem.title}
        description={
          <>
            <span className="pill">{POSTMORTEM_STATUS_LABEL[postmortem.status]}</span> Due{' '}
            {formatDateTime(postmortem.due_at)}{' '}
            {postmortem.overdue ? <span className="pill pill-overdue">Overdue</span> : null} · version{' '}
            {version}
          </>
        }
        actions={
          <span className="postmortem-actions">
            <a className="button button-secondary" href={`/api/v1/postmortems/${id}/markdown`} download>
              Export Markdown
            </a>
            <a
              className="button button-secondary"
              href={`/api/v1/postmortems/${id}/html`}
              target="_blank"
              rel="noreferrer"
            >
              Export HTML
            </a>
          </span>
        }
      />
      {problem?.code === 'POSTMORTEMS_VERSION_CONFLICT' ? (
        <div className="error-banner" role="alert">
          Someone saved this postmortem meanwhile. Copy your changes, then{' '}
          <Button small onClick={() => pm.reload()}>
            load their version
          </Button>
        </div>
      ) : (
        <ErrorBanner error={error} />
      )}
      {message ? <StatusMessage>{message}</StatusMessage> : null}

      {canWrite && !published ? (
        <div className="postmortem-actions">
          <Button variant="primary" onClick={() => void save()} disabled={busy || !dirty}>
            Save
          </Button>
          {postmortem.status === 'draft' ? (
            <Button
              onClick={() =>
                void act(() => api.post(`/api/v1/postmortems/${id}/submit`), 'Submitted for review')
              }
              disabled={busy || dirty}
            >
              Submit for review
            </Button>
          ) : null}
          <Button
            onClick={() => void act(() => api.post(`/api/v1/postmortems/${id}/publish`), 'Published')}
            disabled={busy || dirty}
          >
            Publish
          </Button>
        </div>
      ) : null}

      <div className="postmortem-editor">
        <div>
          <label htmlFor="postmortem-markdown">Markdown</label>
          <textarea
            id="postmortem-markdown"
            ref={editor}
            value={markdown}
            readOnly={!canWrite || published}
            onChange={(e) => setMarkdown(e.target.value)}
          />
        </div>
        <section aria-label="Preview" className="postmortem-preview">
          {/* biome-ignore lint/security/noDangerouslySetInnerHtml: the server renders and sanitises it (allow-list) */}
          <div dangerouslySetInnerHTML={{ __html: preview }} />
        </section>
        <aside className="postmortem-timeline" aria-labelledby="pm-timeline-heading">
          <h2 id="pm-timeline-heading">Incident timeline</h2>
          <ol>
            {(timeline.data ?? []).map((entry) => {
              const line = timelineLine(entry.at, entry.text, team.data?.time_zone ?? 'UTC');
              return (
                <li key={entry.id}>
                  <span>{line.slice(2)}</span>
                  {canWrite && !published ? (
                    <Button
                      small
                      variant="quiet"
                      onClick={() => insert(line)}
                      aria-label={`Insert: ${line.slice(2)}`}
                    >
                      Insert
                    </Button>
                  ) : null}
                </li>
              );
            })}
          </ol>
          <h2>Blameless check</h2>
          {findings.length === 0 ? (
            <p className="muted">No blaming language found.</p>
          ) : (
            <ul className="lint-findings" aria-label="Blameless findings">
              {findings.map((f) => (
                <li key={`${f.line}:${f.column}:${f.rule}`}>
                  <strong>
                    Line {f.line}:{f.column}
                  </strong>{' '}
                  “{f.text}” — {f.message} <span className="muted">{f.suggestion}</span>{' '}
                  {canWrite ? (
                    <Button
                      small
                      variant="quiet"
                      onClick={() => void dismiss(f)}
                      disabled={busy}
                      aria-label={`Dismiss “${f.text}” as a false positive`}
                    >
                      Dismiss
                    </Button>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
          {postmortem.lint_dismissals.length > 0 ? (
            <>
              <h3>Dismissed as false positives</h3>
              <ul className="lint-findings" aria-label="Dismissed findings">
                {postmortem.lint_dismissals.map((d) => (
                  <li key={d.id}>
                    “{d.text}” <span className="muted">({d.rule})</span>
                    {d.reason ? <span className="muted"> — {d.reason}</span> : null}{' '}
                    {canWrite ? (
                      <Button
                        small
                        variant="quiet"
                        onClick={() => void undismiss(d)}
                        disabled={busy}
                        aria-label={`Check “${d.text}” again`}
                      >
                        Undo
                      </Button>
                    ) : null}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </aside>
      </div>

      <section className="section" aria-labelledby="pm-items-heading">
        <h2 id="pm-items-heading">Action items</h2>
        <Table
          caption="Action items"
          columns={itemColumns}
          rows={postmortem.action_items}
          rowKey={(i) => i.id}
          empty="No action items yet: add them here or as `- [ ] text (@owner, due YYYY-MM-DD)` lines."
        />
        {canWrite ? (
          <form className="inline-form" onSubmit={addItem} aria-label="Add an action item">
            <Field label="Action item" name="title" required />
            <SelectField
              label="Owner"
              name="owner_id"
              required
              options={[
                { value: '', label: 'Choose…' },
                ...(users.data ?? []).map((u) => ({ value: u.id, label: u.name })),
              ]}
            />
            <Field label="Due" name="due_date" type="date" required />
            <Button type="submit" disabled={busy}>
              Add
            </Button>
          </form>
        ) : null}
      </section>
    </>
  );
}
