// Snapshot naming schemas, as TrueNAS (zettarepl) users know them: strftime-style patterns such as
// `auto-%Y-%m-%d_%H-%M`. A schema both names new snapshots and selects existing ones for replication and
// retention, so formatting and parsing are built from one token table and checked against each other.

import { AppFailure } from './result.ts';
import { describeCharacter, quoteName } from './zfs-names.ts';

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

// Times are UTC wall-clock: a NAS in another zone still gets one unambiguous name per instant.
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
  /** The snapshot name (the part after '@') for an instant. */
  format(date: Date): string;
  /** The instant a name encodes, or null when the name does not follow this schema. */
  parse(name: string): Date | null;
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
    const schema = build(pattern, parts);
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function build(pattern: string, parts: Part[]): NamingSchema {
  const order = parts.flatMap((p) => ('token' in p ? [p.token] : []));
  const regex = new RegExp(`^${parts.map((p) => ('token' in p ? `(\\d{${tokens[p.token]!.width}})` : escapeRegExp(p.literal))).join('')}$`);
  const format = (date: Date) =>
    parts.map((p) => ('token' in p ? String(tokens[p.token]!.get(date)).padStart(tokens[p.token]!.width, '0') : p.literal)).join('');
  const parse = (name: string): Date | null => {
    const match = regex.exec(name);
    if (!match) return null;
    const value: Record<string, number> = { S: 0 };
    for (let i = 0; i < order.length; i++) {
      const token = order[i]!;
      const number = Number(match[i + 1]);
      const spec = tokens[token]!;
      if (number < spec.min || number > spec.max) return null;
      value[token] = number;
    }
    const date = new Date(Date.UTC(value.Y!, value.m! - 1, value.d!, value.H!, value.M!, value.S!));
    // Reject impossible dates such as 2026-02-31 instead of rolling them over.
    return date.getUTCDate() === value.d && date.getUTCMonth() === value.m! - 1 ? date : null;
  };
  return { pattern, format, parse, matches: (name) => parse(name) !== null };
}

/** A usable schema; INVALID_REQUEST listing every problem otherwise (the schema quoted, control characters escaped). */
export function namingSchema(pattern: string): NamingSchema {
  const issues = checkNamingSchema(pattern);
  if (issues.length > 0) {
    throw new AppFailure('INVALID_REQUEST', `Invalid naming schema ${quoteName(pattern)}: ${issues.map((i) => i.message).join(' ')}`, 'Use a schema such as auto-%Y-%m-%d_%H-%M.', { pattern: pattern.slice(0, 300) });
  }
  return build(pattern, split(pattern).parts);
}
