import { useId, useState } from 'react';
import { Button } from '../../ui/button.tsx';
import { CheckboxField, Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import {
  type FlagConstraint,
  type FlagStrategy,
  OPERATORS,
  rolloutOf,
  type Segment,
  SINGLE_VALUE_OPERATORS,
  STICKINESS,
  STRATEGY_LABEL,
  STRING_OPERATORS,
  splitList,
} from './flag-types.ts';

interface ConstraintDraft {
  id: number;
  contextName: string;
  operator: string;
  values: string;
  inverted: boolean;
  caseInsensitive: boolean;
}

let nextId = 1;

function toDraft(c: FlagConstraint): ConstraintDraft {
  return {
    id: nextId++,
    contextName: c.contextName,
    operator: c.operator,
    values: SINGLE_VALUE_OPERATORS.has(c.operator) ? (c.value ?? '') : (c.values ?? []).join(', '),
    inverted: c.inverted ?? false,
    caseInsensitive: c.caseInsensitive ?? false,
  };
}

function fromDraft(d: ConstraintDraft): FlagConstraint {
  const out: FlagConstraint = { contextName: d.contextName.trim(), operator: d.operator };
  if (SINGLE_VALUE_OPERATORS.has(d.operator)) out.value = d.values.trim();
  else out.values = splitList(d.values);
  if (d.inverted) out.inverted = true;
  if (d.caseInsensitive && STRING_OPERATORS.has(d.operator)) out.caseInsensitive = true;
  return out;
}

/**
 * Adds or edits one strategy: its kind, the rollout slider with stickiness and group id, user ids
 * or IPs, constraints (context field, operator, values) and segments.
 */
export function StrategyEditor({
  flagKey,
  environmentName,
  initial,
  segments,
  onSave,
  onCancel,
}: {
  flagKey: string;
  environmentName: string;
  initial: FlagStrategy | null;
  segments: readonly Segment[];
  onSave(strategy: FlagStrategy): Promise<void>;
  onCancel(): void;
}) {
  const p = initial?.parameters ?? {};
  const [name, setName] = useState(initial?.name ?? 'flexibleRollout');
  const [rollout, setRollout] = useState(initial ? rolloutOf(initial) : 50);
  const [constraints, setConstraints] = useState<ConstraintDraft[]>(() =>
    (initial?.constraints ?? []).map(toDraft),
  );
  const [chosenSegments, setChosenSegments] = useState<number[]>(initial?.segments ?? []);
  const sliderId = useId();

  function updateConstraint(id: number, patch: Partial<ConstraintDraft>) {
    setConstraints((list) => list.map((c) => (c.id === id ? { ...c, ...patch } : c)));
  }

  const label = `${initial ? 'Edit' : 'Add'} strategy for ${environmentName}`;
  return (
    <div className="flag-editor">
      <Form
        label={label}
        submitLabel="Save strategy"
        pendingLabel="Saving…"
        onCancel={onCancel}
        onSubmit={async (form) => {
          const parameters: Record<string, string | number> = {};
          if (name === 'flexibleRollout') {
            parameters.rollout = rollout;
            parameters.stickiness = String(form.get('stickiness') ?? 'default');
            parameters.groupId = String(form.get('groupId') ?? '').trim() || flagKey;
          } else if (name === 'userWithId') {
            parameters.userIds = splitList(String(form.get('userIds') ?? '')).join(',');
          } else if (name === 'remoteAddress') {
            parameters.IPs = splitList(String(form.get('IPs') ?? '')).join(',');
          }
          const strategy: FlagStrategy = {
            ...(initial?.id ? { id: initial.id } : {}),
            name,
            parameters,
            constraints: constraints.map(fromDraft),
            segments: chosenSegments,
            ...(initial?.variants ? { variants: initial.variants } : {}),
          };
          await onSave(strategy);
        }}
      >
        <SelectField
          label="Strategy"
          name="strategy"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          options={Object.entries(STRATEGY_LABEL).map(([value, l]) => ({ value, label: l }))}
        />
        {name === 'flexibleRollout' ? (
          <>
            <div className="field">
              <label htmlFor={sliderId}>Rollout percentage</label>
              <div className="flag-slider">
                <input
                  id={sliderId}
                  type="range"
                  min={0}
                  max={100}
                  step={1}
                  value={rollout}
                  onChange={(e) => setRollout(Number(e.currentTarget.value))}
                />
                <output htmlFor={sliderId}>{rollout}%</output>
              </div>
            </div>
            <div className="form-row">
              <SelectField
                label="Stickiness"
                name="stickiness"
                defaultValue={String(p.stickiness ?? 'default')}
                options={STICKINESS.map((s) => ({ value: s, label: s }))}
                hint="Which context field keeps a user in or out as the percentage grows."
              />
              <Field
                label="Group id"
                name="groupId"
                defaultValue={String(p.groupId ?? flagKey)}
                autoComplete="off"
                hint="Flags with the same group id pick the same users."
              />
            </div>
          </>
        ) : null}
        {name === 'userWithId' ? (
          <Field
            label="User ids"
            name="userIds"
            defaultValue={String(p.userIds ?? '')}
            autoComplete="off"
            hint="Separated by commas."
          />
        ) : null}
        {name === 'remoteAddress' ? (
          <Field
            label="IP addresses"
            name="IPs"
            defaultValue={String(p.IPs ?? '')}
            autoComplete="off"
            hint="Addresses or CIDR blocks, separated by commas."
          />
        ) : null}
        <fieldset className="flag-segments">
          <legend>Constraints</legend>
          {constraints.length === 0 ? (
            <p className="muted">No constraints: the strategy applies to everyone.</p>
          ) : null}
          {constraints.map((c, i) => (
            <div key={c.id} className="flag-constraint">
              <Field
                label={`Context field ${i + 1}`}
                name={`constraint-${c.id}-context`}
                value={c.contextName}
                required
                autoComplete="off"
                onChange={(e) => updateConstraint(c.id, { contextName: e.currentTarget.value })}
              />
              <SelectField
                label={`Operator ${i + 1}`}
                name={`constraint-${c.id}-operator`}
                value={c.operator}
                onChange={(e) => updateConstraint(c.id, { operator: e.currentTarget.value })}
                options={OPERATORS.map((o) => ({ value: o, label: o }))}
              />
              <Field
                label={SINGLE_VALUE_OPERATORS.has(c.operator) ? `Value ${i + 1}` : `Values ${i + 1}`}
                name={`constraint-${c.id}-values`}
                value={c.values}
                autoComplete="off"
                onChange={(e) => updateConstraint(c.id, { values: e.currentTarget.value })}
              />
              <Button
                small
                variant="quiet"
                aria-label={`Remove constraint ${i + 1}`}
                onClick={() => setConstraints((list) => list.filter((x) => x.id !== c.id))}
              >
                Remove
              </Button>
              <div className="flag-constraint-flags">
                <CheckboxField
                  label="Inverted (NOT)"
                  name={`constraint-${c.id}-inverted`}
                  checked={c.inverted}
                  onChange={(e) => updateConstraint(c.id, { inverted: e.currentTarget.checked })}
                />
                {STRING_OPERATORS.has(c.operator) ? (
                  <CheckboxField
                    label="Case-insensitive"
                    name={`constraint-${c.id}-ci`}
                    checked={c.caseInsensitive}
                    onChange={(e) => updateConstraint(c.id, { caseInsensitive: e.currentTarget.checked })}
                  />
                ) : null}
              </div>
            </div>
          ))}
          <Button
            small
            onClick={() =>
              setConstraints((list) => [
                ...list,
                {
                  id: nextId++,
                  contextName: '',
                  operator: 'IN',
                  values: '',
                  inverted: false,
                  caseInsensitive: false,
                },
              ])
            }
          >
            Add constraint
          </Button>
        </fieldset>
        {segments.length ? (
          <fieldset className="flag-segments">
            <legend>Segments</legend>
            {segments.map((s) => (
              <CheckboxField
                key={s.id}
                label={s.name}
                name={`segment-${s.id}`}
                checked={chosenSegments.includes(s.id)}
                onChange={(e) => {
                  const on = e.currentTarget.checked;
                  setChosenSegments((list) => (on ? [...list, s.id] : list.filter((x) => x !== s.id)));
                }}
              />
            ))}
          </fieldset>
        ) : null}
      </Form>
    </div>
  );
}
