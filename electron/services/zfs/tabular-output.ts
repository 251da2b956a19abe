import { AppFailure } from '../../../shared/result.ts';

// `zfs list|get -H -p -o a,b,c` and `zpool list -H -p -o ...` print one record a line, fields separated by one tab,
// in the order of -o. A command's field map is the single source of both: the `-o` list is generated from the map
// and the parser reads fields back by the map's keys, so the two cannot drift apart (the idea of GitHub Desktop's
// git-delimiter-parser). Empty fields are kept; "-" (ZFS's "none / not applicable") is decoded explicitly.
//
// ZFS names never contain a tab or a newline (shared/zfs-names.ts), but some values can: a user property, a
// mountpoint, a hold tag. A map may mark one field as free text: it takes whatever tabs are left over, and a
// newline inside it shows up as a line with too few tabs, which is joined to the record it belongs to.
//
// Numbers are JavaScript numbers: -p prints exact integers, and byte counts stay exact below 2^53 (8 PiB); a
// bigger value (only a pool's total size could get there) is rounded by less than a byte in a billion. GUIDs use
// all 64 bits, so they stay decimal strings (exact, comparable with ===, and they survive JSON and IPC).

export interface Field<T> {
  /** The property as written in `-o` (e.g. "referenced", "receive_resume_token"). */
  readonly property: string;
  /** Raw text to value; throws an Error saying what is wrong with the text. */
  readonly decode: (raw: string) => T;
  /** May contain tabs and newlines (at most one such field per map). */
  readonly freeText?: boolean;
  /**
   * Optional fast path, same result as decode(text.slice(start, end)) but without the intermediate string:
   * numbers and known words are read in place. Listing thousands of snapshots spends most of its time allocating.
   */
  readonly decodeRange?: (text: string, start: number, end: number) => T;
  /** Common shapes the parser reads inline, without a call per field (same result as decodeRange). */
  readonly shape?: 'text' | 'count' | 'optionalCount' | 'guid' | 'oneOf';
  /** shape 'oneOf': the words. */
  readonly words?: readonly string[];
}

export type FieldMap = Readonly<Record<string, Field<unknown>>>;

export type RecordOf<M extends FieldMap> = { [K in keyof M]: M[K] extends Field<infer T> ? T : never };

/** ZFS prints "-" for "none" or "does not apply" (origin, receive_resume_token, a snapshot's avail, ...). */
export const none = '-';

