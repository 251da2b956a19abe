import type { NamedErrorHandler } from '../../lib/error-chain.ts';
import { openDialog } from '../../lib/dialogs.ts';
import { useFleet } from './fleet-store.ts';
import { HostKeyDialog, KeySetupDialog, SudoDialog } from './FleetDialogs.tsx';

// The fleet's links in the app's error chain (renderer/app/error-handlers.ts). Each needs the NAS the request was
// about (context.connectionId); without it, the error goes on to the generic dialog, which still shows the hint.

const hostKeyHandler: NamedErrorHandler = {
  name: 'host-key',
  handle: (error, context) => {
    if ((error.code !== 'HOST_KEY_UNCONFIRMED' && error.code !== 'HOST_KEY_MISMATCH') || !context.connectionId) return error;
    const connectionId = context.connectionId;
    openDialog((close) => <HostKeyDialog connectionId={connectionId} error={error} onClose={close} {...(context.retry ? { onTrusted: context.retry } : {})} />, { key: `host-key:${connectionId}` });
    return null;
  },
};

/** The NAS refused the login and the connection uses a key the app can install: offer the key setup. */
const missingKeyHandler: NamedErrorHandler = {
  name: 'missing-key',
  handle: (error, context) => {
    if (error.code !== 'AUTH_FAILED' || !context.connectionId) return error;
    const connection = useFleet.getState().connections.find((c) => c.id === context.connectionId);
    const reason = error.details && 'reason' in error.details ? error.details.reason : undefined;
    // A key file that cannot be read, or ssh-agent, is not fixed by installing a key.
    if (!connection || connection.auth.kind === 'agent' || reason === 'KEY_PASSPHRASE_REQUIRED' || reason === 'KEY_UNREADABLE') return error;
    const connectionId = connection.id;
    openDialog((close) => <KeySetupDialog connectionId={connectionId} error={error} onClose={close} {...(context.retry ? { onDone: context.retry } : {})} />, { key: `key-setup:${connectionId}` });
    return null;
  },
};

const sudoHandler: NamedErrorHandler = {
  name: 'sudo-password',
  handle: (error, context) => {
    if (error.code !== 'SUDO_PASSWORD_REQUIRED') return error;
    openDialog((close) => <SudoDialog connectionId={context.connectionId} error={error} onClose={close} {...(context.retry ? { onRetry: context.retry } : {})} />, {
      key: `sudo:${context.connectionId ?? ''}`,
    });
    return null;
  },
};

export const fleetErrorHandlers: readonly NamedErrorHandler[] = [hostKeyHandler, missingKeyHandler, sudoHandler];
