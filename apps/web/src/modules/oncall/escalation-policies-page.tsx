import { useState } from 'react';
import { api, clientError, fetchAll } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { text } from '../../app/format.ts';
import type { Service } from '../../app/types.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { type EscalationPolicy, OncallNav, type Schedule, useDirectory } from './oncall-bits.tsx';
import { OncallStyles } from './oncall-styles.tsx';

interface Lists {
  policies: EscalationPolicy[];
  schedules: Schedule[];
  services: Service[];
}

/** /oncall/policies: escalation policies (levels of targets) and which service pages through which. */
export function EscalationPoliciesPage() {
  const auth = useAuth();
  const directory = useDirectory();
  const lists = useResource<Lists>('oncall-policies', async () => {
    const [policies, schedules, services] = await Promise.all([
      api.get<{ items: EscalationPolicy[] }>('/api/v1/escalation-policies').then((r) => r.items),
      api.get<{ items: Schedule[] }>('/api/v1/schedules').then((r) => r.items),
      fetchAll<Service>('/api/v1/services'),
    ]);
    return { policies, schedules, services };
  });
  const [message, setMessage] = useState('');
  const [editing, setEditing] = useState<EscalationPolicy | null>(null);
  const data = lists.data ?? { policies: [], schedules: [], services: [] };
  const scheduleName = (id: string) => data.schedules.find((s) => s.id === id)?.name ?? id;
  const canManage = auth.can('oncall.manage');

  const columns: Column<EscalationPolicy>[] = [
    { key: 'name', header: 'Policy', cell: (p) => p.name },
    { key: 'team', header: 'Team', cell: (p) => directory.teamName(p.team_id) },
    {
      key: 'steps',
      header: 'Levels',
      cell: (p) => (
        <ol className="policy-steps">
          {p.levels.map((s, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: levels are positional
            <li key={i}>
              {s.targets
                .map((t) =>
                  t.type === 'schedule' ? `on call on ${scheduleName(t.id)}` : directory.nameOf(t.id),
                )
                .join(', ')}
              <span className="muted">
                {' '}
                ·{' '}
                {i < p.levels.length - 1
                  ? `next level after ${formatDelay(s.delay_seconds)}`
                  : p.repeat > 0
                    ? `starts over after ${formatDelay(s.delay_seconds)} (${p.repeat}×)`
                    : 'last level'}
              </span>
            </li>
          ))}
        </ol>
      ),
    },
    { key: 'repeat', header: 'Repeats', kind: 'number', cell: (p) => p.repeat },
    {
      key: 'services',
      header: 'Services',
      cell: (p) =>
        p.service_ids.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          p.service_ids.map((id) => data.services.find((s) => s.id === id)?.name ?? id).join(', ')
        ),
    },
    {
      key: 'actions',
      header: 'Actions',
      cell: (p) =>
        canManage ? (
          <div className="button-row">
            <Button small variant="quiet" onClick={() => setEditing(p)} aria-label={`Edit ${p.name}`}>
              Edit
            </Button>
            <Button
              small
              variant="quiet"
              disabled={p.service_ids.length > 0}
              title={
                p.service_ids.length > 0 ? 'Services page through it: link them elsewhere first' : undefined
              }
              onClick={async () => {
                if (!window.confirm(`Delete escalation policy ${p.name}?`)) return;
                try {
                  await api.delete(`/api/v1/escalation-policies/${encodeURIComponent(p.id)}`);
                  setMessage(`Escalation policy ${p.name} deleted`);
                  lists.reload();
                } catch (error) {
                  setMessage(error instanceof Error ? error.message : String(error));
                }
              }}
            >
              Delete
            </Button>
          </div>
        ) : null,
    },
  ];
  const covered = new Set(data.policies.flatMap((p) => p.service_ids));
  const uncovered = data.services.filter((s) => !covered.has(s.id));

  return (
    <>
      <OncallStyles />
      <PageHeader
        title="Escalation policies"
        description="Clear escalation paths: level 1 is paged at once; if nobody acknowledges within its delay, the next level is paged."
      />
      <OncallNav />
      {message ? <StatusMessage>{message}</StatusMessage> : null}
      <ErrorBanner error={lists.error ?? directory.people.error} onRetry={lists.reload} />
      {uncovered.length > 0 && !lists.loading ? (
        <div className="oncall-warning" role="alert">
          <strong>Without an escalation policy:</strong> {uncovered.map((s) => s.name).join(', ')}. Their
          incidents email the team's responders instead of following a clear escalation path.
        </div>
      ) : null}
      <Table
        caption="Escalation policies"
        columns={columns}
        rows={data.policies}
        rowKey={(p) => p.id}
        loading={lists.loading}
        empty="No escalation policies yet."
      />
      {canManage ? (
        <div className="oncall-columns">
          {editing ? (
            <section className="section" aria-labelledby="edit-policy">
              <h2 id="edit-policy">Edit {editing.name}</h2>
              <NewPolicyForm
                key={editing.id}
                directory={directory}
                schedules={data.schedules}
                editing={editing}
                onCancel={() => setEditing(null)}
                onCreated={(p) => {
                  setMessage(`Escalation policy ${p.name} saved`);
                  setEditing(null);
                  lists.reload();
                }}
              />
            </section>
          ) : null}
          <section className="section" aria-labelledby="new-policy">
            <h2 id="new-policy">New escalation policy</h2>
            <NewPolicyForm
              directory={directory}
              schedules={data.schedules}
              onCreated={(p) => {
                setMessage(`Escalation policy ${p.name} created`);
                lists.reload();
              }}
            />
          </section>
          <section className="section" aria-labelledby="service-policy">
            <h2 id="service-policy">Set a service's policy</h2>
            <p className="muted">
              Incidents on the service page through this policy. A service without one emails its team's
              responders.
            </p>
            <Form
              label="Set a service's policy"
              submitLabel="Set policy"
              onSubmit={async (form) => {
                const serviceId = text(form, 'service_id');
                const policyId = text(form, 'escalation_policy_id');
                if (!serviceId || !policyId)
                  throw clientError('Missing choice', 'Pick a service and a policy.');
                await api.patch(`/api/v1/services/${encodeURIComponent(serviceId)}`, {
                  escalation_policy_id: policyId,
                });
                lists.reload();
                const service = data.services.find((s) => s.id === serviceId)?.name ?? serviceId;
                const policy = data.policies.find((p) => p.id === policyId)?.name ?? policyId;
                setMessage(`${service} now pages through ${policy}`);
              }}
            >
              <SelectField
                label="Service"
                name="service_id"
                options={data.services.map((s) => ({
                  value: s.id,
                  label: `${s.name} (${directory.teamName(s.team_id)})`,
                }))}
              />
              <SelectField
                label="Escalation policy"
                name="escalation_policy_id"
                options={data.policies.map((p) => ({ value: p.id, label: p.name }))}
              />
            </Form>
          </section>
        </div>
      ) : null}
    </>
  );
}

