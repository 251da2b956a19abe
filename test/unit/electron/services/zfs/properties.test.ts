import { describe, expect, it } from 'vitest';
import { buildGetPropertiesArgv, parsePropertyList } from '../../../../../electron/services/zfs/properties.ts';
import { fixture, testCapabilities } from './fake-runner.ts';

const tools = testCapabilities.tools;

describe('zfs get', () => {
  it('puts the value last, so it may hold tabs', () => {
    expect(buildGetPropertiesArgv(tools, ['tank/a b'], ['compression', 'com.example:note'], { recursive: true, types: ['filesystem'] })).toEqual([
      '/usr/sbin/zfs', 'get', '-H', '-p', '-o', 'name,property,source,value', '-r', '-t', 'filesystem', 'compression,com.example:note', 'tank/a b',
    ]);
    expect(buildGetPropertiesArgv(tools, ['tank/a@s'], ['written@older snap']).at(-2)).toBe('written@older snap');
    expect(() => buildGetPropertiesArgv(tools, ['tank/a'], ['x;y'])).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
    expect(() => buildGetPropertiesArgv(tools, ['tank/a'], ['written@$(x)'])).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
  });

  const selected = parsePropertyList(fixture('get-selected.txt'));
  const value = (name: string, property: string) => selected.find((p) => p.name === `tank/zrd-fixtures/${name}` && p.property === property);

  it('keeps unicode, tabs and newlines in user property values', () => {
    expect(value('unicode props', 'com.example:note')).toEqual({
      name: 'tank/zrd-fixtures/unicode props',
      property: 'com.example:note',
      value: 'Grüße, 世界 📦',
      source: { kind: 'local' },
    });
    expect(value('unicode props', 'com.example:tabbed')?.value).toBe('a\tb');
    expect(value('unicode props', 'com.example:multiline')?.value).toBe('line 1\nline 2');
    expect(value('unicode props', 'mountpoint')?.value).toBe('/zrd-fixtures/ünïcödé dir');
  });

  it('reads every kind of source', () => {
    expect(value('plain', 'compression')?.source).toEqual({ kind: 'local' });
    expect(value('received', 'compression')?.source).toEqual({ kind: 'received' });
    expect(value('plain', 'com.example:inherited')).toMatchObject({ value: 'from the parent', source: { kind: 'inherited', from: 'tank/zrd-fixtures' } });
    expect(value('unicode props', 'compression')?.source).toEqual({ kind: 'inherited', from: 'tank' });
    expect(value('plain', 'used')).toMatchObject({ value: '2285568', source: { kind: 'none' } });
  });

  it('reads unset and not-applicable values as null', () => {
    expect(value('plain', 'com.example:unset')).toMatchObject({ value: null, source: { kind: 'none' } });
    expect(value('plain', 'origin')?.value).toBeNull();
    expect(value('clone', 'origin')?.value).toBe('tank/zrd-fixtures/plain@s2');
  });

  it('reads one record per line of the whole listing, snapshots included', () => {
    const names = new Set(selected.map((p) => p.name));
    expect(names.has('tank/zrd-fixtures/plain@s1')).toBe(true);
    expect(selected.filter((p) => p.property === 'com.example:multiline')).toHaveLength(names.size);
  });

  it('reads `zfs get all`', () => {
    const all = parsePropertyList(fixture('get-all-plain.txt'));
    expect(all.length).toBeGreaterThan(60);
    expect(new Set(all.map((p) => p.name))).toEqual(new Set(['tank/zrd-fixtures/plain']));
    expect(all.find((p) => p.property === 'guid')?.value).toBe('12648629727389114822');
    expect(all.find((p) => p.property === 'compression')).toMatchObject({ value: 'lz4', source: { kind: 'local' } });
  });
});
