import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { failureFromStderr, sudoersLine } from '../../../../../electron/services/ssh/stderr-error-table.ts';

// Real messages: sudo 1.9 (Debian bookworm), OpenZFS 2.3, GNU env, bash/dash, OpenSSH 9.2 as run by the
// runner (LC_ALL=C). The ones captured from the test VMs are in test/fixtures/ssh/stderr-messages.json and
// checked by the last test.

const base = { label: 'admin@nas-a:22', username: 'admin', command: 'zfs list' };
const map = (stderr: string, exitCode: number | null = 1, command = base.command) => failureFromStderr({ ...base, command, exitCode, stderr });

const cases: Array<[string, string, number, string]> = [
  ['SUDO_PASSWORD_REQUIRED', 'sudo: a password is required\n', 1, 'sudo -n zfs list'],
  ['SUDO_PASSWORD_REQUIRED', 'sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\n', 1, 'sudo zfs list'],
  ['PERMISSION_DENIED', "Sorry, user admin is not allowed to execute '/usr/bin/id -un' as root on nas-a.\n", 1, 'sudo -n id -un'],
  ['PERMISSION_DENIED', 'delegate is not in the sudoers file.\n', 1, 'sudo -n zfs list'],
  ['COMMAND_NOT_FOUND', 'sudo: zfs: command not found\n', 1, 'sudo -n zfs list'],
  ['COMMAND_NOT_FOUND', "env: 'zrd-no-such-command': No such file or directory\n", 127, 'zrd-no-such-command'],
  ['COMMAND_NOT_FOUND', 'bash: line 1: zfs: command not found\n', 127, 'zfs list'],
  ['COMMAND_NOT_FOUND', 'sh: 1: zfs: not found\n', 127, 'zfs list'],
  ['COMMAND_NOT_FOUND', '', 127, 'zfs list'],
  ['DATASET_NOT_FOUND', "cannot open 'tank/nope': dataset does not exist\n", 1, 'zfs list tank/nope'],
  ['DATASET_NOT_FOUND', "cannot open 'nopool': no such pool\n", 1, 'zpool list nopool'],
  ['DATASET_NOT_FOUND', 'could not find any snapshots to destroy; check snapshot names.\n', 1, 'zfs destroy tank@x'],
  ['DATASET_EXISTS', "cannot create 'tank/a': dataset already exists\n", 1, 'zfs create tank/a'],
  ['DATASET_EXISTS', "cannot create snapshot 'tank/a@s': dataset already exists\n", 1, 'zfs snapshot tank/a@s'],
  ['DATASET_EXISTS', "cannot receive new filesystem stream: destination 'backup/a' exists\nmust specify -F to overwrite it\n", 1, 'zfs receive backup/a'],
  ['CONFLICT', 'cannot receive incremental stream: destination backup/a has been modified\nsince most recent snapshot\n', 1, 'zfs receive backup/a'],
  ['CONFLICT', 'cannot receive incremental stream: most recent snapshot of backup/a does not\nmatch incremental source\n', 1, 'zfs receive backup/a'],
  ['CONFLICT', 'cannot receive new filesystem stream: destination has snapshots (eg. backup/a@s1)\nmust destroy them to overwrite it\n', 1, 'zfs receive -F backup/a'],
  ['NO_SPACE', 'cannot receive new filesystem stream: out of space\n', 1, 'zfs receive backup/a'],
  ['NO_SPACE', "cannot create 'tank/a': out of space\n", 1, 'zfs create tank/a'],
  ['BUSY', "cannot destroy 'tank/a': dataset is busy\n", 1, 'zfs destroy tank/a'],
  ['BUSY', "cannot unmount '/tank/a': pool or dataset is busy\n", 1, 'zfs unmount tank/a'],
  ['BUSY', "cannot destroy 'tank/a@s': snapshot has dependent clones\nuse '-R' to destroy the following datasets:\n", 1, 'zfs destroy tank/a@s'],
  ['PERMISSION_DENIED', "cannot destroy 'tank/a': permission denied\n", 1, 'zfs destroy tank/a'],
  ['PERMISSION_DENIED', "sh: 1: cannot create /etc/x: Permission denied\n", 2, 'sh -c echo'],
  ['INVALID_NAME', "cannot open 'tank/a b!': invalid character '!' in name\n", 1, 'zfs list'],
  ['UNSUPPORTED_VERSION', 'cannot receive: stream has unsupported feature, feature flags = 24\n', 1, 'zfs receive backup/a'],
  ['HOST_KEY_UNCONFIRMED', 'No ED25519 host key is known for nas-b and you have requested strict checking.\r\nHost key verification failed.\r\n', 255, 'ssh nas-b true'],
  ['HOST_KEY_MISMATCH', '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n@@@@\r\nHost key verification failed.\r\n', 255, 'ssh nas-b true'],
  ['AUTH_FAILED', 'admin@nas-b: Permission denied (publickey,password).\r\n', 255, 'ssh nas-b true'],
  ['HOST_UNREACHABLE', 'ssh: connect to host nas-b port 22: Connection refused\r\n', 255, 'ssh nas-b true'],
  ['HOST_UNREACHABLE', 'ssh: Could not resolve hostname nas-c: Name or service not known\r\n', 255, 'ssh nas-c true'],
  // Captured on the VMs with the test bed's cutPeerLink (nas-a's ssh to nas-b, link frozen mid-session / new connection).
  ['HOST_UNREACHABLE', 'Timeout, server nas-b not responding.\r\n', 255, 'sh -c zfs send tank/a@s | ssh nas-b zfs receive backup/a'],
  ['HOST_UNREACHABLE', 'Connection timed out during banner exchange\r\nConnection to 10.0.2.102 port 22 timed out\r\n', 255, 'ssh nas-b true'],
];

