import type { ReplicationTask } from '../../../shared/task-schemas.ts';
import type { ListedDataset } from '../zfs/replication-listing.ts';
import type { SendStep } from '../../../shared/replication-reports.ts';

// Direct mode sends NAS to NAS so that the bulk of the bytes never crosses this computer's link. For the cron
// cycle's small increments that is the slower path: before its first byte the source must open an ssh connection to
// the destination (2.7 s on the emulated test NAS; a key exchange and a login on any NAS), while this computer
// already holds a connection to each side. Measured with bench/cycle.bench.ts, a fleet of 30 datasets with one
// 64 KiB increment each took 84.7 s direct and 50.0 s relayed. So an increment whose size is known to be small
// goes through this computer; full sends, resumes and every larger increment stay direct.

/** Increments up to this size go through this computer in a direct task: 1 MiB crosses a 10 Mbit/s link in under a
 * second, less than a NAS-to-NAS key exchange and login cost. */
export const smallIncrementBytes = 1024 * 1024;

/**
 * About what an incremental stream from `from` (a snapshot, or `#bookmark`) to `to` carries: what the source wrote
 * between the two (the `written` of every snapshot after `from` up to `to`). Null when either end is not listed.
 */
export function incrementBytes(dataset: Pick<ListedDataset, 'snapshots' | 'bookmarks'>, from: string, to: string): number | null {
  const start = from.startsWith('#') ? dataset.bookmarks.find((b) => b.name === from.slice(1)) : dataset.snapshots.find((s) => s.name === from);
  const end = dataset.snapshots.find((s) => s.name === to);
  if (!start || !end) return null;
  return dataset.snapshots.filter((s) => s.createtxg > start.createtxg && s.createtxg <= end.createtxg).reduce((sum, s) => sum + s.writtenBytes, 0);
}

/** Does this step of a direct task go through this computer instead (a small increment)? Relay tasks: no choice. */
export function relaysSmallIncrement(task: Pick<ReplicationTask, 'transport'>, step: SendStep, source: Pick<ListedDataset, 'snapshots' | 'bookmarks'>): boolean {
  if (task.transport.kind !== 'direct' || step.kind !== 'incremental') return false;
  const bytes = incrementBytes(source, step.from, step.to);
  return bytes !== null && bytes <= smallIncrementBytes;
}
