import type { ChangeRequest, ExperimentResult, RolloutPlan } from '@engops/contracts';
import { useState } from 'react';
import { api } from '../../app/api-client.ts';
import { formatDateTime } from '../../app/format.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import type { Flag, FlagEnvironment } from './flag-types.ts';

const enc = encodeURIComponent;
const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`;

/** "1, 5, 25" -> [1, 5, 25] (what the form accepts; the server checks the rest). */
export function parseSteps(text: string): number[] {
  return text
    .split(/[\s,;]+/)
    .filter((s) => s !== '')
    .map((s) => Number(s.replace(/%$/, '')));
}

const STATUS_TEXT: Record<RolloutPlan['status'], string> = {
  active: 'Running',
  paused: 'Paused',
  completed: 'Completed',
  cancelled: 'Cancelled',
};

/** Rollout plans of one flag: progress, pause/rollback/resume/cancel, and a form to start one. */
export function RolloutPlansSection({
  flag,
  environments,
  services,
  canWrite,
  onChanged,
}: {
  flag: Flag;
  environments: readonly FlagEnvironment[];
  services: ReadonlyArray<{ id: string; name: string }>;
  canWrite: boolean;
  onChanged(message: string): void;
}) {
  const [version, setVersion] = useState(0);
  const plans = useResource(`rollout-plans:${flag.key}:${version}`, () =>
    api.get<{ items: RolloutPlan[] }>('/api/v1/rollout-plans', { flag_key: flag.key }).then((r) => r.items),
  );
  const [error, setError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  const reload = (message: string) => {
    setVersion((v) => v + 1);
    onChanged(message);
  };
  const act = async (plan: RolloutPlan, action: 'pause' | 'rollback' | 'resume' | 'cancel') => {
    setError(null);
    try {
      const url = `/api/v1/rollout-plans/${enc(plan.id)}/${action === 'rollback' ? 'pause' : action}`;
      await api.post(
        url,
        action === 'pause' || action === 'rollback' ? { rollback: action === 'rollback' } : undefined,
      );
      reload(
        action === 'rollback'
          ? `Rollout plan paused and rolled back to 0% in ${plan.environment}.`
          : `Rollout plan ${action === 'pause' ? 'paused' : action === 'resume' ? 'resumed' : 'cancelled'}.`,
      );
    } catch (failure) {
      setError(failure);
    }
  };
  const open = (plans.data ?? []).some((p) => p.status === 'active' || p.status === 'paused');

  return (
    <section className="section" aria-labelledby="rollout-heading">
      <h2 id="rollout-heading">Rollout plan</h2>
      <p className="muted">
        A plan raises the rollout step by step on a schedule. An incident on a linked service pauses it and
        rolls the flag back to 0%, and the owning team is emailed.
      </p>
      <ErrorBanner error={plans.error ?? error} onRetry={plans.reload} />
      {(plans.data ?? []).length === 0 && !plans.loading ? (
        <p className="muted">No rollout plan yet.</p>
      ) : null}
      <ul className="flag-plans" aria-label={`Rollout plans of ${flag.key}`}>
        {(plans.data ?? []).map((plan) => (
          <li key={plan.id} className="flag-plan" data-status={plan.status}>
            <div className="flag-plan-head">
              <strong>{plan.environment}</strong> <span className="badge">{STATUS_TEXT[plan.status]}</span>{' '}
              <span>
                {plan.current_step < 0
                  ? 'Starting'
                  : `Step ${plan.current_step + 1} of ${plan.steps.length}: ${plan.current_percent}%`}
              </span>
            </div>
            <ol className="flag-plan-steps" aria-label="Steps">
              {plan.steps.map((s, i) => (
                <li key={`${plan.id}-${s}`} aria-current={i === plan.current_step ? 'step' : undefined}>
                  {s}%
                </li>
              ))}
            </ol>
            <div className="muted">
              Every {plan.interval_minutes} min
              {plan.next_step_at ? ` · next step ${formatDateTime(plan.next_step_at)}` : ''}
              {plan.service_ids.length
                ? ` · watches ${plan.service_ids.map((id) => services.find((s) => s.id === id)?.name ?? id).join(', ')}`
                : ''}
            </div>
            {plan.paused_reason ? <p className="flag-plan-paused">{plan.paused_reason}</p> : null}
            {canWrite && (plan.status === 'active' || plan.status === 'paused') ? (
              <span className="button-row">
                {plan.status === 'active' ? (
                  <Button small onClick={() => act(plan, 'pause')}>
                    Pause
                  </Button>
                ) : (
                  <Button small onClick={() => act(plan, 'resume')}>
                    Resume
                  </Button>
                )}
                <Button small variant="danger" onClick={() => act(plan, 'rollback')}>
                  Roll back to 0%
                </Button>
                <Button small variant="quiet" onClick={() => act(plan, 'cancel')}>
                  Cancel plan
                </Button>
              </span>
            ) : null}
          </li>
        ))}
      </ul>
      {canWrite && !open ? (
        starting ? (
          <Form
            label="Start a rollout plan"
            submitLabel="Start plan"
            onCancel={() => setStarting(false)}
            onSubmit={async (values) => {
              const environment = String(values.get('environment'));
              const plan = {
                steps: parseSteps(String(values.get('steps') ?? '')),
                interval_minutes: Number(values.get('interval_minutes')),
                service_ids: values.getAll('service_ids').map(String),
              };
              const env = environments.find((e) => e.key === environment);
              if (env?.require_approval) {
                await api.post('/api/v1/change-requests', {
                  kind: 'rollout_plan',
                  flag_key: flag.key,
                  environment,
                  change: plan,
                });
                setStarting(false);
                reload(`${env.name} requires approval: the rollout plan waits for a second person.`);
                return;
              }
              await api.post(`/api/v1/flags/${enc(flag.key)}/rollout-plans`, { environment, ...plan });
              setStarting(false);
              reload(`Rollout plan started in ${env?.name ?? environment}.`);
            }}
          >
            <SelectField
              label="Environment"
              name="environment"
              defaultValue="production"
              options={environments.map((e) => ({
                value: e.key,
                label: e.require_approval ? `${e.name} (needs approval)` : e.name,
              }))}
            />
            <Field
              label="Steps (%)"
              name="steps"
              defaultValue="1, 5, 25, 50, 100"
              hint="Increasing percentages"
            />
            <Field
              label="Minutes between steps"
              name="interval_minutes"
              type="number"
              min={1}
              defaultValue={60}
            />
            <div className="field">
              <label htmlFor="plan-services">Pause on incidents of</label>
              <select
                id="plan-services"
                name="service_ids"
                multiple
                size={Math.min(6, Math.max(2, services.length))}
              >
                {services.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
            </div>
          </Form>
        ) : (
          <Button small onClick={() => setStarting(true)}>
            Start a rollout plan
          </Button>
        )
      ) : null}
    </section>
  );
}

/** Pending change requests (all, or one flag's), with approve / reject. */
export function ChangeRequestsSection({
  flagKey,
  canWrite,
  onChanged,
}: {
  flagKey?: string;
  canWrite: boolean;
  onChanged(message: string): void;
}) {
  const [version, setVersion] = useState(0);
  const requests = useResource(`change-requests:${flagKey ?? '*'}:${version}`, () =>
    api
      .get<{ items: ChangeRequest[] }>('/api/v1/change-requests', {
        status: 'pending',
        ...(flagKey ? { flag_key: flagKey } : {}),
      })
      .then((r) => r.items),
  );
  const [error, setError] = useState<unknown>(null);
  const decide = async (request: ChangeRequest, action: 'approve' | 'reject') => {
    setError(null);
    try {
      await api.post(`/api/v1/change-requests/${enc(request.id)}/${action}`, {});
      setVersion((v) => v + 1);
      onChanged(
        action === 'approve'
          ? `Change to ${request.flag_key} in ${request.environment} approved and applied.`
          : `Change to ${request.flag_key} in ${request.environment} rejected.`,
      );
    } catch (failure) {
      setError(failure);
    }
  };
  const columns: Column<ChangeRequest>[] = [
    { key: 'flag', header: 'Flag', cell: (r) => <span className="mono">{r.flag_key}</span> },
    { key: 'env', header: 'Environment', cell: (r) => r.environment },
    { key: 'change', header: 'Change', cell: (r) => describeChange(r) },
    {
      key: 'by',
      header: 'Requested by',
      cell: (r) => `${r.requested_by.name} · ${formatDateTime(r.requested_at)}`,
    },
    {
      key: 'actions',
      header: 'Decision',
      kind: 'actions',
      cell: (r) =>
        canWrite ? (
          <span className="button-row">
            <Button
              small
              variant="primary"
              onClick={() => decide(r, 'approve')}
              aria-label={`Approve ${r.id}`}
            >
              Approve
            </Button>
            <Button small variant="quiet" onClick={() => decide(r, 'reject')} aria-label={`Reject ${r.id}`}>
              Reject
            </Button>
          </span>
        ) : null,
    },
  ];
  return (
    <section className="section" aria-labelledby="change-requests-heading">
      <h2 id="change-requests-heading">Changes waiting for approval</h2>
      <p className="muted">A second person approves; the requester cannot. Approved changes apply at once.</p>
      <ErrorBanner error={requests.error ?? error} onRetry={requests.reload} />
      <Table
        caption="Changes waiting for approval"
        columns={columns}
        rows={requests.data ?? []}
        rowKey={(r) => r.id}
        loading={requests.loading}
        empty="Nothing waits for approval."
      />
    </section>
  );
}

function describeChange(r: ChangeRequest): string {
  const c = r.change as {
    enabled?: boolean;
    strategies?: unknown[];
    variants?: unknown[];
    steps?: number[];
    interval_minutes?: number;
  };
  if (r.kind === 'rollout_plan')
    return `Rollout plan ${(c.steps ?? []).join('% → ')}% every ${c.interval_minutes} min`;
  const parts: string[] = [];
  if (c.enabled !== undefined) parts.push(c.enabled ? 'turn on' : 'turn off');
  if (c.strategies) parts.push(`${c.strategies.length} strategies`);
  if (c.variants) parts.push(`${c.variants.length} variants`);
  return parts.join(', ') || 'no change';
}

/** A/B results: table, a bar chart with 95% intervals, and what to make of it. */
export function ExperimentSection({ flag }: { flag: Flag }) {
  const [metric, setMetric] = useState('conversion');
  const [kind, setKind] = useState<'conversion' | 'mean'>('conversion');
  const result = useResource(`experiment:${flag.key}:${metric}:${kind}:${flag.version}`, () =>
    api.get<ExperimentResult>(`/api/v1/flags/${enc(flag.key)}/experiment`, { metric, kind }),
  );
  const data = result.data;
  const show = (x: number | null) => (kind === 'conversion' ? pct(x) : x === null ? '—' : x.toFixed(2));
  const columns: Column<ExperimentResult['variants'][number]>[] = [
    {
      key: 'name',
      header: 'Variant',
      cell: (v) => (v.name === data?.control ? `${v.name} (control)` : v.name),
    },
    { key: 'users', header: 'Users', kind: 'number', cell: (v) => v.users.toLocaleString('en') },
    {
      key: 'value',
      header: kind === 'conversion' ? 'Conversion rate' : `Mean ${metric}`,
      kind: 'number',
      cell: (v) => show(v.value),
    },
    {
      key: 'lift',
      header: 'Lift (95% CI)',
      kind: 'number',
      cell: (v) =>
        v.relative_lift === null
          ? '—'
          : `${pct(v.relative_lift)} (${pct(v.relative_ci?.low)} to ${pct(v.relative_ci?.high)})`,
    },
    {
      key: 'p',
      header: 'p-value',
      kind: 'number',
      cell: (v) => (v.p_value === null ? '—' : v.p_value.toFixed(4)),
    },
    {
      key: 'beat',
      header: 'Chance to beat control',
      kind: 'number',
      cell: (v) => pct(v.chance_to_beat_control),
    },
    {
      key: 'sdk',
      header: 'SDK evaluations',
      kind: 'number',
      cell: (v) => v.sdk_evaluations.toLocaleString('en'),
    },
  ];
  const max = Math.max(1e-9, ...(data?.variants ?? []).map((v) => v.value ?? 0));
  return (
    <section className="section" aria-labelledby="experiment-heading">
      <h2 id="experiment-heading">Experiment</h2>
      <div className="flag-search">
        <Field
          label="Metric"
          name="metric"
          value={metric}
          onChange={(e) => setMetric(e.currentTarget.value || 'conversion')}
        />
        <SelectField
          label="Measure"
          name="kind"
          value={kind}
          onChange={(e) => setKind(e.currentTarget.value as 'conversion' | 'mean')}
          options={[
            { value: 'conversion', label: 'Conversion rate' },
            { value: 'mean', label: 'Mean value per user' },
          ]}
        />
      </div>
      <ErrorBanner error={result.error} onRetry={result.reload} />
      {data ? (
        <>
          <p className={`flag-verdict flag-verdict-${data.verdict}`} role="note">
            {data.guidance}
          </p>
          <Table
            caption={`Experiment results of ${flag.key}`}
            columns={columns}
            rows={data.variants}
            rowKey={(v) => v.name}
          />
          <figure className="flag-chart" aria-label={`Chart of ${metric} per variant`}>
            {data.variants.map((v) => (
              <div key={v.name} className="flag-chart-row">
                <span className="flag-chart-label">{v.name}</span>
                <span className="flag-chart-track">
                  <span className="flag-chart-bar" style={{ width: `${((v.value ?? 0) / max) * 100}%` }} />
                </span>
                <span className="flag-chart-value">{show(v.value)}</span>
              </div>
            ))}
            <figcaption className="muted">
              Sample ratio check: χ² = {data.sample_ratio.chi_square.toFixed(2)}, p ={' '}
              {data.sample_ratio.p_value.toFixed(4)}
              {data.sample_ratio.mismatch ? ' — mismatch' : ''}
            </figcaption>
          </figure>
        </>
      ) : null}
    </section>
  );
}

/** What SDKs reported evaluating, per environment. */
export function UsageSection({ flagKey }: { flagKey: string }) {
  const usage = useResource(`usage:${flagKey}`, () =>
    api
      .get<{
        items: Array<{
          environment: string;
          yes: number;
          no: number;
          variants: Record<string, number>;
          apps: string[];
          last_hour: string;
        }>;
      }>(`/api/v1/flags/${enc(flagKey)}/usage`)
      .then((r) => r.items),
  );
  return (
    <section className="section" aria-labelledby="usage-heading">
      <h2 id="usage-heading">SDK usage</h2>
      <ErrorBanner error={usage.error} onRetry={usage.reload} />
      <Table
        caption={`SDK usage of ${flagKey}`}
        rows={usage.data ?? []}
        rowKey={(u) => u.environment}
        loading={usage.loading}
        empty="No SDK has reported evaluating this flag."
        columns={[
          { key: 'env', header: 'Environment', cell: (u) => u.environment },
          { key: 'yes', header: 'On', kind: 'number', cell: (u) => u.yes.toLocaleString('en') },
          { key: 'no', header: 'Off', kind: 'number', cell: (u) => u.no.toLocaleString('en') },
          {
            key: 'variants',
            header: 'Variants',
            cell: (u) =>
              Object.entries(u.variants)
                .map(([name, n]) => `${name} ${n}`)
                .join(', ') || '—',
          },
          { key: 'apps', header: 'Applications', cell: (u) => u.apps.join(', ') },
          { key: 'last', header: 'Last seen', cell: (u) => formatDateTime(u.last_hour) },
        ]}
      />
    </section>
  );
}
