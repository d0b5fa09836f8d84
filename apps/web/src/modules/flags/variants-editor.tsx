import { useState } from 'react';
import { Button } from '../../ui/button.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import type { FlagVariant } from './flag-types.ts';

interface VariantDraft {
  id: number;
  name: string;
  weight: string;
  payloadType: string;
  payload: string;
}

const PAYLOAD_TYPES = ['', 'string', 'json', 'number', 'csv'] as const;
let nextId = 1;

/** Variants with weights (relative, Unleash uses 1000 in all) and payloads; saves them all at once. */
export function VariantsEditor({
  title,
  variants,
  onSave,
}: {
  title: string;
  variants: readonly FlagVariant[];
  onSave(variants: FlagVariant[]): Promise<void>;
}) {
  const [rows, setRows] = useState<VariantDraft[]>(() =>
    variants.map((v) => ({
      id: nextId++,
      name: v.name,
      weight: String(v.weight),
      payloadType: v.payload?.type ?? '',
      payload: v.payload?.value ?? '',
    })),
  );
  const update = (id: number, patch: Partial<VariantDraft>) =>
    setRows((list) => list.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  const total = rows.reduce((sum, r) => sum + (Number(r.weight) || 0), 0);

  return (
    <Form
      label={title}
      submitLabel="Save variants"
      pendingLabel="Saving…"
      onSubmit={async () => {
        await onSave(
          rows.map((r) => ({
            name: r.name.trim(),
            weight: Math.round(Number(r.weight) || 0),
            weightType: 'fix',
            stickiness: 'default',
            ...(r.payloadType ? { payload: { type: r.payloadType, value: r.payload } } : {}),
          })),
        );
      }}
      extraActions={
        <Button
          onClick={() =>
            setRows((list) => [
              ...list,
              { id: nextId++, name: '', weight: list.length ? '0' : '1000', payloadType: '', payload: '' },
            ])
          }
        >
          Add variant
        </Button>
      }
    >
      {rows.length === 0 ? <p className="muted">No variants: SDKs get the "disabled" variant.</p> : null}
      {rows.map((r, i) => (
        <div key={r.id} className="flag-variant">
          <Field
            label={`Variant ${i + 1} name`}
            name={`variant-${r.id}-name`}
            value={r.name}
            required
            autoComplete="off"
            onChange={(e) => update(r.id, { name: e.currentTarget.value })}
          />
          <Field
            label={`Weight ${i + 1}`}
            name={`variant-${r.id}-weight`}
            type="number"
            min={0}
            max={100000}
            value={r.weight}
            hint={total > 0 ? `${(((Number(r.weight) || 0) / total) * 100).toFixed(1)}%` : undefined}
            onChange={(e) => update(r.id, { weight: e.currentTarget.value })}
          />
          <SelectField
            label={`Payload type ${i + 1}`}
            name={`variant-${r.id}-payload-type`}
            value={r.payloadType}
            onChange={(e) => update(r.id, { payloadType: e.currentTarget.value })}
            options={PAYLOAD_TYPES.map((t) => ({ value: t, label: t || 'none' }))}
          />
          <Field
            label={`Payload ${i + 1}`}
            name={`variant-${r.id}-payload`}
            value={r.payload}
            disabled={!r.payloadType}
            autoComplete="off"
            onChange={(e) => update(r.id, { payload: e.currentTarget.value })}
          />
          <Button
            small
            variant="quiet"
            aria-label={`Remove variant ${i + 1}`}
            onClick={() => setRows((list) => list.filter((x) => x.id !== r.id))}
          >
            Remove
          </Button>
        </div>
      ))}
    </Form>
  );
}
