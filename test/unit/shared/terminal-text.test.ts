import { describe, expect, it } from 'vitest';
import { failureFromStderr } from '../../../electron/services/ssh/stderr-error-table.ts';
import { sanitizeTerminalText } from '../../../shared/terminal-text.ts';

// Issue 11 item 9: what a NAS prints reaches the admin's terminal (the CLI), the task log, the app log and the UI.
// These are real sequences terminals act on.

const ESC = '\u001b';
const BEL = '\u0007';

describe('sanitizeTerminalText', () => {
  it.each([
    ['colours (SGR)', `${ESC}[31mred${ESC}[0m plain`, 'red plain'],
    ['clear screen and cursor home', `${ESC}[2J${ESC}[Hafter`, 'after'],
    ['cursor up + erase line: rewrites an earlier line', `ok\n${ESC}[1A${ESC}[2Kforged`, 'ok\nforged'],
    ['window title (OSC 0, BEL-terminated)', `${ESC}]0;pwned${BEL}text`, 'text'],
    ['clipboard write (OSC 52, ST-terminated)', `${ESC}]52;c;cm0gLXJmIH4=${ESC}\\text`, 'text'],
    ['hyperlink (OSC 8)', `${ESC}]8;;http://evil.example${ESC}\\click${ESC}]8;;${ESC}\\`, 'click'],
    ['an unterminated OSC stops at the end of its line', `${ESC}]0;title without end\nnext line`, '\nnext line'],
    ['DCS string', `${ESC}P1$r0m${ESC}\\after`, 'after'],
    ['terminal reset (ESC c)', `${ESC}cafter`, 'after'],
    ['charset switch (ESC ( 0)', `${ESC}(0after`, 'after'],
    ['8-bit CSI (U+009B)', '\u009b31mred', 'red'],
    ['private mode set (hide cursor)', `${ESC}[?25lhidden cursor`, 'hidden cursor'],
    ['CRLF becomes LF', 'a\r\nb\r\n', 'a\nb\n'],
    ['a lone CR cannot overwrite the line it ends', 'safe\rEVIL', 'safe\nEVIL'],
    ['backspace, NUL, BEL, DEL and a lone ESC are shown as U+FFFD', `a\bb\0c${BEL}d\u007fe${ESC}`, 'a\uFFFDb\uFFFDc\uFFFDd\uFFFDe'],
    ['bidirectional overrides (the "Trojan Source" trick)', 'abc\u202Edef\u2066', 'abc\uFFFDdef\uFFFD'],
  ])('%s', (_what, input, expected) => {
    expect(sanitizeTerminalText(input)).toBe(expected);
  });

  it('keeps text, tabs, newlines and non-ASCII as they are', () => {
    const text = "cannot open 'tank/a b': dataset does not exist\n\tété 📦 ✓\n";
    expect(sanitizeTerminalText(text)).toBe(text);
  });

  it('returns clean text unchanged without copying it (one scan on large listings)', () => {
    const listing = 'tank/data@auto-2026-11-21_10-00\tsnapshot\t123\n'.repeat(100_000);
    expect(sanitizeTerminalText(listing)).toBe(listing);
  });

  it('a failed command whose stderr carries escape sequences becomes a clean message, details and all', () => {
    const failure = failureFromStderr({ label: 'root@nas-a:22', command: 'zfs list -H tank/x', exitCode: 1, stderr: `${ESC}]0;owned${BEL}${ESC}[31mcannot open 'tank/x': dataset does not exist${ESC}[0m\n` });
    expect(failure.code).toBe('DATASET_NOT_FOUND');
    expect(JSON.stringify(failure.appError)).not.toMatch(/\\u001b|\\u0007/);
    const unknown = failureFromStderr({ label: 'root@nas-a:22', command: 'frob', exitCode: 3, stderr: `${ESC}[2J${ESC}[Hsomething${ESC}]52;c;ZWNobyBoaQ==${BEL} broke\n` });
    expect(unknown.code).toBe('REMOTE_COMMAND_FAILED');
    expect(unknown.message).toBe('root@nas-a:22: "frob" exited with status 3: something broke.');
    expect(unknown.appError).toMatchObject({ details: { stderr: 'something broke' } });
  });
});
