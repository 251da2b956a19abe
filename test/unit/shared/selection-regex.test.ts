import { describe, expect, it } from 'vitest';
import { selector } from '../../../electron/services/replication/replication-engine.ts';
import { compileSelectionRegex, maxSelectionRegexLength, selectionRegexProblem } from '../../../shared/selection-regex.ts';
import { ReplicationTaskSchema } from '../../../shared/task-schemas.ts';

// Issue 11 item 6: a task's regex selection runs on every snapshot name a NAS lists. With JavaScript's
// backtracking RegExp, ^(a+)+$ took 1.7 s on a 26-character name and doubled per character: the 60-character
// names below would take longer than the age of the universe. On RE2 they take microseconds.

const regexTask = (pattern: string) =>
  ReplicationTaskSchema.parse({
    id: '33333333-3333-4333-8333-333333333333',
    name: 'regex',
    sourceConnectionId: '11111111-1111-4111-8111-111111111111',
    sources: [{ name: 'tank/data' }],
    destinationConnectionId: '22222222-2222-4222-8222-222222222222',
    destinationParent: 'backup/r',
    transport: { kind: 'relay' },
    selection: { kind: 'regex', pattern },
  });

describe('snapshot-selection regexes', () => {
  it.each(['^(a+)+$', '^(a|a)+$', '^(a|aa)+$', '(.*a){20}$', '^(([a-z])+.)+[A-Z]([a-z])+$'])('%s on long hostile names returns at once (linear time)', (pattern) => {
    const select = selector(regexTask(pattern));
    const started = performance.now();
    // The classic hostile inputs: a long run the pattern almost matches, then one character that fails it.
    for (const name of [`${'a'.repeat(60)}:`, `${'a'.repeat(200)}b`, `${'aaaaaaaaaa'.repeat(25)}!`]) select(name);
    // Backtracking would need hours for the first name alone; RE2 needs well under a millisecond per name.
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('matches anywhere in the name, as RegExp.test does; anchors work', () => {
    const daily = compileSelectionRegex('daily');
    expect(['auto-daily-1', 'daily', 'hourly'].map(daily)).toEqual([true, true, false]);
    const anchored = compileSelectionRegex('^auto-\\d{4}-\\d{2}-\\d{2}$');
    expect(['auto-2026-11-21', 'xauto-2026-11-21', 'auto-2026-11-21x'].map(anchored)).toEqual([true, false, false]);
    const alternation = compileSelectionRegex('^(hourly|daily)-[0-9]+$');
    expect(['hourly-1', 'daily-22', 'weekly-1'].map(alternation)).toEqual([true, true, false]);
  });

  it('refuses what RE2 cannot run, with the reason', () => {
    expect(selectionRegexProblem('(?=a)')).toMatch(/^Not a valid regular expression \(RE2 syntax: no back-references or look-around\)/);
    expect(selectionRegexProblem('(a)\\1')).toMatch(/^Not a valid regular expression/);
    expect(selectionRegexProblem('(')).toMatch(/^Not a valid regular expression/);
    expect(selectionRegexProblem('')).toBe('Enter a regular expression, e.g. ^auto-.');
    expect(() => compileSelectionRegex('(')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });

  it('caps the pattern length before compiling, and refuses control characters by name', () => {
    expect(selectionRegexProblem('a'.repeat(maxSelectionRegexLength))).toBeNull();
    expect(selectionRegexProblem('a'.repeat(maxSelectionRegexLength + 1))).toBe(`The regular expression is ${maxSelectionRegexLength + 1} characters long; at most ${maxSelectionRegexLength} are allowed.`);
    expect(selectionRegexProblem('auto\0')).toBe('The regular expression "auto\\u0000" contains a NUL character (U+0000).');
  });

  it('huge nested repeats are refused by RE2 itself, quickly', () => {
    const started = performance.now();
    expect(selectionRegexProblem('((a{1000}){1000}){1000}')).toMatch(/^Not a valid regular expression/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('the task schema checks a pattern with the same engine the run uses', () => {
    expect(ReplicationTaskSchema.safeParse({ ...regexTask('^auto-'), selection: { kind: 'regex', pattern: '(?<=x)a' } }).success).toBe(false);
    expect(regexTask('^auto-').selection).toEqual({ kind: 'regex', pattern: '^auto-' });
  });
});
