import { ShieldAlert, ShieldCheck } from 'lucide-react';
import { useState } from 'react';
import type { AppError } from '../../../shared/result.ts';
import { Button } from '../../components/Button.tsx';
import { CommandLine } from '../../components/CopyButton.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { useFleet } from './fleet-store.ts';
import { fingerprintCommand, type KeyInfo } from './host-key.ts';

// Trusting a NAS's host key: on first contact, the fingerprint to compare with the one the NAS prints on its own
// console; after a change, the old and the new side by side, blocked until the admin has checked and re-trusts.

export function Fingerprint({ keyInfo, label }: { keyInfo: KeyInfo; label: string }) {
  return (
    <div className="fingerprint" role="group" aria-label={label}>
      <span className="fingerprint-label" aria-hidden="true">{label}</span>
      <span className="fingerprint-type">{keyInfo.type}</span>
      <code className="fingerprint-value" data-testid="fingerprint">
        {keyInfo.sha256}
      </code>
    </div>
  );
}

export interface HostKeyPanelProps {
  connectionId: string;
  nasName: string;
  presented: KeyInfo;
  /** The key confirmed before: set when the key changed. */
  pinned?: KeyInfo | null;
  onTrusted(): void;
}

export function HostKeyPanel({ connectionId, nasName, presented, pinned, onTrusted }: HostKeyPanelProps) {
  const confirm = useFleet((s) => s.confirmHostKey);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const changed = Boolean(pinned && pinned.sha256 !== presented.sha256);

  const trust = async () => {
    setBusy(true);
    const failure = await confirm(connectionId, presented.sha256);
    setBusy(false);
    setError(failure);
    if (!failure) onTrusted();
  };

  return (
    <div className={changed ? 'host-key-panel host-key-changed' : 'host-key-panel'} data-testid={changed ? 'host-key-changed' : 'host-key-first-contact'}>
      {changed && pinned ? (
        <>
          <p className="host-key-lead">
            <ShieldAlert size={18} aria-hidden="true" /> <strong>The host key of {nasName} has changed. The app blocks every connection to it until you decide.</strong>
          </p>
          <div className="fingerprint-pair">
            <Fingerprint keyInfo={pinned} label="Confirmed before" />
            <Fingerprint keyInfo={presented} label="Presented now" />
          </div>
          <p>
            A reinstall of the NAS or a regeneration of its SSH keys changes the key — but so does someone intercepting the connection. On the NAS's own console (not over this network), print its fingerprint and compare it with "Presented now":
          </p>
        </>
      ) : (
        <>
          <p className="host-key-lead">
            <ShieldCheck size={18} aria-hidden="true" /> First contact with {nasName}. Check that this is really your NAS before the app trusts it.
          </p>
          <Fingerprint keyInfo={presented} label="Fingerprint presented" />
          <p>On the NAS's console (or its web shell), print its fingerprint and check that it is the same:</p>
        </>
      )}
      <CommandLine command={fingerprintCommand(presented.type)} />
      {error ? <ErrorNotice error={error} /> : null}
      <div className="panel-actions">
        <Button variant={changed ? 'danger' : 'primary'} isPending={busy} onPress={() => void trust()}>
          {changed ? 'They match: trust the new key' : 'It matches: trust this NAS'}
        </Button>
      </div>
    </div>
  );
}
