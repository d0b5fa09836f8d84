import { api } from '../../app/api-client.ts';
import { nullable, optional, text } from '../../app/format.ts';
import type { Team } from '../../app/types.ts';
import { Dialog } from '../../ui/dialog.tsx';
import { Field, SelectField, TextAreaField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { FLAG_TYPES, type Flag, splitList } from './flag-types.ts';

/** Creates a flag (off in every environment) and hands it back. */
export function NewFlagDialog({
  teams,
  onClose,
  onCreated,
}: {
  teams: readonly Team[];
  onClose(): void;
  onCreated(flag: Flag): void;
}) {
  return (
    <Dialog title="New flag" onClose={onClose}>
      <Form
        label="New flag"
        submitLabel="Create flag"
        pendingLabel="Creating…"
        onCancel={onClose}
        onSubmit={async (form) => {
          const tags = splitList(text(form, 'tags'));
          const flag = await api.post<Flag>('/api/v1/flags', {
            key: text(form, 'key'),
            type: text(form, 'type'),
            description: optional(form, 'description'),
            owner_team_id: nullable(form, 'owner_team_id'),
            ...(tags.length ? { tags } : {}),
          });
          onCreated(flag);
        }}
      >
        <Field
          label="Key"
          name="key"
          required
          autoComplete="off"
          spellCheck={false}
          className="mono"
          hint="What code asks for, such as checkout.new-flow: letters, digits and . _ : -"
        />
        <SelectField label="Type" name="type" options={FLAG_TYPES.map((t) => ({ value: t, label: t }))} />
        <TextAreaField label="Description" name="description" optional rows={2} />
        <SelectField
          label="Owner team"
          name="owner_team_id"
          options={[
            { value: '', label: 'Organisation-wide (no team)' },
            ...teams.map((t) => ({ value: t.id, label: t.name })),
          ]}
        />
        <Field label="Tags" name="tags" optional autoComplete="off" hint="Separated by commas." />
      </Form>
    </Dialog>
  );
}
