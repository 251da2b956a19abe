import { execFileSync } from 'node:child_process';
import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppFailure } from '../../../../../shared/result.ts';
import { SshConnectionPool } from '../../../../../electron/services/ssh/ssh-connection-pool.ts';
import { buildCommandLine } from '../../../../../electron/services/ssh/command-runner.ts';
import { DirectCommandRunner, SshCommandRunner, commandName, remoteArgv, wrapReportingPid, type Privilege, type RemoteCommandRecord, type RunnerLogEntry } from '../../../../../electron/services/ssh/ssh-command-runner.ts';
import { FakeClient, defaultHandler, fakeSession, type ExecHandler } from './fake-ssh.ts';

function runnerWith(handler: ExecHandler = defaultHandler, privilege: Privilege = 'root', logs: RunnerLogEntry[] = [], knownSecrets: string[] = [], records: RemoteCommandRecord[] = []) {
  const clients: FakeClient[] = [];
  const pool = new SshConnectionPool({
    connector: async () => {
      const client = new FakeClient(clients.length + 1, handler);
      clients.push(client);
      return fakeSession(client);
    },
    idleTimeoutMs: 0,
  });
  const runner = new SshCommandRunner({
    pool,
    target: { connectionId: 'c1', host: 'nas-a', port: 2222, username: 'admin', authKey: 'k', privilege },
    log: (entry) => logs.push(entry),
    record: (entry) => records.push(entry),
    knownSecrets,
  });
  return { runner, clients, pool };
}

describe('wrapReportingPid', () => {
  // Run as a login shell runs it: the line is one `sh -c` argument (what sshd hands the user's shell).
  const runWrapped = (words: string[]) => execFileSync('sh', ['-c', buildCommandLine(wrapReportingPid(words))], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'de_DE.UTF-8' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it('sets LC_ALL=C in the wrapper shell instead of exec-ing env, and execs the program with its words intact', () => {
    expect(wrapReportingPid(['env', 'LC_ALL=C', 'zfs', 'list'])).toEqual(['sh', '-c', `printf 'zrd-pid:%s\\n' "$$" >&2; LC_ALL=C; export LC_ALL; exec "$@"`, 'sh', 'zfs', 'list']);
    expect(runWrapped(['env', 'LC_ALL=C', 'sh', '-c', 'printf "%s|" "$LC_ALL" "$0" "$@"', 'zero', 'a b', "it's"])).toBe("C|zero|a b|it's|");
    expect(runWrapped(['env', 'LC_ALL=C', 'printf', '%s|', 'x y'])).toBe('x y|');
  });

  it('runs a shell script in the wrapper shell itself (one program start less): same $0, arguments, PID and environment', () => {
    const [sh, c, script, ...rest] = wrapReportingPid(['env', 'LC_ALL=C', 'sh', '-c', 'echo "$$ $0 $1"', 'me', 'one']);
    expect([sh, c, rest]).toEqual(['sh', '-c', ['me', 'one']]);
    expect(script).toBe(`printf 'zrd-pid:%s\\n' "$$" >&2; LC_ALL=C; export LC_ALL; echo "$$ $0 $1"`);
    const out = execFileSync('sh', ['-c', `${buildCommandLine(wrapReportingPid(['env', 'LC_ALL=C', 'sh', '-c', 'echo "$$ $0 $1 $LC_ALL"', 'me', 'one']))} 2>&1`], { encoding: 'utf8' });
    const [pidLine, echoed] = out.trim().split('\n');
    // The PID the runner kills is the script's own shell.
    expect(echoed).toBe(`${pidLine!.replace('zrd-pid:', '')} me one C`);
  });

  it('gated: the shell waits for one line on stdin before the command starts; stdin closed first, it exits 125 without starting it', () => {
    const line = buildCommandLine(wrapReportingPid(['env', 'LC_ALL=C', 'printf', '%s', 'ran'], { gated: true }));
    expect(execFileSync('sh', ['-c', line], { input: '\n', encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] })).toBe('ran');
    expect(() => execFileSync('sh', ['-c', line], { input: '', stdio: ['pipe', 'pipe', 'ignore'] })).toThrow(expect.objectContaining({ status: 125 }));
  });

  it('leaves a privileged script alone (sudo runs it)', () => {
    expect(wrapReportingPid(['env', 'LC_ALL=C', 'sudo', '-n', 'sh', '-c', 'x'])).toEqual(['sh', '-c', `printf 'zrd-pid:%s\\n' "$$" >&2; LC_ALL=C; export LC_ALL; exec "$@"`, 'sh', 'sudo', '-n', 'sh', '-c', 'x']);
  });
});

