import { AppFailure } from './result.ts';

// OpenZFS naming rules, shared by the renderer (the wizard validates as the admin types) and the services (every
// name is checked before it reaches a command line). Source: module/zcommon/zfs_namecheck.c (entity_namecheck,
// pool_namecheck) and lib/libzfs zfs_validate_name / zpool_name_valid of OpenZFS 2.x:
//
// - A component holds only ASCII letters, digits and "_" "-" "." ":" and space. ZFS checks bytes, so every
//   non-ASCII character (é, emoji...) is refused, and so is every shell metacharacter ($ ` ; | & ' " \ newline).
//   test/fixtures/zfs/name-checks.json records what `zfs create` on the 2.3.2 test VMs accepts, and a unit test
//   holds this validator to it (e.g. 'tank/a b' is accepted; "tank/it's" and 'tank/é' are refused).
// - "%" is accepted by the kernel only for its own temporary receive clones; `zfs create` refuses it: so do we.
// - Whole name shorter than 256 bytes (ZFS_MAX_DATASET_NAME_LEN); a pool name shorter than 240 (room for
//   "pool/$ORIGIN@$ORIGIN"); fewer than 50 "/" (zfs_max_dataset_nesting).
// - No empty component, no "." or ".." component, no leading or trailing "/", one "@" or "#" at most.
// - A pool starts with a letter and is not "mirror", "raidz", "draid"; creating one also refuses names starting
//   with mirror/raidz/draid/spare and "log" (userland rule, kept for new pools only: old pools may have such names).
// - Our own extra rule: a name never starts with "-", so it cannot be read as an option (ZFS's rules already imply
//   it for full names, which start with the pool's letter; hold tags and property names need it).

export const maxZfsNameLength = 255;
export const maxPoolNameLength = 239;
/** Datasets may be nested fewer than 50 levels below the pool (zfs_max_dataset_nesting). */
export const maxDatasetNesting = 49;
/** OpenZFS refuses longer hold tags (MAXNAMELEN - 1). */
export const maxHoldTagLength = 255;

export type ZfsNameKind = 'pool' | 'dataset' | 'snapshot' | 'bookmark';

const kindLabel: Record<ZfsNameKind, string> = { pool: 'Pool', dataset: 'Dataset', snapshot: 'Snapshot', bookmark: 'Bookmark' };

const allowedCharacters = 'letters, digits, space and _ - . :';

/** A name as shown in messages: quoted with control characters escaped, cut when very long. */
export function quoteName(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name);
}

function isComponentChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || // a-z
    (code >= 65 && code <= 90) || // A-Z
    (code >= 48 && code <= 57) || // 0-9
    code === 95 || // _
    code === 45 || // -
    code === 46 || // .
    code === 58 || // :
    code === 32 // space
  );
}

/** How to show a refused character: control characters and non-ASCII by code point, so the message is readable. */
export function describeCharacter(char: string): string {
  const codePoint = char.codePointAt(0) ?? 0;
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  if (char === '\n') return 'a newline';
  if (char === '\t') return 'a tab';
  if (codePoint < 32 || codePoint === 127) return `the control character ${hex}`;
  if (codePoint > 127) return `"${char}" (${hex}: only ASCII is allowed)`;
  return `"${char}"`;
}

/** The first character not allowed in a component, or null. `extra` lists separators allowed in this context. */
function firstBadCharacter(text: string, extra: string): string | null {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isComponentChar(code) || extra.includes(text[i]!)) continue;
    return String.fromCodePoint(text.codePointAt(i)!);
  }
  return null;
}

function characterProblem(text: string, extra: string): string | null {
  const bad = firstBadCharacter(text, extra);
  if (bad === null) return null;
  const why = bad === '%' ? ' ("%" is reserved for ZFS\'s own temporary datasets)' : '';
  return `contains ${describeCharacter(bad)}${why}; only ${allowedCharacters} are allowed`;
}

