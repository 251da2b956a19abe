import { AppFailure, type AppErrorCode, type ErrorDetails } from '../../../shared/result.ts';
import { sudoersLine } from '../../../shared/sudoers.ts';
import { sanitizeTerminalText } from '../../../shared/terminal-text.ts';

// What a failed remote command's stderr means, as a typed error with a hint an admin can act on. The table
// is ordered: the first row whose pattern matches wins, so specific rows (sudo's password prompt) come before
// general ones (any "permission denied"). Every pattern is tested against messages captured from the test VMs
// (test/unit/electron/services/ssh/stderr-error-table.test.ts). Commands run with LC_ALL=C, so English.

export interface FailedCommand {
  /** Human label of the connection, e.g. "admin@nas-a:22". */
  label: string;
  /** The login user: sudo hints name it. */
  username?: string;
  /** The command as logged (already redacted), e.g. "zfs list -H tank". */
  command: string;
  exitCode: number | null;
  /** Set when the remote process died from a signal. */
  signal?: string | null;
  stderr: string;
}

interface StderrRule {
  code: AppErrorCode;
  pattern: RegExp;
  /** Only when the exit code is one of these (e.g. 127 for "not found" from the shell). */
  exitCodes?: readonly number[];
  message: (failed: FailedCommand, match: RegExpExecArray) => string;
  hint: (failed: FailedCommand, match: RegExpExecArray) => string;
  /** What this code's details carry besides the command (shared/result.ts errorDetailSchemas). */
  details?: (failed: FailedCommand, stderr: string) => Record<string, unknown>;
}

/** "ED25519" as ssh names a key type in its messages, as the key's own type name. */
const sshKeyTypes: Record<string, string> = { ED25519: 'ssh-ed25519', RSA: 'ssh-rsa', ECDSA: 'ecdsa-sha2-nistp256', DSA: 'ssh-dss' };

/** ssh on a NAS refusing another NAS's host key: which host, and the key it was shown (OpenSSH prints its fingerprint). */
function nasHostKeyDetails(stderr: string): { host: string | null; presented: { type: string; sha256: string } | null } {
  const host = /Host key for (\S+) has changed|No \S+ host key is known for (\S+)/.exec(stderr);
  const key = /The fingerprint for the (\S+) key sent by the remote host is\s+(SHA256:[A-Za-z0-9+/]+)/.exec(stderr);
  return {
    host: host ? (host[1] ?? host[2] ?? null) : null,
    presented: key ? { type: sshKeyTypes[key[1]!] ?? key[1]!.toLowerCase(), sha256: key[2]! } : null,
  };
}

const programOf = (failed: FailedCommand) => failed.command.replace(/^sudo -n /, '').split(' ')[0] ?? failed.command;

export { sudoersLine };

const sudoHint = (failed: FailedCommand) =>
  `The app runs zfs through "sudo -n", which never prompts. Allow ${failed.username ?? 'this user'} to run zfs and zpool without a password, ` +
  `e.g. with "sudo visudo -f /etc/sudoers.d/zfs-replication" containing: ${sudoersLine(failed.username ?? 'USER')} ` +
  '(on TrueNAS SCALE: Credentials > Users > edit the user > "Allowed sudo commands with no password"). ' +
  'Or switch the connection to "delegated" privilege and grant zfs allow permissions instead.';

