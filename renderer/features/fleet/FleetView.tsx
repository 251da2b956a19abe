import { FolderTree, KeyRound, Link2, Pencil, Plus, RefreshCw, ShieldCheck, Stethoscope, Trash2, Undo2 } from 'lucide-react';
import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { AppError } from '../../../shared/result.ts';
import type { Connection } from '../../../shared/schemas.ts';
import { Button } from '../../components/Button.tsx';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { ActionMenu } from '../../components/Menu.tsx';
import { StatusBadge, type Tone } from '../../components/StatusBadge.tsx';
import { openDialog } from '../../lib/dialogs.ts';
import { reportError } from '../../lib/error-chain.ts';
import { formatBytes, formatMs, formatRelative, plural } from '../../lib/format.ts';
import { navigate } from '../../lib/navigation.ts';
import { KeySetupDialog, RemoveKeyDialog } from './FleetDialogs.tsx';
import { tasksOf, useFleet, worstTaskState, type StatusEntry, type TaskEntry } from './fleet-store.ts';
import { NasDialog } from './NasDialog.tsx';
import { TrustDialog } from './TrustDialog.tsx';

// Home: every saved NAS as a card — reachable or why not, SSH latency, OpenZFS version, privilege, pools with
// health and free space, its tasks and their worst state. Each NAS is asked on its own (one slow or unreachable
// NAS never holds up the others), on opening, on demand, and every minute while the view is open.

const refreshEveryMs = 60_000;

const privilegeWords: Record<Connection['privilege'], string> = { root: 'root', sudo: 'sudo for zfs', delegated: 'delegated (zfs allow)' };

function reachability(entry: StatusEntry | undefined): { tone: Tone; text: string } {
  if (!entry || (entry.loading && !entry.status && !entry.error)) return { tone: 'running', text: 'Checking…' };
  if (entry.error) {
    const words: Partial<Record<AppError['code'], string>> = {
      HOST_KEY_MISMATCH: 'Host key changed',
      HOST_KEY_UNCONFIRMED: 'Not set up',
      AUTH_FAILED: 'Cannot sign in',
      SUDO_PASSWORD_REQUIRED: 'sudo needs a password',
      PERMISSION_DENIED: 'Permission denied',
    };
    return { tone: 'fail', text: words[entry.error.code] ?? 'Unreachable' };
  }
  return { tone: 'ok', text: 'Reachable' };
}

const taskTone: Record<TaskEntry['state'], Tone> = { FINISHED: 'ok', PENDING: 'pending', RUNNING: 'running', FAILED: 'fail' };
const taskWords: Record<TaskEntry['state'], string> = { FINISHED: 'all finished', PENDING: 'pending', RUNNING: 'running', FAILED: 'a task failed' };

/** The button that fixes a NAS's error: it sends the error down the app's error chain, which opens the right dialog. */
const fixLabel: Partial<Record<AppError['code'], string>> = {
  HOST_KEY_UNCONFIRMED: 'Confirm the fingerprint',
  HOST_KEY_MISMATCH: 'Review the key change',
  AUTH_FAILED: 'Set up key login',
  SUDO_PASSWORD_REQUIRED: 'Show the sudoers line',
};

