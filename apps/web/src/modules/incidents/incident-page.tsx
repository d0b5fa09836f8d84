import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, fetchAll } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { text } from '../../app/format.ts';
import {
  type Alert,
  INCIDENT_SEVERITIES,
  type Incident,
  type Service,
  type TimelineEntry,
  type User,
} from '../../app/types.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { SelectField, TextAreaField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { IncidentCause } from '../dora/dora-incident-cause.tsx';
import { IncidentPostmortemLink } from '../postmortems/incident-postmortem-link.tsx';
import { IncidentAlerts, safeHref } from './incident-alerts.tsx';
import { SeverityBadge, StatusBadge, TimeStamp } from './incident-bits.tsx';
import { ACTION_INFO, formatDuration, type IncidentAction, legalActions } from './incident-format.ts';
import { IncidentTimeline } from './incident-timeline.tsx';
import { useNow, usePolling } from './use-live.ts';
import { useSeverityInfo } from './use-severity-info.ts';

interface IncidentDetail {
  incident: Incident;
  timeline: TimelineEntry[];
  alerts: Alert[];
}

function secondsBetween(from: string, to: string | null): number | null {
  if (!to) return null;
  return (Date.parse(to) - Date.parse(from)) / 1000;
}

export function IncidentPage() {
  const severityInfo = useSeverityInfo();
  const { id = '' } = useParams();
  const auth = useAuth();
  const now = useNow(10_000);
  const path = `/api/v1/incidents/${encodeURIComponent(id)}`;
  const detail = useResource<IncidentDetail>(`incident:${id}`, async () => {
    const [incident, timeline, alerts] = await Promise.all([
      api.get<Incident>(path),
      api.get<{ items: TimelineEntry[] }>(`${path}/timeline`),
      api.get<{ items: Alert[] }>(`${path}/alerts`),
    ]);
    return { incident, timeline: timeline.items, alerts: alerts.items };
  });
  const serviceId = detail.data?.incident.service_id ?? '';
  const service = useResource<Service | null>(`service:${serviceId}`, () =>
    serviceId ? api.get<Service>(`/api/v1/services/${encodeURIComponent(serviceId)}`) : Promise.resolve(null),
  );
  const people = useResource('people', () => fetchAll<User>('/api/v1/users'));
  const names = useMemo(
    () => new Map((people.data ?? []).map((p) => [p.id, p.name] as const)),
    [people.data],
  );
  const [acting, setActing] = useState<IncidentAction | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [status, setStatus] = useState('');
  const canRespond = auth.can('incidents.respond');

  usePolling(detail.reload);

  if (!detail.data) {
    return detail.error ? (
      <>
        <PageHeader title="Incident" />
        <ErrorBanner error={detail.error} onRetry={detail.reload} />
        <p>
          <Link to="/incidents">Back to incidents</Link>
        </p>
      </>
    ) : (
      <p role="status">Loading incident…</p>
    );
  }
  const { incident, timeline, alerts } = detail.data;
  const svc = service.data ?? null;
  const runbook = safeHref(svc?.runbook_url);
  const actions = canRespond ? legalActions(incident.status) : [];
  /** A stamp's actor: a person's name, else what kind of actor the id names. */
  const who = (value: string | null) => {
    if (!value) return null;
    const name = names.get(value);
    if (name) return name;
    if (value.startsWith('tok_')) return 'an API token';
    if (value.startsWith('int_')) return 'an integration';
    return value;
  };

  async function act(action: IncidentAction) {
    setActing(action);
    setActionError(null);
    setStatus('');
    try {
      const updated = await api.post<Incident>(`${path}/${action}`);
      setStatus(`Incident #${updated.number} ${ACTION_INFO[action].done}: now ${updated.status}.`);
    } catch (error) {
      setActionError(error);
    } finally {
      setActing(null);
      detail.reload();
    }
  }

  const personOptions = [
    { value: '', label: 'Nobody' },
    ...(people.data ?? [])
      .filter((p) => !p.disabled)
      .map((p) => ({ value: p.id, label: `${p.name} (${p.email})` })),
  ];

  return (
    <>
      <p className="breadcrumb">
        <Link to="/incidents">Incidents</Link> <span aria-hidden="true">/</span>
      </p>
      <PageHeader
        title={
          <>
            <span className="incident-number">#{incident.number}</span> {incident.title}
          </>
        }
        documentTitle={`#${incident.number} ${incident.title}`}
        description={
          <span className="incident-summary">
            <SeverityBadge severity={incident.severity} />
            <span>
              Status <StatusBadge status={incident.status} />
            </span>
            <span>
              Service{' '}
              <Link className="mono" to={`/services?team=${encodeURIComponent(incident.team_id)}`}>
                {svc?.name ?? incident.service_id}
              </Link>
            </span>
            {runbook ? (
              <a href={runbook} target="_blank" rel="noreferrer noopener">
                Runbook<span className="visually-hidden"> (opens in a new tab)</span>
              </a>
            ) : svc ? (
              <span className="muted">No runbook linked</span>
            ) : null}
            {incident.suppressed ? <span className="badge">maintenance window: nobody paged</span> : null}
          </span>
        }
        actions={
          actions.length > 0 ? (
            <span className="button-row incident-actions">
              {actions.map((action, i) => (
                <Button
                  key={action}
                  variant={i === 0 ? 'primary' : 'secondary'}
                  disabled={acting !== null}
                  onClick={() => void act(action)}
                >
                  {acting === action ? ACTION_INFO[action].pending : ACTION_INFO[action].label}
                </Button>
              ))}
            </span>
          ) : null
        }
      />
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      <ErrorBanner error={actionError} />
      <ErrorBanner error={detail.error} onRetry={detail.reload} />
      <IncidentPostmortemLink incidentId={incident.id} status={incident.status} />

      <dl className="facts incident-facts">
        <div>
          <dt>Triggered</dt>
          <dd>
            <TimeStamp iso={incident.triggered_at} now={now} />
          </dd>
        </div>
        <div>
          <dt>Acknowledged</dt>
          <dd>
            <TimeStamp iso={incident.acknowledged_at} now={now} />
            {incident.acknowledged_by ? (
              <span className="fact-by">by {who(incident.acknowledged_by)}</span>
            ) : null}
          </dd>
        </div>
        <div>
          <dt>Mitigated</dt>
          <dd>
            <TimeStamp iso={incident.mitigated_at} now={now} />
            {incident.mitigated_by ? <span className="fact-by">by {who(incident.mitigated_by)}</span> : null}
          </dd>
        </div>
        <div>
          <dt>Resolved</dt>
          <dd>
            <TimeStamp iso={incident.resolved_at} now={now} />
            {incident.resolved_by ? <span className="fact-by">by {who(incident.resolved_by)}</span> : null}
          </dd>
        </div>
        <div>
          <dt>Time to resolve</dt>
          <dd>{formatDuration(secondsBetween(incident.triggered_at, incident.resolved_at))}</dd>
        </div>
        <div>
          <dt>Source</dt>
          <dd>{incident.source === 'manual' ? 'declared by hand' : incident.source}</dd>
        </div>
        <div>
          <dt>Alerts</dt>
          <dd>{incident.alert_count}</dd>
        </div>
        {auth.can('dora.read') ? (
          <div className="incident-cause">
            <dt>Suspected deployment</dt>
            <dd>
              <IncidentCause
                incidentId={incident.id}
                confirmedId={incident.caused_by_deployment_id}
                onConfirmed={() => {
                  setStatus('Suspected deployment confirmed: it counts for the change failure rate.');
                  detail.reload();
                }}
              />
            </dd>
          </div>
        ) : null}
      </dl>
      {incident.description ? <p className="incident-description">{incident.description}</p> : null}

      <div className="incident-columns">
        <div>
          <section aria-labelledby="timeline-heading" className="section">
            <h2 id="timeline-heading">Timeline</h2>
            <IncidentTimeline entries={timeline} names={names} now={now} />
            {canRespond ? (
              <div className="inline-form">
                <Form
                  label="Add note"
                  submitLabel="Add note"
                  pendingLabel="Adding…"
                  onSubmit={async (values, form) => {
                    await api.post<TimelineEntry>(`${path}/notes`, { text: text(values, 'note') });
                    form.reset();
                    setStatus('Note added to the timeline.');
                    detail.reload();
                  }}
                >
                  <TextAreaField
                    label="Note"
                    name="note"
                    rows={3}
                    required
                    maxLength={20000}
                    hint="What you tried, what you saw, what you decided. It becomes part of the postmortem timeline."
                  />
                </Form>
              </div>
            ) : null}
          </section>
        </div>
        <aside aria-labelledby="roles-heading" className="section incident-side">
          <h2 id="roles-heading">Roles and severity</h2>
          <ErrorBanner error={people.error} />
          {canRespond ? (
            <Form
              key={`${incident.severity}|${incident.commander_id}|${incident.comms_lead_id}|${people.data ? 1 : 0}`}
              label="Roles and severity"
              submitLabel="Save roles"
              pendingLabel="Saving…"
              onSubmit={async (values) => {
                const patch: Record<string, string | null> = {};
                const commander = text(values, 'commander_id') || null;
                const comms = text(values, 'comms_lead_id') || null;
                const severity = text(values, 'severity');
                if (commander !== incident.commander_id) patch.commander_id = commander;
                if (comms !== incident.comms_lead_id) patch.comms_lead_id = comms;
                if (severity && severity !== incident.severity) patch.severity = severity;
                if (Object.keys(patch).length === 0) {
                  setStatus('Nothing changed.');
                  return;
                }
                await api.patch<Incident>(path, patch);
                setStatus('Roles saved.');
                detail.reload();
              }}
            >
              <SelectField
                label="Incident commander"
                name="commander_id"
                defaultValue={incident.commander_id ?? ''}
                options={personOptions}
                hint="Coordinates the response and makes the calls."
              />
              <SelectField
                label="Communications lead"
                name="comms_lead_id"
                defaultValue={incident.comms_lead_id ?? ''}
                options={personOptions}
                hint="Keeps stakeholders and customers informed."
              />
              <SelectField
                label="Severity"
                name="severity"
                defaultValue={incident.severity}
                options={INCIDENT_SEVERITIES.map((s) => ({
                  value: s,
                  label: `${s}: ${severityInfo[s].description}`,
                }))}
              />
            </Form>
          ) : (
            <dl className="facts facts-stacked">
              <div>
                <dt>Incident commander</dt>
                <dd>{who(incident.commander_id) ?? 'Nobody'}</dd>
              </div>
              <div>
                <dt>Communications lead</dt>
                <dd>{who(incident.comms_lead_id) ?? 'Nobody'}</dd>
              </div>
            </dl>
          )}
        </aside>
      </div>

      <section aria-labelledby="alerts-heading" className="section">
        <h2 id="alerts-heading">Alerts ({alerts.length})</h2>
        <IncidentAlerts alerts={alerts} now={now} />
      </section>
    </>
  );
}
