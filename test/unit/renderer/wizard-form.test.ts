import { describe, expect, it } from 'vitest';
import { ReplicationTaskSchema } from '../../../shared/task-schemas.ts';
import { cronOf, schedulePresetOf, summarizeSchedule } from '../../../renderer/features/wizard/schedule-presets.ts';
import {
  defaultTaskName,
  destinationOf,
  destinationParentOf,
  emptyWizardForm,
  errorsOfStep,
  fieldOfIssue,
  formFromTask,
  generateHexKey,
  parseOverrides,
  toTaskDraft,
  validateWizard,
  type WizardForm,
} from '../../../renderer/features/wizard/wizard-form.ts';
import { rhfErrors } from '../../../renderer/features/wizard/wizard-resolver.ts';

const a = '11111111-1111-4111-8111-111111111111';
const b = '22222222-2222-4222-8222-222222222222';

function filled(change: Partial<WizardForm> = {}): WizardForm {
  return {
    ...emptyWizardForm('Europe/Paris'),
    name: 'nas-a docs - nas-b backup',
    sourceConnectionId: a,
    sources: [{ name: 'tank/docs', recursive: true, exclude: ['tank/docs/tmp'] }],
    destinationConnectionId: b,
    destinationParent: 'backup',
    ...change,
  };
}

describe('wizard form → task draft', () => {
  it('a filled form is a valid task for the contract, with the daily schedule in the admin zone', () => {
    const draft = toTaskDraft(filled({ lifetimeMode: 'custom', lifetimeAmount: 3, lifetimeUnit: 'days' }));
    const task = ReplicationTaskSchema.parse({ ...draft, id: '33333333-3333-4333-8333-333333333333' });
    expect(task.schedule).toEqual({ kind: 'cron', expression: '0 1 * * *', timeZone: 'Europe/Paris' });
    expect(task.selection).toEqual({ kind: 'naming-schema', schemas: ['auto-%Y-%m-%d_%H-%M'], timeZone: 'Europe/Paris' });
    expect(task.destinationLifetime).toEqual({ kind: 'custom', amount: 3, unit: 'days' });
    expect(task.sources).toEqual([{ name: 'tank/docs', recursive: true, exclude: ['tank/docs/tmp'] }]);
    expect(validateWizard(filled())).toEqual({});
  });

  it('a new dataset under the parent becomes the destination parent; sources land under it without their pool', () => {
    const form = filled({ destinationNewName: 'replicas' });
    expect(destinationParentOf(form)).toBe('backup/replicas');
    expect(toTaskDraft(form).destinationParent).toBe('backup/replicas');
    expect(destinationOf('backup/replicas', 'tank/docs/2026')).toBe('backup/replicas/docs/2026');
  });

  it('excludes of a source that is not recursive are dropped (they would mean nothing)', () => {
    expect(toTaskDraft(filled({ sources: [{ name: 'tank/docs', recursive: false, exclude: ['tank/docs/tmp'] }] })).sources).toEqual([{ name: 'tank/docs', recursive: false, exclude: [] }]);
  });

  it('an encryption key not kept is not in the draft (asked at each run)', () => {
    const key = generateHexKey();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(toTaskDraft(filled({ encryption: 'encrypt-on-destination', key, storeKey: false })).encryption).toEqual({ kind: 'encrypt-on-destination', keyFormat: 'hex' });
    expect(toTaskDraft(filled({ encryption: 'encrypt-on-destination', key, storeKey: true })).encryption).toEqual({ kind: 'encrypt-on-destination', keyFormat: 'hex', key });
  });

  it('overrides are name=value lines', () => {
    expect(parseOverrides('compression=zstd\n\n atime = off \n')).toEqual({ compression: 'zstd', atime: 'off' });
  });
});

