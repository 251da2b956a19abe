import { KeyRound, Link2, Plus } from 'lucide-react';
import { useEffect, useMemo } from 'react';
import { useFormState, useWatch, type UseFormReturn } from 'react-hook-form';
import { Checkbox, FieldError, Label, TextArea, TextField } from 'react-aria-components';
import { useShallow } from 'zustand/react/shallow';
import { Button } from '../../components/Button.tsx';
import { CopyButton } from '../../components/CopyButton.tsx';
import { ErrorNotice, Notice } from '../../components/ErrorNotice.tsx';
import { ChoiceField, TextInputField } from '../../components/fields.tsx';
import { Picker } from '../../components/Picker.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { lifetimeUnits } from '../../../shared/retention.ts';
import { openAddNasDialog } from '../fleet/open-nas-dialog.tsx';
import { useDatasets } from '../datasets/datasets-store.ts';
import { useFleet } from '../fleet/fleet-store.ts';
import { DestinationTree, SourceTree } from './DatasetPickers.tsx';
import { ScheduleFieldsEditor } from './ScheduleEditor.tsx';
import { describeMatch, matchSnapshots, type SelectionInput } from './snapshot-preview.ts';
import { destinationOf, destinationParentOf, generateHexKey, namingSchemasOf, type WizardForm } from './wizard-form.ts';
import { snapshotsKey, useWizard } from './wizard-store.ts';
import { nasPickerOptions } from '../fleet/nas-options.ts';

// Step 1, "What and where": start from a saved task (copied, never edited), source NAS and datasets, destination
// NAS and parent (plus a new dataset), transport, which snapshots (with the live count on the source), the periodic
// snapshot task for sources that have none (its schedule and lifetime shown), properties, encryption, compression,
// bandwidth, and the task's name.

type Form = UseFormReturn<WizardForm>;

export function selectionInputOf(form: WizardForm, periodicTasks: readonly { id: string; namingSchema: string }[]): SelectionInput {
  if (form.selectionMode === 'regex') return { kind: 'regex', pattern: form.regex };
  if (form.selectionMode === 'all') return { kind: 'all' };
  return { kind: 'naming-schema', schemas: namingSchemasOf(form, periodicTasks), timeZone: form.namesTimeZone };
}

function Section({ title, children, id }: { title: string; children: React.ReactNode; id: string }) {
  return (
    <section className="panel wizard-section" aria-labelledby={`wizard-${id}`}>
      <h2 id={`wizard-${id}`}>{title}</h2>
      {children}
    </section>
  );
}

