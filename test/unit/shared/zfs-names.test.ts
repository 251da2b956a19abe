import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppFailure } from '../../../shared/result.ts';
import {
  assertHoldTag,
  assertHost,
  assertSshUser,
  assertZfsName,
  assertZfsPropertyValue,
  controlCharacterProblem,
  hostProblem,
  sshUserProblem,
  utf8Length,
  zfsPropertyValueProblem,
  holdTagProblem,
  isSameOrDescendant,
  isValidZfsName,
  poolOfName,
  snapshotShortNameProblem,
  splitZfsName,
  zfsNameProblem,
  zfsPropertyNameProblem,
} from '../../../shared/zfs-names.ts';

describe('dataset names', () => {
  it.each(['tank', 'tank/data', 'tank/a b', 'tank/ lead and trail ', 'tank/x_y-z.1:2', 'Tank9/A/B/C', `tank/${'a'.repeat(250)}`])(
    'accepts %j',
    (name) => expect(zfsNameProblem('dataset', name)).toBeNull(),
  );

  it.each([
    ['', 'is empty'],
    ['-tank/x', 'starts with "-"'],
    ['tank/$(reboot)', 'contains "$"'],
    ['tank/a;b', 'contains ";"'],
    ['tank/`id`', 'contains "`"'],
    ['tank/a|b', 'contains "|"'],
    ['tank/a&b', 'contains "&"'],
    ["tank/it's", `contains "'"`],
    ['tank/"q"', 'contains """'],
    ['tank/back\\slash', 'contains "\\"'],
    ['tank/a\nb', 'contains a newline'],
    ['tank/a\tb', 'contains a tab'],
    ['tank/é', '"é" (U+00E9: only ASCII is allowed)'],
    ['tank/📦', 'U+1F4E6'],
    ['tank/50%', '"%" is reserved'],
    ['tank/a*b', 'contains "*"'],
    ['tank//a', 'empty component'],
    ['tank/a/', 'ends with "/"'],
    ['/tank/a', 'starts with "/"'],
    ['tank/..', 'has a ".." component'],
    ['tank/./a', 'has a "." component'],
    ['tank/a@s', 'contains "@"'],
    ['tank/a#b', 'contains "#"'],
    ['9tank/a', 'must start with a letter'],
    ['mirror/a', 'reserved'],
    [`tank/${'a'.repeat(251)}`, 'at most 255'],
    [`tank${'/a'.repeat(50)}`, 'at most 49'],
  ])('rejects %j (%s)', (name, why) => {
    const problem = zfsNameProblem('dataset', name);
    expect(problem).not.toBeNull();
    expect(problem).toContain(why);
  });

  it('accepts the deepest nesting ZFS allows', () => {
    expect(isValidZfsName('dataset', `tank${'/a'.repeat(49)}`)).toBe(true);
  });

  it('quotes the offending name readably in the message', () => {
    expect(zfsNameProblem('dataset', 'tank/a\nb')).toBe(
      'Dataset name "tank/a\\nb" contains a newline; only letters, digits, space and _ - . : are allowed.',
    );
  });
});

describe('pool names', () => {
  it.each(['tank', 'backup', 'a', 'pool_1', 'p-1.x:y', 'mirrorpool', 'logs'])('accepts existing pool %j', (name) =>
    expect(zfsNameProblem('pool', name)).toBeNull(),
  );
  it.each(['mirror', 'raidz', 'draid', '1tank', '_tank', 'tank/a', 'ta nk$', ''])('rejects %j', (name) =>
    expect(zfsNameProblem('pool', name)).not.toBeNull(),
  );
  it.each(['mirrorpool', 'raidz2x', 'draid1', 'spare', 'sparepool', 'log'])('refuses %j only for a new pool', (name) => {
    expect(zfsNameProblem('pool', name, { creatingPool: true })).toContain('reserves');
    expect(zfsNameProblem('pool', name)).toBeNull();
  });
  it('limits pool names to 239 characters', () => {
    expect(zfsNameProblem('pool', `p${'a'.repeat(238)}`)).toBeNull();
    expect(zfsNameProblem('pool', `p${'a'.repeat(239)}`)).toContain('at most 239');
  });
});

