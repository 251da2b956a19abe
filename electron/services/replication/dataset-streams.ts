import type { SendStep } from '../../../shared/replication-reports.ts';
import type { ReplicationTask } from '../../../shared/task-schemas.ts';
import type { ListedDataset } from '../zfs/replication-listing.ts';
import type { ReceiveOptions, SendFlags, SendSource } from '../zfs/send-receive.ts';
import type { DestinationKey } from './destination-encryption.ts';
import type { PlannedDataset } from './task-plan.ts';

// How each step of a dataset's plan is sent and received: the send's source and flags, the receive's properties.
// Shared by the command list a dry run shows, the size estimates and the transfers themselves, so what runs is
// exactly what was shown.

export interface DatasetStreams {
  sendSource(w: PlannedDataset, step: SendStep): SendSource;
  sendFlags(w: PlannedDataset, index: number): SendFlags;
  receive(w: PlannedDataset, index: number): ReceiveOptions;
}

export function datasetStreams(task: ReplicationTask, encryptionKey: DestinationKey | null): DatasetStreams {
  return {
    sendSource(w, step) {
      const name = w.sourceDataset.name;
      if (step.kind === 'full') return { kind: 'full', snapshot: `${name}@${step.snapshot}` };
      if (step.kind === 'resume') return { kind: 'resume', token: step.token };
      return { kind: 'incremental', from: step.from.startsWith('#') ? `${name}${step.from}` : `${name}@${step.from}`, snapshot: `${name}@${step.to}`, intermediates: step.intermediates };
    },
    sendFlags(w, index) {
      const steps = w.report.plan.steps;
      const step = steps[index];
      return {
        raw: task.encryption.kind === 'as-source' && w.sourceDataset.encrypted,
        compact: true,
        // An encrypted receive refuses embedded-data records (-e): "incompatible embedded data stream feature with
        // encrypted receive" (OpenZFS 2.3).
        embedded: !encryptionKey,
        // Properties travel with a full send (they shape how its blocks are written) and with the plan's last
        // incremental, which leaves the replica with the source's current properties; every earlier incremental
        // without -p spares the receive a property update per snapshot. (Resume streams keep their own flags.)
        properties: task.properties.replicate && (step?.kind !== 'incremental' || index === steps.length - 1),
      };
    },
    receive(w, index) {
      const alreadyReadonly = staysReadonly(task, w, index);
      return {
        target: w.report.destination,
        setProperties: { ...(task.destinationReadonly && !alreadyReadonly ? { readonly: 'on' } : {}), ...task.properties.override },
        // A -p stream of a plain dataset carries encryption=off, which beats inheritance: -x encryption lets the
        // replica inherit the encryption root above it (measured on OpenZFS 2.3: without it the replica is plain).
        excludeProperties: [...task.properties.exclude, ...(encryptionKey ? ['encryption'] : []), ...(alreadyReadonly ? ['readonly'] : [])],
      };
    },
  };
}

/**
 * `receive -o readonly=on` sets the property again for every snapshot of an -I stream (+6 s per 100 small
 * snapshots measured on the VMs). A replica that is already read-only and stays (no destroy, no half-done
 * receive), or that an earlier step of this run received with readonly=on, gets `-x readonly` instead: free, and a
 * readonly in a -p stream still cannot make it writable. An explicit readonly override or exclusion wins.
 */
function staysReadonly(task: ReplicationTask, w: PlannedDataset, index: number): boolean {
  const plan = w.report.plan;
  const existing = w.destinationDataset;
  const first = plan.steps[0];
  const receivedEarlierThisRun = index > 0 && first?.kind !== 'resume';
  const readonlyReplicaStays = existing !== null && existing.readonly && existing.receiveResumeToken === null && !(plan.status === 'ready' && plan.destructive?.kind === 'destroy-dataset');
  return task.destinationReadonly && (receivedEarlierThisRun || readonlyReplicaStays) && !Object.hasOwn(task.properties.override, 'readonly') && !task.properties.exclude.includes('readonly');
}

/** Snapshots one send step creates on the destination (-I counts every intermediate). */
export function snapshotsIn(step: SendStep, sourceSnapshots: ListedDataset['snapshots']): number {
  if (step.kind !== 'incremental' || !step.intermediates) return 1;
  const index = (name: string) => sourceSnapshots.findIndex((s) => s.name === name);
  return Math.max(1, index(step.to) - index(step.from.replace(/^#/, '')));
}
