import { assertZfsName } from '../../../shared/zfs-names.ts';
import { UsernameSchema } from '../../../shared/schemas.ts';
import { AppFailure } from '../../../shared/result.ts';
import { buildCommandLine } from './command-runner.ts';
import { sudoersLine } from './stderr-error-table.ts';

// The 'delegated' privilege: instead of root or sudo, the NAS admin grants the replication user exactly the
// zfs permissions it needs with `zfs allow` (zfs-allow(8)). These helpers print the minimal lines to paste on
// each side. Permission dependencies from the man page: create, destroy and receive also need mount; receive
// also needs create. Linux cannot delegate the mount itself (mount(8) is root-only): a delegated receive must
// use `zfs receive -u` and the datasets are mounted by root (or stay unmounted, as backups usually do).

export interface DelegationOptions {
  /** The user the app logs in as on the source NAS. */
  sourceUser: string;
  /** The dataset (tree) replicated from; permissions are granted on it and its descendants. */
  sourceDataset: string;
  destinationUser: string;
  /** The dataset under which replicas are received. */
  destinationDataset: string;
  /** The app prunes old snapshots on the source by its retention rules: needs destroy (+ mount). Default true. */
  pruneSource?: boolean;
  /** Extra properties the stream sets on the destination (zfs send -p / -R, or receive -o): each needs its own permission, e.g. ["compression", "recordsize"]. */
  receivedProperties?: readonly string[];
  /** The app holds the newest common snapshot on the destination too. Default true. */
  holdOnDestination?: boolean;
}

export interface DelegationPlan {
  source: { permissions: string[]; command: string };
  destination: { permissions: string[]; command: string };
  /** Undo lines (zfs unallow with the same permissions). */
  revoke: { source: string; destination: string };
  notes: string[];
}

export const sourcePermissions = ['send', 'snapshot', 'hold', 'release', 'bookmark', 'userprop'] as const;
export const destinationPermissions = ['create', 'mount', 'receive', 'rollback', 'destroy', 'userprop'] as const;

function assertUser(user: string): string {
  const parsed = UsernameSchema.safeParse(user);
  if (!parsed.success) throw new AppFailure('INVALID_REQUEST', `Invalid user name "${user}".`, parsed.error.issues[0]?.message);
  return user;
}

function assertPropertyName(name: string): string {
  if (!/^[a-z][a-z0-9_:.-]{0,255}$/.test(name)) throw new AppFailure('INVALID_REQUEST', `Invalid property name "${name}".`);
  return name;
}

export function delegationPlan(options: DelegationOptions): DelegationPlan {
  const sourceUser = assertUser(options.sourceUser);
  const destinationUser = assertUser(options.destinationUser);
  const sourceDataset = assertZfsName('dataset', options.sourceDataset);
  const destinationDataset = assertZfsName('dataset', options.destinationDataset);

  const source: string[] = [...sourcePermissions];
  if (options.pruneSource ?? true) source.push('destroy', 'mount');
  const destination: string[] = [...destinationPermissions];
  if (options.holdOnDestination ?? true) destination.push('hold', 'release');
  for (const property of options.receivedProperties ?? []) {
    const name = assertPropertyName(property);
    if (!destination.includes(name)) destination.push(name);
  }
  const allow = (user: string, perms: string[], dataset: string) => buildCommandLine(['zfs', 'allow', '-u', user, perms.join(','), dataset]);
  const unallow = (user: string, perms: string[], dataset: string) => buildCommandLine(['zfs', 'unallow', '-u', user, perms.join(','), dataset]);
  return {
    source: { permissions: source, command: allow(sourceUser, source, sourceDataset) },
    destination: { permissions: destination, command: allow(destinationUser, destination, destinationDataset) },
    revoke: { source: unallow(sourceUser, source, sourceDataset), destination: unallow(destinationUser, destination, destinationDataset) },
    notes: [
      'Run each line as root on its NAS (TrueNAS: System > Shell).',
      'On Linux, mounting cannot be delegated: the app receives with "zfs receive -u" and leaves replicas unmounted.',
      'Properties sent with the stream (zfs send -p/-R) or set with receive -o need their own permission on the destination: list them in receivedProperties.',
      `If you prefer sudo instead: ${sudoersLine(sourceUser)}`,
    ],
  };
}