/** Checks shared by every kind, in the order an admin fixes them: empty, leading "-", characters, length. */
function commonProblem(name: string, separators: string, maxLength: number): string | null {
  if (name.length === 0) return 'is empty';
  if (name.startsWith('-')) return 'starts with "-"';
  const chars = characterProblem(name, separators);
  if (chars) return chars;
  // Only ASCII is left, so characters and bytes agree.
  if (name.length > maxLength) return `is ${name.length} characters long; at most ${maxLength} are allowed`;
  return null;
}

function poolProblem(pool: string, creating: boolean): string | null {
  const common = commonProblem(pool, '', maxPoolNameLength);
  if (common) return common;
  if (!/^[A-Za-z]/.test(pool)) return 'must start with a letter';
  if (pool === 'mirror' || pool === 'raidz' || pool === 'draid') return `"${pool}" is reserved by ZFS`;
  if (creating && (/^(?:mirror|raidz|draid|spare)/.test(pool) || pool === 'log')) {
    return 'starts with a word ZFS reserves for vdev types (mirror, raidz, draid, spare, log)';
  }
  return null;
}

/** Checks the "pool/child/..." part (characters already checked). */
function datasetPathProblem(path: string): string | null {
  if (path.startsWith('/')) return 'starts with "/" (a dataset name begins with its pool, e.g. "tank/data")';
  if (path.endsWith('/')) return 'ends with "/"';
  const components = path.split('/');
  const pool = components[0]!;
  const poolIssue = poolProblem(pool, false);
  if (poolIssue) return `has an invalid pool part "${pool}": it ${poolIssue}`;
  for (const component of components.slice(1)) {
    if (component.length === 0) return 'has an empty component ("//")';
    if (component === '.' || component === '..') return `has a "${component}" component`;
  }
  if (components.length - 1 > maxDatasetNesting) {
    return `is nested ${components.length - 1} levels deep; ZFS allows at most ${maxDatasetNesting}`;
  }
  return null;
}