describe('snapshot and bookmark names', () => {
  it.each(['tank@s', 'tank/a b@daily 2024-01-31 00:00', 'tank/a@-dash-is-fine-after-at', 'tank/a@..x'])('accepts snapshot %j', (name) =>
    expect(zfsNameProblem('snapshot', name)).toBeNull(),
  );
  it.each([
    ['tank/a', 'has no "@"'],
    ['tank/a@', 'empty snapshot name'],
    ['@s', 'invalid pool part'],
    ['tank/a@b@c', 'more than one'],
    ['tank/a@b#c', 'more than one'],
    ['tank/a@b/c', '"/" in the snapshot name'],
    ['tank/a@.', '"." as snapshot name'],
    ['tank/a@..', '".." as snapshot name'],
    ['tank/a@$(x)', 'contains "$"'],
    ['tank/a#b', 'has no "@"'],
  ])('rejects snapshot %j (%s)', (name, why) => expect(zfsNameProblem('snapshot', name)).toContain(why));

  it('checks bookmarks the same way with "#"', () => {
    expect(zfsNameProblem('bookmark', 'tank/a#b')).toBeNull();
    expect(zfsNameProblem('bookmark', 'tank/a@b')).toContain('has no "#"');
    expect(zfsNameProblem('bookmark', 'tank/a#')).toContain('empty bookmark name');
  });

  it('checks a short snapshot name on its own', () => {
    expect(snapshotShortNameProblem('auto-2024-01-31_00:00')).toBeNull();
    expect(snapshotShortNameProblem('-rf')).toContain('starts with "-"');
    expect(snapshotShortNameProblem('a/b')).toContain('contains "/"');
    expect(snapshotShortNameProblem('..')).toContain('not allowed');
  });
});

describe('hold tags and property names', () => {
  it('keeps hold tags to the name characters, never a leading "-"', () => {
    expect(holdTagProblem('zrd:task-1 base')).toBeNull();
    expect(holdTagProblem('-r')).toContain('starts with "-"');
    expect(holdTagProblem('')).toContain('empty');
    expect(holdTagProblem('a;b')).toContain('";"');
    expect(() => assertHoldTag('x$y')).toThrow(AppFailure);
  });

  it.each(['compression', 'recordsize', 'com.example:owner', 'org.zrd:task-1', 'a:b'])('accepts property %j', (property) =>
    expect(zfsPropertyNameProblem(property)).toBeNull(),
  );
  it.each(['', '-o', 'Compression', 'com.example:Owner', 'a b', 'x=y', 'written@snap', 'a;b', 'com.example:é'])('rejects property %j', (property) =>
    expect(zfsPropertyNameProblem(property)).not.toBeNull(),
  );
});

describe('assertZfsName', () => {
  it('returns the valid name and throws INVALID_NAME with details otherwise', () => {
    expect(assertZfsName('snapshot', 'tank/a@b')).toBe('tank/a@b');
    try {
      assertZfsName('dataset', 'tank/$(reboot)');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppFailure);
      expect((error as AppFailure).appError).toMatchObject({
        code: 'INVALID_NAME',
        message: 'Dataset name "tank/$(reboot)" contains "$"; only letters, digits, space and _ - . : are allowed.',
        details: { kind: 'dataset', name: 'tank/$(reboot)' },
      });
    }
  });
});

describe('name helpers', () => {
  it('splits at "@" or "#"', () => {
    expect(splitZfsName('tank/a b@s 1')).toEqual({ dataset: 'tank/a b', shortName: 's 1', kind: 'snapshot' });
    expect(splitZfsName('tank/a#bm')).toEqual({ dataset: 'tank/a', shortName: 'bm', kind: 'bookmark' });
    expect(splitZfsName('tank/a')).toEqual({ dataset: 'tank/a', shortName: null, kind: 'dataset' });
  });
  it('finds the pool and the subtree', () => {
    expect(poolOfName('tank/a/b@s')).toBe('tank');
    expect(poolOfName('tank@s')).toBe('tank');
    expect(isSameOrDescendant('tank/a/b', 'tank/a')).toBe(true);
    expect(isSameOrDescendant('tank/a@s', 'tank/a')).toBe(true);
    expect(isSameOrDescendant('tank/ab', 'tank/a')).toBe(false);
  });
});