export const stderrRules: readonly StderrRule[] = [
  {
    // Our own ~/.ssh scripts (authorized-keys-scripts.ts) say this before touching anything.
    code: 'PERMISSION_DENIED',
    pattern: /zrd: home directory (\S*) does not exist or is not writable/,
    message: (f, m) => `${f.label}: the home directory of ${f.username ?? 'this user'} (${m[1] || 'unset'}) does not exist or is read-only, so no key can be stored in its ~/.ssh/authorized_keys.`,
    hint: (f) =>
      `Give ${f.username ?? 'the user'} a writable home directory on the NAS (TrueNAS SCALE: Credentials > Users > ${f.username ?? 'the user'} > Home Directory, e.g. a folder on a pool; ` +
      'TrueNAS gives its admin user /nonexistent by default), or paste the app\'s public key into that user\'s "Authorized Keys" in the NAS\'s own UI, then test again.',
  },
  {
    code: 'SUDO_PASSWORD_REQUIRED',
    pattern: /sudo: (?:a password is required|a terminal is required to read the password|no tty present and no askpass program specified)/,
    message: (f) => `${f.label}: sudo asked for a password to run ${programOf(f)}.`,
    hint: sudoHint,
    details: (f) => ({ username: f.username ?? null, sudoersLine: sudoersLine(f.username ?? 'USER') }),
  },
  {
    code: 'PERMISSION_DENIED',
    pattern: /(?:Sorry, user \S+ (?:is not allowed to execute [^\n]*|may not run sudo on [^\n]*)|\S+ is not in the sudoers file[^\n]*)/,
    message: (f, m) => `${f.label}: sudo refused the command: ${m[0].trim()}`,
    hint: sudoHint,
  },
  {
    code: 'COMMAND_NOT_FOUND',
    // sudo's, env's (a direct-mode pipeline's LC_ALL=C prefix runs through env) and the shells' wordings, the
    // runner's wrapper exec'ing the program included (dash: "sh: 1: exec: zfs: not found").
    pattern: /(?:^|\n)(?:sudo: (\S+): command not found|env: [‘'`]?([^’'\s]+?)[’']?: No such file or directory|(?:\S+: )?(?:line \d+: |\d+: )?(?:exec: )?(\S+): (?:command )?not found)/,
    message: (f, m) => `${f.label}: the command "${m[1] ?? m[2] ?? m[3] ?? programOf(f)}" was not found on the NAS.`,
    hint: (_f, m) =>
      ['zfs', 'zpool'].includes(m[1] ?? m[2] ?? m[3] ?? '')
        ? 'Is OpenZFS installed on this NAS? If zfs lives outside the PATH of a non-interactive ssh session, add its folder (e.g. /usr/sbin or /sbin) to that PATH.'
        : 'Install the missing program on the NAS, or make sure it is on the PATH of a non-interactive ssh session.',
  },
  {
    code: 'COMMAND_NOT_FOUND',
    pattern: /[\s\S]*/,
    exitCodes: [127],
    message: (f) => `${f.label}: the command "${programOf(f)}" was not found on the NAS (exit 127).`,
    hint: () => 'Install the missing program on the NAS, or make sure it is on the PATH of a non-interactive ssh session.',
  },
  // ssh run on a NAS towards another NAS (direct replication): its own connection errors.
  {
    code: 'HOST_KEY_MISMATCH',
    pattern: /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for \S+ has changed/,
    message: (f) => `${f.label}: ssh on the NAS refused the other NAS because its host key changed.`,
    hint: () => 'Check the other NAS\'s host key, then redo the NAS-to-NAS key exchange, which records its current key.',
    details: (_f, stderr) => ({ via: 'nas', expected: null, ...nasHostKeyDetails(stderr) }),
  },
  {
    code: 'HOST_KEY_UNCONFIRMED',
    pattern: /No \S+ host key is known for (\S+)|Host key verification failed/,
    message: (f, m) => `${f.label}: ssh on the NAS does not know the host key of ${m[1] ?? 'the other NAS'}.`,
    hint: () => 'Run the NAS-to-NAS key exchange: it records the other NAS\'s verified host key in known_hosts.',
    details: (_f, stderr) => ({ via: 'nas', host: nasHostKeyDetails(stderr).host, presented: null }),
  },
  {
    code: 'AUTH_FAILED',
    pattern: /Permission denied \((?:publickey|password|keyboard-interactive)[^)]*\)/,
    message: (f) => `${f.label}: ssh on the NAS could not log in to the other NAS.`,
    hint: () => 'Run the NAS-to-NAS key exchange so this NAS\'s key is authorized on the other one.',
  },
  {
    // The NAS's ssh to the other NAS (direct mode) on a dead network: its keepalives went unanswered mid-stream, or a
    // new connection got no SSH banner within ConnectTimeout (OpenSSH 9.2; see nasToNasSshArgv's ServerAlive*).
    code: 'HOST_UNREACHABLE',
    pattern: /Timeout, server (\S+) not responding|Connection timed out during banner exchange(?:\s+Connection to (\S+) port (\d+) timed out)?/,
    message: (f, m) =>
      m[1] !== undefined
        ? `${f.label}: the connection from this NAS to ${m[1]} stopped answering (no reply to its keepalives): the network between the two NAS boxes went down.`
        : `${f.label}: ssh on the NAS got no answer from ${m[2] !== undefined ? `${m[2]}:${m[3]}` : 'the other NAS'} (timed out during the SSH banner exchange).`,
    hint: () => 'Check the network between the two NAS boxes, then run the task again: an interrupted transfer resumes where it stopped.',
  },
  {
    code: 'HOST_UNREACHABLE',
    pattern: /ssh: (?:connect to host (\S+) port (\d+): ([^\n]+)|Could not resolve hostname (\S+?):? ([^\n]+))/,
    message: (f, m) =>
      m[1] !== undefined
        ? `${f.label}: ssh on the NAS could not reach ${m[1]}:${m[2]} (${m[3]?.trim()}).`
        : `${f.label}: the NAS could not resolve the host name ${m[4]} (${m[5]?.trim()}).`,
    hint: () => 'Check the address the NAS uses for the other NAS (it may differ from the one this computer uses), and that sshd runs there.',
  },
  // zfs and zpool.
  {
    code: 'DATASET_NOT_FOUND',
    pattern: /cannot (?:open|destroy|rename|receive|hold|release|send|resume send) '?([^':\n]*)'?: (?:dataset does not exist|no such pool or dataset|could not find any snapshots)|'([^'\n]+)': no such pool|(?:dataset|snapshot) does not exist|could not find any snapshots to destroy/,
    message: (f, m) => `${f.label}: ${m[1] ?? m[2] ? `"${m[1] ?? m[2]}" does not exist` : 'the dataset does not exist'}.`,
    hint: () => 'Refresh the dataset list: it may have been renamed or destroyed on the NAS.',
  },
  {
    code: 'DATASET_EXISTS',
    pattern: /cannot (?:create|rename|receive|snapshot)[^\n]*?'?([^'\s:]*)'?: dataset already exists|destination '?([^'\s]+)'? exists\b/,
    message: (f, m) => `${f.label}: ${m[1] || m[2] ? `"${m[1] || m[2]}" already exists` : 'it already exists'}.`,
    hint: () => 'Pick another name, or remove the existing one first (the app never overwrites data silently).',
  },
  {
    // zfs receive refusing to overwrite or diverge: the replication planner decides what to do about it.
    code: 'CONFLICT',
    // zfs wraps some of these over two lines.
    pattern: /destination has snapshots[^\n]*|destination \S+ has been modified\s+since most recent snapshot|most recent snapshot of \S+ does not\s+match incremental source|tag already exists on this dataset/,
    message: (f, m) => `${f.label}: ${m[0]}.`,
    hint: () => 'The destination has diverged from the source. Compare their snapshots before deciding to roll back or re-seed.',
  },
  {
    code: 'NO_SPACE',
    pattern: /out of space|No space left on device|quota exceeded|Disc quota exceeded|Disk quota exceeded/i,
    message: (f) => `${f.label}: the pool is out of space.`,
    hint: () => 'Free space on the NAS (destroy old snapshots, raise the quota) and try again.',
  },
  {
    code: 'BUSY',
    pattern: /(?:pool or dataset is busy|dataset is busy|Device or resource busy|is busy|has dependent clones|snapshot is held|it's being held)/,
    message: (f, m) => `${f.label}: ${m[0]}.`,
    hint: () => 'Something else is using it (a running send/receive, a mount, a hold or a clone). Wait and retry, or release it first.',
  },
  {
    code: 'UNSUPPORTED_VERSION',
    pattern: /stream has unsupported feature|unsupported version|unknown (?:feature|property)[^\n]*|pool must be upgraded/,
    message: (f, m) => `${f.label}: ${m[0]}.`,
    hint: () => 'The two NAS run different OpenZFS versions: upgrade the older one, or send without the newer stream features.',
  },
  {
    code: 'INVALID_NAME',
    pattern: /invalid (?:dataset|snapshot|bookmark) name|invalid character '?.'? in name|name is too long|leading slash in name/,
    message: (f, m) => `${f.label}: ${m[0]}.`,
    hint: () => 'Dataset names use letters, digits and "_-.:" separated by "/"; snapshots follow "@".',
  },
  {
    code: 'PERMISSION_DENIED',
    pattern: /permission denied|Operation not permitted|must be root|only root can|insufficient privileges/i,
    message: (f, m) => `${f.label}: ${m[0]} (${programOf(f)}).`,
    hint: (f) =>
      `${f.username ?? 'This user'} may not do this. Log in as root, use "sudo" privilege, or grant the missing rights with "zfs allow" (see the delegation helper for the exact lines).`,
  },
];

function lastLines(text: string, count: number): string {
  const lines = text.trimEnd().split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0);
  return lines.slice(-count).join('\n');
}

