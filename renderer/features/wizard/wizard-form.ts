import type { z } from 'zod';
import type { LifetimeUnit } from '../../../shared/retention.ts';
import { ReplicationTaskDraftSchema, type ReplicationTask } from '../../../shared/task-schemas.ts';
import { plainErrorMap } from '../../../shared/validation-messages.ts';
import { scheduleOf, schedulePresetOf, type ScheduleFields } from './schedule-presets.ts';

// The wizard's form: what the admin edits, in the shape the screens need (a schedule preset and a time, a lifetime
// mode, a destination parent plus a new name...), and its one translation into the contract's task draft. Every
// check is the contract's own schema (ReplicationTaskDraftSchema, with the plain-words error map); its issues are put
// back on the form field they are about. Pure: unit-tested without a browser.

export type SelectionMode = 'naming-schema' | 'periodic-task' | 'regex' | 'all';
export type LifetimeMode = 'same-as-source' | 'forever' | 'custom' | 'grid';

export interface WizardSource {
  name: string;
  recursive: boolean;
  /** Children (full names) left out of a recursive source. */
  exclude: string[];
}

export interface KeepGridFields {
  last: number;
  hourly: number;
  daily: number;
  weekly: number;
  monthly: number;
  yearly: number;
}

/** A periodic snapshot task the wizard creates for a source that has none (shown and editable, never silent). */
export interface NewPeriodicTaskFields extends ScheduleFields {
  create: boolean;
  lifetimeAmount: number;
  lifetimeUnit: LifetimeUnit;
}

export interface WizardForm extends ScheduleFields {
  /** Set when editing a saved task; absent for a new one (also for one loaded "as a new task"). */
  id?: string;
  name: string;
  sourceConnectionId: string;
  sources: WizardSource[];
  destinationConnectionId: string;
  /** An existing dataset on the destination, picked in its tree. */
  destinationParent: string;
  /** Optional: a new dataset created under the parent, which becomes the task's destination parent. */
  destinationNewName: string;
  transport: 'relay' | 'direct';
  directHost: string;
  directPort: number;
  directUser: string;
  selectionMode: SelectionMode;
  namingSchema: string;
  regex: string;
  /** selectionMode periodic-task: the chosen tasks' ids (their naming schemas select the snapshots). */
  periodicTaskIds: string[];
  /** The wall clock the snapshot names are written in (a periodic task's, else the admin's). */
  namesTimeZone: string;
  newPeriodicTask: NewPeriodicTaskFields;
  replicateProperties: boolean;
  /** Comma- or space-separated property names. */
  excludeProperties: string;
  /** One `name=value` per line. */
  overrideProperties: string;
  encryption: 'as-source' | 'encrypt-on-destination';
  keyFormat: 'hex' | 'passphrase';
  key: string;
  /** Keep the key in the app's secrets; otherwise it is asked for at each run. */
  storeKey: boolean;
  compression: 'none' | 'lz4' | 'zstd';
  /** KiB/s; undefined = unlimited. */
  bandwidthLimitKiBps: number | undefined;
  lifetimeMode: LifetimeMode;
  lifetimeAmount: number;
  lifetimeUnit: LifetimeUnit;
  grid: KeepGridFields;
  destinationReadonly: boolean;
  retries: number;
}

/** The names of the form's fields, as react-hook-form paths. */
export type WizardField = keyof WizardForm | 'newPeriodicTask.lifetimeAmount' | 'newPeriodicTask.cron' | 'form';

export const defaultNamingSchema = 'auto-%Y-%m-%d_%H-%M';

export function emptyWizardForm(timeZone: string): WizardForm {
  return {
    name: '',
    sourceConnectionId: '',
    sources: [],
    destinationConnectionId: '',
    destinationParent: '',
    destinationNewName: '',
    transport: 'relay',
    directHost: '',
    directPort: 22,
    directUser: 'root',
    selectionMode: 'naming-schema',
    namingSchema: defaultNamingSchema,
    regex: '',
    periodicTaskIds: [],
    namesTimeZone: timeZone,
    newPeriodicTask: { create: true, preset: 'hourly', minute: 0, time: '00:00', weekday: 0, monthDay: 1, cron: '0 * * * *', timeZone, lifetimeAmount: 2, lifetimeUnit: 'weeks' },
    replicateProperties: true,
    excludeProperties: '',
    overrideProperties: '',
    encryption: 'as-source',
    keyFormat: 'hex',
    key: '',
    storeKey: true,
    compression: 'none',
    bandwidthLimitKiBps: undefined,
    preset: 'daily',
    minute: 0,
    time: '01:00',
    weekday: 0,
    monthDay: 1,
    cron: '0 1 * * *',
    timeZone,
    lifetimeMode: 'same-as-source',
    lifetimeAmount: 2,
    lifetimeUnit: 'weeks',
    grid: { last: 0, hourly: 24, daily: 7, weekly: 4, monthly: 6, yearly: 0 },
    destinationReadonly: true,
    retries: 2,
  };
}

