import type { ButtonHTMLAttributes } from 'react';
import { cx } from '../app/format.ts';

export type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'quiet';

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: ButtonVariant;
  small?: boolean;
}

/** Always a real <button>; `type` defaults to "button" so it never submits a form by accident. */
export function Button({
  variant = 'secondary',
  small = false,
  type = 'button',
  className,
  ...rest
}: ButtonProps) {
  return (
    <button
      type={type === 'submit' ? 'submit' : type === 'reset' ? 'reset' : 'button'}
      className={cx('button', `button-${variant}`, small && 'button-small', className)}
      {...rest}
    />
  );
}

/** The class names of a button, for links that look like one. */
export function buttonClass(variant: ButtonVariant = 'secondary', small = false): string {
  return cx('button', `button-${variant}`, small && 'button-small');
}
