import { api } from '../../app/api-client.ts';
import { nullable, optional, text } from '../../app/format.ts';
import type { Team } from '../../app/types.ts';
import { Dialog } from '../../ui/dialog.tsx';
import { Field, TextAreaField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { TimeZoneField } from '../../ui/time-zone-field.tsx';

/** Create a team (no `team`) or edit one, in a dialog. */
export function TeamFormDialog({
  team,
  onClose,
  onSaved,
}: {
  team?: Team;
  onClose: () => void;
  onSaved: (team: Team) => void;
}) {
  return (
    <Dialog title={team ? `Edit team ${team.name}` : 'New team'} onClose={onClose}>
      <Form
        submitLabel={team ? 'Save team' : 'Create team'}
        onCancel={onClose}
        onSubmit={async (values) => {
          const saved = team
            ? await api.patch<Team>(`/api/v1/teams/${encodeURIComponent(team.id)}`, {
                name: text(values, 'name'),
                time_zone: text(values, 'time_zone'),
                description: nullable(values, 'description'),
              })
            : await api.post<Team>('/api/v1/teams', {
                name: text(values, 'name'),
                time_zone: text(values, 'time_zone'),
                ...(optional(values, 'description') ? { description: text(values, 'description') } : {}),
              });
          onSaved(saved);
        }}
      >
        <Field label="Name" name="name" defaultValue={team?.name} required autoComplete="off" />
        <TimeZoneField defaultValue={team?.time_zone} />
        <TextAreaField
          label="Description"
          optional
          name="description"
          defaultValue={team?.description ?? ''}
          rows={3}
        />
      </Form>
    </Dialog>
  );
}
