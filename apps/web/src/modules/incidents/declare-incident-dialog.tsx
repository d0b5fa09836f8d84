import { api } from '../../app/api-client.ts';
import { optional, text } from '../../app/format.ts';
import { INCIDENT_SEVERITIES, type Incident, type Service } from '../../app/types.ts';
import { Dialog } from '../../ui/dialog.tsx';
import { Field, SelectField, TextAreaField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { useSeverityInfo } from './use-severity-info.ts';

/** Declare an incident by hand: not every incident starts with an alert. */
export function DeclareIncidentDialog({
  services,
  defaultServiceId,
  onClose,
  onDeclared,
}: {
  services: readonly Service[];
  defaultServiceId?: string;
  onClose: () => void;
  onDeclared: (incident: Incident) => void;
}) {
  const severityInfo = useSeverityInfo();
  return (
    <Dialog title="Declare incident" onClose={onClose}>
      <Form
        submitLabel="Declare incident"
        pendingLabel="Declaring…"
        onCancel={onClose}
        onSubmit={async (values) => {
          const description = optional(values, 'description');
          const incident = await api.post<Incident>('/api/v1/incidents', {
            service_id: text(values, 'service_id'),
            title: text(values, 'title'),
            severity: text(values, 'severity'),
            ...(description ? { description } : {}),
          });
          onDeclared(incident);
        }}
      >
        <SelectField
          label="Service"
          name="service_id"
          required
          defaultValue={defaultServiceId ?? ''}
          options={[
            { value: '', label: services.length ? 'Choose the affected service' : 'Create a service first' },
            ...services.map((s) => ({ value: s.id, label: s.name })),
          ]}
        />
        <Field
          label="Title"
          name="title"
          required
          autoComplete="off"
          maxLength={500}
          hint="What users see, such as “Checkout fails for card payments”."
        />
        <fieldset className="severity-choice">
          <legend>Severity</legend>
          {INCIDENT_SEVERITIES.map((severity) => (
            <label key={severity} className="severity-option">
              <input
                type="radio"
                name="severity"
                value={severity}
                defaultChecked={severity === 'SEV2'}
                required
              />
              <span className={`pill sev sev-${severity.toLowerCase()}`}>{severity}</span>
              <span>{severityInfo[severity].description}</span>
            </label>
          ))}
        </fieldset>
        <TextAreaField label="Description" optional name="description" rows={3} maxLength={20000} />
      </Form>
    </Dialog>
  );
}