function isDigits(raw: string): boolean {
  if (raw.length === 0) return false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function decodeCount(raw: string): number {
  if (!isDigits(raw)) throw new Error(`expected a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function decodeGuid(raw: string): string {
  if (!isDigits(raw)) throw new Error(`expected a GUID, got ${JSON.stringify(raw)}`);
  return raw;
}

/** Digits read in place; exact up to 2^53 like Number(). */
function decodeCountRange(text: string, start: number, end: number): number {
  if (start === end || end - start > 20) return decodeCount(text.slice(start, end));
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return decodeCount(text.slice(start, end));
    value = value * 10 + digit;
  }
  // Past 2^53 the running product rounds differently from Number(text): let Number decide.
  return value <= Number.MAX_SAFE_INTEGER ? value : Number(text.slice(start, end));
}

function isNoneRange(text: string, start: number, end: number): boolean {
  return end - start === 1 && text.charCodeAt(start) === 45; // "-"
}

export const field = {
  /** Any text, kept as printed (names, types). */
  text: (property: string): Field<string> => ({
    property,
    shape: 'text',
    decode: (raw) => raw,
    decodeRange: (text, start, end) => text.slice(start, end),
  }),
  /** Text where "-" means none. */
  optionalText: (property: string): Field<string | null> => ({
    property,
    decode: (raw) => (raw === none ? null : raw),
    decodeRange: (text, start, end) => (isNoneRange(text, start, end) ? null : text.slice(start, end)),
  }),
  /** Text that may hold tabs or newlines, kept as printed. */
  freeText: (property: string): Field<string> => ({ property, freeText: true, decode: (raw) => raw }),
  /** Text that may hold tabs or newlines; "-" means none. */
  optionalFreeText: (property: string): Field<string | null> => ({
    property,
    freeText: true,
    decode: (raw) => (raw === none ? null : raw),
  }),
  /** A non-negative integer (bytes, txg, counts, Unix seconds). */
  count: (property: string): Field<number> => ({ property, shape: 'count', decode: decodeCount, decodeRange: decodeCountRange }),
  /** A non-negative integer, or "-" as null. */
  optionalCount: (property: string): Field<number | null> => ({
    property,
    shape: 'optionalCount',
    decode: (raw) => (raw === none ? null : decodeCount(raw)),
    decodeRange: (text, start, end) => (isNoneRange(text, start, end) ? null : decodeCountRange(text, start, end)),
  }),
  /** A 64-bit GUID as its decimal text. */
  guid: (property: string): Field<string> => ({
    property,
    shape: 'guid',
    decode: decodeGuid,
    decodeRange: (text, start, end) => {
      if (start === end) return decodeGuid('');
      for (let i = start; i < end; i++) {
        const c = text.charCodeAt(i);
        if (c < 48 || c > 57) return decodeGuid(text.slice(start, end));
      }
      return text.slice(start, end);
    },
  }),
  /** on/off (and yes/no, which some properties print). */
  flag: (property: string): Field<boolean> => ({
    property,
    decode: (raw) => {
      if (raw === 'on' || raw === 'yes') return true;
      if (raw === 'off' || raw === 'no') return false;
      throw new Error(`expected on/off, got ${JSON.stringify(raw)}`);
    },
  }),
  /** on/off, or "-" as null (e.g. a property that does not apply to this type). */
  optionalFlag: (property: string): Field<boolean | null> => ({
    property,
    decode: (raw) => {
      if (raw === none) return null;
      if (raw === 'on' || raw === 'yes') return true;
      if (raw === 'off' || raw === 'no') return false;
      throw new Error(`expected on/off, got ${JSON.stringify(raw)}`);
    },
  }),
  /** One of a known set of words. */
  oneOf: <const V extends string>(property: string, values: readonly V[]): Field<V> => {
    const decode = (raw: string): V => {
      if ((values as readonly string[]).includes(raw)) return raw as V;
      throw new Error(`expected one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
    };
    return {
      property,
      shape: 'oneOf',
      words: values,
      decode,
      // Returns the shared literal, so a million rows hold no copies of "snapshot".
      decodeRange: (text, start, end) => {
        for (const value of values) if (end - start === value.length && text.startsWith(value, start)) return value;
        return decode(text.slice(start, end));
      },
    };
  },
  /** Any field with a custom decoder. */
  custom: <T>(property: string, decode: (raw: string) => T): Field<T> => ({ property, decode }),
};

export interface TabularFormat<M extends FieldMap, R = RecordOf<M>> {
  readonly fields: M;
  /** Properties in column order, e.g. ["name", "guid", "used"]. */
  readonly properties: readonly string[];
  /** The `-o` argument: "name,guid,used". */
  readonly outputList: string;
  /** Parses all of stdout. `command` names the command in error messages (e.g. "zfs list"). */
  parse(stdout: string, command: string): R[];
}

const unexpectedOutputHint =
  'The NAS printed something the app does not understand. Please report it with the app log, which has the full output.';

function outputError(command: string, lineNumber: number, line: string, problem: string): AppFailure {
  const shown = line.length > 200 ? `${line.slice(0, 200)}…` : line;
  return new AppFailure(
    'REMOTE_COMMAND_FAILED',
    `Unexpected output from "${command}", line ${lineNumber}: ${problem}.`,
    unexpectedOutputHint,
    { command, lineNumber, line: shown },
  );
}

