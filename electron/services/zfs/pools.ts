import { field, tabularFormat, type RecordOf } from './tabular-output.ts';
import type { CallOptions, ZfsHost, ZfsToolPaths } from './zfs-host.ts';

// `zpool list -H -p -o <poolFields>`: one line per imported pool.

export const poolFields = {
  name: field.text('name'),
  guid: field.guid('guid'),
  /** ONLINE, DEGRADED, FAULTED, OFFLINE, UNAVAIL, REMOVED, SUSPENDED. */
  health: field.text('health'),
  sizeBytes: field.count('size'),
  allocatedBytes: field.count('allocated'),
  freeBytes: field.count('free'),
  /** Percent of space used, 0-100. */
  capacityPercent: field.count('capacity'),
  /** Percent; null when the pool cannot tell (no spacemap_histogram feature). */
  fragmentationPercent: field.optionalCount('fragmentation'),
  readonly: field.flag('readonly'),
};

export const poolListFormat = tabularFormat(poolFields);

export type PoolInfo = RecordOf<typeof poolFields>;

export function buildListPoolsArgv(tools: ZfsToolPaths): string[] {
  return [tools.zpool, 'list', '-H', '-p', '-o', poolListFormat.outputList];
}

export function parsePoolList(stdout: string): PoolInfo[] {
  return poolListFormat.parse(stdout, 'zpool list');
}

export async function listPools(host: ZfsHost, options: CallOptions = {}): Promise<PoolInfo[]> {
  const { stdout } = await host.runner.run(buildListPoolsArgv(host.capabilities.tools), options);
  return parsePoolList(stdout);
}
