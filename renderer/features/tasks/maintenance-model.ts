import { formatBytes } from '../../../shared/format-bytes.ts';
import type { DestructionItem, DestructionPlan, DoctorReport, PromoteReport, RepairReport, ResetReport } from '../../../shared/replication-reports.ts';
import type { ReplicationTask } from '../../../shared/task-schemas.ts';

// What each maintenance dialog lists, from the engine's reports: pure, so every list is tested against the report
// it comes from. Destruction is always the engine's DestructionPlan item by item (what, its size, why) — never a
// count or a summary.

export interface ListedItem {
  label: string;
  detail?: string;
}

const kindWords: Record<DestructionItem['kind'], string> = {
  filesystem: 'dataset',
  volume: 'volume',
  snapshot: 'snapshot',
  bookmark: 'bookmark',
  'written-data': 'data written since the last snapshot',
};

export function destructionItem(item: DestructionItem): ListedItem {
  const parts = [kindWords[item.kind]];
  if (item.bytes !== null) parts.push(formatBytes(item.bytes));
  if (item.note) parts.push(item.note);
  return { label: item.name, detail: parts.join(', ') };
}

/** Every item of every operation of the plan, in order, once each. */
export function destructionItems(plan: DestructionPlan | null | undefined): ListedItem[] {
  if (!plan) return [];
  const seen = new Set<string>();
  const out: ListedItem[] = [];
  for (const op of plan.operations) {
    for (const item of op.items) {
      const key = `${item.kind}:${item.name}:${item.guid}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(destructionItem(item));
    }
  }
  return out;
}

export function destructionCommands(plan: DestructionPlan | null | undefined): string[] {
  return plan ? plan.operations.map((op) => op.command) : [];
}

export type CheckState = 'done' | 'warn' | 'failed';

export function doctorSteps(report: DoctorReport): { id: string; title: string; state: CheckState; detail: string; fix: string | null }[] {
  return report.checks.map((c) => ({ id: c.id, title: c.title, state: c.status === 'ok' ? 'done' : c.status === 'warn' ? 'warn' : 'failed', detail: c.detail, fix: c.hint }));
}

export function doctorSummary(report: DoctorReport): string {
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const warned = report.checks.filter((c) => c.status === 'warn').length;
  if (failed === 0 && warned === 0) return `All ${report.checks.length} checks passed.`;
  const parts = [];
  if (failed) parts.push(`${failed} failed`);
  if (warned) parts.push(`${warned} with a warning`);
  return `${parts.join(', ')} of ${report.checks.length} checks.`;
}

/** The repair in words, then what it destroys (if anything). */
export function repairLists(report: RepairReport): { actions: string[]; destroys: ListedItem[]; healthy: boolean } {
  return { actions: report.actions, destroys: destructionItems(report.destruction), healthy: report.actions.length === 0 };
}

/** What a reset removes (holds, lock files, the promoted mark) — never data. */
export function resetItems(report: ResetReport): ListedItem[] {
  return [
    ...report.released.source.map((s) => ({ label: s, detail: 'hold released on the source' })),
    ...report.released.destination.map((s) => ({ label: s, detail: 'hold released on the destination' })),
    ...report.lockFiles.map((f) => ({ label: f, detail: 'lock file removed' })),
    ...report.unmarked.map((d) => ({ label: d, detail: 'promoted mark cleared: replication into it resumes' })),
  ];
}

/** What deleting a task leaves on the NAS boxes (everything: the task is only the app's record). */
export function deleteKeeps(task: Pick<ReplicationTask, 'sources' | 'destinationParent'>, sourceName: string, destinationName: string): string[] {
  return [
    `Source datasets and their snapshots on ${sourceName}: ${task.sources.map((s) => s.name).join(', ')}`,
    `The replicas and their snapshots on ${destinationName} under ${task.destinationParent}`,
    "The task's holds on the newest common snapshot (use Reset first to release them)",
    "The task's log file (its run history is deleted)",
  ];
}

/** Commands in a doctor's fix: in backquotes, or a zfs/zpool command line running to the end of its sentence. */
export function commandsInFix(text: string): string[] {
  const quoted = [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  if (quoted.length > 0) return quoted;
  return [...text.matchAll(/\b((?:sudo )?(?:zfs|zpool) [a-z]+ .+?)(?=\.\s+[A-Z]|\.?$)/g)].map((m) => m[1]!);
}

/**
 * The replicas a promote makes writable. The engine's dry run leaves `promoted` empty (nothing was promoted yet): the
 * replicas are then the failback plans' (each is a promoted replica), or, with the source unreachable (no plan), the
 * datasets its `zfs set readonly=off …` commands name.
 */
export function replicasToPromote(report: PromoteReport): string[] {
  if (!report.dryRun) return report.promoted;
  if (report.failback.length > 0) return report.failback.map((f) => f.from);
  return report.commands.flatMap((c) => {
    if (!/ set readonly=off /.test(c)) return [];
    const last = /(?:'([^']*)'|(\S+))$/.exec(c.trim());
    const name = last?.[1] ?? last?.[2];
    return name ? [name] : [];
  });
}
