import { describe, expect, it } from 'vitest';
import { checkNamingSchema, namingSchema } from '../../../shared/naming-schema.ts';

describe('naming schema', () => {
  it('formats and parses the TrueNAS default schema', () => {
    const schema = namingSchema('auto-%Y-%m-%d_%H-%M');
    const at = new Date(Date.UTC(2026, 10, 21, 7, 5, 42));
    expect(schema.format(at)).toBe('auto-2026-11-21_07-05');
    expect(schema.parse('auto-2026-11-21_07-05')?.toISOString()).toBe('2026-11-21T07:05:00.000Z');
    expect(schema.matches('auto-2026-11-21_07-05')).toBe(true);
  });

  it('selects only names that follow it', () => {
    const schema = namingSchema('auto-%Y-%m-%d_%H-%M');
    for (const name of ['manual-2026-11-21_07-05', 'auto-2026-11-21_07-05x', 'auto-2026-13-01_00-00', 'auto-2026-02-30_00-00', 'auto-2026-11-21_24-00', 'auto-26-11-21_07-05']) {
      expect(schema.parse(name), name).toBeNull();
    }
  });

  it('writes and reads names on a time zone\'s wall clock', () => {
    const schema = namingSchema('auto-%Y-%m-%d_%H-%M', 'Asia/Kolkata');
    const at = new Date(Date.UTC(2026, 10, 21, 7, 5));
    expect(schema.format(at)).toBe('auto-2026-11-21_12-35');
    expect(schema.parse('auto-2026-11-21_12-35')?.toISOString()).toBe('2026-11-21T07:05:00.000Z');
    expect(schema.timeZone).toBe('Asia/Kolkata');
    expect(() => namingSchema('auto-%Y-%m-%d_%H-%M', 'Nowhere/Land')).toThrow('not a time zone');
  });

  it('keeps seconds with %S and accepts literal dots, colons and spaces', () => {
    const schema = namingSchema('hourly %Y.%m.%d %H:%M:%S');
    const at = new Date(Date.UTC(2027, 0, 1, 0, 0, 9));
    expect(schema.format(at)).toBe('hourly 2027.01.01 00:00:09');
    expect(schema.parse(schema.format(at))?.getTime()).toBe(at.getTime());
  });

  it.each([
    ['', 'Enter a naming schema'],
    ['auto-%Y-%m-%d', 'must contain %H'],
    ['auto-%Y-%m-%d_%H-%M-%Y', '%Y appears more than once'],
    ['auto/%Y-%m-%d_%H-%M', '"/" cannot appear'],
    ['auto-%Y-%m-%d_%H-%M-%z', '"%z" is not supported'],
    ['-%Y-%m-%d_%H-%M', 'must not start with "-"'],
    ['auto-%Y-%m-%d_%H-%M%', 'lone "%"'],
    ['$(reboot)%Y%m%d%H%M', '"$" cannot appear'],
  ])('rejects %j with a message that says what to fix', (pattern, message) => {
    const issues = checkNamingSchema(pattern);
    expect(issues.map((i) => i.message).join(' ')).toContain(message);
    expect(() => namingSchema(pattern)).toThrow('Invalid naming schema');
  });

  it('accepts a compact schema whose fixed widths still read back', () => {
    expect(checkNamingSchema('%Y%m%d%H%M')).toEqual([]);
  });
});
