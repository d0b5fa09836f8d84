import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import type { Page } from '../../app/api-client.ts';
import { api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime } from '../../app/format.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { PostmortemStyles } from './postmortem-styles.tsx';
import { POSTMORTEM_STATUS_LABEL, type Postmortem, type PostmortemSummary } from './postmortem-types.ts';

/**
 * On the incident page: its postmortem (status, due date, link), or, once the incident is mitigated
 * or resolved, a button to write it. `status` is the incident's, so the line follows its changes.
 */
export function IncidentPostmortemLink({ incidentId, status }: { incidentId: string; status: string }) {
  const auth = useAuth();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const found = useResource(`incident-postmortem:${incidentId}:${status}`, async () =>
    auth.can('postmortems.read')
      ? (await api.get<Page<PostmortemSummary>>('/api/v1/postmortems', { incident_id: incidentId, limit: 1 }))
          .items[0]
      : undefined,
  );
  const pm = found.data;
  const ready = ['mitigated', 'resolved', 'reviewed'].includes(status);

  async function write() {
    setBusy(true);
    setError(null);
    try {
      const created = await api.post<Postmortem>(`/api/v1/incidents/${incidentId}/postmortem`);
      navigate(`/postmortems/${created.id}`);
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  }

  if (pm) {
    return (
      <p className="incident-postmortem">
        <PostmortemStyles />
        Postmortem: <Link to={`/postmortems/${pm.id}`}>{pm.title}</Link>{' '}
        <span className="pill">{POSTMORTEM_STATUS_LABEL[pm.status]}</span>{' '}
        {pm.status === 'published' ? (
          <span className="muted">published {formatDateTime(pm.published_at)}</span>
        ) : (
          <span className="muted">due {formatDateTime(pm.due_at)}</span>
        )}{' '}
        {pm.overdue ? <span className="pill pill-overdue">Overdue</span> : null}
      </p>
    );
  }
  if (!ready || found.loading || !auth.can('postmortems.write')) return null;
  return (
    <div className="incident-postmortem">
      <p>
        No postmortem yet.{' '}
        <Button small onClick={() => void write()} disabled={busy}>
          Write postmortem
        </Button>
      </p>
      <ErrorBanner error={error} />
    </div>
  );
}