/** The last component of a dataset name: "docs" for tank/docs. */
export function leafName(dataset: string): string {
  return dataset.slice(dataset.lastIndexOf('/') + 1);
}

/** "nas-a docs - nas-b backup": the name TrueNAS admins expect ("source - destination"), cut to the schema's 64. */
export function defaultTaskName(sourceNas: string, sources: readonly { name: string }[], destinationNas: string, destination: string): string {
  const source = sources.length === 0 ? '' : sources.length === 1 ? leafName(sources[0]!.name) : `${leafName(sources[0]!.name)} +${sources.length - 1}`;
  const left = [sourceNas, source].filter(Boolean).join(' ');
  const right = [destinationNas, destination ? leafName(destination) : ''].filter(Boolean).join(' ');
  if (!left && !right) return '';
  return `${left} - ${right}`.slice(0, 64).trim();
}

/** The task's destination parent: the picked dataset, or a new child of it. */
export function destinationParentOf(form: Pick<WizardForm, 'destinationParent' | 'destinationNewName'>): string {
  const parent = form.destinationParent.trim();
  const child = form.destinationNewName.trim();
  return child ? `${parent}/${child}` : parent;
}

/** Where each source lands: <parent>/<source without its pool> (the engine's rule). */
export function destinationOf(parent: string, source: string): string {
  const slash = source.indexOf('/');
  return slash < 0 ? parent : `${parent}/${source.slice(slash + 1)}`;
}

export function parsePropertyList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter(Boolean);
}

/** `name=value` lines; a line without "=" keeps its name with an empty value (the schema then says why). */
export function parseOverrides(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const eq = trimmed.indexOf('=');
    if (eq < 0) out[trimmed] = '';
    else out[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
  }
  return out;
}

/** The naming schemas a selection uses (the periodic tasks' or the typed one); empty for regex and all. */
export function namingSchemasOf(form: Pick<WizardForm, 'selectionMode' | 'namingSchema' | 'periodicTaskIds'>, periodicTasks: readonly { id: string; namingSchema: string }[]): string[] {
  if (form.selectionMode === 'naming-schema') return [form.namingSchema];
  if (form.selectionMode === 'periodic-task') return [...new Set(periodicTasks.filter((t) => form.periodicTaskIds.includes(t.id)).map((t) => t.namingSchema))];
  return [];
}

export type TaskDraftInput = z.input<typeof ReplicationTaskDraftSchema>;

/** The contract's task draft for this form (not yet validated). */
export function toTaskDraft(form: WizardForm, periodicTasks: readonly { id: string; namingSchema: string }[] = []): TaskDraftInput {
  const selection: TaskDraftInput['selection'] =
    form.selectionMode === 'regex'
      ? { kind: 'regex', pattern: form.regex }
      : form.selectionMode === 'all'
        ? { kind: 'all' }
        : { kind: 'naming-schema', schemas: namingSchemasOf(form, periodicTasks), timeZone: form.namesTimeZone };
  const destinationLifetime: TaskDraftInput['destinationLifetime'] =
    form.lifetimeMode === 'custom'
      ? { kind: 'custom', amount: form.lifetimeAmount, unit: form.lifetimeUnit }
      : form.lifetimeMode === 'grid'
        ? { kind: 'grid', ...form.grid }
        : { kind: form.lifetimeMode };
  return {
    ...(form.id ? { id: form.id } : {}),
    name: form.name,
    sourceConnectionId: form.sourceConnectionId,
    sources: form.sources.map((s) => ({ name: s.name, recursive: s.recursive, exclude: s.recursive ? s.exclude : [] })),
    destinationConnectionId: form.destinationConnectionId,
    destinationParent: destinationParentOf(form),
    transport: form.transport === 'direct' ? { kind: 'direct', destinationHost: form.directHost, destinationPort: form.directPort, destinationUser: form.directUser } : { kind: 'relay' },
    selection,
    properties: { replicate: form.replicateProperties, exclude: parsePropertyList(form.excludeProperties), override: parseOverrides(form.overrideProperties) },
    encryption:
      form.encryption === 'encrypt-on-destination'
        ? { kind: 'encrypt-on-destination', keyFormat: form.keyFormat, ...(form.storeKey ? { key: form.key } : {}) }
        : { kind: 'as-source' },
    compression: form.compression,
    bandwidthLimitKiBps: form.bandwidthLimitKiBps ?? null,
    schedule: scheduleOf(form),
    destinationLifetime,
    retries: form.retries,
    destinationReadonly: form.destinationReadonly,
  };
}

