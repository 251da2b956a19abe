import { X } from 'lucide-react';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Dialog as AriaDialog, Heading, Modal, ModalOverlay } from 'react-aria-components';
import type { AppError } from '../../shared/result.ts';
import type { ErrorContext } from '../lib/error-chain.ts';
import { IconButton } from './Button.tsx';
import { ErrorNotice } from './ErrorNotice.tsx';
import { Spinner } from './Spinner.tsx';

// The one dialog of the app. react-aria's Modal gives what a native modal <dialog> gives — focus moves in and is
// trapped there, the rest of the page is inert to pointer, keyboard and screen readers, Escape and a click outside
// close it, focus returns to what opened it — and works the same in Electron and in the browser. On top of that:
// a busy state (Escape, outside clicks and the close button do nothing while work runs, and the busy text is
// announced), an inline error above the actions, and an optional <form> so Enter submits.

export interface DialogProps {
  title: string;
  /** A sentence under the title: what this dialog is for. */
  description?: ReactNode;
  children?: ReactNode;
  /** Buttons at the bottom, the main action last. */
  actions?: ReactNode;
  onClose(): void;
  /** While set, the dialog cannot be dismissed and shows this text (true: "Working…") beside the actions. */
  busy?: boolean | string;
  /** Shown inside the dialog, above the actions (the dialog stays open so the admin can correct and retry). */
  error?: AppError | null;
  errorContext?: ErrorContext;
  /** When given, body and actions form one <form>: Enter submits, and a submit button in `actions` triggers it. */
  onSubmit?: (event: FormEvent<HTMLFormElement>) => void;
  size?: 'small' | 'medium' | 'large' | 'wide';
  /** alertdialog for confirmations and errors (screen readers read the description at once). */
  role?: 'dialog' | 'alertdialog';
  tone?: 'default' | 'danger';
  testId?: string;
}

/**
 * Whether the element's content is taller than the element: a scrolling body must be reachable by keyboard (Tab to
 * it, then arrows or Page Down), or a long checklist cannot be read without a mouse (axe: scrollable-region-focusable).
 */
function useOverflows<T extends HTMLElement>() {
  const [element, setElement] = useState<T | null>(null);
  const [overflows, setOverflows] = useState(false);
  // A callback ref: the body is remounted when the dialog switches between its form and plain layouts.
  useEffect(() => {
    if (!element) return;
    const measure = () => setOverflows(element.scrollHeight > element.clientHeight + 1);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    const mutations = new MutationObserver(measure);
    mutations.observe(element, { childList: true, subtree: true, characterData: true });
    return () => {
      observer.disconnect();
      mutations.disconnect();
    };
  }, [element]);
  return [setElement, overflows] as const;
}

export function Dialog({ title, description, children, actions, onClose, busy, error, errorContext, onSubmit, size = 'medium', role = 'dialog', tone = 'default', testId }: DialogProps) {
  const isBusy = Boolean(busy);
  const busyText = typeof busy === 'string' ? busy : 'Working…';
  const [bodyRef, bodyOverflows] = useOverflows<HTMLDivElement>();
  const content = (
    <>
      <div className="dialog-body" ref={bodyRef} {...(bodyOverflows ? { tabIndex: 0 } : {})}>
        {description ? <div className="dialog-description">{description}</div> : null}
        {children}
      </div>
      {error ? (
        <div className="dialog-error">
          <ErrorNotice error={error} {...(errorContext ? { context: errorContext } : {})} />
        </div>
      ) : null}
      {actions || isBusy ? (
        <footer className="dialog-actions">
          {isBusy ? (
            <span className="dialog-busy" role="status">
              <Spinner /> {busyText}
            </span>
          ) : null}
          {actions}
        </footer>
      ) : null}
    </>
  );
  return (
    <ModalOverlay
      isOpen
      isDismissable={!isBusy}
      isKeyboardDismissDisabled={isBusy}
      onOpenChange={(open) => {
        if (!open && !isBusy) onClose();
      }}
      className="modal-overlay"
    >
      <Modal className={`modal modal-${size}${tone === 'danger' ? ' modal-danger' : ''}`}>
        <AriaDialog role={role} className="dialog" aria-busy={isBusy} {...(testId ? { 'data-testid': testId } : {})}>
          <header className="dialog-header">
            <Heading slot="title" className="dialog-title">
              {title}
            </Heading>
            <IconButton label="Close" icon={<X size={18} aria-hidden="true" />} onPress={onClose} isDisabled={isBusy} />
          </header>
          {onSubmit ? (
            <form
              className="dialog-form"
              noValidate
              onSubmit={(event) => {
                event.preventDefault();
                if (!isBusy) onSubmit(event);
              }}
            >
              {content}
            </form>
          ) : (
            content
          )}
        </AriaDialog>
      </Modal>
    </ModalOverlay>
  );
}
