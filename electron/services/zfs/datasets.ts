import { assertZfsName } from '../../../shared/zfs-names.ts';
import { field, tabularFormat, type RecordOf } from './tabular-output.ts';
import type { CallOptions, ZfsHost, ZfsToolPaths } from './zfs-host.ts';

// `zfs list -H -p -t filesystem,volume -o <datasetFields>`: one line per filesystem or volume.

export const datasetFields = {
  name: field.text('name'),
  type: field.oneOf('type', ['filesystem', 'volume']),
  guid: field.guid('guid'),
  createtxg: field.count('createtxg'),
  /** Unix seconds. */
  creation: field.count('creation'),
  usedBytes: field.count('used'),
  availableBytes: field.count('available'),
  referencedBytes: field.count('referenced'),
  /** "off" or the cipher, e.g. "aes-256-gcm". */
  encryption: field.text('encryption'),
  /** The dataset whose key this one uses; null when not encrypted. */
  encryptionRoot: field.optionalText('encryptionroot'),
  /** null when not encrypted. */
  keyStatus: field.custom('keystatus', (raw) => {
    if (raw === '-') return null;
    if (raw === 'available' || raw === 'unavailable') return raw;
    throw new Error(`expected available, unavailable or -, got ${JSON.stringify(raw)}`);
  }),
  readonly: field.flag('readonly'),
  /** The snapshot this clone was created from; null when not a clone. */
  origin: field.optionalText('origin'),
  /** Set while a `zfs receive -s` was interrupted: what `zfs send -t` needs to resume. */
  receiveResumeToken: field.optionalText('receive_resume_token'),
  /** null for volumes. */
  mounted: field.optionalFlag('mounted'),
  /** A path, "none" or "legacy"; null for volumes. Last: the only field that may hold tabs. */
  mountpoint: field.optionalFreeText('mountpoint'),
};

export const datasetListFormat = tabularFormat(datasetFields);

export type DatasetInfo = RecordOf<typeof datasetFields>;

export interface ListDatasetsOptions {
  /** Only this dataset and (with depth) its descendants; all pools when absent. */
  root?: string;
  /** Levels below root: 0 = root only; absent = all descendants. */
  depth?: number;
}

export function buildListDatasetsArgv(tools: ZfsToolPaths, options: ListDatasetsOptions = {}): string[] {
  const argv = [tools.zfs, 'list', '-H', '-p', '-t', 'filesystem,volume', '-o', datasetListFormat.outputList];
  if (options.depth !== undefined) {
    if (!Number.isInteger(options.depth) || options.depth < 0) throw new TypeError('depth must be a whole number >= 0');
    argv.push('-d', String(options.depth));
  } else if (options.root !== undefined) {
    argv.push('-r');
  }
  if (options.root !== undefined) argv.push(assertZfsName('dataset', options.root));
  return argv;
}

export function parseDatasetList(stdout: string): DatasetInfo[] {
  return datasetListFormat.parse(stdout, 'zfs list');
}

export async function listDatasets(host: ZfsHost, options: ListDatasetsOptions = {}, call: CallOptions = {}): Promise<DatasetInfo[]> {
  const { stdout } = await host.runner.run(buildListDatasetsArgv(host.capabilities.tools, options), call);
  return parseDatasetList(stdout);
}
