import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, fetchAll, type Page } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime } from '../../app/format.ts';
import type { AuditEntry, Team } from '../../app/types.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { FlagSwitch } from './flag-switch.tsx';
import {
  auditTargetIds,
  describeStrategy,
  type Flag,
  type FlagEnvironment,
  type FlagStrategy,
  type Segment,
  STRATEGY_LABEL,
} from './flag-types.ts';
import { FlagsStyles } from './flags-styles.tsx';
import {
  ChangeRequestsSection,
  ExperimentSection,
  RolloutPlansSection,
  UsageSection,
} from './release-panels.tsx';
import { StrategyEditor } from './strategy-editor.tsx';
import { VariantsEditor } from './variants-editor.tsx';

export function FlagPage() {
  const { key = '' } = useParams();
  const auth = useAuth();
  const path = `/api/v1/flags/${encodeURIComponent(key)}`;
  const flag = useResource(`flag:${key}`, () => api.get<Flag>(path));
  const [saved, setSaved] = useState<Flag | null>(null);
  const current = saved && saved.key === key ? saved : (flag.data ?? null);
  const environments = useResource('flag-environments', () =>
    api.get<{ items: FlagEnvironment[] }>('/api/v1/environments').then((r) => r.items),
  );
  const segments = useResource('flag-segments', () =>
    api.get<{ items: Segment[] }>('/api/v1/segments').then((r) => r.items),
  );
  const teams = useResource('teams', () =>
    auth.can('catalog.read') ? fetchAll<Team>('/api/v1/teams') : Promise.resolve([] as Team[]),
  );
  const services = useResource('services-all', () =>
    auth.can('catalog.read')
      ? fetchAll<{ id: string; name: string }>('/api/v1/services')
      : Promise.resolve([] as Array<{ id: string; name: string }>),
  );
  const navigate = useNavigate();
  const [archiveError, setArchiveError] = useState<unknown>(null);
  const [status, setStatus] = useState('');
  const [historyVersion, setHistoryVersion] = useState(0);
  const envKeys = (environments.data ?? []).map((e) => e.key);
  const history = useResource(`flag-history:${key}:${envKeys.join(',')}:${historyVersion}`, async () => {
    if (!auth.can('audit.read') || envKeys.length === 0) return [] as AuditEntry[];
    const pages = await Promise.all(
      auditTargetIds(key, envKeys).map((id) =>
        api.get<Page<AuditEntry>>('/api/v1/audit-log', { target_type: 'flag', target_id: id, limit: 50 }),
      ),
    );
    return pages.flatMap((p) => p.items).sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  });
  const canWrite = auth.can('flags.write');
  const owner = useMemo(() => {
    if (!current?.owner_team_id) return 'Organisation-wide';
    return teams.data?.find((t) => t.id === current.owner_team_id)?.name ?? current.owner_team_id;
  }, [current?.owner_team_id, teams.data]);

  function changed(next: Flag, message: string) {
    setSaved(next);
    setStatus(message);
    setHistoryVersion((v) => v + 1);
  }

  if (!current) {
    return (
      <>
        <PageHeader title={key} documentTitle={`Flag ${key}`} />
        <ErrorBanner error={flag.error} onRetry={flag.reload} />
        {flag.loading ? <p>Loading…</p> : null}
      </>
    );
  }

  return (
    <>
      <FlagsStyles />
      <p className="breadcrumb">
        <Link to="/flags">Feature flags</Link>
      </p>
      <PageHeader
        title={<span className="mono">{current.key}</span>}
        documentTitle={`Flag ${current.key}`}
        description={current.description ?? undefined}
      />
      <dl className="facts">
        <div>
          <dt>Type</dt>
          <dd>{current.type}</dd>
        </div>
        <div>
          <dt>Owner team</dt>
          <dd>{owner}</dd>
        </div>
        <div>
          <dt>Tags</dt>
          <dd>{current.tags.length ? current.tags.join(', ') : '—'}</dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd>{current.version}</dd>
        </div>
      </dl>
      <ErrorBanner error={flag.error ?? environments.error ?? archiveError} />
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      {canWrite ? (
        <p className="button-row">
          <Button
            small
            variant="quiet"
            onClick={async () => {
              setArchiveError(null);
              try {
                await api.delete(path);
                navigate('/flags');
              } catch (failure) {
                setArchiveError(failure);
              }
            }}
          >
            Archive flag
          </Button>
        </p>
      ) : null}
      <div className="flag-envs">
        {(environments.data ?? []).map((env) => (
          <EnvironmentPanel
            key={env.key}
            flag={current}
            environment={env}
            segments={segments.data ?? []}
            canWrite={canWrite}
            onChanged={changed}
          />
        ))}
      </div>
      <section className="section" aria-labelledby="variants-heading">
        <h2 id="variants-heading">Variants</h2>
        <p className="muted">
          For A/B tests and typed values: each user gets one variant by weight (sticky on the user). String,
          number and JSON flags answer OFREP with the payload.
        </p>
        {canWrite ? (
          <VariantsEditor
            key={current.version}
            title={`Variants of ${current.key}`}
            variants={current.variants}
            onSave={async (variants) => {
              const next = await api.patch<Flag>(path, { variants });
              changed(next, 'Variants saved.');
            }}
          />
        ) : (
          <ul>
            {current.variants.map((v) => (
              <li key={v.name}>
                {v.name}: weight {v.weight}
                {v.payload ? ` (${v.payload.type} payload)` : ''}
              </li>
            ))}
          </ul>
        )}
      </section>
      <RolloutPlansSection
        flag={current}
        environments={environments.data ?? []}
        services={services.data ?? []}
        canWrite={canWrite}
        onChanged={(message) => {
          setStatus(message);
          setHistoryVersion((v) => v + 1);
          flag.reload();
          setSaved(null);
        }}
      />
      <ChangeRequestsSection
        key={`cr-${historyVersion}`}
        flagKey={current.key}
        canWrite={canWrite}
        onChanged={(message) => {
          setStatus(message);
          setHistoryVersion((v) => v + 1);
          flag.reload();
          setSaved(null);
        }}
      />
      {current.variants.length >= 2 ? <ExperimentSection flag={current} /> : null}
      <UsageSection flagKey={current.key} />
      {auth.can('audit.read') ? (
        <section className="section" aria-labelledby="history-heading">
          <h2 id="history-heading">History</h2>
          <ErrorBanner error={history.error} onRetry={history.reload} />
          {history.data && history.data.length === 0 ? <p className="muted">No changes recorded.</p> : null}
          <ol className="flag-history" aria-label={`History of ${current.key}`}>
            {(history.data ?? []).map((entry) => (
              <li key={entry.id}>
                <span className="flag-history-action">{entry.action}</span>
                {entry.target_id?.includes('@') ? (
                  <span className="badge">{entry.target_id.split('@').pop()}</span>
                ) : null}
                <span className="flag-history-meta">
                  {entry.actor_name} · {formatDateTime(entry.at)}
                </span>
              </li>
            ))}
          </ol>
        </section>
      ) : null}
    </>
  );
}

