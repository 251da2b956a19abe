import { ArrowLeft, ArrowRight, Play, Save } from 'lucide-react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useForm, useFormState, useWatch, type UseFormReturn } from 'react-hook-form';
import { useShallow } from 'zustand/react/shallow';
import { Button } from '../../components/Button.tsx';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNotice, Notice } from '../../components/ErrorNotice.tsx';
import { openDialog } from '../../lib/dialogs.ts';
import { formatBytes } from '../../lib/format.ts';
import { useNavigation } from '../../lib/navigation.ts';
import { openAddNasDialog } from '../fleet/open-nas-dialog.tsx';
import { useFleet } from '../fleet/fleet-store.ts';
import { useDatasetNames, useVolumes } from './DatasetPickers.tsx';
import { freeChildName, type ReviewModel } from './review-model.ts';
import { ReviewStep } from './ReviewStep.tsx';
import { WhatStep } from './WhatStep.tsx';
import { WhenStep } from './WhenStep.tsx';
import { defaultTaskName, destinationOf, destinationParentOf, leafName, stepFields, type WizardContext, type WizardForm } from './wizard-form.ts';
import { wizardResolver } from './wizard-resolver.ts';
import { showSavedTask, useWizard, type WizardStep } from './wizard-store.ts';
import './wizard.css';

// The replication task wizard: three steps (What and where, When, Review) over one form. Next validates the step's
// fields with the contract's schema and puts each problem at its field; the review is the engine's dry run of the
// draft. Save (or Save and run now, which opens the run on the dashboard) is only offered on the review.

const steps: { id: WizardStep; label: string }[] = [
  { id: 'what', label: 'What and where' },
  { id: 'when', label: 'When' },
  { id: 'review', label: 'Review' },
];

export function WizardView() {
  const { initial, formKey } = useWizard(useShallow((s) => ({ initial: s.initial, formKey: s.formKey })));
  const connections = useFleet((s) => s.connections);
  const loaded = useFleet((s) => s.loaded);
  const loadFleet = useFleet((s) => s.load);
  const loadPeriodicTasks = useWizard((s) => s.loadPeriodicTasks);
  useEffect(() => {
    if (!loaded) void loadFleet();
    void loadPeriodicTasks();
  }, [loaded, loadFleet, loadPeriodicTasks]);

  if (loaded && connections.length === 0) {
    return (
      <div className="view">
        <EmptyState
          title="Add a NAS first"
          action={
            <Button variant="primary" onPress={() => openAddNasDialog()}>
              Add a NAS
            </Button>
          }
        >
          <p>A replication task copies snapshots from a source NAS to a destination NAS (the same NAS works too, into another pool). Add the NAS you want to use; the wizard continues from here.</p>
        </EmptyState>
      </div>
    );
  }
  // A new key remounts the form with the new initial values (another task loaded, the wizard opened again).
  return <WizardForm_ key={formKey} initial={initial} />;
}