function entityProblem(name: string, kind: ZfsNameKind): string | null {
  const common = commonProblem(name, '/@#', maxZfsNameLength);
  if (common) return common;
  const delimiterAt = name.search(/[@#]/);
  if (delimiterAt !== -1 && name.slice(delimiterAt + 1).search(/[@#]/) !== -1) return 'has more than one "@" or "#"';
  const delimiter = delimiterAt === -1 ? null : name[delimiterAt];
  if (kind === 'dataset' && delimiter !== null) {
    return delimiter === '@' ? 'contains "@", which starts a snapshot name' : 'contains "#", which starts a bookmark name';
  }
  if (kind === 'snapshot' && delimiter !== '@') return 'has no "@" (a snapshot is named "dataset@snapshot")';
  if (kind === 'bookmark' && delimiter !== '#') return 'has no "#" (a bookmark is named "dataset#bookmark")';
  const pathIssue = datasetPathProblem(delimiterAt === -1 ? name : name.slice(0, delimiterAt));
  if (pathIssue) return pathIssue;
  if (delimiterAt !== -1) {
    const what = kind === 'bookmark' ? 'bookmark' : 'snapshot';
    const short = name.slice(delimiterAt + 1);
    if (short.includes('/')) return `has "/" in the ${what} name after "${delimiter}"`;
    if (short.length === 0) return `has an empty ${what} name after "${delimiter}"`;
    if (short === '.' || short === '..') return `has "${short}" as ${what} name`;
  }
  return null;
}

/** What is wrong with `name` as a ZFS name of this kind, as a sentence; null when it is valid. */
export function zfsNameProblem(kind: ZfsNameKind, name: string, options: { creatingPool?: boolean } = {}): string | null {
  const issue = kind === 'pool' ? poolProblem(name, options.creatingPool ?? false) : entityProblem(name, kind);
  return issue === null ? null : `${kindLabel[kind]} name ${quoteName(name)} ${issue}.`;
}

export function isValidZfsName(kind: ZfsNameKind, name: string): boolean {
  return zfsNameProblem(kind, name) === null;
}

const nameHint = `ZFS names use ${allowedCharacters}; datasets are separated by "/", a snapshot follows "@" and a bookmark "#" (e.g. "tank/data@daily-2024-01-31").`;

/** Returns the name when valid; throws INVALID_NAME saying what is wrong otherwise. */
export function assertZfsName(kind: ZfsNameKind, name: string): string {
  const problem = zfsNameProblem(kind, name);
  if (problem !== null) throw new AppFailure('INVALID_NAME', problem, nameHint, { kind, name });
  return name;
}

/**
 * The part after "@" on its own, e.g. a snapshot name the admin types before the dataset is chosen, or what a
 * naming schema renders. The dataset part adds to the 255 limit, so the full name is checked again when used.
 */
export function snapshotShortNameProblem(short: string): string | null {
  const issue = commonProblem(short, '', maxZfsNameLength - 2);
  if (issue) return `Snapshot name ${quoteName(short)} ${issue}.`;
  if (short === '.' || short === '..') return `Snapshot name ${quoteName(short)} is not allowed.`;
  return null;
}

/**
 * Hold tags are free text to ZFS, but one travels as its own argument (`zfs hold TAG snap`): a leading "-" would
 * be an option. We keep them to the name character set, which every tag the app creates ("zrd:task-…") fits.
 */
export function holdTagProblem(tag: string): string | null {
  const issue = commonProblem(tag, '', maxHoldTagLength);
  return issue === null ? null : `Hold tag ${quoteName(tag)} ${issue}.`;
}

export function assertHoldTag(tag: string): string {
  const problem = holdTagProblem(tag);
  if (problem !== null) throw new AppFailure('INVALID_NAME', problem, nameHint, { kind: 'hold-tag', name: tag });
  return tag;
}

export interface SplitEntityName {
  /** "tank/data" */
  dataset: string;
  /** "daily-1" for "tank/data@daily-1"; null for a dataset. */
  shortName: string | null;
  kind: 'dataset' | 'snapshot' | 'bookmark';
}

/** Splits an already valid (or ZFS-printed) name at its "@" or "#". */
export function splitZfsName(name: string): SplitEntityName {
  const at = name.indexOf('@');
  const hash = at === -1 ? name.indexOf('#') : -1;
  const cut = at !== -1 ? at : hash;
  if (cut === -1) return { dataset: name, shortName: null, kind: 'dataset' };
  return { dataset: name.slice(0, cut), shortName: name.slice(cut + 1), kind: at !== -1 ? 'snapshot' : 'bookmark' };
}

/** "tank" for "tank/a/b@s". */
export function poolOfName(name: string): string {
  const end = name.search(/[/@#]/);
  return end === -1 ? name : name.slice(0, end);
}

/** True when `name` is `ancestor` itself or lies below it ("tank/a" contains "tank/a/b" and "tank/a@s", not "tank/ab"). */
export function isSameOrDescendant(name: string, ancestor: string): boolean {
  if (name === ancestor) return true;
  if (!name.startsWith(ancestor)) return false;
  const next = name[ancestor.length];
  return next === '/' || next === '@' || next === '#';
}

/**
 * Property names as `zfs set/get/inherit` take them: native ones are lower-case words ("compression",
 * "recordsize"); user properties need a ":" ("com.example:owner") and use lower-case letters, digits and
 * "_ - . :" (zfs_prop_user), at most 255 characters.
 */
export function zfsPropertyNameProblem(property: string): string | null {
  if (property.length === 0) return 'Property name is empty.';
  if (property.startsWith('-')) return `Property name ${quoteName(property)} starts with "-".`;
  if (property.length > maxZfsNameLength) return `Property name ${quoteName(property)} is too long.`;
  if (property.includes(':')) {
    return /^[a-z0-9_.:-]+$/.test(property)
      ? null
      : `User property ${quoteName(property)} may hold only lower-case letters, digits and _ - . :.`;
  }
  return /^[a-z][a-z0-9_]*$/.test(property)
    ? null
    : `Property name ${quoteName(property)} is not a ZFS property (native ones are lower-case words; user properties need a ":", e.g. "com.example:owner").`;
}

export function assertZfsPropertyName(property: string): string {
  const problem = zfsPropertyNameProblem(property);
  if (problem !== null) throw new AppFailure('INVALID_NAME', problem, undefined, { kind: 'property', name: property });
  return property;
}
