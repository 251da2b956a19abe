import type { ReactNode } from 'react';
import { Button as AriaButton, Tooltip, TooltipTrigger, type ButtonProps as AriaButtonProps } from 'react-aria-components';
import { Spinner } from './Spinner.tsx';

// Buttons: react-aria's Button (press events that behave the same with mouse, touch and keyboard; focus ring only
// for keyboard users; isPending keeps focus and announces the busy state) with the app's variants.

export type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'ghost';

export interface ButtonProps extends Omit<AriaButtonProps, 'children' | 'className'> {
  variant?: ButtonVariant;
  icon?: ReactNode;
  children?: ReactNode;
  className?: string;
}

export function Button({ variant = 'secondary', icon, children, className, isPending, ...rest }: ButtonProps) {
  return (
    <AriaButton {...rest} isPending={isPending ?? false} className={['btn', `btn-${variant}`, className].filter(Boolean).join(' ')}>
      {isPending ? <Spinner /> : icon}
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