function WizardForm_({ initial }: { initial: WizardForm }) {
  const { mode, loadedFrom, step, periodicTasks, saving, saveError, plan } = useWizard(
    useShallow((s) => ({ mode: s.mode, loadedFrom: s.loadedFrom, step: s.step, periodicTasks: s.periodicTasks, saving: s.saving, saveError: s.saveError, plan: s.plan })),
  );
  const { setStep, planDraft, save, close } = useWizard(useShallow((s) => ({ setStep: s.setStep, planDraft: s.planDraft, save: s.save, close: s.close })));
  const connections = useFleet((s) => s.connections);
  const contextRef = useRef<WizardContext>({});
  const form = useForm<WizardForm>({ defaultValues: initial, resolver: wizardResolver(() => contextRef.current), mode: 'onTouched', reValidateMode: 'onChange' });
  const values = useWatch({ control: form.control }) as WizardForm;
  const volumes = useVolumes(values.destinationConnectionId);
  const destinationNames = useDatasetNames(values.destinationConnectionId);
  const [problems, setProblems] = useState<number>(0);
  const { errors } = useFormState({ control: form.control });

  const sourcesWithoutPeriodicTask = useMemo(
    () => (values.sources ?? []).map((s) => s.name).filter((name) => !periodicTasks.some((t) => t.connectionId === values.sourceConnectionId && t.dataset === name)),
    [values.sources, values.sourceConnectionId, periodicTasks],
  );
  const newPeriodicTaskSources = values.selectionMode === 'naming-schema' && values.newPeriodicTask?.create ? sourcesWithoutPeriodicTask : [];
  contextRef.current = { destinationVolumes: volumes, periodicTasks, sourcesWithoutPeriodicTask: newPeriodicTaskSources };

  // The name follows "source - destination" until the admin types one.
  const nameEdited = useRef(Boolean(initial.name));
  const nasName = (id: string) => connections.find((c) => c.id === id)?.name ?? '';
  const suggested = defaultTaskName(nasName(values.sourceConnectionId), values.sources ?? [], nasName(values.destinationConnectionId), destinationParentOf(values));
  useEffect(() => {
    if (!nameEdited.current && suggested && form.getValues('name') !== suggested) form.setValue('name', suggested, { shouldValidate: Boolean(form.getFieldState('name').error) });
  }, [suggested, form]);
  useEffect(() => {
    const sub = form.watch((_, info) => {
      if (info.name === 'name' && info.type === 'change') nameEdited.current = true;
    });
    return () => sub.unsubscribe();
  }, [form]);

  const goTo = async (target: WizardStep) => {
    const order = steps.map((s) => s.id);
    if (order.indexOf(target) > order.indexOf(step)) {
      // Every step before the target must be valid.
      for (const s of order.slice(0, order.indexOf(target)) as ('what' | 'when')[]) {
        const ok = await form.trigger(stepFields[s] as never);
        if (!ok) {
          setProblems(1);
          setStep(s);
          focusFirstError();
          return;
        }
      }
    }
    setProblems(0);
    setStep(target);
    if (target === 'review') void planDraft(form.getValues());
    document.querySelector('.content')?.scrollTo({ top: 0 });
  };

  const finish = async (run: boolean, confirmedDestruction?: ReviewModel['destruction']) => {
    const ok = await form.trigger();
    if (!ok) {
      setStep('what');
      setProblems(1);
      return;
    }
    const report = useWizard.getState().plan.report;
    const outcome = await save(form.getValues(), {
      run,
      newPeriodicTaskSources,
      ...(confirmedDestruction && report?.refusal ? { confirmedDestruction: report.refusal.destruction } : {}),
    });
    if (outcome) {
      close();
      showSavedTask(outcome.task.id, outcome.runId);
    }
  };

  const actions = {
    useNewChild: () => {
      const base = values.sources[0] ? leafName(values.sources[0].name) : 'replica';
      form.setValue('destinationNewName', freeChildName(base, destinationNames, values.destinationParent));
      void planDraft(form.getValues());
    },
    cancel: () => {
      close();
      useNavigation.getState().back();
    },
    destroyAndReplicate: (model: ReviewModel) => {
      const destruction = model.destruction;
      if (!destruction) return;
      const firstDestination = values.sources[0] ? destinationOf(destinationParentOf(values), values.sources[0].name) : destinationParentOf(values);
      openDialog((closeDialog) => (
        <ConfirmDialog
          title="Destroy and replicate from scratch"
          message={
            <>
              Saves the task and runs it now. Before sending, the run destroys exactly what is listed here ({formatBytes(destruction.totalBytes)}) on {destruction.host}; this cannot be undone. If the destination changes before the run, nothing is destroyed and the review shows the new list.
            </>
          }
          itemsLabel="These will be destroyed"
          items={destruction.items.map((item) => ({ label: item.name, detail: [item.kind, item.bytes === null ? null : formatBytes(item.bytes), item.note].filter(Boolean).join(' · ') }))}
          keeps="The source and everything else on the destination stay as they are."
          confirmLabel={`Destroy ${destruction.items.length} and replicate`}
          typeToConfirm={firstDestination}
          onConfirm={async () => {
            await finish(true, destruction);
          }}
          onClose={closeDialog}
        />
      ));
    },
  };

  const title = mode === 'edit' ? `Edit "${loadedFrom?.name ?? ''}"` : mode === 'copy' ? `New task from "${loadedFrom?.name ?? ''}"` : 'New replication task';
  const stepIndex = steps.findIndex((s) => s.id === step);
  const destructionPending = step === 'review' && Boolean(plan.report?.refusal);

  return (
    <div className="view view-wide wizard" data-testid="wizard">
      <div className="wizard-head">
        <h2 className="wizard-title">{title}</h2>
        <ol className="wizard-stepper" aria-label="Steps">
          {steps.map((s, index) => (
            <li key={s.id} aria-current={s.id === step ? 'step' : undefined} className={index < stepIndex ? 'done' : s.id === step ? 'current' : ''}>
              <button type="button" className="wizard-step-button" onClick={() => void goTo(s.id)} data-testid={`wizard-go-${s.id}`}>
                <span className="wizard-step-number" aria-hidden="true">
                  {index + 1}
                </span>
                {s.label}
              </button>
            </li>
          ))}
        </ol>
      </div>
      {/* Gone once every field it pointed at is corrected (the fields re-validate as they change). */}
      {problems > 0 && Object.keys(errors).length > 0 ? (
        <Notice tone="warning" title="Some fields need attention">
          Each problem is written under its field below.
        </Notice>
      ) : null}
      <form
        className="wizard-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (step !== 'review') void goTo(steps[stepIndex + 1]!.id);
        }}
      >
        {step === 'what' ? <WhatStep form={form} sourcesWithoutPeriodicTask={sourcesWithoutPeriodicTask} /> : null}
        {step === 'when' ? <WhenStep form={form} /> : null}
        {step === 'review' ? <ReviewStep form={form} newPeriodicTaskSources={newPeriodicTaskSources} actions={actions} /> : null}
        {saveError ? <ErrorNotice error={saveError} context={{ action: 'Save the task' }} /> : null}
        <WizardFooter form={form} step={step} stepIndex={stepIndex} saving={saving} canRun={!destructionPending && !plan.loading && Boolean(plan.report)} goTo={goTo} finish={finish} cancel={actions.cancel} />
      </form>
    </div>
  );
}

