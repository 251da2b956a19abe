import { useEffect, useState } from 'react';
import { useForm, useWatch } from 'react-hook-form';
import { verbs } from '../../../shared/contract.ts';
import type { Connection, ConnectionInput } from '../../../shared/schemas.ts';
import { Button } from '../../components/Button.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { ChoiceField, TextInputField } from '../../components/fields.tsx';
import { contractResolver, placeFieldIssues } from '../../lib/forms.ts';
import { useFleet } from './fleet-store.ts';
import { PreflightChecklist } from './PreflightChecklist.tsx';

// Add or edit a NAS: the form (validated by the contract's own saveConnection schema, errors at the fields), then
// "Save and test" runs the pre-flight checklist in the same dialog, where the fingerprint is confirmed and the key
// installed. Cancel closes without a trace; a saved NAS stays saved (it shows on the fleet with what is missing).

const connectionSchema = verbs.saveConnection.request;
const formFields = ['name', 'host', 'port', 'username', 'auth.kind', 'auth.keyPath', 'privilege', 'connectTimeoutSeconds'] as const;

const privilegeOptions = [
  { value: 'root', label: 'root', description: 'The user is root: zfs runs directly.' },
  { value: 'sudo', label: 'sudo for zfs', description: 'The user runs "sudo -n zfs" without a password (TrueNAS SCALE admin).' },
  { value: 'delegated', label: 'delegated (zfs allow)', description: 'No root at all: the NAS admin grants this user exactly the zfs permissions it needs.' },
];
const authOptions = [
  { value: 'app-key', label: "The app's own key", description: 'Recommended. The app makes an ed25519 key and installs it with the password once.' },
  { value: 'key-file', label: 'A key file on this computer', description: 'An existing OpenSSH private key, e.g. ~/.ssh/id_ed25519.' },
  { value: 'agent', label: 'ssh-agent', description: 'The key your ssh-agent holds (SSH_AUTH_SOCK).' },
];

function defaults(connection: Connection | null): ConnectionInput {
  if (!connection) return { name: '', host: '', port: 22, username: 'root', auth: { kind: 'app-key' }, privilege: 'root' };
  const { id, name, host, port, username, auth, privilege, connectTimeoutSeconds } = connection;
  return { id, name, host, port, username, auth, privilege, ...(connectTimeoutSeconds === undefined ? {} : { connectTimeoutSeconds }) };
}

export interface NasDialogProps {
  /** null: add a new NAS. */
  connection: Connection | null;
  /** Open on the test (an existing NAS's "Test"). */
  startWithTest?: boolean;
  onClose(): void;
}

export function NasDialog({ connection, startWithTest = false, onClose }: NasDialogProps) {
  const save = useFleet((s) => s.save);
  const runPreflight = useFleet((s) => s.runPreflight);
  const [savedId, setSavedId] = useState<string | null>(connection?.id ?? null);
  const saved = useFleet((s) => (savedId ? (s.connections.find((c) => c.id === savedId) ?? null) : null));
  const run = useFleet((s) => (savedId ? s.preflight[savedId] : undefined));
  const [phase, setPhase] = useState<'form' | 'test'>(startWithTest && connection ? 'test' : 'form');

  const form = useForm<ConnectionInput>({ resolver: contractResolver(connectionSchema), defaultValues: defaults(connection), mode: 'onTouched' });
  const authKind = useWatch({ control: form.control, name: 'auth.kind' });

  const startTest = (id: string) => {
    setPhase('test');
    void runPreflight(id);
  };
  // Opening straight on the test (an existing NAS's "Test") runs it once.
  useEffect(() => {
    if (startWithTest && connection) void runPreflight(connection.id);
  }, [startWithTest, connection, runPreflight]);

  const submit = form.handleSubmit(async (values) => {
    const input: ConnectionInput = { ...values, ...(savedId ? { id: savedId } : {}) };
    const result = await save(input, {
      setFieldErrors: (issues) => placeFieldIssues(issues, form.setError, formFields),
    });
    if (!result) {
      // A name clash is about the name field.
      return;
    }
    setSavedId(result.id);
    startTest(result.id);
  });

  const title = phase === 'test' && saved ? `Test ${saved.name}` : connection ? `Edit ${connection.name}` : 'Add a NAS';
  const running = run?.running ?? false;
  const allGood = run?.report?.status === 'ok' || run?.report?.status === 'warn';

  if (phase === 'test' && saved) {
    return (
      <Dialog
        title={title}
        description={`${saved.username}@${saved.host}:${saved.port}, zfs as ${saved.privilege}.`}
        size="large"
        onClose={onClose}
        testId="nas-dialog"
        actions={
          <>
            <Button onPress={() => setPhase('form')} isDisabled={running}>
              Edit
            </Button>
            <Button variant={allGood ? 'primary' : 'secondary'} onPress={onClose}>
              {allGood ? 'Done' : 'Close'}
            </Button>
          </>
        }
      >
        <PreflightChecklist connection={saved} run={run} onRerun={() => void runPreflight(saved.id)} onEdit={() => setPhase('form')} />
      </Dialog>
    );
  }

  return (
    <Dialog
      title={title}
      description="Where the NAS is and how the app signs in. Nothing is changed on the NAS until you install the key in the next step."
      size="large"
      onClose={onClose}
      onSubmit={(event) => void submit(event)}
      busy={form.formState.isSubmitting ? 'Saving…' : false}
      testId="nas-dialog"
      actions={
        <>
          <Button onPress={onClose}>Cancel</Button>
          <Button type="submit" variant="primary">
            Save and test
          </Button>
        </>
      }
    >
      <div className="form-grid">
        <TextInputField control={form.control} name="name" label="Name" placeholder="backup-nas" description="How the app calls this NAS." autoFocus className="span-2" />
        <TextInputField control={form.control} name="host" label="Host or IP address" placeholder="192.168.1.20" className="span-2" />
        <TextInputField control={form.control} name="port" label="SSH port" numeric />
        <TextInputField control={form.control} name="username" label="User" description="The account the app signs in as." />
        <TextInputField
          control={form.control}
          name="connectTimeoutSeconds"
          label="Connect timeout (s)"
          numeric
          description="Empty: the app's setting."
        />
        <ChoiceField control={form.control} name="privilege" label="Runs zfs as" options={privilegeOptions} className="span-4" />
        <ChoiceField control={form.control} name="auth.kind" label="Signs in with" options={authOptions} className="span-4" />
        {authKind === 'key-file' ? (
          <TextInputField control={form.control} name={'auth.keyPath' as 'name'} label="Private key file" placeholder="/home/me/.ssh/id_ed25519" className="span-4" />
        ) : null}
      </div>
    </Dialog>
  );
}
