import { AppFailure } from './result.ts';
import { daysFromCivil, daysInMonth, zoneClock, type ZoneClock } from './time-zone.ts';
import { describeCharacter, quoteName } from './zfs-names.ts';

// Snapshot naming schemas, as TrueNAS (zettarepl) users know them: strftime-style patterns such as
// `auto-%Y-%m-%d_%H-%M`. A schema both names new snapshots and selects existing ones for replication and
// retention, so formatting and parsing are built from one token table and checked against each other.
// Names are written on the wall clock of the schema's time zone (the NAS's, as TrueNAS does; UTC for tasks saved
// before zones existed): in the hour a fall-back repeats, a name is read as the earlier of its two instants.

/**
 * Longer schemas are refused before anything is built from them (a 40,000-character schema once made the
 * validator's RegExp throw "Regular expression too large"). A name it makes must fit ZFS's 255 with its dataset.
 */
export const maxNamingSchemaLength = 200;

export interface NamingSchemaIssue {
  message: string;
}

interface TokenSpec {
  /** Digits the field always has (zero-padded), so a name parses back without ambiguity. */
  width: number;
  min: number;
  max: number;
  get(date: Date): number;
}

// Fields are read from a wall-clock time encoded as a UTC date (see ZoneClock.wall).
const tokens: Record<string, TokenSpec> = {
  Y: { width: 4, min: 1970, max: 9999, get: (d) => d.getUTCFullYear() },
  m: { width: 2, min: 1, max: 12, get: (d) => d.getUTCMonth() + 1 },
  d: { width: 2, min: 1, max: 31, get: (d) => d.getUTCDate() },
  H: { width: 2, min: 0, max: 23, get: (d) => d.getUTCHours() },
  M: { width: 2, min: 0, max: 59, get: (d) => d.getUTCMinutes() },
  S: { width: 2, min: 0, max: 59, get: (d) => d.getUTCSeconds() },
};

const requiredTokens = ['Y', 'm', 'd', 'H', 'M'] as const;

/** Characters OpenZFS allows in a snapshot name component. */
const literalCharacter = /^[A-Za-z0-9_.: -]$/;

type Part = { literal: string } | { token: string };

export interface NamingSchema {
  readonly pattern: string;
  /** The IANA zone whose wall clock the names are written in. */
  readonly timeZone: string;
  /** The snapshot name (the part after '@') for an instant. */
  format(date: Date): string;
  /** The instant a name encodes, or null when the name does not follow this schema. */
  parse(name: string): Date | null;
  /** parse() as milliseconds since the epoch, without allocating a Date (the retention hot path). */
  parseTime(name: string): number | null;
  matches(name: string): boolean;
}

function split(pattern: string): { parts: Part[]; issues: string[] } {
  const parts: Part[] = [];
  const issues: string[] = [];
  let literal = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char !== '%') {
      if (!literalCharacter.test(char)) issues.push(`${describeCharacter(char)} cannot appear in a ZFS snapshot name (use letters, digits, "_", "-", ".", ":" or space).`);
      literal += char;
      continue;
    }
    const next = pattern[i + 1];
    i++;
    if (next === undefined) {
      issues.push('The schema ends with a lone "%".');
    } else if (next === '%') {
      issues.push('"%%" would put a "%" in the snapshot name, which ZFS does not allow.');
    } else if (tokens[next]) {
      if (literal) parts.push({ literal });
      literal = '';
      parts.push({ token: next });
    } else {
      issues.push(`"%${next}" is not supported: use %Y %m %d %H %M (required) and optionally %S.`);
    }
  }
  if (literal) parts.push({ literal });
  return { parts, issues };
}

