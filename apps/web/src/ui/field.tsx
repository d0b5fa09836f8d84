import {
  createContext,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
  useContext,
  useId,
} from 'react';
import { cx } from '../app/format.ts';

/** Per-field server errors of the enclosing <Form>, keyed by field name. */
export const FieldErrorsContext = createContext<Record<string, string>>({});

interface FieldFrame {
  label: ReactNode;
  name: string;
  hint?: ReactNode;
  /** Say "(optional)" in the label; required fields carry the `required` attribute instead. */
  optional?: boolean;
  /** An explicit error; otherwise the enclosing form's error for `name`. */
  error?: string | undefined;
  className?: string;
}

function useFrame(name: string, hint: ReactNode, error: string | undefined) {
  const id = useId();
  const errors = useContext(FieldErrorsContext);
  const message = error ?? errors[name];
  const describedBy = [hint ? `${id}-hint` : '', message ? `${id}-error` : ''].filter(Boolean).join(' ');
  return {
    id,
    message,
    control: {
      id,
      name,
      'aria-invalid': message ? true : undefined,
      'aria-describedby': describedBy || undefined,
    },
  };
}

function Frame({
  id,
  label,
  optional,
  hint,
  message,
  className,
  children,
}: {
  id: string;
  label: ReactNode;
  optional: boolean | undefined;
  hint: ReactNode;
  message: string | undefined;
  className: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className={cx('field', message && 'field-invalid', className)}>
      <label htmlFor={id}>
        {label}
        {optional ? <span className="field-optional"> (optional)</span> : null}
      </label>
      {children}
      {hint ? (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {message ? (
        <p className="field-error" id={`${id}-error`}>
          {message}
        </p>
      ) : null}
    </div>
  );
}

export type FieldProps = FieldFrame & Omit<InputHTMLAttributes<HTMLInputElement>, 'name' | 'id'>;

/** A labelled <input>. */
export function Field({ label, name, hint, error, className, optional, ...input }: FieldProps) {
  const { id, message, control } = useFrame(name, hint, error);
  return (
    <Frame id={id} label={label} optional={optional} hint={hint} message={message} className={className}>
      <input {...input} {...control} />
    </Frame>
  );
}

export interface Option {
  value: string;
  label: string;
}

export type SelectFieldProps = FieldFrame &
  Omit<SelectHTMLAttributes<HTMLSelectElement>, 'name' | 'id'> & { options: readonly Option[] };

/** A labelled <select>. */
export function SelectField({
  label,
  name,
  hint,
  error,
  className,
  optional,
  options,
  ...select
}: SelectFieldProps) {
  const { id, message, control } = useFrame(name, hint, error);
  return (
    <Frame id={id} label={label} optional={optional} hint={hint} message={message} className={className}>
      <select {...select} {...control}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Frame>
  );
}

export type TextAreaFieldProps = FieldFrame &
  Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'name' | 'id'>;

/** A labelled <textarea>. */
export function TextAreaField({
  label,
  name,
  hint,
  error,
  className,
  optional,
  ...area
}: TextAreaFieldProps) {
  const { id, message, control } = useFrame(name, hint, error);
  return (
    <Frame id={id} label={label} optional={optional} hint={hint} message={message} className={className}>
      <textarea {...area} {...control} />
    </Frame>
  );
}

/** A labelled checkbox (label after the box). */
export function CheckboxField({
  label,
  name,
  hint,
  className,
  ...input
}: Omit<FieldFrame, 'error' | 'optional'> &
  Omit<InputHTMLAttributes<HTMLInputElement>, 'name' | 'id' | 'type'>) {
  const { id, message, control } = useFrame(name, hint, undefined);
  return (
    <div className={cx('field field-checkbox', className)}>
      <input type="checkbox" {...input} {...control} value={input.value ?? 'true'} />
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {message ? (
        <p className="field-error" id={`${id}-error`}>
          {message}
        </p>
      ) : null}
    </div>
  );
}