/** A saved task as a form: to edit it (keeps its id) or to start a new task from its settings (copy: no id). */
export function formFromTask(task: ReplicationTask, mode: 'edit' | 'copy', timeZone: string): WizardForm {
  const empty = emptyWizardForm(timeZone);
  const lifetime = task.destinationLifetime;
  const schedule = schedulePresetOf(task.schedule, timeZone);
  return {
    ...empty,
    ...schedule,
    ...(mode === 'edit' ? { id: task.id } : {}),
    name: mode === 'edit' ? task.name : '',
    sourceConnectionId: task.sourceConnectionId,
    sources: task.sources.map((s) => ({ name: s.name, recursive: s.recursive, exclude: [...s.exclude] })),
    destinationConnectionId: task.destinationConnectionId,
    destinationParent: task.destinationParent,
    destinationNewName: '',
    transport: task.transport.kind,
    ...(task.transport.kind === 'direct' ? { directHost: task.transport.destinationHost, directPort: task.transport.destinationPort, directUser: task.transport.destinationUser } : {}),
    selectionMode: task.selection.kind,
    namingSchema: task.selection.kind === 'naming-schema' ? (task.selection.schemas[0] ?? empty.namingSchema) : empty.namingSchema,
    namesTimeZone: (task.selection.kind === 'naming-schema' ? task.selection.timeZone : undefined) ?? 'UTC',
    regex: task.selection.kind === 'regex' ? task.selection.pattern : '',
    newPeriodicTask: { ...empty.newPeriodicTask, create: false },
    replicateProperties: task.properties.replicate,
    excludeProperties: task.properties.exclude.join(', '),
    overrideProperties: Object.entries(task.properties.override)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    encryption: task.encryption.kind,
    keyFormat: task.encryption.kind === 'encrypt-on-destination' ? task.encryption.keyFormat : 'hex',
    key: task.encryption.kind === 'encrypt-on-destination' ? (task.encryption.key ?? '') : '',
    storeKey: task.encryption.kind === 'encrypt-on-destination' ? task.encryption.key !== undefined : true,
    compression: task.compression,
    bandwidthLimitKiBps: task.bandwidthLimitKiBps ?? undefined,
    lifetimeMode: lifetime.kind,
    lifetimeAmount: lifetime.kind === 'custom' ? lifetime.amount : empty.lifetimeAmount,
    lifetimeUnit: lifetime.kind === 'custom' ? lifetime.unit : empty.lifetimeUnit,
    grid: lifetime.kind === 'grid' ? { last: lifetime.last, hourly: lifetime.hourly, daily: lifetime.daily, weekly: lifetime.weekly, monthly: lifetime.monthly, yearly: lifetime.yearly } : empty.grid,
    destinationReadonly: task.destinationReadonly,
    retries: task.retries,
  };
}

// ---- validation: the contract's schema, its issues put on the form's fields ------------------------------------

export type FieldErrors = Partial<Record<WizardField, string>>;

/** Which form field a task-draft issue path is about. */
export function fieldOfIssue(path: readonly PropertyKey[]): WizardField {
  const [head, second] = path;
  switch (head) {
    case 'name':
      return 'name';
    case 'sourceConnectionId':
      return 'sourceConnectionId';
    case 'destinationConnectionId':
      return 'destinationConnectionId';
    case 'sources':
      return 'sources';
    case 'destinationParent':
      return 'destinationParent';
    case 'transport':
      return second === 'destinationPort' ? 'directPort' : second === 'destinationUser' ? 'directUser' : 'directHost';
    case 'selection':
      return second === 'pattern' ? 'regex' : second === 'timeZone' ? 'namesTimeZone' : 'namingSchema';
    case 'properties':
      return second === 'exclude' ? 'excludeProperties' : 'overrideProperties';
    case 'encryption':
      return 'key';
    case 'bandwidthLimitKiBps':
      return 'bandwidthLimitKiBps';
    case 'schedule':
      return 'cron';
    case 'destinationLifetime':
      return second === 'amount' || second === 'unit' ? 'lifetimeAmount' : 'grid';
    case 'retries':
      return 'retries';
    default:
      return 'form';
  }
}

/**
 * What is wrong with the form, field by field, in plain words: the contract's schema first, then what only the
 * wizard knows (a zvol is no parent, a name for the new dataset, the key to encrypt with).
 */
