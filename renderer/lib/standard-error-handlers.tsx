import type { AppError } from '../../shared/result.ts';
import { Button } from '../components/Button.tsx';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { confirmationItemsOf } from './confirmation-items.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { useConnectivity } from './connectivity.ts';
import { formatBytes } from './format.ts';
import { openDialog } from './dialogs.ts';
import { fieldIssuesOfError, type ErrorContext, type NamedErrorHandler } from './error-chain.ts';

// The error handlers every screen shares. Features add their own (renderer/features/fleet/error-handlers.tsx);
// renderer/app/error-handlers.ts puts them in order.

/** The backend is gone: the offline bar says so (and retries); no dialog per failed request. */
export const transportClosedHandler: NamedErrorHandler = {
  name: 'transport-closed',
  handle: (error) => {
    if (error.code !== 'TRANSPORT_CLOSED') return error;
    useConnectivity.getState().setOffline(error);
    return null;
  },
};

/** Validation refused by the main process: the issues go to the form's fields when the caller has a form. */
export const validationHandler: NamedErrorHandler = {
  name: 'validation',
  handle: (error, context) => {
    if (error.code !== 'INVALID_REQUEST' || !context.setFieldErrors) return error;
    const issues = fieldIssuesOfError(error);
    return issues.length > 0 && context.setFieldErrors(issues) ? null : error;
  },
};

/** Something would be destroyed: list exactly what, and go on only when the admin confirms that list. */
export const confirmationHandler: NamedErrorHandler = {
  name: 'confirmation-required',
  handle: (error, context) => {
    if (error.code !== 'CONFIRMATION_REQUIRED' || !context.confirm) return error;
    const { items, confirmation, host, reclaimBytes } = confirmationItemsOf(error);
    const confirm = context.confirm;
    openDialog((close) => (
      <ConfirmDialog
        title={context.action ? `${context.action}: confirm what is destroyed` : 'Confirm what is destroyed'}
        message={
          <>
            <p>
              {host ? `On ${host}, this` : 'This'} destroys exactly what is listed below{reclaimBytes !== null ? `, freeing ${formatBytes(reclaimBytes)}` : ''}. Nothing has been changed yet, and
              nothing that is not listed will be destroyed: if the NAS changes before it runs, you are asked again.
            </p>
            {error.hint ? <p className="muted">{error.hint}</p> : null}
          </>
        }
        itemsLabel="Will be destroyed"
        items={items}
        confirmLabel={`Destroy ${items.length} and continue`}
        onConfirm={() => {
          confirm(confirmation ?? '');
        }}
        onClose={close}
      />
    ));
    return null;
  },
};

export function ErrorDialog({ error, context, onClose }: { error: AppError; context: ErrorContext; onClose(): void }) {
  return (
    <Dialog
      title={context.action ? `Could not ${context.action.charAt(0).toLowerCase()}${context.action.slice(1)}` : 'Something went wrong'}
      role="alertdialog"
      size="medium"
      onClose={onClose}
      testId="error-dialog"
      actions={
        <>
          {context.retry ? (
            <Button
              onPress={() => {
                onClose();
                context.retry?.();
              }}
            >
              Try again
            </Button>
          ) : null}
          <Button variant="primary" autoFocus onPress={onClose}>
            Close
          </Button>
        </>
      }
    >
      <ErrorNotice error={error} context={context} />
    </Dialog>
  );
}

/** The end of the chain: the error as it is, with its hint and a "copy details" button. */
export const genericErrorHandler: NamedErrorHandler = {
  name: 'generic',
  handle: (error, context) => {
    openDialog((close) => <ErrorDialog error={error} context={context} onClose={close} />, { key: `error:${error.code}:${error.message}` });
    return null;
  },
};
