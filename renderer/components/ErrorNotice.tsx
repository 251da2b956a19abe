import { CircleAlert } from 'lucide-react';
import type { AppError } from '../../shared/result.ts';
import { errorDetailsText, type ErrorContext } from '../lib/error-chain.ts';
import { CopyButton } from './CopyButton.tsx';

/** An error where it happened: what went wrong, what to do (the hint), and its details for the clipboard. */
export function ErrorNotice({ error, context, compact = false }: { error: AppError; context?: ErrorContext; compact?: boolean }) {
  return (
    <div className={compact ? 'notice notice-error notice-compact' : 'notice notice-error'} role="alert" data-error-code={error.code}>
      <CircleAlert className="notice-icon" size={18} aria-hidden="true" />
      <div className="notice-body">
        <p className="notice-title">{error.message}</p>
        {error.hint ? <p className="notice-hint">{error.hint}</p> : null}
      </div>
      {compact ? null : <CopyButton text={errorDetailsText(error, context)} label="Copy details" />}
    </div>
  );
}

/** A quieter note (warning or information) with the same layout. */
export function Notice({ tone, title, children }: { tone: 'warning' | 'info' | 'success'; title: string; children?: React.ReactNode }) {
  return (
    <div className={`notice notice-${tone}`} role={tone === 'warning' ? 'status' : undefined}>
      <div className="notice-body">
        <p className="notice-title">{title}</p>
        {children ? <div className="notice-hint">{children}</div> : null}
      </div>
    </div>
  );
}
