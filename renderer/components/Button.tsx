import { useLayoutEffect, useRef, type ReactNode } from 'react';
import { Button as AriaButton, Tooltip, TooltipTrigger, type ButtonProps as AriaButtonProps } from 'react-aria-components';
import { Spinner } from './Spinner.tsx';

// Buttons: react-aria's Button (press events that behave the same with mouse, touch and keyboard; focus ring only
// for keyboard users) with the app's variants; isPending keeps focus and ignores presses (below).

export type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'ghost';

export interface ButtonProps extends Omit<AriaButtonProps, 'children' | 'className'> {
  variant?: ButtonVariant;
  icon?: ReactNode;
  children?: ReactNode;
  className?: string;
}

/**
 * What react-aria's isPending does, less its announcement: presses ignored, focus kept, no implicit form submission
 * (a submit button becomes a plain one), aria-disabled (set on the element: react-aria passes no such prop through).
 * react-aria announces the busy state through its live region as a node labelled by the button's id; a button that goes
 * away when its work is done (a form replaced by its result) left that node without a name for the announcement's 7
 * seconds, an accessibility error (axe: role-img-alt). The view shows the work's progress and says what happened.
 */
const ignoredWhilePending = { onPress: undefined, onPressStart: undefined, onPressEnd: undefined, onPressChange: undefined, onPressUp: undefined, onClick: undefined } as const;

export function Button({ variant = 'secondary', icon, children, className, isPending, ...rest }: ButtonProps) {
  const pending = isPending ?? false;
  const ref = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => {
    if (pending) ref.current?.setAttribute('aria-disabled', 'true');
    else ref.current?.removeAttribute('aria-disabled');
  }, [pending]);
  const busy = pending ? { ...ignoredWhilePending, type: rest.type === 'submit' ? ('button' as const) : rest.type, 'data-pending': true } : {};
  return (
    <AriaButton {...rest} {...busy} ref={ref} className={['btn', `btn-${variant}`, className].filter(Boolean).join(' ')}>
      {pending ? <Spinner /> : icon}
      {children === undefined ? null : <span>{children}</span>}
    </AriaButton>
  );
}

/** A button that shows only an icon: its label is its accessible name and its tooltip. */
export function IconButton({ label, icon, variant = 'ghost', ...rest }: Omit<ButtonProps, 'children' | 'aria-label'> & { label: string; icon: ReactNode }) {
  return (
    <TooltipTrigger delay={600}>
      <Button {...rest} variant={variant} icon={icon} aria-label={label} className="btn-icon" />
      <Tooltip className="tooltip" offset={6}>
        {label}
      </Tooltip>
    </TooltipTrigger>
  );
}
