import type { Judgement, Release, ReleaseEvent } from '@engops/contracts';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime, text } from '../../app/format.ts';
import type { Service } from '../../app/types.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader } from '../../ui/page-header.tsx';
import { CanaryChart, formatNumber, formatP } from './canary-chart.tsx';
import { ReleasesStyles, StatusPill } from './releases-styles.tsx';

interface Loaded {
  release: Release;
  service: Service;
  timeline: ReleaseEvent[];
  metrics: { metric: string; canary: number[]; baseline: number[] }[];
}

/** One release: its stages in order, the canary charts with the verdict, and the timeline. */
export function ReleasePage() {
  const { id = '' } = useParams();
  const auth = useAuth();
  const [rollingBack, setRollingBack] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const data = useResource<Loaded>(`release:${id}`, async () => {
    const release = await api.get<Release>(`/api/v1/releases/${encodeURIComponent(id)}`);
    const [service, timeline, metrics] = await Promise.all([
      api.get<Service>(`/api/v1/services/${encodeURIComponent(release.service_id)}`),
      api.get<{ items: ReleaseEvent[] }>(`/api/v1/releases/${encodeURIComponent(id)}/timeline`),
      api.get<{ metrics: Loaded['metrics'] }>(`/api/v1/releases/${encodeURIComponent(id)}/metrics`),
    ]);
    return { release, service, timeline: timeline.items, metrics: metrics.metrics };
  });
  const d = data.data;

  async function judge() {
    setActionError(null);
    try {
      await api.post<Judgement>(`/api/v1/releases/${encodeURIComponent(id)}/judge`);
      data.reload();
    } catch (error) {
      setActionError(error);
    }
  }

  async function approve(stage: string) {
    setActionError(null);
    try {
      await api.post(`/api/v1/releases/${encodeURIComponent(id)}/approvals`, { stage });
      data.reload();
    } catch (error) {
      setActionError(error);
    }
  }

  async function rollback(values: FormData) {
    await api.post(`/api/v1/releases/${encodeURIComponent(id)}/rollback`, { reason: text(values, 'reason') });
    setRollingBack(false);
    data.reload();
  }

  const title = d ? `${d.service.name} ${d.release.version}` : 'Release';
  const judgement = d?.release.judgement ?? null;
  const canWrite = auth.can('releases.write');
  return (
    <>
      <ReleasesStyles />
      <PageHeader
        title={title}
        description={
          d ? (
            <Link to={`/releases?service=${encodeURIComponent(d.service.id)}`}>
              All releases of {d.service.name}
            </Link>
          ) : null
        }
        actions={
          d && canWrite ? (
            <>
              <Button small onClick={judge}>
                Judge canary now
              </Button>
              {d.release.deployment_id && d.release.status !== 'rolled_back' ? (
                <Button small variant="danger" onClick={() => setRollingBack(true)}>
                  Roll back
                </Button>
              ) : null}
            </>
          ) : null
        }
      />
      <ErrorBanner error={data.error ?? actionError} onRetry={data.reload} />
      {data.loading && !d ? <p aria-live="polite">Loading…</p> : null}
      {d ? (
        <>
          <dl className="rel-summary">
            <div>
              <dt>Status</dt>
              <dd data-testid="release-status">
                <StatusPill status={d.release.status} />
              </dd>
            </div>
            <div>
              <dt>Commit</dt>
              <dd>
                <code>{d.release.commit_sha.slice(0, 12)}</code>
              </dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>
                {formatDateTime(d.release.created_at)} by {d.release.created_by}
              </dd>
            </div>
            {d.release.monitor_until ? (
              <div>
                <dt>Monitor window until</dt>
                <dd>{formatDateTime(d.release.monitor_until)}</dd>
              </div>
            ) : null}
            {d.release.harmful_reason ? (
              <div>
                <dt>Harm</dt>
                <dd>{d.release.harmful_reason}</dd>
              </div>
            ) : null}
          </dl>
          <h2>Stages</h2>
          <ol className="rel-steps" aria-label="Stages">
            {d.release.stages.map((s) => (
              <li key={s.name} data-stage={s.name}>
                <h3>{s.name}</h3>
                <StatusPill status={s.status} />
                {s.started_at ? <p>Started {formatDateTime(s.started_at)}</p> : null}
                {s.finished_at ? <p>Finished {formatDateTime(s.finished_at)}</p> : null}
                {s.approvals ? (
                  <p>
                    Approvals {s.approvals_given} of {s.approvals}
                  </p>
                ) : null}
                {canWrite && s.status === 'pending' && s.approvals > s.approvals_given ? (
                  <Button small onClick={() => approve(s.name)} aria-label={`Approve ${s.name}`}>
                    Approve
                  </Button>
                ) : null}
              </li>
            ))}
          </ol>
          <h2>Canary</h2>
          {judgement ? (
            <p className="rel-verdict" data-testid="verdict">
              Verdict: <StatusPill status={judgement.verdict} /> score <strong>{judgement.score}</strong> of
              100 (promote at {judgement.thresholds.promote}, hold from {judgement.thresholds.hold}), judged{' '}
              {formatDateTime(judgement.judged_at)}
            </p>
          ) : (
            <p>Not judged yet.</p>
          )}
          <div className="rel-charts">
            {d.metrics.map((m) => {
              const judged = judgement?.metrics.find((j) => j.metric === m.metric);
              return (
                <figure key={m.metric}>
                  <figcaption>
                    <span>{m.metric}</span>
                    {judged ? <StatusPill status={judged.classification} /> : null}
                  </figcaption>
                  <CanaryChart metric={m.metric} canary={m.canary} baseline={m.baseline} judged={judged} />
                  {judged ? (
                    <p className="rel-stats">
                      median {formatNumber(judged.canary_median)} vs {formatNumber(judged.baseline_median)}; U{' '}
                      {formatNumber(judged.u)}, p {formatP(judged.p_value)}
                    </p>
                  ) : null}
                </figure>
              );
            })}
          </div>
          {d.metrics.length === 0 ? <p>No canary or baseline samples pushed.</p> : null}
          <h2>Timeline</h2>
          <ol className="rel-timeline" aria-label="Timeline">
            {d.timeline.map((e) => (
              <li key={e.id}>
                <time dateTime={e.at}>{formatDateTime(e.at)}</time>
                <span>
                  {describe(e)} <span className="rel-stats">by {e.actor}</span>
                </span>
              </li>
            ))}
          </ol>
        </>
      ) : null}
      {rollingBack ? (
        <Dialog title="Roll back this release" onClose={() => setRollingBack(false)}>
          <Form
            onSubmit={rollback}
            submitLabel="Roll back"
            submitVariant="danger"
            onCancel={() => setRollingBack(false)}
          >
            <Field label="Reason" name="reason" required minLength={3} maxLength={1000} />
          </Form>
        </Dialog>
      ) : null}
    </>
  );
}

function describe(e: ReleaseEvent): string {
  const details = (e.details ?? {}) as Record<string, unknown>;
  switch (e.kind) {
    case 'created':
      return `Release created (${String(details.pipeline ?? 'pipeline')})`;
    case 'stage':
      return `Stage ${e.stage} ${e.status}`;
    case 'override':
      return `Override on ${e.stage}: ${String(details.reason ?? '')}`;
    case 'approval':
      return `Stage ${e.stage} approved`;
    case 'judgement':
      return `Canary judged: ${e.status} (score ${String(details.score ?? '—')})`;
    case 'harm':
      return `Marked harmful: ${String(details.reason ?? '')}`;
    case 'rollback':
      return `Rolled back${details.rollback_to ? ` to ${String(details.rollback_to)}` : ''}`;
    case 'monitor':
      return 'Monitor window passed without harm';
    case 'canary':
      return e.status === 'traffic'
        ? `Canary traffic set to ${String(details.percent)}% through flag ${String(details.flag)}`
        : e.status === 'held'
          ? `Canary held for a person (score ${String(details.score ?? '—')})`
          : `Canary flag ${String(details.flag)} could not be changed: ${String(details.error ?? '')}`;
  }
}
