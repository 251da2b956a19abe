import { describe, expect, it } from 'vitest';
import { AppFailure } from '../../../../../shared/result.ts';
import { field, tabularFormat } from '../../../../../electron/services/zfs/tabular-output.ts';

// The generic machinery on hand-made lines (the command parsers are tested on captured output, in their files).

const format = tabularFormat({
  name: field.text('name'),
  guid: field.guid('guid'),
  used: field.optionalCount('used'),
  origin: field.optionalText('origin'),
  readonly: field.flag('readonly'),
  kind: field.oneOf('type', ['filesystem', 'volume']),
});

function failure(action: () => unknown): AppFailure {
  try {
    action();
  } catch (error) {
    if (error instanceof AppFailure) return error;
    throw error;
  }
  throw new Error('expected an AppFailure');
}

describe('tabular format', () => {
  it('derives the -o list from the field map, in its order', () => {
    expect(format.outputList).toBe('name,guid,used,origin,readonly,type');
  });

  it('reads fields by name, keeps empty ones, decodes "-" as null and keeps guids exact', () => {
    const rows = format.parse('tank/a b\t18446744073709551615\t-\t\ton\tvolume\ntank\t1\t42\ttank/x@s\toff\tfilesystem\n', 'zfs list');
    expect(rows).toEqual([
      { name: 'tank/a b', guid: '18446744073709551615', used: null, origin: '', readonly: true, kind: 'volume' },
      { name: 'tank', guid: '1', used: 42, origin: 'tank/x@s', readonly: false, kind: 'filesystem' },
    ]);
  });

  it('reads numbers past 2^53 like Number() does', () => {
    const [row] = format.parse('t\t1\t12345678901234567890\t-\toff\tvolume', 'zfs list');
    expect(row!.used).toBe(Number('12345678901234567890'));
  });

  it('returns no rows for empty output', () => {
    expect(format.parse('', 'zfs list')).toEqual([]);
  });

  it('refuses a line with too few or too many fields, naming the line', () => {
    const few = failure(() => format.parse('tank\t1\t2\n', 'zfs list'));
    expect(few.code).toBe('REMOTE_COMMAND_FAILED');
    expect(few.message).toBe('Unexpected output from "zfs list", line 1: expected 6 tab-separated fields (name, guid, used, origin, readonly, type), got 3.');
    const many = failure(() => format.parse('t\t1\t2\t-\ton\tvolume\n t\t1\t2\t-\ton\tvolume\textra\n', 'zfs list'));
    expect(many.message).toContain('line 2: expected 6');
    expect(many.message).toContain('got more');
  });

  it('refuses a value it does not understand, naming the property', () => {
    expect(failure(() => format.parse('t\tabc\t1\t-\ton\tvolume', 'zfs list')).message).toContain('guid: expected a GUID, got "abc"');
    expect(failure(() => format.parse('t\t1\t1.5\t-\ton\tvolume', 'zfs list')).message).toContain('used: expected a whole number, got "1.5"');
    expect(failure(() => format.parse('t\t1\t\t-\ton\tvolume', 'zfs list')).message).toContain('used: expected a whole number, got ""');
    expect(failure(() => format.parse('t\t1\t1\t-\tmaybe\tvolume', 'zfs list')).message).toContain('readonly: expected on/off');
    expect(failure(() => format.parse('t\t1\t1\t-\ton\tsnapshot', 'zfs list')).message).toContain('type: expected one of filesystem, volume');
  });

  it('gives every line its own row, also through a row builder', () => {
    const rows = format.parse('a\t1\t1\t-\ton\tvolume\nb\t2\t2\t-\toff\tvolume\n', 'zfs list');
    expect(rows[0]).not.toBe(rows[1]);
    expect(rows.map((row) => row.name)).toEqual(['a', 'b']);
    const built = tabularFormat(format.fields, (record) => ({ label: `${record.name}:${record.guid}` })).parse('a\t1\t1\t-\ton\tvolume\nb\t2\t2\t-\toff\tvolume', 'zfs list');
    expect(built).toEqual([{ label: 'a:1' }, { label: 'b:2' }]);
  });

  it('allows at most one free-text field', () => {
    expect(() => tabularFormat({ a: field.freeText('a'), b: field.freeText('b') })).toThrow(TypeError);
  });
});

describe('free text', () => {
  const last = tabularFormat({ name: field.text('name'), source: field.text('source'), value: field.freeText('value') });
  const middle = tabularFormat({ name: field.text('name'), tag: field.freeText('tag'), at: field.count('timestamp') });

  it('lets the last field hold tabs and newlines', () => {
    expect(last.parse('a\tlocal\tx\ty\nb\tlocal\tline 1\nline 2\n\tindented\nc\t-\t-\n', 'zfs get')).toEqual([
      { name: 'a', source: 'local', value: 'x\ty' },
      { name: 'b', source: 'local', value: 'line 1\nline 2\n\tindented' },
      { name: 'c', source: '-', value: '-' },
    ]);
  });

  it('lets a middle field hold tabs and newlines', () => {
    expect(middle.parse('s@1\tzrd:a\t10\ns@1\ttab\there\t11\ns@2\tline\nbreak\t12\n', 'zfs holds')).toEqual([
      { name: 's@1', tag: 'zrd:a', at: 10 },
      { name: 's@1', tag: 'tab\there', at: 11 },
      { name: 's@2', tag: 'line\nbreak', at: 12 },
    ]);
  });

  it('refuses a first line that cannot start a record, and a record cut short', () => {
    expect(failure(() => last.parse('orphan\nb\tlocal\tv\n', 'zfs get')).message).toContain('line 1');
    expect(failure(() => middle.parse('s@1\tunfinished\n', 'zfs holds')).message).toContain('line 1');
  });
});
