import { useEffect, useState } from 'react';
import { toast } from 'sonner';
import type { AppError } from '../../../shared/result.ts';
import { sudoersLine } from '../../../shared/sudoers.ts';
import { Button } from '../../components/Button.tsx';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { CommandLine } from '../../components/CopyButton.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { request } from '../../lib/request.ts';
import { useFleet } from './fleet-store.ts';
import { keyInfoOf, type KeyInfo } from './host-key.ts';
import { HostKeyPanel } from './HostKeyPanel.tsx';
import { KeySetupPanel } from './KeySetupPanel.tsx';

// The dialogs the fleet's error handlers open (and the fleet cards' "fix" buttons, through the same chain).

/** First contact or a changed key: fetch what the NAS presents now and let the admin decide. */
export function HostKeyDialog({ connectionId, error, onClose, onTrusted }: { connectionId: string; error: AppError; onClose(): void; onTrusted?: () => void }) {
  const connection = useFleet((s) => s.connections.find((c) => c.id === connectionId) ?? null);
  const probe = useFleet((s) => s.probeHostKey);
  // Both host-key codes carry what the NAS presented (shared/result.ts); a mismatch also what was pinned.
  const fromError = error.code === 'HOST_KEY_MISMATCH' || error.code === 'HOST_KEY_UNCONFIRMED' ? keyInfoOf(error.details.presented) : null;
  const [presented, setPresented] = useState<KeyInfo | null>(fromError);
  const [probeError, setProbeError] = useState<AppError | null>(null);
  useEffect(() => {
    // What the NAS presents now is what gets pinned (the main process checks it again).
    void probe(connectionId).then((result) => {
      if ('code' in result) setProbeError(result);
      else setPresented({ type: result.type, sha256: result.sha256 });
    });
  }, [connectionId, probe]);
  const pinned = connection?.hostKey ? { type: connection.hostKey.type, sha256: connection.hostKey.sha256 } : (error.code === 'HOST_KEY_MISMATCH' ? keyInfoOf(error.details.expected) : null);
  const name = connection?.name ?? 'this NAS';
  return (
    <Dialog title={error.code === 'HOST_KEY_MISMATCH' ? `The host key of ${name} changed` : `Trust ${name}?`} size="large" role="alertdialog" onClose={onClose} testId="host-key-dialog" actions={<Button onPress={onClose}>Not now</Button>}>
      {probeError ? <ErrorNotice error={probeError} /> : null}
      {presented ? (
        <HostKeyPanel
          connectionId={connectionId}
          nasName={name}
          presented={presented}
          pinned={pinned}
          onTrusted={() => {
            onClose();
            onTrusted?.();
          }}
        />
      ) : probeError ? null : (
        <p>
          <Spinner /> Fetching the key {name} presents…
        </p>
      )}
    </Dialog>
  );
}

export function KeySetupDialog({ connectionId, error, onClose, onDone }: { connectionId: string; error?: AppError; onClose(): void; onDone?: () => void }) {
  const connection = useFleet((s) => s.connections.find((c) => c.id === connectionId) ?? null);
  if (!connection) return null;
  return (
    <Dialog
      title={`Set up key login to ${connection.name}`}
      description={error ? `${error.message} The app signs in with its own key; install it on the NAS with the password once.` : `Install the app's key for ${connection.username}@${connection.host} with the password once.`}
      size="large"
      onClose={onClose}
      testId="key-setup-dialog"
      actions={<Button onPress={onClose}>Close</Button>}
    >
      <KeySetupPanel connection={connection} {...(onDone ? { onInstalled: onDone } : {})} />
    </Dialog>
  );
}

/** sudo wants a password: the line to add to sudoers, and where TrueNAS keeps it. */
export function SudoDialog({ connectionId, error, onClose, onRetry }: { connectionId: string | undefined; error: AppError; onClose(): void; onRetry?: () => void }) {
  const connection = useFleet((s) => (connectionId ? (s.connections.find((c) => c.id === connectionId) ?? null) : null));
  const user = connection?.username ?? 'USER';
  return (
    <Dialog
      title={`sudo on ${connection?.name ?? 'the NAS'} asks for a password`}
      size="large"
      role="alertdialog"
      onClose={onClose}
      testId="sudo-dialog"
      actions={
        <>
          <Button onPress={onClose}>Close</Button>
          {onRetry ? (
            <Button
              variant="primary"
              onPress={() => {
                onClose();
                onRetry();
              }}
            >
              Test again
            </Button>
          ) : null}
        </>
      }
    >
      <p>{error.message}</p>
      <p>
        The app runs zfs with <code>sudo -n</code>, which never prompts. Allow {user} to run zfs and zpool without a password: on the NAS, run{' '}
        <code>sudo visudo -f /etc/sudoers.d/zfs-replication</code> and add this line:
      </p>
      <CommandLine command={sudoersLine(user)} label="sudoers line" />
      <p className="muted">
        TrueNAS SCALE: Credentials &gt; Users &gt; {user} &gt; "Allowed sudo commands with no password": <code>/usr/sbin/zfs, /usr/sbin/zpool</code>. Or edit this NAS and choose "delegated" to grant
        zfs allow permissions instead.
      </p>
    </Dialog>
  );
}

/** Undo of the key setup from the fleet: lists the exact key line that goes, then removes it over the key login. */
export function RemoveKeyDialog({ connectionId, onClose }: { connectionId: string; onClose(): void }) {
  const connection = useFleet((s) => s.connections.find((c) => c.id === connectionId) ?? null);
  const removeKey = useFleet((s) => s.removeKey);
  const [appKey, setAppKey] = useState<{ type: string; sha256: string } | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  useEffect(() => {
    void request('getAppKey', {}, { quiet: true }).then((result) => (result.ok ? setAppKey(result.value) : setError(result.error)));
  }, []);
  if (!connection) return null;
  const keyLabel = connection.auth.kind === 'key-file' ? `the public key of ${connection.auth.keyPath}` : appKey ? `${appKey.type} ${appKey.sha256}` : "the app's key";
  return (
    <ConfirmDialog
      title={`Remove the app's key from ${connection.name}?`}
      message={
        <p>
          The key line is removed from ~/.ssh/authorized_keys of {connection.username} on {connection.name}. The app then cannot sign in there until the key is set up again (with the password).
        </p>
      }
      itemsLabel="Removed from the NAS"
      items={[{ label: keyLabel, detail: `in ~/.ssh/authorized_keys of ${connection.username}` }]}
      keeps={<p>Every other key line, and everything else on the NAS, stays as it is. The NAS stays in the fleet.</p>}
      confirmLabel="Remove the key"
      error={error}
      onConfirm={async () => {
        const outcome = await removeKey(connectionId);
        if ('code' in outcome) {
          setError(outcome);
          return false;
        }
        toast.success(`Removed the app's key from ${connection.name} (${outcome.removed} line${outcome.removed === 1 ? '' : 's'}).`);
        return true;
      }}
      onClose={onClose}
    />
  );
}
