import { useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, fetchAll } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import {
  INCIDENT_SEVERITIES,
  INCIDENT_STATUSES,
  type Incident,
  type IncidentStats,
  type IncidentStatus,
  type Service,
} from '../../app/types.ts';
import { useResource } from '../../app/use-resource.ts';
import { useUrlFilters } from '../../app/use-url-filters.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { SelectField } from '../../ui/field.tsx';
import { PageHeader } from '../../ui/page-header.tsx';
import { type Column, LoadMore, Table } from '../../ui/table.tsx';
import { DeclareIncidentDialog } from './declare-incident-dialog.tsx';
import { SeverityBadge, StatusBadge, TimeStamp } from './incident-bits.tsx';
import { formatDuration, OPEN_STATUSES, parseStatusFilter, STATUS_LABEL } from './incident-format.ts';
import { LIVE_INTERVAL_MS, useLivePagedList, useNow, usePolling } from './use-live.ts';
import { useSeverityInfo } from './use-severity-info.ts';

const WINDOW_DAYS = 30;

interface StatsStrip {
  open: number;
  window: IncidentStats;
}

export function IncidentsPage() {
  const severityInfo = useSeverityInfo();
  const auth = useAuth();
  const navigate = useNavigate();
  // An empty status list means none ticked (without the parameter: the open ones).
  const { params, setFilter, clearFilters } = useUrlFilters(['status']);
  const statuses = parseStatusFilter(params.get('status'));
  const severity = params.get('severity') ?? '';
  const serviceId = params.get('service') ?? '';
  const [declaring, setDeclaring] = useState(false);
  const now = useNow(LIVE_INTERVAL_MS);

  const query = {
    status:
      statuses.length > 0 && statuses.length < INCIDENT_STATUSES.length ? statuses.join(',') : undefined,
    severity: severity || undefined,
    service_id: serviceId || undefined,
  };
  const incidents = useLivePagedList<Incident>('/api/v1/incidents', query);
  const services = useResource('services', () => fetchAll<Service>('/api/v1/services'));
  const serviceById = useMemo(
    () => new Map((services.data ?? []).map((s) => [s.id, s] as const)),
    [services.data],
  );
  const stats = useResource<StatsStrip>(`incident-stats:${serviceId}`, async () => {
    const from = new Date(Date.now() - WINDOW_DAYS * 24 * 3600 * 1000).toISOString();
    const scope = serviceId ? { service_id: serviceId } : {};
    const [all, window] = await Promise.all([
      api.get<IncidentStats>('/api/v1/incidents/stats', scope),
      api.get<IncidentStats>('/api/v1/incidents/stats', { ...scope, from }),
    ]);
    return { open: all.open, window };
  });

  usePolling(() => {
    incidents.refresh();
    stats.reload();
  });

  function toggleStatus(status: IncidentStatus, on: boolean) {
    const set = new Set(statuses);
    if (on) set.add(status);
    else set.delete(status);
    const list = INCIDENT_STATUSES.filter((s) => set.has(s));
    const isDefault = list.length === OPEN_STATUSES.length && OPEN_STATUSES.every((s) => set.has(s));
    setFilter('status', isDefault ? null : list.join(','));
  }

  const columns: Column<Incident>[] = [
    {
      key: 'number',
      header: '#',
      cell: (i) => (
        <Link to={`/incidents/${encodeURIComponent(i.id)}`} aria-label={`Incident ${i.number}: ${i.title}`}>
          #{i.number}
        </Link>
      ),
    },
    { key: 'severity', header: 'Severity', cell: (i) => <SeverityBadge severity={i.severity} /> },
    {
      key: 'title',
      header: 'Title',
      cell: (i) => (
        <Link to={`/incidents/${encodeURIComponent(i.id)}`} className="incident-title-link">
          {i.title}
          {i.suppressed ? <span className="badge">maintenance</span> : null}
        </Link>
      ),
    },
    {
      key: 'service',
      header: 'Service',
      cell: (i) => <span className="mono">{serviceById.get(i.service_id)?.name ?? i.service_id}</span>,
    },
    { key: 'status', header: 'Status', cell: (i) => <StatusBadge status={i.status} /> },
    { key: 'triggered', header: 'Triggered', cell: (i) => <TimeStamp iso={i.triggered_at} now={now} /> },
    { key: 'alerts', header: 'Alerts', kind: 'number', cell: (i) => i.alert_count },
  ];

  const windowStats = stats.data?.window;
  const filtered = params.has('status') || serviceId !== '' || severity !== '';

  return (
    <>
      <PageHeader
        title="Incidents"
        description="Detect, respond, mitigate, resolve, review. The list refreshes itself every 10 seconds."
        actions={
          auth.can('incidents.respond') ? (
            <Button variant="primary" onClick={() => setDeclaring(true)}>
              Declare incident
            </Button>
          ) : null
        }
      />

      <section aria-label="Response metrics" className="stats-strip">
        <dl>
          <div className="stat">
            <dt>Open incidents</dt>
            <dd>{stats.data ? stats.data.open : '…'}</dd>
          </div>
          <div className="stat">
            <dt>
              MTTA <span className="muted">({WINDOW_DAYS} days)</span>
            </dt>
            <dd title="Mean time to acknowledge">
              {windowStats ? formatDuration(windowStats.time_to_acknowledge.mean_seconds) : '…'}
            </dd>
          </div>
          <div className="stat">
            <dt>
              Time to mitigate <span className="muted">({WINDOW_DAYS} days)</span>
            </dt>
            <dd>{windowStats ? formatDuration(windowStats.time_to_mitigate.mean_seconds) : '…'}</dd>
          </div>
          <div className="stat">
            <dt>
              MTTR <span className="muted">({WINDOW_DAYS} days)</span>
            </dt>
            <dd title="Mean time to resolve">
              {windowStats ? formatDuration(windowStats.time_to_resolve.mean_seconds) : '…'}
            </dd>
          </div>
          <div className="stat">
            <dt>
              Incidents <span className="muted">({WINDOW_DAYS} days)</span>
            </dt>
            <dd>
              {windowStats ? windowStats.count : '…'}
              {windowStats && windowStats.count > 0 ? (
                <span className="stat-detail">
                  {INCIDENT_SEVERITIES.map((s) => `${s} ${windowStats.by_severity[s] ?? 0}`).join(' · ')}
                </span>
              ) : null}
            </dd>
          </div>
        </dl>
      </section>
      <ErrorBanner error={stats.error} />

      <div className="toolbar incident-filters">
        <fieldset className="status-filter">
          <legend>
            Status <span className="muted">(none ticked: all)</span>
          </legend>
          {INCIDENT_STATUSES.map((status) => (
            <label key={status} className="status-filter-option">
              <input
                type="checkbox"
                name="status_filter"
                value={status}
                checked={statuses.includes(status)}
                onChange={(e) => toggleStatus(status, e.currentTarget.checked)}
              />
              {STATUS_LABEL[status]}
            </label>
          ))}
        </fieldset>
        <SelectField
          label="Severity"
          name="severity_filter"
          value={severity}
          onChange={(e) => setFilter('severity', e.currentTarget.value || null)}
          options={[
            { value: '', label: 'All severities' },
            ...INCIDENT_SEVERITIES.map((s) => ({ value: s, label: `${s}: ${severityInfo[s].description}` })),
          ]}
        />
        <SelectField
          label="Service"
          name="service_filter"
          value={serviceId}
          onChange={(e) => setFilter('service', e.currentTarget.value || null)}
          options={[
            { value: '', label: 'All services' },
            ...(services.data ?? []).map((s) => ({ value: s.id, label: s.name })),
          ]}
        />
        {filtered ? (
          <Button small variant="quiet" onClick={clearFilters}>
            Reset filters
          </Button>
        ) : null}
      </div>
      <p className="live-status" aria-live="off">
        <span className="live-dot" aria-hidden="true" /> Live
        {incidents.updatedAt ? (
          <>
            {' '}
            · updated <TimeStamp iso={new Date(incidents.updatedAt).toISOString()} now={now} inline />
          </>
        ) : null}
      </p>
      <ErrorBanner error={incidents.error ?? services.error} onRetry={incidents.refresh} />
      <Table
        caption="Incidents"
        columns={columns}
        rows={incidents.items}
        rowKey={(i) => i.id}
        loading={incidents.loading && incidents.items.length === 0}
        empty={!filtered ? 'No open incidents. All quiet.' : 'No incidents match these filters.'}
      />
      <LoadMore hasMore={incidents.hasMore} loading={incidents.loadingMore} onLoadMore={incidents.loadMore} />

      {declaring ? (
        <DeclareIncidentDialog
          services={services.data ?? []}
          {...(serviceId ? { defaultServiceId: serviceId } : {})}
          onClose={() => setDeclaring(false)}
          onDeclared={(incident) => {
            setDeclaring(false);
            navigate(`/incidents/${encodeURIComponent(incident.id)}`);
          }}
        />
      ) : null}
    </>
  );
}
