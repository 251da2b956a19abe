import { KeyRound, Undo2 } from 'lucide-react';
import { useEffect, useState } from 'react';
import { useForm } from 'react-hook-form';
import { verbs, type VerbResponse } from '../../../shared/contract.ts';
import type { AppError } from '../../../shared/result.ts';
import type { Connection } from '../../../shared/schemas.ts';
import { Button } from '../../components/Button.tsx';
import { Checklist, type ChecklistStep, type StepState } from '../../components/Checklist.tsx';
import { CommandLine } from '../../components/CopyButton.tsx';
import { ErrorNotice, Notice } from '../../components/ErrorNotice.tsx';
import { TextInputField } from '../../components/fields.tsx';
import { contractResolver } from '../../lib/forms.ts';
import { request } from '../../lib/request.ts';
import { useFleet, type KeyStepState } from './fleet-store.ts';

// The guided key setup app -> NAS: the password is typed once, sent with the one request that uses it, and never
// kept (the field is cleared at once). The checklist follows the keyExchangeStep events of the main process:
// sign in with the password -> add the app's key to the user's authorized_keys -> sign in with the key alone.
// Each failure says what to do. Undo removes exactly the key line that was added.

const installSchema = verbs.installAppKey.request;

const stepTitles: Record<string, (c: Connection) => string> = {
  'password-login': (c) => `Sign in once as ${c.username} with the password`,
  'install-key': (c) => `Add the key to ~/.ssh/authorized_keys of ${c.username}`,
  'verify-key-login': () => 'Sign in with the key alone',
};
const stepOrder = ['password-login', 'install-key', 'verify-key-login'];

function stateOf(step: KeyStepState | undefined): StepState {
  if (!step) return 'pending';
  return step.status === 'running' ? 'running' : step.status === 'done' ? 'done' : 'failed';
}

/** The fix for a failed step, in words, from the step and the error. */
export function keySetupFix(step: string, error: AppError, connection: Connection): string {
  if (step === 'password-login' && error.code === 'AUTH_FAILED') {
    return `The NAS refused the password for ${connection.username}. Type it again (check Caps Lock and the keyboard layout). The NAS must also allow password login over SSH for this user (TrueNAS SCALE: Credentials > Users > ${connection.username} > "SSH password login enabled"; Linux: PasswordAuthentication yes in /etc/ssh/sshd_config).`;
  }
  if (step === 'verify-key-login' && error.code === 'AUTH_FAILED') {
    return `The key is in place but sshd did not accept it. On the NAS, check that ${connection.username}'s home and ~/.ssh are not writable by group or others (sshd's StrictModes) and that public-key login is allowed (PubkeyAuthentication yes).`;
  }
  return error.hint ?? 'Run the setup again; if it keeps failing, copy the details and check them on the NAS.';
}

