import { useMemo } from 'react';
import { useFormState, useWatch, type FieldPath, type UseFormReturn } from 'react-hook-form';
import { ChoiceField, TextInputField } from '../../components/fields.tsx';
import { Picker } from '../../components/Picker.tsx';
import { summarizeSchedule, weekdays, type ScheduleFields } from './schedule-presets.ts';
import type { WizardForm } from './wizard-form.ts';

// A schedule as presets (run once, hourly, daily, weekly, monthly) or a cron expression, with its description in
// words and the next five runs in the schedule's time zone, recomputed as the admin types. Used for the task's
// schedule and for a new periodic snapshot task's.

export function ScheduleFieldsEditor({ form, prefix, allowOnce, label }: { form: UseFormReturn<WizardForm>; prefix: '' | 'newPeriodicTask'; allowOnce: boolean; label: string }) {
  const path = (name: keyof ScheduleFields) => (prefix ? `${prefix}.${name}` : name) as FieldPath<WizardForm>;
  // Without a prefix the schedule's fields are the form's own top-level fields.
  const fields = useWatch({ control: form.control, name: prefix || undefined } as never) as unknown as ScheduleFields;
  const { errors } = useFormState({ control: form.control });
  const cronError = prefix ? errors.newPeriodicTask?.cron?.message : errors.cron?.message;
  const summary = useMemo(
    () => summarizeSchedule(fields, new Date()),
    // Dependencies: the fields that make the schedule
    [fields.preset, fields.minute, fields.time, fields.weekday, fields.monthDay, fields.cron, fields.timeZone],
  );
  const options = [
    ...(allowOnce ? [{ value: 'once', label: 'Run once', description: 'Only when started.' }] : []),
    { value: 'hourly', label: 'Hourly' },
    { value: 'daily', label: 'Daily' },
    { value: 'weekly', label: 'Weekly' },
    { value: 'monthly', label: 'Monthly' },
    { value: 'custom', label: 'Custom (cron)' },
  ];
  const testId = prefix ? 'periodic-schedule' : 'task-schedule';
  return (
    <div className="stack wizard-schedule" data-testid={testId}>
      <ChoiceField control={form.control} name={path('preset')} label={label} orientation="horizontal" options={options} className="wizard-compact" />
      <div className="form-grid">
        {fields.preset === 'hourly' ? <TextInputField control={form.control} name={path('minute')} label="Minute past the hour" numeric /> : null}
        {fields.preset === 'daily' || fields.preset === 'weekly' || fields.preset === 'monthly' ? <TextInputField control={form.control} name={path('time')} label="Time (24-hour, HH:MM)" /> : null}
        {fields.preset === 'weekly' ? (
          <Picker
            label="Day of the week"
            options={weekdays.map((d, i) => ({ id: String(i), label: d }))}
            value={String(fields.weekday)}
            onChange={(id) => form.setValue(path('weekday'), Number(id) as never, { shouldDirty: true })}
          />
        ) : null}
        {fields.preset === 'monthly' ? <TextInputField control={form.control} name={path('monthDay')} label="Day of the month (1–28)" numeric /> : null}
        {fields.preset === 'custom' ? <TextInputField control={form.control} name={path('cron')} label="Cron expression (minute hour day month weekday)" className="span-2" placeholder="0 2 * * *" /> : null}
        {fields.preset !== 'once' ? <TextInputField control={form.control} name={path('timeZone')} label="Time zone" description="Yours by default." /> : null}
      </div>
      <div className="wizard-schedule-summary" aria-live="polite" data-testid={`${testId}-summary`}>
        {summary.problem || (fields.preset !== 'custom' && cronError) ? (
          <p className="field-error" role="alert">
            {summary.problem ?? cronError}
          </p>
        ) : (
          <>
            <p>
              <strong>{summary.description}</strong>
              {summary.nextRuns.length > 0 ? <span className="muted"> ({fields.timeZone})</span> : null}
            </p>
            {summary.nextRuns.length > 0 ? (
              <div>
                <span className="muted">Next runs:</span>
                <ol className="wizard-next-runs" data-testid={`${testId}-next-runs`}>
                  {summary.nextRuns.map((run) => (
                    <li key={run}>{run}</li>
                  ))}
                </ol>
              </div>
            ) : null}
          </>
        )}
      </div>
    </div>
  );
}
