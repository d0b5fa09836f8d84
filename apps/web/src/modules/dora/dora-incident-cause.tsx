import type { SuspectedDeployment } from '@engops/contracts';
import { useState } from 'react';
import { api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime } from '../../app/format.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';

/**
 * The deployment behind an incident, in the evidence of the time to restore: the confirmed link
 * when a responder has set one (it counts for the change failure rate), otherwise engops's
 * suggestion (the service's last successful production deployment before the incident was
 * triggered) on request, which a responder confirms here. A suggestion alone never counts.
 */
export function IncidentCause({
  incidentId,
  confirmedId,
  onConfirmed,
}: {
  incidentId: string;
  confirmedId: string | null;
  onConfirmed: () => void;
}) {
  const auth = useAuth();
  const [suggestion, setSuggestion] = useState<SuspectedDeployment | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const path = `/api/v1/incidents/${encodeURIComponent(incidentId)}`;

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  if (confirmedId)
    return (
      <span className="dora-cause" data-cause="confirmed">
        Confirmed: <code>{confirmedId}</code>
      </span>
    );
  const suggested = suggestion?.suggested;
  return (
    <span className="dora-cause" data-cause={suggestion ? (suggested ? 'suggested' : 'none') : 'unknown'}>
      <ErrorBanner error={error} />
      {!suggestion ? (
        <Button
          small
          disabled={busy}
          onClick={() =>
            run(async () => setSuggestion(await api.get<SuspectedDeployment>(`${path}/suspected-deployment`)))
          }
          aria-label={`Suggest the cause of ${incidentId}`}
        >
          Suggest cause
        </Button>
      ) : suggested ? (
        <>
          Suggested: {suggested.version ?? <code>{suggested.commit_sha.slice(0, 10)}</code>}, finished{' '}
          {formatDateTime(suggested.finished_at)} (not counted until confirmed){' '}
          {auth.can('incidents.respond') ? (
            <Button
              small
              variant="primary"
              disabled={busy}
              onClick={() =>
                run(async () => {
                  await api.patch(path, { caused_by_deployment_id: suggested.id });
                  onConfirmed();
                })
              }
              aria-label={`Confirm ${suggested.version ?? suggested.id} caused ${incidentId}`}
            >
              Confirm
            </Button>
          ) : null}
        </>
      ) : (
        'No successful production deployment before it'
      )}
    </span>
  );
}
