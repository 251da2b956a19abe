import { ArrowRight, Undo2 } from 'lucide-react';
import { useMemo, useRef, useState } from 'react';
import { Checkbox } from 'react-aria-components';
import { useForm, useWatch } from 'react-hook-form';
import { verbs, type VerbRequest } from '../../../shared/contract.ts';
import type { AppError } from '../../../shared/result.ts';
import type { Connection } from '../../../shared/schemas.ts';
import { Button } from '../../components/Button.tsx';
import { Checklist, type ChecklistStep } from '../../components/Checklist.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorNotice, Notice } from '../../components/ErrorNotice.tsx';
import { TextInputField } from '../../components/fields.tsx';
import { Picker } from '../../components/Picker.tsx';
import { reportError } from '../../lib/error-chain.ts';
import { contractResolver } from '../../lib/forms.ts';
import { useFleet, type KeyStepState } from './fleet-store.ts';
import { nasPickerOptions } from './nas-options.ts';

// NAS <-> NAS trust for direct replication (zfs send | ssh other-nas zfs receive, without the app in the middle):
// pick two saved NAS, one or both directions, and the address each uses to reach the other (often not the one
// the app uses). The checklist follows keyExchangeStep events per direction and ends with a real `ssh` from each
// source to its destination. Undo removes exactly the lines that were added (they carry a marker).

type TrustRequest = VerbRequest<'establishNasTrust'>;
const trustSchema = verbs.establishNasTrust.request;

const stepIds = ['source-key', 'authorize-on-destination', 'destination-host-key', 'record-known-host', 'verify-ssh'] as const;
const stepTitle = (id: (typeof stepIds)[number], from: Connection, to: Connection): string =>
  ({
    'source-key': `SSH key of ${from.username} on ${from.name}`,
    'authorize-on-destination': `Authorize it for ${to.username} on ${to.name}`,
    'destination-host-key': `${to.name}'s host key matches the fingerprint you confirmed`,
    'record-known-host': `Record ${to.name} in ${from.name}'s known_hosts`,
    'verify-ssh': `ssh from ${from.name} to ${to.name}`,
  })[id];

const isLoopback = (host: string) => /^(127\.|localhost$|::1$)/.test(host);

function directionSteps(direction: 'forward' | 'backward', from: Connection, to: Connection, steps: readonly KeyStepState[] | undefined, error: AppError | null, started: boolean): ChecklistStep[] {
  const byId = new Map((steps ?? []).map((s) => [s.step, s]));
  return stepIds.map((id) => {
    const step = byId.get(id);
    const state = !step ? 'pending' : step.status === 'running' ? 'running' : step.status === 'done' ? 'done' : 'failed';
    return {
      id: `${direction}-${id}`,
      title: stepTitle(id, from, to),
      state: state === 'pending' && started && error ? 'skipped' : state,
      ...(step?.detail ? { detail: step.detail } : {}),
      ...(state === 'failed' && error?.hint ? { fix: <p>{error.hint}</p> } : {}),
    };
  });
}

/** Which NAS a failed step is about: the source's own steps run there, the others on the destination. */
function nasOfFailure(source: Connection, destination: Connection, steps: Record<string, KeyStepState[]>): string {
  const onSource = new Set(['source-key', 'record-known-host', 'verify-ssh']);
  for (const [from, to] of [
    [source, destination],
    [destination, source],
  ] as const) {
    const failed = steps[from.id]?.find((s) => s.status === 'failed');
    if (failed) return onSource.has(failed.step) ? from.id : to.id;
  }
  return destination.id;
}