function EnvironmentPanel({
  flag,
  environment,
  segments,
  canWrite,
  onChanged,
}: {
  flag: Flag;
  environment: FlagEnvironment;
  segments: readonly Segment[];
  canWrite: boolean;
  onChanged(flag: Flag, message: string): void;
}) {
  const state = flag.environments[environment.key];
  const strategies = state?.strategies ?? [];
  /** null: closed; -1: adding; n: editing strategy n. */
  const [editing, setEditing] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const headingId = `env-${environment.key}-heading`;

  async function saveStrategies(next: FlagStrategy[], message: string) {
    if (environment.require_approval) {
      await api.post('/api/v1/change-requests', {
        kind: 'environment',
        flag_key: flag.key,
        environment: environment.key,
        change: { strategies: next },
      });
      setEditing(null);
      onChanged(flag, `${environment.name} requires approval: the change waits for a second person.`);
      return;
    }
    const updated = await api.patch<Flag>(
      `/api/v1/flags/${encodeURIComponent(flag.key)}/environments/${encodeURIComponent(environment.key)}`,
      { strategies: next },
    );
    setEditing(null);
    onChanged(updated, message);
  }

  return (
    <section
      className={`flag-env flag-env-${environment.key}`}
      aria-labelledby={headingId}
      data-environment={environment.key}
    >
      <div className="flag-env-header">
        <h2 id={headingId}>
          {environment.name}
          {environment.require_approval ? <span className="badge">Needs approval</span> : null}
        </h2>
        <FlagSwitch
          flagKey={flag.key}
          environment={environment.key}
          environmentName={environment.name}
          enabled={state?.enabled ?? false}
          disabled={!canWrite}
          requiresApproval={environment.require_approval}
          onChanged={(f) =>
            onChanged(
              f,
              `${flag.key} turned ${f.environments[environment.key]?.enabled ? 'on' : 'off'} in ${environment.name}.`,
            )
          }
        />
      </div>
      <ErrorBanner error={error} />
      {strategies.length === 0 ? (
        <p className="muted">No strategies: when on, the flag is on for everyone.</p>
      ) : (
        <ul className="flag-strategies" aria-label={`Strategies in ${environment.name}`}>
          {strategies.map((s, i) => (
            <li key={s.id ?? `${s.name}-${i}`} className="flag-strategy">
              <div>
                <div className="flag-strategy-name">{STRATEGY_LABEL[s.name] ?? s.name}</div>
                <div className="flag-strategy-text">{describeStrategy(s)}</div>
              </div>
              {canWrite ? (
                <span className="button-row">
                  <Button
                    small
                    onClick={() => setEditing(i)}
                    aria-label={`Edit strategy ${i + 1} in ${environment.name}`}
                  >
                    Edit
                  </Button>
                  <Button
                    small
                    variant="quiet"
                    aria-label={`Remove strategy ${i + 1} in ${environment.name}`}
                    onClick={async () => {
                      setError(null);
                      try {
                        await saveStrategies(
                          strategies.filter((_, j) => j !== i),
                          `Strategy removed in ${environment.name}.`,
                        );
                      } catch (failure) {
                        setError(failure);
                      }
                    }}
                  >
                    Remove
                  </Button>
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {editing !== null ? (
        <StrategyEditor
          key={`${flag.version}-${editing}`}
          flagKey={flag.key}
          environmentName={environment.name}
          initial={editing >= 0 ? (strategies[editing] ?? null) : null}
          segments={segments}
          onCancel={() => setEditing(null)}
          onSave={(strategy) =>
            saveStrategies(
              editing >= 0
                ? strategies.map((s, j) => (j === editing ? strategy : s))
                : [...strategies, strategy],
              `Strategy saved in ${environment.name}.`,
            )
          }
        />
      ) : canWrite ? (
        <Button small onClick={() => setEditing(-1)} aria-label={`Add strategy in ${environment.name}`}>
          Add strategy
        </Button>
      ) : null}
    </section>
  );
}
