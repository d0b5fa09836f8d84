import { api } from '../../app/api-client.ts';
import { nullable, optional, text } from '../../app/format.ts';
import { SERVICE_TIERS, type Service, type Team } from '../../app/types.ts';
import { Dialog } from '../../ui/dialog.tsx';
import { Field, SelectField, TextAreaField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';

/** Create a service (no `service`) or edit one, in a dialog. */
export function ServiceFormDialog({
  service,
  teams,
  defaultTeamId,
  onClose,
  onSaved,
}: {
  service?: Service;
  teams: readonly Team[];
  defaultTeamId?: string;
  onClose: () => void;
  onSaved: (service: Service) => void;
}) {
  const tierOptions = [
    { value: '', label: 'Not set' },
    ...SERVICE_TIERS.map((t) => ({ value: t, label: t })),
  ];
  return (
    <Dialog title={service ? `Edit service ${service.name}` : 'New service'} onClose={onClose}>
      <Form
        submitLabel={service ? 'Save service' : 'Create service'}
        onCancel={onClose}
        onSubmit={async (values) => {
          const common = { name: text(values, 'name'), team_id: text(values, 'team_id') };
          const saved = service
            ? await api.patch<Service>(`/api/v1/services/${encodeURIComponent(service.id)}`, {
                ...common,
                tier: nullable(values, 'tier'),
                description: nullable(values, 'description'),
                runbook_url: nullable(values, 'runbook_url'),
                repository_url: nullable(values, 'repository_url'),
              })
            : await api.post<Service>('/api/v1/services', {
                ...common,
                tier: optional(values, 'tier'),
                description: optional(values, 'description'),
                runbook_url: optional(values, 'runbook_url'),
                repository_url: optional(values, 'repository_url'),
              });
          onSaved(saved);
        }}
      >
        <Field
          label="Name"
          name="name"
          defaultValue={service?.name}
          required
          autoComplete="off"
          spellCheck={false}
          hint="Lowercase letters, digits, dots, dashes and underscores, such as checkout-api."
        />
        <SelectField
          label="Owning team"
          name="team_id"
          required
          defaultValue={service?.team_id ?? defaultTeamId ?? ''}
          options={[
            { value: '', label: teams.length ? 'Choose a team' : 'Create a team first' },
            ...teams.map((t) => ({ value: t.id, label: t.name })),
          ]}
        />
        <SelectField label="Tier" name="tier" defaultValue={service?.tier ?? ''} options={tierOptions} />
        <TextAreaField
          label="Description"
          optional
          name="description"
          defaultValue={service?.description ?? ''}
          rows={2}
        />
        <Field
          label="Runbook URL"
          optional
          name="runbook_url"
          type="url"
          defaultValue={service?.runbook_url ?? ''}
          placeholder="https://"
        />
        <Field
          label="Repository"
          optional
          name="repository_url"
          defaultValue={service?.repository_url ?? ''}
        />
      </Form>
    </Dialog>
  );
}
