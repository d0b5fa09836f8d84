import type { DoraEvidence, DoraReport, DoraTier } from '@engops/contracts';
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../app/api-client.ts';
import { formatDateTime } from '../../app/format.ts';
import type { PolicyResponse } from '../../app/types.ts';
import { useReportScope } from '../../app/use-report-scope.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { SelectField } from '../../ui/field.tsx';
import { PageHeader } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { DoraTrendChart } from './dora-chart.tsx';
import { DeploymentCommitsPanel } from './dora-deployment-commits.tsx';
import {
  DEFAULT_THRESHOLDS,
  type DoraThresholds,
  formatPercent,
  formatSeconds,
  METRIC_LABEL,
  TILE_METRICS,
  type TileMetric,
  tierLabel,
  tileValue,
  windowOf,
} from './dora-format.ts';
import { IncidentCause } from './dora-incident-cause.tsx';
import { DoraRepositories } from './dora-repositories.tsx';
import { DoraStyles } from './dora-styles.tsx';

type EvidenceMetric = TileMetric | 'rework_rate';
const WINDOWS = [
  { value: '30', label: 'Last 30 days' },
  { value: '90', label: 'Last 90 days' },
  { value: '180', label: 'Last 180 days' },
  { value: '365', label: 'Last year' },
];

interface Loaded {
  report: DoraReport;
  trend: { bucket: 'week' | 'month'; buckets: DoraReport[] };
  thresholds: DoraThresholds;
}

function tierClass(tier: DoraTier | null): string {
  return `tier-${tier ?? 'none'}`;
}

/**
 * DORA metrics of the organisation, a team or a service over a window: the four keys on the
 * handbook's tiers with the step to the next, rework rate, trends over the tier bands, and the
 * records behind each figure.
 */
