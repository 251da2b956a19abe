import type { DestructionItem, RunReport } from '../../../shared/replication-reports.ts';
import { namingSchema } from '../../../shared/naming-schema.ts';
import { parseOverrides, parsePropertyList, type WizardForm } from './wizard-form.ts';

// The review step's content, from the engine's dry run of the draft (planTask → RunReport) and the form: what the
// first run sends per dataset (full or incremental, with the estimate), what it creates, the properties the replicas
// get, and — when the destination already holds data — exactly what proceeding would destroy. Pure.

export type PlanKind = 'full' | 'incremental' | 'resume' | 'up-to-date' | 'nothing-to-send' | 'refused';

export interface ReviewDataset {
  source: string;
  destination: string;
  kind: PlanKind;
  /** In words: "full send of @auto-2026-12-01_18-00", "incremental @a → @b (and the snapshots between)". */
  summary: string;
  estimatedBytes: number | null;
  /** Snapshots the lifetime prunes on the destination before sending (short names). */
  prune: string[];
}

export interface ReviewDestruction {
  /** Everything that would be destroyed, descendants included, with its size. */
  items: DestructionItem[];
  totalBytes: number;
  commands: string[];
  /** The plan's items in words, as the engine puts them. */
  wouldLose: string[];
  confirmation: string;
  host: string;
}

export interface ReviewModel {
  datasets: ReviewDataset[];
  totalEstimatedBytes: number | null;
  destruction: ReviewDestruction | null;
  /** Snapshots taken on Save and run now, by the new periodic tasks (full names; the name depends on the minute). */
  snapshotsCreated: string[];
  /** Periodic snapshot tasks saved with the task: dataset, schema, schedule in words, lifetime in words. */
  periodicTasks: { dataset: string; namingSchema: string; schedule: string; lifetime: string }[];
  /** Properties the replicas get, as "name = value — why". */
  properties: { name: string; value: string; why: string }[];
  /** The engine could not plan (a NAS did not answer, a dataset is missing...): its error. */
  error: RunReport['error'];
}

function step(report: RunReport['datasets'][number]): { kind: PlanKind; summary: string } {
  const plan = report.plan;
  switch (plan.status) {
    case 'up-to-date':
      return { kind: 'up-to-date', summary: `already up to date at @${plan.base}` };
    case 'nothing-to-send':
      return { kind: 'nothing-to-send', summary: plan.reason };
    case 'refused':
      return { kind: 'refused', summary: 'the destination holds data this run would have to destroy (listed below)' };
    case 'ready': {
      const first = plan.steps[0];
      if (!first) return { kind: 'up-to-date', summary: 'nothing to send' };
      const more = plan.steps.length > 1 ? `, then ${plan.steps.length - 1} incremental step${plan.steps.length === 2 ? '' : 's'} up to @${plan.newest}` : '';
      if (first.kind === 'full') return { kind: 'full', summary: `full send of @${first.snapshot}${more}` };
      if (first.kind === 'resume') return { kind: 'resume', summary: `resume the interrupted transfer${more}` };
      return { kind: 'incremental', summary: `incremental from ${first.from.includes('#') ? first.from : `@${first.from}`} to @${first.to}${first.intermediates ? ' with the snapshots between' : ''}${more}` };
    }
  }
}

const unitWords = (amount: number, unit: string) => `${amount} ${amount === 1 ? unit.replace(/s$/, '') : unit}`;

/** The snapshot a new periodic task takes first, for a source with no matching snapshot. */
export function firstSnapshotName(dataset: string, schema: string, timeZone: string, now: Date): string {
  try {
    return `${dataset}@${namingSchema(schema, timeZone).format(now)}`;
  } catch {
    return `${dataset}@${schema}`;
  }
}

export interface ReviewInput {
  report: RunReport;
  form: WizardForm;
  /** Sources that get a new periodic snapshot task on save (none unless the admin kept that choice). */
  newPeriodicTaskSources: readonly string[];
  /** The new periodic task's schedule in words. */
  periodicScheduleWords: string;
  now: Date;
}

