import { RefreshCw } from 'lucide-react';
import type { Connection } from '../../../shared/schemas.ts';
import { Button } from '../../components/Button.tsx';
import { Checklist, type ChecklistStep, type StepState } from '../../components/Checklist.tsx';
import { CommandLine } from '../../components/CopyButton.tsx';
import { useFleet, type PreflightReport, type PreflightRun } from './fleet-store.ts';
import { HostKeyPanel } from './HostKeyPanel.tsx';
import { KeySetupPanel } from './KeySetupPanel.tsx';

// The pre-flight test as a checklist: TCP -> host key -> login -> privilege -> OpenZFS -> pools, filled live by the
// preflightStep events and then by the report. A check that needs the admin carries its fix in place: the
// fingerprint to confirm, the password for the key setup, the sudoers or zfs allow lines to copy.

type Check = PreflightReport['checks'][number];

const checkIds = ['tcp', 'host-key', 'login', 'privilege', 'zfs', 'pools'] as const;
const titles: Record<(typeof checkIds)[number], string> = {
  tcp: 'The NAS answers on its SSH port',
  'host-key': 'Host key confirmed',
  login: 'Sign in with the key',
  privilege: 'Permission to run zfs',
  zfs: 'OpenZFS version and features',
  pools: 'Pools',
};

function stepState(state: string | undefined): StepState {
  switch (state) {
    case 'running':
      return 'running';
    case 'ok':
      return 'done';
    case 'warn':
      return 'warn';
    case 'fail':
      return 'failed';
    case 'action':
      return 'action';
    case 'skipped':
      return 'skipped';
    default:
      return 'pending';
  }
}

export interface PreflightChecklistProps {
  connection: Connection;
  run: PreflightRun | undefined;
  onRerun(): void;
  onEdit(): void;
}

export function PreflightChecklist({ connection, run, onRerun, onEdit }: PreflightChecklistProps) {
  const report = run?.report ?? null;
  const checks = new Map<string, Check>((report?.checks ?? []).map((c) => [c.id, c]));
  const refresh = useFleet((s) => s.refreshStatus);

  const fixOf = (check: Check | undefined): React.ReactNode => {
    if (!check || run?.running) return null;
    const commands = check.commands.length > 0 ? check.commands.map((c) => <CommandLine key={c.command} label={c.label} command={c.command} />) : null;
    switch (check.id) {
      case 'host-key': {
        const presented = report?.hostKey.presented;
        if ((check.status === 'action' || check.status === 'fail') && presented) {
          return <HostKeyPanel connectionId={connection.id} nasName={connection.name} presented={presented} pinned={report?.hostKey.state === 'mismatch' ? report.hostKey.pinned : null} onTrusted={onRerun} />;
        }
        break;
      }
      case 'tcp':
        if (check.status === 'fail') {
          return (
            <>
              {check.hint ? <p>{check.hint}</p> : null}
              <div className="panel-actions">
                <Button onPress={onEdit}>Edit the address or port</Button>
              </div>
            </>
          );
        }
        break;
      case 'login':
        if (check.status === 'fail' && check.error?.code === 'AUTH_FAILED' && connection.auth.kind !== 'agent') {
          return (
            <>
              <p>The NAS does not accept the app's key for {connection.username} yet. Install it with the password once:</p>
              <KeySetupPanel
                connection={connection}
                onInstalled={() => {
                  onRerun();
                  void refresh(connection.id);
                }}
              />
            </>
          );
        }
        break;
      default:
    }
    if (check.status === 'fail' || check.status === 'warn') {
      return (
        <>
          {check.hint ? <p>{check.hint}</p> : null}
          {commands}
        </>
      );
    }
    return null;
  };

  const steps: ChecklistStep[] = checkIds.map((id) => {
    const check = checks.get(id);
    const live = run?.live[id];
    const state = run?.running ? stepState(live?.state) : stepState(check?.status ?? live?.state);
    const fix = fixOf(check);
    // The host-key panel shows the fingerprint itself, and the key-setup panel says why the login failed (the
    // backend's sentence, e.g. "The app has no SSH key yet", is stale once the panel has created the key).
    const detail = (id === 'host-key' || id === 'login') && fix ? undefined : (check?.detail ?? live?.detail);
    return { id, title: titles[id], state, ...(detail ? { detail } : {}), ...(fix ? { fix } : {}) };
  });

  return (
    <div className="preflight" data-testid="preflight" aria-busy={run?.running ?? false}>
      <Checklist steps={steps} label={`Test of ${connection.name}`} />
      {run?.error ? <p className="field-error">{run.error.message}</p> : null}
      <div className="panel-actions">
        <Button icon={<RefreshCw size={16} aria-hidden="true" />} isPending={run?.running ?? false} onPress={onRerun}>
          Test again
        </Button>
      </div>
    </div>
  );
}