/** A command as a message shows it: a destroy of 2,000 snapshots is one 90 KB command line; the details keep it whole. */
export function shortCommand(command: string, limit = 300): string {
  return command.length <= limit ? command : `${command.slice(0, limit)}… (${command.length - limit} more characters)`;
}

/** Maps a failed remote command to a typed failure. Never throws; falls back to REMOTE_COMMAND_FAILED. */
export function failureFromStderr(failed: FailedCommand): AppFailure {
  // What the NAS printed reaches terminals, logs and the UI: never its escape sequences (the runner already
  // cleaned what it collected; other callers pass stderr they read themselves).
  const stderr = sanitizeTerminalText(failed.stderr);
  const details = {
    command: failed.command,
    exitCode: failed.exitCode,
    ...(failed.signal ? { signal: failed.signal } : {}),
    stderr: lastLines(stderr, 20),
  };
  for (const rule of stderrRules) {
    if (rule.exitCodes && (failed.exitCode === null || !rule.exitCodes.includes(failed.exitCode))) continue;
    const match = rule.pattern.exec(stderr);
    if (match) {
      // The rules' details builders give each code its shape (checked against the contract in the unit test).
      const full = { ...details, ...rule.details?.(failed, stderr) } as ErrorDetails<'REMOTE_COMMAND_FAILED'>;
      return new AppFailure(rule.code, rule.message(failed, match), rule.hint(failed, match), full);
    }
  }
  const tail = lastLines(stderr, 3);
  const how = failed.exitCode === null ? `was killed by signal ${failed.signal ?? 'unknown'}` : `exited with status ${failed.exitCode}`;
  return new AppFailure(
    'REMOTE_COMMAND_FAILED',
    `${failed.label}: "${shortCommand(failed.command)}" ${how}${tail ? `: ${tail}` : ' and printed nothing on stderr'}.`,
    'The full error output is in the app log. If it is not clear what to do, run the same command on the NAS to see more.',
    details,
  );
}
