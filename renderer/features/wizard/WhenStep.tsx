import { useMemo } from 'react';
import { useFormState, useWatch, type UseFormReturn } from 'react-hook-form';
import { useShallow } from 'zustand/react/shallow';
import { ChoiceField, TextInputField } from '../../components/fields.tsx';
import { keepRules, lifetimeUnits } from '../../../shared/retention.ts';
import { ScheduleFieldsEditor } from './ScheduleEditor.tsx';
import { lifetimePreview, type SourceSnapshot } from './snapshot-preview.ts';
import { selectionInputOf } from './WhatStep.tsx';
import { toTaskDraft, type WizardForm } from './wizard-form.ts';
import { snapshotsKey, useWizard } from './wizard-store.ts';

// Step 2, "When": the schedule (once, hourly … monthly, cron) with its next five runs, and how long the destination
// keeps what it receives (same as the source, never delete, a custom lifetime or a keep grid), with a one-line
// preview of that lifetime on today's matching snapshots of the first source.

const gridLabels: Record<(typeof keepRules)[number], string> = { last: 'Last', hourly: 'Hourly', daily: 'Daily', weekly: 'Weekly', monthly: 'Monthly', yearly: 'Yearly' };

export function WhenStep({ form }: { form: UseFormReturn<WizardForm> }) {
  const { control } = form;
  const values = useWatch({ control }) as WizardForm;
  const { errors } = useFormState({ control });
  const { snapshots, periodicTasks } = useWizard(useShallow((s) => ({ snapshots: s.snapshots, periodicTasks: s.periodicTasks })));
  const gridError = (errors.grid as { message?: string } | undefined)?.message;
  const first = values.sources?.[0];
  const firstSnapshots: SourceSnapshot[] = first ? (snapshots[snapshotsKey(values.sourceConnectionId, first.name)]?.snapshots ?? []) : [];
  const preview = useMemo(() => {
    const policy = toTaskDraft(values, periodicTasks).destinationLifetime ?? { kind: 'same-as-source' as const };
    return lifetimePreview(firstSnapshots, selectionInputOf(values, periodicTasks), policy, Date.now());
    // Dependencies: recomputed from the lifetime and selection fields
  }, [firstSnapshots, values.lifetimeMode, values.lifetimeAmount, values.lifetimeUnit, values.grid, values.selectionMode, values.namingSchema, values.regex, values.namesTimeZone, values.periodicTaskIds, periodicTasks]);

  return (
    <div className="stack wizard-step" data-testid="wizard-step-when">
      <section className="panel wizard-section" aria-labelledby="wizard-schedule">
        <h2 id="wizard-schedule">Schedule</h2>
        <ScheduleFieldsEditor form={form} prefix="" allowOnce label="When the task runs" />
      </section>
      <section className="panel wizard-section" aria-labelledby="wizard-lifetime">
        <h2 id="wizard-lifetime">How long the destination keeps snapshots</h2>
        <ChoiceField
          control={control}
          name="lifetimeMode"
          label="Destination snapshot lifetime"
          orientation="horizontal"
          options={[
            { value: 'same-as-source', label: 'Same as the source', description: 'A snapshot goes from the destination once the source has pruned it.' },
            { value: 'forever', label: 'Never delete', description: 'The destination keeps everything it receives.' },
            { value: 'custom', label: 'Custom lifetime', description: 'Each snapshot is kept for N hours … years after the time in its name.' },
            { value: 'grid', label: 'Keep grid', description: 'Keep the newest N per hour, day, week, month, year.' },
          ]}
        />
        {values.lifetimeMode === 'custom' ? (
          <div className="form-grid">
            <TextInputField control={control} name="lifetimeAmount" label="Keep each snapshot for" numeric />
            <ChoiceField control={control} name="lifetimeUnit" label="Unit" orientation="horizontal" className="span-3 wizard-compact" options={lifetimeUnits.map((u) => ({ value: u, label: u }))} />
          </div>
        ) : null}
        {values.lifetimeMode === 'grid' ? (
          <div className="stack">
            <div className="form-grid wizard-grid">
              {keepRules.map((rule) => (
                <TextInputField key={rule} control={control} name={`grid.${rule}`} label={`${gridLabels[rule]} (keep N)`} numeric />
              ))}
            </div>
            {gridError ? (
              <p className="field-error" role="alert">
                {gridError}
              </p>
            ) : null}
          </div>
        ) : null}
        <p className="wizard-preview" aria-live="polite" data-testid="wizard-lifetime-preview">
          {preview}
        </p>
        <p className="muted">
          The common base of the next incremental, held snapshots and the newest snapshot are never pruned, whatever the lifetime.
        </p>
      </section>
    </div>
  );
}