describe('a gated command (startWhen)', () => {
  /** Answers once the runner ended stdin, with what stdin carried. */
  const echoStdinWhenEnded: ExecHandler = (channel) => channel.once('stdin-ended', () => channel.complete(0, JSON.stringify(channel.stdin)));

  it('opens its channel at once, and starts the command (one line on stdin for the waiting shell) only when the gate opens', async () => {
    const { runner, clients } = runnerWith(echoStdinWhenEnded);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const running = runner.run(['zfs', 'list'], { startWhen: gate });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const channel = clients[0]!.channels[0]!;
    expect(channel.command).toContain('read -r zrd_gate || exit 125; LC_ALL=C; export LC_ALL; exec "$@"');
    expect(channel.stdinEnded).toBe(false);
    open();
    expect((await running).stdout).toBe(JSON.stringify('\n'));
  });

  it('a gate that closes never starts the command: the channel closes and the run fails with the gate\'s error', async () => {
    const { runner, clients } = runnerWith(echoStdinWhenEnded);
    let close!: (error: unknown) => void;
    const gate = new Promise<void>((_resolve, reject) => (close = reject));
    const running = runner.run(['zfs', 'list'], { startWhen: gate });
    await new Promise((resolve) => setTimeout(resolve, 20));
    close(new AppFailure('CANCELLED', 'not locked'));
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED', message: 'not locked' });
    expect(clients[0]!.channels[0]!.stdin).toBe('');
    expect(clients[0]!.channels[0]!.isClosed).toBe(true);
  });

  it('refuses stdin (it would be read as the gate line)', async () => {
    const { runner } = runnerWith();
    await expect(runner.run(['cat'], { startWhen: Promise.resolve(), stdin: 'x' })).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});

describe('remoteArgv', () => {
  it('adds sudo -n for privileged commands on sudo connections only, LC_ALL=C always', () => {
    expect(remoteArgv(['zfs', 'list'], 'sudo')).toEqual(['env', 'LC_ALL=C', 'sudo', '-n', 'zfs', 'list']);
    expect(remoteArgv(['cat', '.ssh/x'], 'sudo', false)).toEqual(['env', 'LC_ALL=C', 'cat', '.ssh/x']);
    expect(remoteArgv(['zfs', 'list'], 'root')).toEqual(['env', 'LC_ALL=C', 'zfs', 'list']);
    expect(remoteArgv(['zfs', 'list'], 'delegated')).toEqual(['env', 'LC_ALL=C', 'zfs', 'list']);
  });
});

describe('SshCommandRunner', () => {
  it('records every command for the app log: its name, duration, exit status and redacted stderr', async () => {
    const records: RemoteCommandRecord[] = [];
    const { runner } = runnerWith(
      (channel) => (channel.command.includes('destroy') ? channel.complete(1, '', "cannot destroy 'tank/a': dataset is busy\npassword=hunter22\n") : channel.complete(0, 'tank\n', 'note: s3cret-value\n')),
      'sudo',
      [],
      ['s3cret-value'],
      records,
    );
    await runner.run(['/usr/sbin/zfs', 'list', '-H', 'tank']);
    await expect(runner.run(['/usr/sbin/zfs', 'destroy', 'tank/a'])).rejects.toMatchObject({ code: 'BUSY' });
    expect(records).toEqual([
      { connection: 'admin@nas-a:2222', name: 'zfs list', command: 'sudo -n /usr/sbin/zfs list -H tank', durationMs: expect.any(Number), exitCode: 0, signal: null, outcome: 'ok', stderr: 'note: [redacted]' },
      { connection: 'admin@nas-a:2222', name: 'zfs destroy', command: 'sudo -n /usr/sbin/zfs destroy tank/a', durationMs: expect.any(Number), exitCode: 1, signal: null, outcome: 'BUSY', stderr: "cannot destroy 'tank/a': dataset is busy\npassword=[redacted]" },
    ]);
    expect(commandName(['env', 'LC_ALL=C', 'sudo', '-n', '/sbin/zpool', 'list'])).toBe('zpool list');
    expect(commandName(['sh', '-c', 'echo locked'])).toBe('sh');
  });

  it('a command embedded in another one\'s script is judged, mapped and recorded exactly as if it had run on its own', async () => {
    const stderr = "sudo: a password is required\n";
    const records: RemoteCommandRecord[] = [];
    const { runner } = runnerWith((channel) => channel.complete(1, '', stderr), 'sudo', [], [], records);
    const argv = ['/usr/sbin/zfs', 'list', '-H', 'tank'];
    const alone = (await runner.run(argv).catch((error: unknown) => error)) as AppFailure;
    const embedded = runner.embed(argv, { via: 'the task lock' });
    // What the other script evals: the privilege and locale run() would apply, quoted for sh.
    expect(embedded.line).toBe('env LC_ALL=C sudo -n /usr/sbin/zfs list -H tank');
    const inside = (() => {
      try {
        embedded.settle({ exitCode: 1, stdout: '', stderr, durationMs: 250 });
      } catch (error) {
        return error as AppFailure;
      }
      throw new Error('settle did not throw');
    })();
    expect(inside.appError).toEqual(alone.appError);
    expect(inside.code).toBe('SUDO_PASSWORD_REQUIRED');
    // The caller's expected exit codes apply, and NAS text is cleaned as run() cleans it.
    expect(embedded.settle({ exitCode: 1, stdout: 'a\u001b[31mb\n', stderr: 'x', durationMs: 5 }, { expectedExitCodes: [0, 1] })).toEqual({ exitCode: 1, stdout: 'ab\n', stderr: 'x' });
    // The same app-log record, with the duration measured inside the lock's shell and where it ran.
    expect(records[1]).toEqual({ ...records[0]!, durationMs: 250, via: 'the task lock' });
    expect(records.map((r) => [r.name, r.outcome, r.via ?? null])).toEqual([
      ['zfs list', 'SUDO_PASSWORD_REQUIRED', null],
      ['zfs list', 'SUDO_PASSWORD_REQUIRED', 'the task lock'],
      ['zfs list', 'ok', 'the task lock'],
    ]);
    // A lock channel that died before the command ended: its error, recorded.
    const lost = new AppFailure('HOST_UNREACHABLE', 'gone');
    expect(() => embedded.settle({ error: lost, durationMs: 10 })).toThrow(lost);
    expect(records.at(-1)).toMatchObject({ outcome: 'HOST_UNREACHABLE', via: 'the task lock' });
  });

  it('labels itself user@host:port and sends the quoted command line', async () => {
    const { runner, clients } = runnerWith((channel) => channel.complete(0, 'ok'), 'sudo');
    expect(runner.label).toBe('admin@nas-a:2222');
    const result = await runner.run(['zfs', 'list', '-H', 'tank/a b', "it's"]);
    expect(result).toEqual({ exitCode: 0, stdout: 'ok', stderr: '' });
    expect(clients[0]!.channels[0]!.command).toBe(`sh -c 'printf '\\''zrd-pid:%s\\n'\\'' "$$" >&2; LC_ALL=C; export LC_ALL; exec "$@"' sh sudo -n zfs list -H 'tank/a b' 'it'\\''s'`);
  });

  it('a saved connection is named first in its messages ("nas-b (admin@…)"); its command records keep the login alone', async () => {
    const pool = new SshConnectionPool({ connector: async () => fakeSession(new FakeClient(1, (channel) => channel.complete(1, '', "cannot open 'tank/x': dataset does not exist\n"))), idleTimeoutMs: 0 });
    const records: RemoteCommandRecord[] = [];
    const runner = new SshCommandRunner({ pool, target: { connectionId: 'c1', name: 'nas-b', host: 'nas-a', port: 2222, username: 'admin', authKey: 'k', privilege: 'root' }, record: (entry) => records.push(entry) });
    expect(runner.label).toBe('nas-b (admin@nas-a:2222)');
    await expect(runner.run(['zfs', 'list', 'tank/x'])).rejects.toThrow(/^nas-b \(admin@nas-a:2222\): /);
    // …and so does a command run inside another one's channel (the listing in the task lock's shell).
    runner.embed(['zfs', 'list', '-H', 'tank'], { via: 'the task lock' }).settle({ exitCode: 0, stdout: 'tank\n', stderr: '', durationMs: 5 });
    expect(records.map((r) => r.connection)).toEqual(['admin@nas-a:2222', 'admin@nas-a:2222']);
    await pool.closeAll();
  });

  it('cleans what the NAS prints of escape sequences and control characters before anyone sees it (issue 11 item 9)', async () => {
    const hostile = '\u001b]0;owned\u0007\u001b[31mred\u001b[0m\tand\r\nnext\u0000\n';
    const { runner } = runnerWith((channel) => channel.complete(0, hostile, hostile));
    expect(await runner.run(['zfs', 'get', 'com.example:note'])).toEqual({ exitCode: 0, stdout: 'red\tand\nnext\uFFFD\n', stderr: 'red\tand\nnext\uFFFD\n' });
    const { runner: failing } = runnerWith((channel) => channel.complete(1, '', `\u001b[2J\u001b[H${hostile}cannot open 'tank/x': dataset does not exist\n`));
    const failure = await failing.run(['zfs', 'list', 'tank/x']).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'DATASET_NOT_FOUND' });
    expect(JSON.stringify((failure as { appError: unknown }).appError)).not.toMatch(/\\u001b|\\u0007|\\u0000/);
  });

  it('feeds stdin from a string, a Buffer or a stream, and always ends it', async () => {
    const { runner } = runnerWith();
    expect((await runner.run(['cat'], { stdin: 'hello\n' })).stdout).toBe('hello\n');
    expect((await runner.run(['cat'], { stdin: Buffer.from([0x61, 0x62]) })).stdout).toBe('ab');
    expect((await runner.run(['cat'], { stdin: Readable.from(['one ', 'two']) })).stdout).toBe('one two');
    const ended: boolean[] = [];
    const { runner: r2 } = runnerWith((channel) => {
      channel.once('stdin-ended', () => {
        ended.push(true);
        channel.complete(0);
      });
    });
    await r2.run(['zfs', 'list']);
    expect(ended).toEqual([true]);
  });

  it('streams stdout to a Writable instead of collecting it, and reports chunks live', async () => {
    const { runner } = runnerWith((channel) => {
      channel.push('chunk1 ');
      setTimeout(() => channel.complete(0, 'chunk2', 'progress 50%\n'), 5);
    });
    const received: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        received.push(chunk.toString());
        cb();
      },
    });
    const live: string[] = [];
    const errs: string[] = [];
    const result = await runner.run(['zfs', 'send', 'tank@s'], { stdoutTo: sink, onStdout: (c) => live.push(c.toString()), onStderr: (c) => errs.push(c.toString()) });
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('progress 50%\n');
    expect(received.join('')).toBe('chunk1 chunk2');
    expect(live.join('')).toBe('chunk1 chunk2');
    expect(errs.join('')).toBe('progress 50%\n');
  });

  it('accepts named exit codes and maps others from stderr', async () => {
    const { runner } = runnerWith((channel) => channel.complete(1, '', "cannot open 'tank/nope': dataset does not exist\n"));
    await expect(runner.run(['zfs', 'list', 'tank/nope'])).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
    const result = await runner.run(['zfs', 'list', 'tank/nope'], { expectedExitCodes: [0, 1] });
    expect(result.exitCode).toBe(1);
  });

  it('stops a command at its timeout: TERM through the channel and to its remote PID', async () => {
    const { runner, clients } = runnerWith(() => {});
    const started = Date.now();
    await expect(runner.run(['sleep', '100'], { timeoutMs: 50 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(clients[0]!.channels[0]!.signals).toEqual(['TERM']);
    expect(clients[0]!.channels[0]!.isClosed).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(clients[0]!.kills).toEqual([`sh -c 'kill -s "$1" -- "-$2" 2>/dev/null || kill -s "$1" "$2" 2>/dev/null; exit 0' sh TERM 4001`]);
  });

  it('stops a command whose channel opened after the timeout fired (slow NAS)', async () => {
    const clients: FakeClient[] = [];
    const pool = new SshConnectionPool({
      connector: async () => {
        const client = new FakeClient(1, () => {});
        client.openDelayMs = 60;
        clients.push(client);
        return fakeSession(client);
      },
      idleTimeoutMs: 0,
    });
    const runner = new SshCommandRunner({ pool, target: { connectionId: 'c1', host: 'h', port: 22, username: 'u', authKey: 'k', privilege: 'root' } });
    const started = Date.now();
    await expect(runner.run(['sleep', '100'], { timeoutMs: 20 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(clients[0]!.channels[0]!.signals).toEqual(['TERM']);
  });

  it('escalates to KILL and closes the channel when TERM is ignored, and stops waiting after a grace period', async () => {
    const { runner, clients } = runnerWith(() => {});
    const running = runner.run(['sleep', '100'], { timeoutMs: 20 });
    await new Promise((r) => setTimeout(r, 5));
    const channel = clients[0]!.channels[0]!;
    channel.signal = (name: string) => {
      channel.signals.push(name);
    };
    channel.close = () => {};
    const started = Date.now();
    await expect(running).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThan(2500);
    expect(channel.signals).toEqual(['TERM', 'KILL']);
    expect(clients[0]!.kills.map((k) => k.split(' ').slice(-2).join(' '))).toEqual(['TERM 4001', 'KILL 4001']);
  });

  it('hides the wrapper\'s PID line from stderr', async () => {
    const { runner } = runnerWith((channel) => channel.complete(3, '', 'real error\n'));
    const seen: string[] = [];
    const failure = await runner.run(['x'], { onStderr: (c) => seen.push(c.toString()) }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ appError: { details: { stderr: 'real error' } } });
    expect(seen.join('')).toBe('real error\n');
  });

  it('cancels on AbortSignal, before or during the command', async () => {
    const { runner, clients } = runnerWith(() => {});
    const controller = new AbortController();
    const running = runner.run(['sleep', '100'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(clients[0]!.channels[0]!.isClosed).toBe(true);
    await expect(runner.run(['true'], { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(clients[0]!.channels).toHaveLength(1);
  });

  it('tells a lost connection from a failed command', async () => {
    const { runner, clients } = runnerWith(() => {});
    const running = runner.run(['zfs', 'recv', 'backup/x']);
    await new Promise((r) => setTimeout(r, 10));
    clients[0]!.drop();
    await expect(running).rejects.toMatchObject({ code: 'HOST_UNREACHABLE', message: expect.stringMatching(/^Lost the connection to .* while running "zfs recv backup\/x"/) });
  });

  it('says when the NAS stopped answering its keepalives (a dead network), not just that the connection was lost', async () => {
    const { runner, clients } = runnerWith(() => {});
    const running = runner.run(['zfs', 'recv', 'backup/x']);
    await new Promise((r) => setTimeout(r, 10));
    clients[0]!.stopAnswering();
    await expect(running).rejects.toMatchObject({
      code: 'HOST_UNREACHABLE',
      message: expect.stringMatching(/^The connection to .* stopped answering \(no reply to its keepalives\) while running "zfs recv backup\/x": the network to the NAS went down, or the NAS hung\.$/),
    });
  });

  it('a remote process killed by a signal is a REMOTE_COMMAND_FAILED naming the signal', async () => {
    const { runner } = runnerWith((channel) => {
      channel.emit('exit', null, 'KILL');
      channel.push(null);
      channel.stderr.push(null);
      setImmediate(() => channel.shut());
    });
    await expect(runner.run(['zfs', 'send', 'tank@s'])).rejects.toMatchObject({ code: 'REMOTE_COMMAND_FAILED', message: expect.stringContaining('signal KILL') });
  });

  it('a failing stdin stream stops the command', async () => {
    const { runner } = runnerWith(() => {});
    const input = new PassThrough();
    const running = runner.run(['zfs', 'recv', 'backup/x'], { stdin: input });
    setTimeout(() => input.destroy(new Error('source went away')), 10);
    await expect(running).rejects.toMatchObject({ code: 'REMOTE_COMMAND_FAILED', message: expect.stringContaining('source went away') });
  });

  it('logs each command with its outcome, secrets redacted', async () => {
    const logs: RunnerLogEntry[] = [];
    const { runner } = runnerWith((channel) => channel.complete(/fail/.test(channel.command) ? 2 : 0), 'root', logs, ['hunter22']);
    await runner.run(['echo', 'hunter22']);
    await runner.run(['fail'], {}).catch(() => {});
    expect(logs.map((l) => l.message)).toEqual([expect.stringMatching(/^\$ echo \[redacted\] -> exit 0/), expect.stringMatching(/^\$ fail -> REMOTE_COMMAND_FAILED/)]);
    expect(JSON.stringify(logs)).not.toContain('hunter22');
  });
});

describe('DirectCommandRunner', () => {
  it('runs on a dedicated client with the same semantics', async () => {
    const client = new FakeClient(1, defaultHandler);
    const runner = new DirectCommandRunner({ client, host: 'nas-b', port: 22, username: 'admin', privilege: 'sudo' });
    expect(runner.label).toBe('admin@nas-b:22');
    expect((await runner.run(['printf', '%s', 'x'], { privileged: false })).stdout).toBe('x');
    expect(client.channels[0]!.userCommand).toBe('env LC_ALL=C printf %s x');
    await expect(runner.run(['sh', '-c', 'exit 3'])).rejects.toMatchObject({ code: 'REMOTE_COMMAND_FAILED' });
    client.drop();
    await new Promise((r) => setTimeout(r, 5));
    await expect(runner.run(['true'])).rejects.toMatchObject({ code: 'HOST_UNREACHABLE' });
  });
});