export function reviewModel({ report, form, newPeriodicTaskSources, periodicScheduleWords, now }: ReviewInput): ReviewModel {
  const datasets = report.datasets.map((d) => ({ source: d.source, destination: d.destination, ...step(d), estimatedBytes: d.estimatedBytes, prune: d.prune }));
  const estimates = datasets.map((d) => d.estimatedBytes).filter((b): b is number => b !== null);
  const refusal = report.refusal;
  const items = refusal ? refusal.destruction.operations.flatMap((op) => op.items) : [];
  const destruction: ReviewDestruction | null = refusal
    ? {
        items,
        totalBytes: items.reduce((sum, item) => sum + (item.bytes ?? 0), 0),
        commands: refusal.destruction.operations.map((op) => op.command),
        wouldLose: refusal.wouldLose,
        confirmation: refusal.confirmation,
        host: refusal.destruction.host,
      }
    : null;

  const periodicTasks = newPeriodicTaskSources.map((dataset) => ({
    dataset,
    namingSchema: form.namingSchema,
    schedule: periodicScheduleWords,
    lifetime: `snapshots kept ${unitWords(form.newPeriodicTask.lifetimeAmount, form.newPeriodicTask.lifetimeUnit)}`,
  }));
  // Save and run now: each new periodic task takes its first snapshot right away, and the run sends it too.
  const snapshotsCreated = newPeriodicTaskSources.map((dataset) => firstSnapshotName(dataset, form.namingSchema, form.namesTimeZone, now));

  const properties: ReviewModel['properties'] = [];
  if (form.destinationReadonly) properties.push({ name: 'readonly', value: 'on', why: 'so nobody writes to a replica by accident' });
  for (const [name, value] of Object.entries(parseOverrides(form.overrideProperties))) properties.push({ name, value, why: 'override set by this task' });
  for (const name of parsePropertyList(form.excludeProperties)) properties.push({ name, value: '(inherited)', why: 'excluded: not taken from the source' });
  if (form.encryption === 'encrypt-on-destination') {
    properties.push({ name: 'encryption', value: 'on', why: `a new encryption root on the destination, keyformat=${form.keyFormat}, key ${form.storeKey ? 'kept by the app' : 'asked at each run'}` });
  }
  properties.push({
    name: 'other properties',
    value: form.replicateProperties ? 'as on the source' : 'destination defaults',
    why: form.replicateProperties ? 'sent with the stream (zfs send -p)' : 'properties are not replicated',
  });

  return {
    datasets,
    totalEstimatedBytes: estimates.length > 0 ? estimates.reduce((a, b) => a + b, 0) : null,
    destruction,
    snapshotsCreated,
    periodicTasks,
    properties,
    // The engine's refusal ("run again with this confirmation") is what the destruction card shows, with the
    // wizard's own choices: said once, there.
    error: destruction && report.error?.code === 'CONFIRMATION_REQUIRED' ? null : report.error,
  };
}

/** The same items, by GUID: a re-planned destruction must list exactly what the admin saw, or nothing proceeds. */
export function sameDestruction(seen: readonly DestructionItem[], now: readonly DestructionItem[]): boolean {
  if (seen.length !== now.length) return false;
  const key = (i: DestructionItem) => `${i.kind}:${i.guid}:${i.name}`;
  const a = new Set(seen.map(key));
  return now.every((i) => a.has(key(i)));
}

/** A child name that does not exist yet under the destination parent ("docs-2", "docs-3"…), for "replicate into a new dataset". */
export function freeChildName(base: string, existing: ReadonlySet<string>, parent: string): string {
  for (let n = 2; n < 1000; n++) {
    const name = `${base}-${n}`;
    if (!existing.has(`${parent}/${name}`)) return name;
  }
  return `${base}-${Date.now()}`;
}
