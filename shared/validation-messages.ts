import type { z } from 'zod';

// zod's default messages are written for developers ("Invalid input: expected number, received NaN"). This error
// map turns every generic issue into a sentence an admin understands, shown next to the field it is about. Messages
// a schema spells out itself (e.g. HostSchema's) win over this map: zod uses a schema's own message first.
// The renderer's forms parse with it; the main process formats its INVALID_REQUEST errors with it, so a value
// refused by either side reads the same.

type RawIssue = Parameters<z.core.$ZodErrorMap>[0];

const typeNames: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'yes or no',
  array: 'a list',
  object: 'a set of values',
  date: 'a date',
};

function describeReceived(input: unknown): 'missing' | 'not-a-number' | 'other' {
  if (input === undefined || input === null || input === '') return 'missing';
  if (typeof input === 'number' && Number.isNaN(input)) return 'not-a-number';
  return 'other';
}

function sizeSentence(issue: { origin?: unknown; inclusive?: boolean }, bound: number | bigint, kind: 'min' | 'max'): string {
  const n = Number(bound);
  switch (issue.origin) {
    case 'string':
      if (kind === 'min') return n <= 1 ? 'This field cannot be empty.' : `Use at least ${n} characters.`;
      return `Use at most ${n} characters.`;
    case 'array':
    case 'set':
      if (kind === 'min') return n <= 1 ? 'Pick at least one.' : `Pick at least ${n}.`;
      return `Pick at most ${n}.`;
    default: {
      const exclusive = issue.inclusive === false;
      if (kind === 'min') return exclusive ? `Use a number greater than ${n}.` : `Use a number of at least ${n}.`;
      return exclusive ? `Use a number smaller than ${n}.` : `Use a number no larger than ${n}.`;
    }
  }
}

const formatSentences: Record<string, string> = {
  uuid: 'This is not a valid identifier.',
  email: 'Enter an e-mail address like admin@example.com.',
  url: 'Enter a web address like https://example.com.',
  ipv4: 'Enter an IPv4 address like 192.168.1.20.',
  ipv6: 'Enter an IPv6 address.',
  datetime: 'Enter a date and time.',
  regex: 'This value has characters or a shape that is not allowed here.',
};

/** A plain sentence for one zod issue (used as zod's error map, so schema-defined messages still take precedence). */
export function plainIssueMessage(issue: RawIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const received = describeReceived(issue.input);
      if (received === 'missing') return 'This field is required.';
      if (received === 'not-a-number' || issue.expected === 'number') return 'Enter a number (digits only).';
      if (issue.expected === 'int') return 'Enter a whole number.';
      return `Enter ${typeNames[issue.expected] ?? 'a valid value'}.`;
    }
    case 'too_small':
      return sizeSentence(issue, issue.minimum, 'min');
    case 'too_big':
      return sizeSentence(issue, issue.maximum, 'max');
    case 'invalid_format': {
      if (issue.format === 'starts_with' && typeof issue.prefix === 'string') return `Must start with "${issue.prefix}".`;
      if (issue.format === 'ends_with' && typeof issue.suffix === 'string') return `Must end with "${issue.suffix}".`;
      if (issue.format === 'includes' && typeof issue.includes === 'string') return `Must contain "${issue.includes}".`;
      return formatSentences[issue.format] ?? 'This value is not in the expected format.';
    }
    case 'not_multiple_of':
      return Number(issue.divisor) === 1 ? 'Use a whole number.' : `Use a multiple of ${String(issue.divisor)}.`;
    case 'invalid_value':
      return issue.values.length === 1 ? `Must be ${JSON.stringify(issue.values[0])}.` : `Choose one of: ${issue.values.map((v) => String(v)).join(', ')}.`;
    case 'unrecognized_keys':
      return `Unexpected field${issue.keys.length === 1 ? '' : 's'}: ${issue.keys.join(', ')}.`;
    case 'invalid_union':
      return 'This value does not match any of the allowed choices.';
    case 'invalid_key':
    case 'invalid_element':
      return 'One of the entries is not valid.';
    default:
      return 'This value is not valid.';
  }
}

/** For `schema.safeParse(value, { error: plainErrorMap })` and zodResolver's schema options. */
export const plainErrorMap = (issue: RawIssue): string => plainIssueMessage(issue);

/** One field's problem: where (the zod path) and what to do, in words. */
export interface FieldIssue {
  path: (string | number)[];
  message: string;
}

/** zod issues as FieldIssues (paths without symbols; an issue about the whole value has an empty path). */
export function fieldIssuesOf(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): FieldIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.filter((p): p is string | number => typeof p !== 'symbol'), message: issue.message }));
}

/** "port: Use a number no larger than 65535." — one line per issue, for places that show no form (CLI, logs). */
export function formatFieldIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('\n');
}
