import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { buildCommandLine, type CommandRunner, type EmbeddedCommand, type EmbeddedOutcome, type RunOptions, type RunResult } from '../../../../../electron/services/ssh/command-runner.ts';
import { failureFromStderr } from '../../../../../electron/services/ssh/stderr-error-table.ts';
import { AppFailure } from '../../../../../shared/result.ts';

/**
 * A CommandRunner that runs the command line on this machine's /bin/sh with a private HOME: exercises the
 * remote shell programs (authorized_keys editing...) for real without a NAS. Unit tests only.
 */
export class LocalShellRunner implements CommandRunner {
  readonly label: string;
  readonly home: string;
  readonly commands: string[][] = [];
  /** Commands settled after running inside another command's script, with where. */
  readonly embedded: Array<{ argv: string[]; via: string; outcome: 'ok' | string }> = [];
  readonly #path: string | undefined;
  constructor(label: string, home: string, options: { path?: string } = {}) {
    this.label = label;
    this.home = home;
    this.#path = options.path ?? process.env.PATH;
  }

  embed(argv: readonly string[], options: { via: string }): EmbeddedCommand {
    return {
      line: buildCommandLine(argv),
      settle: (outcome: EmbeddedOutcome, runOptions: Pick<RunOptions, 'expectedExitCodes'> = {}): RunResult => {
        const settled = (result: string) => this.embedded.push({ argv: [...argv], via: options.via, outcome: result });
        if ('error' in outcome) {
          settled('error');
          throw outcome.error;
        }
        const { exitCode, stdout, stderr } = outcome;
        // As run() judges a command of its own.
        if (!(runOptions.expectedExitCodes ?? [0]).includes(exitCode)) {
          const failure = failureFromStderr({ label: this.label, command: argv.join(' '), exitCode, stderr });
          settled(failure.code);
          throw failure;
        }
        settled('ok');
        return { exitCode, stdout, stderr };
      },
    };
  }
  run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.commands.push([...argv]);
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', buildCommandLine(argv)], { env: { PATH: this.#path, HOME: this.home, LC_ALL: 'C' }, cwd: this.home });
      let stdout = '';
      let stderr = '';
      // A stopped command ends as the ssh runner's does: killed, CANCELLED.
      let cancelled = false;
      const cancel = () => {
        cancelled = true;
        child.kill('SIGTERM');
      };
      if (options.signal?.aborted) cancel();
      options.signal?.addEventListener('abort', cancel, { once: true });
      if (options.stdoutTo) child.stdout.pipe(options.stdoutTo);
      else
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          options.onStdout?.(c);
        });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        options.onStderr?.(c);
      });
      child.on('error', reject);
      child.on('close', (code) => {
        options.signal?.removeEventListener('abort', cancel);
        if (cancelled) return reject(new AppFailure('CANCELLED', `${this.label}: ${argv[0]} was stopped.`));
        const exitCode = code ?? -1;
        if ((options.expectedExitCodes ?? [0]).includes(exitCode)) resolve({ exitCode, stdout, stderr });
        else reject(failureFromStderr({ label: this.label, command: argv.join(' '), exitCode, stderr }));
      });
      const input = options.stdin;
      // A script that exits without reading its input closes the pipe: EPIPE is expected, the exit status decides.
      child.stdin.on('error', () => undefined);
      if (input === undefined) child.stdin.end();
      else if (typeof input === 'string' || Buffer.isBuffer(input)) child.stdin.end(input);
      else (input instanceof Readable ? input : Readable.from(input)).pipe(child.stdin);
    });
  }
}
