import { useEffect, useState } from 'react';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorBanner } from '../../components/ErrorBanner.tsx';
import { ConnectionForm } from './ConnectionForm.tsx';
import { useConnectionsStore } from './connections-store.ts';

export function ConnectionsView() {
  const { connections, loaded, error, load, save, remove, subscribe } = useConnectionsStore();
  const [adding, setAdding] = useState(false);

  useEffect(() => {
    void load();
    return subscribe();
  }, [load, subscribe]);

  const addButton = (
    <button className="primary" onClick={() => setAdding(true)}>
      Add connection
    </button>
  );

  return (
    <div className="view">
      <ErrorBanner error={error} />
      {adding ? <ConnectionForm onSave={save} onCancel={() => setAdding(false)} /> : null}
      {loaded && connections.length === 0 && !adding ? (
        <EmptyState title="No NAS connections yet" action={addButton}>
          <p>
            Add each NAS you replicate from or to: its address, SSH port, and the user that runs <code>zfs</code> (root,
            or an admin user with sudo such as TrueNAS SCALE's <code>admin</code>).
          </p>
        </EmptyState>
      ) : null}
      {connections.length > 0 ? (
        <>
          <div className="toolbar">{adding ? null : addButton}</div>
          <ul className="connection-list" aria-label="Saved connections">
            {connections.map((c) => (
              <li key={c.id} className="card connection">
                <div>
                  <strong>{c.name}</strong>
                  <div className="muted">
                    {c.username}@{c.host}:{c.port} · zfs as {c.privilege}
                  </div>
                  <div className="muted">{c.hostKey ? `Host key ${c.hostKey.type} ${c.hostKey.sha256}` : 'Host key not confirmed yet'}</div>
                </div>
                <button
                  onClick={() => {
                    if (window.confirm(`Forget "${c.name}"? Nothing on the NAS is changed.`)) void remove(c.id);
                  }}
                >
                  Forget
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}