describe('validation in plain words, at the field', () => {
  it('puts the schema issues on the fields they are about', () => {
    const errors = validateWizard(filled({ namingSchema: 'auto-%Y', name: '', destinationParent: 'backup/bad@name' }));
    expect(errors.namingSchema).toMatch(/%m/);
    expect(errors.name).toBeTruthy();
    expect(errors.destinationParent).toBeTruthy();
    expect(errorsOfStep(errors, 'when')).toEqual({});
  });

  it('refuses a volume as the destination parent', () => {
    expect(validateWizard(filled({ destinationParent: 'backup/vol' }), { destinationVolumes: ['backup/vol'] }).destinationParent).toMatch(/volume/);
  });

  it('asks for the source and destination NAS and datasets', () => {
    const errors = validateWizard(emptyWizardForm('UTC'));
    expect(errors.sourceConnectionId).toBe('Choose the source NAS.');
    expect(errors.destinationConnectionId).toBe('Choose the destination NAS.');
  });

  it('a bad cron, a bad regex, a bad key and a zero lifetime each land on their own field', () => {
    expect(validateWizard(filled({ preset: 'custom', cron: '0 2 * *' })).cron).toBeTruthy();
    expect(validateWizard(filled({ selectionMode: 'regex', regex: '(a' })).regex).toMatch(/regular expression/i);
    expect(validateWizard(filled({ encryption: 'encrypt-on-destination', keyFormat: 'hex', key: 'abc' })).key).toMatch(/64/);
    expect(validateWizard(filled({ encryption: 'encrypt-on-destination', keyFormat: 'hex', key: 'abc', storeKey: false })).key).toMatch(/64/);
    expect(validateWizard(filled({ lifetimeMode: 'custom', lifetimeAmount: 0 })).lifetimeAmount).toBeTruthy();
    expect(validateWizard(filled({ lifetimeMode: 'grid', grid: { last: 0, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 } })).grid).toMatch(/at least one count/);
  });

  it('maps issue paths to fields and makes nested react-hook-form errors', () => {
    expect(fieldOfIssue(['transport', 'destinationHost'])).toBe('directHost');
    expect(fieldOfIssue(['selection', 'schemas', 0])).toBe('namingSchema');
    expect(fieldOfIssue(['properties', 'override', 'x'])).toBe('overrideProperties');
    expect(rhfErrors({ 'newPeriodicTask.lifetimeAmount': 'Enter a whole number of 1 or more.', name: 'Give the task a name.' })).toEqual({
      newPeriodicTask: { lifetimeAmount: { type: 'validate', message: 'Enter a whole number of 1 or more.' } },
      name: { type: 'validate', message: 'Give the task a name.' },
    });
  });
});

describe('names and loading a saved task', () => {
  it('defaults the name to "source - destination"', () => {
    expect(defaultTaskName('nas-a', [{ name: 'tank/docs' }], 'nas-b', 'backup')).toBe('nas-a docs - nas-b backup');
    expect(defaultTaskName('nas-a', [{ name: 'tank/docs' }, { name: 'tank/photos' }], 'nas-b', 'backup/replicas')).toBe('nas-a docs +1 - nas-b replicas');
    expect(defaultTaskName('', [], '', '')).toBe('');
  });

  it('"load as a new task" copies the settings without the id or the name; "edit" keeps both', () => {
    const saved = ReplicationTaskSchema.parse({ ...toTaskDraft(filled({ preset: 'weekly', weekday: 3, time: '02:30', lifetimeMode: 'grid' })), id: '33333333-3333-4333-8333-333333333333' });
    const copy = formFromTask(saved, 'copy', 'UTC');
    expect(copy.id).toBeUndefined();
    expect(copy.name).toBe('');
    expect(copy).toMatchObject({ preset: 'weekly', weekday: 3, time: '02:30', timeZone: 'Europe/Paris', lifetimeMode: 'grid', sources: saved.sources });
    const edit = formFromTask(saved, 'edit', 'UTC');
    expect(edit.id).toBe(saved.id);
    // Round trip: the form makes the same task again.
    expect(ReplicationTaskSchema.parse({ ...toTaskDraft(edit), id: saved.id })).toEqual(saved);
  });
});

describe('schedule presets', () => {
  const base = { minute: 15, time: '01:30', weekday: 1, monthDay: 5, cron: '*/10 * * * *', timeZone: 'UTC' };
  it('make cron expressions and come back from them', () => {
    expect(cronOf({ ...base, preset: 'hourly' })).toBe('15 * * * *');
    expect(cronOf({ ...base, preset: 'daily' })).toBe('30 1 * * *');
    expect(cronOf({ ...base, preset: 'weekly' })).toBe('30 1 * * 1');
    expect(cronOf({ ...base, preset: 'monthly' })).toBe('30 1 5 * *');
    expect(cronOf({ ...base, preset: 'once' })).toBeNull();
    expect(schedulePresetOf({ kind: 'cron', expression: '30 1 5 * *', timeZone: 'UTC' }, 'UTC')).toMatchObject({ preset: 'monthly', time: '01:30', monthDay: 5 });
    expect(schedulePresetOf({ kind: 'cron', expression: '*/10 * * * *' }, 'UTC')).toMatchObject({ preset: 'custom', cron: '*/10 * * * *' });
    expect(schedulePresetOf({ kind: 'manual' }, 'Asia/Tokyo')).toMatchObject({ preset: 'once', timeZone: 'Asia/Tokyo' });
  });

  it('describes a daily schedule and lists its next five runs in the zone', () => {
    const summary = summarizeSchedule({ ...base, preset: 'daily', time: '01:00', timeZone: 'Europe/Paris' }, new Date('2026-12-01T12:00:00Z'));
    expect(summary.problem).toBeNull();
    expect(summary.description).toMatch(/01:00/);
    expect(summary.nextRuns).toHaveLength(5);
    expect(summary.nextRuns[0]).toMatch(/^2026-12-02 01:00/);
  });

  it('says what is wrong with a time or an expression', () => {
    expect(summarizeSchedule({ ...base, preset: 'daily', time: '25:00' }, new Date()).problem).toMatch(/HH:MM/);
    expect(summarizeSchedule({ ...base, preset: 'custom', cron: '0 2 * * * *' }, new Date()).problem).toBeTruthy();
  });
});
