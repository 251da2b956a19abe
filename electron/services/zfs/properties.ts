import { AppFailure } from '../../../shared/result.ts';
import { assertZfsName, assertZfsPropertyName, quoteName, snapshotShortNameProblem } from '../../../shared/zfs-names.ts';
import { field, tabularFormat } from './tabular-output.ts';
import type { CallOptions, ZfsHost, ZfsToolPaths } from './zfs-host.ts';

// `zfs get -H -p -o name,property,source,value ...`: one line per dataset and property. The value goes last, out
// of zfs's usual order, because it is the one field that can hold anything (user properties): as the last
// column it may contain tabs, and a newline in it is joined back by the parser.

export type PropertySource =
  | { kind: 'local' }
  | { kind: 'received' }
  | { kind: 'inherited'; from: string }
  | { kind: 'default' }
  | { kind: 'temporary' }
  /** Read-only properties (used, creation...) and unset user properties. */
  | { kind: 'none' };

const inheritedPrefix = 'inherited from ';

export function parsePropertySource(raw: string): PropertySource {
  switch (raw) {
    case 'local':
    case 'received':
    case 'default':
    case 'temporary':
      return { kind: raw };
    case '-':
      return { kind: 'none' };
    default:
      if (raw.startsWith(inheritedPrefix)) return { kind: 'inherited', from: raw.slice(inheritedPrefix.length) };
      throw new Error(`unknown property source ${JSON.stringify(raw)}`);
  }
}

export const propertyFields = {
  name: field.text('name'),
  property: field.text('property'),
  source: field.custom('source', parsePropertySource),
  value: field.freeText('value'),
};

export const propertyListFormat = tabularFormat(propertyFields);

export interface PropertyValue {
  /** The dataset, snapshot or bookmark. */
  name: string;
  property: string;
  /** As printed with -p (sizes in bytes, times in Unix seconds); null when unset or not applicable ("-" with no source). */
  value: string | null;
  source: PropertySource;
}

export interface GetPropertiesOptions {
  /** Descendants too (-r), or down to this many levels (-d). */
  recursive?: boolean;
  depth?: number;
  /** Limit to these types (-t), e.g. ['filesystem', 'volume']. */
  types?: ReadonlyArray<'filesystem' | 'volume' | 'snapshot' | 'bookmark'>;
}

export function buildGetPropertiesArgv(
  tools: ZfsToolPaths,
  names: readonly string[],
  properties: readonly string[] | 'all',
  options: GetPropertiesOptions = {},
): string[] {
  if (names.length === 0) throw new TypeError('name at least one dataset');
  if (properties !== 'all' && properties.length === 0) throw new TypeError('name at least one property');
  const argv = [tools.zfs, 'get', '-H', '-p', '-o', propertyListFormat.outputList];
  if (options.depth !== undefined) {
    if (!Number.isInteger(options.depth) || options.depth < 0) throw new TypeError('depth must be a whole number >= 0');
    argv.push('-d', String(options.depth));
  } else if (options.recursive) {
    argv.push('-r');
  }
  if (options.types && options.types.length > 0) argv.push('-t', options.types.join(','));
  argv.push(properties === 'all' ? 'all' : properties.map(assertPropertyOrWritten).join(','));
  for (const name of names) argv.push(assertAnyEntityName(name));
  return argv;
}

/** written@snap and written#bookmark are per-snapshot properties; the part after "@"/"#" is checked as a name. */
function assertPropertyOrWritten(property: string): string {
  if (property.startsWith('written@') || property.startsWith('written#')) {
    const problem = snapshotShortNameProblem(property.slice('written@'.length));
    if (problem !== null) throw new AppFailure('INVALID_NAME', `Property ${quoteName(property)}: ${problem}`);
    return property;
  }
  return assertZfsPropertyName(property);
}

function assertAnyEntityName(name: string): string {
  if (name.includes('@')) return assertZfsName('snapshot', name);
  if (name.includes('#')) return assertZfsName('bookmark', name);
  return assertZfsName('dataset', name);
}

export function parsePropertyList(stdout: string): PropertyValue[] {
  return propertyListFormat.parse(stdout, 'zfs get').map(({ name, property, source, value }) => ({
    name,
    property,
    value: value === '-' && source.kind === 'none' ? null : value,
    source,
  }));
}

export async function getProperties(
  host: ZfsHost,
  names: readonly string[],
  properties: readonly string[] | 'all',
  options: GetPropertiesOptions = {},
  call: CallOptions = {},
): Promise<PropertyValue[]> {
  const { stdout } = await host.runner.run(buildGetPropertiesArgv(host.capabilities.tools, names, properties, options), call);
  return parsePropertyList(stdout);
}