export function TrustDialog({ onClose, initialSource }: { onClose(): void; initialSource?: string }) {
  const connections = useFleet((s) => s.connections);
  const keySteps = useFleet((s) => s.keySteps);
  const establish = useFleet((s) => s.establishTrust);
  const removeTrust = useFleet((s) => s.removeTrust);
  const [both, setBoth] = useState(true);
  const [phase, setPhase] = useState<'form' | 'run'>('form');
  const [outcome, setOutcome] = useState<{ running: boolean; error: AppError | null; verified: boolean }>({ running: false, error: null, verified: false });
  const [undo, setUndo] = useState<{ running: boolean; error: AppError | null; done: boolean }>({ running: false, error: null, done: false });

  const first = connections.find((c) => c.id === initialSource) ?? connections[0];
  const second = connections.find((c) => c.id !== first?.id);
  const addressOf = (c: Connection | undefined) => ({ host: c && !isLoopback(c.host) ? c.host : '', port: c && !isLoopback(c.host) ? c.port : 22 });
  // One direction: the reverse address is not part of the request (its fields are hidden, their values ignored).
  const bothRef = useRef(both);
  bothRef.current = both;
  const resolver = useMemo(() => {
    const base = contractResolver(trustSchema);
    const oneWay: typeof base = (values, context, options) => base(bothRef.current ? values : { ...values, reverseAddress: undefined }, context, options);
    return oneWay;
  }, []);
  const form = useForm<TrustRequest>({
    resolver,
    defaultValues: {
      sourceConnectionId: first?.id ?? '',
      destinationConnectionId: second?.id ?? '',
      destinationAddress: addressOf(second),
      reverseAddress: addressOf(first),
    },
  });
  const sourceId = useWatch({ control: form.control, name: 'sourceConnectionId' });
  const destinationId = useWatch({ control: form.control, name: 'destinationConnectionId' });
  const source = connections.find((c) => c.id === sourceId);
  const destination = connections.find((c) => c.id === destinationId);
  const options = nasPickerOptions(connections);
  const sameNas = Boolean(sourceId && sourceId === destinationId);

  const submit = form.handleSubmit(async (values) => {
    if (sameNas) return;
    setPhase('run');
    setUndo({ running: false, error: null, done: false });
    setOutcome({ running: true, error: null, verified: false });
    const result = await establish(values);
    setOutcome({ running: false, error: 'code' in result ? result : null, verified: !('code' in result) });
  });

  if (phase === 'run' && source && destination) {
    const started = true;
    const error = outcome.error;
    const forward = directionSteps('forward', source, destination, keySteps[source.id], error, started);
    const backward = both ? directionSteps('backward', destination, source, keySteps[destination.id], error, started) : [];
    return (
      <Dialog
        title={`Trust between ${source.name} and ${destination.name}`}
        size="large"
        onClose={onClose}
        busy={outcome.running ? 'Setting up trust…' : undo.running ? 'Removing trust…' : false}
        testId="trust-dialog"
        actions={
          <>
            {!outcome.running ? <Button onPress={() => setPhase('form')}>Change</Button> : null}
            {outcome.verified || error ? (
              <Button
                icon={<Undo2 size={16} aria-hidden="true" />}
                isDisabled={undo.done}
                onPress={() => {
                  setUndo({ running: true, error: null, done: false });
                  void removeTrust(source.id, destination.id, both).then((r) => setUndo({ running: false, error: 'code' in r ? r : null, done: !('code' in r) }));
                }}
              >
                Undo: remove the trust
              </Button>
            ) : null}
            <Button variant="primary" onPress={onClose} isDisabled={outcome.running}>
              {outcome.verified ? 'Done' : 'Close'}
            </Button>
          </>
        }
      >
        <section className="trust-direction" aria-label={`${source.name} to ${destination.name}`}>
          <h3>
            {source.name} <ArrowRight size={15} aria-hidden="true" /> {destination.name}
          </h3>
          <Checklist steps={forward} label={`${source.name} to ${destination.name}`} />
        </section>
        {both ? (
          <section className="trust-direction" aria-label={`${destination.name} to ${source.name}`}>
            <h3>
              {destination.name} <ArrowRight size={15} aria-hidden="true" /> {source.name}
            </h3>
            <Checklist steps={backward} label={`${destination.name} to ${source.name}`} />
          </section>
        ) : null}
        {outcome.verified && !undo.done ? (
          <Notice tone="success" title={`Verified: ${source.name} → ${destination.name}${both ? ` and ${destination.name} → ${source.name}` : ''} log in with their keys.`}>
            Direct replication between them can now run without the app in the middle.
          </Notice>
        ) : null}
        {error ? (
          <div className="stack">
            <ErrorNotice error={error} />
            {['HOST_KEY_UNCONFIRMED', 'HOST_KEY_MISMATCH', 'AUTH_FAILED', 'SUDO_PASSWORD_REQUIRED'].includes(error.code) ? (
              <div className="panel-actions">
                <Button onPress={() => reportError(error, { connectionId: nasOfFailure(source, destination, keySteps), action: 'Set up NAS-to-NAS trust' })}>Fix this</Button>
              </div>
            ) : null}
          </div>
        ) : null}
        {undo.done ? <Notice tone="info" title="The trust was removed: the lines the app had added are gone from both NAS." /> : null}
        {undo.error ? <ErrorNotice error={undo.error} /> : null}
      </Dialog>
    );
  }

  return (
    <Dialog
      title="Set up NAS-to-NAS trust"
      description="For direct replication, one NAS logs in to the other over SSH with its own key. The app sets up the keys and known_hosts on both sides and checks that it works."
      size="large"
      onClose={onClose}
      onSubmit={(event) => void submit(event)}
      testId="trust-dialog"
      actions={
        <>
          <Button onPress={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" isDisabled={connections.length < 2 || sameNas}>
            Set up trust
          </Button>
        </>
      }
    >
      {connections.length < 2 ? (
        <Notice tone="info" title="Add a second NAS first.">
          Trust links two saved NAS.
        </Notice>
      ) : (
        <div className="form-grid">
          <Picker
            className="span-2"
            label="Source NAS (sends)"
            options={options}
            value={sourceId || null}
            onChange={(id) => form.setValue('sourceConnectionId', id, { shouldValidate: true })}
            error={form.formState.errors.sourceConnectionId ? 'Pick the NAS that sends.' : null}
          />
          <Picker
            className="span-2"
            label="Destination NAS (receives)"
            options={options}
            value={destinationId || null}
            onChange={(id) => {
              form.setValue('destinationConnectionId', id, { shouldValidate: true });
              const picked = connections.find((c) => c.id === id);
              if (picked) form.setValue('destinationAddress', addressOf(picked));
            }}
            error={sameNas ? 'Pick two different NAS.' : form.formState.errors.destinationConnectionId ? 'Pick the NAS that receives.' : null}
          />
          <TextInputField
            className="span-3"
            control={form.control}
            name="destinationAddress.host"
            label={`How ${source?.name ?? 'the source'} reaches ${destination?.name ?? 'the destination'}`}
            placeholder="nas-b.lan or 10.0.0.12"
            description="The address as seen from the source NAS, which may differ from the one this computer uses."
          />
          <TextInputField control={form.control} name="destinationAddress.port" label="SSH port" numeric />
          <Checkbox className="checkbox span-4" isSelected={both} onChange={setBoth}>
            <span className="checkbox-box" aria-hidden="true" />
            <span>
              Both directions (so replication can be reversed after a failover)
            </span>
          </Checkbox>
          {both ? (
            <>
              <TextInputField
                className="span-3"
                control={form.control}
                name="reverseAddress.host"
                label={`How ${destination?.name ?? 'the destination'} reaches ${source?.name ?? 'the source'}`}
                placeholder="nas-a.lan or 10.0.0.11"
              />
              <TextInputField control={form.control} name="reverseAddress.port" label="SSH port" numeric />
            </>
          ) : null}
        </div>
      )}
    </Dialog>
  );
}