describe('agreement with ZFS', () => {
  // What `zfs create` / `zfs snapshot` on the 2.3.2 test VM accepted (test/fixtures/zfs/capture.ts).
  const checks = JSON.parse(readFileSync(new URL('../../fixtures/zfs/name-checks.json', import.meta.url), 'utf8')) as Array<{
    kind: 'dataset' | 'snapshot';
    name: string;
    accepted: boolean;
    stderr: string;
  }>;

  it('covers spaces, quotes, shell characters, control characters and unicode', () => {
    expect(checks.length).toBeGreaterThan(40);
    expect(checks.some((check) => check.name.includes(' ') && check.accepted)).toBe(true);
    expect(checks.some((check) => check.name.includes('é') && !check.accepted)).toBe(true);
  });

  it.each(checks.map((check) => [check.kind, check.name, check.accepted] as const))('%s %j: ZFS accepted it: %s', (kind, name, accepted) => {
    expect(isValidZfsName(kind, name)).toBe(accepted);
  });
});

describe('values besides names that reach a NAS', () => {
  it('names control characters, NUL first among them', () => {
    expect(controlCharacterProblem('plain text, été ✓')).toBeNull();
    expect(controlCharacterProblem('a\0b')).toBe('contains a NUL character (U+0000)');
    expect(controlCharacterProblem('a\u001b[31m')).toBe('contains an escape character (U+001B)');
    expect(controlCharacterProblem('a\u009bb')).toBe('contains the control character U+009B');
    expect(controlCharacterProblem('a\nb')).toBe('contains a newline');
  });

  it('property values: one line under 8 KiB', () => {
    expect(zfsPropertyValueProblem('replica of nas-a: été')).toBeNull();
    expect(zfsPropertyValueProblem('v'.repeat(8191))).toBeNull();
    expect(zfsPropertyValueProblem('v'.repeat(8192))).toBe('Property value is longer than 8191 bytes, the most ZFS keeps.');
    expect(zfsPropertyValueProblem('é'.repeat(4096), 'com.example:x')).toBe('The value of com.example:x is longer than 8191 bytes, the most ZFS keeps.');
    expect(zfsPropertyValueProblem('a\0b', 'compression')).toBe('The value of compression "a\\u0000b" contains a NUL character (U+0000); a property value is one line of text.');
    expect(zfsPropertyValueProblem('')).toContain('is empty');
  });

  it('hosts as ssh takes them', () => {
    for (const host of ['nas.lan', '192.168.1.20', 'fe80::1%eth0', 'nas_01', 'x'.repeat(253)]) expect(hostProblem(host)).toBeNull();
    expect(hostProblem('-oProxyCommand=x')).toBe('Host must be a DNS name or an IP address, not starting with "-": "-oProxyCommand=x".');
    expect(hostProblem('nas;reboot')).toBe('Host must be a DNS name or an IP address (letters, digits, ".", "-", ":"); "nas;reboot" contains ";".');
    expect(hostProblem('nas\u001b')).toContain('contains an escape character (U+001B)');
    expect(hostProblem('x'.repeat(254))).toContain('at most 253 characters');
    expect(hostProblem('')).toContain('it is empty');
  });

  it('login names as ssh -l and sshd take them', () => {
    for (const user of ['root', 'admin', '_svc', 'backup.user-1', 'u'.repeat(32)]) expect(sshUserProblem(user)).toBeNull();
    expect(sshUserProblem('-oProxyCommand=x')).toBe('User name "-oProxyCommand=x" starts with "-"; it must start with a letter or "_".');
    expect(sshUserProblem('$(reboot)')).toBe('User name "$(reboot)" starts with "$"; it must start with a letter or "_".');
    expect(sshUserProblem('ad min')).toBe('User name "ad min" contains " "; only letters, digits, "_", "." and "-" are allowed.');
    expect(sshUserProblem('root\0')).toBe('User name "root\\u0000" contains a NUL character (U+0000); only letters, digits, "_", "." and "-" are allowed.');
    expect(sshUserProblem('u'.repeat(33))).toContain('at most 32');
  });

  it('the assert forms throw named failures', () => {
    expect(() => assertHost('a b')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => assertSshUser('-l')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => assertZfsPropertyValue('a\nb')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(utf8Length('aé✓📦')).toBe(1 + 2 + 3 + 4);
  });
});
