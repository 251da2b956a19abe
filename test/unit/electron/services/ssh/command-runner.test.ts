import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildCommandLine, shellQuote } from '../../../../../electron/services/ssh/command-runner.ts';

describe('shellQuote', () => {
  it('leaves plain words bare and single-quotes the rest', () => {
    expect(shellQuote('zfs')).toBe('zfs');
    expect(shellQuote('tank/data@snap-1')).toBe('tank/data@snap-1');
    expect(shellQuote('-Hp')).toBe('-Hp');
    expect(shellQuote('name,used,avail')).toBe('name,used,avail');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('$(rm -rf /)')).toBe("'$(rm -rf /)'");
    expect(shellQuote('a=b')).toBe('a=b');
    expect(shellQuote('~')).toBe("'~'");
  });

  it('refuses NUL, which no shell argument can hold', () => {
    // A named failure (INVALID_REQUEST), not an INTERNAL "This is a bug".
    expect(() => shellQuote('a\0b')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', message: 'A command argument "a\\u0000b" contains a NUL character (U+0000), which no shell argument can hold.' }));
  });

  it('buildCommandLine joins quoted words and needs a program', () => {
    expect(buildCommandLine(['zfs', 'list', '-H', '-o', 'name', 'tank/a b'])).toBe("zfs list -H -o name 'tank/a b'");
    expect(() => buildCommandLine([])).toThrow(TypeError);
    // A bare a=b first word would be an assignment; later words are plain arguments.
    expect(buildCommandLine(['a=b', 'c=d'])).toBe("'a=b' c=d");
    expect(() => buildCommandLine(['x=\0'])).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });

  // The real test: a POSIX shell reads every quoted argument back byte for byte.
  const nasty = [
    "it's",
    'a b  c',
    '$(touch /tmp/zrd-pwned)',
    '`id`',
    '$HOME',
    '"double" \\back\\slash',
    'new\nline',
    '*',
    '~root',
    '-n',
    '',
    "''",
    ';|&<>(){}[]!#',
    'ünïcødé 🦀',
    'a=b',
    "'\\''",
  ];
  for (const shell of ['sh', 'bash']) {
    it(`round-trips literally through ${shell}`, () => {
      for (const arg of nasty) {
        const line = buildCommandLine(['printf', '%s', arg]);
        const out = execFileSync(shell, ['-c', line], { encoding: 'utf8' });
        expect(out).toBe(arg);
      }
      const all = execFileSync(shell, ['-c', buildCommandLine(['printf', '[%s]', ...nasty])], { encoding: 'utf8' });
      expect(all).toBe(nasty.map((a) => `[${a}]`).join(''));
      // Many real shells are spawned one after another: seconds on a loaded 2-core machine.
    }, 30_000);
  }
});
