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

// ---- Other values that reach a NAS: property values, hosts, users, free text -------------------------------
// The same functions back the contract's zod schemas (shared/schemas.ts, shared/task-schemas.ts: checked when a
// value is saved or a request arrives) and the checks at the leaves (the zfs argv builders, the NAS-to-NAS ssh
// argv), so a value the app stores is a value a run accepts. test/unit/shared/validation-table.test.ts feeds every
// bad value of one table to both.

/** ZFS keeps property values below 8 KiB (ZAP_MAXVALUELEN is 8192 bytes including the terminating NUL). */
export const maxPropertyValueBytes = 8191;
/** A DNS name is at most 253 characters. */
export const maxHostLength = 253;
/** Linux and FreeBSD cap login names at 32 characters; sshd refuses other characters than these. */
export const maxUserLength = 32;

/** C0 controls, DEL and C1 controls (U+0080-U+009F: U+009B alone starts an escape sequence on some terminals). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;

/** How to name a control character in a message. */
function describeControl(char: string): string {
  if (char === '\0') return 'a NUL character (U+0000)';
  if (char === '\u001b') return 'an escape character (U+001B)';
  return describeCharacter(char).replace(/^"(.)" \((U\+[0-9A-F]+): only ASCII is allowed\)$/, 'the control character $2');
}

/** "contains a NUL character (U+0000)" for the first control character in `text`, or null when there is none. */
export function controlCharacterProblem(text: string): string | null {
  const at = text.search(controlCharacter);
  return at === -1 ? null : `contains ${describeControl(text[at]!)}`;
}

/** Bytes of `text` in UTF-8 (no Buffer: this file runs in the renderer too). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** A value of a property as `zfs set`/`zfs receive -o` take it: one line of text under 8 KiB, no control characters. */
export function zfsPropertyValueProblem(value: string, property?: string): string | null {
  const what = property === undefined ? 'Property value' : `The value of ${property}`;
  if (value.length === 0) return `${what} is empty (to leave a property alone, remove it from the list).`;
  // UTF-8 never takes fewer bytes than UTF-16 code units: the length alone settles most cases cheaply.
  if (value.length > maxPropertyValueBytes || utf8Length(value) > maxPropertyValueBytes) {
    return `${what} is longer than ${maxPropertyValueBytes} bytes, the most ZFS keeps.`;
  }
  const control = controlCharacterProblem(value);
  return control === null ? null : `${what} ${quoteName(value)} ${control}; a property value is one line of text.`;
}

export function assertZfsPropertyValue(value: string, property?: string): string {
  const problem = zfsPropertyValueProblem(value, property);
  if (problem !== null) throw new AppFailure('INVALID_REQUEST', problem, 'Correct the value in the task (or the request) and try again.', { kind: 'property-value', ...(property === undefined ? {} : { property }) });
  return value;
}

const hostCharacter = /^[A-Za-z0-9.:%_-]$/;

/**
 * A host as ssh takes it on a command line: a DNS name, an IPv4 or a bracket-less IPv6 literal (with a "%zone").
 * No spaces or shell metacharacters, no leading "-" (ssh would read it as an option).
 */
export function hostProblem(host: string): string | null {
  const rule = 'Host must be a DNS name or an IP address';
  if (host.length === 0) return `${rule}; it is empty.`;
  if (host.length > maxHostLength) return `${rule} of at most ${maxHostLength} characters; ${quoteName(host)} has ${host.length}.`;
  if (host.startsWith('-')) return `${rule}, not starting with "-": ${quoteName(host)}.`;
  for (const char of host) {
    if (!hostCharacter.test(char)) {
      const what = controlCharacter.test(char) ? describeControl(char) : describeCharacter(char);
      return `${rule} (letters, digits, ".", "-", ":"); ${quoteName(host)} contains ${what}.`;
    }
  }
  return null;
}

export function assertHost(host: string): string {
  const problem = hostProblem(host);
  if (problem !== null) throw new AppFailure('INVALID_REQUEST', problem, 'Use the NAS\'s DNS name or IP address, e.g. nas.lan or 192.168.1.20.', { kind: 'host', value: host });
  return host;
}

const userPattern = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** A login name as ssh's -l and sshd take it (POSIX portable characters); a leading "-" would read as an option. */
export function sshUserProblem(user: string): string | null {
  if (user.length === 0) return 'User name is empty.';
  if (user.length > maxUserLength) return `User name ${quoteName(user)} is ${user.length} characters long; at most ${maxUserLength} are allowed.`;
  if (userPattern.test(user)) return null;
  const bad = /^[A-Za-z_]/.test(user) ? [...user].find((c) => !/[A-Za-z0-9_.-]/.test(c))! : user[0]!;
  const what = controlCharacter.test(bad) ? describeControl(bad) : describeCharacter(bad);
  return /^[A-Za-z_]/.test(user)
    ? `User name ${quoteName(user)} contains ${what}; only letters, digits, "_", "." and "-" are allowed.`
    : `User name ${quoteName(user)} starts with ${what}; it must start with a letter or "_".`;
}

export function assertSshUser(user: string): string {
  const problem = sshUserProblem(user);
  if (problem !== null) throw new AppFailure('INVALID_REQUEST', problem, 'Use the login name of the account on the NAS, e.g. root or admin.', { kind: 'user', value: user });
  return user;
}

/** Free text the app shows or sends (task and connection names, paths): no control characters. */
export function textProblem(what: string, text: string): string | null {
  const control = controlCharacterProblem(text);
  return control === null ? null : `${what} ${quoteName(text)} ${control}.`;
}
