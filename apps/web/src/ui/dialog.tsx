import { type ReactNode, useEffect, useId, useRef } from 'react';
import { cx } from '../app/format.ts';
import { Form } from './form.tsx';

/**
 * A modal built on the native <dialog>: focus is trapped, Escape closes it, and focus returns to
 * the control that opened it. Render it only while open: `{open && <Dialog ... />}`.
 */
export function Dialog({
  title,
  onClose,
  children,
  wide = false,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    const first =
      dialog.querySelector<HTMLElement>('.dialog-body [data-autofocus]') ??
      dialog.querySelector<HTMLElement>(
        '.dialog-body input:not([type="hidden"]):not([disabled]), .dialog-body select, .dialog-body textarea, .dialog-body button',
      );
    first?.focus();
    // Escape or form[method=dialog] closed it. A close from this effect's own cleanup (React
    // StrictMode re-runs effects in development) finds the dialog reopened and is ignored.
    const handleClose = () => {
      if (!dialog.open) onCloseRef.current();
    };
    dialog.addEventListener('close', handleClose);
    return () => {
      dialog.removeEventListener('close', handleClose);
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  return (
    <dialog ref={ref} className={cx('dialog', wide && 'dialog-wide')} aria-labelledby={titleId}>
      <div className="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="dialog-close" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      <div className="dialog-body">{children}</div>
    </dialog>
  );
}

/** Asks before a destructive action; shows the failure if the action throws. */
export function ConfirmDialog({
  title,
  message,
  confirmLabel,
  onConfirm,
  onClose,
  children,
}: {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  children?: ReactNode;
}) {
  return (
    <Dialog title={title} onClose={onClose}>
      <ConfirmBody message={message} confirmLabel={confirmLabel} onConfirm={onConfirm} onClose={onClose}>
        {children}
      </ConfirmBody>
    </Dialog>
  );
}

function ConfirmBody({
  message,
  confirmLabel,
  onConfirm,
  onClose,
  children,
}: {
  message: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  children?: ReactNode;
}) {
  return (
    <Form
      onSubmit={onConfirm}
      submitLabel={confirmLabel}
      submitVariant="danger"
      onCancel={onClose}
      focusCancel
      className="form-confirm"
    >
      <p>{message}</p>
      {children}
    </Form>
  );
}