export function KeySetupPanel({ connection, onInstalled }: { connection: Connection; onInstalled?: () => void }) {
  const steps = useFleet((s) => s.keySteps[connection.id]);
  const installKey = useFleet((s) => s.installKey);
  const removeKey = useFleet((s) => s.removeKey);
  const [appKey, setAppKey] = useState<VerbResponse<'getAppKey'> | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [installed, setInstalled] = useState<VerbResponse<'installAppKey'> | null>(null);
  const [undo, setUndo] = useState<{ busy: boolean; removed: number | null; error: AppError | null }>({ busy: false, removed: null, error: null });
  const form = useForm({ resolver: contractResolver(installSchema), defaultValues: { connectionId: connection.id, password: '' } });

  useEffect(() => {
    if (connection.auth.kind !== 'app-key') return;
    void request('getAppKey', {}, { quiet: true }).then((result) => setAppKey(result.ok ? result.value : null));
  }, [connection.auth.kind]);

  const submit = form.handleSubmit(async ({ password }) => {
    setError(null);
    setInstalled(null);
    setUndo({ busy: false, removed: null, error: null });
    // The password leaves the form now and is not kept anywhere in the window.
    form.reset({ connectionId: connection.id, password: '' });
    const outcome = await installKey(connection.id, password);
    if ('code' in outcome) {
      setError(outcome);
      // Back to the password, so the admin can type it again at once (keyboard users included).
      form.setFocus('password');
    } else {
      setInstalled(outcome);
      onInstalled?.();
    }
  });

  const byStep = new Map((steps ?? []).map((s) => [s.step, s]));
  const failedStep = stepOrder.find((id) => byStep.get(id)?.status === 'failed') ?? (error ? (stepOrder.find((id) => !byStep.has(id)) ?? 'password-login') : null);
  const checklist: ChecklistStep[] = [
    {
      id: 'key',
      title: connection.auth.kind === 'app-key' ? "The app's own key" : `The key file ${connection.auth.kind === 'key-file' ? connection.auth.keyPath : ''}`,
      state: connection.auth.kind === 'agent' ? 'failed' : 'done',
      detail:
        connection.auth.kind === 'app-key' ? (appKey ? `${appKey.type} ${appKey.sha256} (created once, kept in the app's settings folder)` : 'Loading…') : connection.auth.kind === 'agent' ? 'ssh-agent: add its public key on the NAS yourself.' : 'Its .pub file is installed.',
    },
    ...stepOrder.map((id): ChecklistStep => {
      const step = byStep.get(id);
      const state = id === failedStep && error ? 'failed' : stateOf(step);
      return {
        id,
        title: stepTitles[id]!(connection),
        state,
        ...(step?.detail && state !== 'failed' ? { detail: step.detail } : {}),
        ...(state === 'failed' && error ? { detail: error.message, fix: <p>{keySetupFix(id, error, connection)}</p> } : {}),
      };
    }),
  ];

  const running = form.formState.isSubmitting;
  return (
    <div className="key-setup" data-testid="key-setup">
      <Checklist steps={checklist} label={`Key setup for ${connection.name}`} />
      {installed ? (
        <Notice tone="success" title={installed.added ? `${connection.username}@${connection.name} now accepts the app's key.` : `The key was already installed for ${connection.username}@${connection.name}.`}>
          Key login verified in {Math.round(installed.keyLoginMs)} ms. The password was used once and not stored.
        </Notice>
      ) : null}
      {error && error.code !== 'AUTH_FAILED' && !failedStep ? <ErrorNotice error={error} /> : null}
      {connection.auth.kind === 'agent' ? (
        <p className="muted">With ssh-agent, the app cannot choose which key to install. Add the agent's public key to ~/.ssh/authorized_keys of {connection.username} on the NAS.</p>
      ) : installed ? (
        <div className="panel-actions">
          {undo.removed !== null ? <span className="muted">Removed {undo.removed} key line(s) from the NAS.</span> : null}
          {undo.error ? <ErrorNotice error={undo.error} compact /> : null}
          <Button
            icon={<Undo2 size={16} aria-hidden="true" />}
            isPending={undo.busy}
            isDisabled={undo.removed !== null}
            onPress={() => {
              setUndo({ busy: true, removed: null, error: null });
              void removeKey(connection.id).then((outcome) => setUndo('code' in outcome ? { busy: false, removed: null, error: outcome } : { busy: false, removed: outcome.removed, error: null }));
            }}
          >
            Undo: remove the key from the NAS
          </Button>
        </div>
      ) : (
        <form className="key-setup-form" onSubmit={(event) => void submit(event)} noValidate>
          <TextInputField
            control={form.control}
            name="password"
            type="password"
            label={`Password of ${connection.username} on ${connection.name}`}
            description="Used once to install the key, then forgotten: it is never stored or logged."
            autoComplete="off"
          />
          <Button type="submit" variant="primary" icon={<KeyRound size={16} aria-hidden="true" />} isPending={running}>
            Install the key
          </Button>
        </form>
      )}
      {appKey && !installed ? (
        <details className="manual-key">
          <summary>Prefer to add the key yourself?</summary>
          <p>Append this line to ~/.ssh/authorized_keys of {connection.username} on the NAS (TrueNAS: Credentials &gt; Users &gt; {connection.username} &gt; Authorized Keys), then test again.</p>
          <CommandLine command={appKey.publicKey} />
        </details>
      ) : null}
    </div>
  );
}
