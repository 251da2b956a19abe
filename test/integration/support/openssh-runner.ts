import { buildCommandLine, type CommandRunner, type RunOptions, type RunResult } from '../../../electron/services/ssh/command-runner.ts';
import { remoteArgv, type Privilege } from '../../../electron/services/ssh/ssh-command-runner.ts';
import { failureFromStderr } from '../../../electron/services/ssh/stderr-error-table.ts';
import { sshExec, type VmInfo } from '../../nas/testbed.ts';

// A second CommandRunner, over the OpenSSH client of the test bed (sshExec, one ControlMaster per VM and user).
// Test-only: the fixture capture script uses it, since it needs no app key store or host-key pinning. It shares
// the app runner's command words (remoteArgv: env LC_ALL=C, sudo -n) and its stderr table, so only the transport
// differs. It collects output as text; stdoutTo and streams on stdin are not supported.

export class OpenSshRunner implements CommandRunner {
  readonly label: string;
  readonly #vm: VmInfo;
  readonly #user: string;
  readonly #privilege: Privilege;

  constructor(vm: VmInfo, user: string, privilege: Privilege = user === 'root' ? 'root' : 'sudo') {
    this.#vm = vm;
    this.#user = user;
    this.#privilege = privilege;
    this.label = `${user}@${vm.name}:${vm.port}`;
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (options.stdoutTo || (options.stdin !== undefined && typeof options.stdin !== 'string' && !Buffer.isBuffer(options.stdin))) {
      throw new TypeError('OpenSshRunner supports text stdin and collected stdout only');
    }
    if (options.signal?.aborted) throw new Error('aborted');
    const words = remoteArgv(argv, this.#privilege, options.privileged ?? true);
    const input = options.stdin === undefined ? undefined : options.stdin.toString();
    const result = await sshExec(this.#vm, this.#user, buildCommandLine(words), {
      ...(input === undefined ? {} : { input }),
      timeoutMs: options.timeoutMs ?? 300_000,
    });
    if (result.stdout) options.onStdout?.(Buffer.from(result.stdout));
    if (result.stderr) options.onStderr?.(Buffer.from(result.stderr));
    if (!(options.expectedExitCodes ?? [0]).includes(result.code)) {
      throw failureFromStderr({
        label: this.label,
        username: this.#user,
        command: buildCommandLine(words.slice(2)),
        exitCode: result.code,
        stderr: result.stderr,
      });
    }
    return { exitCode: result.code, stdout: result.stdout, stderr: result.stderr };
  }
}
