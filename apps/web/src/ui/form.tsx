import { type FormEvent, type ReactNode, useMemo, useState } from 'react';
import { fieldErrorsOf } from '../app/api-client.ts';
import { cx } from '../app/format.ts';
import { Button } from './button.tsx';
import { ErrorBanner } from './error-banner.tsx';
import { FieldErrorsContext } from './field.tsx';

export interface FormProps {
  /** Called with the form's values; throw (an ApiError) to show the problem in the form. */
  onSubmit(values: FormData, form: HTMLFormElement): Promise<void> | void;
  submitLabel: string;
  pendingLabel?: string;
  onCancel?: () => void;
  children: ReactNode;
  className?: string;
  /** Accessible name of the form (a <form> with a name is a landmark). */
  label?: string;
  /** Extra buttons beside submit/cancel. */
  extraActions?: ReactNode;
  submitVariant?: 'primary' | 'danger';
  /** Put initial focus on Cancel when shown in a dialog (confirmations). */
  focusCancel?: boolean;
}

/**
 * A form that submits asynchronously, disables its submit button while pending, and shows any
 * failure in an ErrorBanner on top and each field's own message next to the field.
 */
export function Form({
  onSubmit,
  submitLabel,
  pendingLabel,
  onCancel,
  children,
  className,
  label,
  extraActions,
  submitVariant = 'primary',
  focusCancel = false,
}: FormProps) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fieldErrors = useMemo(() => fieldErrorsOf(error), [error]);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const form = event.currentTarget;
    setPending(true);
    setError(null);
    try {
      await onSubmit(new FormData(form), form);
    } catch (failure) {
      setError(failure);
    } finally {
      setPending(false);
    }
  }

  return (
    <form className={cx('form', className)} onSubmit={handleSubmit} aria-label={label} aria-busy={pending}>
      <ErrorBanner error={error} />
      <FieldErrorsContext.Provider value={fieldErrors}>{children}</FieldErrorsContext.Provider>
      <div className="form-actions">
        <Button type="submit" variant={submitVariant} disabled={pending}>
          {pending ? (pendingLabel ?? `${submitLabel}…`) : submitLabel}
        </Button>
        {onCancel ? (
          <Button onClick={onCancel} disabled={pending} data-autofocus={focusCancel ? true : undefined}>
            Cancel
          </Button>
        ) : null}
        {extraActions}
      </div>
    </form>
  );
}