export function DoraPage() {
  const [params, setParams] = useSearchParams();
  const { scope, scopeQuery, scopeOptions, teams, services } = useReportScope(params, 'dora');
  const days = Number(params.get('days') ?? '30') || 30;
  const metric = params.get('metric') as EvidenceMetric | null;

  const serviceName = useMemo(
    () => new Map((services.data ?? []).map((s) => [s.id, s.name] as const)),
    [services.data],
  );

  const window = useMemo(() => windowOf(days), [days]);
  const query = { ...scopeQuery, ...window };
  const bucket = days > 120 ? 'month' : 'week';

  const data = useResource<Loaded>(`dora:${scope}:${days}:${window.to}`, async () => {
    const [report, trend, policy] = await Promise.all([
      api.get<DoraReport>('/api/v1/dora', query),
      api.get<Loaded['trend']>('/api/v1/dora/trend', { ...query, bucket }),
      api.get<PolicyResponse>('/api/v1/policy').catch(() => null),
    ]);
    const thresholds = (policy?.policy as { dora?: DoraThresholds } | undefined)?.dora ?? DEFAULT_THRESHOLDS;
    return { report, trend, thresholds };
  });
  const evidence = useResource<DoraEvidence | null>(
    `dora-evidence:${scope}:${days}:${window.to}:${metric}`,
    () =>
      metric ? api.get<DoraEvidence>('/api/v1/dora/evidence', { ...query, metric }) : Promise.resolve(null),
  );

  function set(name: string, value: string | null) {
    const next = new URLSearchParams(params);
    if (value === null || value === '') next.delete(name);
    else next.set(name, value);
    if (name !== 'metric') next.delete('metric');
    setParams(next, { replace: name !== 'metric' });
  }

  const report = data.data?.report;

  return (
    <>
      <DoraStyles />
      <PageHeader
        title="DORA metrics"
        description="The four keys on the handbook's Elite/High/Medium/Low table, with what the next tier takes. Only production deployments count."
      />
      <div className="dora-controls">
        <SelectField
          label="Scope"
          name="scope"
          value={scope}
          options={scopeOptions}
          onChange={(e) => set('scope', e.target.value)}
        />
        <SelectField
          label="Window"
          name="days"
          value={String(days)}
          options={WINDOWS}
          onChange={(e) => set('days', e.target.value)}
        />
        {report ? (
          <p className="dora-basis">
            Overall:{' '}
            <span
              className={`dora-tier dora-overall ${tierClass(report.overall_tier)}`}
              data-testid="overall-tier"
            >
              {tierLabel(report.overall_tier)}
            </span>
          </p>
        ) : null}
      </div>
      <ErrorBanner error={teams.error ?? services.error ?? data.error} onRetry={data.reload} />
      {data.loading && !report ? <p aria-live="polite">Loading…</p> : null}
      {report && data.data ? (
        <>
          <section className="dora-tiles" aria-label="DORA metrics">
            {TILE_METRICS.map((m) => {
              const figure = report[m];
              const { value, basis } = tileValue(report, m);
              return (
                <article
                  key={m}
                  className={`dora-tile ${tierClass(figure.tier)}`}
                  aria-labelledby={`dora-${m}`}
                  data-metric={m}
                >
                  <h2 id={`dora-${m}`}>{METRIC_LABEL[m]}</h2>
                  <div className="dora-value">{value}</div>
                  <span className="dora-tier">{tierLabel(figure.tier)}</span>
                  <p className="dora-basis">{basis}</p>
                  <p className="dora-next">
                    {figure.next
                      ? `Next step: ${figure.next.needs}`
                      : figure.tier === 'elite'
                        ? 'Top tier reached'
                        : 'No data in this window'}
                  </p>
                  <div className="dora-actions">
                    <Button
                      small
                      onClick={() => set('metric', m)}
                      aria-label={`Evidence for ${METRIC_LABEL[m]}`}
                    >
                      Show evidence
                    </Button>
                  </div>
                </article>
              );
            })}
            <article
              className="dora-tile tier-none"
              aria-labelledby="dora-rework_rate"
              data-metric="rework_rate"
            >
              <h2 id="dora-rework_rate">{METRIC_LABEL.rework_rate}</h2>
              <div className="dora-value">
                {report.rework_rate.value === null ? '—' : formatPercent(report.rework_rate.value)}
              </div>
              <p className="dora-basis">
                {report.rework_rate.reworked} rollback or hotfix of {report.rework_rate.deployments}{' '}
                deployments
              </p>
              <p className="dora-next">DORA 2024's fifth metric: no tiers.</p>
              <div className="dora-actions">
                <Button
                  small
                  onClick={() => set('metric', 'rework_rate')}
                  aria-label="Evidence for Rework rate"
                >
                  Show evidence
                </Button>
              </div>
            </article>
          </section>
          <h2>Trend per {data.data.trend.bucket}</h2>
          <div className="dora-trends">
            {TILE_METRICS.map((m) => (
              <figure key={m}>
                <figcaption>{METRIC_LABEL[m]}</figcaption>
                <DoraTrendChart
                  metric={m}
                  buckets={data.data!.trend.buckets}
                  thresholds={data.data!.thresholds}
                />
              </figure>
            ))}
          </div>
        </>
      ) : null}
      {metric ? (
        <section className="dora-evidence" aria-labelledby="dora-evidence-heading">
          <h2 id="dora-evidence-heading">Evidence: {METRIC_LABEL[metric] ?? metric}</h2>
          <ErrorBanner error={evidence.error} onRetry={evidence.reload} />
          {evidence.data ? (
            <EvidenceTables
              evidence={evidence.data}
              serviceName={serviceName}
              onChanged={() => {
                evidence.reload();
                data.reload();
              }}
            />
          ) : null}
          {evidence.loading ? <p aria-live="polite">Loading evidence…</p> : null}
        </section>
      ) : null}
      {services.data ? <DoraRepositories scopeQuery={scopeQuery} services={services.data} /> : null}
    </>
  );
}