/** Creates a policy, or with `editing`, changes one (PATCH: name, levels, repeat). */
function NewPolicyForm({
  directory,
  schedules,
  onCreated,
  editing,
  onCancel,
}: {
  directory: ReturnType<typeof useDirectory>;
  schedules: Schedule[];
  onCreated: (p: EscalationPolicy) => void;
  editing?: EscalationPolicy;
  onCancel?: () => void;
}) {
  const teams = directory.teams.data ?? [];
  const [teamId, setTeamId] = useState('');
  const team = editing?.team_id ?? (teamId || teams[0]?.id || '');
  const [steps, setSteps] = useState(editing?.levels.length ?? 1);
  const targets = [
    ...schedules
      .filter((s) => s.team_id === team)
      .map((s) => ({ value: `schedule:${s.id}`, label: `Schedule: ${s.name} (whoever is on call)` })),
    ...(directory.people.data ?? []).map((u) => ({
      value: `user:${u.id}`,
      label: `Person: ${u.name} (${u.email})`,
    })),
  ];

  return (
    <Form
      label={editing ? `Edit ${editing.name}` : 'New escalation policy'}
      submitLabel={editing ? 'Save policy' : 'Create policy'}
      {...(onCancel ? { onCancel } : {})}
      onSubmit={async (form, el) => {
        const levels = Array.from({ length: steps }, (_, i) => ({
          delay_seconds: Math.round(Number(text(form, `delay_${i}`)) * 60),
          targets: form
            .getAll(`targets_${i}`)
            .map(String)
            .map((v) => {
              const [type, ...rest] = v.split(':');
              return { type, id: rest.join(':') };
            }),
        }));
        const body = { name: text(form, 'name'), repeat: Number(text(form, 'repeat') || '0'), levels };
        const created = editing
          ? await api.patch<EscalationPolicy>(
              `/api/v1/escalation-policies/${encodeURIComponent(editing.id)}`,
              body,
            )
          : await api.post<EscalationPolicy>('/api/v1/escalation-policies', { ...body, team_id: team });
        el.reset();
        setSteps(1);
        onCreated(created);
      }}
    >
      <div className="form-row">
        <Field label="Name" name="name" required maxLength={200} defaultValue={editing?.name ?? ''} />
        <SelectField
          label="Team"
          name="team_id"
          value={team}
          disabled={editing !== undefined}
          onChange={(e) => setTeamId(e.currentTarget.value)}
          options={teams.map((t) => ({ value: t.id, label: t.name }))}
        />
        <Field
          label="Repeat"
          name="repeat"
          type="number"
          min={0}
          max={10}
          defaultValue={editing?.repeat ?? 0}
          hint="Times the policy starts over after the last level."
        />
      </div>
      {Array.from({ length: steps }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: levels are positional
        <fieldset key={i} className="policy-step">
          <legend>Level {i + 1}</legend>
          <div className="form-row">
            <SelectField
              label={`Level ${i + 1} targets`}
              name={`targets_${i}`}
              multiple
              required
              options={targets}
              defaultValue={editing?.levels[i]?.targets.map((x) => `${x.type}:${x.id}`) ?? []}
              hint="Ctrl/Cmd-click to pick several."
            />
            <Field
              label={`Level ${i + 1} delay (minutes)`}
              name={`delay_${i}`}
              type="number"
              min={1}
              max={1440}
              defaultValue={editing?.levels[i] ? editing.levels[i].delay_seconds / 60 : i === 0 ? 5 : 10}
              required
              hint="Time to acknowledge before the next level is paged."
            />
          </div>
        </fieldset>
      ))}
      <div className="button-row">
        <Button small onClick={() => setSteps((n) => Math.min(20, n + 1))}>
          Add level
        </Button>
        {steps > 1 ? (
          <Button small variant="quiet" onClick={() => setSteps((n) => Math.max(1, n - 1))}>
            Remove last level
          </Button>
        ) : null}
      </div>
    </Form>
  );
}

/** 300 -> "5 min", 90 -> "90 s". */
export function formatDelay(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}
