import { useState } from 'react';
import { api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { optional, text } from '../../app/format.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField, TextAreaField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { SecurityNav } from './security-nav.tsx';
import type { ResponsePlan } from './security-types.ts';

/** Each service's incident response plan checklist; missing parts are listed. */
export function ResponsePlansPage() {
  const auth = useAuth();
  const plans = useResource('response-plans', () =>
    api.get<ResponsePlan[]>('/api/v1/security/response-plans'),
  );
  const [exercise, setExercise] = useState<ResponsePlan | null>(null);
  const [message, setMessage] = useState('');
  const complete = plans.data?.filter((p) => p.complete).length ?? 0;
  return (
    <>
      <PageHeader
        title="Response plans"
        description={
          plans.data
            ? `${complete} of ${plans.data.length} services have a complete incident response plan.`
            : 'An owner team, an escalation policy, gap-free on-call, a runbook and a recent exercise, per service.'
        }
      />
      <SecurityNav />
      <StatusMessage>{message}</StatusMessage>
      <ErrorBanner error={plans.error} onRetry={plans.reload} />
      {plans.loading && !plans.data ? <p>Loading…</p> : null}
      <div className="plan-list">
        {(plans.data ?? []).map((plan) => (
          <section
            key={plan.service_id}
            aria-label={`Response plan of ${plan.service_name}`}
            className="plan-card"
          >
            <h2>
              {plan.service_name}{' '}
              <span className={plan.complete ? 'pill pill-active' : 'pill pill-expired'}>
                {plan.done}/{plan.total}
              </span>
            </h2>
            <ul className="plan-items">
              {plan.items.map((item) => (
                <li key={item.key}>
                  <span aria-hidden="true">{item.ok ? '✓' : '✗'}</span>{' '}
                  <span className="visually-hidden">{item.ok ? 'Done:' : 'Missing:'}</span> {item.label}{' '}
                  <span className="muted">— {item.detail}</span>
                </li>
              ))}
            </ul>
            {auth.can('security.triage') ? (
              <Button small onClick={() => setExercise(plan)}>
                Record an exercise<span className="visually-hidden"> for {plan.service_name}</span>
              </Button>
            ) : null}
          </section>
        ))}
      </div>
      {exercise && (
        <Dialog title={`Exercise of ${exercise.service_name}`} onClose={() => setExercise(null)}>
          <Form
            label="Record an exercise"
            submitLabel="Record"
            onCancel={() => setExercise(null)}
            onSubmit={async (values) => {
              const day = text(values, 'day');
              const notes = optional(values, 'notes');
              await api.post('/api/v1/security/exercises', {
                service_id: exercise.service_id,
                kind: text(values, 'kind'),
                // Noon of the chosen day, but never later than now: today before noon is not the future.
                exercised_at: day
                  ? new Date(Math.min(Date.parse(`${day}T12:00:00`), Date.now())).toISOString()
                  : '',
                ...(notes ? { notes } : {}),
              });
              setMessage(`Exercise recorded for ${exercise.service_name}.`);
              setExercise(null);
              plans.reload();
            }}
          >
            <SelectField
              label="Kind"
              name="kind"
              options={[
                { value: 'tabletop', label: 'Tabletop' },
                { value: 'game_day', label: 'Game day' },
                { value: 'real_incident', label: 'Real incident' },
              ]}
            />
            <Field
              label="Held on"
              name="day"
              type="date"
              required
              defaultValue={new Date().toISOString().slice(0, 10)}
            />
            <TextAreaField label="Notes" name="notes" optional rows={3} />
          </Form>
        </Dialog>
      )}
    </>
  );
}