function EvidenceTables({
  evidence,
  serviceName,
  onChanged,
}: {
  evidence: DoraEvidence;
  serviceName: Map<string, string>;
  onChanged: () => void;
}) {
  const name = (id: string) => serviceName.get(id) ?? id;
  const [opened, setOpened] = useState<{ id: string; label: string } | null>(null);
  const labelOf = (d: { version: string | null; commit_sha: string }) =>
    d.version ?? d.commit_sha.slice(0, 10);
  type Dep = DoraEvidence['deployments'][number];
  type Change = DoraEvidence['changes'][number];
  type Inc = DoraEvidence['incidents'][number];
  const deploymentColumns: Column<Dep>[] = [
    { key: 'finished', header: 'Finished', cell: (d) => formatDateTime(d.finished_at) },
    { key: 'service', header: 'Service', cell: (d) => name(d.service_id) },
    { key: 'version', header: 'Version', cell: (d) => d.version ?? '—' },
    { key: 'sha', header: 'Commit', cell: (d) => <code>{d.commit_sha.slice(0, 10)}</code> },
    { key: 'kind', header: 'Kind', cell: (d) => d.kind },
    { key: 'status', header: 'Status', cell: (d) => d.status },
    {
      key: 'failed',
      header: 'Counted as failed',
      cell: (d) => (d.failed ? `yes (${d.failure_reasons.join(', ')})` : 'no'),
    },
    {
      key: 'commits',
      header: <span className="visually-hidden">Commits</span>,
      kind: 'actions',
      cell: (d) => (
        <Button
          small
          onClick={() => setOpened({ id: d.id, label: labelOf(d) })}
          aria-label={`Commits of ${labelOf(d)}`}
          aria-pressed={opened?.id === d.id}
        >
          Commits
        </Button>
      ),
    },
  ];
  const changeColumns: Column<Change>[] = [
    { key: 'sha', header: 'Commit', cell: (c) => <code>{c.sha.slice(0, 10)}</code> },
    { key: 'service', header: 'Service', cell: (c) => name(c.service_id) },
    { key: 'committed', header: 'Committed', cell: (c) => formatDateTime(c.committed_at) },
    { key: 'deployed', header: 'Deployed', cell: (c) => formatDateTime(c.deployed_at) },
    { key: 'lead', header: 'Lead time', kind: 'number', cell: (c) => formatSeconds(c.lead_seconds) },
  ];
  const incidentColumns: Column<Inc>[] = [
    {
      key: 'incident',
      header: 'Incident',
      cell: (i) => <Link to={`/incidents/${encodeURIComponent(i.id)}`}>{i.id}</Link>,
    },
    { key: 'service', header: 'Service', cell: (i) => name(i.service_id) },
    { key: 'triggered', header: 'Triggered', cell: (i) => formatDateTime(i.triggered_at) },
    { key: 'restored', header: 'Restored', cell: (i) => formatDateTime(i.restored_at) },
    {
      key: 'ttr',
      header: 'Time to restore',
      kind: 'number',
      cell: (i) => (i.restore_seconds === null ? 'not restored' : formatSeconds(i.restore_seconds)),
    },
    {
      key: 'cause',
      header: 'Caused by deployment',
      cell: (i) => (
        <IncidentCause incidentId={i.id} confirmedId={i.caused_by_deployment_id} onConfirmed={onChanged} />
      ),
    },
  ];
  const kind = evidence.metric;
  return (
    <>
      {kind === 'lead_time' ? (
        <Table
          caption="Changes behind the lead time"
          columns={changeColumns}
          rows={evidence.changes}
          rowKey={(c) => `${c.service_id}:${c.sha}`}
          empty="No changes deployed in this window."
        />
      ) : kind === 'time_to_restore' ? (
        <Table
          caption="Incidents behind the time to restore"
          columns={incidentColumns}
          rows={evidence.incidents}
          rowKey={(i) => i.id}
          empty="No incidents in this window."
        />
      ) : (
        <Table
          caption="Deployments behind the figure"
          columns={deploymentColumns}
          rows={evidence.deployments}
          rowKey={(d) => d.id}
          empty="No production deployments in this window."
        />
      )}
      {opened && kind !== 'lead_time' && kind !== 'time_to_restore' ? (
        <DeploymentCommitsPanel key={opened.id} deploymentId={opened.id} label={opened.label} />
      ) : null}
      {evidence.truncated ? <p className="dora-basis">Only the first 1000 records are shown.</p> : null}
    </>
  );
}