/** Checks a schema the way the wizard does; an empty list means it is usable. */
export function checkNamingSchema(pattern: string): NamingSchemaIssue[] {
  if (pattern.trim() === '') return [{ message: 'Enter a naming schema, e.g. auto-%Y-%m-%d_%H-%M.' }];
  if (pattern.length > maxNamingSchemaLength) {
    return [{ message: `The schema is ${pattern.length} characters long; at most ${maxNamingSchemaLength} are allowed.` }];
  }
  const { parts, issues } = split(pattern);
  const used = parts.flatMap((p) => ('token' in p ? [p.token] : []));
  for (const token of requiredTokens) {
    if (!used.includes(token)) issues.push(`The schema must contain %${token} (every schema needs %Y, %m, %d, %H and %M).`);
  }
  for (const token of new Set(used)) {
    if (used.filter((t) => t === token).length > 1) issues.push(`%${token} appears more than once.`);
  }
  if (pattern.startsWith('-') || pattern.startsWith(' ')) issues.push('A snapshot name must not start with "-" or a space.');
  if (issues.length === 0) {
    // Format-then-parse round trip over instants that exercise every field's width.
    const schema = build(pattern, parts, zoneClock('UTC'));
    for (const probe of [new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), new Date(Date.UTC(2031, 11, 31, 23, 59, 59))]) {
      const expected = used.includes('S') ? probe.getTime() : probe.getTime() - probe.getUTCSeconds() * 1000;
      if (schema.parse(schema.format(probe))?.getTime() !== expected) {
        issues.push('Names made with this schema cannot be read back unambiguously.');
        break;
      }
    }
  }
  return issues.map((message) => ({ message }));
}

const tokenOrder = ['Y', 'm', 'd', 'H', 'M', 'S'] as const;

function build(pattern: string, parts: Part[], clock: ZoneClock): NamingSchema {
  // Every token has a fixed width, so a name of this schema has a fixed length and each field a fixed offset: names
  // are read by offsets, without a regex or substrings (retention reads 100,000 names per decision).
  const layout: Array<{ offset: number; literal: string } | { offset: number; width: number; slot: number; min: number; max: number }> = [];
  let length = 0;
  for (const part of parts) {
    if ('token' in part) {
      const spec = tokens[part.token]!;
      layout.push({ offset: length, width: spec.width, slot: tokenOrder.indexOf(part.token as (typeof tokenOrder)[number]), min: spec.min, max: spec.max });
      length += spec.width;
    } else {
      layout.push({ offset: length, literal: part.literal });
      length += part.literal.length;
    }
  }
  const format = (date: Date) => {
    const wall = new Date(clock.wall(date.getTime()));
    return parts.map((p) => ('token' in p ? String(tokens[p.token]!.get(wall)).padStart(tokens[p.token]!.width, '0') : p.literal)).join('');
  };
  const values = [0, 0, 0, 0, 0, 0];
  const parseTime = (name: string): number | null => {
    if (name.length !== length) return null;
    values[5] = 0;
    for (const field of layout) {
      if ('literal' in field) {
        if (!name.startsWith(field.literal, field.offset)) return null;
        continue;
      }
      let number = 0;
      for (let i = field.offset, end = field.offset + field.width; i < end; i++) {
        const digit = name.charCodeAt(i) - 48;
        if (digit < 0 || digit > 9) return null;
        number = number * 10 + digit;
      }
      if (number < field.min || number > field.max) return null;
      values[field.slot] = number;
    }
    // Indexed reads, not array destructuring: that runs the array iterator, an object and six results per name.
    const year = values[0]!;
    const month = values[1]!;
    const day = values[2]!;
    // Reject impossible dates such as 2026-02-31 instead of rolling them over.
    if (day > daysInMonth(year, month)) return null;
    return clock.instant(daysFromCivil(year, month, day) * 86_400_000 + ((values[3]! * 60 + values[4]!) * 60 + values[5]!) * 1000);
  };
  const parse = (name: string): Date | null => {
    const time = parseTime(name);
    return time === null ? null : new Date(time);
  };
  return { pattern, timeZone: clock.zone, format, parse, parseTime, matches: (name) => parseTime(name) !== null };
}

/** A usable schema; INVALID_REQUEST listing every problem otherwise. `timeZone`: the IANA zone of the names' wall clock. */
export function namingSchema(pattern: string, timeZone: string = 'UTC'): NamingSchema {
  const issues = checkNamingSchema(pattern);
  if (issues.length > 0) {
    throw new AppFailure('INVALID_REQUEST', `Invalid naming schema ${quoteName(pattern)}: ${issues.map((i) => i.message).join(' ')}`, 'Use a schema such as auto-%Y-%m-%d_%H-%M.', { pattern: pattern.slice(0, 300) });
  }
  return build(pattern, split(pattern).parts, zoneClock(timeZone));
}