function countTabs(text: string, from: number, to: number): number {
  let count = 0;
  for (let at = text.indexOf('\t', from); at !== -1 && at < to; at = text.indexOf('\t', at + 1)) count++;
  return count;
}

/**
 * Makes a row from a decoded record. The record is a scratch object the parser reuses for every line: copy the
 * fields into a new object literal (by name), never keep the record itself. A literal gets its final shape in one
 * allocation, which is what makes 100k lines fast; filling a fresh {} key by key costs twice as much.
 */
export type RowBuilder<M extends FieldMap, R> = (record: Readonly<RecordOf<M>>) => R;

const copyRecord = <M extends FieldMap>(record: Readonly<RecordOf<M>>) => ({ ...record }) as RecordOf<M>;

/** Builds the `-o` list and the parser of one command from its field map (and, for hot paths, a row builder). */
export function tabularFormat<const M extends FieldMap>(fields: M): TabularFormat<M>;
export function tabularFormat<const M extends FieldMap, R>(fields: M, build: RowBuilder<M, R>): TabularFormat<M, R>;
export function tabularFormat<const M extends FieldMap, R>(fields: M, build?: RowBuilder<M, R>): TabularFormat<M, R> {
  const buildRow = (build ?? copyRecord) as RowBuilder<M, R>;
  const keys = Object.keys(fields);
  const specs = keys.map((key) => fields[key]!);
  const decoders = specs.map((spec) => spec.decode);
  const rangeDecoders = specs.map((spec) => spec.decodeRange ?? ((text: string, start: number, end: number) => spec.decode(text.slice(start, end))));
  const shapeCodes = { text: 1, count: 2, optionalCount: 3, guid: 4, oneOf: 5 } as const;
  const shapes = specs.map((spec) => (spec.shape ? shapeCodes[spec.shape] : 0));
  const words = specs.map((spec) => spec.words ?? []);

  /** One field of the fast path: the common shapes inline (a call per field costs a third of the parse). */
  function decodeField(text: string, index: number, start: number, end: number): unknown {
    const shape = shapes[index];
    if (shape === 1) return text.slice(start, end);
    if (shape === 2 || shape === 3) {
      if (shape === 3 && end - start === 1 && text.charCodeAt(start) === 45) return null;
      let value = 0;
      if (start === end || end - start > 15) return rangeDecoders[index]!(text, start, end);
      for (let i = start; i < end; i++) {
        const digit = text.charCodeAt(i) - 48;
        if (digit < 0 || digit > 9) return rangeDecoders[index]!(text, start, end); // throws the message
        value = value * 10 + digit;
      }
      return value;
    }
    if (shape === 4) {
      for (let i = start; i < end; i++) {
        const c = text.charCodeAt(i);
        if (c < 48 || c > 57) return rangeDecoders[index]!(text, start, end); // throws the message
      }
      return start === end ? rangeDecoders[index]!(text, start, end) : text.slice(start, end);
    }
    if (shape === 5) {
      const choices = words[index]!;
      for (let i = 0; i < choices.length; i++) {
        const word = choices[i]!;
        if (word.length === end - start && text.startsWith(word, start)) return word;
      }
    }
    return rangeDecoders[index]!(text, start, end);
  }
  const properties = specs.map((spec) => spec.property);
  const columnCount = keys.length;
  const freeIndexes = specs.flatMap((spec, index) => (spec.freeText ? [index] : []));
  if (freeIndexes.length > 1) throw new TypeError('A field map may have at most one free-text field.');
  const freeIndex = freeIndexes[0] ?? -1;

  function fieldCountProblem(got: string): string {
    return `expected ${columnCount} tab-separated fields (${properties.join(', ')}), got ${got}`;
  }

  /** The fast path: every line holds exactly columnCount - 1 tabs. */
  function parseStrict(stdout: string, command: string): R[] {
    const rows: R[] = [];
    // Every field is present from the start, so each line only overwrites existing properties.
    const row: Record<string, unknown> = {};
    for (const key of keys) row[key] = null;
    const length = stdout.length;
    const last = columnCount - 1;
    let lineStart = 0;
    let lineNumber = 0;
    while (lineStart < length) {
      let lineEnd = stdout.indexOf('\n', lineStart);
      if (lineEnd === -1) lineEnd = length;
      lineNumber++;
      let fieldStart = lineStart;
      let index = 0;
      try {
        for (; index < last; index++) {
          const tab = stdout.indexOf('\t', fieldStart);
          if (tab === -1 || tab > lineEnd) {
            throw outputError(command, lineNumber, stdout.slice(lineStart, lineEnd), fieldCountProblem(String(index + 1)));
          }
          row[keys[index]!] = decodeField(stdout, index, fieldStart, tab);
          fieldStart = tab + 1;
        }
        const extraTab = stdout.indexOf('\t', fieldStart);
        if (extraTab !== -1 && extraTab < lineEnd) throw outputError(command, lineNumber, stdout.slice(lineStart, lineEnd), fieldCountProblem('more'));
        row[keys[last]!] = decodeField(stdout, last, fieldStart, lineEnd);
      } catch (error) {
        if (error instanceof AppFailure) throw error;
        const problem = `${properties[index]}: ${(error as Error).message}`;
        throw outputError(command, lineNumber, stdout.slice(lineStart, lineEnd), problem);
      }
      rows.push(buildRow(row as RecordOf<M>));
      lineStart = lineEnd + 1;
    }
    return rows;
  }

  /** Splits one complete record (its text may span lines) around the free-text field. */
  function splitRecord(record: string): string[] {
    const parts: string[] = [];
    let start = 0;
    for (let index = 0; index < freeIndex; index++) {
      const tab = record.indexOf('\t', start);
      parts.push(record.slice(start, tab));
      start = tab + 1;
    }
    const right: string[] = [];
    let end = record.length;
    for (let index = columnCount - 1; index > freeIndex; index--) {
      const tab = record.lastIndexOf('\t', end - 1);
      right.unshift(record.slice(tab + 1, end));
      end = tab;
    }
    parts.push(record.slice(start, end), ...right);
    return parts;
  }

  function parseWithFreeText(stdout: string, command: string): R[] {
    const lines = stdout.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const needed = columnCount - 1;
    // Group lines into records. Free text last: a short line continues the previous record's value.
    // Free text elsewhere: a short line is the start of a record whose value goes on in the next line(s).
    const records: Array<{ text: string; lineNumber: number }> = [];
    let pending = null as { text: string; lineNumber: number } | null;
    for (const [index, line] of lines.entries()) {
      const lineNumber = index + 1;
      if (pending) {
        pending.text += `\n${line}`;
        if (countTabs(pending.text, 0, pending.text.length) >= needed) {
          records.push(pending);
          pending = null;
        }
        continue;
      }
      const tabs = countTabs(line, 0, line.length);
      if (tabs >= needed) records.push({ text: line, lineNumber });
      else if (freeIndex !== columnCount - 1) pending = { text: line, lineNumber };
      else if (records.length > 0) records.at(-1)!.text += `\n${line}`;
      else throw outputError(command, lineNumber, line, fieldCountProblem(String(tabs + 1)));
    }
    if (pending !== null) {
      const { text, lineNumber } = pending;
      throw outputError(command, lineNumber, text, fieldCountProblem(String(countTabs(text, 0, text.length) + 1)));
    }
    return records.map(({ text, lineNumber }) => {
      const row: Record<string, unknown> = {};
      splitRecord(text).forEach((raw, index) => {
        try {
          row[keys[index]!] = decoders[index]!(raw);
        } catch (error) {
          throw outputError(command, lineNumber, text, `${properties[index]}: ${(error as Error).message}`);
        }
      });
      return buildRow(row as RecordOf<M>);
    });
  }

  return {
    fields,
    properties,
    outputList: properties.join(','),
    parse: freeIndex === -1 ? parseStrict : parseWithFreeText,
  };
}