function PoolMeter({ pool }: { pool: { name: string; health: string; sizeBytes: number; freeBytes: number; allocatedBytes: number } }) {
  const usedPercent = pool.sizeBytes > 0 ? Math.round((pool.allocatedBytes / pool.sizeBytes) * 100) : 0;
  const tone: Tone = pool.health === 'ONLINE' ? 'ok' : pool.health === 'DEGRADED' ? 'warn' : 'fail';
  return (
    <li className="pool">
      <div className="pool-head">
        <span className="pool-name">{pool.name}</span>
        <StatusBadge tone={tone}>{pool.health}</StatusBadge>
        <span className="pool-free">
          {formatBytes(pool.freeBytes)} free of {formatBytes(pool.sizeBytes)}
        </span>
      </div>
      <div className="meter" role="meter" aria-label={`${pool.name} space used`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={usedPercent} aria-valuetext={`${usedPercent}% used`}>
        <div className={`meter-fill${usedPercent >= 90 ? ' meter-full' : usedPercent >= 80 ? ' meter-high' : ''}`} style={{ width: `${usedPercent}%` }} />
      </div>
    </li>
  );
}

function NasCard({ connection }: { connection: Connection }) {
  const entry = useFleet((s) => s.statuses[connection.id]);
  const tasks = useFleet(useShallow((s) => tasksOf(s.tasks, connection.id)));
  const refresh = useFleet((s) => s.refreshStatus);
  const remove = useFleet((s) => s.remove);
  const { tone, text } = reachability(entry);
  const status = entry?.status ?? null;
  const error = entry?.error ?? null;
  const worst = worstTaskState(tasks);
  const retry = () => void refresh(connection.id);

  const openNas = (startWithTest: boolean) => openDialog((close) => <NasDialog connection={connection} startWithTest={startWithTest} onClose={close} />);
  const forget = () =>
    openDialog((close) => (
      <ConfirmDialog
        title={`Forget ${connection.name}?`}
        message={<p>The app stops managing this NAS. Nothing on the NAS changes: its data, snapshots and installed keys stay.</p>}
        itemsLabel="Removed from this app"
        items={[
          { label: `${connection.name} (${connection.username}@${connection.host}:${connection.port})`, detail: connection.hostKey ? 'the saved connection and its confirmed host key' : 'the saved connection' },
          ...tasks.map((t) => ({ label: `task "${t.task.name}"`, detail: 'stays saved, but cannot run until the NAS is added again' })),
        ]}
        confirmLabel={`Forget ${connection.name}`}
        onConfirm={() => remove(connection.id)}
        onClose={close}
      />
    ));

  return (
    <article className="card nas-card" aria-labelledby={`nas-${connection.id}`} data-testid="nas-card" data-nas={connection.name}>
      <header className="nas-card-head">
        <div>
          <h2 id={`nas-${connection.id}`}>{connection.name}</h2>
          <div className="muted">
            {connection.username}@{connection.host}:{connection.port}
          </div>
        </div>
        <div className="nas-card-status">
          <StatusBadge tone={entry?.loading && status ? 'running' : tone}>{entry?.loading && status ? 'Refreshing…' : text}</StatusBadge>
          {status && !error ? <span className="muted latency">SSH {formatMs(status.latencyMs)}</span> : null}
        </div>
      </header>

      {error ? (
        <div className="nas-card-error" role="status">
          <p className="nas-card-error-message">{error.message}</p>
          {error.hint ? <p className="muted">{error.hint}</p> : null}
          <div className="panel-actions">
            {fixLabel[error.code] ? (
              <Button variant="primary" onPress={() => reportError(error, { connectionId: connection.id, action: `Reach ${connection.name}`, retry })}>
                {fixLabel[error.code]}
              </Button>
            ) : null}
            <Button onPress={() => openNas(true)} icon={<Stethoscope size={16} aria-hidden="true" />}>
              Test step by step
            </Button>
          </div>
        </div>
      ) : null}

      {!connection.hostKey && !error && !status ? (
        <div className="nas-card-error">
          <p>The app has not connected to this NAS yet.</p>
          <div className="panel-actions">
            <Button variant="primary" onPress={() => openNas(true)} icon={<ShieldCheck size={16} aria-hidden="true" />}>
              Test and set up
            </Button>
          </div>
        </div>
      ) : null}

      <dl className="facts">
        <div>
          <dt>OpenZFS</dt>
          <dd>{status ? status.zfsVersion.replace(/^zfs-/, '') : '—'}</dd>
        </div>
        <div>
          <dt>Runs zfs as</dt>
          <dd>{privilegeWords[connection.privilege]}</dd>
        </div>
        <div>
          <dt>Tasks</dt>
          <dd>
            {tasks.length === 0 ? (
              'none'
            ) : (
              <>
                {plural(tasks.length, 'task')} {worst ? <StatusBadge tone={taskTone[worst]}>{taskWords[worst]}</StatusBadge> : null}
              </>
            )}
          </dd>
        </div>
        <div>
          <dt>Checked</dt>
          <dd title={entry?.at ?? undefined}>{entry?.at ? formatRelative(entry.at) : '—'}</dd>
        </div>
      </dl>

      {status ? (
        status.pools.length > 0 ? (
          <ul className="pools" aria-label={`Pools of ${connection.name}`}>
            {status.pools.map((pool) => (
              <PoolMeter key={pool.name} pool={pool} />
            ))}
          </ul>
        ) : (
          <p className="muted">No pool is imported on this NAS.</p>
        )
      ) : null}

      <footer className="nas-card-actions">
        <Button icon={<FolderTree size={16} aria-hidden="true" />} onPress={() => navigate({ view: 'datasets', connectionId: connection.id })} isDisabled={!status}>
          Datasets
        </Button>
        <Button icon={<Stethoscope size={16} aria-hidden="true" />} onPress={() => openNas(true)}>
          Test
        </Button>
        <Button icon={<RefreshCw size={16} aria-hidden="true" />} onPress={retry} isPending={entry?.loading ?? false} aria-label={`Refresh ${connection.name}`}>
          Refresh
        </Button>
        <ActionMenu
          label={`More actions for ${connection.name}`}
          actions={[
            { id: 'edit', label: 'Edit', icon: <Pencil size={16} aria-hidden="true" />, onAction: () => openNas(false) },
            { id: 'key', label: 'Set up key login', icon: <KeyRound size={16} aria-hidden="true" />, onAction: () => openDialog((close) => <KeySetupDialog connectionId={connection.id} onClose={close} onDone={retry} />) },
            {
              id: 'remove-key',
              label: "Remove the app's key from this NAS",
              icon: <Undo2 size={16} aria-hidden="true" />,
              disabled: connection.auth.kind === 'agent',
              onAction: () => openDialog((close) => <RemoveKeyDialog connectionId={connection.id} onClose={close} />),
            },
            { id: 'trust', label: 'NAS-to-NAS trust…', icon: <Link2 size={16} aria-hidden="true" />, onAction: () => openDialog((close) => <TrustDialog onClose={close} initialSource={connection.id} />) },
            { id: 'forget', label: 'Forget this NAS', icon: <Trash2 size={16} aria-hidden="true" />, danger: true, separatorBefore: true, onAction: forget },
          ]}
        />
      </footer>
    </article>
  );
}

export function FleetView() {
  const connections = useFleet((s) => s.connections);
  const loaded = useFleet((s) => s.loaded);
  const loadError = useFleet((s) => s.loadError);
  const load = useFleet((s) => s.load);
  const refreshAll = useFleet((s) => s.refreshAll);
  const anyLoading = useFleet((s) => Object.values(s.statuses).some((e) => e.loading));
  const [lastRefresh, setLastRefresh] = useState<string | null>(null);
  const connectionIds = connections.map((c) => c.id).join(',');

  useEffect(() => {
    void load();
  }, [load]);
  // On opening (and when the fleet changes), then every minute while the view is open.
  useEffect(() => {
    if (!connectionIds) return;
    const run = () => {
      setLastRefresh(new Date().toISOString());
      void refreshAll();
    };
    run();
    const timer = setInterval(run, refreshEveryMs);
    return () => clearInterval(timer);
  }, [connectionIds, refreshAll]);

  const addNas = () => openDialog((close) => <NasDialog connection={null} onClose={close} />);
  const addButton = (
    <Button variant="primary" icon={<Plus size={16} aria-hidden="true" />} onPress={addNas}>
      Add NAS
    </Button>
  );

  if (!loaded && loadError) {
    return (
      <div className="view">
        <ErrorNotice error={loadError} />
        <div className="toolbar">
          <Button icon={<RefreshCw size={16} aria-hidden="true" />} onPress={() => void load()}>
            Try again
          </Button>
        </div>
      </div>
    );
  }
  if (!loaded) return <p className="muted">Loading the fleet…</p>;
  if (connections.length === 0) {
    return (
      <div className="view">
        <EmptyState title="No NAS yet" action={addButton}>
          <p>
            Add each NAS you replicate from or to: its address, SSH port, and the user that runs <code>zfs</code> (root, or an admin user with sudo such as TrueNAS SCALE's <code>admin</code>). The
            app then checks it step by step, asks you to confirm its fingerprint, and installs its own key with the password once.
          </p>
        </EmptyState>
      </div>
    );
  }

  const sorted = [...connections].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <div className="view view-wide">
      <div className="toolbar toolbar-center">
        {addButton}
        <Button icon={<Link2 size={16} aria-hidden="true" />} onPress={() => openDialog((close) => <TrustDialog onClose={close} />)} isDisabled={connections.length < 2}>
          NAS-to-NAS trust
        </Button>
        <span className="toolbar-spacer" />
        <span className="muted" aria-live="polite">
          {anyLoading ? 'Checking…' : lastRefresh ? `Checked ${formatRelative(lastRefresh)} · every minute` : ''}
        </span>
        <Button
          icon={<RefreshCw size={16} aria-hidden="true" />}
          isPending={anyLoading}
          onPress={() => {
            setLastRefresh(new Date().toISOString());
            void refreshAll();
          }}
        >
          Refresh all
        </Button>
      </div>
      <div className="nas-grid">
        {sorted.map((connection) => (
          <NasCard key={connection.id} connection={connection} />
        ))}
      </div>
    </div>
  );
}