export function validateWizard(form: WizardForm, context: WizardContext = {}): FieldErrors {
  const errors: FieldErrors = {};
  const put = (field: WizardField, message: string) => {
    if (!errors[field]) errors[field] = message;
  };
  if (!form.sourceConnectionId) put('sourceConnectionId', 'Choose the source NAS.');
  if (!form.destinationConnectionId) put('destinationConnectionId', 'Choose the destination NAS.');
  if (form.sourceConnectionId && form.sources.length === 0) put('sources', 'Pick at least one source dataset in the tree.');
  if (form.destinationConnectionId && !form.destinationParent) put('destinationParent', 'Pick the destination parent dataset in the tree.');
  if (form.destinationParent && context.destinationVolumes?.includes(form.destinationParent)) {
    put('destinationParent', `${form.destinationParent} is a volume (zvol): a volume cannot hold datasets. Pick a filesystem as the destination parent.`);
  }
  const child = form.destinationNewName.trim();
  if (child.includes('/') || child.includes('@') || child.includes('#')) put('destinationNewName', 'Enter one name, without "/", "@" or "#" (it is created under the parent).');
  if (form.selectionMode === 'periodic-task' && form.periodicTaskIds.length === 0) put('periodicTaskIds', 'Pick at least one periodic snapshot task, or choose another way to select snapshots.');
  if (form.encryption === 'encrypt-on-destination' && !form.key) put('key', 'Enter the key, or generate one.');
  if (form.encryption === 'encrypt-on-destination' && !form.storeKey && form.key) {
    const problem = ReplicationTaskDraftSchema.safeParse({ ...toTaskDraft({ ...form, storeKey: true }), name: 'x' }, { error: plainErrorMap });
    if (!problem.success) for (const issue of problem.error.issues) if (issue.path[0] === 'encryption') put('key', issue.message);
  }
  if (form.newPeriodicTask.create && context.sourcesWithoutPeriodicTask && context.sourcesWithoutPeriodicTask.length > 0 && form.selectionMode === 'naming-schema') {
    const amount = form.newPeriodicTask.lifetimeAmount;
    if (!Number.isInteger(amount) || amount < 1 || amount > 100_000) put('newPeriodicTask.lifetimeAmount', 'Enter a whole number of 1 or more.');
    if (form.newPeriodicTask.preset === 'custom' || form.newPeriodicTask.preset === 'once') {
      const schedule = scheduleOf(form.newPeriodicTask);
      if (schedule.kind === 'manual') put('newPeriodicTask.cron', 'A periodic snapshot task needs a schedule: choose hourly, daily, weekly, monthly or a cron expression.');
    }
  }
  const parsed = ReplicationTaskDraftSchema.safeParse(toTaskDraft(form, context.periodicTasks ?? []), { error: plainErrorMap });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = fieldOfIssue(issue.path);
      // The pickers already say "choose"; the schema's "not a valid identifier" for an empty id adds nothing.
      if ((field === 'sourceConnectionId' || field === 'destinationConnectionId') && errors[field]) continue;
      put(field, issue.message);
    }
  }
  return errors;
}

export interface WizardContext {
  /** Volumes of the destination NAS (a zvol is refused as the parent). */
  destinationVolumes?: readonly string[];
  periodicTasks?: readonly { id: string; namingSchema: string }[];
  /** Sources (full names) without a periodic snapshot task on the source NAS. */
  sourcesWithoutPeriodicTask?: readonly string[];
}

/** The fields of each step, in order: a step's Next validates these. */
export const stepFields: Record<'what' | 'when', readonly WizardField[]> = {
  what: [
    'sourceConnectionId',
    'sources',
    'destinationConnectionId',
    'destinationParent',
    'destinationNewName',
    'directHost',
    'directPort',
    'directUser',
    'namingSchema',
    'periodicTaskIds',
    'regex',
    'namesTimeZone',
    'newPeriodicTask.lifetimeAmount',
    'newPeriodicTask.cron',
    'excludeProperties',
    'overrideProperties',
    'key',
    'bandwidthLimitKiBps',
    'name',
    'retries',
    'form',
  ],
  when: ['cron', 'timeZone', 'lifetimeAmount', 'grid'],
};

/** The errors of one step only. */
export function errorsOfStep(errors: FieldErrors, step: 'what' | 'when'): FieldErrors {
  const out: FieldErrors = {};
  for (const field of stepFields[step]) if (errors[field]) out[field] = errors[field];
  return out;
}

/** A random 256-bit key as 64 hex digits (what `keyformat=hex` takes). */
export function generateHexKey(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  return [...random(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join('');
}