export function WhatStep({ form, sourcesWithoutPeriodicTask }: { form: Form; sourcesWithoutPeriodicTask: readonly string[] }) {
  const { control, setValue } = form;
  const values = useWatch({ control }) as WizardForm;
  const { errors } = useFormState({ control });
  const connections = useFleet((s) => s.connections);
  const tasks = useFleet((s) => s.tasks);
  const { loadedFrom, mode, periodicTasks, trust, snapshots } = useWizard(useShallow((s) => ({ loadedFrom: s.loadedFrom, mode: s.mode, periodicTasks: s.periodicTasks, trust: s.trust, snapshots: s.snapshots })));
  const loadPrevious = useWizard((s) => s.loadPrevious);
  const loadSnapshots = useWizard((s) => s.loadSnapshots);
  const checkTrust = useWizard((s) => s.checkTrust);
  const set = <K extends keyof WizardForm>(name: K, value: WizardForm[K]) => setValue(name as never, value as never, { shouldDirty: true, shouldValidate: Boolean(errors[name]) });

  const source = connections.find((c) => c.id === values.sourceConnectionId);
  const destination = connections.find((c) => c.id === values.destinationConnectionId);
  const nasOptions = nasPickerOptions(connections);

  // The live count needs each source's snapshots: listed once per dataset, matched locally on every keystroke.
  useEffect(() => {
    for (const s of values.sources ?? []) {
      if (values.sourceConnectionId && !useWizard.getState().snapshots[snapshotsKey(values.sourceConnectionId, s.name)]) void loadSnapshots(values.sourceConnectionId, s.name);
    }
  }, [values.sources, values.sourceConnectionId, loadSnapshots]);

  const selection = selectionInputOf(values, periodicTasks);
  const matches = useMemo(
    () =>
      (values.sources ?? []).map((s) => {
        const listing = snapshots[snapshotsKey(values.sourceConnectionId, s.name)];
        return { source: s.name, listing, match: listing && !listing.loading ? matchSnapshots(listing.snapshots, selection) : null };
      }),
    // Dependencies: selection is rebuilt from these values
    [values.sources, values.sourceConnectionId, snapshots, values.selectionMode, values.namingSchema, values.regex, values.periodicTaskIds, values.namesTimeZone, periodicTasks],
  );

  const addNas = (side: 'sourceConnectionId' | 'destinationConnectionId') =>
    openAddNasDialog((added) => {
      if (added) set(side, added.id);
    });

  const parent = destinationParentOf(values);
  const sourceDatasets = useDatasets((s) => (values.sourceConnectionId ? s.byConnection[values.sourceConnectionId]?.datasets : undefined));
  const encryptedSources = (sourceDatasets ?? []).filter((d) => d.encryption !== 'off' && (values.sources ?? []).some((s) => s.name === d.name));
  const sourcePeriodicTasks = periodicTasks.filter((t) => t.connectionId === values.sourceConnectionId);

  return (
    <div className="stack wizard-step" data-testid="wizard-step-what">
      <Section title="Start from" id="start">
        {tasks.length > 0 ? (
          <Picker
            label="Load a previous task (its settings are copied into a new task)"
            className="field-wide"
            options={tasks.map(({ task }) => ({ id: task.id, label: task.name, description: `${task.sources.map((s) => s.name).join(', ')} → ${task.destinationParent}` }))}
            value={loadedFrom && mode === 'copy' ? loadedFrom.id : null}
            onChange={loadPrevious}
            placeholder="A new task from scratch"
          />
        ) : (
          <p className="muted">No saved task yet: this one starts from scratch.</p>
        )}
        {loadedFrom && mode === 'copy' ? (
          <Notice tone="info" title={`Settings copied from "${loadedFrom.name}"`}>
            Saving creates a new task; "{loadedFrom.name}" stays exactly as it is. Pick another destination below if this one should not land on the same datasets.
          </Notice>
        ) : null}
        {loadedFrom && mode === 'edit' ? (
          <Notice tone="info" title={`Editing "${loadedFrom.name}"`}>
            Saving changes this task; its run history stays.
          </Notice>
        ) : null}
      </Section>

      <div className="wizard-columns">
        <Section title="Source" id="source">
          <div className="input-row wizard-nas-row">
            <Picker label="Source NAS" options={nasOptions} value={values.sourceConnectionId || null} onChange={(id) => {
              set('sourceConnectionId', id);
              set('sources', []);
            }} placeholder="Choose the source NAS" error={errors.sourceConnectionId?.message ?? null} />
            <Button icon={<Plus size={16} aria-hidden="true" />} onPress={() => addNas('sourceConnectionId')}>
              Add a NAS
            </Button>
          </div>
          {source ? (
            <SourceTree connectionId={source.id} nasName={source.name} sources={values.sources ?? []} onChange={(sources) => set('sources', sources)} error={errors.sources?.message} />
          ) : null}
        </Section>

        <Section title="Destination" id="destination">
          <div className="input-row wizard-nas-row">
            <Picker label="Destination NAS" options={nasOptions} value={values.destinationConnectionId || null} onChange={(id) => {
              set('destinationConnectionId', id);
              set('destinationParent', '');
              const nas = connections.find((c) => c.id === id);
              if (nas && !values.directHost) set('directHost', nas.host);
            }} placeholder="Choose the destination NAS" error={errors.destinationConnectionId?.message ?? null} />
            <Button icon={<Plus size={16} aria-hidden="true" />} onPress={() => addNas('destinationConnectionId')}>
              Add a NAS
            </Button>
          </div>
          {destination ? (
            <>
              <DestinationTree connectionId={destination.id} nasName={destination.name} parent={values.destinationParent} onChange={(p) => set('destinationParent', p)} error={errors.destinationParent?.message} />
              <TextInputField control={control} name="destinationNewName" label="New dataset under the parent (optional)" placeholder="e.g. replicas" description="Created on the first run; leave empty to replicate straight under the parent." />
              {parent && (values.sources ?? []).length > 0 ? (
                <div className="wizard-landing" data-testid="wizard-landing">
                  <span className="muted">Replicas land at:</span>
                  <ul>
                    {(values.sources ?? []).map((s) => (
                      <li key={s.name}>
                        <code>{s.name}</code> → <code>{destinationOf(parent, s.name)}</code>
                      </li>
                    ))}
                  </ul>
                </div>
              ) : null}
            </>
          ) : null}
        </Section>
      </div>

      <Section title="Transport" id="transport">
        <ChoiceField
          control={control}
          name="transport"
          label="How the data travels"
          orientation="horizontal"
          options={[
            { value: 'relay', label: 'Relay through this app', description: 'zfs send on the source, piped through this computer into zfs receive. Works whenever the app reaches both NAS.' },
            { value: 'direct', label: 'Direct, NAS to NAS', description: 'The source sends straight to the destination over its own SSH key: faster, the app does not carry the data. Needs NAS-to-NAS trust.' },
          ]}
        />
        {values.transport === 'direct' ? (
          <div className="stack">
            <div className="form-grid">
              <TextInputField control={control} name="directHost" label="Destination address as the source reaches it" className="span-2" description="Often not the address this computer uses." />
              <TextInputField control={control} name="directPort" label="SSH port" numeric />
              <TextInputField control={control} name="directUser" label="User on the destination" />
            </div>
            <div className="panel-actions">
              <Button icon={<Link2 size={16} aria-hidden="true" />} isPending={trust.state === 'checking'} isDisabled={!values.sourceConnectionId || !values.destinationConnectionId || !values.directHost} onPress={() => void checkTrust(values)}>
                Check NAS-to-NAS trust (and set it up if missing)
              </Button>
              {trust.state === 'ok' ? <StatusBadge tone="ok">trusted: {trust.detail}</StatusBadge> : null}
            </div>
            {trust.state === 'failed' ? <ErrorNotice error={trust.error} /> : null}
          </div>
        ) : null}
      </Section>

      <Section title="Snapshots to send" id="snapshots">
        <ChoiceField
          control={control}
          name="selectionMode"
          label="Which snapshots"
          orientation="horizontal"
          options={[
            { value: 'naming-schema', label: 'By naming schema', description: 'Names such as auto-%Y-%m-%d_%H-%M (strftime). Lifetimes can prune by the time in the name.' },
            { value: 'periodic-task', label: 'Of periodic snapshot tasks', description: 'Whatever the chosen periodic snapshot tasks of the source take.' },
            { value: 'regex', label: 'By regular expression', description: 'Names matching an RE2 pattern, e.g. ^daily-.' },
            { value: 'all', label: 'All snapshots', description: 'Every snapshot of the source datasets.' },
          ]}
        />
        {values.selectionMode === 'naming-schema' ? (
          <div className="form-grid">
            <TextInputField control={control} name="namingSchema" label="Naming schema" className="span-2" description="%Y %m %d %H %M are required, %S is optional." />
            <TextInputField control={control} name="namesTimeZone" label="Time zone of the names" description="The wall clock the names were written in." />
          </div>
        ) : null}
        {values.selectionMode === 'regex' ? <TextInputField control={control} name="regex" label="Regular expression (RE2)" className="field-wide" /> : null}
        {values.selectionMode === 'periodic-task' ? (
          <fieldset className="wizard-excludes" aria-describedby="periodic-error">
            <legend>Periodic snapshot tasks of {source?.name ?? 'the source'}</legend>
            {sourcePeriodicTasks.length === 0 ? <p className="muted">This NAS has no periodic snapshot task yet: choose "By naming schema" and the wizard creates one.</p> : null}
            {sourcePeriodicTasks.map((t) => (
              <Checkbox
                key={t.id}
                className="checkbox"
                isSelected={(values.periodicTaskIds ?? []).includes(t.id)}
                onChange={(on) => set('periodicTaskIds', on ? [...(values.periodicTaskIds ?? []), t.id] : (values.periodicTaskIds ?? []).filter((id) => id !== t.id))}
              >
                <span className="checkbox-box" aria-hidden="true" />
                {t.dataset}@{t.namingSchema}
              </Checkbox>
            ))}
            <p id="periodic-error" className="field-error">
              {errors.periodicTaskIds?.message}
            </p>
          </fieldset>
        ) : null}
        {matches.length > 0 ? (
          <ul className="wizard-matches" aria-live="polite" aria-label="Matching snapshots on the source" data-testid="wizard-matches">
            {matches.map(({ source: name, listing, match }) => (
              <li key={name}>
                <code>{name}</code>:{' '}
                {listing?.error ? <span className="field-error">{listing.error.message}</span> : match ? <span data-testid="wizard-match-line">{describeMatch(match, values.namesTimeZone)}</span> : <span className="muted">listing snapshots…</span>}
              </li>
            ))}
          </ul>
        ) : null}

        {values.selectionMode === 'naming-schema' && sourcesWithoutPeriodicTask.length > 0 ? (
          <div className="wizard-subpanel" data-testid="wizard-new-periodic">
            <Checkbox className="checkbox" isSelected={values.newPeriodicTask?.create ?? false} onChange={(on) => setValue('newPeriodicTask.create', on, { shouldDirty: true })}>
              <span className="checkbox-box" aria-hidden="true" />
              Create a periodic snapshot task for {sourcesWithoutPeriodicTask.join(', ')} (no task takes its snapshots yet)
            </Checkbox>
            {values.newPeriodicTask?.create ? (
              <div className="stack">
                <p className="muted">
                  It takes <code>{values.namingSchema}</code> snapshots on this schedule and deletes each after its lifetime. TrueNAS does this silently with a two-week lifetime; here you see it and choose.
                </p>
                <ScheduleFieldsEditor form={form} prefix="newPeriodicTask" allowOnce={false} label="Snapshot schedule" />
                <div className="form-grid">
                  <TextInputField control={control} name="newPeriodicTask.lifetimeAmount" label="Keep each snapshot for" numeric />
                  <ChoiceField control={control} name="newPeriodicTask.lifetimeUnit" label="Unit" orientation="horizontal" className="span-3 wizard-compact" options={lifetimeUnits.map((u) => ({ value: u, label: u }))} />
                </div>
              </div>
            ) : null}
          </div>
        ) : null}
      </Section>

      <Section title="Properties, encryption and transfer" id="options">
        <div className="stack">
          <Checkbox className="checkbox" isSelected={values.replicateProperties} onChange={(on) => set('replicateProperties', on)}>
            <span className="checkbox-box" aria-hidden="true" />
            Replicate the datasets' properties (zfs send -p)
          </Checkbox>
          <Checkbox className="checkbox" isSelected={values.destinationReadonly} onChange={(on) => set('destinationReadonly', on)}>
            <span className="checkbox-box" aria-hidden="true" />
            Keep the replicas read-only (readonly=on), so nobody writes to them by accident
          </Checkbox>
          <div className="form-grid">
            <TextInputField control={control} name="excludeProperties" label="Properties not to replicate" className="span-2" placeholder="e.g. mountpoint, sharenfs" description="Names separated by commas." />
            <OverridesField form={form} />
          </div>
          <ChoiceField
            control={control}
            name="encryption"
            label="Encryption"
            orientation="horizontal"
            options={[
              { value: 'as-source', label: 'As the source', description: 'An encrypted source is sent raw (-w) and stays encrypted with its own key; the destination never sees the data in clear.' },
              { value: 'encrypt-on-destination', label: 'Encrypt on the destination', description: 'The replicas go into a new encryption root on the destination, with a key you generate or give.' },
            ]}
          />
          {values.encryption === 'as-source' && encryptedSources.length > 0 ? (
            <Notice tone="info" title={`Sent raw: ${encryptedSources.map((d) => `${d.name} (${d.encryption})`).join(', ')}`}>
              Encrypted sources travel and arrive encrypted with their own key; the replicas stay locked on the destination until that key is loaded there.
            </Notice>
          ) : null}
          {values.encryption === 'encrypt-on-destination' ? (
            <div className="stack wizard-subpanel">
              <ChoiceField
                control={control}
                name="keyFormat"
                label="Key format"
                orientation="horizontal"
                options={[
                  { value: 'hex', label: 'Hex key', description: '64 hexadecimal digits (32 bytes).' },
                  { value: 'passphrase', label: 'Passphrase', description: '8 to 512 bytes on one line.' },
                ]}
              />
              <div className="input-row">
                <TextInputField control={control} name="key" label="Key" type="password" className="field-wide" autoComplete="off" />
                <Button
                  icon={<KeyRound size={16} aria-hidden="true" />}
                  onPress={() => {
                    set('keyFormat', 'hex');
                    set('key', generateHexKey());
                  }}
                >
                  Generate a key
                </Button>
                {values.key ? <CopyButton text={values.key} label="Copy the key" variant="secondary" /> : null}
              </div>
              <Checkbox className="checkbox" isSelected={values.storeKey} onChange={(on) => set('storeKey', on)}>
                <span className="checkbox-box" aria-hidden="true" />
                Keep the key in the app's secrets (otherwise it is asked for at each run). Keep a copy elsewhere too: without it the replicas cannot be read.
              </Checkbox>
            </div>
          ) : null}
          <div className="form-grid">
            <ChoiceField
              control={control}
              name="compression"
              label="Compression on the wire"
              orientation="horizontal"
              className="span-2 wizard-compact"
              options={[
                { value: 'none', label: 'None' },
                { value: 'lz4', label: 'lz4' },
                { value: 'zstd', label: 'zstd' },
              ]}
            />
            <TextInputField control={control} name="bandwidthLimitKiBps" label="Bandwidth limit (KiB/s)" numeric placeholder="unlimited" description="Empty: as fast as the link allows." />
          </div>
        </div>
      </Section>

      <Section title="Name" id="name">
        <TextInputField control={control} name="name" label="Task name" className="field-wide" description='Defaults to "source - destination".' />
      </Section>
    </div>
  );
}

/** `name=value` lines (a multi-line field; the toolkit's fields are single-line). */
function OverridesField({ form }: { form: Form }) {
  const value = useWatch({ control: form.control, name: 'overrideProperties' });
  const { errors } = useFormState({ control: form.control, name: 'overrideProperties' });
  const message = errors.overrideProperties?.message;
  return (
    <TextField className="field span-2" value={value} onChange={(v) => form.setValue('overrideProperties', v, { shouldDirty: true, shouldValidate: Boolean(message) })} isInvalid={Boolean(message)} validationBehavior="aria">
      <Label className="field-label">Properties to set on the replicas</Label>
      <TextArea className="input wizard-textarea" rows={2} placeholder={'compression=zstd\natime=off'} />
      <FieldError className="field-error">{message}</FieldError>
    </TextField>
  );
}
