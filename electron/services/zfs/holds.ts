import { assertZfsName } from '../../../shared/zfs-names.ts';
import { field, tabularFormat, type RecordOf } from './tabular-output.ts';
import type { CallOptions, ZfsHost, ZfsToolPaths } from './zfs-host.ts';

// `zfs holds -H -p [-r] snapshot...` has no -o: its columns are fixed (NAME, TAG, TIMESTAMP; -p makes the
// timestamp Unix seconds). The map below follows that order; the tag is free text to ZFS (holds made by other
// tools may contain anything), so it is the free-text field.

export const holdFields = {
  snapshot: field.text('name'),
  tag: field.freeText('tag'),
  /** Unix seconds when the hold was taken. */
  heldSince: field.count('timestamp'),
};

export const holdListFormat = tabularFormat(holdFields);

export type HoldInfo = RecordOf<typeof holdFields>;

export function buildListHoldsArgv(tools: ZfsToolPaths, snapshots: readonly string[], options: { recursive?: boolean } = {}): string[] {
  if (snapshots.length === 0) throw new TypeError('name at least one snapshot');
  return [
    tools.zfs, 'holds', '-H', '-p',
    ...(options.recursive ? ['-r'] : []),
    ...snapshots.map((snapshot) => assertZfsName('snapshot', snapshot)),
  ];
}

export function parseHoldList(stdout: string): HoldInfo[] {
  return holdListFormat.parse(stdout, 'zfs holds');
}

export async function listHolds(
  host: ZfsHost,
  snapshots: readonly string[],
  options: { recursive?: boolean } = {},
  call: CallOptions = {},
): Promise<HoldInfo[]> {
  const { stdout } = await host.runner.run(buildListHoldsArgv(host.capabilities.tools, snapshots, options), call);
  return parseHoldList(stdout);
}
