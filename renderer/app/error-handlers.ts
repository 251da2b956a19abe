import { fleetErrorHandlers } from '../features/fleet/error-handlers.tsx';
import { errorChain } from '../lib/error-chain.ts';
import { confirmationHandler, genericErrorHandler, transportClosedHandler, validationHandler } from '../lib/standard-error-handlers.tsx';

/**
 * The app's error chain, in order: a lost backend first (offline bar), then validation (inline at the fields), the
 * fleet's handlers (host key, missing key, sudo), the destroy confirmation, and last the generic error dialog.
 * A handler that does not recognise an error (or lacks what it needs in the context) passes it on.
 */
export function installErrorHandlers(): void {
  errorChain.set([transportClosedHandler, validationHandler, ...fleetErrorHandlers, confirmationHandler, genericErrorHandler]);
}