function WizardFooter({
  step,
  stepIndex,
  saving,
  canRun,
  goTo,
  finish,
  cancel,
}: {
  form: UseFormReturn<WizardForm>;
  step: WizardStep;
  stepIndex: number;
  saving: boolean;
  canRun: boolean;
  goTo(step: WizardStep): Promise<void>;
  finish(run: boolean): Promise<void>;
  cancel(): void;
}) {
  return (
    <footer className="wizard-footer">
      <Button onPress={cancel} isDisabled={saving}>
        Cancel
      </Button>
      <span className="toolbar-spacer" />
      {stepIndex > 0 ? (
        <Button icon={<ArrowLeft size={16} aria-hidden="true" />} onPress={() => void goTo(steps[stepIndex - 1]!.id)} isDisabled={saving}>
          Back
        </Button>
      ) : null}
      {step !== 'review' ? (
        <Button variant="primary" type="submit" icon={<ArrowRight size={16} aria-hidden="true" />}>
          Next: {steps[stepIndex + 1]!.label}
        </Button>
      ) : (
        <>
          <Button icon={<Save size={16} aria-hidden="true" />} onPress={() => void finish(false)} isPending={saving}>
            Save
          </Button>
          <Button variant="primary" icon={<Play size={16} aria-hidden="true" />} onPress={() => void finish(true)} isDisabled={!canRun || saving}>
            Save and run now
          </Button>
        </>
      )}
    </footer>
  );
}

function focusFirstError(): void {
  requestAnimationFrame(() => {
    // The first problem in reading order: a react-aria field (data-invalid), an invalid input, or a list's message.
    const invalid = document.querySelector<HTMLElement>('.wizard [data-invalid], .wizard [aria-invalid="true"], .wizard .field-error[role="alert"]');
    if (!invalid) return;
    invalid.scrollIntoView({ block: 'center' });
    const target = invalid.matches('input, textarea, button, [tabindex]') ? invalid : invalid.querySelector<HTMLElement>('input, textarea, button, [tabindex="0"]');
    target?.focus({ preventScroll: true });
  });
}
