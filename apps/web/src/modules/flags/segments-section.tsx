import { useState } from 'react';
import { api } from '../../app/api-client.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { CheckboxField, Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { StatusMessage } from '../../ui/page-header.tsx';
import { Table } from '../../ui/table.tsx';
import {
  type FlagConstraint,
  OPERATORS,
  type Segment,
  SINGLE_VALUE_OPERATORS,
  STRING_OPERATORS,
  splitList,
} from './flag-types.ts';

/** "country IN NO, SE" for a constraint. */
export function describeConstraint(c: FlagConstraint): string {
  const values = c.value ?? (c.values ?? []).join(', ');
  return `${c.contextName} ${c.inverted ? 'NOT ' : ''}${c.operator} ${values}${c.caseInsensitive ? ' (any case)' : ''}`;
}

/**
 * Reusable segments: named constraint lists strategies refer to by id (changing a segment changes
 * every strategy that uses it). Listed for readers; created and replaced with flags.manage.
 */
export function SegmentsSection({ canManage }: { canManage: boolean }) {
  const [version, setVersion] = useState(0);
  const segments = useResource(`flag-segments:${version}`, () =>
    api.get<{ items: Segment[] }>('/api/v1/segments').then((r) => r.items),
  );
  const [adding, setAdding] = useState(false);
  const [rows, setRows] = useState(1);
  const [status, setStatus] = useState('');
  return (
    <section className="section" aria-labelledby="segments-heading">
      <h2 id="segments-heading">Segments</h2>
      <p className="muted">Named groups of users (constraints) that strategies reuse by reference.</p>
      <ErrorBanner error={segments.error} onRetry={segments.reload} />
      {status ? <StatusMessage>{status}</StatusMessage> : null}
      <Table
        caption="Segments"
        rows={segments.data ?? []}
        rowKey={(s) => String(s.id)}
        loading={segments.loading}
        empty="No segments yet."
        columns={[
          { key: 'id', header: 'Id', kind: 'number', cell: (s) => s.id },
          { key: 'name', header: 'Name', cell: (s) => s.name },
          {
            key: 'constraints',
            header: 'Constraints',
            cell: (s) => s.constraints.map(describeConstraint).join('; '),
          },
        ]}
      />
      {canManage ? (
        adding ? (
          <Form
            label="New segment"
            submitLabel="Create segment"
            onCancel={() => setAdding(false)}
            onSubmit={async (values) => {
              const constraints: FlagConstraint[] = [];
              for (let i = 1; i <= rows; i++) {
                const operator = String(values.get(`operator-${i}`));
                const list = splitList(String(values.get(`values-${i}`) ?? ''));
                constraints.push({
                  contextName: String(values.get(`field-${i}`) ?? '').trim(),
                  operator,
                  ...(SINGLE_VALUE_OPERATORS.has(operator) ? { value: list[0] ?? '' } : { values: list }),
                  ...(values.get(`inverted-${i}`) === 'true' ? { inverted: true } : {}),
                  ...(values.get(`ci-${i}`) === 'true' && STRING_OPERATORS.has(operator)
                    ? { caseInsensitive: true }
                    : {}),
                });
              }
              const created = await api.post<Segment>('/api/v1/segments', {
                name: String(values.get('name') ?? '').trim(),
                constraints,
              });
              setAdding(false);
              setRows(1);
              setVersion((v) => v + 1);
              setStatus(`Segment ${created.name} created (id ${created.id}).`);
            }}
          >
            <Field label="Segment name" name="name" required />
            {Array.from({ length: rows }, (_, k) => k + 1).map((i) => (
              <div key={i} className="flag-search">
                <Field label={`Segment field ${i}`} name={`field-${i}`} required placeholder="country" />
                <SelectField
                  label={`Segment operator ${i}`}
                  name={`operator-${i}`}
                  defaultValue="IN"
                  options={OPERATORS.map((o) => ({ value: o, label: o }))}
                />
                <Field label={`Segment values ${i}`} name={`values-${i}`} required placeholder="NO, SE" />
                <CheckboxField label={`Segment inverted ${i}`} name={`inverted-${i}`} />
                <CheckboxField
                  label={`Segment case-insensitive ${i}`}
                  name={`ci-${i}`}
                  hint="string operators and REGEX"
                />
              </div>
            ))}
            <Button small onClick={() => setRows((n) => n + 1)}>
              Add constraint
            </Button>
          </Form>
        ) : (
          <Button small onClick={() => setAdding(true)}>
            New segment
          </Button>
        )
      ) : null}
    </section>
  );
}