describe('failureFromStderr', () => {
  for (const [code, stderr, exitCode, command] of cases) {
    it(`${code}: ${stderr.split('\n')[0]!.slice(0, 70) || `(exit ${exitCode}, no stderr)`}`, () => {
      const failure = map(stderr, exitCode, command);
      expect(failure.code).toBe(code);
      expect(failure.message).toContain('admin@nas-a:22');
      expect(failure.appError.hint?.length).toBeGreaterThan(10);
      expect(failure.appError.details).toMatchObject({ command, exitCode });
    });
  }

  it('a dead link between the NAS boxes names the other NAS and says the run resumes', () => {
    const alive = map('Timeout, server nas-b not responding.\r\n', 255, 'sh -c zfs send | ssh nas-b zfs receive');
    expect(alive.message).toBe('admin@nas-a:22: the connection from this NAS to nas-b stopped answering (no reply to its keepalives): the network between the two NAS boxes went down.');
    expect(alive.appError.hint).toContain('resumes');
    expect(map('Connection timed out during banner exchange\r\nConnection to 10.0.2.102 port 22 timed out\r\n', 255, 'ssh nas-b true').message).toContain('no answer from 10.0.2.102:22');
  });

  it('the sudo hint gives the exact sudoers line for the user', () => {
    expect(sudoersLine('admin')).toBe('admin ALL=(ALL) NOPASSWD: /usr/sbin/zfs, /usr/sbin/zpool');
    expect(map('sudo: a password is required\n').appError.hint).toContain('admin ALL=(ALL) NOPASSWD: /usr/sbin/zfs, /usr/sbin/zpool');
  });

  it('names the missing program', () => {
    expect(map("env: 'zrd-x': No such file or directory\n", 127, 'zrd-x').message).toContain('"zrd-x"');
    expect(map('sudo: zfs: command not found\n', 1, 'sudo -n zfs list').appError.hint).toMatch(/OpenZFS installed/);
    // The runner's wrapper exec'ing a program that is not there (dash, and FreeBSD's sh).
    expect(map('sh: 1: exec: zfs: not found\n', 127, 'zfs list').appError.hint).toMatch(/OpenZFS installed/);
    expect(map('sh: 1: exec: zrd-x: not found\n', 127, 'zrd-x').message).toContain('"zrd-x" was not found on the NAS.');
    expect(map('sh: zrd-x: not found\n', 127, 'zrd-x').message).toContain('"zrd-x" was not found on the NAS.');
  });

  it('falls back to REMOTE_COMMAND_FAILED with the last lines of stderr', () => {
    const failure = map('line one\nline two\nline three\nline four\n', 2, 'frobnicate');
    expect(failure.code).toBe('REMOTE_COMMAND_FAILED');
    expect(failure.message).toBe('admin@nas-a:22: "frobnicate" exited with status 2: line two\nline three\nline four.');
    expect(map('', 3, 'x').message).toContain('printed nothing on stderr');
    expect(map('', null, 'x').message).toContain('killed by signal');
  });

  it('keeps the tail of a long stderr in details', () => {
    const long = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const details = map(long, 9, 'x').appError.details as { stderr: string };
    expect(details.stderr.split('\n')).toHaveLength(20);
    expect(details.stderr.endsWith('line 99')).toBe(true);
  });

  it('shortens a huge command in the message and keeps it whole in details', () => {
    const command = `zfs destroy ${Array.from({ length: 2000 }, (_, i) => `tank/data@auto-${i}`).join(',')}`;
    const failure = map('frobnicated\n', 2, command);
    expect(failure.message.length).toBeLessThan(500);
    expect(failure.message).toContain(`"${command.slice(0, 300)}… (${command.length - 300} more characters)"`);
    expect((failure.appError.details as { command: string }).command).toBe(command);
  });
});

interface CapturedMessage {
  case: string;
  user: string;
  command: string;
  exitCode: number | null;
  stderr: string;
  code: string;
}

describe('messages captured from the test VMs', () => {
  // Written by test/integration/ssh-stderr-capture.test.ts with ZRD_UPDATE_FIXTURES=1.
  const captured = JSON.parse(readFileSync(new URL('../../../../fixtures/ssh/stderr-messages.json', import.meta.url), 'utf8')) as CapturedMessage[];
  it('holds the cases', () => {
    expect(captured.length).toBeGreaterThanOrEqual(15);
  });
  for (const message of captured) {
    it(`${message.case} -> ${message.code}`, () => {
      const failure = failureFromStderr({ label: `${message.user}@nas-a:22`, username: message.user, command: message.command, exitCode: message.exitCode, stderr: message.stderr });
      expect(failure.code).toBe(message.code);
    });
  }
});
