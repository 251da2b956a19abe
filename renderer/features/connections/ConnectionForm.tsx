import { useState, type FormEvent } from 'react';
import type { ConnectionInput } from '../../../shared/schemas.ts';

type Privilege = NonNullable<ConnectionInput['privilege']>;

export function ConnectionForm(props: { onSave(input: ConnectionInput): Promise<boolean>; onCancel(): void }) {
  const [name, setName] = useState('');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('22');
  const [username, setUsername] = useState('root');
  const [privilege, setPrivilege] = useState<Privilege>('root');
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const saved = await props.onSave({ name, host, port: Number(port), username, privilege, auth: { kind: 'app-key' } });
    setBusy(false);
    if (saved) props.onCancel();
  };

  return (
    <form className="card form" onSubmit={submit} aria-label="New connection">
      <h3>New NAS connection</h3>
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="backup-nas" required />
      </label>
      <div className="form-row">
        <label className="grow">
          Host or IP address
          <input value={host} onChange={(e) => setHost(e.target.value)} placeholder="192.168.1.20" required />
        </label>
        <label className="narrow">
          SSH port
          <input value={port} onChange={(e) => setPort(e.target.value)} inputMode="numeric" required />
        </label>
      </div>
      <div className="form-row">
        <label className="grow">
          User
          <input value={username} onChange={(e) => setUsername(e.target.value)} required />
        </label>
        <label className="grow">
          Runs zfs as
          <select value={privilege} onChange={(e) => setPrivilege(e.target.value as Privilege)}>
            <option value="root">root</option>
            <option value="sudo">this user with sudo (TrueNAS admin)</option>
            <option value="delegated">this user with zfs allow</option>
          </select>
        </label>
      </div>
      <p className="muted">
        The app will sign in with its own SSH key. The guided key exchange asks for the password once, installs the
        key and pins the NAS's host key after you confirm its fingerprint.
      </p>
      <div className="form-actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          Save connection
        </button>
      </div>
    </form>
  );
}
